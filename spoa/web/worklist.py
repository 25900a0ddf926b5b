"""A service's worklist: its open referrals (for a voluntary organisation, those
offered to it), nearest deadline first, and the lifecycle events its clinicians
may fire on each."""
from flask import abort, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select

from ..clocks import format_uk, now
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
    stmt = select(Referral).where(Referral.state.in_(OPEN_STATES))
    if service:
        stmt = stmt.where(or_(Referral.route == service, Referral.assigned_service == service))
    referrals = db.session.scalars(stmt).all()
    far = now().replace(year=9999)
    referrals.sort(key=lambda r: _next_deadline(r) or far)
    actor = actor_for_user(current_user)
    rows = [(r, _next_deadline(r), page_actions(r, actor, on_list=True)) for r in referrals]
    return render_template("worklist.html", rows=rows, service=service, format_uk=format_uk,
                           routes=service_routes())
