"""Rule expressions: parsed once with rule-engine, typed against the facts,
and probed at load for the mistakes a parser cannot see.

rule-engine type-checks symbols and literals while parsing, but a comparison
with a value that is "not recorded" (None) only fails when it runs:
``news2 >= 7`` raises when news2 is null. ``probe_cases`` gives, for each
rule, the unknown and the interesting values of the facts it reads; the
engine runs the rule over all of them, so such a rule is refused when the
policy loads instead of breaking a live triage.
"""
import itertools
import math
from decimal import Decimal

import rule_engine
from rule_engine import ast as re_ast

from .facts import FACT_TYPES

# A list of needs, prefixes or postcode areas is typed as an array of anything
# for the same reason as red_flags: an empty list (covered_postcode_districts)
# must not be a type error.
LIST_TYPE = rule_engine.DataType.ARRAY(rule_engine.DataType.UNDEFINED)
PROBE_LIMIT = 20_000  # combinations tried per rule; the largest shipped rule needs 81


def build_context(list_names, fact_types=None) -> rule_engine.Context:
    """One context per policy: every fact and list name typed, anything else an
    unknown symbol at load. ``fact_types`` defaults to the routing facts (flags
    read FLAG_FACT_TYPES)."""
    types = {name: fact.data_type for name, fact in (fact_types or FACT_TYPES).items()}
    types.update({name: LIST_TYPE for name in list_names})
    return rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dict(types),
        default_timezone="utc",
    )


def children(node):
    """The sub-nodes of a rule-engine AST node (slots and plain attributes alike)."""
    names = [slot for cls in type(node).__mro__ for slot in getattr(cls, "__slots__", ())]
    names += list(getattr(node, "__dict__", {}))
    for name in names:
        if name == "context":
            continue
        value = getattr(node, name, None)
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, (re_ast.ExpressionBase, re_ast.Statement)):
                yield item


def walk(node):
    yield node
    for child in children(node):
        yield from walk(child)


def symbols(rule: rule_engine.Rule) -> set[str]:
    """Every symbol name the expression reads (facts, lists, comprehension variables)."""
    return {n.name for n in walk(rule.statement) if isinstance(n, re_ast.SymbolExpression)}


def literals(rule: rule_engine.Rule) -> list:
    """The literal values written in the expression, as Python values."""
    found = []
    for node in walk(rule.statement):
        if isinstance(node, re_ast.LiteralExpressionBase) and not isinstance(node.value, (tuple, list)):
            found.append(node.value)
    return found


def _candidates(name, rule_literals, list_items, fact_types):
    """Values worth trying for one fact: unknown, something matching nothing,
    and everything the rule (or a list it reads) compares against."""
    fact = fact_types[name]
    strings = sorted({v for v in (*rule_literals, *list_items) if isinstance(v, str)})
    if fact.python_type is bool:
        values = [True, False]
    elif fact.python_type is int:
        numbers = {int(v) for v in rule_literals if isinstance(v, (int, float, Decimal))
                   and not isinstance(v, bool) and math.isfinite(v)}  # inf and nan have no integer near them
        values = sorted({0, *numbers, *(n - 1 for n in numbers), *(n + 1 for n in numbers)})
    elif fact.python_type is list:
        values = [[], [strings[0] if strings else "x"]]
    else:
        values = ["", *strings]
    return ([None] if fact.nullable else []) + values


def probe_cases(rule: rule_engine.Rule, facts_read, lists: dict, fact_types=None):
    """Every combination (up to PROBE_LIMIT) of the candidate values of the
    facts the rule reads, as dicts of those facts."""
    fact_types = fact_types or FACT_TYPES
    rule_literals = literals(rule)
    list_items = [item for name in symbols(rule) if name in lists for item in lists[name]]
    names = sorted(facts_read)
    options = [_candidates(name, rule_literals, list_items, fact_types) for name in names]
    for values in itertools.islice(itertools.product(*options), PROBE_LIMIT):
        yield dict(zip(names, values, strict=True))
