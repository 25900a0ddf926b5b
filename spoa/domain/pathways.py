"""Discharge pathways, and a discharge's days, as people read them (standards.md section 2): P0 home with no
new care, P1 home with support, P2 a community bed, P3 a care-home bed to assess.

The pathway a discharge is on is its route's (clocks.yaml `pathway`, set by
services/triage.set_route); the ward's proposal is kept beside it and never
decides. One wording of the difference, for answers and pages alike."""


def pathway_label(pathway: int | None) -> str | None:
    return None if pathway is None else f"P{pathway}"


def pathway_note(proposed: int | None, reached: int | None) -> str | None:
    """"Ward proposed P1, needs say P2." when the ward's pathway and the route's differ;
    None when they agree, or either is not known (a person is still to decide)."""
    if proposed is None or reached is None or proposed == reached:
        return None
    return f"Ward proposed {pathway_label(proposed)}, needs say {pathway_label(reached)}."


def days(n: int) -> str:
    """"1 day", "2 days": a discharge's delayed days or days to its ready date."""
    return f"{n} day" if n == 1 else f"{n} days"


def ready_words(days_ahead: int) -> str:
    """"Ready today", "Ready tomorrow", "Ready in 3 days": a discharge before its DRD,
    as the ward's page and the queue's lane both say it."""
    return {0: "Ready today", 1: "Ready tomorrow"}.get(days_ahead, f"Ready in {days(days_ahead)}")
