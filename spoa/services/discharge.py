"""A hospital discharge's own events, as its ward or its hospital's system
records them: the patient left hospital (``discharged``), is no longer ready
(``readiness_withdrawn``), is ready again with a new discharge ready date
(``ready_again``). The delayed days and their reasons are delays.py.

Each is one lifecycle event (spoa/domain/lifecycle.py: who may, and when) with its
audit row; its clocks follow (services/deadlines.py): discharged meets the
discharge and placement clocks at the time the patient left and starts the
welfare check from then, on a simple discharge it closes the referral;
withdrawn readiness stops the clocks due by the DRD, and a new DRD starts them
again. The caller (services/actions.apply_event) commits.
"""
from datetime import date, datetime

from spoa.domain import discharge_days
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import LifecycleError, check_event
from spoa.platform.timekeeping import now, uk_date
from spoa.services import deadlines
from spoa.services.events import record_event


def discharged(referral, actor: Actor, at: datetime | None) -> None:
    """The patient left hospital at ``at`` (default now). Checked first: who may, and
    when, come before what is wrong with the time (which the event needs)."""
    check_event(referral, "discharged", actor)
    at = _discharge_time(referral, at)
    record_event(referral, "discharged", actor, at=at, detail={
        "at": at.isoformat(), "route": referral.route,
        "discharge_ready_date": _iso(referral.discharge_ready_date),
        "delayed_days": discharge_days.delayed_days(referral, today=uk_date(at))})
    referral.discharged_at = at


def readiness_withdrawn(referral, actor: Actor, reason: str | None) -> None:
    """No longer ready for discharge (the patient's condition changed): the DRD is
    withdrawn, and with it the clocks due by it."""
    at = now()
    drd = referral.discharge_ready_date
    record_event(referral, "readiness_withdrawn", actor, reason=reason, effect=lambda: {
        "at": at.isoformat(), "discharge_ready_date": _iso(drd),
        "clocks_stopped": deadlines.stop_drd_clocks(referral)})
    referral.discharge_ready_date, referral.readiness_withdrawn_at = None, at


def ready_again(referral, actor: Actor, discharge_ready_date: date | None) -> None:
    """Ready for discharge again, from a new DRD: the clocks due by it start again, from now."""
    withdrawn_at = referral.readiness_withdrawn_at
    drd = None

    def the_new_date() -> dict:
        nonlocal drd
        drd = _new_drd(discharge_ready_date)
        return {"at": now().isoformat(), "discharge_ready_date": drd.isoformat(),
                "readiness_withdrawn_at": withdrawn_at.isoformat() if withdrawn_at else None,
                "clocks_started": deadlines.drd_clock_names(referral)}

    record_event(referral, "ready_again", actor, effect=the_new_date)
    # After the event: its guard reads "withdrawn" from the DRD being None.
    referral.discharge_ready_date, referral.readiness_withdrawn_at = drd, None
    deadlines.start_drd_clocks(referral)


def _discharge_time(referral, at: datetime | None) -> datetime:
    """When the patient left: not in the future, not before they were admitted."""
    current = now()
    if at is None:
        return current
    if at > current:
        raise LifecycleError("The discharge time cannot be in the future.", 422, "at")
    if referral.admitted_on is not None and uk_date(at) < referral.admitted_on:
        raise LifecycleError(
            f"The discharge time is before the patient was admitted ({referral.admitted_on.isoformat()}).",
            422, "at")
    return at


def _new_drd(drd: date | None) -> date:
    """The new discharge ready date: today (UK) or later. A date already gone
    would start a clock breached before anyone could meet it; a patient who has
    been ready since then is ready today."""
    if drd is None:
        raise LifecycleError("Give the new discharge_ready_date to record readiness again.",
                             422, "discharge_ready_date")
    today = uk_date(now())
    if drd < today:
        raise LifecycleError(f"The new discharge ready date cannot be before today ({today.isoformat()}).",
                             422, "discharge_ready_date")
    return drd


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
