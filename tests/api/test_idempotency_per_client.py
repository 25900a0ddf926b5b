"""A sender's references are its own: two GP systems that
number their referrals alike each get their own, and never see the other's."""
import uuid

import pytest

from spoa.models import Referral
from tests.support.data.referral_data import full_view

pytestmark = pytest.mark.both_databases

URL = "/api/v1/referrals"


def _gp_system(make_api_client):
    _, token = make_api_client(sources=["gp"])
    return {"Authorization": f"Bearer {token}"}


def _referral(payload, reference, family_name):
    body = payload(source="gp", source_reference=reference, description=f"From the {family_name} practice")
    body.pop("emas_category", None)
    body["patient"]["family_name"] = family_name
    return body


def test_two_clients_with_the_same_reference_each_store_their_own(client, make_api_client, payload, db):
    first, second = _gp_system(make_api_client), _gp_system(make_api_client)
    reference = f"GP-{uuid.uuid4().hex[:8]}"
    one = client.post(URL, json=_referral(payload, reference, "Lovelace"), headers=first)
    two = client.post(URL, json=_referral(payload, reference, "Babbage"), headers=second)
    assert (one.status_code, two.status_code) == (201, 201), two.get_json()
    assert one.get_json()["id"] != two.get_json()["id"]
    mine = client.get(f"{URL}/{one.get_json()['id']}", headers=first).get_json()
    theirs = client.get(f"{URL}/{two.get_json()['id']}", headers=second).get_json()
    assert (mine["source_reference"], theirs["source_reference"]) == (reference, reference)
    assert mine["reference"] != theirs["reference"]
    # Each stored its own patient (the sender's view carries no patient details: the staff's does).
    assert full_view(mine["id"])["patient"]["family_name"] == "Lovelace"
    assert full_view(theirs["id"])["patient"]["family_name"] == "Babbage"
    # Neither sees the other's referral, by its id or in its list.
    assert client.get(f"{URL}/{two.get_json()['id']}", headers=first).status_code == 404
    assert [r["id"] for r in client.get(URL, headers=first).get_json()["items"]] == [one.get_json()["id"]]
    assert db.session.query(Referral).count() == 2


def test_a_replay_by_each_client_answers_with_its_own_referral(client, make_api_client, payload):
    first, second = _gp_system(make_api_client), _gp_system(make_api_client)
    reference = f"GP-{uuid.uuid4().hex[:8]}"
    bodies = {"first": _referral(payload, reference, "Lovelace"), "second": _referral(payload, reference, "Babbage")}
    created = {name: client.post(URL, json=bodies[name], headers=h).get_json()
               for name, h in (("first", first), ("second", second))}
    for name, headers in (("first", first), ("second", second)):
        again = client.post(URL, json=bodies[name], headers=headers)
        assert again.status_code == 200
        assert again.get_json()["id"] == created[name]["id"]
        assert again.get_json()["reference"] == created[name]["reference"]


def test_a_conflict_names_only_the_clients_own_referral(client, make_api_client, payload):
    first, second = _gp_system(make_api_client), _gp_system(make_api_client)
    reference = f"GP-{uuid.uuid4().hex[:8]}"
    theirs = client.post(URL, json=_referral(payload, reference, "Lovelace"), headers=first).get_json()
    mine = client.post(URL, json=_referral(payload, reference, "Babbage"), headers=second).get_json()
    changed = _referral(payload, reference, "Babbage")
    changed["description"] = "Now has a fever as well"
    response = client.post(URL, json=changed, headers=second)
    assert response.status_code == 409
    assert mine["reference"] in response.get_json()["detail"]
    assert theirs["reference"] not in response.get_json()["detail"]
    assert response.headers["Location"] == f"{URL}/{mine['id']}"
