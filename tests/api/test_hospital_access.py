"""A hospital's own system through the API: it reads what it sent and its
hospital's discharges, whoever sent them, in the sender's view; nothing else."""
import uuid

import pytest

from spoa.models import AccessEvent, Referral
from tests.support.data.ward_data import post_discharge

pytestmark = pytest.mark.both_databases


@pytest.fixture
def discharges(client, sender, make_api_client, payload, db):
    """RNS01's discharge and RYY01's, both sent by a discharge hub's system (bound to
    no hospital), and an ambulance's referral."""
    _, token = make_api_client(sources=("acute",), name="discharge-hub")
    hub = {"Authorization": f"Bearer {token}"}
    community = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    return {
        "ours": post_discharge(client, hub),
        "theirs": post_discharge(client, hub, hospital="RYY01"),
        "community": db.session.get(Referral, uuid.UUID(community["id"])),
    }


def refusals(db, referral_id):
    db.session.expire_all()
    return [(a.actor_name, a.via) for a in db.session.query(AccessEvent).filter_by(
        referral_id=uuid.UUID(str(referral_id)), refused=True)]


def test_a_hospital_system_reads_its_hospitals_discharge_sent_by_another_in_the_senders_view(
        client, hospital_sender, discharges, db):
    response = client.get(f"/api/v1/referrals/{discharges['ours'].id}", headers=hospital_sender[1])
    assert response.status_code == 200
    body = response.get_json()
    assert body["reference"] == discharges["ours"].reference and body["discharge"]["hospital_ods"] == "RNS01"
    assert "history" not in body and "channel" not in body  # the sender's view, not the service's


@pytest.mark.parametrize("which", ["theirs", "community"])
def test_a_hospital_system_may_not_read_another_hospitals_or_a_community_referral(
        client, hospital_sender, discharges, db, which):
    referral = discharges[which]
    assert client.get(f"/api/v1/referrals/{referral.id}", headers=hospital_sender[1]).status_code == 404
    event = client.post(f"/api/v1/referrals/{referral.id}/events", headers=hospital_sender[1],
                        json={"event": "add_information", "reason": "x"})
    assert event.status_code == 404
    assert sorted(refusals(db, referral.id)) == [("ngh-epr", "api"), ("ngh-epr", "api_event")]


def test_a_hospital_systems_list_is_its_hospitals_discharges_and_what_it_sent(
        client, hospital_sender, discharges, payload, db):
    body = payload(source="acute")  # a community referral it sent: its own, though no discharge
    body.pop("emas_category")
    own = client.post("/api/v1/referrals", json=body, headers=hospital_sender[1]).get_json()
    listed = client.get("/api/v1/referrals", headers=hospital_sender[1]).get_json()
    assert {item["reference"] for item in listed["items"]} == {discharges["ours"].reference, own["reference"]}
    assert listed["total"] == 2


def test_a_client_without_a_hospital_reads_only_what_it_sent(client, make_api_client, discharges):
    _, token = make_api_client(sources=("acute",))
    listed = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listed["items"] == []
