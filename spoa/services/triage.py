"""Triage: facts from the referral, a decision from the rules, the route applied."""
from rules.facts import derive_facts

from ..lifecycle import Actor
from ..models import TriageDecision
from ..clocks import add_duration, format_uk, now, receipt
from ..policy import current_policy, current_working_hours
from . import deadlines
from .events import record_event


def rules_input(referral) -> dict:
    """The referral in the intake schema's loaded shape: what rules/facts.py reads."""
    return {
        "source": referral.source,
        "emas_category": referral.emas_category,
        "patient": referral.patient,
        "presenting_need": referral.presenting_need,
        "pathways_disposition": referral.pathways_disposition,
        "red_flags": list(referral.red_flags or []),
        "observations": referral.observations or {},
        "mental_health": referral.mental_health or {},
        "function": referral.function or {},
        "consent": referral.consent,
    }


def preview(data: dict) -> dict:
    """The decision and clock targets a validated referral would get now (nothing stored)."""
    policy = current_policy()
    received = receipt(data.get("received_at"), now())
    facts = derive_facts(data, received_at=received)
    decision = policy.decide(facts)
    clocks = [
        {"name": t.name, "deadline": format_uk(add_duration(received, t.duration, t.counts, current_working_hours()))}
        for t in policy.clock_targets(decision.route, decision.urgency) if t.starts_from == "receipt" and t.duration
    ]
    return {"route": decision.route, "route_name": policy.routes[decision.route].name, "urgency": decision.urgency,
            "rule_id": decision.rule_id, "explanation": decision.explanation, "clocks": clocks}


def triage_by_rules(referral, actor: Actor | None = None) -> None:
    """Decide and apply the route of a newly received referral."""
    actor = actor or Actor.system()
    policy = current_policy()
    facts = derive_facts(
        rules_input(referral), received_at=referral.received_at,
        nhs_number_check_failed=referral.nhs_number_check_failed,
    )
    decision = policy.decide(facts)
    referral.decisions.append(TriageDecision(
        kind="rules", rule_id=decision.rule_id, route=decision.route, urgency=decision.urgency,
        rules_version=decision.rules_version, facts=decision.facts_used,
        explanation=decision.explanation, decided_by=actor.name,
    ))
    referral.route, referral.urgency = decision.route, decision.urgency
    deadlines.align_clocks_to_route(referral)
    detail = {"rule_id": decision.rule_id, "route": decision.route, "urgency": decision.urgency}
    if decision.route == "emergency_redirect":
        record_event(referral, "redirect", actor,
                     reason=decision.explanation, detail=detail)
    elif decision.route == "supervisor_review":
        record_event(referral, "review", actor, reason=decision.explanation, detail=detail)
    else:
        record_event(referral, "triage", actor, detail=detail)
        record_event(referral, "offer", actor, detail={"service": decision.route})


def route_by_person(referral, actor: Actor, route: str, urgency: str, reason: str | None,
                    event: str) -> None:
    """A supervisor sets the route (triage from review, or override). The
    rules' own decision stays on record beside this one."""
    policy = current_policy()
    referral.decisions.append(TriageDecision(
        kind="override" if event == "override" else "supervisor",
        rule_id=None, route=route, urgency=urgency, rules_version=policy.version,
        facts={}, explanation=f"Routed to {policy.routes[route].name} by {actor.name}.",
        reason=reason, decided_by=actor.name,
    ))
    previous = referral.route
    referral.route, referral.urgency = route, urgency
    detail = {"route": route, "urgency": urgency, "previous_route": previous}
    if route == "emergency_redirect":
        record_event(referral, "redirect", actor, reason=reason, detail=detail)
        return
    record_event(referral, event, actor, reason=reason, detail=detail)
    deadlines.align_clocks_to_route(referral)
    record_event(referral, "offer", actor, detail={"service": route})
