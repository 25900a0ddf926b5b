"""The ward records a discharge's own events from its pages: the patient left
(at a time it may give, in UK time), readiness withdrawn and back, and today's
delay reason. A refused input is said beside its field, with what was typed."""
import html
import re
from datetime import UTC, datetime

import pytest

from spoa.models import AuditEvent, DelayedDay
from spoa.platform.timekeeping import now
from tests.support.data.ward_data import post_discharge
from tests.support.signing_in import csrf_token

WINTER_NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)  # 12:00 UK (GMT)


@pytest.fixture
def delayed(client, hospital_sender, db, frozen_now):
    frozen_now(WINTER_NOON)
    return post_discharge(client, hospital_sender[1], drd_in_days=-2)


@pytest.fixture
def ward_user(login_as):
    return login_as("ward", hospital="RNS01", username="wendy")


def page_of(client, referral):
    return html.unescape(client.get(f"/referrals/{referral.id}").get_data(as_text=True))


def post(client, referral, event, **fields):
    path = f"/referrals/{referral.id}"
    return client.post(f"/referrals/{referral.id}/events", data={
        "event": event, "version": str(referral.version), "next": path,
        "csrf_token": csrf_token(client, path), **fields})


def test_the_ward_sees_its_discharges_buttons_and_no_others(client, ward_user, delayed):
    page = page_of(client, delayed)
    assert "Delayed 2 days</strong><br>No delay reason recorded today" in page
    events = set(re.findall(r'name="event" value="([a-z_]+)"', page))
    assert events == {"discharged", "readiness_withdrawn", "delay"}  # ready_again: only once withdrawn
    assert 'type="datetime-local"' in page and "Left hospital at (UK time, blank for now)" in page
    assert "Awaiting a package of care at home" in page  # discharge.yaml's label, chosen not typed


def test_a_ward_records_the_time_the_patient_left_in_uk_time(client, ward_user, delayed, db):
    response = post(client, delayed, "discharged", at="2026-12-01T10:30")
    assert response.status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharged_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # GMT in winter
    page = page_of(client, delayed)
    assert "Discharged from hospital" in page and "Left 2 days after the ready date" in page
    assert 'name="event" value="discharged"' not in page  # once


def test_a_discharge_time_left_blank_is_now(client, ward_user, delayed, db):
    assert post(client, delayed, "discharged", at="").status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharged_at == now()


@pytest.mark.parametrize("typed, message", [
    ("2026-12-01T13:00", "cannot be in the future"),
    ("yesterday", "Enter the time they left hospital as day/month/year and a time"),
    ("2026-12-01T٣:00", "Enter the time they left hospital as day/month/year and a time"),
])
def test_a_discharge_time_refused_is_said_beside_its_field(client, ward_user, delayed, db, typed, message):
    response = post(client, delayed, "discharged", at=typed)
    input_id = f"at-discharged-{delayed.id}"
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#{input_id}")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'<span class="error-message" id="{input_id}-error">Error: ' in page and message in page
    assert f'aria-describedby="{input_id}-error"' in page and f'value="{typed}"' in page
    db.session.refresh(delayed)
    assert delayed.discharged_at is None
    assert "error-message" not in page_of(client, delayed)  # said once, not for ever


def test_a_discharge_time_typed_as_people_write_it_is_uk_time(client, ward_user, delayed, db):
    # The message's own example form is taken, as the rota's and the handover's fields take it.
    assert post(client, delayed, "discharged", at="01/12/2026 10:30").status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharged_at == datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("frozen_at, typed, message", [
    # 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 is no time at all in the UK.
    (datetime(2026, 3, 29, 12, tzinfo=UTC), "2026-03-29T01:30",
     "01:30 on 29 Mar 2026 does not exist in the UK (the clocks go forward)"),
    # 25 October 2026: 01:00-01:59 happens in BST and then again in GMT: which one is a guess.
    (datetime(2026, 10, 25, 12, tzinfo=UTC), "2026-10-25T01:30",
     "01:30 on 25 Oct 2026 happens twice in the UK (the clocks go back)"),
])
def test_a_discharge_time_the_uk_clocks_skip_or_repeat_is_refused(client, ward_user, hospital_sender, db, frozen_now,
                                                                   frozen_at, typed, message):
    # The time starts the discharge clocks: an hour out would start them an hour out.
    frozen_now(frozen_at)
    referral = post_discharge(client, hospital_sender[1], drd_in_days=-1)
    before = (referral.state, referral.version, db.session.query(AuditEvent).filter_by(referral_id=referral.id).count())
    response = post(client, referral, "discharged", at=typed)
    input_id = f"at-discharged-{referral.id}"
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#{input_id}")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'<span class="error-message" id="{input_id}-error">Error: {message}' in page
    db.session.refresh(referral)
    assert referral.discharged_at is None
    assert (referral.state, referral.version,
            db.session.query(AuditEvent).filter_by(referral_id=referral.id).count()) == before


def test_a_ward_records_todays_delay_reason_from_its_list(client, ward_user, delayed, db):
    listed = html.unescape(client.get("/ward").get_data(as_text=True))
    assert f'id="reason-delay-{delayed.id}"' in listed and f'id="at-discharged-{delayed.id}"' in listed
    # Withdrawn from the referral page, with the whole referral in view.
    assert 'name="event" value="readiness_withdrawn"' not in listed
    response = client.post(f"/referrals/{delayed.id}/events", data={
        "event": "delay", "version": str(delayed.version), "next": "/ward", "reason": "awaiting_care_package",
        "csrf_token": csrf_token(client, "/ward")})
    assert response.status_code == 302 and response.headers["Location"] == "/ward"
    row = db.session.query(DelayedDay).filter_by(referral_id=delayed.id).one()
    assert (row.reason, row.recorded_by) == ("awaiting_care_package", "wendy")
    listed = html.unescape(client.get("/ward").get_data(as_text=True))
    assert "Delayed 2 days</strong><br>Awaiting a package of care at home" in listed
    assert f'id="reason-delay-{delayed.id}"' not in listed  # once a day


def test_a_delay_reason_that_is_no_code_is_said_beside_the_select(client, ward_user, delayed, db):
    response = post(client, delayed, "delay", reason="the porter is late")
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'id="reason-delay-{delayed.id}-error"' in page and "Unknown delay reason" in page
    assert db.session.query(DelayedDay).count() == 0


def test_readiness_withdrawn_then_ready_again_with_a_new_date(client, ward_user, delayed, db):
    assert post(client, delayed, "readiness_withdrawn", reason="Temperature spiked").status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharge_ready_date is None
    page = page_of(client, delayed)
    assert "Readiness withdrawn" in page and 'name="discharge_ready_date"' in page and 'type="date"' in page
    refused = post(client, delayed, "ready_again", discharge_ready_date="2026-11-30")
    later = html.unescape(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert f'id="discharge_ready_date-ready_again-{delayed.id}-error"' in later and "before today" in later
    db.session.refresh(delayed)
    assert post(client, delayed, "ready_again", discharge_ready_date="2026-12-03").status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharge_ready_date.isoformat() == "2026-12-03"
    assert "Ready in 2 days" in html.unescape(client.get("/ward").get_data(as_text=True))


def test_a_new_ready_date_typed_as_its_message_says_is_taken(client, ward_user, delayed, db):
    # The message's example (24/11/2026) is a form the field reads, as every UK date field does.
    assert post(client, delayed, "readiness_withdrawn", reason="Temperature spiked").status_code == 302
    db.session.refresh(delayed)
    assert post(client, delayed, "ready_again", discharge_ready_date="03/12/2026").status_code == 302
    db.session.refresh(delayed)
    assert delayed.discharge_ready_date.isoformat() == "2026-12-03"
    refused = post(client, delayed, "ready_again", discharge_ready_date="٠٣/١٢/٢٠٢٦")
    assert "Enter the new ready date as a date" in html.unescape(
        client.get(refused.headers["Location"]).get_data(as_text=True))


def test_another_hospitals_ward_cannot_record_its_discharge(client, login_as, delayed, db):
    login_as("ward", hospital="RYY01", username="other")
    assert post(client, delayed, "discharged", at="").status_code == 404
    db.session.refresh(delayed)
    assert delayed.discharged_at is None


@pytest.mark.parametrize("event", ["discharged\r\nSet-Cookie: x=1", "no_such_event", "x" * 3000])
def test_an_event_that_is_none_is_not_carried_back_to_the_page(client, ward_user, delayed, db, event):
    # Nothing of it reaches the redirect (a header) or the session (a cookie): the page says it is unknown.
    response = post(client, delayed, event, at="yesterday")
    assert response.status_code == 302 and response.headers["Location"] == f"/referrals/{delayed.id}"
    assert "error-message" not in page_of(client, delayed)
