"""Every scenario file in rules/scenarios/ is one case: the policy must reach
the rule, route and urgency it expects."""
from pathlib import Path

import pytest

from rules.loader import load_policy
from rules.scenario_runner import DEFAULT_DIRECTORY, ScenarioError, load_scenarios, run_scenario, unpinned_rules

POLICY = load_policy()
SCENARIOS = load_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_reaches_its_expected_rule_route_and_urgency(scenario):
    result = run_scenario(POLICY, scenario)
    assert result.passed, result.message
    decision = result.actual
    assert decision.rule_id == scenario.expected["rule_id"]
    assert decision.route == scenario.expected["route"]
    assert decision.urgency == scenario.expected["urgency"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fast_path_and_rule_engine_agree_on_every_rule_for_the_scenario(scenario):
    for rule in POLICY.rules:
        assert rule.test(scenario.facts) == rule.compiled.matches({**scenario.facts, **POLICY.lists}), rule.id


def test_every_policy_rule_is_pinned_by_a_scenario():
    assert unpinned_rules(POLICY, SCENARIOS) == []


def test_there_is_one_scenario_file_per_case_for_all_seventeen_rows_d1_to_d9_and_p1_to_p3():
    assert len(SCENARIOS) == len(list(DEFAULT_DIRECTORY.glob("*.yaml")))
    assert {s.expected["rule_id"] for s in SCENARIOS} == {r.id for r in POLICY.rules}
    assert len(POLICY.rules) == 17 + 9 + 3


def test_a_rule_without_a_scenario_is_reported_unpinned():
    without_fallback = [s for s in SCENARIOS if s.expected["rule_id"] != "fallback"]
    assert unpinned_rules(POLICY, without_fallback) == ["fallback"]


def test_a_failing_scenario_reports_expected_and_actual(tmp_path):
    (tmp_path / "wrong.yaml").write_text(
        "description: expects the wrong route\n"
        "received_at: 2026-11-22T09:41:00+00:00\n"
        "referral: {presenting_need: fall_no_injury}\n"
        "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n")
    [scenario] = load_scenarios(tmp_path)
    result = run_scenario(POLICY, scenario)
    assert not result.passed
    assert result.actual.rule_id == "ucr-condition"
    assert result.expected == {"rule_id": "fallback", "route": "supervisor_review", "urgency": "urgent"}
    assert "expected fallback -> supervisor_review (urgent)" in result.message
    assert "got ucr-condition -> crisis_response (urgent) at row 8" in result.message


def test_scenario_referral_is_loaded_in_the_intake_schema_shape(tmp_path):
    (tmp_path / "shape.yaml").write_text(
        "description: raw values as a sender might type them\n"
        "received_at: '2026-03-14T00:30:00Z'\n"
        "referral:\n"
        "  patient: {date_of_birth: '2008-03-14', postcode: nn15bd}\n"
        "  pathways_disposition: dx05\n"
        "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n")
    [scenario] = load_scenarios(tmp_path)
    assert scenario.received_at.tzinfo is not None
    assert scenario.referral["patient"]["date_of_birth"].isoformat() == "2008-03-14"
    assert scenario.referral["patient"]["postcode"] == "NN1 5BD"
    assert scenario.referral["pathways_disposition"] == "Dx05"
    assert scenario.referral["consent"] is True  # from the baseline
    assert scenario.facts["age_years"] == 18


def test_a_discharge_scenario_starts_from_a_ward_referral_ready_on_the_uk_day_received(tmp_path):
    (tmp_path / "ward.yaml").write_text(
        "description: a discharge received at 00:30 BST\n"
        "received_at: '2026-06-30T23:30:00Z'\n"
        "referral:\n"
        "  kind: discharge\n"
        "  discharge: {needs: {night_care: false, equipment: [commode]}, proposed_pathway: 1}\n"
        "expect: {rule_id: discharge-p0-support, route: voluntary_sector, urgency: routine}\n")
    [scenario] = load_scenarios(tmp_path)
    section = scenario.referral["discharge"]
    assert scenario.referral["source"] == "acute"
    assert section["discharge_ready_date"].isoformat() == "2026-07-01"  # the UK day, not UTC's 30 June
    assert section["admitted_on"].isoformat() == "2026-06-28"
    assert section["needs"] == {"night_care": False, "equipment": ["commode"]}
    assert (scenario.facts["kind"], scenario.facts["days_until_drd"], scenario.facts["proposed_pathway"]) == (
        "discharge", 0, 1)
    assert scenario.facts["rehab_goals"] is None  # not said: not known


def test_a_failing_discharge_scenario_names_its_d_row(tmp_path):
    (tmp_path / "wrong.yaml").write_text(
        "description: expects the wrong route\n"
        "received_at: 2026-11-22T09:41:00+00:00\n"
        "referral: {kind: discharge, discharge: {needs: {rehab_goals: true}}}\n"
        "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n")
    [scenario] = load_scenarios(tmp_path)
    assert "got discharge-p1-rehab -> home_rehab (urgent) at row D5" in run_scenario(POLICY, scenario).message


@pytest.mark.parametrize(("text", "problem"), [
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nreferral: {discharge: {ward: A}}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "referral.discharge is only for a discharge referral: add kind: discharge"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nreferral: {kind: hospital}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "referral.kind 'hospital' should be one of community, discharge, pushed_call"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\n"
     "referral: {kind: discharge, discharge: {needs: {night_cair: true}}}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "unknown field referral.discharge.needs.night_cair"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\n"
     "referral: {kind: discharge, discharge: {discharge_ready_date: next week}}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "referral.discharge.discharge_ready_date 'next week' is not a date"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nexpected: {}\n", "unknown key 'expected'"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nreferral: {presenting_nede: other}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "unknown field referral.presenting_nede"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nreferral: {patient: {postcod: NN1 5BD}}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "unknown field referral.patient.postcod"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nreferral: {consent: 'false'}\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n",
     "referral.consent should be bool"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00\n"
     "expect: {rule_id: fallback, route: supervisor_review, urgency: urgent}\n", "offset"),
    ("description: x\nreceived_at: 2026-11-22T09:41:00+00:00\nexpect: {rule_id: fallback}\n",
     "expect should give exactly rule_id, route, urgency"),
])
def test_a_bad_scenario_file_is_refused_naming_the_file_and_problem(tmp_path, text, problem):
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenarios(tmp_path)
    assert str(caught.value).startswith("bad.yaml: ")
    assert problem in str(caught.value)


def test_scenario_directory_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match="no scenario directory"):
        load_scenarios(Path(tmp_path / "missing"))
