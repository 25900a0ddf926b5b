"""A voluntary organisation works its referrals from its own worklist; a
supervisor moves one to another organisation on duty, or routes it by hand."""
import html
import uuid

import pytest

from spoa.models import Referral, Service, TriageDecision
from tests.support.data.duty_data import add_org
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def orgs(db):
    return add_org(db, "good_neighbours", total=3), add_org(db, "age_concern_north", total=2)


@pytest.fixture
def post_social(client, sender, payload):
    _, headers = sender

    def post():
        response = client.post("/api/v1/referrals", json=payload(presenting_need="social_support"), headers=headers)
        assert response.status_code == 201
        return response.get_json()

    return post


@pytest.fixture
def offered(orgs, post_social, db):
    """A referral offered to age_concern_north (first by code among the never-offered)."""
    body = post_social()
    assert body["assigned_service"] == "age_concern_north"
    return body


def referral_row(db, body) -> Referral:
    db.session.expire_all()
    return db.session.get(Referral, uuid.UUID(body["id"]))


def in_use(db, code) -> int:
    db.session.expire_all()
    return db.session.query(Service).filter_by(code=code).one().capacity_in_use


def fire(client, body, event, version, page="/worklist", **fields):
    data = {"event": event, "version": str(version), "csrf_token": csrf_token(client, page), "next": page, **fields}
    return client.post(f"/referrals/{body['id']}/events", data=data)


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_the_organisations_clinician_sees_it_on_their_worklist_and_accepts_it(client, offered, login_as, db):
    login_as("clinician", service="age_concern_north", username="ann")
    page = text(client.get("/worklist"))
    assert offered["reference"] in page
    for label in ("Acknowledge", "Accept", "Decline"):
        assert f">{label}</button>" in page
    response = fire(client, offered, "acknowledge", offered["version"])
    assert response.status_code == 302
    assert f"{offered['reference']}: Acknowledged by the service." in text(client.get("/worklist"))
    referral = referral_row(db, offered)
    assert referral.state == "offered"
    assert {c.name: c.status for c in referral.clocks}["acknowledge"] == "met"
    fire(client, offered, "accept", referral.version)
    assert referral_row(db, offered).state == "accepted"
    assert in_use(db, "age_concern_north") == 1  # the place stays taken


def test_a_clinician_of_another_organisation_neither_sees_it_nor_may_act(client, offered, login_as, db):
    login_as("clinician", service="good_neighbours", username="gail")
    assert offered["reference"] not in text(client.get("/worklist"))
    # Not theirs to read: answered as if there were no such referral (spoa/domain/access.py).
    assert fire(client, offered, "accept", offered["version"]).status_code == 404
    assert client.get(f"/referrals/{offered['id']}").status_code == 404
    assert referral_row(db, offered).state == "offered"


def test_handing_back_releases_the_place_and_sends_it_to_a_supervisor(client, offered, login_as, db):
    login_as("clinician", service="age_concern_north", username="ann")
    assert in_use(db, "age_concern_north") == 1
    fire(client, offered, "decline", offered["version"], reason="No volunteer in that village this week")
    referral = referral_row(db, offered)
    assert (referral.state, referral.route, referral.assigned_service) == ("in_review", "supervisor_review", None)
    assert in_use(db, "age_concern_north") == 0
    hand_back = referral.history[-1]
    assert hand_back.event == "decline" and hand_back.reason == "No volunteer in that village this week"
    assert hand_back.detail["organisation"] == "age_concern_north"
    assert "No open referrals." in text(client.get("/worklist"))  # it has left their list
    sign_out(client)
    login_as("supervisor")
    review = text(client.get("/worklist?service=supervisor_review"))
    assert offered["reference"] in review


def test_a_supervisor_reassigns_it_with_its_place(client, offered, login_as, db):
    login_as("supervisor")
    page = text(client.get(f"/referrals/{offered['id']}"))
    assert ">Reassign</button>" in page
    assert '<option value="good_neighbours">Good Neighbours (3 free)</option>' in page
    assert '<option value="age_concern_north">' not in page  # not to the one it is with
    response = fire(client, offered, "reassign", offered["version"], page=f"/referrals/{offered['id']}",
                    service="good_neighbours", reason="Age Concern cannot reach the patient today")
    assert response.status_code == 302
    referral = referral_row(db, offered)
    assert (referral.state, referral.assigned_service) == ("offered", "good_neighbours")
    assert (in_use(db, "age_concern_north"), in_use(db, "good_neighbours")) == (0, 1)
    moved = referral.history[-1]
    assert moved.event == "reassign" and moved.reason == "Age Concern cannot reach the patient today"
    assert (moved.detail["previous_organisation"], moved.detail["organisation"]) == ("age_concern_north",
                                                                                    "good_neighbours")
    sign_out(client)
    login_as("clinician", service="good_neighbours", username="gail")
    assert offered["reference"] in text(client.get("/worklist"))


def test_reassigning_to_an_organisation_with_no_place_is_refused_and_nothing_changes(client, offered, login_as,
                                                                                     db):
    db.session.query(Service).filter_by(code="good_neighbours").update({"capacity_in_use": 3})
    db.session.commit()
    login_as("supervisor")
    page = f"/referrals/{offered['id']}"
    fire(client, offered, "reassign", offered["version"], page=page, service="good_neighbours", reason="Closer")
    assert "Good Neighbours has no spare capacity today." in text(client.get(page))
    fire(client, offered, "reassign", offered["version"], page=page, service="good_neighbours", reason="")
    assert "A reason is required to reassign." in text(client.get(page))
    referral = referral_row(db, offered)
    assert (referral.assigned_service, referral.version) == ("age_concern_north", offered["version"])
    assert (in_use(db, "age_concern_north"), in_use(db, "good_neighbours")) == (1, 3)


def test_only_voluntary_referrals_can_be_reassigned(client, orgs, sender, payload, login_as, db):
    crisis = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    login_as("supervisor")
    page = f"/referrals/{crisis['id']}"
    assert ">Reassign</button>" not in text(client.get(page))
    fire(client, crisis, "reassign", crisis["version"], page=page, service="good_neighbours", reason="x")
    assert "Cannot reassign a referral routed to crisis response." in text(client.get(page))


def test_a_supervisor_cannot_route_to_the_voluntary_sector_when_no_one_has_a_place(client, sender, payload,
                                                                                   login_as, db):
    add_org(db, "good_neighbours", total=1, in_use=1)
    review = client.post("/api/v1/referrals", json=payload(presenting_need="other"), headers=sender[1]).get_json()
    assert review["state"] == "in_review"
    login_as("supervisor")
    page = f"/referrals/{review['id']}"
    fire(client, review, "triage", review["version"], page=page, route="voluntary_sector", urgency="routine",
         reason="Lonely, needs a befriender")
    assert "No voluntary organisation on duty has spare capacity today: choose another route" in text(client.get(page))
    referral = referral_row(db, review)
    assert (referral.state, referral.route, referral.assigned_service) == ("in_review", "supervisor_review", None)
    assert db.session.query(TriageDecision).filter_by(referral_id=referral.id).count() == 1  # the rules' only
    assert in_use(db, "good_neighbours") == 1


def test_a_supervisor_routes_to_the_voluntary_sector_and_back_out_again(client, orgs, sender, payload, login_as, db):
    review = client.post("/api/v1/referrals", json=payload(presenting_need="other"), headers=sender[1]).get_json()
    login_as("supervisor")
    page = f"/referrals/{review['id']}"
    fire(client, review, "triage", review["version"], page=page, route="voluntary_sector", urgency="routine",
         reason="Lonely, needs a befriender")
    referral = referral_row(db, review)
    assert (referral.state, referral.route, referral.assigned_service) == ("offered", "voluntary_sector",
                                                                          "age_concern_north")
    assert referral.history[-1].detail["organisation"] == "age_concern_north"
    assert in_use(db, "age_concern_north") == 1
    # A change of urgency keeps it with its organisation; a new route gives the place back.
    fire(client, review, "override", referral.version, page=page, route="voluntary_sector", urgency="urgent",
         reason="Carer now unwell too")
    referral = referral_row(db, review)
    assert (referral.assigned_service, referral.urgency) == ("age_concern_north", "urgent")
    assert in_use(db, "age_concern_north") == 1
    fire(client, review, "override", referral.version, page=page, route="home_rehab", urgency="routine",
         reason="Needs rehab after all")
    referral = referral_row(db, review)
    assert (referral.route, referral.assigned_service) == ("home_rehab", None)
    assert in_use(db, "age_concern_north") == 0
