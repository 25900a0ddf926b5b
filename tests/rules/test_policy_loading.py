"""A broken policy file must stop at load with a message naming the file, the
rule (or route and clock) and the problem: never fail mid-triage."""
import shutil

import pytest

from rules.errors import PolicyError
from rules.loader import DEFAULT_DIRECTORY, load_policy


@pytest.fixture
def policy_dir(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def replace(old, new):
    """An edit to a policy file: the first ``old`` becomes ``new``."""
    def edit(text):
        assert old in text, f"test setup: {old!r} not in the file"
        return text.replace(old, new, 1)
    return edit


def edit(directory, file, old, new):
    path = directory / file
    path.write_text(replace(old, new)(path.read_text()))


def load_error(directory) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy(directory)
    return caught.value


def test_the_shipped_policy_loads_with_its_rules_in_policy_order():
    policy = load_policy()
    assert [r.id for r in policy.rules] == [
        "push-needs-ambulance", "push-out-of-area", "push-ucr",
        "red-flag", "emergency-disposition", "identity-unverified", "under-18", "out-of-area",
        "discharge-not-ready", "discharge-p3", "discharge-p2", "discharge-night-care-unplanned",
        "discharge-p1-rehab", "discharge-p1-care", "discharge-p0-restart", "discharge-p0-support", "discharge-p0",
        "mh-emergency", "mh-urgent", "ucr-condition", "rehab-unknown", "rehab-unstable",
        "rehab-no-potential", "rehab-bed", "rehab-home", "reablement", "vcs-no-consent",
        "vcs-duty", "fallback",
    ]
    assert [r.row for r in policy.rules] == list(range(1, 30))


def test_each_rule_is_labelled_with_its_row_in_routing_policy_md():
    # The pushed-call rows P1-P3 first, rows 1-5, the discharge rows D1-D9 (listed apart in
    # the document), then rows 6-17.
    labels = [r.label for r in load_policy().rules]
    assert labels == ["P1", "P2", "P3", *map(str, range(1, 6)), *(f"D{n}" for n in range(1, 10)),
                      *map(str, range(6, 18))]


def test_every_shipped_rule_runs_on_the_fast_path():
    assert [r.id for r in load_policy().rules if not r.is_fast] == []


def test_a_directory_given_as_text_loads_too(policy_dir):
    assert load_policy(str(policy_dir)).version == load_policy().version


def fallback_first(text):
    head, fallback = text.split("  - id: fallback\n")
    first_rule = head.index("  - id: push-needs-ambulance")
    return head[:first_rule] + "  - id: fallback\n" + fallback.rstrip("\n") + "\n\n" + head[first_rule:]


def without_fallback(text):
    return text.split("  - id: fallback\n")[0]


def without_bed_rehab_clocks(text):
    return text[:text.index("  bed_rehab:\n    - ")] + text[text.index("  reablement:\n    - "):]


ROUTES = "crisis_response, mental_health_crisis, home_rehab, bed_rehab, reablement, voluntary_sector, " \
         "care_home_assessment, discharge_simple, supervisor_review, emergency_redirect, return_to_sender"
WHEN_FAILS = ("; a fact that was not recorded is null, so compare it with null first, "
              "e.g. \"news2 != null and news2 >= 7\"")

# Each case: the file, the edit that breaks it, and how the message starts
# (file: entry: problem). Rules and flags load by one path, so the cases that
# edit flags.yaml are the routing cases' twins and read the same.
BROKEN = [
    # routing.yaml: the rules and their fields
    pytest.param("routing.yaml",
                 replace("    route: crisis_response\n", "    route: crisis_response\n    priority: 1\n"),
                 "routing.yaml: rule push-ucr: unknown field 'priority' (known: id, description, when, "
                 "route, urgency, explain, row, return)", id="unknown rule field"),
    # routing.yaml: a rule that gives a pushed call back says how (and no other rule does)
    pytest.param("routing.yaml", replace("    return: {reason_code: OTH, reason: outside the area}\n", ""),
                 "routing.yaml: rule push-out-of-area: a rule on route return_to_sender says how the call goes "
                 "back", id="a return without its reason"),
    pytest.param("routing.yaml", replace("reason_code: OTH, reason: outside the area",
                                         "reason_code: NOPE, reason: outside the area"),
                 "routing.yaml: rule push-out-of-area: unknown return reason_code 'NOPE' (known: RRNA, FC, OTH)",
                 id="an unknown return reason code"),
    pytest.param("routing.yaml", replace("    urgency: emergency\n    explain: \"A 999 call pushed",
                                         "    urgency: emergency\n    return: {reason_code: OTH, reason: x}\n"
                                         "    explain: \"A 999 call pushed"),
                 "routing.yaml: rule push-ucr: return belongs to a rule on route return_to_sender only",
                 id="a return on another route"),
    pytest.param("routing.yaml", replace("alert: supervisor}", "alert: manager}"),
                 "routing.yaml: rule push-needs-ambulance: unknown alert 'manager'",
                 id="a return alerting nobody known"),
    pytest.param("clocks.yaml", replace("no_breach_time: 20m, ", ""),
                 "clocks.yaml: pushed_call_clocks, clock validation: missing field 'no_breach_time'",
                 id="a breach-time clock without its default"),
    pytest.param("clocks.yaml", replace("on_deadline: return}", "on_deadline: shrug}"),
                 "clocks.yaml: pushed_call_clocks, clock validation: unknown on_deadline 'shrug'",
                 id="an unknown deadline action"),
    pytest.param("routing.yaml", replace('    when: "presenting_need == \'personal_care_support\'"',
                                         '    wen: "presenting_need == \'personal_care_support\'"'),
                 "routing.yaml: rule reablement: unknown field 'wen'", id="misspelt when is not a silent match"),
    pytest.param("routing.yaml", replace("lists:\n", "list:\n"),
                 "routing.yaml: unknown field 'list' (known: lists, rules)", id="unknown top-level section"),
    pytest.param("routing.yaml", replace("route: crisis_response", "route: crisis_responce"),
                 f"routing.yaml: rule push-ucr: unknown route 'crisis_responce' (known: {ROUTES})",
                 id="unknown route, known ones listed"),
    pytest.param("routing.yaml",
                 replace("route: reablement\n    urgency: routine", "route: reablement\n    urgency: soon"),
                 "routing.yaml: rule reablement: unknown urgency 'soon' (known: emergency, urgent, routine)",
                 id="unknown urgency"),
    pytest.param("routing.yaml", replace("route: voluntary_sector\n    urgency: routine\n    explain: \"Social",
                                         "route: voluntary_sector_duty\n    urgency: routine\n    explain: \"Social"),
                 "routing.yaml: rule vcs-duty: unknown route 'voluntary_sector_duty'",
                 id="a route used in routing must be declared with clocks"),
    pytest.param("routing.yaml", replace("- id: rehab-home", "- id: rehab-bed"),
                 "routing.yaml: rule rehab-bed: duplicate rule id (also row 12)",
                 id="duplicate rule id names both rows"),
    pytest.param("routing.yaml", replace("- id: rehab-home", "- id: Rehab_Home"),
                 "routing.yaml: rule Rehab_Home: id should be lower-case words joined by -, e.g. red-flag",
                 id="badly written rule id"),
    # routing.yaml: when
    pytest.param("routing.yaml", replace('"presenting_need == \'personal_care_support\'"',
                                         '"presenting_need == = \'personal_care_support\'"'),
                 "routing.yaml: rule reablement: syntax error in when near \"= 'personal_care_support'\": "
                 "presenting_need == = 'personal_care_support'", id="syntax error in when"),
    pytest.param("routing.yaml", replace("(news2 != null and news2 >= 7)", "(news_2 != null and news_2 >= 7)"),
                 "routing.yaml: rule push-needs-ambulance: unknown name 'news_2' in when (did you mean news2?)",
                 id="unknown symbol, the fact suggested"),
    pytest.param("routing.yaml", replace("age_years < 18", "age_years < 'eighteen'"),
                 "routing.yaml: rule under-18: when: data type mismatch", id="a fact compared with the wrong type"),
    pytest.param("routing.yaml", replace("(news2 != null and news2 >= 7)", "news2 >= 7"),
                 "routing.yaml: rule push-needs-ambulance: when fails for kind = 'pushed_call', news2 = null, "
                 "red_flags = [] (data type mismatch)"
                 + WHEN_FAILS, id="a rule that fails on an unrecorded fact"),
    pytest.param("routing.yaml", replace('"nhs_number_check_failed"', '"news2"'),
                 "routing.yaml: rule identity-unverified: when should be a yes/no test, not a FLOAT value",
                 id="a when that is not a yes/no test"),
    # routing.yaml: the fallback
    pytest.param("routing.yaml", fallback_first,
                 "routing.yaml: rule fallback: must be the last rule (it is row 1 of 29)", id="fallback not last"),
    pytest.param("routing.yaml", without_fallback,
                 "routing.yaml: rules: no fallback rule: the last rule must be `fallback` with when: \"true\"",
                 id="no fallback"),
    pytest.param("routing.yaml", replace('when: "true"', "when: \"presenting_need == 'other'\""),
                 "routing.yaml: rule fallback: when must be \"true\": it catches everything the rules above do not",
                 id="fallback must match everything"),
    # routing.yaml: row labels (routing-policy.md's D1-D9)
    pytest.param("routing.yaml", replace("    row: D2\n", "    row: D1\n"),
                 "routing.yaml: rule discharge-p3: row D1 is already rule discharge-not-ready's",
                 id="two rules with one row label"),
    pytest.param("routing.yaml", replace("    row: D2\n", "    row: 6\n"),
                 "routing.yaml: rule discharge-p3: row should be letters then digits, e.g. D1 (leave it out on a "
                 "numbered row)", id="a numbered row is not labelled"),
    pytest.param("routing.yaml", replace("    row: D2\n", "    row: d2\n"),
                 "routing.yaml: rule discharge-p3: row should be letters then digits", id="a lower-case row label"),
    # routing.yaml: explain and lists
    pytest.param("routing.yaml",
                 replace("Postcode district {postcode_district}", "Postcode district {postcode_distrct}"),
                 "routing.yaml: rule push-out-of-area: unknown placeholder {postcode_distrct} in explain "
                 "(a placeholder is a fact name: source, ", id="unknown placeholder in explain"),
    pytest.param("routing.yaml", replace('explain: "Personal care support, so reablement."',
                                         'explain: "Personal care support, so reablement"'),
                 "routing.yaml: rule reablement: explain should be one sentence ending with a full stop",
                 id="explain is one sentence"),
    pytest.param("routing.yaml", replace("covered_postcode_districts: []", "covered_postcode_districts: [NO]"),
                 "routing.yaml: list covered_postcode_districts: item False should be text (put it in quotes)",
                 id="a list item YAML reads as true or false"),
    # flags.yaml: the same entry path as the rules
    pytest.param("flags.yaml", replace("    alert: supervisor\n", "    alert: supervisor\n    route: bed_rehab\n"),
                 "flags.yaml: flag waiting-for-bed: unknown field 'route' (known: id, description, when, flag, "
                 "label, explanation, alert)", id="unknown flag field"),
    pytest.param("flags.yaml", replace("capacity_free == 0'", "capacity_free == 0 and'"),
                 "flags.yaml: flag waiting-for-bed: syntax error in when", id="syntax error in a flag's when"),
    pytest.param("flags.yaml", replace("capacity_free == 0'", "beds_free == 0'"),
                 "flags.yaml: flag waiting-for-bed: unknown name 'beds_free' in when (did you mean capacity_free?)",
                 id="unknown symbol in a flag"),
    pytest.param("flags.yaml", replace("capacity_free == 0'", "capacity_free < 1'"),
                 "flags.yaml: flag waiting-for-bed: when fails for capacity_free = null, route = 'bed_rehab' "
                 "(data type mismatch)" + WHEN_FAILS,
                 id="a flag that fails on an unrecorded fact"),
    pytest.param("flags.yaml", replace("a supervisor is told.", "a supervisor is told"),
                 "flags.yaml: flag waiting-for-bed: explanation should be one sentence ending with a full stop",
                 id="a flag's explanation is one sentence"),
    pytest.param("flags.yaml", replace("so the referral waits", "so {patient} waits"),
                 "flags.yaml: flag waiting-for-bed: unknown placeholder {patient} in explanation",
                 id="unknown placeholder in a flag's explanation"),
    pytest.param("flags.yaml", lambda text: text + text[text.index("  - id: waiting-for-bed"):],
                 "flags.yaml: flag waiting-for-bed: duplicate flag id (also row 1)", id="duplicate flag id"),
    pytest.param("flags.yaml", replace("flags:\n", "flags: {}\nunflagged:\n"),
                 "flags.yaml: unknown field 'unflagged' (known: flags)", id="unknown flags section"),
    # clocks.yaml
    pytest.param("clocks.yaml", replace("target: 2h,", "target: 2 hours,"),
                 "clocks.yaml: route crisis_response, clock first_contact: target: bad duration '2 hours'",
                 id="bad duration"),
    pytest.param("clocks.yaml", replace("{emergency: 4h, urgent: 24h}", "{emergency: 4h, urgent: 1 day}"),
                 "clocks.yaml: route mental_health_crisis, clock first_contact: urgent: bad duration '1 day'",
                 id="bad duration in a per-urgency target names the urgency"),
    pytest.param("clocks.yaml", replace("from: first_contact,", "from: contact,"),
                 "clocks.yaml: route crisis_response, clock episode_end: unknown from 'contact'",
                 id="unknown clock start"),
    pytest.param("clocks.yaml", replace("met_by: [complete, hand_on]}", "met_by: [completed, hand_on]}"),
                 "clocks.yaml: route crisis_response, clock episode_end: unknown met_by event ['completed']",
                 id="unknown met_by event"),
    pytest.param("clocks.yaml", without_bed_rehab_clocks,
                 "clocks.yaml: route bed_rehab: no clocks listed", id="a route with no clock entry"),
    pytest.param("clocks.yaml", replace("\n  emergency_redirect:\n    - ", "\n  emergency_redirekt:\n    - "),
                 "clocks.yaml: clocks: unknown route emergency_redirekt", id="clocks for an undeclared route"),
    pytest.param("clocks.yaml", replace("  bed_rehab:\n    - ", "  home_rehab:\n    - "),
                 "clocks.yaml: not valid YAML", id="a repeated YAML key is an error, not a silent override"),
    # clocks.yaml: working hours, read into the one calendar (rules.calendar.WorkingHours)
    pytest.param("clocks.yaml", replace('end: "17:00"', "end: 17:00"),  # YAML 1.1 reads 17:00 as 1020
                 "clocks.yaml: working_hours: time 1020 should be quoted", id="unquoted working-hours time"),
    pytest.param("clocks.yaml", replace("subdiv: ENG", "subdiv: ENGL"),
                 "clocks.yaml: working_hours: bank_holidays: ", id="unknown bank-holiday region"),
    pytest.param("clocks.yaml", replace("weekdays: [mon, tue, wed, thu, fri]", "weekdays: [mon, tue, wed, thu, fry]"),
                 "clocks.yaml: working_hours: 'fry' is not a day of the week (mon, tue, wed, thu, fri, sat, sun, "
                 "or 1 = Monday to 7 = Sunday)", id="unknown working day"),
    pytest.param("clocks.yaml", replace("weekdays: [mon, tue, wed, thu, fri]", "weekdays: []"),
                 "clocks.yaml: working_hours: weekdays is empty", id="no working days"),
    pytest.param("clocks.yaml", replace('start: "09:00"', 'start: "18:00"'),
                 "clocks.yaml: working_hours: start should be before end (18:00 .. 17:00)", id="start after end"),
    pytest.param("clocks.yaml", replace("timezone: Europe/London", "timezone: Europe/Londres"),
                 "clocks.yaml: working_hours: unknown timezone 'Europe/Londres'", id="unknown timezone"),
    *(pytest.param("clocks.yaml", replace("repeats_at_top: 4", f"repeats_at_top: {bad}"),
                   "clocks.yaml: repeats_at_top: should be a whole number from 0 to 96", id=f"repeats_at_top {bad}")
      for bad in ("-1", "97", "four", "true", "1.5", "15m")),
]


@pytest.mark.parametrize("file, broken, message", BROKEN)
def test_a_broken_policy_is_refused_naming_the_file_the_entry_and_the_problem(policy_dir, file, broken, message):
    path = policy_dir / file
    path.write_text(broken(path.read_text()))
    error = load_error(policy_dir)
    assert str(error).startswith(message), str(error)
    assert error.file == file


def test_an_error_names_the_entry_as_well_as_saying_it(policy_dir):
    edit(policy_dir, "routing.yaml", "    route: crisis_response\n", "    route: crisis_response\n    priority: 1\n")
    error = load_error(policy_dir)
    assert (error.file, error.where) == ("routing.yaml", "rule push-ucr")


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


def test_the_top_of_the_chain_is_reminded_four_times_unless_clocks_yaml_says(policy_dir):
    assert load_policy().clocks.repeats_at_top == 4
    assert load_policy().last_escalation_level == 3 + 4  # the chain's three links, then four reminders
    edit(policy_dir, "clocks.yaml", "repeats_at_top: 4", "repeats_at_top: 0")
    assert load_policy(policy_dir).last_escalation_level == 3
    edit(policy_dir, "clocks.yaml", "repeats_at_top: 0", "")
    assert load_policy(policy_dir).clocks.repeats_at_top == 4
