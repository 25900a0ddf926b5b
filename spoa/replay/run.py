"""The replay: every rules decision of a period decided again by a candidate policy.

Each referral received in the period has one rules decision (the last of kind
"rules": Referral.rules_decision). It is decided again on the facts it was
decided on, as stored (triage_decisions.inputs); a decision from before those
were stored (migration 0015) has its facts re-derived from the referral, as
triage would (services/triage.facts_of), and is counted so. The rows are
streamed a batch at a time on a read-only connection (read_only.py): a year's
decisions are never in memory at once, and nothing is written.
"""
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from rules.errors import DecisionError
from rules.facts import FactError
from rules.policy_model import Policy
from spoa.domain.period import Period
from spoa.models import Referral, TriageDecision
from spoa.replay.read_only import read_only_connection
from spoa.services.triage import facts_of

BATCH = 2000  # rows fetched at a time; a batch's pre-0015 referrals are loaded in one query
FAILURES_KEPT = 100  # a policy that cannot decide many will say so on the first ones


@dataclass(frozen=True)
class Change:
    """A referral the candidate would route (or rate) differently: before, as decided; after, as replayed."""

    reference: str
    received_at: datetime
    old_route: str
    old_urgency: str
    old_rule: str
    old_explanation: str
    new_route: str
    new_urgency: str
    new_rule: str
    new_explanation: str
    rederived: bool  # decided before its facts were stored: replayed on facts re-derived now


@dataclass
class Tally:
    """The counts of one replay, added to as the rows stream past."""

    received: int = 0  # referrals received in the period (those with no rules decision are not replayed)
    replayed: int = 0
    rederived: int = 0  # replayed on facts re-derived (decided before 0015)
    changed: int = 0  # route or urgency would change: the changed list's length
    route_changed: int = 0
    urgency_changed: int = 0  # of any referral, its route changed or not
    rule_only: int = 0  # the same route and urgency, by another rule
    moves: Counter = field(default_factory=Counter)  # (from route, to route) -> referrals; routes that change only
    versions: Counter = field(default_factory=Counter)  # the policy version each replayed decision was made by
    failed: int = 0  # the candidate could not decide on these facts (counted, not replayed)
    failures: list = field(default_factory=list)  # (reference, message), the first FAILURES_KEPT


@dataclass(frozen=True)
class Result:
    period: Period
    version: str  # the candidate's
    tally: Tally
    changes: list  # Change, by time received; all of them unless `keep` cut them short
    changes_cut: bool  # more changed than `changes` holds (the CSV has every one)

    @property
    def move_rows(self) -> list[tuple[str, str, int]]:
        """The from -> to table, the biggest move first."""
        return sorted(((a, b, n) for (a, b), n in self.tally.moves.items()), key=lambda r: (-r[2], r[0], r[1]))


def replay(policy: Policy, period: Period, keep: int | None = None) -> Result:
    """Replay the period against ``policy``: the counts, and the changed referrals (the
    first ``keep`` of them; None: all)."""
    tally, changes = Tally(), []
    for change in replayed(policy, period, tally):
        if keep is None or len(changes) < keep:
            changes.append(change)
    return Result(period=period, version=policy.version, tally=tally, changes=changes,
                  changes_cut=len(changes) < tally.changed)


def replayed(policy: Policy, period: Period, tally: Tally | None = None) -> Iterator[Change]:
    """Each changed referral as the replay reaches it, by time received (a CSV streams
    these); ``tally`` counts every row on the way."""
    tally = tally if tally is not None else Tally()
    decide = policy.decide
    in_period = and_(Referral.received_at >= period.start, Referral.received_at < period.end)
    with read_only_connection() as conn:
        tally.received = conn.scalar(select(func.count()).select_from(Referral).where(in_period))
        rows = conn.execute(_decisions(in_period).execution_options(yield_per=BATCH))
        loader = Session(bind=conn, autoflush=False)  # for pre-0015 referrals only: read, then let go
        try:
            for batch in rows.partitions():
                # A replay computes for a while: under gevent (gunicorn.conf.py) nothing
                # pre-empts it, so it lets the process's other requests on between batches.
                time.sleep(0)
                rederived = _rederive(loader, [row.referral_id for row in batch if row.inputs is None])
                for row in batch:
                    facts = row.inputs
                    was_rederived = facts is None
                    if was_rederived:
                        facts = rederived[row.referral_id]
                    try:
                        new = decide(facts)
                    except (FactError, DecisionError) as exc:
                        tally.failed += 1
                        if len(tally.failures) < FAILURES_KEPT:
                            tally.failures.append((row.reference, str(exc)))
                        continue
                    tally.replayed += 1
                    tally.rederived += was_rederived
                    tally.versions[row.rules_version] += 1
                    route_moves = new.route != row.route
                    urgency_moves = new.urgency != row.urgency
                    if not (route_moves or urgency_moves):
                        tally.rule_only += new.rule_id != row.rule_id
                        continue
                    tally.changed += 1
                    if route_moves:
                        tally.route_changed += 1
                        tally.moves[row.route, new.route] += 1
                    tally.urgency_changed += urgency_moves
                    yield Change(reference=row.reference, received_at=row.received_at, old_route=row.route,
                                 old_urgency=row.urgency, old_rule=row.rule_id, old_explanation=row.explanation,
                                 new_route=new.route, new_urgency=new.urgency, new_rule=new.rule_id,
                                 new_explanation=new.explanation, rederived=was_rederived)
        finally:
            loader.close()


def _decisions(in_period):
    """Each referral's rules decision (its last of kind rules), by time received."""
    later = aliased(TriageDecision)
    newer = exists().where(later.referral_id == TriageDecision.referral_id, later.kind == "rules",
                           later.id > TriageDecision.id)
    return (select(Referral.reference, Referral.received_at, TriageDecision.referral_id, TriageDecision.route,
                   TriageDecision.urgency, TriageDecision.rule_id, TriageDecision.explanation,
                   TriageDecision.rules_version, TriageDecision.inputs)
            .join(TriageDecision, TriageDecision.referral_id == Referral.id)
            .where(in_period, TriageDecision.kind == "rules", ~newer)
            .order_by(Referral.received_at, Referral.reference))


def _rederive(session: Session, ids: list) -> dict:
    """referral id -> its facts as triage derives them now, for decisions stored without theirs."""
    if not ids:
        return {}
    found = {}
    for referral in session.scalars(select(Referral).where(Referral.id.in_(ids))):
        found[referral.id] = facts_of(referral)
    session.expunge_all()  # this session's own rows only: nothing accumulates over a year
    return found

