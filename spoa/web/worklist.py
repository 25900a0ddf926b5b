"""A service's worklist: its open referrals, nearest deadline first, and the
lifecycle events its clinicians may fire on each."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..clocks import format_uk, now
from ..extensions import db
from ..lifecycle import OPEN_STATES, LifecycleError, allowed_events
from ..models import Referral
from ..services.actions import VersionMismatch, apply_event
from . import bp
from .referrals import actor_for_user, referral_or_404


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
        stmt = stmt.where(Referral.route == service)
    referrals = db.session.scalars(stmt).all()
    far = now().replace(year=9999)
    referrals.sort(key=lambda r: _next_deadline(r) or far)
    actor = actor_for_user(current_user)
    rows = [(r, _next_deadline(r), allowed_events(r, actor)) for r in referrals]
    return render_template("worklist.html", rows=rows, service=service, format_uk=format_uk)


@bp.post("/referrals/<referral_id>/events")
def fire_from_page(referral_id):
    referral = referral_or_404(referral_id)
    event = request.form.get("event", "")
    version = request.form.get("version", "")
    try:
        apply_event(referral, event, actor_for_user(current_user), reason=request.form.get("reason"),
                    expected_version=int(version) if version.isdigit() else None)
        flash(f"{referral.reference}: {event.replace('_', ' ')} recorded.")
    except VersionMismatch:
        flash(f"{referral.reference} was changed by someone else just before you: "
              "the list below is up to date, please check and try again.")
    except LifecycleError as exc:
        if exc.status == 403:
            abort(403)
        flash(f"{referral.reference}: {exc.message}")
    return redirect(url_for("web.worklist"))
