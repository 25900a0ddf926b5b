"""Loading the policy: read and validate rules/policy/*.yaml into a Policy
(rules/policy_model.py).

Everything that can be wrong with a policy file is found here, so a bad edit
stops the app starting (and fails `flask rules check`) instead of failing
mid-triage. routing.yaml's rules and flags.yaml's flags are one kind of thing,
an entry: each is read by the one path below (_entries), which checks its
fields and id, compiles and type-checks its `when` once, probes it for facts
that may be unrecorded, and parses its explanation; only the payload (a route
and urgency, or a flag, label and alert) is read per file.
"""
import hashlib
import re
import string
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import rule_engine
from rule_engine import errors as re_errors

from . import compiler, expressions
from .clock_policy import URGENCIES, ClockPolicy, load_clocks
from .digits import is_ascii_digits
from .discharge_policy import load_discharge
from .errors import PolicyError, check_fields, read_yaml
from .facts import FACT_NAMES, FACT_TYPES, FLAG_FACT_TYPES
from .policy_model import RETURN_REASONS, Entry, Flag, Policy, PolicyRule, Return

DEFAULT_DIRECTORY = Path(__file__).parent / "policy"
ROUTING, CLOCKS, FLAGS, DISCHARGE = "routing.yaml", "clocks.yaml", "flags.yaml", "discharge.yaml"
FILES = (CLOCKS, DISCHARGE, FLAGS, ROUTING)  # sorted: the version hashes them in this order
FALLBACK = "fallback"
# Who a raised flag alerts (the app maps each to a notification recipient); none: no alert.
ALERTS = ("supervisor", "none")
FLAG_MAX = 16  # referrals.waiting_for holds the flag
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ROW_LABEL = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")
# rule-engine's own words cannot name a list.
_KEYWORDS = {"and", "or", "not", "in", "if", "else", "for", "true", "false", "null", "inf", "nan"}


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
    with _reading(CLOCKS):
        clocks = load_clocks(read_yaml(CLOCKS, data[CLOCKS]))
    with _reading(ROUTING):
        routing = read_yaml(ROUTING, data[ROUTING])
        check_fields(ROUTING, None, routing, ("lists", "rules"), required=("rules",))
        lists = _lists(routing.get("lists") or {})
        rules = _entries(RULES, routing["rules"], lists, clocks)
        _check_fallback(rules)
    with _reading(FLAGS):
        flags_file = read_yaml(FLAGS, data[FLAGS])
        check_fields(FLAGS, None, flags_file, ("flags",), required=("flags",))
        flags = _entries(FLAG_ENTRIES, flags_file["flags"], lists, clocks)
    with _reading(DISCHARGE):
        discharge = load_discharge(read_yaml(DISCHARGE, data[DISCHARGE]))
    digest = hashlib.sha256(b"".join(data[name] for name in FILES)).hexdigest()
    return Policy(version=f"sha256:{digest[:12]}", directory=directory, rules=rules,
                  lists=lists, clocks=clocks, discharge=discharge, flags=flags)


@contextmanager
def _reading(file: str):
    """The checks below name what each field should be; a shape none of them foresaw
    (a list where a route's name goes, say) is still a mistake in ``file``, never a
    crash: the replay page shows it beside the upload, `rules check` prints it."""
    try:
        yield
    except PolicyError:
        raise
    except RecursionError:
        raise PolicyError(file, "nested too deeply to read (a policy file is a few levels deep)") from None
    except (TypeError, AttributeError, KeyError, ValueError, ArithmeticError) as exc:
        raise PolicyError(file, f"a value of the wrong kind ({type(exc).__name__}: {str(exc)[:200]}): "
                                "compare the file with the policy as it runs now") from None


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


# --- entries: routing rules and flags, one mechanism -----------------------------


@dataclass(frozen=True)
class EntryKind:
    """What differs between routing.yaml's rules and flags.yaml's flags."""

    file: str
    section: str  # the list's key in the file
    build: type[Entry]  # PolicyRule or Flag; its KIND ("rule", "flag") names an entry in messages
    fields: tuple[str, ...]
    required: tuple[str, ...]
    fact_types: dict  # what `when` and the explanation may read
    explain_key: str  # the field holding the one-sentence explanation
    may_be_empty: bool  # a policy may raise no flags, but must route
    id_example: str
    when_example: str
    description_hint: str  # the problem when description is not plain text (empty too, if required)
    # (item, where, clocks, the entries above it) -> the build's own fields
    payload: Callable[[dict, str, ClockPolicy, list], dict]


def _rule_payload(item, where, clocks: ClockPolicy, earlier: list) -> dict:
    if item["route"] not in clocks.routes:
        known = ", ".join(clocks.routes)
        raise PolicyError(ROUTING, f"unknown route {item['route']!r} (known: {known})", where)
    if item["urgency"] not in URGENCIES:
        known = ", ".join(URGENCIES)
        raise PolicyError(ROUTING, f"unknown urgency {item['urgency']!r} (known: {known})", where)
    return {"route": item["route"], "urgency": item["urgency"], "label": _row_label(item, where, earlier),
            "returns": _returns(item, where)}


def _returns(item, where) -> Return | None:
    """A rule on the return route says how the call goes back (`return`); no other rule may."""
    returning = item["route"] == Policy.return_route
    if "return" not in item:
        if returning:
            raise PolicyError(ROUTING, f"a rule on route {Policy.return_route} says how the call goes back: "
                              "return: {reason_code: OTH, reason: needs an ambulance}", where)
        return None
    if not returning:
        raise PolicyError(ROUTING, f"return belongs to a rule on route {Policy.return_route} only", where)
    data = item["return"]
    check_fields(ROUTING, f"{where}, return", data, ("reason_code", "reason", "alert"),
                 required=("reason_code", "reason"))
    if data["reason_code"] not in RETURN_REASONS:
        raise PolicyError(ROUTING, f"unknown return reason_code {data['reason_code']!r} "
                          f"(known: {', '.join(RETURN_REASONS)})", where)
    reason = data["reason"]
    if not isinstance(reason, str) or not reason.strip() or len(reason.strip()) > 200:
        raise PolicyError(ROUTING, "return reason should be a few words the ambulance service reads, "
                          "e.g. needs an ambulance", where)
    alert = data.get("alert", "none")
    if alert is None or alert is False:
        alert = "none"
    if alert not in ALERTS:
        raise PolicyError(ROUTING, f"unknown alert {alert!r} (known: {', '.join(ALERTS)})", where)
    return Return(data["reason_code"], reason.strip(), alert)


def _row_label(item, where, earlier: list) -> str:
    """The rule's row in routing-policy.md, as decisions and messages name it: its
    `row` (D1, for the rows the document lists apart), else the next number after
    the numbered rules above it. So rows 6-17 keep their numbers whatever is
    listed between them and row 5."""
    if "row" not in item:
        return str(1 + sum(is_ascii_digits(rule.label) for rule in earlier))
    label = item["row"]
    if not isinstance(label, str) or not _ROW_LABEL.match(label):
        raise PolicyError(ROUTING, "row should be letters then digits, e.g. D1 (leave it out on a numbered row)",
                          where)
    clash = next((rule for rule in earlier if rule.label == label), None)
    if clash is not None:
        raise PolicyError(ROUTING, f"row {label} is already rule {clash.id}'s", where)
    return label


def _flag_payload(item, where, clocks: ClockPolicy, earlier: list) -> dict:
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
    return {"flag": name, "label": label.strip(), "alert": alert}


_RULE_FIELDS = ("id", "description", "when", "route", "urgency", "explain")
RULES = EntryKind(
    file=ROUTING, section="rules", build=PolicyRule, fields=(*_RULE_FIELDS, "row", "return"), required=_RULE_FIELDS,
    fact_types=FACT_TYPES, explain_key="explain", may_be_empty=False, id_example="red-flag",
    when_example="\"news2 != null and news2 >= 7\"",
    description_hint="description should say in plain English what the rule is for",
    payload=_rule_payload,
)
FLAG_ENTRIES = EntryKind(
    file=FLAGS, section="flags", build=Flag,
    fields=("id", "description", "when", "flag", "label", "explanation", "alert"),
    required=("id", "when", "flag", "label", "explanation"),
    fact_types=FLAG_FACT_TYPES, explain_key="explanation", may_be_empty=True, id_example="waiting-for-bed",
    when_example="'route == \"bed_rehab\" and capacity_free == 0'",
    description_hint="description should be plain English",
    payload=_flag_payload,
)


def _entries(kind: EntryKind, items, lists, clocks: ClockPolicy) -> tuple:
    """Every entry of one file's list, in order: the one path rules and flags load by."""
    if items is None and kind.may_be_empty:
        items = []
    if not isinstance(items, list) or (not items and not kind.may_be_empty):
        problem = f"should be a list of {kind.section}" + (" (or [] for none)" if kind.may_be_empty else "")
        raise PolicyError(kind.file, problem, kind.section)
    context = expressions.build_context(lists, kind.fact_types)
    entries = []
    for row, item in enumerate(items, start=1):
        entry_id = item.get("id") if isinstance(item, dict) else None
        where = f"{kind.build.KIND} {entry_id if entry_id else row}"
        check_fields(kind.file, where, item, kind.fields, required=kind.required)
        if not isinstance(entry_id, str) or not _ENTRY_ID.match(entry_id):
            raise PolicyError(kind.file, f"id should be lower-case words joined by -, e.g. {kind.id_example}", where)
        earlier = next((e for e in entries if e.id == entry_id), None)
        if earlier:
            raise PolicyError(kind.file, f"duplicate {kind.build.KIND} id (also row {earlier.shown_row})", where)
        payload = kind.payload(item, where, clocks, entries)
        description = item.get("description", "")
        if not isinstance(description, str) or (not description.strip() and "description" in kind.required):
            raise PolicyError(kind.file, kind.description_hint, where)
        when = item["when"]
        if isinstance(when, bool):  # `when: true` unquoted is what anyone would write
            when = "true" if when else "false"
        if not isinstance(when, str) or not when.strip():
            raise PolicyError(kind.file, f"when should be an expression, e.g. {kind.when_example}", where)
        template = _template(item[kind.explain_key], where, kind)
        compiled, facts_read, test, is_fast = _expression(when, context, lists, where, kind)
        entries.append(kind.build(
            id=entry_id, row=row, description=description.strip(), when=when,
            facts=tuple(name for name in kind.fact_types if name in facts_read),
            compiled=compiled, template=template, test=test, is_fast=is_fast,
            **{kind.explain_key: item[kind.explain_key].strip()}, **payload,
        ))
    return tuple(entries)


def _check_fallback(rules: tuple[PolicyRule, ...]) -> None:
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


def _expression(when: str, context, lists, where: str, kind: EntryKind):
    """``when`` compiled, the facts it reads, and its test (fast or not). rule-engine
    and our walks over its tree recurse: an expression nested past Python's
    limit (``not not ... true``) is refused as a mistake, not a crash."""
    try:
        compiled = _compile(when, context, where, kind.file)
        facts_read = expressions.symbols(compiled) & frozenset(kind.fact_types)
        return (compiled, facts_read, *_checked_test(compiled, facts_read, lists, where, kind))
    except PolicyError:
        raise
    except RecursionError:
        raise PolicyError(kind.file, "when is nested too deeply to read: write it flatter", where) from None
    except (ArithmeticError, ValueError) as exc:  # a number rule-engine or Python cannot hold
        raise PolicyError(kind.file, f"when holds a value that cannot be used ({str(exc).split(';')[0]})",
                          where) from None


def _compile(when: str, context, where: str, file: str) -> rule_engine.Rule:
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


def _checked_test(compiled: rule_engine.Rule, facts_read, lists, where, kind: EntryKind):
    """Run the expression over every probe case: refuse it if rule-engine cannot
    evaluate one (an unrecorded fact compared without a null check), and keep
    the fast closure only if it gives rule-engine's answer on every one."""
    try:
        fast = compiler.compile_rule(compiled.statement, lists, frozenset(kind.fact_types))
    except compiler.Unsupported:
        fast = None
    for case in expressions.probe_cases(compiled, facts_read, lists, kind.fact_types):
        try:
            expected = compiled.matches({**case, **lists})
        except (re_errors.EngineError, TypeError) as exc:
            shown = ", ".join(f"{name} = {'null' if v is None else repr(v)}" for name, v in case.items())
            raise PolicyError(
                kind.file, f"when fails for {shown} ({getattr(exc, 'message', exc)}); a fact that was "
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


def _template(explain, where, kind: EntryKind) -> tuple:
    """Parse the explanation once: pairs of (literal text, fact name or None)."""
    key, file = kind.explain_key, kind.file
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
        if name not in kind.fact_types or spec or conversion:
            raise PolicyError(
                file, f"unknown placeholder {{{name}}} in {key} (a placeholder is a fact name: "
                f"{', '.join(kind.fact_types)})", where)
        parts.append(("", name))
    return tuple(parts)
