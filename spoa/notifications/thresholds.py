"""A clock's thresholds, as arithmetic: pure (the clock's columns and the policy
only; no database, no commits).

In order: a warning at each `warn_at` share of the clock's window (75%, 90%), the
breach at its deadline (escalation level 1: the first link of the chain), then one
escalation a re-chase interval while it stays breached and unacknowledged (level
2, 3, ...; past the end of the chain the last link is chased again, clocks.yaml's
`repeats_at_top` times, and then no more: the last is the final reminder).

A pushed call's clock that returns the call at its deadline (clocks.yaml
pushed_call_clocks, on_deadline: return) has its warnings, then a ``return``
threshold at the deadline instead of the breach and the chase: not chasing's to
record (the reconciler gives the call back through the lifecycle,
services/push_returns.py), so it stays the clock's next due instant until then.

One ``Thresholds`` serves one advance: the re-chase interval is worked out once
(an `elapsed()` over working hours is not free), and the warnings and the breach
are walked in one place for both questions asked of them: what is due now, and
what comes next.
"""
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property

from rules.policy_model import Policy
from spoa.platform.timekeeping import add_duration, elapsed, point_in_window

# elapsed() and add_duration() are inverses; a level worked out from how late a
# clock is settles any rounding at the edge of a working day in this many steps.
_SETTLE_STEPS = 3


@dataclass(frozen=True)
class Threshold:
    kind: str   # warning | breach | escalation | return
    level: int
    at: datetime


class Thresholds:
    """The thresholds of one clock (anything with started_at, deadline, counts and
    acknowledged_at) under one policy. ``recorded``: the (kind, level) pairs the
    clock has effects for."""

    def __init__(self, clock, policy: Policy, returns: bool = False):
        self.clock = clock
        self.policy = policy
        self.hours = policy.working_hours
        self.returns = returns  # at its deadline the call goes back, rather than the chase

    @cached_property
    def rechase(self) -> timedelta:
        """The wait between escalations: short for windows of a day or less, long otherwise."""
        clock = self.clock
        window = elapsed(clock.started_at, clock.deadline, clock.counts, self.hours)
        return self.policy.rechase_interval(window, clock.counts)

    def _unrecorded(self, recorded: set) -> Iterator[Threshold]:
        """The warnings and the breach not yet recorded, in order (each instant
        worked out only when asked for)."""
        clock = self.clock
        for fraction in self.policy.warn_at:
            level = round(fraction * 100)
            if ("warning", level) not in recorded:
                at = point_in_window(clock.started_at, clock.deadline, fraction, clock.counts, self.hours)
                yield Threshold("warning", level, at)
        if ("breach", 1) not in recorded:
            yield Threshold("return" if self.returns else "breach", 1, clock.deadline)

    def escalation_at(self, level: int) -> datetime:
        """When escalation ``level`` falls due: the deadline (level 1, the breach) plus
        one re-chase interval a level, in the clock's own time (working hours or 24/7)."""
        return add_duration(self.clock.deadline, self.rechase * (level - 1), self.clock.counts, self.hours)

    def _escalation(self, level: int) -> Threshold:
        return Threshold("escalation", level, self.escalation_at(level))

    def next(self, recorded: set) -> Threshold | None:
        """The first threshold not in ``recorded``; None when nothing more is to come."""
        first = next(self._unrecorded(recorded), None)
        if first is not None:
            return first
        if self.clock.acknowledged_at is not None:
            return None  # a person has the escalation: the chain pauses
        level = _highest_escalation(recorded) + 1
        if level > self.policy.last_escalation_level:
            return None  # the final reminder has gone: nothing more is scheduled
        return self._escalation(level)

    def due(self, recorded: set, at) -> list[Threshold]:
        """What should have been recorded by ``at`` and has not, oldest first: each
        warning passed, the breach, and the escalation level it stands at now (the
        levels it went through unseen are not made up after the event)."""
        due = []
        for threshold in self._unrecorded(recorded):
            if threshold.at > at or threshold.kind == "return":
                return due
            due.append(threshold)
        if self.clock.acknowledged_at is not None:
            return due  # a person has the escalation: the chain pauses
        level = self.current_level(at)
        if level > _highest_escalation(recorded):
            due.append(self._escalation(level))
        return due

    def return_due(self, at) -> bool:
        """Whether the call should go back now: a returning clock past its deadline."""
        return self.returns and self.clock.deadline <= at

    def current_level(self, at) -> int:
        """The escalation level a breached, unacknowledged clock stands at at ``at``:
        level_reached, never past the final level (clocks.yaml's repeats_at_top)."""
        return min(self.level_reached(at), self.policy.last_escalation_level)

    def level_reached(self, at) -> int:
        """The level ``at`` falls in (1 from the deadline, one more each re-chase
        interval), worked out from how late it is rather than stepped through: 40 days
        late is one sum, not 3,840 steps. 0 before the deadline."""
        late = elapsed(self.clock.deadline, at, self.clock.counts, self.hours)
        if late < timedelta(0):
            return 0
        level = 1 + late // self.rechase
        for _ in range(_SETTLE_STEPS):
            if level > 1 and self.escalation_at(level) > at:
                level -= 1
            elif self.escalation_at(level + 1) <= at:
                level += 1
            else:
                break
        return level


def _highest_escalation(recorded: set) -> int:
    return max([level for kind, level in recorded if kind == "escalation"], default=1)
