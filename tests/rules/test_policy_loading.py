"""A broken policy file must stop at load with a message naming the file, the
rule (or route and clock) and the problem: never fail mid-triage."""
import shutil

import pytest

from rules.engine import DEFAULT_DIRECTORY, PolicyError, load_policy


@pytest.fixture
def policy_dir(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(directory, file, old, new):
    path = directory / file
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def load_error(directory) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy(directory)
    return caught.value


def test_the_shipped_policy_loads_with_seventeen_rules_in_policy_order():
    policy = load_policy()
    assert [r.id for r in policy.rules] == [
        "red-flag", "emergency-disposition", "identity-unverified", "under-18", "out-of-area",
        "mh-emergency", "mh-urgent", "ucr-condition", "rehab-unknown", "rehab-unstable",
        "rehab-no-potential", "rehab-bed", "rehab-home", "reablement", "vcs-no-consent",
        "vcs-duty", "fallback",
    ]
    assert [r.row for r in policy.rules] == list(range(1, 18))


def test_every_shipped_rule_runs_on_the_fast_path():
    assert [r.id for r in load_policy().rules if not r.is_fast] == []


def test_a_directory_given_as_text_loads_too(policy_dir):
    assert load_policy(str(policy_dir)).version == load_policy().version


def test_unknown_rule_field_names_file_rule_and_field(policy_dir):
    edit(policy_dir, "routing.yaml", "    route: crisis_response\n", "    route: crisis_response\n    priority: 1\n")
    error = load_error(policy_dir)
    assert str(error).startswith("routing.yaml: rule ucr-condition: unknown field 'priority'")
    assert (error.file, error.where) == ("routing.yaml", "rule ucr-condition")


def test_misspelt_when_is_an_unknown_field_not_a_silent_match(policy_dir):
    edit(policy_dir, "routing.yaml", '    when: "presenting_need == \'personal_care_support\'"',
         '    wen: "presenting_need == \'personal_care_support\'"')
    assert "routing.yaml: rule reablement: unknown field 'wen'" in str(load_error(policy_dir))


def test_unknown_top_level_section_is_refused(policy_dir):
    edit(policy_dir, "routing.yaml", "lists:\n", "list:\n")
    assert "routing.yaml: unknown field 'list'" in str(load_error(policy_dir))


def test_unknown_route_names_file_rule_and_route(policy_dir):
    edit(policy_dir, "routing.yaml", "route: crisis_response", "route: crisis_responce")
    message = str(load_error(policy_dir))
    assert message.startswith("routing.yaml: rule ucr-condition: unknown route 'crisis_responce'")
    assert "crisis_response" in message  # the known routes are listed


def test_unknown_urgency_is_refused(policy_dir):
    edit(policy_dir, "routing.yaml", "route: reablement\n    urgency: routine", "route: reablement\n    urgency: soon")
    assert "routing.yaml: rule reablement: unknown urgency 'soon'" in str(load_error(policy_dir))


def test_expression_syntax_error_names_file_and_rule(policy_dir):
    edit(policy_dir, "routing.yaml", '"presenting_need == \'personal_care_support\'"',
         '"presenting_need == = \'personal_care_support\'"')
    assert str(load_error(policy_dir)).startswith("routing.yaml: rule reablement: syntax error in when")


def test_unknown_symbol_names_the_symbol_and_suggests_the_fact(policy_dir):
    edit(policy_dir, "routing.yaml", "(news2 != null and news2 >= 7)", "(news_2 != null and news_2 >= 7)")
    message = str(load_error(policy_dir))
    assert message.startswith("routing.yaml: rule red-flag: unknown name 'news_2' in when")
    assert "did you mean news2" in message


def test_comparing_a_fact_with_the_wrong_type_fails_at_load(policy_dir):
    edit(policy_dir, "routing.yaml", "age_years < 18", "age_years < 'eighteen'")
    assert str(load_error(policy_dir)).startswith("routing.yaml: rule under-18: when: data type mismatch")


def test_a_rule_that_would_fail_on_an_unrecorded_fact_is_refused(policy_dir):
    edit(policy_dir, "routing.yaml", "(news2 != null and news2 >= 7)", "news2 >= 7")
    message = str(load_error(policy_dir))
    assert message.startswith("routing.yaml: rule red-flag: when fails for ")
    assert "news2 = null" in message and "compare it with null first" in message


def test_a_when_that_is_not_a_yes_no_test_is_refused(policy_dir):
    edit(policy_dir, "routing.yaml", '"nhs_number_check_failed"', '"news2"')
    assert "rule identity-unverified: when should be a yes/no test" in str(load_error(policy_dir))


def test_duplicate_rule_id_names_both_rows(policy_dir):
    edit(policy_dir, "routing.yaml", "- id: rehab-home", "- id: rehab-bed")
    assert str(load_error(policy_dir)) == "routing.yaml: rule rehab-bed: duplicate rule id (also row 12)"


def test_fallback_must_be_the_last_rule(policy_dir):
    text = (policy_dir / "routing.yaml").read_text()
    head, fallback = text.split("  - id: fallback\n")
    first_rule = head.index("  - id: red-flag")
    (policy_dir / "routing.yaml").write_text(
        head[:first_rule] + "  - id: fallback\n" + fallback.rstrip("\n") + "\n\n" + head[first_rule:])
    assert str(load_error(policy_dir)).startswith("routing.yaml: rule fallback: must be the last rule (it is row 1 of 17)")


def test_a_policy_without_fallback_is_refused(policy_dir):
    text = (policy_dir / "routing.yaml").read_text()
    (policy_dir / "routing.yaml").write_text(text.split("  - id: fallback\n")[0])
    assert "routing.yaml: rules: no fallback rule" in str(load_error(policy_dir))


def test_fallback_must_match_everything(policy_dir):
    edit(policy_dir, "routing.yaml", 'when: "true"', "when: \"presenting_need == 'other'\"")
    assert "routing.yaml: rule fallback: when must be \"true\"" in str(load_error(policy_dir))


def test_unknown_placeholder_in_explain_is_refused(policy_dir):
    edit(policy_dir, "routing.yaml", "Postcode district {postcode_district}", "Postcode district {postcode_distrct}")
    message = str(load_error(policy_dir))
    assert message.startswith("routing.yaml: rule out-of-area: unknown placeholder {postcode_distrct} in explain")


def test_an_explanation_must_be_one_sentence(policy_dir):
    edit(policy_dir, "routing.yaml", 'explain: "Personal care support, so reablement."',
         'explain: "Personal care support, so reablement"')
    assert "rule reablement: explain should be one sentence ending with a full stop" in str(load_error(policy_dir))


def test_a_list_item_yaml_reads_as_true_or_false_must_be_quoted(policy_dir):
    edit(policy_dir, "routing.yaml", "covered_postcode_districts: []", "covered_postcode_districts: [NO]")
    assert "routing.yaml: list covered_postcode_districts: item False should be text" in str(load_error(policy_dir))


def test_bad_duration_names_file_route_and_clock(policy_dir):
    edit(policy_dir, "clocks.yaml", "target: 2h,", "target: 2 hours,")
    message = str(load_error(policy_dir))
    assert message.startswith("clocks.yaml: route crisis_response, clock first_contact: target: bad duration '2 hours'")


def test_bad_duration_in_a_per_urgency_target_names_the_urgency(policy_dir):
    edit(policy_dir, "clocks.yaml", "{emergency: 4h, urgent: 24h}", "{emergency: 4h, urgent: 1 day}")
    assert "route mental_health_crisis, clock first_contact: urgent: bad duration '1 day'" in str(load_error(policy_dir))


def test_unknown_clock_start_is_refused(policy_dir):
    edit(policy_dir, "clocks.yaml", "from: first_contact,", "from: contact,")
    assert "clocks.yaml: route crisis_response, clock episode_end: unknown from 'contact'" in str(load_error(policy_dir))


def test_unknown_met_by_event_is_refused(policy_dir):
    edit(policy_dir, "clocks.yaml", "met_by: [complete, hand_on]}", "met_by: [completed, hand_on]}")
    assert "clock episode_end: unknown met_by event ['completed']" in str(load_error(policy_dir))


def test_a_route_with_no_clock_entry_is_refused(policy_dir):
    text = (policy_dir / "clocks.yaml").read_text()
    start = text.index("  bed_rehab:\n    - ")
    end = text.index("  reablement:\n    - ")
    (policy_dir / "clocks.yaml").write_text(text[:start] + text[end:])
    assert "clocks.yaml: route bed_rehab: no clocks listed" in str(load_error(policy_dir))


def test_a_route_used_in_routing_must_be_declared_with_clocks(policy_dir):
    edit(policy_dir, "routing.yaml", "route: voluntary_sector", "route: voluntary_sector_duty")
    assert "routing.yaml: rule vcs-duty: unknown route 'voluntary_sector_duty'" in str(load_error(policy_dir))


def test_a_repeated_yaml_key_is_an_error_not_a_silent_override(policy_dir):
    edit(policy_dir, "clocks.yaml", "  bed_rehab:\n    - ", "  home_rehab:\n    - ")
    assert "clocks.yaml: not valid YAML" in str(load_error(policy_dir))


def test_unquoted_working_hours_time_asks_for_quotes(policy_dir):
    edit(policy_dir, "clocks.yaml", 'end: "17:00"', "end: 17:00")  # YAML 1.1 reads 17:00 as 1020
    assert "clocks.yaml: working_hours: time 1020 should be quoted" in str(load_error(policy_dir))


def test_unknown_bank_holiday_region_is_refused(policy_dir):
    edit(policy_dir, "clocks.yaml", "subdiv: ENG", "subdiv: ENGL")
    assert "clocks.yaml: working_hours: bank_holidays:" in str(load_error(policy_dir))


def test_a_missing_policy_file_is_named(tmp_path):
    assert str(load_error(tmp_path)).startswith("clocks.yaml: cannot be read from")


def test_version_is_a_short_sha256_of_the_files():
    version = load_policy().version
    assert version.startswith("sha256:") and len(version) == len("sha256:") + 12


def test_version_is_stable_when_nothing_changes(policy_dir):
    assert load_policy(policy_dir).version == load_policy(policy_dir).version == load_policy().version


def test_version_changes_when_a_policy_file_changes(policy_dir):
    before = load_policy(policy_dir).version
    edit(policy_dir, "clocks.yaml", "target: 2h,", "target: 3h,")
    after_clocks = load_policy(policy_dir).version
    edit(policy_dir, "routing.yaml", "Personal care support, so reablement.", "Personal care, so reablement.")
    after_routing = load_policy(policy_dir).version
    assert len({before, after_clocks, after_routing}) == 3


def test_clocks_for_an_undeclared_route_are_refused(policy_dir):
    edit(policy_dir, "clocks.yaml", "\n  emergency_redirect:\n    - ", "\n  emergency_redirekt:\n    - ")
    message = str(load_error(policy_dir))
    assert message.startswith("clocks.yaml: clocks: unknown route emergency_redirekt")
