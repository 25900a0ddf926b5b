"""The national 2-hour clock file (/reports/csds_ucr.csv): one row per 2-hour urgent
community response clock, in the shape of the Community Services Data Set's table
CYP104 (referral to treatment), waiting-time measurement type 05 (06 is the
two-day reablement standard).

The rows are exactly the clocks the reports' 2-hour figure counts
(two_hour.counted_clocks: crisis response first-contact clocks of referrals
received in the period, the source filter applied alike), each judged by the same
outcome as of the same instant (clock_outcome.py): RESPONSE STANDARD MET is Y for
met, N for breached, blank for a clock still running or cancelled, so the file's
Ys over its Ys and Ns is the page's figure.

Providers resubmit open clocks every month and analysts keep the latest record per
(request, type, start), so the file is a full snapshot of the period as of now,
open clocks included, never a delta: asked again, it gives the same rows, each as
it stands then.

Dates and times are UK wall time (BST in summer): a date as ISO (2026-11-24, the
data set's own form, which a spreadsheet reads as a date), a time as 14:05:00.
"""
import math
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.models import Clock, Referral
from spoa.platform.timekeeping import now, to_uk
from spoa.reports import downloads, two_hour
from spoa.reports.clock_outcome import outcome

MEASUREMENT_TYPE = "05"  # the 2-hour urgent community response standard
HEADER = (
    "WAITING TIME MEASUREMENT TYPE",
    "REFERRAL TO TREATMENT PERIOD START DATE",
    "REFERRAL TO TREATMENT PERIOD START TIME",
    "REFERRAL TO TREATMENT PERIOD END DATE",
    "REFERRAL TO TREATMENT PERIOD END TIME",
    "REFERRAL TO TREATMENT PERIOD STATUS",
    "WAITING TIME (MINUTES)",
    "RESPONSE STANDARD MET",
    "SERVICE REQUEST IDENTIFIER",
)
# How a clock stands, as the data set's REFERRAL TO TREATMENT PERIOD STATUS codes
# (NHS Data Dictionary; the mapping is SPOA's, to confirm against the CSDS
# technical output specification before a first submission):
ENDED_BY_CONTACT = "30"   # stopped by the first face-to-face contact: the period ends
ENDED_WITHOUT_CONTACT = "34"  # stopped without one (closed, or re-routed off crisis response)
OPEN = "99"               # not yet known: no contact, not stopped
RESPONSE_STANDARD_MET = {"met": "Y", "breached": "N"}  # running or cancelled: blank (not in the figure)
YIELD_PER = 1000  # rows fetched from the cursor at a time


def query(period: Period, filters: Filters, as_of: datetime):
    """The figure's clocks with their referral's reference, in the order they started."""
    state = outcome(as_of).label("outcome")
    columns = select(Referral.reference, Clock.started_at, Clock.met_at, Clock.cancelled_at, state)
    return (two_hour.counted_clocks(columns.select_from(Clock), period, filters, with_referral=True)
            .order_by(Clock.started_at, Clock.id))


def rows(period: Period, filters: Filters, as_of: datetime | None = None) -> Iterator[tuple]:
    """The file's rows in HEADER's order, read from a server-side cursor."""
    result = db.session.execute(query(period, filters, as_of or now()).execution_options(yield_per=YIELD_PER))
    for reference, started_at, met_at, cancelled_at, state in result:
        ended_at = met_at or cancelled_at
        start = to_uk(started_at)
        end = to_uk(ended_at) if ended_at else None
        yield (MEASUREMENT_TYPE, start.date(), _time(start),
               end.date() if end else None, _time(end) if end else None,
               ENDED_BY_CONTACT if met_at else ENDED_WITHOUT_CONTACT if cancelled_at else OPEN,
               waiting_minutes(started_at, ended_at) if ended_at else None,
               RESPONSE_STANDARD_MET.get(state), reference)


def waiting_minutes(started_at: datetime, ended_at: datetime) -> int:
    """Whole minutes, a part minute counted up: 2 hours and a second is 121, never a
    120 beside an N (met exactly at 2 hours is 120 and met)."""
    return max(0, math.ceil((ended_at - started_at).total_seconds() / 60))


def _time(local: datetime) -> str:
    return f"{local:%H:%M:%S}"


def csv_lines(period: Period, filters: Filters) -> Iterator[str]:
    return downloads.lines(HEADER, rows(period, filters))
