"""Lifecycle actions on pages: which buttons a person sees, what they are called,
and the one POST endpoint they all use (worklist, referral page, live queue)."""
from flask import abort, flash, g, redirect, request, url_for

from ..lifecycle import BY_EVENT, LifecycleError, allowed_events
from ..policy import current_policy
from ..schemas.fields import whole_number
from ..services import capacity, duty
from ..services.actions import VersionMismatch, apply_event
from . import bp
from .auth import safe_path
from .roles import current_actor

BUTTONS = {
    "acknowledge": "Acknowledge",
    "accept": "Accept",
    "decline": "Decline",
    "first_contact": "Record first contact",
    "start_episode": "Start episode",
    "review_episode": "Record episode review",
    "complete": "Complete episode",
    "hand_on": "Hand on",
    "acknowledge_escalation": "Acknowledge escalation",
    "override": "Change route",
    "reassign": "Reassign",
    "triage": "Set route",
    "redirect": "Redirect to 999/ED",
    "cancel": "Cancel referral",
    "withdraw": "Withdraw",
    "add_information": "Add a note",
}
# Withdrawing is the referrer's act (its system, through the API) or a
# supervisor's from the referral page; on a list it would only be a slip away.
NOT_ON_LISTS = frozenset({"withdraw", "add_information", "redirect"})


def page_actions(referral, actor, on_list: bool = False) -> list[dict]:
    """The buttons for this person on this referral now. Reassign carries its
    choices: today's duty organisations other than the referral's own."""
    events = [e for e in allowed_events(referral, actor) if _worth_offering(referral, e)]
    if "triage" in events:  # from review a person sets the route; "change route" would say the same
        events.remove("override")
    return [
        {"event": e, "label": BUTTONS.get(e, e.replace("_", " ").capitalize()),
         "needs_reason": BY_EVENT[e].needs_reason, "needs_route": e in ("triage", "override"),
         "services": [o for o in duty_choices() if o[0] != referral.assigned_service] if e == "reassign" else None}
        for e in events if not (on_list and e in NOT_ON_LISTS)
    ]


def _worth_offering(referral, event: str) -> bool:
    """A button that could only answer "nothing to do" is not shown."""
    if event == "acknowledge_escalation":
        return any(c.status == "breached" and c.acknowledged_at is None for c in referral.clocks)
    return True


def duty_choices() -> list[tuple[str, str]]:
    """(code, "Name (n free)") for today's duty organisations; read once a request."""
    if "spoa_duty_choices" not in g:
        day = capacity.today()
        g.spoa_duty_choices = [
            (o.code, f"{o.name} ({capacity.declared_today(o, day) or 0} free)")
            for o in duty.organisations_on_duty(day)]
    return g.spoa_duty_choices


def service_routes() -> list[tuple[str, str]]:
    return list(current_policy().services.items())


@bp.post("/referrals/<referral_id>/events")
def fire_from_page(referral_id):
    from .referrals import referral_or_404

    referral = referral_or_404(referral_id, via="action")
    event = request.form.get("event", "")
    version = whole_number(request.form.get("version", ""))  # ASCII digits only: "²" is not a version
    back = safe_path(request.form.get("next"), url_for("web.worklist"))
    try:
        apply_event(referral, event, current_actor(), reason=request.form.get("reason"),
                    expected_version=version if isinstance(version, int) else None,
                    route=request.form.get("route") or None, urgency=request.form.get("urgency") or None,
                    service=request.form.get("service") or None)
        flash(f"{referral.reference}: {BY_EVENT[event].description}.")
    except VersionMismatch:
        flash(f"{referral.reference} was changed by someone else just before you: "
              "the page below is up to date, please check and try again.")
    except LifecycleError as exc:
        if exc.status == 403:
            abort(403)
        flash(f"{referral.reference}: {exc.message}")
    return redirect(back)
