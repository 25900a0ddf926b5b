"""A service's worklist: its open referrals (for a voluntary organisation, those
offered to it), nearest deadline first, and the lifecycle events its clinicians
may fire on each."""
from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..clocks import now
from ..extensions import db
from ..lifecycle import OPEN_STATES
from ..models import Referral
from . import bp
from .actions import page_actions, service_routes
from .referrals import actor_for_user


def _next_deadline(referral):
    running = [c.deadline for c in referral.clocks if c.is_running]
    return min(running) if running else None


@bp.get("/worklist")
def worklist():
    if current_user.role == "clinician":
        service = current_user.service
    elif current_user.role == "supervisor":
        service = request.args.get("service")
    else:
        abort(403)
    # Clocks in one query, not one per referral (the actions read them too).
    stmt = select(Referral).where(Referral.state.in_(OPEN_STATES)).options(selectinload(Referral.clocks))
    if service:
        stmt = stmt.where(or_(Referral.route == service, Referral.assigned_service == service))
    actor = actor_for_user(current_user)
    rows = [(r, _next_deadline(r), page_actions(r, actor, on_list=True)) for r in db.session.scalars(stmt)]
    far = now().replace(year=9999)
    rows.sort(key=lambda row: row[1] or far)
    return render_template("worklist.html", rows=rows, service=service,
                           routes=service_routes())
