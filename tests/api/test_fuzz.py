"""Whatever a sender sends, the answer is a definite status and problem+json: never a 500."""
import json
import uuid

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.referral_data import VALID_REFERRAL

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20)
    | st.floats(allow_nan=False) | st.text(max_size=80),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
PATHS = [
    ("source",), ("source_reference",), ("received_at",), ("emas_category",), ("referrer",),
    ("referrer", "ods_code"), ("patient",), ("patient", "nhs_number"), ("patient", "date_of_birth"),
    ("patient", "postcode"), ("patient", "given_name"), ("patient", "sex"), ("presenting_need",),
    ("description",), ("pathways_disposition",), ("red_flags",), ("observations",),
    ("observations", "news2"), ("mental_health", "risk"), ("function",),
    ("function", "medically_stable"), ("consent",), ("unexpected",),
]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ANSWERS = {200, 201, 400, 409, 413, 415, 422}


def _check(response):
    assert response.status_code in ANSWERS, (response.status_code, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["status"] == response.status_code


@FUZZ
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_any_value_in_any_field_gets_a_definite_answer(client, sender, path, value):
    _, headers = sender
    body = json.loads(json.dumps(VALID_REFERRAL))
    body["source_reference"] = uuid.uuid4().hex
    target = body
    for key in path[:-1]:
        target = target[key] if isinstance(target.get(key), dict) else target.setdefault(key, {})
    target[path[-1]] = value
    _check(client.post("/api/v1/referrals", json=body, headers=headers))


@FUZZ
@given(body=JSON_VALUES)
def test_any_json_document_gets_a_definite_answer(client, sender, body):
    _, headers = sender
    _check(client.post("/api/v1/referrals", json=body, headers=headers))


@FUZZ
@given(raw=st.binary(max_size=300), content_type=st.sampled_from(
    ["application/json", "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded"]))
def test_any_bytes_get_a_definite_answer(client, sender, raw, content_type):
    _, headers = sender
    _check(client.post("/api/v1/referrals", data=raw, headers={**headers, "Content-Type": content_type}))


@FUZZ
@given(event=JSON_VALUES, if_match=st.none() | st.text(max_size=12))
def test_any_event_body_gets_a_definite_answer(client, sender, make_api_client, event, if_match):
    _, headers = sender
    body = json.loads(json.dumps(VALID_REFERRAL))
    body["source_reference"] = uuid.uuid4().hex
    referral = client.post("/api/v1/referrals", json=body, headers=headers).get_json()
    extra = {"If-Match": if_match} if if_match is not None else {}
    try:
        response = client.post(f"/api/v1/referrals/{referral['id']}/events", json=event,
                               headers={**headers, **extra})
    except ValueError:  # the test client refuses a header with a newline; so would any HTTP stack
        return
    assert response.status_code in ANSWERS | {403, 412}, response.get_data(as_text=True)[:300]
