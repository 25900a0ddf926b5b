"""The loaded policy: frozen values that rules/loader.py builds from
rules/policy/*.yaml, and the decisions made from them.

A routing rule and a flag are the same thing, an Entry: a `when` expression
compiled and type-checked once at load, an explanation template, and a payload
(a route and urgency; or what the referral waits for and who is alerted).
Nothing here reads a file or changes after load: a changed file is a new load,
with a new version.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import rule_engine
from rule_engine import ast as re_ast
from rule_engine import errors as re_errors

from .calendar import WORKING_HOURS, WorkingHours
from .clock_policy import KIND_SECTIONS, URGENCIES, ClockPolicy, ClockTarget
from .discharge_policy import DischargePolicy
from .errors import DecisionError
from .facts import check_facts


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One entry of routing.yaml or flags.yaml, checked once at load."""

    KIND: ClassVar[str] = "entry"  # what the files and messages call it: rule, flag

    id: str
    row: int  # 1-based position in its file (a rule's row in routing-policy.md is its label)
    description: str
    when: str
    facts: tuple[str, ...]  # the fact names the expression reads, in declaration order
    compiled: rule_engine.Rule = field(repr=False, compare=False)
    template: tuple = field(repr=False, compare=False)  # parsed explanation: (literal, fact name or None)
    test: Callable[[dict], bool] = field(repr=False, compare=False)  # values -> does `when` hold
    is_fast: bool = True  # evaluated by a compiled closure rather than by rule-engine (compiler.py)

    def holds(self, values: dict) -> bool:
        try:
            return self.test(values)
        except (re_errors.EngineError, TypeError) as exc:
            raise DecisionError(f"{self.KIND} {self.id} (row {self.shown_row}) could not be evaluated: "
                                f"{getattr(exc, 'message', exc)}") from exc

    @property
    def shown_row(self) -> str:
        """The row as people are told it: its place in the file (a rule's: routing-policy.md's)."""
        return str(self.row)

    def explained(self, values: dict) -> str:
        return render(self.template, values)

    def facts_used(self, values: dict) -> dict:
        """Only the facts this entry reads: what the audit must show."""
        return {name: _copy(values[name]) for name in self.facts}


# Why a pushed 999 call goes back to the ambulance service: BaRS's rejected-reasons-bars
# codes (https://fhir.nhs.uk/CodeSystem/rejected-reasons-bars), code -> display.
RETURN_REASONS = MappingProxyType({
    "RRNA": "Requested resource not available within timescale",
    "FC": "Failed contact",
    "OTH": "Other",
})


@dataclass(frozen=True)
class Return:
    """What a rule on the return route says: the call goes back to its sender at once."""
    reason_code: str  # a RETURN_REASONS code
    reason: str  # the words the ambulance service is sent with it
    alert: str  # supervisor | none


@dataclass(frozen=True, kw_only=True)
class PolicyRule(Entry):
    """A row of routing.yaml: the first whose `when` holds decides the route."""

    KIND: ClassVar[str] = "rule"

    route: str
    urgency: str
    explain: str
    label: str  # its row in routing-policy.md: "8", or "D3" for a discharge row
    returns: Return | None = None  # on the return route only: how the call goes back

    @property
    def shown_row(self) -> str:
        return self.label


@dataclass(frozen=True, kw_only=True)
class Flag(Entry):
    """A flag the policy raises on a referral once its route is decided (flags.yaml)."""

    KIND: ClassVar[str] = "flag"

    flag: str  # what the referral is waiting for, e.g. bed (referrals.waiting_for)
    label: str  # as staff see it, e.g. Waiting for bed
    explanation: str
    alert: str  # supervisor | none


@dataclass(frozen=True)
class Decision:
    rule_id: str
    row: str  # the deciding rule's row in routing-policy.md: "8", or "D3" (PolicyRule.label)
    route: str
    urgency: str
    explanation: str  # one plain-English sentence, values filled in
    facts_used: dict  # only the facts the deciding rule reads: what the audit must show
    rules_version: str
    returns: Return | None = None  # the call goes back to its sender at once (the return route)


@dataclass(frozen=True)
class FlagRaised:
    id: str
    flag: str
    label: str
    explanation: str  # one sentence, values filled in
    alert: str | None  # supervisor, or None
    facts_used: dict


@dataclass(frozen=True, eq=False, repr=False)
class Policy:
    """One loaded, validated policy."""

    # The routes the app gives a meaning of its own, named once (clocks.yaml declares each).
    review_route: ClassVar[str] = "supervisor_review"     # a person must set the route
    redirect_route: ClassVar[str] = "emergency_redirect"  # to 999 or ED: no service takes it
    duty_route: ClassVar[str] = "voluntary_sector"        # offered to an organisation on the duty rota
    simple_discharge_route: ClassVar[str] = "discharge_simple"  # no new care: recording the discharge closes it
    return_route: ClassVar[str] = "return_to_sender"      # a pushed call given back to the ambulance service
    urgencies: ClassVar[tuple] = URGENCIES                # most urgent first

    version: str
    directory: Path
    rules: tuple[PolicyRule, ...]
    lists: MappingProxyType
    clocks: ClockPolicy
    discharge: DischargePolicy  # discharge.yaml: the delay reasons and the daily alert
    flags: tuple[Flag, ...] = ()

    def __repr__(self):
        return f"<Policy {self.version} rules={len(self.rules)} from {self.directory}>"

    @property
    def routes(self) -> MappingProxyType:
        """Route id -> RouteInfo(name, is_service)."""
        return self.clocks.routes

    @property
    def services(self) -> dict[str, str]:
        """The routes a service accepts and works (code -> name); the rest are SPOA's own."""
        return {code: info.name for code, info in self.clocks.routes.items() if info.is_service}

    @property
    def warn_at(self) -> tuple[float, ...]:
        return self.clocks.warn_at

    @property
    def escalation_chain(self) -> tuple[str, ...]:
        return self.clocks.escalation_chain

    @property
    def last_escalation_level(self) -> int:
        return self.clocks.last_escalation_level

    @property
    def working_hours(self) -> WorkingHours:
        return self.clocks.working_hours

    def decide(self, facts: dict) -> Decision:
        """The first rule whose expression holds for ``facts`` decides."""
        # A missing, unknown or wrongly typed fact raises FactError: never a wrong route.
        check_facts(facts)
        for rule in self.rules:
            if rule.holds(facts):
                return Decision(
                    rule_id=rule.id, row=rule.label, route=rule.route, urgency=rule.urgency,
                    explanation=rule.explained(facts), facts_used=rule.facts_used(facts),
                    rules_version=self.version, returns=rule.returns,
                )
        raise DecisionError("no rule matched")  # unreachable: the fallback rule is "true"

    @cached_property
    def _capacity_routes(self) -> frozenset:
        """The routes on which some flag that reads capacity_free can hold (computed once)."""
        routes = frozenset(self.routes)
        return frozenset().union(*(routes_possible(flag.compiled.statement.expression, routes)
                                   for flag in self.flags if "capacity_free" in flag.facts))

    def flags_read_capacity(self, route: str) -> bool:
        """Whether deciding the flags of a referral on ``route`` can need capacity_free:
        only then is the routed service's capacity looked up (a query at intake).
        A flag whose `when` requires another route (``route == "bed_rehab" and ...``)
        cannot hold here whatever the capacity, so its value is never read."""
        return route in self._capacity_routes

    def flags_for(self, facts: dict, route: str, capacity_free: int | None) -> list[FlagRaised]:
        """The flags to raise, in flags.yaml order, for a referral with these
        facts once ``route`` is decided. ``capacity_free``: the routed service's
        free places today, None when it has not declared them (never zero: see
        rules/facts.py, FLAG_FACT_TYPES)."""
        check_facts(facts)
        if route not in self.routes:
            raise DecisionError(f"flags: unknown route {route!r}")
        if capacity_free is not None and (not isinstance(capacity_free, int) or isinstance(capacity_free, bool)):
            raise DecisionError(f"flags: capacity_free should be a whole number or None, not {capacity_free!r}")
        values = {**facts, "route": route, "capacity_free": capacity_free}
        return [
            FlagRaised(id=flag.id, flag=flag.flag, label=flag.label, explanation=flag.explained(values),
                       alert=None if flag.alert == "none" else flag.alert, facts_used=flag.facts_used(values))
            for flag in self.flags if flag.holds(values)
        ]

    def clock_targets(self, route: str, urgency: str, kind: str = "community") -> list[ClockTarget]:
        """The clocks a referral of ``kind`` (community, or a hospital discharge) on
        ``route`` at ``urgency`` runs, in clocks.yaml order."""
        if kind not in KIND_SECTIONS:
            raise ValueError(f"unknown kind {kind!r}")
        table = self.clocks.discharge_clocks if kind == "discharge" else self.clocks.clocks
        if route not in table:
            raise ValueError(f"unknown route {route!r}")
        if urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}")
        extra = self.clocks.pushed_call_clocks if kind == "pushed_call" else ()
        return [spec.target(urgency) for spec in (*table[route], *extra)]

    def returns_at_deadline(self, clock_name: str, kind: str | None) -> bool:
        """Whether this clock, on a referral of ``kind``, returns the call at its deadline
        (pushed_call_clocks' on_deadline: return) rather than escalating."""
        return kind == "pushed_call" and any(
            spec.name == clock_name and spec.on_deadline == "return" for spec in self.clocks.pushed_call_clocks)

    def rechase_interval(self, duration, counts: str = "24/7") -> timedelta:
        """How long a breached clock waits before its next escalation step:
        the short interval for windows of a day or less, the long one otherwise.

        Takes a ClockTarget or a duration. A working-hours window is measured
        in working days (16 working hours is two days' work), not elapsed time.
        """
        if isinstance(duration, ClockTarget):
            duration, counts = duration.duration, duration.counts
        window = duration
        if counts == WORKING_HOURS:
            hours = self.working_hours
            day = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
            window = timedelta(days=duration / day)
        return self.clocks.rechase_short if window <= timedelta(days=1) else self.clocks.rechase_long


def _copy(value):
    return list(value) if isinstance(value, (list, tuple)) else value


def plain(value) -> str:
    """A fact as words in a sentence: yes/no, "not recorded", lists joined,
    underscores as spaces (fall_no_injury -> fall no injury)."""
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(plain(v) for v in value) or "none"
    return str(value).replace("_", " ")


def routes_possible(expression, routes: frozenset) -> frozenset:
    """The routes for which ``expression`` (a rule-engine AST) can be true: those a
    top-level conjunct pins it to (``route == "x"``, ``route in ["x", "y"]``), else all.
    Conservative: anything else (or, not, a list by name) leaves every route possible."""
    if type(expression) is re_ast.LogicExpression and expression.type == "and":
        return routes_possible(expression.left, routes) & routes_possible(expression.right, routes)
    if type(expression) is re_ast.ComparisonExpression and expression.type == "eq":
        for symbol, value in ((expression.left, expression.right), (expression.right, expression.left)):
            if _is_route(symbol) and type(value) is re_ast.StringExpression:
                return routes & {value.value}
    if type(expression) is re_ast.ContainsExpression and _is_route(expression.member) \
            and type(expression.container) is re_ast.ArrayExpression \
            and all(type(m) is re_ast.StringExpression for m in expression.container.value):
        return routes & {m.value for m in expression.container.value}
    return routes


def _is_route(node) -> bool:
    return type(node) is re_ast.SymbolExpression and node.scope is None and node.name == "route"


def render(template: tuple, facts: dict) -> str:
    return "".join(text if name is None else plain(facts[name]) for text, name in template)
