"""Notifications reach the person on duty: the rota's holder at the
instant the notification is made, through the app and their own channels; with
nobody on a duty, the next link of the chain at once, saying so; with nobody
anywhere, the role as before. Shifts are DutyShift rows written directly."""
import json
import socketserver
from datetime import date, datetime, timedelta
from http.server import HTTPServer

import pytest

from spoa.extensions import db as database
from spoa.models import DutyShift, Notification, NotificationChannel
from spoa.models.duty_shift import ON_CALL_MANAGER, SERVICE_DUTY_LEAD, SPOA_SUPERVISOR
from tests.support.data.duty_data import add_org
from tests.support.fixtures.chasing import T0, minutes
from tests.support.people import PASSWORD
from tests.support.servers import Receiver, SmtpSink, serve_in_background

from .conftest import BED

pytestmark = pytest.mark.both_databases

DEADLINE = T0 + timedelta(hours=2)  # the crisis referral's first-contact clock
LEAD = "service_duty_lead:crisis_response"


@pytest.fixture
def staff(db):
    """staff(username, role='clinician') -> a user (a clinician of crisis response)."""
    from spoa.services.users import create_user

    def make(username, role="clinician"):
        user = create_user(username=username, role=role, service="crisis_response" if role == "clinician" else None,
                           password=PASSWORD, by=None)
        database.session.commit()
        return user
    return make


@pytest.fixture
def shift(db):
    """shift(user, duty, starts, ends): one DutyShift row (the crisis response lead's for that duty)."""
    def add(user, duty, starts, ends):
        database.session.add(DutyShift(duty=duty, service="crisis_response" if duty == SERVICE_DUTY_LEAD else None,
                                       user_id=user.id, starts_at=starts, ends_at=ends, created_by="test"))
        database.session.commit()
    return add


def sent(body, kind):
    return [n for n in body["notifications"] if n["kind"] == kind]


def test_a_breach_exactly_at_a_shift_change_goes_to_the_incoming_duty_lead(staff, shift, post_referral,
                                                                             reconcile_at, get_referral):
    day, night = staff("dee.day"), staff("nat.night")
    shift(day, SERVICE_DUTY_LEAD, T0 - timedelta(hours=2), DEADLINE)
    shift(night, SERVICE_DUTY_LEAD, DEADLINE, DEADLINE + timedelta(hours=12))
    body = post_referral(at=T0)
    reconcile_at(DEADLINE)  # the pass lands on the boundary itself
    [breach] = sent(get_referral(body["id"]), "breach")
    assert (breach["recipient"], breach["person"], breach["nobody_on_duty"]) == (LEAD, "nat.night", [])
    assert "nobody on duty" not in breach["subject"]
    assert (breach["taken_by"], breach["taken_at"]) == (None, None)


def test_the_person_on_duty_when_the_notification_is_made_is_told_not_the_one_at_the_deadline(
        staff, shift, post_referral, reconcile_at, get_referral):
    early, late = staff("eve.early"), staff("lou.late")
    shift(early, SERVICE_DUTY_LEAD, T0, DEADLINE + minutes(5))
    shift(late, SERVICE_DUTY_LEAD, DEADLINE + minutes(5), DEADLINE + timedelta(hours=8))
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + minutes(10))  # a pass after an outage: the breach is 10 minutes old
    [breach] = sent(get_referral(body["id"]), "breach")
    assert breach["person"] == "lou.late"


def test_nobody_on_the_duty_lead_goes_at_once_to_the_supervisor_on_duty_and_says_so(
        staff, shift, post_referral, reconcile_at, get_referral):
    sue = staff("sue.super", role="supervisor")
    sue_id = sue.id
    shift(sue, SPOA_SUPERVISOR, T0 - timedelta(hours=1), T0 + timedelta(hours=11))
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [breach] = sent(get_referral(body["id"]), "breach")
    assert (breach["recipient"], breach["person"], breach["nobody_on_duty"]) == ("spoa_supervisor", "sue.super", [LEAD])
    assert breach["subject"].endswith("BREACHED (nobody on duty as Crisis response duty lead)")
    database.session.rollback()
    row = database.session.query(Notification).one()
    assert (row.user_id, row.nobody_on_duty) == (sue_id, [LEAD])


def test_with_nobody_on_any_duty_it_stays_with_the_role_and_names_no_one(post_referral, reconcile_at, get_referral):
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [breach] = sent(get_referral(body["id"]), "breach")
    assert (breach["recipient"], breach["person"]) == (LEAD, None)
    assert breach["nobody_on_duty"] == [LEAD, "spoa_supervisor", "on_call_manager"]
    assert "nobody on duty" not in breach["subject"]  # nowhere to say it went instead


def test_nobody_at_the_end_of_the_chain_goes_back_to_the_nearest_link_with_someone(
        staff, shift, post_referral, reconcile_at, get_referral):
    sue = staff("sue.super", role="supervisor")
    shift(sue, SPOA_SUPERVISOR, T0, T0 + timedelta(hours=12))
    body = post_referral(at=T0)
    for step in range(3):
        reconcile_at(DEADLINE + minutes(15 * step) + timedelta(seconds=1))
    level3 = [n for n in sent(get_referral(body["id"]), "escalation") if n["level"] == 3]
    assert [(n["recipient"], n["person"], n["nobody_on_duty"]) for n in level3] == [
        ("spoa_supervisor", "sue.super", ["on_call_manager"])]


def test_every_duty_passed_over_is_named_in_the_subject(staff, shift, post_referral, reconcile_at, get_referral):
    shift(staff("olu.oncall", role="supervisor"), ON_CALL_MANAGER, T0, T0 + timedelta(hours=12))
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [breach] = [n for n in sent(get_referral(body["id"]), "breach") if n["channel"] == "in_app"]
    assert (breach["recipient"], breach["person"]) == ("on_call_manager", "olu.oncall")
    assert breach["subject"].endswith(
        "BREACHED (nobody on duty as Crisis response duty lead or SPOA supervisor)")


def test_each_escalation_goes_to_whoever_holds_that_link(staff, shift, post_referral, reconcile_at, get_referral):
    shift(staff("lee.lead"), SERVICE_DUTY_LEAD, T0, T0 + timedelta(hours=12))
    shift(staff("sue.super", role="supervisor"), SPOA_SUPERVISOR, T0, T0 + timedelta(hours=12))
    shift(staff("oli.oncall", role="supervisor"), ON_CALL_MANAGER, T0, T0 + timedelta(hours=12))
    body = post_referral(at=T0)
    for step in range(3):
        reconcile_at(DEADLINE + minutes(15 * step) + timedelta(seconds=1))
    chain = [(n["level"], n["recipient"], n["person"], n["nobody_on_duty"])
             for n in get_referral(body["id"])["notifications"] if n["kind"] in ("breach", "escalation")]
    assert chain == [(1, LEAD, "lee.lead", []), (2, "spoa_supervisor", "sue.super", []),
                     (3, "on_call_manager", "oli.oncall", [])]


def test_an_inactive_holder_is_nobody(staff, shift, post_referral, reconcile_at, get_referral):
    gone = staff("gus.gone")
    shift(gone, SERVICE_DUTY_LEAD, T0, T0 + timedelta(hours=12))
    shift(staff("oli.oncall", role="supervisor"), ON_CALL_MANAGER, T0, T0 + timedelta(hours=12))
    gone.is_active = False
    database.session.commit()
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [breach] = sent(get_referral(body["id"]), "breach")
    assert (breach["person"], breach["nobody_on_duty"]) == ("oli.oncall", [LEAD, "spoa_supervisor"])


def test_a_flag_alert_goes_to_the_supervisor_on_duty(beds, staff, shift, post_referral):  # noqa: F811
    shift(staff("sue.super", role="supervisor"), SPOA_SUPERVISOR, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    beds(10, 10)
    body = post_referral(at=T0, **BED)
    [alert] = sent(body, "alert")
    assert (alert["alert"], alert["recipient"], alert["person"], alert["nobody_on_duty"]) == (
        "waiting-for-bed", "spoa_supervisor", "sue.super", [])


class PathReceiver(Receiver):
    def do_POST(self):
        super().do_POST()
        type(self).paths.append(self.path)


@pytest.fixture
def outside(app, db):
    """An SMTP sink and a webhook receiver (an SMS gateway) for the messages that leave."""
    SmtpSink.messages, PathReceiver.bodies, PathReceiver.paths, PathReceiver.status = [], [], [], 200
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    web = HTTPServer(("127.0.0.1", 0), PathReceiver)
    serve_in_background(smtp)
    serve_in_background(web)
    saved = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.server_address[1])
    yield f"http://127.0.0.1:{web.server_address[1]}"
    app.config.update(saved)
    smtp.shutdown()
    web.shutdown()


def test_the_person_gets_their_own_email_and_sms_and_the_role_its_copy(outside, staff, shift, post_referral,
                                                                       reconcile_at):
    nat = staff("nat.night")
    nat_id = nat.id
    shift(nat, SERVICE_DUTY_LEAD, T0, T0 + timedelta(hours=12))
    # The webhook here is http (a local receiver): the CLI asks https of a real one.
    database.session.add_all([
        NotificationChannel(recipient=LEAD, channel="email", target="crisis.duty@example.nhs.uk"),
        NotificationChannel(recipient=f"user:{nat.id}", user_id=nat.id, channel="email", target="nat@example.nhs.uk"),
        NotificationChannel(recipient=f"user:{nat.id}", user_id=nat.id, channel="webhook", target=f"{outside}/sms")])
    database.session.commit()
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    database.session.rollback()
    rows = {(n.recipient, n.channel): n for n in database.session.query(Notification)}
    assert set(rows) == {(LEAD, "in_app"), (LEAD, "email"), (f"user:{nat_id}", "email"), (f"user:{nat_id}", "webhook")}
    assert all(n.status == "delivered" and n.user_id == nat_id for n in rows.values())
    mail = sorted(SmtpSink.messages)
    assert len(mail) == 2 and any("To: nat@example.nhs.uk" in m for m in mail)
    assert any("To: crisis.duty@example.nhs.uk" in m for m in mail)
    [(sms, _)] = PathReceiver.bodies
    assert PathReceiver.paths == ["/sms"]
    assert (sms["person"], sms["nobody_on_duty"], sms["kind"]) == ("nat.night", [], "breach")
    assert body["reference"] in sms["subject"]
    text = json.dumps(sms) + "".join(mail)
    assert "Lovelace" not in text and "9434765919" not in text and "NN1 5BD" not in text


def test_a_services_own_channel_stands_in_for_the_every_service_one_of_the_same_kind(
        outside, post_referral, reconcile_at, get_referral):
    # Both are configured (an email for every duty lead, one for crisis response's): the
    # breach is one email to crisis response's own, and the breach is recorded at all
    # (two copies of one (effect, recipient, channel) would fail the pass).
    database.session.add_all([
        NotificationChannel(recipient=SERVICE_DUTY_LEAD, channel="email", target="all.leads@example.nhs.uk"),
        NotificationChannel(recipient=LEAD, channel="email", target="crisis.duty@example.nhs.uk")])
    database.session.commit()
    body = post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [breach_email] = [n for n in sent(get_referral(body["id"]), "breach") if n["channel"] == "email"]
    assert (breach_email["recipient"], breach_email["status"]) == (LEAD, "delivered")
    assert len(SmtpSink.messages) == 1 and "To: crisis.duty@example.nhs.uk" in SmtpSink.messages[0]


def test_someone_elses_channel_is_not_used(outside, staff, shift, post_referral, reconcile_at):
    nat, off = staff("nat.night"), staff("otto.off")
    shift(nat, SERVICE_DUTY_LEAD, T0, T0 + timedelta(hours=12))
    database.session.add(NotificationChannel(recipient=f"user:{off.id}", user_id=off.id, channel="webhook",
                                             target=f"{outside}/otto"))
    database.session.commit()
    post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    assert PathReceiver.bodies == []


def test_the_payload_says_who_was_passed_over(outside, staff, shift, post_referral, reconcile_at):
    sue = staff("sue.super", role="supervisor")
    shift(sue, SPOA_SUPERVISOR, T0, T0 + timedelta(hours=12))
    database.session.add(NotificationChannel(recipient=f"user:{sue.id}", user_id=sue.id, channel="webhook",
                                             target=f"{outside}/sue"))
    database.session.commit()
    post_referral(at=T0)
    reconcile_at(DEADLINE + timedelta(seconds=1))
    [(sms, _)] = PathReceiver.bodies
    assert (sms["person"], sms["nobody_on_duty"]) == ("sue.super", [LEAD])
    assert "nobody on duty as Crisis response duty lead" in sms["subject"]


def test_a_pass_asks_the_rota_once_per_duty_not_once_per_clock(staff, shift, post_referral, reconcile_at, app):
    """Many clocks breaching in one pass: one holder query per duty and instant."""
    from tests.support.statements import statements

    sue = staff("sue.super", role="supervisor")
    sue_id = sue.id
    shift(sue, SPOA_SUPERVISOR, T0, T0 + timedelta(hours=12))
    for _ in range(3):
        post_referral(at=T0)
    with statements(database.engine, where=lambda statement: "duty_shifts" in statement) as asked:
        reconcile_at(DEADLINE + timedelta(seconds=1))
    database.session.rollback()
    assert database.session.query(Notification).filter_by(user_id=sue_id).count() == 3
    assert len(asked) == 2  # the duty lead (nobody), then the supervisor (sue): once each


def test_the_voluntary_route_has_no_duty_lead_so_its_breach_goes_to_the_supervisor_on_duty(
        staff, shift, post_referral, reconcile_at, get_referral, db):
    add_org(db, "good_neighbours", total=3, declared_for=date(2026, 11, 23))
    shift(staff("sue.super", role="supervisor"), SPOA_SUPERVISOR, T0, T0 + timedelta(days=3))
    body = post_referral(at=T0, presenting_need="social_support")
    assert body["route"] == "voluntary_sector"
    deadline = max(c["deadline"] for c in body["clocks"])
    reconcile_at(datetime.fromisoformat(deadline) + timedelta(seconds=1))
    breaches = sent(get_referral(body["id"]), "breach")
    assert breaches and all((n["recipient"], n["person"], n["nobody_on_duty"]) == (
        "spoa_supervisor", "sue.super", ["service_duty_lead:voluntary_sector"]) for n in breaches)


def test_the_full_view_costs_the_same_queries_for_one_notification_or_many(
        staff, shift, post_referral, reconcile_at, client, db):
    from spoa.models import ApiClient
    from tests.support.statements import statements

    row, token = ApiClient.issue(name="crisis-system", service="crisis_response")  # the full view's reader
    db.session.add(row)
    db.session.commit()

    def the_views_reads(statement):
        # The reads (a test's shared session may begin once more, or not). The reader's
        # token is looked up or kept (spoa/api/client_cache.py: kept only while its Redis
        # listener is subscribed), which is not the view's cost.
        return statement.lstrip().upper().startswith("SELECT") and "FROM api_clients" not in statement

    def queries_for(referral_id):
        with statements(db.engine, where=the_views_reads) as seen:
            response = client.get(f"/api/v1/referrals/{referral_id}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200
        return response.get_json()["notifications"], len(seen)

    shift(staff("sue.early", role="supervisor"), SPOA_SUPERVISOR, T0 - timedelta(hours=1), DEADLINE)
    for i in range(3):  # each escalation to someone else
        shift(staff(f"sue{i}", role="supervisor"), SPOA_SUPERVISOR, DEADLINE + minutes(15 * i),
              DEADLINE + minutes(15 * i + 15))
    quiet, busy = post_referral(at=T0), post_referral(at=T0 - minutes(45))
    reconcile_at(DEADLINE - minutes(45) + timedelta(seconds=1))  # busy's breach; quiet warned
    for step in range(1, 3):
        reconcile_at(DEADLINE + minutes(15 * step) + timedelta(seconds=1))
    few, cost = queries_for(quiet["id"])
    many, more = queries_for(busy["id"])
    assert len(many) > len(few) and len({n["person"] for n in many}) > 1
    assert more == cost
