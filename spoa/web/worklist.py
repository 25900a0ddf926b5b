"""A service's worklist: its open referrals (for a voluntary organisation, those
offered to it), nearest deadline first, and the lifecycle events its clinicians
may fire on each."""
from flask import render_template, request
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from spoa.domain import access
from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.models import Referral
from spoa.platform.timekeeping import now
from spoa.web import bp
from spoa.web.pages import page_actions
from spoa.web.roles import allowed, check, current_actor


def _next_deadline(referral):
    running = [c.deadline for c in referral.clocks if c.is_running]
    return min(running) if running else None


@bp.get("/worklist")
@allowed(access.may_see_worklist)
def worklist():
    actor = current_actor()
    service = request.args.get("service") or None
    check(access.may_see_worklist, service)  # another service's list is not a clinician's to see
    if actor.role == "clinician":
        service = actor.service
    # Clocks and delayed days in one query each, not one per referral (the actions read
    # them too: "record a delay" is offered by a discharge's delayed days).
    stmt = (select(Referral).where(Referral.state.in_(OPEN_STATES), access.readable(actor))
            .options(selectinload(Referral.clocks), selectinload(Referral.delayed_days)))
    if service:
        # A service's work, not what its clinician once acted on (readable, read-only).
        stmt = stmt.where(or_(Referral.route == service, Referral.assigned_service == service))
    rows = [(r, _next_deadline(r), page_actions(r, actor, on_list=True)) for r in db.session.scalars(stmt)]
    far = now().replace(year=9999)
    rows.sort(key=lambda row: row[1] or far)
    return render_template("worklist.html", rows=rows, service=service)
