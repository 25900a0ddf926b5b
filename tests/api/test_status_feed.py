"""GET /api/v1/status: the coordination centre's feed of today's figures. Only a
client given the "status" scope reads it; its figures are counted by hand here
from rows built for the purpose; and nothing in it names a patient."""
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from openapi_schema_validator import OAS30Validator

from spoa.domain.policy import current_policy
from spoa.models import ApiClient, Clock, Referral, Service
from tests.support.data.duty_data import add_org

pytestmark = pytest.mark.both_databases

FEED = "/api/v1/status"
# Wednesday 10 June 2026, 10:00 in the UK (BST): the week so far began Monday 8 June.
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
TODAY = date(2026, 6, 10)
PATIENT = {"given_name": "Zebedee", "family_name": "Quixotic", "nhs_number": "9434765919",
           "date_of_birth": date(1931, 2, 3), "postcode": "NN7 4XY", "address": "1 Larkspur Lane, Duston",
           "phone": "07700900123", "gp_practice_ods": "K83001"}


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def status_client(db):
    """The coordination centre's dashboard: the status scope and nothing else."""
    row, token = ApiClient.issue(name="shrewd", scopes=["status"])
    db.session.add(row)
    db.session.commit()
    return row, bearer(token)


def referral(db, route, state, received_at, *, kind="community", clocks=(), **columns) -> Referral:
    """A referral row as intake and the lifecycle leave it, with ``clocks``: (name,
    deadline, {met_at/breached_at/cancelled_at})."""
    row = Referral(reference=f"SPOA-{uuid.uuid4().hex[:8].upper()}", source="emas", source_reference=uuid.uuid4().hex,
                   content_hash=uuid.uuid4().hex, received_at=received_at, state=state, route=route, kind=kind,
                   presenting_need="fall_no_injury", consent=True, red_flags=[], description="Found on the floor",
                   lives_alone=True, sex="male", **PATIENT, **columns)
    for name, deadline, stopped in clocks:
        row.clocks.append(Clock(name=name, route=route, received_at=received_at, counts="24/7",  # as _new_clock
                                met_by=["first_contact"], started_at=received_at, deadline=deadline, status="running",
                                **stopped))
    db.session.add(row)
    return row


def first_contact(received_at, met_after=None, **stopped):
    """The crisis response 2-hour clock; met ``met_after`` its receipt (a timedelta)."""
    if met_after is not None:
        stopped["met_at"] = received_at + met_after
    return ("first_contact", received_at + timedelta(hours=2), stopped)


@pytest.fixture
def county(db, frozen_now):
    """A Wednesday morning in the county, counted by hand."""
    frozen_now(NOW)
    two_hours, late = timedelta(hours=2), timedelta(hours=3)
    # Crisis response received today (UK): 2 met, 1 breached, 1 still within its 2 hours.
    a, b, c, h = utc(10, 7), utc(10, 5), utc(10, 8, 30), utc(10, 6)
    referral(db, "crisis_response", "in_progress", a, clocks=[first_contact(a, timedelta(minutes=30))])
    referral(db, "crisis_response", "accepted", b, clocks=[
        first_contact(b),  # deadline 07:00 passed, nobody recorded the breach yet: breached
        ("acceptance", b + timedelta(hours=1), {"breached_at": b + timedelta(hours=1)})])
    referral(db, "crisis_response", "offered", c, clocks=[
        first_contact(c),  # running until 10:30
        ("triage", c + timedelta(minutes=5), {"cancelled_at": c + timedelta(minutes=20)})])  # stopped: not overdue now
    referral(db, "crisis_response", "in_progress", h, clocks=[first_contact(h, two_hours)])  # met exactly at 2 h
    # Earlier this week (Monday, Tuesday): 2 met, 1 breached; one still has an overdue clock.
    d, i, f, j = utc(8, 12), utc(8, 20), utc(9, 10), utc(9, 15)
    referral(db, "crisis_response", "completed", d, clocks=[first_contact(d, timedelta(hours=1))])
    referral(db, "crisis_response", "completed", i, clocks=[first_contact(i, timedelta(minutes=90))])
    referral(db, "crisis_response", "in_progress", f, clocks=[
        first_contact(f, late), ("episode_end", f + timedelta(hours=20), {})])
    referral(db, "crisis_response", "completed", j, clocks=[first_contact(j, timedelta(hours=1))])
    # Last week (Sunday 23:30 UK is still last week): not in this week's figure.
    e = utc(7, 22, 30)
    referral(db, "crisis_response", "completed", e, clocks=[first_contact(e, late)])
    # A closed referral's overdue clock is no breach now.
    referral(db, "crisis_response", "withdrawn", utc(9, 1), clocks=[("acceptance", utc(9, 2), {})])
    referral(db, "home_rehab", "triaged", utc(9, 9))
    referral(db, "home_rehab", "cancelled", utc(9, 9), clocks=[("acceptance", utc(9, 10), {})])
    # Discharges: delayed days today (DRD before today, still in hospital, open).
    for hospital, drd, extra in [
        ("RNS01", date(2026, 6, 5), {}),                 # 5 days
        ("RNS01", date(2026, 6, 9), {}),                 # 1 day
        ("KGH01", date(2026, 6, 1), {}),                 # 9 days
        ("RNS01", date(2026, 6, 1), {"discharged_at": utc(8, 11)}),  # left hospital: not delayed now
        ("RNS01", TODAY, {}),                            # ready today: no delayed day yet
        ("RNS01", None, {"readiness_withdrawn_at": utc(9, 8)}),  # not ready: none
    ]:
        referral(db, "reablement", "accepted", utc(1, 9), kind="discharge", hospital_ods=hospital,
                 discharge_ready_date=drd, admitted_on=date(2026, 5, 20), ward="Talbot Butler", **extra)
    referral(db, "reablement", "completed", utc(1, 9), kind="discharge", hospital_ods="RNS01",
             discharge_ready_date=date(2026, 6, 1), admitted_on=date(2026, 5, 20))  # closed: not counted
    db.session.add_all([
        Service(code="crisis_response", name="Crisis response", capacity_total=10, capacity_in_use=4,
                capacity_unit="visits this shift", capacity_updated_at=utc(10, 6), capacity_updated_by="Jo Lead"),
        Service(code="home_rehab", name="Home rehab"),  # never declared
    ])
    db.session.commit()
    add_org(db, "good_neighbours", name="Good Neighbours", total=5, in_use=2)
    add_org(db, "age_uk", name="Age UK", total=4, declared_for=TODAY - timedelta(days=1))  # yesterday's: none today
    add_org(db, "weekenders", name="Weekenders", days=(6, 7), total=3)  # not on duty on a Wednesday


def test_strangers_are_refused_in_problem_json(client, db, make_api_client):
    sender_token = make_api_client(sources=["emas"])[1]
    service_token = make_api_client(sources=None, service="crisis_response")[1]
    revoked, revoked_token = ApiClient.issue(name="old-dashboard", scopes=["status"], is_active=False)
    db.session.add(revoked)
    db.session.commit()
    for headers, status in [({}, 401), (bearer("spoa_not-a-token"), 401), ({"Authorization": "Basic eDp5"}, 401),
                            (bearer(revoked_token), 401), (bearer(sender_token), 403), (bearer(service_token), 403)]:
        response = client.get(FEED, headers=headers)
        assert response.status_code == status, (headers, response.get_data(as_text=True))
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == status
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        else:
            assert "status" in response.get_json()["detail"]  # what the client lacks: the scope


def test_a_status_client_reads_the_feed_but_cannot_send_referrals(client, status_client, payload):
    _, headers = status_client
    assert client.get(FEED, headers=headers).status_code == 200
    sent = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert sent.status_code == 403 and sent.mimetype == "application/problem+json"
    assert client.get("/api/v1/referrals", headers=headers).get_json()["total"] == 0


def test_a_dashboard_polling_faster_than_its_rate_is_told_when_to_come_back(client, status_client, db):
    row, headers = status_client
    row.rate_limit_per_minute = 2
    db.session.commit()
    assert [client.get(FEED, headers=headers).status_code for _ in range(2)] == [200, 200]
    third = client.get(FEED, headers=headers)
    assert third.status_code == 429 and third.mimetype == "application/problem+json"
    assert int(third.headers["Retry-After"]) >= 1


def test_the_feed_is_read_only(client, status_client):
    _, headers = status_client
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = client.open(FEED, method=method, json={}, headers=headers)
        assert response.status_code == 405 and response.mimetype == "application/problem+json", method


def by(items, key, value):
    [found] = [item for item in items if item[key] == value]
    return found


def test_todays_figures_are_the_ones_counted_by_hand(client, status_client, county):
    body = client.get(FEED, headers=status_client[1]).get_json()
    assert body["date"] == "2026-06-10"
    assert datetime.fromisoformat(body["generated_at"]) == NOW
    crisis = by(body["routes"], "route", "crisis_response")
    # Open: a, b, c, h, f. Overdue and unmet: b's two clocks and f's episode end.
    names = {code: info.name for code, info in current_policy().routes.items()}
    assert crisis == {"route": "crisis_response", "name": names["crisis_response"], "open_referrals": 5,
                      "breaches": 3, "referrals_in_breach": 2}
    assert by(body["routes"], "route", "home_rehab") == {
        "route": "home_rehab", "name": names["home_rehab"], "open_referrals": 1, "breaches": 0,
        "referrals_in_breach": 0}
    assert [r["route"] for r in body["routes"]][:len(names)] == list(names)  # the policy's order
    assert by(body["routes"], "route", "reablement")["open_referrals"] == 6
    assert by(body["routes"], "route", "bed_rehab")["open_referrals"] == 0  # every route, even with none
    assert body["two_hour"]["today"] == {"first": "2026-06-10", "last": "2026-06-10", "met": 2, "breached": 1,
                                         "running": 1, "share_met": 66.7, "ambition": 70.0, "meets_ambition": False}
    assert body["two_hour"]["week"] == {"first": "2026-06-08", "last": "2026-06-10", "met": 5, "breached": 2,
                                        "running": 1, "share_met": 71.4, "ambition": 70.0, "meets_ambition": True}
    crisis_capacity = by(body["capacity"], "code", "crisis_response")
    assert datetime.fromisoformat(crisis_capacity.pop("declared_at")) == utc(10, 6)
    assert crisis_capacity == {
        "code": "crisis_response", "name": "Crisis response", "unit": "visits this shift", "total": 10, "in_use": 4,
        "free": 6, "open_referrals": 5}
    assert by(body["capacity"], "code", "home_rehab")["free"] is None  # never declared: not 0
    assert [org["code"] for org in body["duty"]] == ["age_uk", "good_neighbours"]  # on duty today, by name
    assert by(body["duty"], "code", "good_neighbours") == {
        "code": "good_neighbours", "name": "Good Neighbours", "places": 5, "taken": 2, "free": 3, "open_referrals": 0}
    assert by(body["duty"], "code", "age_uk") == {
        "code": "age_uk", "name": "Age UK", "places": None, "taken": 0, "free": None, "open_referrals": 0}
    assert body["delayed_discharges"] == {"patients_delayed": 3, "delayed_days": 15, "hospitals": [
        {"hospital_ods": "KGH01", "patients_delayed": 1, "delayed_days": 9},
        {"hospital_ods": "RNS01", "patients_delayed": 2, "delayed_days": 6}]}


def test_nothing_in_the_feed_names_a_patient_a_referral_or_a_person(client, status_client, county, db):
    response = client.get(FEED, headers=status_client[1])
    raw = response.get_data(as_text=True)
    for value in [*PATIENT.values(), "Found on the floor", "Talbot Butler", "Jo Lead", "1931-02-03",
                  *(r.reference for r in db.session.query(Referral)), *(str(r.id) for r in db.session.query(Referral))]:
        assert str(value) not in raw, value

    def keys(node):
        if isinstance(node, dict):
            for key, child in node.items():
                yield key
                yield from keys(child)
        elif isinstance(node, list):
            for child in node:
                yield from keys(child)

    found = set(keys(json.loads(raw)))
    assert not found & {*Referral.PATIENT_FIELDS, "id", "reference", "referral_id", "description", "ward",
                        "updated_by", "declared_by", "actor", "patient"}


def test_an_empty_county_is_zeros_and_nothing_decided(client, status_client, frozen_now):
    frozen_now(NOW)
    body = client.get(FEED, headers=status_client[1]).get_json()
    assert body["routes"] and all(r["open_referrals"] == 0 and r["breaches"] == 0 for r in body["routes"])
    assert body["two_hour"]["today"]["share_met"] is None and body["two_hour"]["today"]["meets_ambition"] is None
    assert body["capacity"] == [] and body["duty"] == []
    assert body["delayed_discharges"] == {"patients_delayed": 0, "delayed_days": 0, "hospitals": []}


def test_the_answer_is_what_the_document_says(client, status_client, county):
    spec = client.get("/api/openapi.json").get_json()
    schema = spec["paths"][FEED]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    body = client.get(FEED, headers=status_client[1]).get_json()
    errors = [e.message for e in OAS30Validator({**schema, "components": spec["components"]}).iter_errors(body)]
    assert errors == []
    assert set(spec["components"]["schemas"]["StatusFeed"]["properties"]) == set(body)


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def test_the_cli_issues_a_client_for_the_coordination_centre(cli, client, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "shrewd", "--scopes", "status"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    row = db.session.query(ApiClient).filter_by(name="shrewd").one()
    assert row.scopes == ["status"] and row.sources is None
    assert client.get(FEED, headers=bearer(token)).status_code == 200


def test_the_cli_refuses_an_unknown_scope_naming_the_option(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "x", "--scopes", "status,everything"])
    assert result.exit_code == 2
    assert "--scopes" in result.output and "Unknown scope everything" in result.output
    assert db.session.query(ApiClient).count() == 0
