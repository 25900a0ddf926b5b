"""A repeat of a processed message (same X-Request-ID and X-Correlation-ID)
creates nothing and answers 409 REC_CONFLICT duplicate, also when the retries
arrive at once. Bundle.id is reused across messages, so it is not the key."""
import json
import uuid

import pytest

from spoa.extensions import db as database
from spoa.models import FhirMessage, Referral
from tests.support.concurrently import at_once

from .conftest import JSON_TYPE, issue, own_message, rec_code

pytestmark = pytest.mark.both_databases


def counts():
    return tuple(database.session.scalar(database.select(database.func.count()).select_from(m))
                 for m in (Referral, FhirMessage))


def test_a_repeat_is_a_409_duplicate_and_creates_nothing(post, db):
    message, ids = own_message(), {"request_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}
    assert post(message, **ids).status_code == 200
    again = post(message, **ids)
    assert again.status_code == 409
    assert rec_code(again) == "REC_CONFLICT" and issue(again)["code"] == "duplicate"
    assert again.headers["X-Request-ID"] == ids["request_id"]
    assert counts() == (1, 1)


def test_the_same_bundle_id_in_new_messages_is_two_referrals(post, db):
    message = own_message()
    assert post(message).status_code == 200
    assert post(message).status_code == 200  # new X-Request-ID: a new message
    assert counts() == (2, 2)


def test_a_reused_request_id_with_other_content_is_a_conflict(post, db):
    request_id = str(uuid.uuid4())
    assert post(own_message(), request_id=request_id).status_code == 200
    other = post(own_message(postcode="NN2 6AA"), request_id=request_id)
    assert other.status_code == 409 and issue(other)["code"] == "conflict"
    assert counts() == (1, 1)


def test_the_same_headers_from_another_client_are_a_duplicate(post, make_api_client, db):
    ids = {"request_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4())}
    assert post(own_message(), **ids).status_code == 200
    other = make_api_client(sources=["nhs111"])[1]
    again = post(own_message(), token=other, **ids)
    assert again.status_code == 409 and issue(again)["code"] == "duplicate"
    assert counts() == (1, 1)


def test_concurrent_retries_create_exactly_one_referral(app, fhir_sender, db, redis):
    body = json.dumps(own_message()).encode()
    headers = {"Authorization": f"Bearer {fhir_sender[1]}", "Content-Type": JSON_TYPE,
               "X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
    responses = at_once(app, 12, lambda c: c.post("/fhir/$process-message", data=body, headers=headers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 11, statuses
    assert all(issue(r)["code"] == "duplicate" for r in responses if r.status_code == 409)
    assert counts() == (1, 1)
