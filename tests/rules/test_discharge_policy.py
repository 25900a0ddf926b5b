"""A hospital discharge's policy: its clocks (clocks.yaml, discharge_clocks) and its
delay reasons and daily alert time (discharge.yaml), loaded and checked like the
rest of the policy: a bad edit stops at load, naming the file, the place and the problem."""
import shutil
from datetime import time, timedelta

import pytest

from rules.clock_policy import ClockTarget
from rules.errors import PolicyError
from rules.loader import DEFAULT_DIRECTORY, load_policy

POLICY = load_policy()
H = timedelta(hours=1)
RECEIPT_CLOCKS = ("triage", "override", "redirect")


def discharge(route, urgency="urgent"):
    return {t.name: t for t in POLICY.clock_targets(route, urgency, kind="discharge")}


def test_every_service_route_accepts_a_discharge_within_four_hours_of_receipt():
    for route in POLICY.services:
        assert discharge(route)["accept"] == ClockTarget("accept", 4 * H, "24/7", "receipt", ("accept",)), route
    for route in ("discharge_simple", "supervisor_review", "emergency_redirect"):
        assert "accept" not in discharge(route), route


def test_every_discharge_a_person_or_service_holds_is_due_out_by_the_end_of_its_drd():
    for route in POLICY.routes:
        if route in (POLICY.redirect_route, POLICY.return_route):  # to 999/ED, or back to it: closed at once
            assert "discharge" not in discharge(route)
            continue
        assert discharge(route)["discharge"] == ClockTarget(
            "discharge", 24 * H, "24/7", "receipt", ("discharged",), ends_on_drd=True), route


def test_the_welfare_check_is_24_hours_from_the_discharge_on_the_home_routes():
    home = {"home_rehab", "reablement", "voluntary_sector"}
    for route in POLICY.routes:
        welfare = discharge(route).get("welfare_check")
        if route in home:
            assert welfare == ClockTarget("welfare_check", 24 * H, "24/7", "discharged",
                                          ("first_contact", "start_episode")), route
        else:
            assert welfare is None, route


def test_a_bed_is_placed_within_24_hours_for_rehab_and_14_days_for_a_care_home():
    assert discharge("bed_rehab")["placement"] == ClockTarget(
        "placement", 24 * H, "24/7", "receipt", ("start_episode", "discharged"))
    assert discharge("care_home_assessment")["placement"].duration == timedelta(days=14)
    assert [r for r in POLICY.routes if "placement" in discharge(r)] == ["bed_rehab", "care_home_assessment"]


def test_a_discharge_runs_no_community_start_or_contact_clock_but_keeps_the_episode_ones():
    assert set(discharge("home_rehab")) == {"triage", "accept", "discharge", "welfare_check", "episode_end"}
    assert set(discharge("voluntary_sector")) == {"triage", "accept", "discharge", "welfare_check"}
    assert discharge("reablement")["review"].starts_from == "start"
    assert discharge("supervisor_review")["triage"].duration == timedelta(minutes=30)


def test_community_clocks_are_what_they_were_and_the_default_kind():
    for route in POLICY.routes:
        assert POLICY.clock_targets(route, "urgent") == POLICY.clock_targets(route, "urgent", kind="community")
        assert not any(t.ends_on_drd or t.starts_from == "discharged" or "discharged" in t.met_by
                       for t in POLICY.clock_targets(route, "urgent")), route
    assert {t.name for t in POLICY.clock_targets("home_rehab", "urgent")} == {"triage", "accept", "start",
                                                                              "episode_end"}


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        POLICY.clock_targets("home_rehab", "urgent", kind="inpatient")


def test_the_delay_reasons_and_the_alert_time_are_the_policys_defaults():
    assert list(POLICY.discharge.delay_reasons) == [
        "awaiting_care_package", "awaiting_community_bed", "awaiting_care_home", "awaiting_equipment",
        "awaiting_assessment", "patient_or_family_choice", "transport", "readiness_withdrawn"]
    assert all(label and label[0].isupper() for label in POLICY.discharge.delay_reasons.values())
    assert POLICY.discharge.delay_alert_at == time(12, 0)
    assert POLICY.discharge.reason_label("transport") == "Awaiting transport"
    assert POLICY.discharge.reason_label("since_removed") == "since removed"


# --- bad edits --------------------------------------------------------------------------------


@pytest.fixture
def policy_dir(tmp_path):
    for path in DEFAULT_DIRECTORY.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def replace(old, new):
    def edit(text):
        assert old in text, f"test setup: {old!r} not in the file"
        return text.replace(old, new, 1)
    return edit


HOME_DRD = "    - {name: discharge,     target: end of DRD, after_drd: 24h, from: receipt, met_by: [discharged]}\n"
HOME_WELFARE = ("    - {name: welfare_check, target: 24h,        from: discharged, "
                "met_by: [first_contact, start_episode]}\n")
CRISIS_EPISODE = "    - {name: episode_end,   target: 48h,     from: first_contact, met_by: [complete, hand_on]}\n"


def without_discharge_section_for(route):
    def edit(text):
        head, tail = text.split("discharge_clocks:\n")
        start = tail.index(f"  {route}:\n")
        end = tail.index("\n\n", start) + 2
        return head + "discharge_clocks:\n" + tail[:start] + tail[end:]
    return edit


def in_discharge_home_rehab(old, new):
    """An edit to home_rehab's discharge clocks (the community home_rehab list is above it)."""
    def edit(text):
        head, tail = text.split("discharge_clocks:\n")
        before, block = tail.split("  home_rehab:\n")
        assert old in block.split("\n\n")[0], f"test setup: {old!r} not in home_rehab's discharge clocks"
        return head + "discharge_clocks:\n" + before + "  home_rehab:\n" + block.replace(old, new, 1)
    return edit


D = "clocks.yaml: discharge_clocks, route home_rehab, clock "
BROKEN = [
    pytest.param("clocks.yaml", replace("discharge_clocks:\n", "discharge_clock:\n"),
                 "clocks.yaml: unknown field 'discharge_clock'", id="misspelt section"),
    pytest.param("clocks.yaml", without_discharge_section_for("bed_rehab"),
                 "clocks.yaml: discharge_clocks, route bed_rehab: no clocks listed", id="a route left out"),
    pytest.param("clocks.yaml", replace("discharge_clocks:\n", "discharge_clocks:\n  bed_rehabb:\n"
                                        "    - {name: triage, target: at once, from: receipt, met_by: [triage]}\n"),
                 "clocks.yaml: discharge_clocks: unknown route bed_rehabb", id="an undeclared route"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("target: end of DRD, after_drd: 24h",
                                                        "target: end of DRD"),
                 D + "discharge: missing after_drd", id="end of DRD without its allowance"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("after_drd: 24h", "after_drd: a day"),
                 D + "discharge: after_drd: bad duration 'a day'", id="a bad allowance"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("after_drd: 24h", "after_drd: at once"),
                 D + "discharge: after_drd should be a time", id="a zero allowance"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("after_drd: 24h, from: receipt",
                                                        "after_drd: 24h, counts: working_hours, from: receipt"),
                 D + "discharge: a target of 'end of DRD' counts 24/7", id="end of DRD in working hours"),
    pytest.param("clocks.yaml", in_discharge_home_rehab(HOME_DRD, HOME_DRD.replace("from: receipt", "from: start")),
                 D + "discharge: a target of 'end of DRD' counts from receipt", id="end of DRD from the start"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("target: 24h,        from: discharged",
                                                        "target: 24h, after_drd: 2h, from: discharged"),
                 D + "welfare_check: after_drd belongs to a target of 'end of DRD' only",
                 id="an allowance on another target"),
    pytest.param("clocks.yaml", in_discharge_home_rehab(HOME_WELFARE, HOME_WELFARE.replace(
        "met_by: [first_contact, start_episode]", "met_by: [discharged]")),
                 D + "welfare_check: is met by discharged, the event that starts it: it would never run",
                 id="met by its own start"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("from: discharged", "from: discharge"),
                 D + "welfare_check: unknown from 'discharge' (known: receipt, first_contact, start, discharged)",
                 id="unknown start"),
    pytest.param("clocks.yaml", in_discharge_home_rehab("met_by: [discharged]", "met_by: [discharge]"),
                 D + "discharge: unknown met_by event ['discharge']", id="unknown event"),
    pytest.param("clocks.yaml",
                 replace(CRISIS_EPISODE, CRISIS_EPISODE.replace("from: first_contact", "from: discharged")),
                 "clocks.yaml: route crisis_response, clock episode_end: only a hospital discharge is discharged",
                 id="a community clock from discharged"),
    pytest.param("clocks.yaml", replace("met_by: [complete, hand_on]}", "met_by: [complete, discharged]}"),
                 "clocks.yaml: route crisis_response, clock episode_end: only a hospital discharge is discharged",
                 id="a community clock met by discharged"),
    pytest.param("clocks.yaml", replace("target: 2h,      from: receipt,",
                                        "target: end of DRD, after_drd: 2h, from: receipt,"),
                 "clocks.yaml: route crisis_response, clock first_contact: a community referral has no discharge "
                 "ready date", id="end of DRD on a community clock"),
    pytest.param("discharge.yaml", replace('delay_alert_at: "12:00"', "delay_alert_at: 12:00"),
                 "discharge.yaml: delay_alert_at: time 720 should be quoted", id="unquoted alert time"),
    pytest.param("discharge.yaml", replace('delay_alert_at: "12:00"', 'delay_alert_at: "noon"'),
                 "discharge.yaml: delay_alert_at: time 'noon' should be a UK time of day", id="not a time"),
    pytest.param("discharge.yaml", replace('delay_alert_at: "12:00"', 'delay_alert_at: "25:00"'),
                 "discharge.yaml: delay_alert_at: time '25:00' should be a UK time of day", id="no such hour"),
    pytest.param("discharge.yaml", replace('delay_alert_at: "12:00"', ""),
                 "discharge.yaml: missing field 'delay_alert_at'", id="no alert time"),
    pytest.param("discharge.yaml", replace("delay_reasons:", "delay_reason:"),
                 "discharge.yaml: unknown field 'delay_reason' (known: delay_reasons, delay_alert_at)",
                 id="misspelt reasons"),
    pytest.param("discharge.yaml", replace("  transport:  ", "  Transport:  "),
                 "discharge.yaml: delay_reasons: code 'Transport' should be lower-case letters",
                 id="a code with capitals"),
    pytest.param("discharge.yaml", replace("  transport:                Awaiting transport",
                                           "  transport:                yes"),
                 "discharge.yaml: delay_reasons: transport: label should be a few words",
                 id="a label YAML reads as true"),
    pytest.param("discharge.yaml", replace("  transport:  ", "  awaiting_care_home:  "),
                 "discharge.yaml: not valid YAML", id="a code listed twice"),
    pytest.param("discharge.yaml", lambda text: text.split("delay_reasons:")[0] + "delay_reasons: {}\n"
                 'delay_alert_at: "12:00"\n',
                 "discharge.yaml: delay_reasons: should map each reason's code to its label", id="no reasons"),
]


@pytest.mark.parametrize("file, broken, message", BROKEN)
def test_a_broken_discharge_policy_is_refused_naming_the_file_the_place_and_the_problem(
        policy_dir, file, broken, message):
    path = policy_dir / file
    path.write_text(broken(path.read_text()))
    with pytest.raises(PolicyError) as caught:
        load_policy(policy_dir)
    assert str(caught.value).startswith(message), str(caught.value)
    assert caught.value.file == file


def test_a_missing_discharge_file_is_named(policy_dir):
    (policy_dir / "discharge.yaml").unlink()
    with pytest.raises(PolicyError, match="^discharge.yaml: cannot be read from"):
        load_policy(policy_dir)


def test_the_discharge_files_are_part_of_the_policy_version(policy_dir):
    before = load_policy(policy_dir).version
    path = policy_dir / "discharge.yaml"
    path.write_text(path.read_text().replace('"12:00"', '"11:00"'))
    after_reasons = load_policy(policy_dir).version
    path = policy_dir / "clocks.yaml"
    path.write_text(in_discharge_home_rehab("target: 4h,", "target: 3h,")(path.read_text()))
    assert len({before, after_reasons, load_policy(policy_dir).version}) == 3
