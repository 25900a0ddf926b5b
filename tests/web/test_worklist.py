"""A clinician's worklist: their service's referrals, nearest deadline first, and the actions on them."""
import html
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from spoa.models import AccessEvent, Referral
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def referrals(frozen_now, client, sender, payload):
    """Two crisis referrals (the second received earlier: nearer deadline) and one home rehab."""
    _, headers = sender

    def post(at, **fields):
        with frozen_now(at):
            return client.post("/api/v1/referrals", json=payload(**fields), headers=headers).get_json()

    later = post(T0)
    sooner = post(T0 - timedelta(minutes=30))
    rehab = post(T0, presenting_need="rehabilitation",
                 function={"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False})
    return later, sooner, rehab


def fire(client, referral, event, version, reason=None):
    data = {"event": event, "version": str(version), "csrf_token": csrf_token(client, "/worklist")}
    if reason is not None:
        data["reason"] = reason
    response = client.post(f"/referrals/{referral['id']}/events", data=data)
    assert response.status_code == 302
    return html.unescape(client.get("/worklist").get_data(as_text=True))


def test_a_clinician_sees_their_service_nearest_deadline_first(client, referrals, login_as):
    later, sooner, rehab = referrals
    login_as("clinician", service="crisis_response")
    page = client.get("/worklist").get_data(as_text=True)
    assert page.index(sooner["reference"]) < page.index(later["reference"])
    assert rehab["reference"] not in page


def test_accept_then_first_contact_from_the_worklist(client, referrals, login_as, db):
    _, sooner, _ = referrals
    login_as("clinician", service="crisis_response")
    page = fire(client, sooner, "accept", sooner["version"])
    assert f"{sooner['reference']}: Accepted." in page
    referral = db.session.get(Referral, uuid.UUID(sooner["id"]))
    fire(client, sooner, "first_contact", referral.version)
    db.session.expire_all()
    assert [h.event for h in referral.history][-2:] == ["accept", "first_contact"]
    assert referral.state == "in_progress"


def test_someone_else_acting_first_is_shown_plainly(client, referrals, login_as):
    _, sooner, _ = referrals
    login_as("clinician", service="crisis_response")
    fire(client, sooner, "accept", sooner["version"])
    page = fire(client, sooner, "accept", sooner["version"])  # a second tab, stale
    assert "changed by someone else just before you" in page


def test_a_decline_without_a_reason_is_refused_with_the_reason_why(client, referrals, login_as):
    _, sooner, _ = referrals
    login_as("clinician", service="crisis_response")
    page = fire(client, sooner, "decline", sooner["version"], reason="")
    assert "A reason is required to decline." in page


def test_a_call_handler_has_no_worklist(client, login_as):
    login_as("call_handler")
    assert client.get("/worklist").status_code == 403


def test_every_view_of_a_referral_is_recorded(client, referrals, login_as, sender, db):
    _, sooner, _ = referrals
    login_as("supervisor", username="sue")
    client.get(f"/referrals/{sooner['id']}")
    client.get(f"/api/v1/referrals/{sooner['id']}", headers=sender[1])
    views = [(a.actor_name, a.via) for a in db.session.query(AccessEvent).order_by(AccessEvent.id)]
    assert views == [("sue", "page"), (sender[0].name, "api")]
