"""Errors a policy file can raise when it loads, and the two helpers every
policy file is read through. Each error names the file, the rule (or route and
clock) and the problem, so whoever edited the YAML can fix it without reading
Python."""
from collections.abc import Hashable

import yaml


class PolicyError(ValueError):
    """The policy files do not load. The app refuses to start with one of these,
    rather than failing mid-triage."""

    def __init__(self, file: str, problem: str, where: str | None = None):
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}: {where}: {problem}" if where else f"{file}: {problem}")


class DecisionError(RuntimeError):
    """A rule could not be evaluated for these facts. Load-time checks make this
    rare; it is raised rather than skipping the rule, because skipping (say) the
    red-flag row would route an emergency to a community service."""


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys without a word; in a policy file
    that silently drops a route's clocks, so a repeated key is an error."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise yaml.constructor.ConstructorError(
                    None, None, "a list or mapping as a key", key_node.start_mark)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        # PyYAML builds a date or a number with Python's own constructors, whose errors
        # (2026-13-45, an integer of 5000 digits) are not YAML errors: made one, with the line.
        try:
            return super().construct_object(node, deep=deep)
        except (ArithmeticError, ValueError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"a value that cannot be read ({str(exc).split(';')[0]})", node.start_mark) from None


# Nodes in a file once its aliases (*name) are expanded. A policy file is at most 48 KB,
# so a few tens of thousands without aliases; a few lines of nested aliases ("billion
# laughs") stand for a thousand million, which any walk of the file (a message's repr,
# finding a line for the replay page) would take minutes to go through.
EXPANDED_MAX = 100_000


def _expanded(node, sizes: dict) -> int:
    """How many nodes ``node`` stands for, each alias counted in full (every distinct
    node sized once, so this is quick however much the aliases repeat)."""
    if id(node) not in sizes:
        sizes[id(node)] = 0  # a recursive alias (&a [*a]) counts as nothing more
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        sizes[id(node)] = 1 + sum(_expanded(child, sizes) for child in children)
    return sizes[id(node)]


def read_yaml(file: str, data: bytes) -> dict:
    """The mapping in one policy file's bytes, or a PolicyError naming the file."""
    try:
        loader = _StrictLoader(data)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded(node, {}) > EXPANDED_MAX:
                raise PolicyError(file, f"too large once its aliases (*name) are expanded (over {EXPANDED_MAX:,} "
                                        "values): write the values out instead")
            loaded = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise PolicyError(file, f"not valid YAML: {exc}") from None
    except RecursionError:  # the parser recurses once a level: [[[[... past Python's limit
        raise PolicyError(file, "nested too deeply to read (a policy file is a few levels deep)") from None
    except MemoryError:
        raise PolicyError(file, "too large to read") from None
    if not isinstance(loaded, dict):
        raise PolicyError(file, "should be a mapping of named sections")
    return loaded


def check_fields(file: str, where: str | None, mapping, allowed, required=()) -> None:
    """Refuse unknown and missing fields: a misspelt field (``wen:``) must never
    be silently ignored."""
    if not isinstance(mapping, dict):
        raise PolicyError(file, f"should be a mapping with fields {', '.join(allowed)}", where)
    unknown = [str(k) for k in mapping if k not in allowed]
    if unknown:
        raise PolicyError(
            file, f"unknown field {', '.join(map(repr, unknown))} (known: {', '.join(allowed)})", where)
    missing = [k for k in required if k not in mapping]
    if missing:
        raise PolicyError(file, f"missing field {', '.join(map(repr, missing))}", where)
