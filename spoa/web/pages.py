"""What several staff pages share (the referral page, the worklist, the live queue
and the action they all post to): the referral a person may open, the lifecycle
buttons they see on it, and the choices those buttons offer."""
from flask import abort, g

from spoa.domain import access, discharge_days
from spoa.domain.lifecycle import BY_EVENT, allowed_events
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.models import Referral
from spoa.services import capacity, duty, flags
from spoa.services.actions import routes_a_person_may_choose
from spoa.web import bp
from spoa.web.action_fields import EXTRA_INPUTS, delay_reasons
from spoa.web.roles import current_actor

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
    "discharged": "Record discharge",
    "delay": "Record today's delay reason",
    "readiness_withdrawn": "Withdraw readiness",
    "ready_again": "Ready again",
    "return_to_sender": "Return to the ambulance service",
    "request_ambulance": "Request an ambulance",
}
# Withdrawing is the referrer's act (its system, through the API) or a
# supervisor's from the referral page; on a list it would only be a slip away.
# So is withdrawing a patient's readiness for discharge (the clocks stop): a
# clinical change made with the whole referral in view.
# Giving a pushed call back, or asking for an ambulance, ends it: from its page too.
NOT_ON_LISTS = frozenset({"withdraw", "add_information", "redirect", "readiness_withdrawn", "return_to_sender",
                          "request_ambulance"})


def referral_or_404(referral_id: str, via: str) -> Referral:
    """The referral, if the signed-in person may read it; else 404, as for one that
    does not exist (the refusal is recorded, spoa/domain/access.py: its row is this answer's one write)."""
    referral = access.readable_referral(current_actor(), referral_id, via)
    if referral is None:
        db.session.commit()
        abort(404)
    return referral


def page_actions(referral, actor, on_list: bool = False) -> list[dict]:
    """The buttons for this person on this referral now. Reassign carries its
    choices: today's duty organisations other than the referral's own."""
    events = [e for e in allowed_events(referral, actor) if _worth_offering(referral, e)]
    if "triage" in events:  # from review a person sets the route; "change route" would say the same
        events.remove("override")
    return [
        {"event": e, "label": BUTTONS.get(e, e.replace("_", " ").capitalize()),
         "needs_reason": BY_EVENT[e].needs_reason, "needs_route": e in ("triage", "override"),
         "services": [o for o in duty_choices() if o[0] != referral.assigned_service] if e == "reassign" else None,
         # A delay's reason is a code from discharge.yaml, chosen, not typed.
         "reasons": delay_reasons() if e == "delay" else None,
         "input": EXTRA_INPUTS.get(e)}  # discharged: when they left; ready_again: the new DRD
        for e in events if not (on_list and e in NOT_ON_LISTS)
    ]


def _worth_offering(referral, event: str) -> bool:
    """A button that could only answer "nothing to do" is not shown."""
    if event == "acknowledge_escalation":
        return referral.has_unacknowledged_breach
    if event == "delay":  # once a day: today's reason, once recorded, is recorded
        return discharge_days.reason_on(referral) is None
    return True


def duty_choices() -> list[tuple[str, str]]:
    """(code, "Name (n free)") for today's duty organisations; read once a request."""
    if "spoa_duty_choices" not in g:
        day = capacity.today()
        g.spoa_duty_choices = [
            (o.code, f"{o.name} ({capacity.declared_today(o, day) or 0} free)")
            for o in duty.organisations_on_duty(day)]
    return g.spoa_duty_choices


@bp.app_template_global()
def route_choices(referral=None) -> dict:
    """What a route button (set route, change route) offers, from the policy: the
    routes a person may choose for this referral (its services; for a discharge also
    a simple discharge home), the redirect to 999 or ED, and the urgencies, most
    urgent first. A template global: every page with buttons has it without passing it."""
    policy = current_policy()
    redirect = policy.redirect_route
    codes = routes_a_person_may_choose(referral) if referral is not None else list(policy.services)
    return {"services": [(code, policy.routes[code].name) for code in codes],
            "redirect": (redirect, policy.routes[redirect].name),
            "urgencies": policy.urgencies}


@bp.app_template_global()
def waiting_label(waiting_for: str) -> str:
    """A referral's waiting flag as its flags.yaml label, e.g. Waiting for bed."""
    return flags.label(current_policy(), waiting_for)
