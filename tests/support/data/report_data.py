"""Rows for report tests, inserted directly with the instants a test names:
quick (no HTTP, no rules, no lifecycle), so a test can hand-count what each
report figure should be. Every builder adds to the session; call ``commit()``
before building the report.

    r = referral("2026-10-24T23:30Z", source="gp", route="crisis_response")
    clock(r, "first_contact", deadline="2026-10-25T01:30Z", met_at="2026-10-25T01:30Z")
    first_contact(r, "2026-10-25T01:10Z")
    commit()
"""
import itertools
from datetime import UTC, date, datetime, timedelta

from spoa.extensions import db
from spoa.models import AuditEvent, Clock, Referral, TriageDecision

_numbers = itertools.count(1)


def utc(value) -> datetime | None:
    """An instant from ISO text ("2026-10-24T23:30Z") or an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def referral(received_at, *, source="gp", route="crisis_response", state="triaged", urgency="urgent",
             kind="community", **columns) -> Referral:
    n = next(_numbers)
    row = Referral(
        reference=f"RPT{n:07d}", source=source, source_reference=f"report-test-{n}", content_hash=f"{n:064d}",
        channel="api", received_at=utc(received_at), state=state, route=route, urgency=urgency, kind=kind,
        given_name="Report", family_name=f"Fixture {n}", date_of_birth=date(1940, 1, 1), postcode="NN1 1AA",
        presenting_need="fall_no_injury", red_flags=[], consent=True, **columns)
    db.session.add(row)
    return row


def clock(referral: Referral, name="first_contact", *, deadline, started_at=None, met_at=None, breached_at=None,
          cancelled_at=None, counts="24/7", route=None) -> Clock:
    """A clock as the app leaves it: status from what happened to it (met, cancelled,
    breached recorded, or running). A deadline passed with nothing recorded is left
    "running", as it is until the reconciler's next pass (reports must not wait for it).
    Like deadlines._new_clock, it keeps the route it is started for (default: the
    referral's route when the clock is made) and its referral's receipt."""
    met_at, breached_at, cancelled_at = utc(met_at), utc(breached_at), utc(cancelled_at)
    status = ("met" if met_at else "cancelled" if cancelled_at else "breached" if breached_at else "running")
    row = Clock(name=name, route=route or referral.route, received_at=referral.received_at,
                counts=counts, met_by=[], started_at=utc(started_at) or referral.received_at,
                deadline=utc(deadline), status=status, met_at=met_at, breached_at=breached_at,
                cancelled_at=cancelled_at, created_at=referral.received_at)  # written at receipt
    referral.clocks.append(row)
    return row


def due_in(referral: Referral, name="first_contact", hours=2, **outcome) -> Clock:
    """A clock due ``hours`` after receipt."""
    return clock(referral, name, deadline=referral.received_at + timedelta(hours=hours), **outcome)


def decision(referral: Referral, kind="rules", *, route=None, rule_id=None, at=None, urgency="urgent",
             reason=None) -> TriageDecision:
    """A triage decision (kind rules, supervisor, override or duty); ``at`` defaults to receipt."""
    row = TriageDecision(
        kind=kind, rule_id=rule_id, route=route or referral.route, urgency=urgency, rules_version="test",
        facts={}, explanation=f"Decided by {kind} in a report test.", reason=reason,
        decided_by="system" if kind in ("rules", "duty") else "Test supervisor",
        created_at=utc(at) or referral.received_at)
    referral.decisions.append(row)
    return row


def event(referral: Referral, name: str, at, *, reason=None, detail=None, from_state=None,
          to_state=None) -> AuditEvent:
    row = AuditEvent(at=utc(at), actor_kind="user", actor_id=None, actor_name="Test worker", event=name,
                     from_state=from_state, to_state=to_state, reason=reason, detail=detail)
    referral.history.append(row)
    return row


def first_contact(referral: Referral, at) -> AuditEvent:
    """Its audit row, and (the first one only, as services/events.py does) the
    referral's first_contact_at."""
    if referral.first_contact_at is None:
        referral.first_contact_at = utc(at)
    return event(referral, "first_contact", at, from_state="accepted", to_state="in_progress")


def decline(referral: Referral, at, reason: str, by_route: str | None = None) -> AuditEvent:
    """Declined by the service of ``by_route`` (the route it was on then; its own now by default)."""
    return event(referral, "decline", at, reason=reason, detail={"service": by_route or referral.route},
                 from_state="offered", to_state="in_review")


def review(referral: Referral, rule_id: str, *, at=None, for_want_of_duty=False) -> AuditEvent:
    """Sent to a supervisor as triage.py does: the rules' decision and the review event
    naming its rule. ``for_want_of_duty``: the rules chose the voluntary sector (``rule_id``)
    and no organisation on duty could take it (a duty decision beside the rules')."""
    at = utc(at) or referral.received_at
    referral.route, referral.state = "supervisor_review", "in_review"
    detail = {"rule_id": rule_id, "route": "supervisor_review", "urgency": referral.urgency}
    if for_want_of_duty:
        decision(referral, route="voluntary_sector", rule_id=rule_id, at=at)
        decision(referral, "duty", route="supervisor_review", at=at, reason="No organisation is on duty")
        detail.update(rules_route="voluntary_sector", duty="No organisation is on duty", on_duty=[])
    else:
        decision(referral, route="supervisor_review", rule_id=rule_id, at=at)
    return event(referral, "review", at, reason="Sent to a supervisor in a report test.", detail=detail,
                 from_state="received", to_state="in_review")


def override(referral: Referral, at, to_route: str, reason="Supervisor knows better") -> TriageDecision:
    """A supervisor's override: its decision and its audit row (a redirect's own event when
    overridden to 999/ED, as triage.route_by_person writes); the referral moves to ``to_route``."""
    previous, referral.route = referral.route, to_route
    event(referral, "redirect" if to_route == "emergency_redirect" else "override", at, reason=reason,
          detail={"route": to_route, "urgency": referral.urgency, "previous_route": previous})
    return decision(referral, "override", route=to_route, at=at, reason=reason)


def commit() -> None:
    db.session.commit()
