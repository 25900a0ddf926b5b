"""Decisions: the first matching row decides, with the facts it used, a plain
sentence and the rules version; and the clock targets of each route."""
import dataclasses
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time

import pytest

from rules.clock_policy import ClockTarget
from rules.errors import DecisionError
from rules.facts import FactError, derive_facts
from rules.loader import load_policy

POLICY = load_policy()
RECEIVED = datetime(2026, 11, 22, 9, 41, tzinfo=UTC)


def decide(**changes):
    referral = {
        "source": "gp", "patient": {"date_of_birth": date(1950, 6, 1), "postcode": "NN1 5BD"},
        "presenting_need": "other", "red_flags": [], "consent": True, **changes,
    }
    return POLICY.decide(derive_facts(referral, received_at=RECEIVED))


def test_news2_of_seven_redirects_to_emergency():
    decision = decide(presenting_need="fall_no_injury", observations={"news2": 7})
    assert (decision.rule_id, decision.route, decision.urgency) == ("red-flag", "emergency_redirect", "emergency")


def test_decision_records_the_row_and_the_rules_version():
    decision = decide(presenting_need="fall_no_injury")
    assert decision.row == "8"  # routing-policy.md's row 8, though the discharge rows come before it in the file
    assert decision.rules_version == POLICY.version


def test_decision_is_immutable():
    decision = decide()
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.route = "crisis_response"


def test_facts_used_holds_only_the_facts_the_deciding_rule_reads():
    decision = decide(presenting_need="fall_no_injury", observations={"news2": 3})
    assert decision.facts_used == {"presenting_need": "fall_no_injury"}


def test_facts_used_never_includes_policy_lists():
    decision = decide(patient={"date_of_birth": date(1950, 6, 1), "postcode": "MK9 1AA"})
    assert decision.facts_used == {"postcode_area": "MK", "postcode_district": "MK9"}


def test_facts_used_of_the_red_flag_rule_are_its_two_facts():
    decision = decide(red_flags=["chest_pain", "sepsis_signs"])
    assert decision.facts_used == {"red_flags": ["chest_pain", "sepsis_signs"], "news2": None}


def test_fallback_reads_no_facts():
    assert decide().facts_used == {}


def test_explanation_is_one_plain_sentence_with_the_values_filled_in():
    decision = decide(red_flags=["chest_pain"], observations={"news2": 8})
    assert decision.explanation == (
        "Possibly life-threatening (red flags: chest pain; NEWS2: 8), so advise 999 or ED now.")


def test_explanation_says_yes_no_and_not_recorded_in_words():
    decision = decide(presenting_need="rehabilitation", function={"medically_stable": True, "rehab_potential": False})
    assert decision.explanation == (
        "Rehabilitation referral without all its function details (medically stable: yes; "
        "rehab potential: no; needs overnight care: not recorded), so a supervisor must decide rather than guess.")


def test_every_explanation_is_a_single_sentence_without_placeholders():
    for rule in POLICY.rules:
        sentence = rule.explain
        assert sentence.endswith(".") and "\n" not in sentence, rule.id
    decision = decide(presenting_need="mental_health_crisis", mental_health={"suicidal_ideation": True})
    assert "{" not in decision.explanation and decision.explanation.count(". ") == 0


def test_the_first_matching_row_decides():
    # Suicidal ideation (row 6) on a fall referral (row 8): row 6 comes first.
    decision = decide(presenting_need="fall_no_injury", mental_health={"suicidal_ideation": True})
    assert decision.rule_id == "mh-emergency"


def test_consent_not_recorded_for_social_support_is_not_consent():
    facts = derive_facts({"source": "gp", "patient": {"postcode": "NN1 5BD"},
                          "presenting_need": "social_support"}, received_at=RECEIVED)
    assert facts["consent"] is None
    assert POLICY.decide(facts).rule_id == "vcs-no-consent"


def test_decide_refuses_facts_with_a_missing_name():
    facts = derive_facts({"presenting_need": "other", "consent": True, "source": "gp"}, received_at=RECEIVED)
    del facts["news2"]
    with pytest.raises(FactError, match="missing news2"):
        POLICY.decide(facts)


def test_decide_refuses_a_wrongly_typed_fact_rather_than_guess():
    facts = derive_facts({"presenting_need": "other", "consent": True, "source": "gp"}, received_at=RECEIVED)
    facts["news2"] = "7"
    with pytest.raises(FactError):
        POLICY.decide(facts)


def test_a_rule_that_fails_at_decision_time_raises_rather_than_being_skipped():
    facts = derive_facts({"presenting_need": "other", "consent": True, "source": "gp"}, received_at=RECEIVED)
    broken = dataclasses.replace(POLICY.rules[0], test=lambda facts: 1 < None)
    policy = dataclasses.replace(POLICY, rules=(broken, *POLICY.rules[1:]))  # the loaded policy is frozen
    with pytest.raises(DecisionError, match="rule push-needs-ambulance \\(row P1\\) could not be evaluated"):
        policy.decide(facts)


def test_routes_have_display_names_and_say_whether_they_are_services():
    services = {route for route, info in POLICY.routes.items() if info.is_service}
    assert services == {"crisis_response", "home_rehab", "bed_rehab", "reablement",
                        "mental_health_crisis", "voluntary_sector", "care_home_assessment"}
    assert set(POLICY.routes) == services | {"emergency_redirect", "supervisor_review", "discharge_simple",
                                               "return_to_sender"}
    assert all(info.name for info in POLICY.routes.values())


def names(route, urgency="urgent"):
    return {t.name: t for t in POLICY.clock_targets(route, urgency)}


def test_crisis_response_has_a_two_hour_first_contact_and_48_hour_episode():
    clocks = names("crisis_response")
    assert clocks["first_contact"] == ClockTarget("first_contact", timedelta(hours=2), "24/7", "receipt",
                                                  ("first_contact",))
    assert clocks["episode_end"] == ClockTarget("episode_end", timedelta(hours=48), "24/7", "first_contact",
                                                ("complete", "hand_on"))


def test_mental_health_first_contact_is_four_hours_in_an_emergency_and_24_when_urgent():
    assert names("mental_health_crisis", "emergency")["first_contact"].duration == timedelta(hours=4)
    assert names("mental_health_crisis", "urgent")["first_contact"].duration == timedelta(hours=24)


def test_an_urgency_the_clock_table_does_not_list_never_lengthens_the_clock():
    assert names("mental_health_crisis", "routine")["first_contact"].duration == timedelta(hours=24)


def test_rehab_and_reablement_clocks_follow_the_policy_table():
    home = names("home_rehab")
    assert (home["accept"].duration, home["start"].duration) == (timedelta(hours=24), timedelta(hours=48))
    assert home["start"].met_by == ("start_episode",)
    assert (home["episode_end"].duration, home["episode_end"].starts_from) == (timedelta(days=42), "start")
    bed = names("bed_rehab")
    assert set(bed) == {"triage", "accept", "episode_end"} and bed["accept"].met_by == ("accept",)
    reablement = names("reablement")
    assert reablement["review"] == ClockTarget("review", timedelta(days=21), "24/7", "start", ("review_episode",))
    assert reablement["episode_end"].duration == timedelta(days=28)


def test_voluntary_sector_clocks_count_working_hours():
    clocks = names("voluntary_sector", "routine")
    assert clocks["acknowledge"] == ClockTarget("acknowledge", timedelta(hours=4), "working_hours", "receipt",
                                                ("acknowledge", "accept"))
    assert clocks["contact"] == ClockTarget("contact", timedelta(hours=16), "working_hours", "receipt",
                                            ("first_contact",))


def test_automatic_triage_meets_the_triage_clock_at_once_except_for_supervisor_review():
    for route in POLICY.routes:
        triage = names(route)["triage"]
        # Any route set, by rules or a person, meets it: triage, override, or redirect (or the
        # return of a pushed call the rules give back at once).
        returned = ("return_to_sender",) if route == POLICY.return_route else ()
        assert triage.met_by == ("triage", "override", "redirect", *returned) and triage.starts_from == "receipt"
        expected = timedelta(minutes=30) if route == "supervisor_review" else timedelta(0)
        assert triage.duration == expected, route
    assert set(names("emergency_redirect")) == {"triage"}
    assert set(names("return_to_sender")) == {"triage"}


def test_clock_targets_refuse_an_unknown_route_or_urgency():
    with pytest.raises(ValueError, match="unknown route"):
        POLICY.clock_targets("crisis", "urgent")
    with pytest.raises(ValueError, match="unknown urgency"):
        POLICY.clock_targets("crisis_response", "high")


def test_breaches_rechase_every_15_minutes_for_a_day_or_less_and_4_hours_otherwise():
    assert POLICY.rechase_interval(timedelta(hours=2)) == timedelta(minutes=15)
    assert POLICY.rechase_interval(timedelta(days=1)) == timedelta(minutes=15)
    assert POLICY.rechase_interval(timedelta(hours=48)) == timedelta(hours=4)
    assert POLICY.rechase_interval(names("reablement")["review"]) == timedelta(hours=4)


def test_working_hours_windows_are_measured_in_working_days_for_rechasing():
    clocks = names("voluntary_sector")
    assert POLICY.rechase_interval(clocks["acknowledge"]) == timedelta(minutes=15)  # half a working day
    assert POLICY.rechase_interval(clocks["contact"]) == timedelta(hours=4)  # two working days


def test_warnings_escalation_and_working_hours_come_from_clocks_yaml():
    assert POLICY.warn_at == (0.75, 0.90)
    assert POLICY.escalation_chain == ("service_duty_lead", "spoa_supervisor", "on_call_manager")
    hours = POLICY.working_hours
    assert (hours.timezone, hours.weekdays) == ("Europe/London", frozenset({1, 2, 3, 4, 5}))  # ISO, 1 = Monday
    assert (hours.start, hours.end) == (clock_time(9), clock_time(17))
    assert (hours.holiday_country, hours.holiday_subdiv) == ("GB", "ENG")
