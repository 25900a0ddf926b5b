"""Demand: referrals per UK day and UK hour, by source and by route, counted by hand."""
from datetime import date

from spoa.domain.period import Filters, Period
from spoa.reports import demand
from tests.support.data.report_data import commit, referral

# The clocks go back at 01:00 UTC on Sunday 25 October 2026: that day is 25 hours long.
AUTUMN = Period(date(2026, 10, 24), date(2026, 10, 27))


def tables(period, filters=Filters()):
    return {t.id: t for t in demand.section(period, filters).tables}


def rows(table):
    keys = [c.key for c in table.columns]
    return [dict(zip(keys, row, strict=True)) for row in table.rows]


def autumn_referrals():
    referral("2026-10-23T22:59Z", source="gp")                        # 23:59 BST on the 23rd: before the period
    referral("2026-10-23T23:00Z", source="gp")                        # 00:00 BST on the 24th
    referral("2026-10-24T23:30Z", source="emas")                      # 00:30 BST on the 25th
    referral("2026-10-25T00:30Z", source="emas", route="reablement")  # 01:30 BST, the first of the two
    referral("2026-10-25T01:30Z", source="gp", route="reablement")    # 01:30 GMT, the second
    referral("2026-10-26T23:59Z", source="nhs111")                    # 23:59 GMT on the 26th
    referral("2026-10-28T00:00Z", source="gp")                        # after the period (the 27th has none)
    commit()


def test_referrals_per_uk_day_by_source_across_the_clock_change(db):
    autumn_referrals()
    by_day = tables(AUTUMN)["demand_by_day"]

    assert [c.key for c in by_day.columns] == ["day", "emas", "nhs111", "gp", "total"]
    assert by_day.rows == (
        (date(2026, 10, 24), 0, 0, 1, 1),
        (date(2026, 10, 25), 2, 0, 1, 3),
        (date(2026, 10, 26), 0, 1, 0, 1),
        (date(2026, 10, 27), 0, 0, 0, 0),  # no referral: a row of zeros
    )
    assert by_day.chart.kind == "stacked_bar" and by_day.chart.series == ("emas", "nhs111", "gp")


def test_referrals_per_uk_day_by_route(db):
    autumn_referrals()
    by_route = tables(AUTUMN)["demand_by_day_route"]

    assert [c.key for c in by_route.columns] == ["day", "crisis_response", "reablement", "total"]
    assert [row[1:] for row in by_route.rows] == [(1, 0, 1), (1, 2, 3), (1, 0, 1), (0, 0, 0)]


def test_referrals_by_uk_hour_count_both_1_30s_of_the_long_night(db):
    autumn_referrals()
    by_hour = rows(tables(AUTUMN)["demand_by_hour"])

    assert [r["hour"] for r in by_hour] == [f"{h:02d}:00" for h in range(24)]
    assert {r["hour"]: r["total"] for r in by_hour if r["total"]} == {"00:00": 2, "01:00": 2, "23:00": 1}
    assert by_hour[1]["emas"] == 1 and by_hour[1]["gp"] == 1
    by_route = rows(tables(AUTUMN)["demand_by_hour_route"])
    assert by_route[1]["reablement"] == 2 and by_route[0]["crisis_response"] == 2


def test_the_spring_day_ends_at_uk_midnight_before_the_clocks_go_forward(db):
    referral("2026-03-28T23:59Z")   # 23:59 GMT: 28 March
    referral("2026-03-29T00:30Z")   # 00:30 GMT: 29 March
    referral("2026-03-29T01:30Z")   # 02:30 BST (01:00-02:00 UK never happened)
    referral("2026-03-29T22:59Z")   # 23:59 BST: still the 29th
    referral("2026-03-29T23:00Z")   # 00:00 BST: the 30th
    commit()

    found = tables(Period(date(2026, 3, 28), date(2026, 3, 29)))
    assert [(row[0], row[-1]) for row in found["demand_by_day"].rows] == [
        (date(2026, 3, 28), 1), (date(2026, 3, 29), 3)]
    hours = {r["hour"]: r["total"] for r in rows(found["demand_by_hour"]) if r["total"]}
    assert hours == {"00:00": 1, "02:00": 1, "23:00": 2}
    assert tables(Period(date(2026, 3, 28), date(2026, 3, 28)))["demand_by_day"].rows == (
        (date(2026, 3, 28), 1, 1),)


def test_hour_of_day_is_uk_time_in_summer(db):
    referral("2026-07-01T08:15Z")   # 09:15 BST
    referral("2026-07-01T23:15Z")   # 00:15 BST on 2 July
    commit()

    found = tables(Period(date(2026, 7, 1), date(2026, 7, 2)))
    hours = {r["hour"]: r["total"] for r in rows(found["demand_by_hour"]) if r["total"]}
    assert hours == {"09:00": 1, "00:00": 1}
    assert [row[-1] for row in found["demand_by_day"].rows] == [1, 1]


def test_referrals_by_source_and_route_with_their_shares(db):
    autumn_referrals()
    found = tables(AUTUMN)

    assert found["demand_by_source"].rows == (
        ("emas", "Ambulance service (EMAS)", 2, 40.0),
        ("nhs111", "NHS 111", 1, 20.0),
        ("gp", "GP", 2, 40.0),
    )
    assert found["demand_by_route"].rows == (
        ("crisis_response", "Crisis response (2-hour urgent community response)", 3, 60.0),
        ("reablement", "Reablement", 2, 40.0),
    )


def test_filters_narrow_every_table(db):
    autumn_referrals()
    by_source = tables(AUTUMN, Filters(source="emas"))
    assert [row[-1] for row in by_source["demand_by_day"].rows] == [0, 2, 0, 0]
    assert by_source["demand_by_source"].rows == (("emas", "Ambulance service (EMAS)", 2, 100.0),)
    assert sum(row[-1] for row in by_source["demand_by_hour"].rows) == 2

    both = tables(AUTUMN, Filters(route="reablement", source="gp"))
    assert [row[-1] for row in both["demand_by_day"].rows] == [0, 1, 0, 0]
    assert both["demand_by_route"].rows == (("reablement", "Reablement", 1, 100.0),)


def test_a_period_with_no_referrals_has_a_zero_row_for_every_day_and_hour(db):
    found = tables(AUTUMN)
    assert found["demand_by_day"].rows == tuple((day, 0) for day in AUTUMN.days)
    assert len(found["demand_by_hour"].rows) == 24
    assert found["demand_by_source"].rows == ()
