"""flags.yaml: flags raised once the route is decided, loaded and checked like
the routing rules (a bad flag stops the load, naming the file and the flag)."""
import dataclasses
import shutil

import pytest

from rules.errors import DecisionError, PolicyError
from rules.loader import DEFAULT_DIRECTORY, load_policy
from rules.scenario_runner import load_scenarios, run_scenario, unpinned_flags

POLICY = load_policy()
FACTS = load_scenarios()[0].facts  # any valid facts: the shipped flag reads only route and capacity_free


@pytest.fixture
def policy_dir(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def with_flags(directory, text):
    (directory / "flags.yaml").write_text(text)
    return directory


def load_error(directory) -> str:
    with pytest.raises(PolicyError) as caught:
        load_policy(directory)
    return str(caught.value)


FLAG = """flags:
  - id: waiting-for-bed
    when: '{when}'
    flag: bed
    label: Waiting for bed
    explanation: "No bed is free."
    alert: supervisor
"""


@pytest.mark.parametrize("route, free, raised", [
    ("bed_rehab", 0, ["waiting-for-bed"]),
    ("bed_rehab", 1, []),
    ("bed_rehab", None, []),  # not declared is not none free
    ("home_rehab", 0, []),
])
def test_the_shipped_flag_waits_for_a_bed_only_when_none_is_free(route, free, raised):
    assert [f.id for f in POLICY.flags_for(FACTS, route, free)] == raised


def test_a_raised_flag_says_what_it_is_and_who_to_alert():
    [flag] = POLICY.flags_for(FACTS, "bed_rehab", 0)
    assert (flag.flag, flag.label, flag.alert) == ("bed", "Waiting for bed", "supervisor")
    assert flag.explanation.endswith(".") and flag.facts_used == {"route": "bed_rehab", "capacity_free": 0}


def test_flags_are_part_of_the_policy_version(policy_dir):
    before = load_policy(policy_dir).version
    text = (policy_dir / "flags.yaml").read_text().replace("label: Waiting for bed", "label: Needs a bed")
    with_flags(policy_dir, text)
    assert load_policy(policy_dir).version != before


def test_a_missing_flags_file_is_named(policy_dir):
    (policy_dir / "flags.yaml").unlink()
    assert load_error(policy_dir).startswith("flags.yaml: cannot be read from")


def test_an_unknown_fact_names_the_file_and_the_flag(policy_dir):
    with_flags(policy_dir, FLAG.format(when='route == "bed_rehab" and beds_free == 0'))
    assert load_error(policy_dir) == ("flags.yaml: flag waiting-for-bed: unknown name 'beds_free' in when "
                                      "(did you mean capacity_free?)")


def test_a_syntax_error_names_the_file_and_the_flag(policy_dir):
    with_flags(policy_dir, FLAG.format(when='route == "bed_rehab" and'))
    assert load_error(policy_dir).startswith("flags.yaml: flag waiting-for-bed: syntax error in when")


def test_comparing_capacity_without_a_null_check_is_refused_at_load(policy_dir):
    with_flags(policy_dir, FLAG.format(when='route == "bed_rehab" and capacity_free < 1'))
    message = load_error(policy_dir)
    assert message.startswith("flags.yaml: flag waiting-for-bed: when fails for")
    assert "capacity_free = null" in message


@pytest.mark.parametrize("old, new, problem", [
    ("alert: supervisor", "alert: everyone", "unknown alert 'everyone' (known: supervisor, none)"),
    ("flag: bed", "flag: a bed", "flag should be one lower-case word"),
    ("    label: Waiting for bed\n", "", "missing field 'label'"),
    ("alert: supervisor", "alert: supervisor\n    route: bed_rehab", "unknown field 'route'"),
])
def test_a_badly_written_flag_is_refused_naming_it(policy_dir, old, new, problem):
    with_flags(policy_dir, FLAG.format(when="capacity_free == 0").replace(old, new))
    message = load_error(policy_dir)
    assert message.startswith("flags.yaml: flag ") and problem in message


def test_no_flags_at_all_is_a_valid_policy(policy_dir):
    with_flags(policy_dir, "flags: []\n")
    assert load_policy(policy_dir).flags == ()


def test_a_flag_that_fails_at_decision_time_raises_like_a_rule_would():
    broken = dataclasses.replace(POLICY.flags[0], test=lambda values: 1 < None)
    policy = dataclasses.replace(POLICY, flags=(broken,))
    with pytest.raises(DecisionError, match="flag waiting-for-bed \\(row 1\\) could not be evaluated"):
        policy.flags_for(FACTS, "bed_rehab", 0)


def test_rules_and_flags_are_one_kind_of_entry_and_the_loaded_policy_is_frozen():
    from rules.policy_model import Entry
    assert all(isinstance(entry, Entry) for entry in (*POLICY.rules, *POLICY.flags))
    with pytest.raises(dataclasses.FrozenInstanceError):
        POLICY.flags = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        POLICY.flags[0].label = "Needs a bed"


def test_a_flag_cannot_be_evaluated_for_an_unknown_route():
    with pytest.raises(DecisionError):
        POLICY.flags_for(FACTS, "bed_rehabilitation", 0)


SCENARIO = """description: bed rehab, {free} free
received_at: 2026-11-22T09:41:00+00:00
referral:
  presenting_need: rehabilitation
  function: {{medically_stable: true, rehab_potential: true, needs_overnight_care: true}}
capacity_free: {free}
expect: {{rule_id: rehab-bed, route: bed_rehab, urgency: routine, flags: {flags}}}
"""


def test_a_scenario_gives_capacity_and_expects_flags(tmp_path):
    (tmp_path / "flagged.yaml").write_text(SCENARIO.format(free=0, flags="[waiting-for-bed]"))
    (tmp_path / "wrong.yaml").write_text(SCENARIO.format(free=2, flags="[waiting-for-bed]"))
    flagged, wrong = load_scenarios(tmp_path)
    assert run_scenario(POLICY, flagged).passed
    result = run_scenario(POLICY, wrong)
    assert not result.passed
    assert "expected rehab-bed -> bed_rehab (routine) flags [waiting-for-bed]" in result.message
    assert "got rehab-bed -> bed_rehab (routine) flags []" in result.message
    assert unpinned_flags(POLICY, [flagged]) == [] and unpinned_flags(POLICY, []) == ["waiting-for-bed"]


def test_a_scenario_with_a_bad_capacity_or_flags_is_named(tmp_path):
    (tmp_path / "bad.yaml").write_text(SCENARIO.format(free="lots", flags="[]"))
    with pytest.raises(ValueError, match="bad.yaml: capacity_free should be a whole number"):
        load_scenarios(tmp_path)
    (tmp_path / "bad.yaml").write_text(SCENARIO.format(free=0, flags="waiting-for-bed"))
    with pytest.raises(ValueError, match="bad.yaml: expect.flags should be a list"):
        load_scenarios(tmp_path)


def test_the_shipped_scenarios_pin_every_flag():
    assert unpinned_flags(POLICY, load_scenarios()) == []


# --- which routes need the capacity looked up (a query at intake) ---------------------
def test_capacity_is_needed_only_on_the_routes_a_capacity_flag_can_hold_for():
    assert POLICY.flags_read_capacity("bed_rehab")
    assert not any(POLICY.flags_read_capacity(route) for route in POLICY.routes if route != "bed_rehab")


@pytest.mark.parametrize("when, routes", [
    ('route in ["bed_rehab", "home_rehab"] and capacity_free == 0', {"bed_rehab", "home_rehab"}),
    ('"home_rehab" == route and capacity_free != null and capacity_free < 2', {"home_rehab"}),
    ('capacity_free == 0', "all"),  # no route named: every route may need it
    ('route == "bed_rehab" or capacity_free == 0', "all"),  # an or pins nothing
    ('not (route == "bed_rehab") and capacity_free == 0', "all"),
])
def test_a_flag_pins_capacity_to_routes_only_through_a_conjunct_on_the_route(policy_dir, when, routes):
    policy = load_policy(with_flags(policy_dir, FLAG.format(when=when)))
    needed = {route for route in policy.routes if policy.flags_read_capacity(route)}
    assert needed == (set(policy.routes) if routes == "all" else routes)


def test_a_flag_that_reads_no_capacity_needs_none(policy_dir):
    policy = load_policy(with_flags(policy_dir, FLAG.format(when='route == "bed_rehab"')))
    assert not any(policy.flags_read_capacity(route) for route in policy.routes)
