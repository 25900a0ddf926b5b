"""The /rota page: a week by duty, editors' forms, refusals, and the
queue's warning when a duty has nobody on it."""
import html

import pytest

from spoa.models import AuditEvent, DutyShift
from spoa.platform.timekeeping import parse_uk
from spoa.services import rota
from tests.support.data.rota_data import on_duty, person
from tests.support.signing_in import csrf_token

LEAD = "service_duty_lead:crisis_response"


def page(client, path="/rota?week=2026-12-21"):
    response = client.get(path)
    return response, html.unescape(response.get_data(as_text=True))


def add(client, **fields):
    data = {"csrf_token": csrf_token(client, "/rota"), "duty": LEAD, "username": "sam",
            "starts_at": "2026-12-01 08:00", "ends_at": "2026-12-01 20:00", **fields}
    return client.post("/rota/shifts", data=data)


def team_lead(login_as, db, role, service=None):
    user = login_as(role, service=service, username="lead")
    user.team_lead = True
    db.session.commit()
    return user


def test_the_week_shows_each_duty_shift_and_marks_bank_holidays_and_weekends(client, login_as, db):
    sam, nia = person(db, "sam", "clinician", "crisis_response"), person(db, "nia", "clinician", "crisis_response")
    on_duty(db, LEAD, nia, "2026-12-24T20:00", "2026-12-25T09:00")
    on_duty(db, LEAD, sam, "2026-12-25T09:00", "2026-12-25T17:00")
    login_as("clinician", service="crisis_response", username="cara")
    response, text = page(client)
    assert response.status_code == 200
    assert "Duty rota: week of Mon 21 Dec 2026" in text
    assert "Fri 25 Dec <strong class=\"tag\">Bank holiday</strong>" in text
    assert "Sun 27 Dec <span class=\"tag tag--grey\">Weekend</span>" in text
    crisis = text[text.index("<h2 id=\"duty-1\">Crisis response duty lead</h2>"):text.index("id=\"duty-2\"")]
    assert "Thu 24 Dec 20:00 – Fri 25 Dec 09:00 nia" in crisis
    assert "Fri 25 Dec 09:00 – 17:00 sam <strong class=\"tag\">Bank holiday</strong>" in crisis
    assert "Nobody on duty</strong> Mon 21 Dec 00:00 – Thu 24 Dec 20:00" in crisis
    # A clinician who is no team lead sees the rota but no form and no remove button.
    assert "Add a shift" not in text and "Remove" not in text
    assert add(client).status_code == 404


@pytest.mark.parametrize("role", ["call_handler", "manager", "ward"])
def test_people_who_may_neither_see_nor_edit_get_404(client, login_as, role):
    login_as(role, hospital="RNS01" if role == "ward" else None)
    assert client.get("/rota").status_code == 404
    assert client.post("/rota/shifts", data={"csrf_token": csrf_token(client, "/")}).status_code == 404


def test_a_team_lead_adds_a_shift_to_their_service_and_it_is_shown_and_audited(client, login_as, db):
    person(db, "sam", "clinician", "crisis_response")
    team_lead(login_as, db, "clinician", "crisis_response")
    _, text = page(client, "/rota?week=2026-12-01")
    assert '<option value="service_duty_lead:crisis_response">Crisis response duty lead</option>' in text
    assert "spoa_supervisor\"" not in text  # not theirs to edit
    response = add(client)
    assert response.status_code == 302 and "week=2026-11-30" in response.headers["Location"]
    _, text = page(client, response.headers["Location"])
    assert "Added: Crisis response duty lead, Tue 1 Dec 08:00 – 20:00 sam." in text
    assert db.session.query(AuditEvent).filter_by(event="duty_shift_added").one().actor_name == "lead"


def test_a_mistake_is_said_beside_its_field_and_nothing_is_stored(client, login_as, db):
    sam = person(db, "sam", "clinician", "crisis_response")
    on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    login_as("admin")
    response = add(client, starts_at="2026-12-01 19:00", ends_at="2026-12-02 08:00")
    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="starts_at-error">Error: This overlaps the shift Tue 1 Dec 08:00 – 20:00 sam' in text
    assert 'value="2026-12-02 08:00"' in text  # what was typed is kept
    response = add(client, username="hal", starts_at="2026-03-29 01:30")
    text = html.unescape(response.get_data(as_text=True))
    assert 'id="username-error">Error: There is no user called hal' in text
    assert 'id="starts_at-error">Error: 01:30 on 29 Mar 2026 does not exist in the UK' in text
    assert db.session.query(DutyShift).count() == 1


def test_a_team_lead_of_another_service_gets_404_and_an_admin_may_remove(client, login_as, db):
    sam = person(db, "sam", "clinician", "crisis_response")
    shift = on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    team_lead(login_as, db, "clinician", "home_rehab")
    _, text = page(client, "/rota?week=2026-12-01")
    assert "Remove" not in text.split("Add a shift")[0]
    assert add(client).status_code == 404
    remove = client.post(f"/rota/shifts/{shift.id}/remove", data={"csrf_token": csrf_token(client, "/rota")})
    assert remove.status_code == 404 and db.session.get(DutyShift, shift.id) is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("admin")
    remove = client.post(f"/rota/shifts/{shift.id}/remove", data={"csrf_token": csrf_token(client, "/rota")})
    assert remove.status_code == 302
    db.session.expire_all()
    assert db.session.query(DutyShift).count() == 0


def test_a_supervisor_team_lead_edits_the_spoa_duties(client, login_as, db):
    sue = person(db, "sue", "supervisor")
    team_lead(login_as, db, "supervisor")
    response = add(client, duty="spoa_supervisor", username="sue")
    assert response.status_code == 302
    assert rota.holder("spoa_supervisor", None, parse_uk("2026-12-01T12:00")) == sue
    assert add(client, starts_at="2026-12-02 08:00", ends_at="2026-12-02 20:00").status_code == 404


def test_the_queue_warns_of_a_duty_with_nobody_on_it_and_not_when_all_are_covered(client, login_as, db,
                                                                                    frozen_now):
    sue = person(db, "sue", "supervisor")
    frozen_now(parse_uk("2026-12-01T12:00"))
    login_as("supervisor")
    for recipient in rota.covered_duties():
        duty, service = rota.split_recipient(recipient)
        holder = sue if service is None else person(db, f"lead-{service}", "clinician", service)
        end = "2026-12-01T20:00" if recipient == LEAD else "2026-12-03T08:00"
        on_duty(db, recipient, holder, "2026-12-01T08:00", end)
    _, text = page(client, "/queue")
    assert "Warning: nobody on duty" in text
    assert "Nobody is on duty as Crisis response duty lead from 20:00 today, for at least 7 days." in text
    assert 'href="/rota">Fill the gaps on the duty rota' in text
    on_duty(db, LEAD, person(db, "nia", "clinician", "crisis_response"), "2026-12-01T20:00", "2026-12-03T08:00")
    _, text = page(client, "/queue")
    assert "nobody on duty" not in text.lower()
