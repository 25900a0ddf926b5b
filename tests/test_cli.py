"""The CLI contract outside scripts rely on."""
from datetime import timedelta

import pytest

from spoa.models import ApiClient, Referral, Service, User
from spoa.models.user import hash_token


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def test_create_api_client_prints_the_token_alone_on_the_last_line(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "emas-hub", "--sources", "emas,nhs111"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.sources == ["emas", "nhs111"]


def test_a_service_system_client_is_bound_to_its_service(cli, db, client):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "crisis-sys", "--service", "crisis_response"])
    token = result.output.strip().splitlines()[-1]
    assert db.session.query(ApiClient).filter_by(name="crisis-sys").one().service == "crisis_response"
    assert client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_create_api_client_refuses_an_unknown_source(cli):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "x", "--sources", "emas,pigeon"])
    assert result.exit_code != 0
    assert "pigeon" in result.output


def test_create_user_reads_the_password_from_standard_input(cli, db):
    result = cli.invoke(args=["spoa", "create-user", "--username", "sam", "--role", "clinician",
                              "--service", "crisis_response"], input="correct horse battery\n")
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(username="sam").one()
    assert user.check_password("correct horse battery") and "correct horse" not in user.password_hash


def test_a_clinician_needs_a_service(cli):
    result = cli.invoke(args=["spoa", "create-user", "--username", "x", "--role", "clinician"], input="long password\n")
    assert result.exit_code != 0 and "service" in result.output


def test_seed_demo_makes_services_users_and_referrals_and_can_run_twice(cli, db, app, monkeypatch):
    from spoa.cli.demo import DEMO_CONTACTED, DEMO_DISCHARGES, DEMO_REFERRALS, DEMO_USERS

    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", ("111111111",))  # as scripts/run sets it
    first = cli.invoke(args=["spoa", "seed-demo"])
    second = cli.invoke(args=["spoa", "seed-demo"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert db.session.query(User).count() == len(DEMO_USERS) == 10
    pushed_calls = 1  # (below)
    assert (db.session.query(Referral).count()
            == len(DEMO_REFERRALS) + len(DEMO_CONTACTED) + len(DEMO_DISCHARGES) + pushed_calls == 19)
    # The demo's rota, made once: a named person holds each of its duties now and
    # all night, and the second run added nothing.
    from spoa.cli.demo import DEMO_ROTA
    from spoa.platform.timekeeping import now
    from spoa.services import rota

    assert "; 0 added)" in second.output and "; 0 added)" not in first.output
    for duty, service, username in DEMO_ROTA:
        for hours in (0, 6, 12, 24):
            held = rota.holder(duty, service, now() + timedelta(hours=hours))
            assert held is not None and held.username == username, (duty, service, hours)
    # The crisis team's contacts, made once: the reports' 2-hour figure has 4 of 5 within 2 hours.
    from spoa.domain.period import Period
    from spoa.reports.two_hour import counts

    contacted = db.session.query(Referral).filter(Referral.source_reference.like("DEMO-01%")).all()
    assert {r.state for r in contacted} == {"in_progress"}
    tally = counts(Period.last_days())
    assert (tally["met"], tally["breached"]) == (4, 1)
    db.session.expire_all()
    services = {s.code: s for s in db.session.query(Service)}
    neighbours = services["good_neighbours"]
    assert neighbours.kind == "voluntary" and neighbours.duty_days == list(range(1, 8))
    assert services["age_concern_north"].duty_days == [1, 2, 3, 4, 5]
    assert (services["bed_rehab"].capacity_total, services["bed_rehab"].capacity_free) == (10, 0)
    assert (services["crisis_response"].capacity_total, services["crisis_response"].capacity_in_use) == (8, 3)
    assert services["good_neighbours"].capacity_total == 3
    # A FHIR demo sender of its own: BaRS senders post as exactly one source.
    from spoa.models import ApiClient

    fhir = db.session.query(ApiClient).filter_by(name="demo-111-fhir").one()
    assert fhir.sources == ["nhs111"] and "API client demo-111-fhir token spoa_" in first.output
    # The social-support referrals went to the duty organisations, each once (not twice on the second run).
    taken = sum(s.capacity_in_use for s in services.values() if s.kind == "voluntary")
    offered = db.session.query(Referral).filter(Referral.assigned_service.isnot(None)).count()
    assert taken == offered == 2
    bed = db.session.query(Referral).filter_by(source_reference="DEMO-0006").one()
    assert (bed.route, bed.waiting_for) == ("bed_rehab", "bed")
    assert db.session.query(User).filter_by(username="volunteer").one().service == "good_neighbours"
    # The county's manager: the reports, and a password printed like every demo user's.
    assert db.session.query(User).filter_by(username="manager").one().role == "manager"
    assert "user manager     (manager) password " in first.output
    # A hospital: its ward user and system, its care-home assessment beds, its discharges
    # across the pathways, one delayed with today's reason recorded once (not twice on the second run).
    assert db.session.query(User).filter_by(username="ward").one().hospital_ods == "RNS01"
    assert db.session.query(ApiClient).filter_by(name="demo-ngh").one().hospital_ods == "RNS01"
    assert services["care_home_assessment"].capacity_unit == "care-home assessment beds"
    discharges = db.session.query(Referral).filter_by(kind="discharge").all()
    assert {r.pathway for r in discharges} == {0, 1, 2, 3}
    delayed = next(r for r in discharges if r.delayed_days)
    assert [(d.reason, d.recorded_by) for d in delayed.delayed_days] == [("awaiting_care_package", "demo-ngh")]
    # A 999 call the ambulance service pushed, posted to the FHIR receiver by its own system
    # (made once: the second run found it open), in the live queue's lane, its breach time ahead.
    from spoa.live import queue_view
    from spoa.models import FhirMessage

    pushed = db.session.query(Referral).filter_by(kind="pushed_call").one()
    assert (pushed.channel, pushed.source, pushed.route, pushed.state) == ("fhir", "emas", "crisis_response", "offered")
    assert pushed.sender_case_number == "sender1234" and pushed.postcode == "NN1 5BD"
    assert now() + timedelta(minutes=20) < pushed.breach_at <= now() + timedelta(minutes=25)
    assert db.session.query(FhirMessage).filter_by(referral_id=pushed.id).one().version == 1
    assert [r.id for r in queue_view.open_rows() if r.lane == queue_view.PUSH_LANE] == [str(pushed.id)]
    assert f"pushed 999 call {pushed.reference}: breach time 25 minutes" in first.output
    assert "pushed 999 call: one open already" in second.output
    assert db.session.query(ApiClient).filter_by(name="demo-ambulance").one().sources == ["emas"]
    # With no endpoint registered for the ambulance service, the timeline says it was not told.
    from spoa.domain.actor import Actor
    from spoa.domain.sender_outcomes import told_line
    from spoa.services.actions import apply_event

    apply_event(pushed, "accept", Actor(kind="user", name="sian", role="supervisor"))
    accepted = next(e for e in pushed.history if e.event == "accept")
    assert told_line(accepted) == "sender not told: no BaRS endpoint registered for the sending system"


def test_seed_demo_without_a_dos_id_says_why_it_pushed_no_call(cli, db):
    result = cli.invoke(args=["spoa", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "pushed 999 call: none (SPOA_DOS_SERVICE_IDS is not set)" in result.output
    assert db.session.query(Referral).filter_by(kind="pushed_call").count() == 0


def test_demo_pushed_call_writes_a_message_the_receiver_takes(cli, db, app, client, monkeypatch, tmp_path):
    import json
    import uuid

    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", ("111111111",))
    assert cli.invoke(args=["spoa", "seed-demo"]).exit_code == 0
    path = tmp_path / "call.json"
    result = cli.invoke(args=["spoa", "demo-pushed-call", "--out", str(path), "--base-url", "http://spoa.test"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "curl -sS -X POST 'http://spoa.test/fhir/$process-message' \\"
    token = lines[1].split("Bearer ")[1].split("'")[0]
    assert token.startswith("spoa_") and lines[-1] == f"  --data-binary @{path}"
    request_id = str(uuid.uuid4())
    response = client.post("/fhir/$process-message", data=path.read_bytes(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/fhir+json",
        "X-Request-ID": request_id, "X-Correlation-ID": request_id})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert json.loads(path.read_text())["entry"][1]["resource"]["category"][0]["coding"][0]["code"] == "validation"
    assert db.session.query(Referral).filter_by(kind="pushed_call").count() == 2


def test_add_voluntary_org_puts_it_on_the_duty_rota(cli, db):
    result = cli.invoke(args=["spoa", "add-voluntary-org", "--code", "good_neighbours", "--name", "Good Neighbours",
                              "--duty-days", "mon,tue,Wednesday,sat"])
    assert result.exit_code == 0, result.output
    assert "on duty: Mon, Tue, Wed, Sat" in result.output
    org = db.session.query(Service).filter_by(code="good_neighbours").one()
    assert (org.kind, org.duty_days, org.is_active) == ("voluntary", [1, 2, 3, 6], True)
    again = cli.invoke(args=["spoa", "add-voluntary-org", "--code", "good_neighbours", "--name", "Again",
                             "--duty-days", "mon"])
    assert again.exit_code != 0 and "--code: There is already" in again.output
    bad = cli.invoke(args=["spoa", "add-voluntary-org", "--code", "Bad Code", "--name", "X", "--duty-days", "funday"])
    assert bad.exit_code != 0 and "--duty-days: 'funday' is not a day of the week" in bad.output
    bad = cli.invoke(args=["spoa", "add-voluntary-org", "--code", "Bad Code", "--name", "X", "--duty-days", "mon"])
    assert bad.exit_code != 0 and "--code: The code is lower-case letters, digits and _ only" in bad.output
    # Its clinicians and its system can be created for it.
    user = cli.invoke(args=["spoa", "create-user", "--username", "gn", "--role", "clinician",
                            "--service", "good_neighbours"], input="correct horse battery\n")
    assert user.exit_code == 0, user.output
    client = cli.invoke(args=["spoa", "create-api-client", "--name", "gn-sys", "--service", "good_neighbours"])
    assert client.exit_code == 0, client.output


def test_rules_check_and_rules_test_pass_on_the_shipped_policy(cli):
    check = cli.invoke(args=["rules", "check"])
    assert check.exit_code == 0 and "OK" in check.output
    run = cli.invoke(args=["rules", "test"])
    assert run.exit_code == 0, run.output
    assert " 0 failed" in run.output


def _add_channel(cli, *options):
    return cli.invoke(args=["spoa", "add-channel", *options])


def test_add_channel_gives_a_person_their_own_email_and_webhook(cli, db):
    from spoa.models import NotificationChannel

    made = cli.invoke(args=["spoa", "create-user", "--username", "sam", "--role", "supervisor"],
                      input="correct horse battery\n")
    assert made.exit_code == 0, made.output
    sam = db.session.query(User).filter_by(username="sam").one()
    result = _add_channel(cli, "--username", "Sam", "--channel", "email", "--target", " sam@example.nhs.uk ")
    assert result.exit_code == 0, result.output
    assert "Sam now also gets email notifications at" in result.output
    result = _add_channel(cli, "--username", "sam", "--channel", "webhook", "--target", "https://sms.example/send")
    assert result.exit_code == 0, result.output
    rows = db.session.query(NotificationChannel).order_by(NotificationChannel.id).all()
    assert [(r.recipient, r.user_id, r.channel, r.target) for r in rows] == [
        (f"user:{sam.id}", sam.id, "email", "sam@example.nhs.uk"),
        (f"user:{sam.id}", sam.id, "webhook", "https://sms.example/send")]
    # One of each a person: a second would never be sent (one message per channel).
    again = _add_channel(cli, "--username", "sam", "--channel", "email", "--target", "other@example.nhs.uk")
    assert again.exit_code != 0 and "--channel: sam already has an email channel" in again.output
    assert db.session.query(NotificationChannel).count() == 2


def test_add_channel_still_adds_a_duty_roles_channel(cli, db):
    from spoa.models import NotificationChannel

    result = _add_channel(cli, "--recipient", "service_duty_lead:crisis_response", "--channel", "email",
                          "--target", "duty@example.nhs.uk")
    assert result.exit_code == 0, result.output
    row = db.session.query(NotificationChannel).one()
    assert (row.recipient, row.user_id, row.target) == (
        "service_duty_lead:crisis_response", None, "duty@example.nhs.uk")
    again = _add_channel(cli, "--recipient", "service_duty_lead:crisis_response", "--channel", "email",
                         "--target", "duty@example.nhs.uk")
    assert again.exit_code != 0 and "--target: service_duty_lead:crisis_response already gets email" in again.output
    # One of each a role too: a second would never be sent (channels.copies_for: one copy a channel).
    other = _add_channel(cli, "--recipient", "service_duty_lead:crisis_response", "--channel", "email",
                         "--target", "other@example.nhs.uk")
    assert other.exit_code != 0 and (
        "--channel: service_duty_lead:crisis_response already has an email channel" in other.output)
    assert db.session.query(NotificationChannel).count() == 1


@pytest.mark.parametrize("options, message", [
    ((), "--recipient: Give exactly one of a recipient (a duty role) or a username (a person)"),
    (("--recipient", "spoa_supervisor", "--username", "sam"), "--recipient: Give exactly one"),
    (("--recipient", "the_boss"), "--recipient: The recipient is spoa_supervisor, on_call_manager"),
    (("--recipient", "service_duty_lead:pigeons"), "--recipient: The recipient is"),
    (("--username", "nobody.here"), "--username: There is no user called nobody.here"),
], ids=["neither", "both", "unknown duty", "unknown service", "unknown person"])
def test_add_channel_refuses_whose_it_is_wrong(cli, db, options, message):
    result = _add_channel(cli, *options, "--channel", "email", "--target", "x@example.nhs.uk")
    assert result.exit_code != 0 and message in result.output


@pytest.mark.parametrize("channel, target, message", [
    ("email", "not-an-address", "--target: Enter an email address, for example sam@example.nhs.uk"),
    ("webhook", "http://sms.example/send", "--target: Enter the full https:// address of the webhook"),
    ("webhook", "sam@example.nhs.uk", "--target: Enter the full https:// address"),
    ("webhook", "https://user:pw@sms.example/send", "--target: Leave the user name and password out"),
])
def test_add_channel_refuses_a_target_that_is_not_an_address(cli, db, channel, target, message):
    from spoa.models import NotificationChannel

    result = _add_channel(cli, "--recipient", "spoa_supervisor", "--channel", channel, "--target", target)
    assert result.exit_code != 0 and message in result.output
    assert db.session.query(NotificationChannel).count() == 0
