"""A pushed 999 call nobody takes goes back to the ambulance service by itself at its
breach time: a worker process in real time (the reconciler's pass each second), and a
real HTTP server on the loopback standing in for the ambulance service."""
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from spoa.extensions import db as database
from spoa.models import AuditEvent
from spoa.platform.timekeeping import now
from tests.fhir.conftest import SPOA_DOS_ID
from tests.fhir.push_messages import pushed_call
from tests.support.fixtures.bars import resources, send_message
from tests.system.workers.conftest import BREACH_WITHIN

AMBULANCE_ID = "https://fhir.nhs.uk/Id/dos-service-id|3333333333"


def wait_for(check, what: str, timeout: float = 30.0):
    """Poll ``check`` (through connections of its own) until it gives something."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


@pytest.mark.slow
@pytest.mark.usefixtures("dos_ids")
def test_an_untaken_call_is_returned_within_seconds_of_its_breach_time_by_the_worker(
        worker_factory, make_receiver, register, make_api_client, client):
    stack = make_receiver()
    ambulance, token = make_api_client(sources=["emas"], name=f"ambulance-{uuid.uuid4().hex[:6]}")
    assert register(AMBULANCE_ID, stack.base_url, ambulance.name).exit_code == 0
    worker_factory(SPOA_DOS_SERVICE_IDS=SPOA_DOS_ID)  # working before the call arrives
    breach = now() + timedelta(seconds=4)
    message = pushed_call(breach=breach.isoformat(), last_updated=now().isoformat())
    response, _ = send_message(client, message, {"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    referral_id = uuid.UUID(next(e["resource"]["id"] for e in response.get_json()["entry"]
                                 if e["resource"]["resourceType"] == "Encounter"
                                 and e["resource"]["status"] == "planned"))
    database.session.remove()  # the test's session holds nothing while the worker works

    def returned():
        with database.engine.connect() as conn:
            return conn.execute(select(AuditEvent.at, AuditEvent.detail).where(
                AuditEvent.referral_id == referral_id, AuditEvent.event == "return_to_sender")).first()

    at, detail = wait_for(returned, "the automatic return")
    lag = (at - breach).total_seconds()
    print(f"returned {lag:.2f} s after the breach time")
    assert 0 <= lag <= BREACH_WITHIN
    assert detail == {"reason_code": "RRNA", "reason": "not taken by the breach time", "automatic": True}

    wait_for(lambda: stack.received, "the message to the ambulance service")
    [bundle] = stack.bundles()
    [header] = resources(bundle, "MessageHeader")
    assert header.response.identifier == message["id"]
    [encounter] = [e for e in resources(bundle, "Encounter") if e.id == str(referral_id)]
    assert encounter.status == "cancelled"
    assert (encounter.reasonCode[0].coding[0].code, encounter.reasonCode[0].text) == (
        "RRNA", "not taken by the breach time")
