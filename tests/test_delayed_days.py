"""Delayed days, the one definition (spoa/services/delays.py): (the UK date discharged,
or today) minus the DRD, never below 0, counted in UK days."""
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from spoa.domain.discharge_days import delayed_days
from tests.support.data.discharges import uk

pytestmark = pytest.mark.both_databases

DRD = date(2026, 11, 24)


def discharge(drd=DRD, discharged_at=None, kind="discharge"):
    return SimpleNamespace(kind=kind, discharge_ready_date=drd, discharged_at=discharged_at)


@pytest.mark.parametrize("discharged_at, days", [
    (uk(2026, 11, 23, 16, 0), 0),         # the day before its DRD
    (uk(2026, 11, 24, 23, 59), 0),        # 23:59 on the DRD: not delayed
    (uk(2026, 11, 25, 0, 1), 1),          # 00:01 the day after: one delayed day
    (uk(2026, 11, 27, 9, 0), 3),
], ids=["early", "23:59 on the DRD", "00:01 the day after", "three days late"])
def test_a_discharged_patients_delayed_days_stop_at_the_uk_day_they_left(discharged_at, days):
    assert delayed_days(discharge(discharged_at=discharged_at), today=date(2026, 12, 31)) == days


def test_the_day_is_the_uks_in_summer_too():
    summer = date(2026, 7, 1)
    # 23:30 UTC on 1 July is 00:30 BST on 2 July: the day after the DRD.
    assert delayed_days(discharge(summer, datetime(2026, 7, 1, 23, 30, tzinfo=UTC)), today=summer) == 0
    assert delayed_days(discharge(summer, datetime(2026, 7, 1, 23, 30, tzinfo=UTC)),
                        today=date(2026, 7, 9)) == 1
    assert delayed_days(discharge(summer, datetime(2026, 7, 1, 22, 59, tzinfo=UTC)),
                        today=date(2026, 7, 9)) == 0


@pytest.mark.parametrize("today, days", [
    (date(2026, 11, 20), 0), (DRD, 0), (date(2026, 11, 25), 1), (date(2026, 12, 4), 10)])
def test_a_patient_still_in_hospital_counts_up_to_today(today, days):
    assert delayed_days(discharge(), today=today) == days


def test_the_clock_change_day_is_one_day_like_any_other():
    october = date(2026, 10, 24)  # the 25th is 25 hours long; still one day
    assert delayed_days(discharge(october), today=date(2026, 10, 26)) == 2
    assert delayed_days(discharge(october, uk(2026, 10, 25, 23, 59)), today=date(2026, 10, 26)) == 1


def test_no_drd_or_no_discharge_has_no_delayed_days():
    assert delayed_days(discharge(drd=None), today=date(2026, 12, 1)) == 0  # readiness withdrawn
    assert delayed_days(discharge(kind="community"), today=date(2026, 12, 1)) == 0


def test_today_defaults_to_the_uk_date_now(frozen_now):
    frozen_now(datetime(2026, 11, 25, 0, 30, tzinfo=UTC))
    assert delayed_days(discharge()) == 1


def test_the_countys_delayed_days_today_are_its_patients_still_in_hospital_past_their_drd(
        post_discharge, hospital_fires, frozen_now, db):
    from spoa.services.delays import delayed_today

    post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)                    # delayed today
    post_discharge(uk(2026, 11, 23, 10, 0), drd=date(2026, 11, 22))      # delayed today, a third day
    left = post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)
    hospital_fires(left, "discharged", uk(2026, 11, 25, 8, 0))           # left this morning: not today
    post_discharge(uk(2026, 11, 24, 10, 0), drd=date(2026, 11, 25))      # ready today: not delayed yet
    not_ready = post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)
    hospital_fires(not_ready, "readiness_withdrawn", uk(2026, 11, 24, 9, 0), reason="Fever")
    frozen_now(uk(2026, 11, 25, 15, 0))
    assert delayed_today() == 2
    assert (delayed_today(hospital_ods="RNS01"), delayed_today(hospital_ods="RNQ01")) == (2, 0)
    assert delayed_today(today=date(2026, 11, 24)) == 1  # yesterday only the one ready since the 22nd
