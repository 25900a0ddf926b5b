"""A fast path for parsed rules: the rule-engine AST turned into Python closures.

Why: rule-engine 4.5.3 re-types every value it reads (``x in list`` builds a
new array type over the whole list each time), so the 17-row policy decided
only ~5,000 referrals a second. rule-engine stays the parser, the type checker
and the reference: loader.py compiles a rule here only after parsing it, and
uses the closure only if it agrees with ``Rule.matches`` on every probe case
(see expressions.probe_cases). Anything this module does not know raises
Unsupported and the rule is evaluated by rule-engine itself, just slower.

The closures reproduce rule-engine's semantics for what they cover: numbers
are Decimals and lists tuples (as rule-engine coerces them), ``==`` between
different types is false, ordering a null against a number is an error.
"""
import operator
from decimal import Decimal

from rule_engine import ast as re_ast
from rule_engine import errors as re_errors

from .facts import FACT_NAMES

_ORDER = {"ge": operator.ge, "gt": operator.gt, "le": operator.le, "lt": operator.lt}
_LITERALS = (re_ast.BooleanExpression, re_ast.FloatExpression, re_ast.StringExpression,
             re_ast.NullExpression)


class Unsupported(Exception):
    """Syntax the fast path does not cover: rule-engine evaluates this rule."""


class _Scope(dict):
    """The policy's lists by name, and which other symbols are facts."""

    def __init__(self, lists: dict, facts):
        super().__init__(lists)
        self.facts = facts


def compile_rule(statement: re_ast.Statement, lists: dict, fact_names=FACT_NAMES):
    """A function facts -> bool equivalent to ``Rule.matches`` for this statement.
    ``fact_names``: the symbols that are facts (flags read two more than routing)."""
    test = _node(statement.expression, _Scope(lists, fact_names))
    return lambda facts: bool(test(facts))


def _value(value):
    # rule-engine's coerce_value for the types facts may hold.
    kind = type(value)
    if kind is int:
        return Decimal(value)
    if kind is list:
        return tuple(_value(v) for v in value)
    return value


def _constant(node, lists):
    """The value of a node fixed at load (a literal or a list from the policy), else Unsupported."""
    if type(node) in _LITERALS:
        return node.value
    if type(node) is re_ast.ArrayExpression:
        return tuple(_constant(member, lists) for member in node.value)
    if type(node) is re_ast.SymbolExpression and node.scope is None and node.name in lists:
        return tuple(_value(v) for v in lists[node.name])
    raise Unsupported(type(node).__name__)


def _node(node, lists):
    kind = type(node)
    try:
        value = _constant(node, lists)
        return lambda facts: value
    except Unsupported:
        pass
    if kind is re_ast.SymbolExpression:
        if node.scope is not None or node.name not in lists.facts:
            raise Unsupported(f"symbol {node.name}")
        name = node.name
        return lambda facts: _value(facts[name])
    if kind is re_ast.LogicExpression:
        left, right = _node(node.left, lists), _node(node.right, lists)
        if node.type == "and":
            return lambda facts: bool(left(facts) and right(facts))
        return lambda facts: bool(left(facts) or right(facts))
    if kind is re_ast.UnaryExpression and node.type == "not":
        right = _node(node.right, lists)
        return lambda facts: not right(facts)
    if kind is re_ast.ComparisonExpression:
        return _equality(node, lists)
    if kind is re_ast.ArithmeticComparisonExpression:
        return _ordering(node, lists)
    if kind is re_ast.ContainsExpression:
        return _contains(node, lists)
    if kind is re_ast.GetAttributeExpression and not node.safe and node.name in ("is_empty", "length"):
        return _size(node, lists)
    raise Unsupported(kind.__name__)


def _equality(node, lists):
    left, right = _node(node.left, lists), _node(node.right, lists)
    if node.type == "eq":
        def equal(facts):
            a, b = left(facts), right(facts)
            return type(a) is type(b) and a == b
        return equal
    if node.type == "ne":
        def not_equal(facts):
            a, b = left(facts), right(facts)
            return type(a) is not type(b) or a != b
        return not_equal
    raise Unsupported(node.type)


def _ordering(node, lists):
    # Arrays order element by element in rule-engine; only scalars are covered here.
    for side in (node.left, node.right):
        if side.result_type == re_ast.DataType.UNDEFINED or not side.result_type.is_scalar:
            raise Unsupported("ordering of a non-scalar")
    left, right, op = _node(node.left, lists), _node(node.right, lists), _ORDER[node.type]
    nulls_equal = op in (operator.ge, operator.le)

    def compare(facts):
        a, b = left(facts), right(facts)
        if a is None and b is None:
            return nulls_equal
        if type(a) is not type(b):
            raise re_errors.EvaluationError("data type mismatch")
        return op(a, b)
    return compare


def _contains(node, lists):
    member = _node(node.member, lists)
    try:
        items = _constant(node.container, lists)
        frozen = frozenset(items)  # a list from the policy: hashed once, not per decision
        return lambda facts: member(facts) in frozen
    except (Unsupported, TypeError):
        pass
    container = _node(node.container, lists)

    def contains(facts):
        box, item = container(facts), member(facts)
        if isinstance(box, (str, bytes)) and type(item) is not type(box):
            raise re_errors.EvaluationError("data type mismatch")
        return item in box
    return contains


def _size(node, lists):
    subject, name = _node(node.object, lists), node.name

    def size(facts):
        value = subject(facts)
        if not isinstance(value, (tuple, str, bytes)):
            raise re_errors.AttributeResolutionError(name, value)
        return len(value) == 0 if name == "is_empty" else Decimal(len(value))
    return size
