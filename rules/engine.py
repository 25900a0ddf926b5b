"""The routing policy: load and validate rules/policy/*.yaml, then decide.

Everything that can be wrong with a policy file is found by load_policy, so a
bad edit stops the app starting (and fails `flask rules check`) instead of
failing mid-triage. Rules are parsed once, at load; decide() only evaluates.
"""
import hashlib
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType

import rule_engine
from rule_engine import errors as re_errors

from . import compiler, expressions
from .clock_policy import URGENCIES, ClockPolicy, ClockTarget, RouteInfo, WorkingHours, load_clocks
from .errors import DecisionError, PolicyError, check_fields, read_yaml
from .facts import FACT_NAMES, FACT_TYPES, check_facts

__all__ = [
    "ClockTarget", "Decision", "DecisionError", "Policy", "PolicyError", "PolicyRule",
    "RouteInfo", "WorkingHours", "load_policy", "URGENCIES",
]

DEFAULT_DIRECTORY = Path(__file__).parent / "policy"
ROUTING, CLOCKS = "routing.yaml", "clocks.yaml"
FILES = (CLOCKS, ROUTING)  # sorted: the version hashes them in this order
FALLBACK = "fallback"
_RULE_FIELDS = ("id", "description", "when", "route", "urgency", "explain")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# rule-engine's own words cannot name a list.
_KEYWORDS = {"and", "or", "not", "in", "if", "else", "for", "true", "false", "null", "inf", "nan"}


@dataclass(frozen=True)
class Decision:
    rule_id: str
    row: int  # 1-based position in routing.yaml: the row number of routing-policy.md
    route: str
    urgency: str
    explanation: str  # one plain-English sentence, values filled in
    facts_used: dict  # only the facts the deciding rule reads: what the audit must show
    rules_version: str


@dataclass(frozen=True)
class PolicyRule:
    id: str
    row: int
    description: str
    when: str
    route: str
    urgency: str
    explain: str
    facts: tuple[str, ...]  # fact names the expression reads, in FACT_TYPES order
    compiled: rule_engine.Rule = field(repr=False, compare=False)
    template: tuple = field(repr=False, compare=False)  # parsed explain: (literal, fact name or None)
    test: Callable[[dict], bool] = field(repr=False, compare=False)  # facts -> does the rule hold
    is_fast: bool = True  # evaluated by a compiled closure rather than by rule-engine (compiler.py)


class Policy:
    """One loaded, validated policy. Never changed after load: a changed file
    is a new load, with a new version."""

    def __init__(self, *, version: str, directory: Path, rules: tuple, lists: MappingProxyType,
                 clocks: ClockPolicy):
        self.version = version
        self.directory = directory
        self.rules = rules
        self.lists = lists
        self._clocks = clocks

    def __repr__(self):
        return f"<Policy {self.version} rules={len(self.rules)} from {self.directory}>"

    @property
    def routes(self) -> MappingProxyType:
        """Route id -> RouteInfo(name, is_service)."""
        return self._clocks.routes

    @property
    def warn_at(self) -> tuple[float, ...]:
        return self._clocks.warn_at

    @property
    def escalation_chain(self) -> tuple[str, ...]:
        return self._clocks.escalation_chain

    @property
    def working_hours(self) -> WorkingHours:
        return self._clocks.working_hours

    def decide(self, facts: dict) -> Decision:
        """The first rule whose expression holds for ``facts`` decides."""
        # A missing, unknown or wrongly typed fact raises FactError: never a wrong route.
        check_facts(facts)
        for rule in self.rules:
            try:
                matched = rule.test(facts)
            except (re_errors.EngineError, TypeError) as exc:
                raise DecisionError(
                    f"rule {rule.id} (row {rule.row}) could not be evaluated: "
                    f"{getattr(exc, 'message', exc)}") from exc
            if matched:
                return Decision(
                    rule_id=rule.id, row=rule.row, route=rule.route, urgency=rule.urgency,
                    explanation=render(rule.template, facts),
                    facts_used={name: _copy(facts[name]) for name in rule.facts},
                    rules_version=self.version,
                )
        raise DecisionError("no rule matched")  # unreachable: the fallback rule is "true"

    def clock_targets(self, route: str, urgency: str) -> list[ClockTarget]:
        """The clocks a referral on ``route`` at ``urgency`` runs, in clocks.yaml order."""
        if route not in self._clocks.clocks:
            raise ValueError(f"unknown route {route!r}")
        if urgency not in URGENCIES:
            raise ValueError(f"unknown urgency {urgency!r}")
        return [spec.target(urgency) for spec in self._clocks.clocks[route]]

    def rechase_interval(self, duration, counts: str = "24/7") -> timedelta:
        """How long a breached clock waits before its next escalation step:
        the short interval for windows of a day or less, the long one otherwise.

        Takes a ClockTarget or a duration. A working-hours window is measured
        in working days (16 working hours is two days' work), not elapsed time.
        """
        if isinstance(duration, ClockTarget):
            duration, counts = duration.duration, duration.counts
        window = duration
        if counts == "working_hours":
            hours = self.working_hours
            day = datetime.combine(date.min, hours.end) - datetime.combine(date.min, hours.start)
            window = timedelta(days=duration / day)
        return self._clocks.rechase_short if window <= timedelta(days=1) else self._clocks.rechase_long


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


def render(template: tuple, facts: dict) -> str:
    return "".join(text if name is None else plain(facts[name]) for text, name in template)


def load_policy(directory: Path | str | None = None) -> Policy:
    """Load and validate the policy in ``directory`` (default rules/policy/).
    Raises PolicyError naming the file, the rule and the problem."""
    directory = Path(directory) if directory else DEFAULT_DIRECTORY
    data = {}
    for name in FILES:
        try:
            data[name] = (directory / name).read_bytes()
        except OSError as exc:
            raise PolicyError(name, f"cannot be read from {directory}: {exc.strerror}") from None
    clocks = load_clocks(read_yaml(CLOCKS, data[CLOCKS]))
    routing = read_yaml(ROUTING, data[ROUTING])
    check_fields(ROUTING, None, routing, ("lists", "rules"), required=("rules",))
    lists = _lists(routing.get("lists") or {})
    context = expressions.build_context(lists)
    rules = _rules(routing["rules"], lists, context, clocks)
    digest = hashlib.sha256(b"".join(data[name] for name in FILES)).hexdigest()
    return Policy(version=f"sha256:{digest[:12]}", directory=directory, rules=rules,
                  lists=lists, clocks=clocks)


def _lists(data) -> MappingProxyType:
    if not isinstance(data, dict):
        raise PolicyError(ROUTING, "should map each list's name to its items", "lists")
    lists = {}
    for name, items in data.items():
        where = f"list {name}"
        if not isinstance(name, str) or not _NAME.match(name) or name in _KEYWORDS:
            raise PolicyError(ROUTING, "a list name is lower-case letters, digits and _", where)
        if name in FACT_NAMES:
            raise PolicyError(ROUTING, "has the same name as a fact", where)
        if not isinstance(items, list):
            raise PolicyError(ROUTING, "should be a list, e.g. [NN] or []", where)
        for item in items:
            # YAML reads an unquoted yes/no/on/off as true/false: ask for quotes.
            if not isinstance(item, (str, int)) or isinstance(item, bool):
                raise PolicyError(ROUTING, f"item {item!r} should be text (put it in quotes)", where)
        lists[name] = tuple(items)  # rule-engine's own array type: no conversion per decision
    return MappingProxyType(lists)


def _rules(items, lists, context, clocks: ClockPolicy) -> tuple:
    if not isinstance(items, list) or not items:
        raise PolicyError(ROUTING, "should be a list of rules", "rules")
    rules = []
    for row, item in enumerate(items, start=1):
        rule_id = item.get("id") if isinstance(item, dict) else None
        where = f"rule {rule_id}" if rule_id else f"rule {row}"
        check_fields(ROUTING, where, item, _RULE_FIELDS, required=_RULE_FIELDS)
        if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
            raise PolicyError(ROUTING, "id should be lower-case words joined by -, e.g. red-flag", where)
        earlier = next((r for r in rules if r.id == rule_id), None)
        if earlier:
            raise PolicyError(ROUTING, f"duplicate rule id (also row {earlier.row})", where)
        rules.append(_rule(row, item, where, lists, context, clocks))
    # The fallback sends whatever no row routes to a person: without it, or
    # with rows after it, a referral could get no route or rows never run.
    fallback = next((r for r in rules if r.id == FALLBACK), None)
    if fallback is None:
        raise PolicyError(ROUTING, "no fallback rule: the last rule must be `fallback` with when: \"true\"", "rules")
    if fallback is not rules[-1]:
        raise PolicyError(ROUTING, f"must be the last rule (it is row {fallback.row} of {len(rules)})",
                          f"rule {FALLBACK}")
    if fallback.when.strip() != "true":
        raise PolicyError(ROUTING, "when must be \"true\": it catches everything the rules above do not",
                          f"rule {FALLBACK}")
    return tuple(rules)


def _rule(row, item, where, lists, context, clocks: ClockPolicy) -> PolicyRule:
    if item["route"] not in clocks.routes:
        known = ", ".join(clocks.routes)
        raise PolicyError(ROUTING, f"unknown route {item['route']!r} (known: {known})", where)
    if item["urgency"] not in URGENCIES:
        known = ", ".join(URGENCIES)
        raise PolicyError(ROUTING, f"unknown urgency {item['urgency']!r} (known: {known})", where)
    if not isinstance(item["description"], str) or not item["description"].strip():
        raise PolicyError(ROUTING, "description should say in plain English what the rule is for", where)
    when = item["when"]
    if isinstance(when, bool):  # `when: true` unquoted is what anyone would write
        when = "true" if when else "false"
    if not isinstance(when, str) or not when.strip():
        raise PolicyError(ROUTING, "when should be an expression, e.g. \"news2 != null and news2 >= 7\"", where)
    template = _template(item["explain"], where)
    compiled = _compile(when, context, where)
    facts_read = expressions.symbols(compiled) & FACT_NAMES
    test, is_fast = _checked_test(compiled, facts_read, lists, where)
    return PolicyRule(
        id=item["id"], row=row, description=item["description"].strip(), when=when,
        route=item["route"], urgency=item["urgency"], explain=item["explain"].strip(),
        facts=tuple(name for name in FACT_TYPES if name in facts_read),
        compiled=compiled, template=template, test=test, is_fast=is_fast,
    )


def _checked_test(compiled: rule_engine.Rule, facts_read, lists, where):
    """Run the rule over every probe case: refuse it if rule-engine cannot
    evaluate one (an unrecorded fact compared without a null check), and keep
    the fast closure only if it gives rule-engine's answer on every one."""
    try:
        fast = compiler.compile_rule(compiled.statement, lists)
    except compiler.Unsupported:
        fast = None
    for case in expressions.probe_cases(compiled, facts_read, lists):
        try:
            expected = compiled.matches({**case, **lists})
        except (re_errors.EngineError, TypeError) as exc:
            shown = ", ".join(f"{name} = {'null' if v is None else repr(v)}" for name, v in case.items())
            raise PolicyError(
                ROUTING, f"when fails for {shown} ({getattr(exc, 'message', exc)}); a fact that was "
                "not recorded is null, so compare it with null first, e.g. "
                "\"news2 != null and news2 >= 7\"", where) from None
        if fast is not None and _outcome(fast, case) != expected:
            fast = None
    if fast is not None:
        return fast, True
    return (lambda facts: compiled.matches({**facts, **lists})), False


def _outcome(test, case):
    try:
        return test(case)
    except Exception as exc:  # noqa: BLE001 - any difference from rule-engine disqualifies the fast path
        return exc


def _compile(when: str, context, where: str) -> rule_engine.Rule:
    try:
        compiled = rule_engine.Rule(when, context=context)
    except re_errors.RuleSyntaxError as exc:
        token = f" near {exc.token.value!r}" if getattr(exc, "token", None) else " (incomplete expression)"
        raise PolicyError(ROUTING, f"syntax error in when{token}: {when}", where) from None
    except re_errors.SymbolResolutionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise PolicyError(ROUTING, f"unknown name {exc.symbol_name!r} in when{hint}", where) from None
    except re_errors.EngineError as exc:
        raise PolicyError(ROUTING, f"when: {getattr(exc, 'message', exc)}", where) from None
    result = compiled.statement.expression.result_type
    if result not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise PolicyError(ROUTING, f"when should be a yes/no test, not a {result.name} value", where)
    return compiled


def _template(explain, where) -> tuple:
    """Parse explain once: pairs of (literal text, fact name or None)."""
    if not isinstance(explain, str) or not explain.strip() or "\n" in explain.strip():
        raise PolicyError(ROUTING, "explain should be one plain-English sentence", where)
    explain = explain.strip()
    if not explain.endswith("."):
        raise PolicyError(ROUTING, "explain should be one sentence ending with a full stop", where)
    parts = []
    try:
        parsed = list(string.Formatter().parse(explain))
    except ValueError as exc:
        raise PolicyError(ROUTING, f"explain: {exc} (write a literal brace as {{{{ or }}}})", where) from None
    for text, name, spec, conversion in parsed:
        if text:
            parts.append((text, None))
        if name is None:
            continue
        if name not in FACT_NAMES or spec or conversion:
            raise PolicyError(
                ROUTING, f"unknown placeholder {{{name}}} in explain (a placeholder is a fact name: "
                f"{', '.join(FACT_TYPES)})", where)
        parts.append(("", name))
    return tuple(parts)
