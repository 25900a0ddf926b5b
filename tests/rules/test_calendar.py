"""rules.calendar: 24/7 and working-hours deadlines, bank holidays, DST, ages and
weekdays (ISO, 1 = Monday). The app's clock, now(), is tests/test_clocks.py.

UK times below are written as UK wall time and converted with ``uk()``;
2026-10-25 and 2027-03-28 are the clock changes, 2026-12-25/28 and
2027-03-26/29 English bank holidays (as the holidays package gives them).
"""
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import (
    UK,
    WorkingHours,
    add_duration,
    age_in_years,
    by_end_of_day,
    days_in_words,
    elapsed,
    end_of_uk_day,
    format_uk,
    parse_weekdays,
    point_in_window,
    to_uk,
    uk_date,
)

UTC = UTC
H = timedelta(hours=1)
WH = WorkingHours()


def uk(*args) -> datetime:
    """A UK wall time as an aware UTC instant."""
    return datetime(*args, tzinfo=UK).astimezone(UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_calendar_and_the_rules_import_without_flask_or_spoa():
    script = (
        "import sys\n"
        "import rules.calendar, rules.loader, rules.scenario_runner\n"
        "from datetime import datetime, timedelta, timezone\n"
        "rules.calendar.add_duration(datetime.now(timezone.utc), timedelta(hours=4), 'working_hours', None)\n"
        "leaked = [m for m in sys.modules if m == 'flask' or m.startswith(('flask.', 'spoa'))]\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


# --- UK time helpers ---------------------------------------------------------------------------


def test_to_uk_shows_bst_in_summer_and_gmt_in_winter():
    assert to_uk(utc(2027, 6, 1, 12, 0)).hour == 13
    assert to_uk(utc(2026, 12, 1, 12, 0)).hour == 12


def test_uk_date_is_already_tomorrow_late_on_a_summer_evening():
    assert uk_date(utc(2027, 6, 1, 23, 30)) == date(2027, 6, 2)
    assert uk_date(utc(2026, 12, 1, 23, 30)) == date(2026, 12, 1)


def test_format_uk_reads_as_a_clinician_would_say_it():
    assert format_uk(utc(2026, 11, 23, 14, 5)) == "Mon 23 Nov 2026 14:05 GMT"
    assert format_uk(utc(2027, 3, 30, 8, 0)) == "Tue 30 Mar 2027 09:00 BST"
    assert format_uk(utc(2027, 1, 4, 9, 0)) == "Mon 4 Jan 2027 09:00 GMT"


# --- 24/7 --------------------------------------------------------------------------------------


def test_two_hours_24_7_across_the_march_change_is_two_real_hours():
    start = utc(2027, 3, 28, 0, 30)  # 00:30 GMT; clocks go forward at 01:00 UTC
    deadline = add_duration(start, 2 * H, "24/7", None)
    assert deadline == utc(2027, 3, 28, 2, 30)
    assert format_uk(deadline) == "Sun 28 Mar 2027 03:30 BST"  # wall clock moved 3 h


def test_two_hours_24_7_across_the_october_change_is_two_real_hours():
    start = utc(2026, 10, 25, 0, 30)  # 01:30 BST; clocks go back at 01:00 UTC
    deadline = add_duration(start, 2 * H, "24/7", None)
    assert deadline == utc(2026, 10, 25, 2, 30)
    assert format_uk(deadline) == "Sun 25 Oct 2026 02:30 GMT"  # wall clock moved 1 h


def test_24_7_ignores_working_hours_even_when_given_them():
    start = uk(2026, 12, 25, 10, 0)
    assert add_duration(start, 48 * H, "24/7", WH) == start + 48 * H
    assert elapsed(start, start + 48 * H, "24/7", WH) == 48 * H


def test_24_7_result_is_utc_even_from_a_uk_start():
    start = datetime(2027, 6, 1, 10, 0, tzinfo=UK)
    deadline = add_duration(start, 2 * H, "24/7", None)
    assert deadline.tzinfo is UTC
    assert deadline == utc(2027, 6, 1, 11, 0)


# --- working hours -----------------------------------------------------------------------------


def test_four_working_hours_from_friday_1600_lands_monday_1200():
    assert add_duration(uk(2026, 11, 20, 16, 0), 4 * H, "working_hours", WH) == uk(2026, 11, 23, 12, 0)


def test_four_working_hours_from_christmas_eve_skip_christmas_and_boxing_day_substitute():
    start = uk(2026, 12, 24, 15, 0)  # Thursday
    deadline = add_duration(start, 4 * H, "working_hours", WH)
    assert deadline == uk(2026, 12, 29, 11, 0)
    assert format_uk(deadline) == "Tue 29 Dec 2026 11:00 GMT"


def test_start_before_0900_counts_from_0900():
    assert add_duration(uk(2026, 11, 24, 6, 30), 4 * H, "working_hours", WH) == uk(2026, 11, 24, 13, 0)


def test_start_after_1700_counts_from_next_morning():
    assert add_duration(uk(2026, 11, 24, 18, 0), 4 * H, "working_hours", WH) == uk(2026, 11, 25, 13, 0)


def test_start_on_a_saturday_counts_from_monday_0900():
    assert add_duration(uk(2026, 11, 21, 11, 0), 4 * H, "working_hours", WH) == uk(2026, 11, 23, 13, 0)


def test_sixteen_working_hours_are_two_working_days():
    assert add_duration(uk(2026, 11, 23, 14, 0), 16 * H, "working_hours", WH) == uk(2026, 11, 25, 14, 0)


def test_a_deadline_that_uses_up_the_day_lands_at_closing_not_next_morning():
    assert add_duration(uk(2026, 11, 23, 9, 0), 16 * H, "working_hours", WH) == uk(2026, 11, 24, 17, 0)
    assert add_duration(uk(2026, 11, 23, 13, 0), 4 * H, "working_hours", WH) == uk(2026, 11, 23, 17, 0)


def test_working_hours_deadline_in_bst_after_easter_monday_is_an_hour_earlier_in_utc():
    # Thu 25 Mar 2027 16:00 GMT: 1 h that day; Good Friday, the weekend (clocks change
    # Sunday) and Easter Monday are skipped; Tue 30 Mar opens 09:00 BST = 08:00 UTC,
    # so the other 3 h end 12:00 BST = 11:00 UTC.
    start = uk(2027, 3, 25, 16, 0)
    assert start == utc(2027, 3, 25, 16, 0)
    deadline = add_duration(start, 4 * H, "working_hours", WH)
    assert deadline == utc(2027, 3, 30, 11, 0)
    assert format_uk(deadline) == "Tue 30 Mar 2027 12:00 BST"


def test_working_hours_across_the_october_change_keep_to_uk_wall_time():
    # Fri 23 Oct 2026 15:00 BST; Monday 26 Oct is GMT.
    deadline = add_duration(uk(2026, 10, 23, 15, 0), 4 * H, "working_hours", WH)
    assert deadline == utc(2026, 10, 26, 11, 0)
    assert format_uk(deadline) == "Mon 26 Oct 2026 11:00 GMT"


def test_long_working_hours_durations_step_over_weeks_and_holidays():
    # 42 working days of 8 h from Mon 23 Nov 2026 09:00 would end Tue 19 Jan 2027;
    # Christmas Day, the Boxing Day substitute and New Year's Day push it to Fri 22 Jan.
    deadline = add_duration(uk(2026, 11, 23, 9, 0), 42 * 8 * H, "working_hours", WH)
    assert deadline == uk(2027, 1, 22, 17, 0)


def test_zero_duration_is_the_start_itself():
    start = uk(2026, 11, 21, 11, 0)  # Saturday
    assert add_duration(start, timedelta(0), "working_hours", WH) == start


def test_no_hours_given_means_the_policy_default():
    start = uk(2026, 12, 24, 15, 0)
    assert add_duration(start, 4 * H, "working_hours", None) == add_duration(start, 4 * H, "working_hours", WH)


def test_working_hours_accept_plain_arguments_from_yaml():
    hours = WorkingHours(
        timezone="Europe/London", weekdays=["mon", "tue", "wed", "thu", "fri", "sat"],
        start="08:00", end="20:00", holiday_country=None, holiday_subdiv=None,
    )
    assert hours.weekdays == frozenset(range(1, 7))  # ISO: Monday 1 to Saturday 6
    assert hours.start == time(8, 0) and hours.end == time(20, 0)
    # Saturday counts, and Christmas Day is an ordinary Friday.
    assert add_duration(uk(2026, 11, 20, 18, 0), 4 * H, "working_hours", hours) == uk(2026, 11, 21, 10, 0)
    assert add_duration(uk(2026, 12, 25, 8, 0), 4 * H, "working_hours", hours) == uk(2026, 12, 25, 12, 0)
    assert WorkingHours(weekdays=[1, 2, 3, 4, 5]) == WorkingHours(weekdays=["Monday", "tue", 3, "4", "fri"]) == WH


def test_english_bank_holidays_are_the_ones_the_holidays_package_gives():
    for day in [date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1), date(2027, 3, 26),
                date(2027, 3, 29), date(2027, 5, 3), date(2027, 12, 27), date(2027, 12, 28)]:
        assert WH.is_bank_holiday(day), day
        assert not WH.is_working_day(day), day
    assert WH.is_working_day(date(2026, 12, 29))


def test_scottish_working_hours_work_on_easter_monday():
    scotland = WorkingHours(holiday_subdiv="SCT")
    assert scotland.is_working_day(date(2027, 3, 29))
    assert not scotland.is_working_day(date(2027, 1, 4))  # 2 January substitute


# --- elapsed -----------------------------------------------------------------------------------


def test_elapsed_counts_only_working_time_over_a_weekend():
    assert elapsed(uk(2026, 11, 20, 16, 0), uk(2026, 11, 23, 12, 0), "working_hours", WH) == 4 * H


def test_elapsed_is_negative_when_end_is_before_start():
    assert elapsed(uk(2026, 11, 23, 12, 0), uk(2026, 11, 20, 16, 0), "working_hours", WH) == -4 * H
    assert elapsed(utc(2026, 11, 23, 12), utc(2026, 11, 23, 10), "24/7", None) == -2 * H


def test_elapsed_out_of_hours_is_zero():
    assert elapsed(uk(2026, 12, 24, 17, 0), uk(2026, 12, 29, 9, 0), "working_hours", WH) == timedelta(0)


STARTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC),
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60))


@settings(max_examples=300, deadline=None)
@given(start=STARTS, duration=DURATIONS, counts=st.sampled_from(["24/7", "working_hours"]))
def test_elapsed_inverts_add_duration(start, duration, counts):
    deadline = add_duration(start, duration, counts, WH)
    assert deadline >= start
    assert elapsed(start, deadline, counts, WH) == duration


@settings(max_examples=300, deadline=None)
@given(start=STARTS, gap=DURATIONS)
def test_add_duration_of_elapsed_reaches_the_last_working_instant_before_end(start, gap):
    end = start + gap
    counted = elapsed(start, end, "working_hours", WH)
    reached = add_duration(start, counted, "working_hours", WH)
    assert reached <= end
    assert elapsed(reached, end, "working_hours", WH) == timedelta(0)


# --- point_in_window ---------------------------------------------------------------------------


def test_75_percent_of_four_working_hours_from_friday_1600_is_monday_1100():
    start = uk(2026, 11, 20, 16, 0)
    deadline = add_duration(start, 4 * H, "working_hours", WH)
    assert point_in_window(start, deadline, 0.75, "working_hours", WH) == uk(2026, 11, 23, 11, 0)


def test_90_percent_of_a_two_hour_24_7_window_is_108_minutes():
    start = utc(2027, 3, 28, 0, 30)
    deadline = add_duration(start, 2 * H, "24/7", None)
    assert point_in_window(start, deadline, 0.9, "24/7", None) == start + timedelta(minutes=108)


def test_whole_window_is_the_deadline_and_none_of_it_the_start():
    start, deadline = uk(2026, 11, 20, 16, 0), uk(2026, 11, 23, 12, 0)
    assert point_in_window(start, deadline, 1, "working_hours", WH) == deadline
    assert point_in_window(start, deadline, 0, "working_hours", WH) == start


@pytest.mark.parametrize("fraction", [75, -0.1, 1.5, float("nan"), "0.75", True])
def test_point_in_window_refuses_a_fraction_outside_0_to_1(fraction):
    start = utc(2026, 11, 23, 9)
    with pytest.raises(ValueError):
        point_in_window(start, start + 2 * H, fraction, "24/7", None)


def test_point_in_window_refuses_a_deadline_before_its_start():
    start = utc(2026, 11, 23, 9)
    with pytest.raises(ValueError):
        point_in_window(start, start - H, 0.75, "24/7", None)


# --- validation --------------------------------------------------------------------------------

NAIVE = datetime(2026, 11, 23, 9, 0)
AWARE = utc(2026, 11, 23, 9, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_duration(NAIVE, H, "24/7", None),
        lambda: add_duration(NAIVE, H, "working_hours", WH),
        lambda: elapsed(AWARE, NAIVE, "24/7", None),
        lambda: elapsed(NAIVE, AWARE, "working_hours", WH),
        lambda: point_in_window(NAIVE, AWARE, 0.5, "24/7", None),
        lambda: to_uk(NAIVE),
        lambda: uk_date(NAIVE),
        lambda: format_uk(NAIVE),
    ],
)
def test_a_naive_datetime_raises(call):
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_duration(AWARE, H, "office_hours", WH),
        lambda: add_duration(AWARE, -H, "24/7", None),
        lambda: add_duration(AWARE, 60, "24/7", None),
        lambda: add_duration(date(2026, 11, 23), H, "24/7", None),
        lambda: add_duration(AWARE, H, "working_hours", {"start": "09:00"}),
    ],
)
def test_bad_arguments_raise_value_error(call):
    with pytest.raises(ValueError):
        call()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timezone": "Europe/Londres"},
        {"weekdays": []},
        {"weekdays": [0]},  # ISO numbering: Monday is 1, there is no day 0
        {"weekdays": [8]},
        {"weekdays": "mon"},
        {"start": "17:00", "end": "09:00"},
        {"start": "nine"},
        {"holiday_country": "XX"},
        {"holiday_subdiv": "ZZZ"},
    ],
)
def test_impossible_working_hours_are_refused(kwargs):
    with pytest.raises(ValueError):
        WorkingHours(**kwargs)


# --- ages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("born, on, age", [
    (date(2008, 3, 14), date(2026, 3, 13), 17),
    (date(2008, 3, 14), date(2026, 3, 14), 18),  # the birthday itself counts
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),  # a 29 February birthday counts from 1 March
    (date(2008, 2, 29), date(2028, 2, 29), 20),
])
def test_age_in_years_counts_whole_years_on_the_day(born, on, age):
    assert age_in_years(born, on) == age


# --- weekdays: ISO, 1 = Monday ------------------------------------------------------------------


def test_working_days_are_iso_weekdays():
    saturday_only = WorkingHours(weekdays=[6], holiday_country=None)
    assert saturday_only.is_working_day(date(2026, 11, 21))  # a Saturday
    assert not saturday_only.is_working_day(date(2026, 11, 22))  # a Sunday
    assert WH.weekdays == frozenset({1, 2, 3, 4, 5})


@pytest.mark.parametrize("given, days", [
    (["mon", "tue"], {1, 2}),
    (["Monday", "TUES", " wed ", "thursday"], {1, 2, 3, 4}),
    ([5, "6", "7"], {5, 6, 7}),
    (("sun", "sun", 7), {7}),
    ([], set()),
])
def test_parse_weekdays_reads_names_and_iso_numbers(given, days):
    assert parse_weekdays(given) == frozenset(days)


@pytest.mark.parametrize("given, message", [
    (["9"], "'9' is not a day of the week (mon, tue, wed, thu, fri, sat, sun, or 1 = Monday to 7 = Sunday)"),
    ([0], "0 is not a day of the week"),
    (["mo"], "'mo' is not a day of the week"),
    (["monx"], "'monx' is not a day of the week"),
    (["²"], "'²' is not a day of the week"),
    ([True], "True is not a day of the week"),
    ("mon,tue", "weekdays should be a list of days, e.g. [mon, tue], not 'mon,tue'"),
    (None, "weekdays should be a list of days"),
])
def test_parse_weekdays_names_what_it_cannot_read(given, message):
    with pytest.raises(ValueError) as caught:
        parse_weekdays(given)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("days, words", [
    ([1, 2, 3, 4, 5], "Mon, Tue, Wed, Thu, Fri"),
    ([7, 6], "Sat, Sun"),
    (range(1, 8), "Every day"),
    ([], "None"),
    (None, "None"),
])
def test_days_in_words(days, words):
    assert days_in_words(days) == words


# --- the end of a UK day: the discharge clock, due by the discharge ready date ------------------

MS = timedelta(milliseconds=1)


@pytest.mark.parametrize("day, last_instant", [
    (date(2026, 11, 24), utc(2026, 11, 24, 23, 59, 59, 999000)),  # GMT: UK and UTC agree
    (date(2026, 7, 1), utc(2026, 7, 1, 22, 59, 59, 999000)),      # BST: an hour ahead of UTC
    # The last Sunday of October: the clocks go back at 02:00 BST, so the day ends in GMT.
    (date(2026, 10, 25), utc(2026, 10, 25, 23, 59, 59, 999000)),
    (date(2026, 10, 24), utc(2026, 10, 24, 22, 59, 59, 999000)),  # the Saturday before: still BST
    # The last Sunday of March: forward at 01:00 GMT, so the day ends in BST.
    (date(2027, 3, 28), utc(2027, 3, 28, 22, 59, 59, 999000)),
    (date(2027, 3, 27), utc(2027, 3, 27, 23, 59, 59, 999000)),    # the Saturday before: still GMT
], ids=["winter", "summer", "october-change-day", "day-before-october-change", "march-change-day",
        "day-before-march-change"])
def test_a_uk_day_ends_a_millisecond_before_uk_midnight(day, last_instant):
    assert end_of_uk_day(day) == last_instant
    assert to_uk(end_of_uk_day(day)).strftime("%H:%M:%S.%f") == "23:59:59.999000"
    assert uk_date(end_of_uk_day(day)) == day and uk_date(end_of_uk_day(day) + MS) == day + timedelta(days=1)


def test_the_october_change_day_is_25_hours_long_and_the_march_one_23():
    assert end_of_uk_day(date(2026, 10, 25)) - end_of_uk_day(date(2026, 10, 24)) == timedelta(hours=25)
    assert end_of_uk_day(date(2027, 3, 28)) - end_of_uk_day(date(2027, 3, 27)) == timedelta(hours=23)


def test_a_start_before_the_day_or_on_it_is_due_by_its_end():
    drd = date(2026, 11, 24)
    assert by_end_of_day(drd, uk(2026, 11, 21, 9, 0), 24 * H) == end_of_uk_day(drd)
    assert by_end_of_day(drd, uk(2026, 11, 24, 0, 0), 24 * H) == end_of_uk_day(drd)


def test_a_start_at_2330_on_the_day_has_half_an_hour_across_midnight_in_either_season():
    for drd in (date(2026, 11, 24), date(2026, 7, 1), date(2026, 10, 25), date(2027, 3, 28)):
        start = uk(drd.year, drd.month, drd.day, 23, 30)
        assert by_end_of_day(drd, start, 24 * H) - start == timedelta(minutes=30) - MS, drd


def test_a_start_after_the_day_has_the_late_allowance_from_the_start_in_real_time():
    drd = date(2026, 10, 24)  # received just after midnight on the day the clocks go back
    start = uk(2026, 10, 25, 0, 5)
    deadline = by_end_of_day(drd, start, 24 * H)
    assert deadline - start == 24 * H
    assert to_uk(deadline).strftime("%d %H:%M") == "25 23:05"  # 24 real hours: 23:05 GMT the same day
    # Which day the start falls on is the UK's: 23:30 UTC in summer is already the next UK day.
    assert by_end_of_day(date(2026, 7, 1), utc(2026, 7, 1, 23, 30), 24 * H) == utc(2026, 7, 2, 23, 30)


@pytest.mark.parametrize("call", [
    lambda: end_of_uk_day(datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),  # an instant is not a day
    lambda: end_of_uk_day("2026-11-24"),
    lambda: by_end_of_day(date(2026, 11, 24), datetime(2026, 11, 24, 12, 0), 24 * H),  # naive
    lambda: by_end_of_day(date(2026, 11, 24), utc(2026, 11, 25, 12, 0), timedelta(0)),
], ids=["datetime", "text", "naive start", "no allowance"])
def test_the_end_of_day_refuses_what_is_not_a_day_or_an_aware_start(call):
    with pytest.raises(ValueError):
        call()
