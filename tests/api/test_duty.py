"""Voluntary-sector referrals go to an organisation on the duty rota with a place
free, in turn; with none, to a supervisor, saying why. Places are counted under
row locks: concurrent referrals never take more than were declared."""
from datetime import UTC, date, datetime, timedelta

import pytest

from spoa.models import Referral, Service
from spoa.platform.timekeeping import uk_date
from spoa.services.duty import NONE_ON_DUTY, NONE_WITH_CAPACITY
from tests.support.concurrently import at_once
from tests.support.data.duty_data import add_org
from tests.support.data.referral_data import full_view

pytestmark = pytest.mark.both_databases

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
WEEKDAYS = (1, 2, 3, 4, 5)


@pytest.fixture
def post(frozen_now, client, sender, payload):
    """post(at=MONDAY, **fields) -> the referral in the full view (its history included; the
    sender's own answer leaves that out): a social-support referral (voluntary sector by the rules)."""
    _, headers = sender

    def send(at=MONDAY, **fields):
        with frozen_now(at):
            response = client.post("/api/v1/referrals", json=payload(presenting_need="social_support", **fields),
                                   headers=headers)
        assert response.status_code == 201, response.get_json()
        return full_view(response.get_json()["id"])

    return send


def in_use(db, code):
    db.session.expire_all()
    return db.session.query(Service).filter_by(code=code).one().capacity_in_use


def offer_of(body):
    return next(h for h in body["history"] if h["event"] == "offer")


def test_two_equal_organisations_take_turns(frozen_now, db, post):
    with frozen_now(MONDAY):
        add_org(db, "beta_help", total=10)
        add_org(db, "alpha_care", total=10)
    # The clock stands still: the turn still passes (same instant, each offer the latest).
    bodies = [post() for _ in range(4)]
    assert [b["assigned_service"] for b in bodies] == ["alpha_care", "beta_help", "alpha_care", "beta_help"]
    first = bodies[0]
    assert (first["route"], first["state"]) == ("voluntary_sector", "offered")
    assert offer_of(first)["detail"] == {"service": "voluntary_sector", "organisation": "alpha_care",
                                         "organisation_name": "Alpha Care"}
    assert (in_use(db, "alpha_care"), in_use(db, "beta_help")) == (2, 2)


def test_an_organisation_at_capacity_is_skipped(frozen_now, db, post):
    with frozen_now(MONDAY):
        add_org(db, "alpha_care", total=2, in_use=2)
        add_org(db, "beta_help", total=1)
        add_org(db, "gamma_aid", total=1)
    assigned = [post()["assigned_service"] for _ in range(2)]
    assert assigned == ["beta_help", "gamma_aid"]
    third = post()
    assert (third["route"], third["state"], third["assigned_service"]) == ("supervisor_review", "in_review", None)
    assert NONE_WITH_CAPACITY in third["history"][-1]["reason"]
    assert (in_use(db, "alpha_care"), in_use(db, "beta_help"), in_use(db, "gamma_aid")) == (2, 1, 1)


def test_nobody_on_duty_today_sends_it_to_a_supervisor_saying_so(frozen_now, db, post):
    with frozen_now(SATURDAY):
        add_org(db, "weekday_friends", days=WEEKDAYS, total=5)  # declared today, but not on duty on Saturdays
    body = post(at=SATURDAY)
    assert (body["route"], body["state"], body["assigned_service"]) == ("supervisor_review", "in_review", None)
    review = body["history"][-1]
    assert review["event"] == "review" and review["actor_kind"] == "system"
    assert review["reason"] == f"{NONE_ON_DUTY}, so a supervisor must route this voluntary-sector referral."
    assert review["detail"]["rules_route"] == "voluntary_sector"
    # The rules' decision stands on record; the duty decision beside it says why it is with a person.
    assert (body["decision"]["kind"], body["decision"]["route"]) == ("rules", "voluntary_sector")
    assert body["current_decision"]["kind"] == "duty"
    assert body["current_decision"]["route"] == "supervisor_review"
    assert NONE_ON_DUTY in body["current_decision"]["explanation"]
    # Clocks follow the new route: a person must route it within 30 minutes of receipt.
    running = {c["name"]: c for c in body["clocks"] if c["status"] == "running"}
    assert set(running) == {"triage"}
    assert datetime.fromisoformat(running["triage"]["deadline"]) == SATURDAY + timedelta(minutes=30)
    assert in_use(db, "weekday_friends") == 0
    # On Monday the same organisation is on duty (its Monday declaration made), and takes one.
    with frozen_now(MONDAY):
        db.session.query(Service).filter_by(code="weekday_friends").update({"capacity_for": date(2026, 11, 23)})
        db.session.commit()
    assert post(at=MONDAY)["assigned_service"] == "weekday_friends"


def test_capacity_declared_yesterday_does_not_count_today(db, post):
    add_org(db, "good_neighbours", total=5, declared_for=date(2026, 11, 22))
    body = post(at=MONDAY)
    assert body["route"] == "supervisor_review"
    assert body["history"][-1]["reason"].startswith(NONE_WITH_CAPACITY)
    assert in_use(db, "good_neighbours") == 0


def test_an_inactive_organisation_is_offered_nothing(frozen_now, db, post):
    with frozen_now(MONDAY):
        org = add_org(db, "good_neighbours", total=5)
        org.is_active = False
        db.session.commit()
    assert post()["route"] == "supervisor_review"


def test_concurrent_referrals_never_take_more_places_than_declared(app, db, sender, payload):
    _, headers = sender
    add_org(db, "alpha_care", total=3)
    add_org(db, "beta_help", total=2)
    responses = at_once(app, 12, lambda c: c.post(
        "/api/v1/referrals", json=payload(presenting_need="social_support"), headers=headers))
    assert [r.status_code for r in responses] == [201] * 12
    bodies = [r.get_json() for r in responses]
    assigned = [b["assigned_service"] for b in bodies if b["assigned_service"]]
    assert sorted(assigned) == ["alpha_care"] * 3 + ["beta_help"] * 2
    reviewed = [b for b in bodies if b["route"] == "supervisor_review"]
    # The sender is told why: the decision its answer carries says no organisation had a place.
    assert len(reviewed) == 7 and all(NONE_WITH_CAPACITY in b["decision"]["explanation"] for b in reviewed)
    assert (in_use(db, "alpha_care"), in_use(db, "beta_help")) == (3, 2)
    stored = db.session.query(Referral).filter(Referral.assigned_service.isnot(None)).count()
    assert stored == 5


@pytest.fixture
def offered(db, post, make_api_client):
    """A referral offered to good_neighbours (3 places, 1 taken by it) and both organisations' systems."""
    add_org(db, "good_neighbours", total=3)
    add_org(db, "age_concern_north", total=2, in_use=2)  # full: everything goes to good_neighbours
    body = post(at=datetime.now(UTC))
    _, own = make_api_client(sources=None, service="good_neighbours")
    _, other = make_api_client(sources=None, service="age_concern_north")
    return body, {"Authorization": f"Bearer {own}"}, {"Authorization": f"Bearer {other}"}


def fire(client, headers, referral, event, **body):
    return client.post(f"/api/v1/referrals/{referral['id']}/events", json={"event": event, **body}, headers=headers)


def test_the_organisations_own_system_sees_and_accepts_it(client, offered):
    referral, own, _ = offered
    assert referral["assigned_service"] == "good_neighbours"
    listed = client.get("/api/v1/referrals", headers=own).get_json()
    assert [r["id"] for r in listed["items"]] == [referral["id"]]
    assert fire(client, own, referral, "acknowledge").get_json()["state"] == "offered"
    accepted = fire(client, own, referral, "accept").get_json()
    assert accepted["state"] == "accepted"
    assert {c["name"]: c["status"] for c in accepted["clocks"]}["acknowledge"] == "met"


def test_another_organisations_system_can_neither_see_nor_act_on_it(client, offered):
    referral, _, other = offered
    assert client.get("/api/v1/referrals", headers=other).get_json()["items"] == []
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=other).status_code == 404
    assert fire(client, other, referral, "accept").status_code == 404


def test_handing_back_releases_the_place_and_goes_to_a_supervisor(client, db, offered):
    referral, own, _ = offered
    assert in_use(db, "good_neighbours") == 1
    assert fire(client, own, referral, "decline").status_code == 422  # a reason is required
    data = fire(client, own, referral, "decline", reason="No volunteer near the patient").get_json()
    assert (data["state"], data["route"], data["assigned_service"]) == ("in_review", "supervisor_review", None)
    decline = data["history"][-1]
    assert decline["reason"] == "No volunteer near the patient"
    assert decline["detail"]["organisation"] == "good_neighbours" and decline["detail"]["place_released"] is True
    assert in_use(db, "good_neighbours") == 0
    # It has left the organisation: its system no longer sees it.
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=own).status_code == 404


def test_a_hand_back_the_day_after_keeps_todays_count(frozen_now, client, db, offered):
    referral, own, _ = offered
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with frozen_now(tomorrow):
        org = db.session.query(Service).filter_by(code="good_neighbours").one()
        org.capacity_for, org.capacity_in_use = uk_date(tomorrow), 2  # the new day's declaration and count
        db.session.commit()
        data = fire(client, own, referral, "decline", reason="Cannot reach them").get_json()
    assert data["history"][-1]["detail"]["place_released"] is False
    assert in_use(db, "good_neighbours") == 2  # yesterday's place was yesterday's


def test_the_event_schema_takes_a_service(client):
    spec = client.get("/api/openapi.json").get_json()
    assert "service" in spec["components"]["schemas"]["ReferralEvent"]["properties"]
    assert "reassign" in spec["components"]["schemas"]["ReferralEvent"]["properties"]["event"]["enum"]
