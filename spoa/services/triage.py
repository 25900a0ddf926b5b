"""Triage: facts from the referral, a decision from the rules, the route applied.

A voluntary_sector route is offered to an organisation on duty in the same
transaction (duty.py); with none on duty, or none with a place free, the
rules' referral goes to a supervisor instead. Once the route is set, the
policy's flags (flags.yaml, e.g. waiting for a bed) are raised (flags.py).
"""
from rules.facts import derive_facts
from spoa.domain import vocab
from spoa.domain.actor import Actor
from spoa.domain.lifecycle import LifecycleError, check_event
from spoa.domain.pathways import pathway_note
from spoa.domain.policy import current_policy
from spoa.models import TriageDecision
from spoa.platform.timekeeping import format_uk, now, receipt
from spoa.services import capacity, deadlines, duty, flags, returns
from spoa.services.events import record_event


def rules_input(referral) -> dict:
    """A stored referral in the intake schema's loaded shape: what rules/facts.py reads,
    for a referral triaged again (by a person, or after a decline) and for replay;
    intake derives its facts from the validated data itself. The discharge section
    as received (its DRD, not a later one from ready_again): the facts of a stored
    referral are those it was triaged on."""
    return {
        "source": referral.source,
        "kind": referral.kind or "community",
        **({"discharge": referral.discharge} if referral.discharge is not None else {}),
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
    """The decision and clock targets a validated referral would get now (nothing stored);
    for a discharge, also the pathway reached (and its name) and the ward's proposed one."""
    policy = current_policy()
    received = receipt(data.get("received_at"), now())
    facts = intake_facts(data, received)
    decision = policy.decide(facts)
    drd = (data.get("discharge") or {}).get("discharge_ready_date")
    clocks = [{"name": name, "deadline": format_uk(deadline)} for name, deadline in deadlines.from_receipt(
        decision.route, decision.urgency, received, kind=data.get("kind") or "community", drd=drd)]
    pathway = pathway_of(decision.route, data.get("kind") == "discharge")
    proposed = (data.get("discharge") or {}).get("proposed_pathway")
    return {"route": decision.route, "route_name": policy.routes[decision.route].name, "urgency": decision.urgency,
            "rule_id": decision.rule_id, "explanation": decision.explanation, "clocks": clocks,
            # a discharge's pathway beside the ward's proposal (None on a community referral)
            "pathway": pathway, "pathway_name": vocab.PATHWAY_NAMES.get(pathway), "proposed_pathway": proposed,
            "pathway_note": pathway_note(proposed, pathway)}


def facts_of(referral) -> dict:
    """The facts of a stored referral (the same as intake derived from its data)."""
    return derive_facts(
        rules_input(referral), received_at=referral.received_at,
        nhs_number_check_failed=referral.nhs_number_check_failed,
    )


def intake_facts(data: dict, received_at, nhs_number_check_failed: bool = False) -> dict:
    """The facts of a validated referral, from the data as loaded: derived once, at
    intake, not rebuilt from the row it has just been stored as."""
    return derive_facts(data, received_at=received_at, nhs_number_check_failed=nhs_number_check_failed)


def set_route(referral, route: str, urgency: str | None = None) -> None:
    """Set the route (and urgency, when given), and with it a discharge's pathway:
    the one its route is on (clocks.yaml `pathway`), None while a person must
    decide. Every place a route is set comes here, so the pathway shown beside
    the ward's proposal is always the route's. None on a community referral."""
    referral.route = route
    if urgency is not None:
        referral.urgency = urgency
    referral.pathway = pathway_of(route, referral.is_discharge)


def pathway_of(route: str, is_discharge: bool) -> int | None:
    """The discharge pathway a route is on (clocks.yaml); a community referral has none."""
    return current_policy().routes[route].pathway if is_discharge else None


def _offer_detail(route: str, organisation) -> dict:
    if organisation is None:
        return {"service": route}
    return {"service": route, "organisation": organisation.code, "organisation_name": organisation.name}


def triage_by_rules(referral, facts: dict, actor: Actor | None = None) -> None:
    """Decide and apply the route of a newly received referral, from its ``facts``
    (intake_facts)."""
    actor = actor or Actor.system()
    policy = current_policy()
    decision = policy.decide(facts)
    referral.decisions.append(TriageDecision(
        kind="rules", rule_id=decision.rule_id, route=decision.route, urgency=decision.urgency,
        rules_version=decision.rules_version, facts=decision.facts_used, inputs=facts,
        explanation=decision.explanation, decided_by=actor.name,
    ))
    organisation = None
    if decision.route == policy.duty_route:
        try:
            organisation = duty.offer(referral)
        except duty.NoOrganisation as none:
            _review_for_want_of_duty(referral, actor, decision, none)
            return
    set_route(referral, decision.route, decision.urgency)
    deadlines.align_clocks_to_route(referral)
    detail = {"rule_id": decision.rule_id, "route": decision.route, "urgency": decision.urgency}
    if decision.route == policy.redirect_route:
        record_event(referral, "redirect", actor,
                     reason=decision.explanation, detail=detail)
        return
    if decision.returns is not None:
        _return_at_once(referral, actor, decision, detail)
        return
    if decision.route == policy.review_route:
        record_event(referral, "review", actor, reason=decision.explanation, detail=detail)
    else:
        record_event(referral, "triage", actor, detail=detail)
        _offer(referral, actor, decision.route, organisation)
    flags.apply(referral, actor, facts)


def _return_at_once(referral, actor: Actor, decision, detail: dict) -> None:
    """Rows P1, P2: the pushed call goes back to the ambulance service as it arrives,
    with the rule's reason code and words; the supervisor told when the rule says so."""
    gone = decision.returns
    record_event(referral, "return_to_sender", actor, reason=decision.explanation,
                 detail=returns.detail(gone.reason_code, gone.reason, False, **detail))
    if gone.alert == "supervisor":
        returns.alert_supervisor(referral, gone.reason, alert_id=decision.rule_id)


def _offer(referral, actor: Actor, route: str, organisation) -> None:
    """Offer it to the route's service. A route no service works (discharge_simple:
    the ward discharges with no new care) is offered to no one: it stays triaged,
    the route set, until the ward records the discharge."""
    if current_policy().routes[route].is_service:
        record_event(referral, "offer", actor, detail=_offer_detail(route, organisation))


def _review_for_want_of_duty(referral, actor: Actor, decision, none: "duty.NoOrganisation") -> None:
    """The rules chose the voluntary sector but no organisation on duty can take
    it today: a supervisor routes it. The rules' decision stays on record, with
    this one beside it saying why."""
    policy = current_policy()
    explanation = f"{none.reason}, so a supervisor must route this voluntary-sector referral."
    referral.decisions.append(TriageDecision(
        kind="duty", rule_id=None, route=policy.review_route, urgency=decision.urgency,
        rules_version=policy.version, facts={"date": capacity.today().isoformat(), "on_duty": none.on_duty},
        explanation=explanation, reason=none.reason, decided_by=actor.name,
    ))
    set_route(referral, policy.review_route, decision.urgency)
    deadlines.align_clocks_to_route(referral)
    record_event(referral, "review", actor, reason=explanation, detail={
        "rule_id": decision.rule_id, "route": policy.review_route, "urgency": decision.urgency,
        "rules_route": decision.route, "duty": none.reason, "on_duty": none.on_duty})


def route_by_person(referral, actor: Actor, route: str, urgency: str, reason: str | None,
                    event: str) -> None:
    """A supervisor sets the route (triage from review, or override). The
    rules' own decision stays on record beside this one.

    To the voluntary sector, it is offered to an organisation on duty (one it
    is already with keeps it); with none able to take it the supervisor is
    refused (409) and nothing changes. Away from the voluntary sector, its
    organisation's place is given back."""
    policy = current_policy()
    check_event(referral, "redirect" if route == policy.redirect_route else event, actor, reason)
    organisation, left = None, None
    if route == policy.duty_route and referral.assigned_service and referral.route == policy.duty_route:
        pass  # already with an organisation: a change of urgency keeps it there
    elif route == policy.duty_route:
        try:
            organisation = duty.offer(referral)
        except duty.NoOrganisation as none:
            raise LifecycleError(f"{none.reason}: choose another route, or try again when one has a place.",
                                 409, "route") from None
    elif referral.assigned_service:
        left = duty.release(referral)
        referral.assigned_service = None
    referral.decisions.append(TriageDecision(
        kind="override" if event == "override" else "supervisor",
        rule_id=None, route=route, urgency=urgency, rules_version=policy.version,
        facts={}, explanation=f"Routed to {policy.routes[route].name} by {actor.name}.",
        reason=reason, decided_by=actor.name,
    ))
    previous = referral.route
    set_route(referral, route, urgency)
    detail = {"route": route, "urgency": urgency, "previous_route": previous, **(left or {})}
    if route == policy.redirect_route:
        record_event(referral, "redirect", actor, reason=reason, detail=detail)
        return
    record_event(referral, event, actor, reason=reason, detail=detail)
    deadlines.align_clocks_to_route(referral)
    if organisation is None and route == policy.duty_route:
        organisation = duty.organisation(referral.assigned_service)
    _offer(referral, actor, route, organisation)
    flags.apply(referral, actor, facts_of(referral))


def reapply_flags(referral, actor: Actor) -> None:
    """After the route changed by other means (decline, hand on): a flag that no longer holds is cleared."""
    flags.apply(referral, actor, facts_of(referral))
