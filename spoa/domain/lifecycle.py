"""The referral's states and the one table of transitions between them.

One module-level machine (model=None) serves every referral row; services fire
``fire_event`` rather than setting ``state``. ``auto_transitions`` is off: the
generated ``to_<state>`` methods would bypass every guard. Guards are pure
functions of the event; callbacks do no I/O (transitions cannot roll back once
``on_enter`` has run), so the audit row is written by the caller in the same
database transaction.
"""
from collections.abc import Callable
from dataclasses import dataclass

from transitions import Machine, MachineError

from rules.policy_model import Policy
from spoa.domain.actor import Actor
from spoa.domain.relations import relations_of
from spoa.platform.timekeeping import now, uk_date

STATES = (
    "received",      # stored, not yet triaged (only ever seen inside intake's transaction)
    "in_review",     # supervisor_review: a person must decide the route
    "triaged",       # route set; offered to the service in the same transaction
    "offered",
    "accepted",
    "in_progress",   # first contact made / episode started
    "completed",
    "redirected",    # emergency or out of scope: 999/ED advised and recorded
    "cancelled",
    "withdrawn",
    "returned",      # a pushed 999 call given back to the ambulance service (return_to_sender)
)
CLOSED_STATES = frozenset({"completed", "redirected", "cancelled", "withdrawn", "returned"})
OPEN_STATES = tuple(s for s in STATES if s not in CLOSED_STATES)

# Who may fire an event, relative to the referral (spoa/domain/relations.py):
#   system       the rules engine and intake
#   supervisor   an SPOA supervisor (everything operational)
#   service      a clinician of, or a system bound to, the service the referral is routed to,
#                or the voluntary organisation on duty it is offered to (assigned_service)
#   referrer     the API client that sent it (never a person on its behalf)
#   call_handler an SPOA call handler (adds a further call's information)
#   hospital     a discharge's own hospital: its ward users and its system
SERVICE_WORK = frozenset({"service", "supervisor"})
# A hospital discharge's own events (the patient left, is not ready, is ready
# again, is delayed): its hospital's, the system that sent it, or the hub's supervisors.
HOSPITAL_WORK = frozenset({"hospital", "supervisor", "referrer"})
DISCHARGE = ("discharge",)
# A 999 call the ambulance service pushed to SPOA (BaRS Application 4): the service keeps
# the patient on its stack until SPOA takes the case, and takes it back when SPOA returns it.
PUSHED_CALL = ("pushed_call",)
# While SPOA works it, whatever its state; a closed referral records nothing more.
WORKED_STATES = ("in_review", "triaged", "offered", "accepted", "in_progress")


# Guards on a discharge's own columns: None when the event may happen, else why
# not (a 409). Pure: the referral's columns and today's UK date only.
def _in_hospital(referral) -> str | None:
    if getattr(referral, "discharged_at", None) is not None:
        return "the patient has already left hospital"
    return None


# Readiness withdrawn is the DRD being None (models/referral.py).
def _ready(referral) -> str | None:
    if _in_hospital(referral) or referral.discharge_ready_date is not None:
        return _in_hospital(referral)
    return "readiness for discharge is already withdrawn"


def _withdrawn(referral) -> str | None:
    if _in_hospital(referral) or referral.discharge_ready_date is None:
        return _in_hospital(referral)
    return "the patient is already ready for discharge"


def _delayed(referral) -> str | None:
    """Still in hospital, still ready, and today (UK) after the discharge ready date."""
    refused = _in_hospital(referral)
    if refused:
        return refused
    drd = referral.discharge_ready_date
    if drd is None:
        return "readiness for discharge is withdrawn"
    if uk_date(now()) <= drd:
        return f"it is not delayed until the day after its discharge ready date ({drd.isoformat()})"
    return None


@dataclass(frozen=True)
class Transition:
    event: str
    sources: tuple
    dest: str | None  # None: an internal transition, the state does not change
    allowed: frozenset
    needs_reason: bool = False
    description: str = ""
    routes: tuple | None = None  # only for referrals on these routes (None: any route)
    kinds: tuple | None = None  # only for referrals of these kinds, e.g. discharge (None: any kind)
    # Routes on which this event closes the referral (completed) instead of going to ``dest``.
    closes_on: tuple = ()
    guard: Callable | None = None  # referral -> why it may not happen now (409), or None
    verb: str = ""  # how messages say doing it, where the event's name is not a verb


TRANSITIONS = (
    Transition("triage", ("received", "in_review"), "triaged",
               frozenset({"system", "supervisor"}), description="Route set"),
    Transition("review", ("received",), "in_review", frozenset({"system"}),
               description="Sent to a supervisor to route"),
    Transition("redirect", ("received", "in_review", "triaged", "offered", "accepted"),
               "redirected", frozenset({"system", "supervisor"}),
               description="Redirected to 999/ED or out of scope"),
    Transition("offer", ("triaged",), "offered", frozenset({"system", "supervisor"}),
               description="Offered to the service"),
    Transition("acknowledge", ("offered",), "offered", SERVICE_WORK,
               description="Acknowledged by the service"),
    Transition("accept", ("offered",), "accepted", SERVICE_WORK, description="Accepted"),
    Transition("decline", ("offered",), "in_review", SERVICE_WORK, needs_reason=True,
               description="Declined: back to a supervisor"),
    Transition("override", ("in_review", "triaged", "offered", "accepted"), "triaged",
               frozenset({"supervisor"}), needs_reason=True,
               description="Route overridden by a supervisor"),
    # Another voluntary organisation on duty takes it over: the first one's place
    # is released, the new one's taken (services/duty.py).
    Transition("reassign", ("offered", "accepted"), "offered", frozenset({"supervisor"}), needs_reason=True,
               description="Reassigned to another organisation on duty", routes=(Policy.duty_route,)),
    Transition("first_contact", ("accepted",), "in_progress", SERVICE_WORK,
               description="First contact made"),
    Transition("start_episode", ("accepted", "in_progress"), "in_progress", SERVICE_WORK,
               description="Episode started"),
    Transition("review_episode", ("in_progress",), "in_progress", SERVICE_WORK,
               description="Episode reviewed"),
    Transition("complete", ("in_progress",), "completed", SERVICE_WORK,
               description="Episode completed"),
    Transition("hand_on", ("in_progress",), "in_review", SERVICE_WORK, needs_reason=True,
               description="Handed on: a supervisor routes it onward"),
    Transition("cancel", OPEN_STATES, "cancelled", frozenset({"supervisor"}),
               needs_reason=True, description="Cancelled"),
    Transition("acknowledge_escalation", ("in_review", "triaged", "offered", "accepted", "in_progress"),
               None, SERVICE_WORK,
               description="Escalation acknowledged: a person has it, the chain pauses"),
    # The referrer's own decision (the patient was admitted, the crew found them
    # well): theirs or a supervisor's, and always with the reason why.
    Transition("withdraw", OPEN_STATES, "withdrawn", frozenset({"referrer", "supervisor"}),
               needs_reason=True, description="Withdrawn by the referrer"),
    # A second call about a patient who already has an open referral: the new
    # information joins that referral instead of starting a parallel one. The
    # reason carries the note.
    Transition("add_information", OPEN_STATES, None, frozenset({"referrer", "supervisor", "service", "call_handler"}),
               needs_reason=True, description="More information added"),
    # A flag from rules/policy/flags.yaml (e.g. waiting for a bed), raised when a
    # route is set; the reason is the flag's explanation. Never fired by hand.
    Transition("flag", OPEN_STATES, None, frozenset({"system", "supervisor"}),
               description="Flagged"),
    # A hospital discharge (services/discharge.py, services/delays.py). The patient
    # left hospital: a simple discharge (no new care) is then done; on any other
    # route the service's work goes on, and the welfare check's clock starts.
    Transition("discharged", WORKED_STATES, None, HOSPITAL_WORK, kinds=DISCHARGE,
               closes_on=(Policy.simple_discharge_route,), guard=_in_hospital,
               verb="record the discharge of", description="Discharged from hospital"),
    Transition("readiness_withdrawn", WORKED_STATES, None, HOSPITAL_WORK, needs_reason=True, kinds=DISCHARGE,
               guard=_ready, verb="withdraw readiness for",
               description="No longer ready for discharge: the discharge ready date is withdrawn"),
    Transition("ready_again", WORKED_STATES, None, HOSPITAL_WORK, kinds=DISCHARGE, guard=_withdrawn,
               verb="record readiness again for", description="Ready for discharge again, with a new date"),
    # Today's delayed day, with its reason (a discharge.yaml code): once a day.
    Transition("delay", WORKED_STATES, None, HOSPITAL_WORK, needs_reason=True, kinds=DISCHARGE,
               guard=_delayed, verb="record a delay on", description="Delay reason recorded for today"),
    # A pushed call given back to the ambulance service, with a rejected-reasons-bars code
    # (rules/policy_model.py RETURN_REASONS): by the rules at intake (needs an ambulance, out of area), by
    # the crisis service or a supervisor, or by SPOA itself when its breach time passes untaken.
    Transition("return_to_sender", OPEN_STATES, "returned", frozenset({"system", "supervisor", "service"}),
               needs_reason=True, kinds=PUSHED_CALL, verb="return",
               description="Returned to the ambulance service"),
    # The clinician finds the patient needs an ambulance after all: the call ends, and the
    # ambulance service is told that despatch is required.
    Transition("request_ambulance", ("accepted", "in_progress"), "redirected", SERVICE_WORK,
               needs_reason=True, kinds=PUSHED_CALL, verb="request an ambulance for",
               description="Ambulance requested: the patient needs one after all"),
)
BY_EVENT = {t.event: t for t in TRANSITIONS}
EVENTS = tuple(BY_EVENT)
# Events a caller may fire through the API or a page; the rest belong to intake and
# the rules. (`triage` is public for supervisors routing a referral from review.)
PUBLIC_EVENTS = tuple(e for e in EVENTS if e not in ("review", "offer", "flag"))


class LifecycleError(Exception):
    """The event cannot happen now. ``status`` is the HTTP answer it deserves."""

    def __init__(self, message: str, status: int = 409, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def _doing(transition: Transition, what: str) -> str:
    """'decline this referral', 'record the discharge of this referral'."""
    return f"{transition.verb or transition.event.replace('_', ' ')} {what}"


def _reason_message(transition: Transition) -> str:
    return f"A reason is required to {_doing(transition, 'it') if transition.verb else _doing(transition, '').strip()}."


def _reason_given(event_data) -> bool:
    transition = BY_EVENT[event_data.event.name]
    reason = event_data.kwargs.get("reason")
    if transition.needs_reason and not (reason and reason.strip()):
        raise LifecycleError(_reason_message(transition), 422, "reason")
    return True


def _closes_here(event_data) -> bool:
    return event_data.model.route in BY_EVENT[event_data.event.name].closes_on


def _machine_transitions(t: Transition) -> list[dict]:
    # An event that closes the referral on some routes is two machine transitions
    # under one trigger: the machine takes the first whose conditions hold.
    normal = {"trigger": t.event, "source": list(t.sources), "dest": t.dest, "conditions": [_reason_given]}
    if not t.closes_on:
        return [normal]
    return [{**normal, "dest": "completed", "conditions": [_reason_given, _closes_here]}, normal]


LIFECYCLE = Machine(
    model=None,
    states=list(STATES),
    initial="received",
    auto_transitions=False,
    send_event=True,
    model_attribute="state",
    transitions=[m for t in TRANSITIONS for m in _machine_transitions(t)],
)


def refusal(referral, transition: Transition, relations: frozenset) -> LifecycleError | None:
    """Why ``transition`` may not happen to ``referral`` now, for someone with these
    relations to it (spoa/domain/relations.py), or None when it may. The one list of
    refusals: fire_event raises it, allowed_events lists the events with none."""
    if not (relations & transition.allowed):
        return LifecycleError(f"You may not {_doing(transition, 'this referral')}.", 403)
    if not _of_kind(transition, referral):
        return LifecycleError(f"Cannot {_doing(transition, f'a {_kind(referral)} referral')}.", 409)
    if referral.state not in transition.sources:
        return LifecycleError(
            f"Cannot {_doing(transition, 'a referral that is ' + referral.state.replace('_', ' '))}.", 409)
    if not _on_route(transition, referral):
        routed = (referral.route or 'nowhere').replace('_', ' ')
        return LifecycleError(f"Cannot {_doing(transition, 'a referral routed to ' + routed)}.", 409)
    refused = transition.guard(referral) if transition.guard else None
    if refused:
        return LifecycleError(f"Cannot {_doing(transition, 'this referral')}: {refused}.", 409)
    return None


def _may_happen(referral, event: str, actor: Actor) -> Transition:
    transition = BY_EVENT.get(event)
    if transition is None:
        raise LifecycleError(f"Unknown event '{event}'.", 422, "event")
    refused = refusal(referral, transition, relations_of(actor, referral))
    if refused is not None:
        raise refused
    return transition


def check_event(referral, event: str, actor: Actor, reason: str | None = None) -> None:
    """Raise the LifecycleError fire_event would, moving nothing: for a use case
    that must know the event may happen before it locks or changes other rows."""
    transition = _may_happen(referral, event, actor)
    if transition.needs_reason and not (reason and reason.strip()):
        raise LifecycleError(_reason_message(transition), 422, "reason")


def fire_event(referral, event: str, actor: Actor, reason: str | None = None) -> tuple[str, str]:
    """Move ``referral`` by ``event``; returns (from_state, to_state).

    Raises LifecycleError: 422 for an unknown event or a missing reason, 403 when
    the actor may not fire it on this referral, 409 when the state (or the
    referral's route, for an event only some routes have) forbids it.
    """
    _may_happen(referral, event, actor)
    before = referral.state
    try:
        LIFECYCLE.events[event].trigger(referral, reason=reason)
    except MachineError as exc:  # the table above and the machine disagree: a bug, not input
        raise LifecycleError(str(exc), 409) from exc
    return before, referral.state


def _on_route(transition: Transition, referral) -> bool:
    return transition.routes is None or referral.route in transition.routes


def _kind(referral) -> str:
    return getattr(referral, "kind", None) or "community"


def _of_kind(transition: Transition, referral) -> bool:
    return transition.kinds is None or _kind(referral) in transition.kinds


def allowed_events(referral, actor: Actor) -> list[str]:
    """The public events this actor could fire on this referral now (for pages and the API)."""
    relations = relations_of(actor, referral)
    return [e for e in PUBLIC_EVENTS if refusal(referral, BY_EVENT[e], relations) is None]
