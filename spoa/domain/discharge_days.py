"""A discharge's days in hospital past its discharge-ready date (DRD), and where it stands
today: the one definition for the ward's list, the referral page, the queue's lane and
the API. Reads a loaded referral; the county's counts in SQL are services/delays.py."""
from datetime import date, datetime

from spoa.platform.timekeeping import now, uk_date


def delayed_days(referral, today: date | None = None) -> int:
    """This referral's delayed days, as of ``today`` (default: today in the UK)."""
    drd = referral.discharge_ready_date
    if referral.kind != "discharge" or drd is None:
        return 0
    last = today or uk_date(now())
    if referral.discharged_at is not None:
        last = min(last, uk_date(referral.discharged_at))
    return max(0, (last - drd).days)


def standing(discharged_at: datetime | None, ready_date: date | None, today: date) -> str:
    """Where a discharge stands today: "discharged", "withdrawn" (no DRD), "delayed"
    (still in hospital past its DRD: today is one of its delayed days) or "ready".
    The one definition, for the ward's list, the referral page and the queue's lane."""
    if discharged_at is not None:
        return "discharged"
    if ready_date is None:
        return "withdrawn"
    return "delayed" if ready_date < today else "ready"


def reason_on(referral, day: date | None = None) -> str | None:
    """The delay reason recorded for ``day`` (default today, UK): a discharge.yaml code, or None."""
    day = day or uk_date(now())
    return next((d.reason for d in referral.delayed_days if d.day == day), None)
