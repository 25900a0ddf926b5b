"""POST /api/v1/referrals: what a sending system sees (intake-contract.md)."""
import re
import uuid
from datetime import UTC, datetime

import pytest

from spoa.extensions import db as database
from spoa.models import Referral
from spoa.services.triage import facts_of
from tests.support.data.referral_data import full_view

pytestmark = pytest.mark.both_databases

URL = "/api/v1/referrals"


def post(client, headers, body, **extra):
    return client.post(URL, json=body, headers={**headers, **extra})


def test_a_valid_referral_is_stored_triaged_and_given_clocks(frozen_now, client, sender, payload):
    _, headers = sender
    body = payload(received_at="2026-11-22T09:41:00Z")
    with frozen_now(datetime(2026, 11, 22, 9, 42, tzinfo=UTC)):
        response = post(client, headers, body)
    assert response.status_code == 201
    data = response.get_json()
    assert response.headers["Location"] == f"{URL}/{data['id']}"
    assert response.headers["ETag"] == f'"{data["version"]}"'
    assert re.fullmatch(r"SPOA-[2-9A-HJKMNP-TV-Z]{6}", data["reference"])
    assert (data["state"], data["route"]) == ("offered", "crisis_response")
    assert data["decision"]["rule_id"] == "ucr-condition"
    assert data["decision"]["rules_version"]
    assert data["decision"]["explanation"].strip()
    clocks = {c["name"]: c for c in data["clocks"]}
    assert clocks["first_contact"]["deadline"] == "2026-11-22T11:41:00+00:00"
    assert clocks["first_contact"]["status"] == "running"
    assert clocks["triage"]["status"] == "met"
    stored = full_view(data["id"])  # the history and the patient are in the staff's view
    assert [h["event"] for h in stored["history"]] == ["receive", "triage", "offer"]
    assert stored["patient"]["postcode"] == "NN1 5BD"
    # The facts intake derived from the validated data are those the stored row gives (replay's).
    row = database.session.get(Referral, uuid.UUID(data["id"]))
    database.session.expire(row)  # from the database, as replay reads it
    assert row.rules_decision.inputs == facts_of(row)


def test_receipt_is_server_time_when_sender_gives_none(frozen_now, client, sender, payload):
    _, headers = sender
    with frozen_now(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)):
        data = post(client, headers, payload()).get_json()
    assert data["received_at"] == "2026-11-23T14:00:00+00:00"
    first_contact = next(c for c in data["clocks"] if c["name"] == "first_contact")
    assert first_contact["deadline"] == "2026-11-23T16:00:00+00:00"


def test_received_at_a_little_in_the_future_counts_from_server_time(frozen_now, client, sender, payload):
    _, headers = sender
    with frozen_now(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)):
        data = post(client, headers, payload(received_at="2026-11-23T14:03:00+00:00")).get_json()
    assert data["received_at"] == "2026-11-23T14:00:00+00:00"
    assert data["sender_received_at"] == "2026-11-23T14:03:00+00:00"


def test_received_at_over_five_minutes_ahead_is_refused(frozen_now, client, sender, payload):
    _, headers = sender
    with frozen_now(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)):
        response = post(client, headers, payload(received_at="2026-11-23T14:06:00+00:00"))
    assert response.status_code == 422
    assert "received_at" in response.get_json()["errors"]


def test_received_at_without_an_offset_is_refused(client, sender, payload):
    _, headers = sender
    response = post(client, headers, payload(received_at="2026-11-22T09:41:00"))
    assert response.status_code == 422
    assert "received_at" in response.get_json()["errors"]


def test_a_retry_with_the_same_content_answers_200_and_creates_nothing(client, sender, payload, db):
    _, headers = sender
    body = payload()
    first = post(client, headers, body)
    again = post(client, headers, dict(reversed(list(body.items()))))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert db.session.query(Referral).count() == 1


def test_the_same_source_reference_with_different_content_is_a_conflict(client, sender, payload, db):
    _, headers = sender
    body = payload()
    post(client, headers, body)
    changed = {**body, "description": "Now has chest pain"}
    response = post(client, headers, changed)
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "different content" in response.get_json()["detail"]
    assert db.session.query(Referral).count() == 1


def test_an_idempotency_key_replay_returns_the_first_referral(client, sender, payload, db):
    _, headers = sender
    body = payload()
    first = post(client, headers, body, **{"Idempotency-Key": "k-1"})
    again = post(client, headers, body, **{"Idempotency-Key": "k-1"})
    other = post(client, headers, payload(), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert db.session.query(Referral).count() == 1


def test_spaces_in_nhs_number_and_lower_case_postcode_are_normalised(client, sender, payload):
    _, headers = sender
    body = payload(pathways_disposition="DX05")
    body["patient"]["nhs_number"] = "943 476 5919"
    body["patient"]["postcode"] = "nn15bd"
    data = full_view(post(client, headers, body).get_json()["id"])
    assert data["patient"]["nhs_number"] == "9434765919"
    assert data["patient"]["postcode"] == "NN1 5BD"
    assert data["pathways_disposition"] == "Dx05"


def test_a_red_flag_is_redirected_to_emergency_at_once(client, sender, payload):
    _, headers = sender
    data = post(client, headers, payload(red_flags=["chest_pain"])).get_json()
    assert (data["state"], data["route"], data["urgency"]) == ("redirected", "emergency_redirect", "emergency")
    assert data["decision"]["rule_id"] == "red-flag"
    assert data["decision"]["facts"]["red_flags"] == ["chest_pain"]
    assert all(c["status"] != "running" for c in data["clocks"])


def test_an_unknown_need_goes_to_a_person_with_a_30_minute_triage_clock(frozen_now, client, sender, payload):
    _, headers = sender
    with frozen_now(datetime(2026, 11, 23, 14, 0, tzinfo=UTC)):
        data = post(client, headers, payload(presenting_need="other")).get_json()
    assert (data["state"], data["route"]) == ("in_review", "supervisor_review")
    triage = next(c for c in data["clocks"] if c["name"] == "triage")
    assert (triage["status"], triage["deadline"]) == ("running", "2026-11-23T14:30:00+00:00")


def test_category_two_ambulance_call_is_refused_as_life_threatening(client, sender, payload):
    _, headers = sender
    response = post(client, headers, payload(emas_category=2))
    assert response.status_code == 422
    message = response.get_json()["errors"]["emas_category"][0]
    assert "life-threatening" in message and "999" in message


def test_a_client_may_not_post_as_a_source_it_is_not_bound_to(client, make_api_client, payload):
    _, token = make_api_client(sources=["gp"])
    response = post(client, {"Authorization": f"Bearer {token}"}, payload())
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "emas" in response.get_json()["detail"]


def test_no_token_gets_401_with_a_bearer_challenge(client, payload):
    response = client.post(URL, json=payload())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.mimetype == "application/problem+json"


def test_a_wrong_token_gets_401(client, payload, sender):
    response = post(client, {"Authorization": "Bearer spoa_not-a-real-token"}, payload())
    assert response.status_code == 401


def test_a_body_that_is_not_json_gets_415(client, sender):
    _, headers = sender
    response = client.post(URL, data="source=emas", headers={**headers, "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.mimetype == "application/problem+json"


def test_malformed_json_gets_400(client, sender):
    _, headers = sender
    response = client.post(URL, data='{"source": "emas",', headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["status"] == 400


def test_a_body_over_64_kib_gets_413(client, sender, payload):
    _, headers = sender
    body = payload(description="x" * (65 * 1024))
    response = post(client, headers, body)
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"


def test_a_json_array_body_gets_422(client, sender):
    _, headers = sender
    response = client.post(URL, json=[1, 2], headers=headers)
    assert response.status_code == 422


def test_over_the_client_rate_gets_429_with_retry_after(client, make_api_client, payload):
    _, token = make_api_client(rate=3)
    headers = {"Authorization": f"Bearer {token}"}
    codes = [post(client, headers, payload()).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    response = post(client, headers, payload())
    assert int(response.headers["Retry-After"]) > 0


def test_intake_still_answers_201_while_redis_is_down(client, sender, payload, app):
    import redis as redis_lib

    _, headers = sender
    healthy = app.extensions["spoa_redis"]
    app.extensions["spoa_redis"] = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        response = post(client, headers, payload())
    finally:
        app.extensions["spoa_redis"] = healthy
    assert response.status_code == 201


def test_an_unknown_path_under_api_is_problem_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_wrong_method_gets_405_with_allow(client):
    response = client.delete(URL)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_a_database_error_never_carries_patient_details_into_the_log(client, sender, payload, app, caplog, monkeypatch):
    from spoa.extensions import db

    _, headers = sender
    real_commit = db.session.commit

    def failing_commit():
        # A genuine database error carrying the INSERT's parameters, as a crash would.
        db.session.execute(db.text("INSERT INTO no_such_table (code, name) VALUES (:c, :n)"),
                           {"c": "Lovelace-9434765919", "n": "Ada"})
        real_commit()

    monkeypatch.setattr(db.session, "commit", failing_commit)
    response = client.post(URL, json=payload(), headers=headers, expect_server_error=True)
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "Lovelace" not in caplog.text and "9434765919" not in caplog.text
    assert "unhandled error" in caplog.text and "no_such_table" in caplog.text
