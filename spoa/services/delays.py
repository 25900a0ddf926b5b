"""Delayed days: each UK day a patient stays in hospital after their discharge
ready date (DRD), the reason a person records for it, and the supervisor's
daily alert when nobody has (rules/policy/discharge.yaml: the reasons and the
time of the alert).

The one definition, used by every page, answer and report:

    delayed days = (the UK date discharged, or today if still in hospital) - DRD,
                   in whole UK days, never below 0

so a patient discharged at 23:59 on the DRD has 0 and at 00:01 the next day 1.
A patient whose readiness is withdrawn has no DRD, and no delayed days, until
a new DRD is given (ready_again); the days recorded before keep their rows.
The county's delayed days today are the patients for whom today is one.
"""
import logging
from datetime import date, datetime

from sqlalchemy import Date, exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from spoa.domain.actor import Actor
from spoa.domain.discharge_days import delayed_days
from spoa.domain.lifecycle import OPEN_STATES, LifecycleError
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import DelayedDay, Referral
from spoa.notifications import notifying
from spoa.platform.database import is_postgresql
from spoa.platform.sql import days_between
from spoa.platform.timekeeping import now, to_uk, uk_date
from spoa.services import flags
from spoa.services.events import record_event

log = logging.getLogger(__name__)
# The alert's id on its notifications (as a flags.yaml id is a flag's).
ALERT_ID = "delay-reason-missing"
BATCH = 500





def delayed_on(today: date) -> tuple:
    """The SQL condition "today is a delayed day of this referral": an open discharge,
    still in hospital, ready, past its DRD. For the county's count, the sweep and
    any list that filters on it."""
    return (Referral.kind == "discharge", Referral.state.in_(OPEN_STATES), Referral.discharged_at.is_(None),
            Referral.discharge_ready_date.is_not(None), Referral.discharge_ready_date < today)


def delayed_today(hospital_ods: str | None = None, today: date | None = None) -> int:
    """The county's (or one hospital's) delayed days today: the patients still in
    hospital after their DRD."""
    stmt = select(func.count()).select_from(Referral).where(*delayed_on(today or uk_date(now())))
    if hospital_ods is not None:
        stmt = stmt.where(Referral.hospital_ods == hospital_ods)
    return db.session.scalar(stmt)


def delayed_now(today: date | None = None) -> list[tuple[str | None, int, int]]:
    """Per hospital, the patients for whom today is a delayed day and the delayed
    days they have between them so far (today - DRD each, as domain/discharge_days.delayed_days):
    [(hospital_ods, patients, delayed days)], by hospital. One aggregate."""
    today = today or uk_date(now())
    days = days_between(literal(today, Date), Referral.discharge_ready_date)
    rows = db.session.execute(
        select(Referral.hospital_ods, func.count(), func.coalesce(func.sum(days), 0))
        .where(*delayed_on(today)).group_by(Referral.hospital_ods).order_by(Referral.hospital_ods)).all()
    return [(hospital, int(patients), int(total)) for hospital, patients, total in rows]


def record_delay(referral, actor: Actor, code: str | None) -> None:
    """Today's delayed day, with its reason: once a day (a second is 409; two at
    once, the database's unique (referral, day) or the referral's version refuses one).
    The caller (services/actions.apply_event) commits."""
    policy = current_policy().discharge

    def todays_reason() -> dict:
        if code not in policy.delay_reasons:
            raise LifecycleError(f"Unknown delay reason '{code}': use one of {', '.join(policy.delay_reasons)}.",
                                 422, "reason")
        at = now()
        today = uk_date(at)
        row = next((d for d in referral.delayed_days if d.day == today), None)
        if row is not None and row.reason is not None:
            raise LifecycleError(
                f"Today's delay reason is already recorded: {policy.reason_label(row.reason)}.", 409)
        if row is None:  # else the daily alert made today's row, waiting for its reason
            row = DelayedDay(day=today, created_at=at)
            referral.delayed_days.append(row)
        row.reason, row.recorded_by, row.recorded_at = code, actor.name, at
        # The referral's own row changes too, so its version decides between this and a
        # discharge recorded at the same moment: one wins, the other is a 409.
        referral.updated_at = at
        return {"day": today.isoformat(), "reason_code": code, "label": policy.reason_label(code),
                "discharge_ready_date": referral.discharge_ready_date.isoformat(),
                "delayed_days": delayed_days(referral, today)}

    record_event(referral, "delay", actor, reason=code, effect=todays_reason)


def sweep(at: datetime | None = None) -> int:
    """The daily alert: from delay_alert_at (UK time) each day, every discharge for
    which today is a delayed day and nobody has recorded today's reason raises one
    alert to the SPOA supervisor. Returns how many were raised; commits.

    Safe to run every minute and from every worker at once: today's DelayedDay row
    is claimed with INSERT ... ON CONFLICT DO NOTHING, so whichever transaction
    inserts it alerts, and a reason already recorded (its row exists) is never
    alerted. A referral that becomes delayed after the alert time (received late,
    or ready again with a DRD already past) is alerted by the next pass."""
    at = at or now()
    local = to_uk(at)
    if local.time() < current_policy().discharge.delay_alert_at:
        return 0
    today = local.date()
    already = exists().where(DelayedDay.referral_id == Referral.id, DelayedDay.day == today)
    ids = db.session.scalars(select(Referral.id).where(*delayed_on(today), ~already).order_by(Referral.id)).all()
    raised = 0
    for start in range(0, len(ids), BATCH):
        raised += _alert(ids[start:start + BATCH], today, at)
    if not ids:
        db.session.rollback()  # a read: hold no transaction
    return raised


def _alert(ids: list, today: date, at: datetime) -> int:
    insert = (postgresql if is_postgresql(db.session) else sqlite).insert
    stmt = (insert(DelayedDay)
            .values([{"referral_id": i, "day": today, "alerted_at": at, "created_at": at} for i in ids])
            .on_conflict_do_nothing(index_elements=["referral_id", "day"])
            .returning(DelayedDay.referral_id))
    claimed = db.session.scalars(stmt).all()
    for referral in db.session.scalars(select(Referral).where(Referral.id.in_(claimed))):
        days = delayed_days(referral, today)
        notifying.alert(referral, flags.RECIPIENTS["supervisor"],
                      f"{referral.reference}: delayed {days} day{'' if days == 1 else 's'}, "
                      "no delay reason recorded today", ALERT_ID, at)
    db.session.commit()
    log.info("delay sweep day=%s alerted=%s", today.isoformat(), len(claimed))
    return len(claimed)
