"""The national 2-hour clock file (csds_ucr.py): a row per clock the 2-hour figure
counts, in CSDS CYP104's shape, met or not met exactly as the figure has it."""
import csv
import io
import random
from datetime import date, timedelta

import pytest
import time_machine

from spoa.domain.period import Filters, Period
from spoa.reports import csds_ucr, two_hour
from tests.support.data.report_data import commit, due_in, override, referral, utc

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))  # Mon-Sun, the clocks go back on the Sunday
NOW = utc("2026-10-26T12:00Z")
HEADER = ["WAITING TIME MEASUREMENT TYPE", "REFERRAL TO TREATMENT PERIOD START DATE",
          "REFERRAL TO TREATMENT PERIOD START TIME", "REFERRAL TO TREATMENT PERIOD END DATE",
          "REFERRAL TO TREATMENT PERIOD END TIME", "REFERRAL TO TREATMENT PERIOD STATUS",
          "WAITING TIME (MINUTES)", "RESPONSE STANDARD MET", "SERVICE REQUEST IDENTIFIER"]


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def crisis(received, source="gp"):
    return referral(received, source=source, route="crisis_response")


def file_rows(period=WEEK, filters=None) -> list[list[str]]:
    header, *rows = csv.reader(io.StringIO("".join(csds_ucr.csv_lines(period, filters or Filters()))))
    assert header == HEADER
    return rows


def test_each_clock_is_a_row_as_the_data_set_records_it(db, frozen):
    on_time = crisis("2026-10-20T09:00Z")                     # 10:00 BST
    due_in(on_time, met_at="2026-10-20T11:00:00Z")           # exactly 2 hours: met
    late = crisis("2026-10-20T10:00Z")
    due_in(late, met_at="2026-10-20T12:00:01Z")              # 2 hours and a second: not met
    open_unrecorded = crisis("2026-10-22T09:00Z")
    due_in(open_unrecorded)                                   # passed unmet, nobody recorded it: N, still open
    running = crisis("2026-10-25T23:59Z")                     # Sunday 23:59 GMT
    due_in(running, hours=24)                                 # within its time: no verdict yet
    closed_early = crisis("2026-10-23T09:00Z")
    due_in(closed_early, cancelled_at="2026-10-23T09:30Z")    # stopped before its deadline: beside the figure
    rerouted_late = crisis("2026-10-23T22:30Z")               # 23:30 BST on Friday
    due_in(rerouted_late, cancelled_at="2026-10-24T01:00Z")   # stopped after its deadline: not met
    override(rerouted_late, "2026-10-24T01:00Z", "home_rehab")
    due_in(crisis("2026-10-23T10:00Z"), "triage", hours=0, met_at="2026-10-23T10:00Z")   # another clock
    due_in(referral("2026-10-23T10:00Z", route="reablement"), met_at="2026-10-23T10:10Z")  # another route
    due_in(crisis("2026-10-26T11:00Z"), met_at="2026-10-26T11:10Z")                       # after the week
    commit()

    assert file_rows() == [
        ["05", "2026-10-20", "10:00:00", "2026-10-20", "12:00:00", "30", "120", "Y", on_time.reference],
        ["05", "2026-10-20", "11:00:00", "2026-10-20", "13:00:01", "30", "121", "N", late.reference],
        ["05", "2026-10-22", "10:00:00", "", "", "99", "", "N", open_unrecorded.reference],
        ["05", "2026-10-23", "10:00:00", "2026-10-23", "10:30:00", "34", "30", "", closed_early.reference],
        ["05", "2026-10-23", "23:30:00", "2026-10-24", "02:00:00", "34", "150", "N", rerouted_late.reference],
        ["05", "2026-10-25", "23:59:00", "", "", "99", "", "", running.reference],
    ]


def test_the_file_is_a_repeatable_snapshot_and_names_no_patient(db, frozen):
    for hour in range(8):
        due_in(crisis(f"2026-10-21T{hour + 8:02d}:00Z"), met_at=f"2026-10-21T{hour + 9:02d}:15Z")
    commit()

    first, again = file_rows(), file_rows()
    assert first == again and len(first) == 8
    text = "".join(csds_ucr.csv_lines(WEEK, Filters()))
    assert "Fixture" not in text and "NN1" not in text and "1940" not in text  # name, postcode, birth: none


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_met_and_not_met_agree_with_the_two_hour_figure_over_random_clocks(db, frozen, seed):
    rng = random.Random(seed)
    start = utc("2026-10-17T00:00Z")  # two days before the week to a day after it (and NOW within)
    for _ in range(120):
        received = start + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))
        if received > NOW:
            continue
        row = referral(received, source=rng.choice(("gp", "emas", "nhs111")),
                       route=rng.choice(("crisis_response", "crisis_response", "crisis_response", "home_rehab")))
        ending = rng.choice(("met", "met", "cancelled", "breached", "none"))
        after = timedelta(seconds=rng.choice((rng.randrange(0, 4 * 3600), 7200, 7201, 7199)))
        at = received + after if received + after <= NOW else None
        due_in(row, rng.choice(("first_contact", "first_contact", "triage")),
               hours=rng.choice((2, 2, 2, 1)),
               met_at=at if ending == "met" else None,
               cancelled_at=at if ending == "cancelled" else None,
               breached_at=received + timedelta(hours=2) if ending == "breached" else None)
        if rng.random() < 0.2:
            override(row, received + timedelta(minutes=30), "reablement")
    commit()

    periods = (WEEK, Period(date(2026, 10, 25), date(2026, 10, 26)), Period(date(2026, 10, 17), date(2026, 10, 30)))
    for period in periods:
        for filters in (Filters(), Filters(source="emas"), Filters(route="home_rehab")):
            tally = two_hour.counts(period, filters)
            verdicts = [r[7] for r in file_rows(period, filters)]
            assert len(verdicts) == sum(tally.values())
            assert verdicts.count("Y") == tally["met"] and verdicts.count("N") == tally["breached"]
            assert verdicts.count("") == tally["running"] + tally["cancelled"]
            met, decided = verdicts.count("Y"), verdicts.count("Y") + verdicts.count("N")
            expected = None if not decided else round(100.0 * met / decided, 1)
            assert two_hour.headline(period, filters).value == expected
