"""The ward's page: its hospital's patients awaiting discharge (soonest ready date
first, so the longest delayed lead), and those discharged in the last week.
What a ward user may read is the access policy's (spoa/domain/access.py): this page
only orders it. A supervisor sees every hospital's, or one's (?hospital=RNS01)."""
from datetime import timedelta

from flask import render_template, request
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spoa.domain import access
from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.models import Referral
from spoa.platform.timekeeping import now
from spoa.schemas.form_input import HospitalCode
from spoa.web import bp
from spoa.web.pages import page_actions
from spoa.web.roles import allowed, current_actor

# Long enough to see the week's discharges through to their welfare checks.
RECENTLY = timedelta(days=7)


@bp.get("/ward")
@allowed(access.may_see_ward)
def ward_discharges():
    actor = current_actor()
    hospital, error = (actor.hospital, None) if actor.role == "ward" else _hospital_asked()
    if error:
        return render_template("ward.html", waiting=[], left=[], hospital=None, error=error, is_ward=False), 422
    # Delayed days and clocks in one query each, not one per row (today's reason is shown
    # beside each delay; a supervisor's "acknowledge escalation" is offered by the clocks).
    mine = select(Referral).where(access.readable(actor), Referral.kind == "discharge").options(
        selectinload(Referral.delayed_days), selectinload(Referral.clocks))
    if hospital:
        mine = mine.where(Referral.hospital_ods == hospital)
    waiting = db.session.scalars(mine.where(Referral.discharged_at.is_(None), Referral.state.in_(OPEN_STATES)).order_by(
        Referral.discharge_ready_date.is_(None), Referral.discharge_ready_date, Referral.received_at)).all()
    # The buttons the ward needs most, on the row: record the discharge, today's delay, ready again.
    waiting = [(r, page_actions(r, actor, on_list=True)) for r in waiting]
    left = db.session.scalars(mine.where(Referral.discharged_at >= now() - RECENTLY).order_by(
        Referral.discharged_at.desc())).all()
    return render_template("ward.html", waiting=waiting, left=left, hospital=hospital, error=None,
                           is_ward=actor.role == "ward")


def _hospital_asked() -> tuple[str | None, str | None]:
    """A supervisor's ?hospital=: (its code, None), or (None, why not) for a code no
    hospital has (never passed to the database: PostgreSQL refuses a NUL in text)."""
    asked = request.args.get("hospital")
    if not asked:
        return None, None
    try:
        return HospitalCode().deserialize(asked), None
    except ValidationError as exc:
        return None, exc.messages[0]
