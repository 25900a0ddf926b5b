"""A policy file of any shape, uploaded to the replay page (spoa/replay/candidate.py
from_files, the path the page and the CLI share), loads or is one CandidateError naming
the file: never another exception, which the page would answer with a 500."""
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.loader import DEFAULT_DIRECTORY, FILES
from spoa.replay import candidate as candidates

RUNNING = {name: yaml.safe_load((Path(DEFAULT_DIRECTORY) / name).read_bytes()) for name in FILES}

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)


def paths(value, here=()):
    """Every place in a parsed file: the tuple of keys and indexes leading to it."""
    yield here
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*here, index))


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


def assert_loads_or_names_the_file(name: str, data: bytes) -> None:
    try:
        candidates.from_files({name: data}, DEFAULT_DIRECTORY)
    except candidates.CandidateError as exc:
        assert exc.field == name and exc.message.startswith(name), exc.message


CHECKS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@CHECKS
@given(st.sampled_from(FILES), st.binary(max_size=400))
def test_arbitrary_bytes(name, data):
    assert_loads_or_names_the_file(name, data)


@CHECKS
@given(st.sampled_from(FILES), st.data(), anything)
def test_the_running_file_with_any_value_anywhere_replaced_by_anything(name, data, new):
    place = data.draw(st.sampled_from(list(paths(RUNNING[name]))))
    assert_loads_or_names_the_file(name, yaml.safe_dump(replaced(RUNNING[name], place, new)).encode())


@CHECKS
# Python's recursion limit is 1,000: deeper than 4,000 levels shows nothing more, only slower.
@given(st.sampled_from(FILES), st.sampled_from(["[", "{a: ", "- ", "not ", "-"]), st.integers(200, 4000))
def test_anything_nested_deeply(name, opening, depth):
    if opening in ("not ", "-"):  # inside an expression: the first flag's or rule's when
        section = "rules" if "rules" in RUNNING[name] else "flags"
        if section not in RUNNING[name]:
            return
        first = RUNNING[name][section][0]
        document = replaced(RUNNING[name], (section, 0), {**first, "when": opening * depth + "true"})
        data = yaml.safe_dump(document).encode()
    else:
        data = (opening * depth).encode()
    assert_loads_or_names_the_file(name, data)
