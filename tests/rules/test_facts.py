"""Facts derived from a validated referral: the values the rules read."""
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import rule_engine

from rules.facts import FACT_TYPES, FactError, check_facts, derive_facts
from rules.loader import load_policy

UTC = UTC


def referral(**changes):
    base = {
        "source": "gp", "patient": {"date_of_birth": date(1950, 6, 1), "postcode": "NN1 5BD"},
        "presenting_need": "other", "red_flags": [], "consent": True,
    }
    base.update(changes)
    return base


def facts_for(received_at=datetime(2026, 11, 22, 9, 41, tzinfo=UTC), **changes):
    return derive_facts(referral(**changes), received_at=received_at)


def born(day):
    return {"date_of_birth": day, "postcode": "NN1 5BD"}


def test_derived_facts_have_exactly_the_declared_names_and_types():
    facts = facts_for()
    assert set(facts) == set(FACT_TYPES)
    check_facts(facts)


def test_age_counts_a_birthday_on_the_day_received():
    facts = facts_for(received_at=datetime(2026, 3, 14, 12, 0, tzinfo=UTC), patient=born(date(2008, 3, 14)))
    assert facts["age_years"] == 18


def test_age_the_day_before_a_birthday_is_a_year_less():
    facts = facts_for(received_at=datetime(2026, 3, 13, 23, 59, tzinfo=UTC), patient=born(date(2008, 3, 14)))
    assert facts["age_years"] == 17


def test_age_just_after_midnight_in_winter_is_on_the_uk_date():
    # 14 March 2026 is GMT: 00:30+00:00 is 00:30 in the UK, the birthday itself.
    facts = facts_for(received_at=datetime.fromisoformat("2026-03-14T00:30+00:00"), patient=born(date(2008, 3, 14)))
    assert facts["age_years"] == 18


def test_age_just_after_midnight_bst_is_on_the_uk_date_not_the_utc_date():
    # 23:30 UTC on 13 June is 00:30 BST on 14 June, the 18th birthday.
    facts = facts_for(received_at=datetime.fromisoformat("2026-06-13T23:30+00:00"), patient=born(date(2008, 6, 14)))
    assert facts["age_years"] == 18


def test_age_just_before_midnight_bst_is_still_the_day_before():
    facts = facts_for(received_at=datetime.fromisoformat("2026-06-13T22:30+00:00"), patient=born(date(2008, 6, 14)))
    assert facts["age_years"] == 17


def test_age_uses_the_uk_date_whatever_offset_the_sender_used():
    # 20:00 in New York (UTC-4) on 13 June is 01:00 BST on 14 June, the 18th birthday.
    new_york = timezone(timedelta(hours=-4))
    late = facts_for(received_at=datetime(2026, 6, 13, 20, 0, tzinfo=new_york), patient=born(date(2008, 6, 14)))
    assert late["age_years"] == 18


def test_someone_born_on_29_february_turns_a_year_older_on_1_march():
    leap = born(date(2008, 2, 29))
    assert facts_for(received_at=datetime(2026, 2, 28, 12, tzinfo=UTC), patient=leap)["age_years"] == 17
    assert facts_for(received_at=datetime(2026, 3, 1, 12, tzinfo=UTC), patient=leap)["age_years"] == 18


def test_date_of_birth_as_iso_text_is_read_as_a_date():
    facts = facts_for(received_at=datetime(2026, 3, 14, 12, tzinfo=UTC), patient=born("2008-03-14"))
    assert facts["age_years"] == 18


def test_no_date_of_birth_means_age_not_recorded():
    assert facts_for(patient={"postcode": "NN1 5BD"})["age_years"] is None


def test_a_naive_received_at_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        derive_facts(referral(), received_at=datetime(2026, 3, 14, 0, 30))


@pytest.mark.parametrize(("postcode", "area", "district"), [
    ("NN1 5BD", "NN", "NN1"),
    ("NN10 0AA", "NN", "NN10"),
    ("MK9 1AA", "MK", "MK9"),
    ("nn105bd", "NN", "NN10"),
    ("W1A 1AA", "W", "W1A"),
])
def test_postcode_area_and_district(postcode, area, district):
    facts = facts_for(patient={"date_of_birth": date(1950, 6, 1), "postcode": postcode})
    assert (facts["postcode_area"], facts["postcode_district"]) == (area, district)


@pytest.mark.parametrize(("code", "disposition", "prefix"), [
    ("Dx012", "Dx012", "Dx01"),
    ("DX02", "Dx02", "Dx02"),
    ("dx116", "Dx116", "Dx11"),
    ("Dx05", "Dx05", "Dx05"),
    (None, None, None),
])
def test_disposition_and_its_four_character_prefix(code, disposition, prefix):
    facts = facts_for(pathways_disposition=code)
    assert (facts["disposition"], facts["disposition_prefix"]) == (disposition, prefix)


def test_missing_optional_sub_objects_are_not_recorded_never_guessed():
    facts = facts_for()
    for name in ("news2", "clinical_frailty_scale", "mh_risk", "suicidal_ideation",
                 "medically_stable", "rehab_potential", "needs_overnight_care", "emas_category"):
        assert facts[name] is None, name
    assert facts["red_flags"] == []
    assert facts["nhs_number_check_failed"] is False


def test_sub_object_values_become_flat_facts():
    facts = facts_for(
        source="emas", emas_category=4, red_flags=["chest_pain"],
        observations={"news2": 5, "clinical_frailty_scale": 6},
        mental_health={"risk": "low", "suicidal_ideation": False},
        function={"medically_stable": True, "rehab_potential": False, "needs_overnight_care": None},
    )
    assert facts["emas_category"] == 4 and facts["red_flags"] == ["chest_pain"]
    assert (facts["news2"], facts["clinical_frailty_scale"]) == (5, 6)
    assert (facts["mh_risk"], facts["suicidal_ideation"]) == ("low", False)
    assert (facts["medically_stable"], facts["rehab_potential"], facts["needs_overnight_care"]) == (True, False, None)


def test_nhs_number_check_failure_is_a_fact_only_when_the_caller_says_so():
    facts = derive_facts(referral(), received_at=datetime(2026, 1, 1, tzinfo=UTC), nhs_number_check_failed=True)
    assert facts["nhs_number_check_failed"] is True


@pytest.mark.parametrize(("change", "problem"), [
    ({"news2": "7"}, "news2 should be int or None"),
    ({"news2": True}, "news2 should be int or None"),
    ({"red_flags": None}, "red_flags should be list"),
    ({"consent": "yes"}, "consent should be bool or None"),
    ({"colour": "blue"}, "unknown colour"),
])
def test_check_facts_refuses_wrong_types_and_unknown_names(change, problem):
    facts = {**facts_for(), **change}
    with pytest.raises(FactError, match=problem):
        check_facts(facts)


def test_check_facts_names_a_missing_fact():
    facts = facts_for()
    del facts["age_years"]
    with pytest.raises(FactError, match="missing age_years"):
        check_facts(facts)


def test_rule_engine_refuses_an_empty_list_for_a_symbol_typed_array_of_strings():
    """The rule-engine 4.5.3 quirk the fact types work round. If an upgrade
    fixes it this test fails, and red_flags could be typed ARRAY(STRING) again."""
    context = rule_engine.Context(type_resolver=rule_engine.type_resolver_from_dict(
        {"red_flags": rule_engine.DataType.ARRAY(rule_engine.DataType.STRING)}))
    rule = rule_engine.Rule("red_flags.is_empty", context=context)
    with pytest.raises(rule_engine.errors.SymbolTypeError):
        rule.evaluate({"red_flags": []})


def test_empty_red_flags_evaluate_without_a_type_error():
    assert FACT_TYPES["red_flags"].data_type == rule_engine.DataType.ARRAY(rule_engine.DataType.UNDEFINED)
    policy = load_policy()
    red_flag = policy.rules[0]
    facts = facts_for(presenting_need="fall_no_injury")
    # Through rule-engine itself as well as the fast path.
    assert red_flag.compiled.matches({**facts, **policy.lists}) is False
    assert red_flag.test(facts) is False
    assert policy.decide(facts).rule_id == "ucr-condition"


def test_an_empty_policy_list_evaluates_without_a_type_error():
    policy = load_policy()
    assert policy.lists["covered_postcode_districts"] == ()
    out_of_area = next(r for r in policy.rules if r.id == "out-of-area")
    facts = facts_for(patient={"date_of_birth": date(1950, 6, 1), "postcode": "MK9 1AA"})
    assert out_of_area.compiled.matches({**facts, **policy.lists}) is True


# --- a hospital discharge's facts (intake 1.1) ------------------------------------------

SECTION = {
    "hospital_ods": "RNS01", "ward": "Talbot Butler", "admitted_on": date(2026, 11, 19),
    "discharge_ready_date": date(2026, 11, 24), "proposed_pathway": 1,
    "needs": {"mobility": "one_carer", "personal_care": True, "night_care": False, "two_carers": False,
              "rehab_goals": True, "cognition_concern": None, "equipment": ["commode"]},
    "care_package": "paused", "usual_residence": "home",
}
DISCHARGE_FACTS = ("kind", "days_until_drd", "proposed_pathway", "mobility", "personal_care", "night_care",
                   "two_carers", "rehab_goals", "cognition_concern", "care_package", "usual_residence")


def test_a_discharge_has_the_facts_of_its_section():
    facts = facts_for(kind="discharge", discharge=SECTION, patient={**born(date(1938, 3, 14)), "lives_alone": True})
    check_facts(facts)
    assert {name: facts[name] for name in DISCHARGE_FACTS} == {
        "kind": "discharge", "days_until_drd": 2, "proposed_pathway": 1, "mobility": "one_carer",
        "personal_care": True, "night_care": False, "two_carers": False, "rehab_goals": True,
        "cognition_concern": None, "care_package": "paused", "usual_residence": "home"}
    assert facts["lives_alone"] is True


def test_a_community_referral_knows_none_of_the_discharge_facts():
    facts = facts_for()  # a v1 body, or a row stored before 1.1: no kind at all
    assert facts["kind"] == "community"
    assert all(facts[name] is None for name in DISCHARGE_FACTS if name != "kind")
    assert facts["lives_alone"] is None


def test_a_stored_section_with_iso_dates_gives_the_same_facts():
    stored = {**SECTION, "admitted_on": "2026-11-19", "discharge_ready_date": "2026-11-24"}  # the JSON column
    assert facts_for(kind="discharge", discharge=stored) == facts_for(kind="discharge", discharge=SECTION)


def test_days_until_the_drd_count_from_the_uk_date_received():
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: a DRD of 1 July is today (0), not tomorrow.
    facts = facts_for(received_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC), kind="discharge",
                      discharge={**SECTION, "discharge_ready_date": date(2026, 7, 1)})
    assert facts["days_until_drd"] == 0


def test_a_drd_already_past_is_a_negative_number_of_days():
    facts = facts_for(kind="discharge", discharge={**SECTION, "discharge_ready_date": date(2026, 11, 20)})
    assert facts["days_until_drd"] == -2


def test_needs_not_given_are_not_known():
    facts = facts_for(kind="discharge", discharge={**SECTION, "needs": None, "care_package": None})
    assert (facts["night_care"], facts["rehab_goals"], facts["mobility"], facts["care_package"]) == (
        None, None, None, None)
