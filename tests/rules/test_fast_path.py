"""The compiled fast path (rules/compiler.py) must decide exactly as
rule-engine does, for any facts, not only the probe cases checked at load."""
import shutil
from datetime import UTC, date, datetime

import pytest
import rule_engine
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.compiler import Unsupported, compile_rule
from rules.expressions import build_context
from rules.facts import derive_facts
from rules.loader import DEFAULT_DIRECTORY, load_policy

POLICY = load_policy()
NEEDS = ["fall_no_injury", "carer_breakdown", "mental_health_crisis", "rehabilitation",
         "personal_care_support", "social_support", "other"]
maybe_bool = st.none() | st.booleans()

facts = st.fixed_dictionaries({
    "source": st.sampled_from(["emas", "nhs111", "gp", "self"]),
    "emas_category": st.none() | st.sampled_from([3, 4, 5]),
    "age_years": st.none() | st.integers(0, 110),
    "postcode_area": st.none() | st.sampled_from(["NN", "MK", "LE", ""]),
    "postcode_district": st.none() | st.sampled_from(["NN1", "NN10", "MK9", "LE1"]),
    "presenting_need": st.sampled_from(NEEDS),
    "disposition": st.none() | st.sampled_from(["Dx012", "Dx02", "Dx05", "Dx116"]),
    "disposition_prefix": st.none() | st.sampled_from(["Dx01", "Dx02", "Dx03", "Dx05", "Dx11"]),
    "red_flags": st.lists(st.sampled_from(["chest_pain", "stroke_symptoms", "major_bleed"]), unique=True),
    "news2": st.none() | st.integers(0, 20),
    "clinical_frailty_scale": st.none() | st.integers(1, 9),
    "mh_risk": st.none() | st.sampled_from(["none", "low", "moderate", "high"]),
    "suicidal_ideation": maybe_bool,
    "medically_stable": maybe_bool,
    "rehab_potential": maybe_bool,
    "needs_overnight_care": maybe_bool,
    "consent": maybe_bool,
    "nhs_number_check_failed": st.booleans(),
    "lives_alone": maybe_bool,
    "kind": st.sampled_from(["community", "discharge"]),
    "days_until_drd": st.none() | st.integers(-30, 30),
    "proposed_pathway": st.none() | st.integers(0, 3),
    "mobility": st.none() | st.sampled_from(["independent", "with_aid", "one_carer", "two_carers", "bed_bound"]),
    "personal_care": maybe_bool,
    "night_care": maybe_bool,
    "two_carers": maybe_bool,
    "rehab_goals": maybe_bool,
    "cognition_concern": maybe_bool,
    "care_package": st.none() | st.sampled_from(["none", "paused", "lapsed"]),
    "usual_residence": st.none() | st.sampled_from(["home", "care_home", "other"]),
})


@settings(max_examples=500, deadline=None)
@given(facts)
def test_every_rule_gives_rule_engines_answer_for_any_facts(example):
    for rule in POLICY.rules:
        assert rule.test(example) == rule.compiled.matches({**example, **POLICY.lists}), rule.id


@pytest.mark.parametrize(("expression", "facts"), [
    ("news2 == 7", {"news2": 7}),
    ("news2 == '7'", {"news2": 7}),
    ("medically_stable != null", {"medically_stable": None}),
    ("not (age_years >= 18) and age_years != null", {"age_years": 17}),
    ("'chest_pain' in red_flags", {"red_flags": ["chest_pain"]}),
    ("'chest_pain' not in red_flags", {"red_flags": []}),
    ("red_flags.length >= 2", {"red_flags": ["a", "b"]}),
    ("presenting_need in ['rehabilitation', 'other']", {"presenting_need": "other"}),
    ("postcode_district in covered_postcode_districts", {"postcode_district": "NN1"}),
])
def test_compiled_expression_matches_rule_engine(expression, facts):
    context = build_context(POLICY.lists)
    rule = rule_engine.Rule(expression, context=context)
    assert compile_rule(rule.statement, POLICY.lists)(facts) == rule.matches({**facts, **POLICY.lists})


@pytest.mark.parametrize("expression", [
    "presenting_need =~ 'rehab.*'",
    "[f for f in red_flags if f == 'chest_pain'].length > 0",
    "news2 != null and news2 + 1 >= 7",
])
def test_syntax_the_fast_path_does_not_cover_is_left_to_rule_engine(expression):
    rule = rule_engine.Rule(expression, context=build_context(POLICY.lists))
    with pytest.raises(Unsupported):
        compile_rule(rule.statement, POLICY.lists)


def test_ordering_an_unrecorded_fact_is_an_error_on_both_paths():
    rule = rule_engine.Rule("age_years < 18", context=build_context(POLICY.lists))
    with pytest.raises(rule_engine.errors.EvaluationError):
        rule.matches({"age_years": None})
    with pytest.raises(rule_engine.errors.EvaluationError):
        compile_rule(rule.statement, POLICY.lists)({"age_years": None})


def test_a_rule_the_fast_path_cannot_compile_still_loads_and_decides(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    routing = tmp_path / "routing.yaml"
    routing.write_text(routing.read_text().replace(
        "\"presenting_need == 'personal_care_support'\"", "\"presenting_need =~ 'personal_care_.*'\""))
    policy = load_policy(tmp_path)
    reablement = next(r for r in policy.rules if r.id == "reablement")
    assert not reablement.is_fast
    facts = derive_facts({"source": "gp", "presenting_need": "personal_care_support", "consent": True,
                          "patient": {"date_of_birth": date(1950, 6, 1), "postcode": "NN1 5BD"}},
                         received_at=datetime(2026, 1, 5, 10, tzinfo=UTC))
    assert policy.decide(facts).rule_id == "reablement"
