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
from .facts import FACT_NAMES, FACT_TYPES, FLAG_FACT_NAMES, FLAG_FACT_TYPES, check_facts

__all__ = [
    "ClockTarget", "Decision", "DecisionError", "Flag", "FlagRaised", "Policy", "PolicyError", "PolicyRule",
    "RouteInfo", "WorkingHours", "load_policy", "URGENCIES",
]

DEFAULT_DIRECTORY = Path(__file__).parent / "policy"
ROUTING, CLOCKS, FLAGS = "routing.yaml", "clocks.yaml", "flags.yaml"
FILES = (CLOCKS, FLAGS, ROUTING)  # sorted: the version hashes them in this order
FALLBACK = "fallback"
_RULE_FIELDS = ("id", "description", "when", "route", "urgency", "explain")
_FLAG_FIELDS = ("id", "description", "when", "flag", "label", "explanation", "alert")
_FLAG_REQUIRED = ("id", "when", "flag", "label", "explanation")
# Who a raised flag alerts (the app maps each to a notification recipient); none: no alert.
ALERTS = ("supervisor", "none")
FLAG_MAX = 16  # referrals.waiting_for holds the flag
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


@dataclass(frozen=True)
class Flag:
    """A flag the policy raises on a referral once its route is decided (flags.yaml)."""

    id: str
    description: str
    when: str
    flag: str  # what the referral is waiting for, e.g. bed (referrals.waiting_for)
    label: str  # as staff see it, e.g. Waiting for bed
    explanation: str
    alert: str  # supervisor | none
    facts: tuple[str, ...]  # the fact names the expression reads
    compiled: rule_engine.Rule = field(repr=False, compare=False)
    template: tuple = field(repr=False, compare=False)
    test: Callable[[dict], bool] = field(repr=False, compare=False)


@dataclass(frozen=True)
class FlagRaised:
    id: str
    flag: str
    label: str
    explanation: str  # one sentence, values filled in
    alert: str | None  # supervisor, or None
    facts_used: dict


class Policy:
    """One loaded, validated policy. Never changed after load: a changed file
    is a new load, with a new version."""

    # The routes the app gives a meaning of its own, named once (clocks.yaml declares each).
    review_route = "supervisor_review"     # a person must set the route
    redirect_route = "emergency_redirect"  # to 999 or ED: no service takes it
    duty_route = "voluntary_sector"        # offered to an organisation on the duty rota
    urgencies = URGENCIES                  # most urgent first

    def __init__(self, *, version: str, directory: Path, rules: tuple, lists: MappingProxyType,
                 clocks: ClockPolicy, flags: tuple = ()):
        self.version = version
        self.directory = directory
        self.rules = rules
        self.lists = lists
        self.flags = flags
        self._clocks = clocks

    def __repr__(self):
        return f"<Policy {self.version} rules={len(self.rules)} from {self.directory}>"

    @property
    def routes(self) -> MappingProxyType:
        """Route id -> RouteInfo(name, is_service)."""
        return self._clocks.routes

    @property
    def services(self) -> dict[str, str]:
        """The routes a service accepts and works (code -> name); the rest are SPOA's own."""
        return {code: info.name for code, info in self._clocks.routes.items() if info.is_service}

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
        raised = []
        for flag in self.flags:
            try:
                matched = flag.test(values)
            except (re_errors.EngineError, TypeError) as exc:
                raise DecisionError(
                    f"flag {flag.id} could not be evaluated: {getattr(exc, 'message', exc)}") from exc
            if matched:
                raised.append(FlagRaised(
                    id=flag.id, flag=flag.flag, label=flag.label, explanation=render(flag.template, values),
                    alert=None if flag.alert == "none" else flag.alert,
                    facts_used={name: _copy(values[name]) for name in flag.facts}))
        return raised

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
    flags = _flags(read_yaml(FLAGS, data[FLAGS]), lists)
    digest = hashlib.sha256(b"".join(data[name] for name in FILES)).hexdigest()
    return Policy(version=f"sha256:{digest[:12]}", directory=directory, rules=rules,
                  lists=lists, clocks=clocks, flags=flags)


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


def _checked_test(compiled: rule_engine.Rule, facts_read, lists, where, file=ROUTING, fact_types=None):
    """Run the rule over every probe case: refuse it if rule-engine cannot
    evaluate one (an unrecorded fact compared without a null check), and keep
    the fast closure only if it gives rule-engine's answer on every one."""
    fact_types = fact_types or FACT_TYPES
    try:
        fast = compiler.compile_rule(compiled.statement, lists, frozenset(fact_types))
    except compiler.Unsupported:
        fast = None
    for case in expressions.probe_cases(compiled, facts_read, lists, fact_types):
        try:
            expected = compiled.matches({**case, **lists})
        except (re_errors.EngineError, TypeError) as exc:
            shown = ", ".join(f"{name} = {'null' if v is None else repr(v)}" for name, v in case.items())
            raise PolicyError(
                file, f"when fails for {shown} ({getattr(exc, 'message', exc)}); a fact that was "
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


def _compile(when: str, context, where: str, file=ROUTING) -> rule_engine.Rule:
    try:
        compiled = rule_engine.Rule(when, context=context)
    except re_errors.RuleSyntaxError as exc:
        token = f" near {exc.token.value!r}" if getattr(exc, "token", None) else " (incomplete expression)"
        raise PolicyError(file, f"syntax error in when{token}: {when}", where) from None
    except re_errors.SymbolResolutionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise PolicyError(file, f"unknown name {exc.symbol_name!r} in when{hint}", where) from None
    except re_errors.EngineError as exc:
        raise PolicyError(file, f"when: {getattr(exc, 'message', exc)}", where) from None
    result = compiled.statement.expression.result_type
    if result not in (rule_engine.DataType.BOOLEAN, rule_engine.DataType.UNDEFINED):
        raise PolicyError(file, f"when should be a yes/no test, not a {result.name} value", where)
    return compiled


def _template(explain, where, file=ROUTING, key="explain", fact_types=None) -> tuple:
    """Parse explain once: pairs of (literal text, fact name or None)."""
    fact_types = fact_types or FACT_TYPES
    if not isinstance(explain, str) or not explain.strip() or "\n" in explain.strip():
        raise PolicyError(file, f"{key} should be one plain-English sentence", where)
    explain = explain.strip()
    if not explain.endswith("."):
        raise PolicyError(file, f"{key} should be one sentence ending with a full stop", where)
    parts = []
    try:
        parsed = list(string.Formatter().parse(explain))
    except ValueError as exc:
        raise PolicyError(file, f"{key}: {exc} (write a literal brace as {{{{ or }}}})", where) from None
    for text, name, spec, conversion in parsed:
        if text:
            parts.append((text, None))
        if name is None:
            continue
        if name not in fact_types or spec or conversion:
            raise PolicyError(
                file, f"unknown placeholder {{{name}}} in {key} (a placeholder is a fact name: "
                f"{', '.join(fact_types)})", where)
        parts.append(("", name))
    return tuple(parts)


# --- flags.yaml ----------------------------------------------------------------

def _flags(data: dict, lists) -> tuple:
    """flags.yaml: ``flags``, a list (which may be empty) of flags checked, in
    order, once the route is decided, over the facts plus route and capacity_free."""
    check_fields(FLAGS, None, data, ("flags",), required=("flags",))
    items = data["flags"] if data["flags"] is not None else []
    if not isinstance(items, list):
        raise PolicyError(FLAGS, "should be a list of flags (or [] for none)", "flags")
    context = expressions.build_context(lists, FLAG_FACT_TYPES)
    flags = []
    for n, item in enumerate(items, start=1):
        flag_id = item.get("id") if isinstance(item, dict) else None
        where = f"flag {flag_id}" if flag_id else f"flag {n}"
        check_fields(FLAGS, where, item, _FLAG_FIELDS, required=_FLAG_REQUIRED)
        if not isinstance(flag_id, str) or not _RULE_ID.match(flag_id):
            raise PolicyError(FLAGS, "id should be lower-case words joined by -, e.g. waiting-for-bed", where)
        if any(f.id == flag_id for f in flags):
            raise PolicyError(FLAGS, "duplicate flag id", where)
        flags.append(_flag(item, where, lists, context))
    return tuple(flags)


def _flag(item, where, lists, context) -> Flag:
    name = item["flag"]
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > FLAG_MAX:
        raise PolicyError(FLAGS, f"flag should be one lower-case word of at most {FLAG_MAX} characters, "
                          "e.g. bed (what the referral is waiting for)", where)
    label = item["label"]
    if not isinstance(label, str) or not label.strip() or len(label.strip()) > 60:
        raise PolicyError(FLAGS, "label should be a few words staff see, e.g. Waiting for bed", where)
    alert = item.get("alert", "none")
    if alert is None or alert is False:  # `alert: no` or empty: no one is alerted
        alert = "none"
    if alert not in ALERTS:
        raise PolicyError(FLAGS, f"unknown alert {alert!r} (known: {', '.join(ALERTS)})", where)
    description = item.get("description", "")
    if not isinstance(description, str):
        raise PolicyError(FLAGS, "description should be plain English", where)
    when = item["when"]
    if isinstance(when, bool):
        when = "true" if when else "false"
    if not isinstance(when, str) or not when.strip():
        raise PolicyError(FLAGS, "when should be an expression, e.g. "
                          "'route == \"bed_rehab\" and capacity_free == 0'", where)
    template = _template(item["explanation"], where, FLAGS, "explanation", FLAG_FACT_TYPES)
    compiled = _compile(when, context, where, FLAGS)
    facts_read = expressions.symbols(compiled) & FLAG_FACT_NAMES
    test, _ = _checked_test(compiled, facts_read, lists, where, FLAGS, FLAG_FACT_TYPES)
    return Flag(
        id=item["id"], description=description.strip(), when=when, flag=name, label=label.strip(),
        explanation=item["explanation"].strip(), alert=alert,
        facts=tuple(n for n in FLAG_FACT_TYPES if n in facts_read),
        compiled=compiled, template=template, test=test,
    )
