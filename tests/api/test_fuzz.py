"""Whatever a sender or a user sends, the answer is a definite status, never a 500;
for the API, in problem+json. Bodies, headers, query strings and every staff form."""
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.data.referral_data import VALID_REFERRAL
from tests.support.fuzzing import JSON_VALUES, TEXT, check_answer
from tests.support.signing_in import csrf_token

PATHS = [
    ("source",), ("source_reference",), ("received_at",), ("emas_category",), ("referrer",),
    ("referrer", "ods_code"), ("referrer", "name"), ("patient",), ("patient", "nhs_number"),
    ("patient", "date_of_birth"), ("patient", "postcode"), ("patient", "given_name"), ("patient", "family_name"),
    ("patient", "sex"), ("patient", "address"), ("presenting_need",), ("description",), ("pathways_disposition",),
    ("red_flags",), ("observations",), ("observations", "news2"), ("mental_health", "risk"), ("function",),
    ("function", "medically_stable"), ("consent",), ("unexpected",),
]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORM_FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Header values as an HTTP server hands them over: Latin-1 text, no line breaks.
HEADER = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80) | st.sampled_from(
    ["9" * 5000, '"' + "9" * 5000 + '"', '"²"', "٣".encode().decode("latin-1"), "W/", '""', "Bearer", "Bearer ",
     "Bearer " + "x" * 5000, "application/json; charset=utf-32", "application/json; charset=x-unknown",
     "multipart/form-data", "application/json;;;", "text/html"])


def _valid() -> dict:
    body = json.loads(json.dumps(VALID_REFERRAL))
    body["source_reference"] = uuid.uuid4().hex
    body.pop("received_at")  # the example's date is long past: counted from arrival instead
    return body


@FUZZ
@given(path=st.sampled_from(PATHS), value=JSON_VALUES)
def test_any_value_in_any_field_gets_a_definite_answer(client, sender, path, value):
    _, headers = sender
    body = _valid()
    target = body
    for key in path[:-1]:
        target = target[key] if isinstance(target.get(key), dict) else target.setdefault(key, {})
    target[path[-1]] = value
    check_answer(client.post("/api/v1/referrals", json=body, headers=headers))


@FUZZ
@given(body=JSON_VALUES)
def test_any_json_document_gets_a_definite_answer(client, sender, body):
    _, headers = sender
    check_answer(client.post("/api/v1/referrals", json=body, headers=headers))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(min_value=1, max_value=20000), opener=st.sampled_from(["[", '{"a":', '{"patient":']),
       where=st.sampled_from(["body", "field"]))
def test_json_nested_any_depth_gets_a_definite_answer(client, sender, depth, opener, where):
    _, headers = sender
    closer = {"[": "]"}.get(opener, "}")
    deep = opener * depth + "1" + closer * depth
    raw = deep if where == "body" else json.dumps(_valid())[:-1] + ', "description": ' + deep + "}"
    check_answer(client.post("/api/v1/referrals", data=raw, headers={**headers, "Content-Type": "application/json"}))


@FUZZ
@given(raw=st.binary(max_size=300), content_type=HEADER | st.sampled_from(
    ["application/json", "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded"]))
def test_any_bytes_with_any_content_type_get_a_definite_answer(client, sender, raw, content_type):
    _, headers = sender
    check_answer(client.post("/api/v1/referrals", data=raw, headers={**headers, "Content-Type": content_type}))


@FUZZ
@given(authorization=st.none() | HEADER, idempotency_key=st.none() | HEADER, content_type=st.none() | HEADER)
def test_any_intake_headers_get_a_definite_answer(client, sender, authorization, idempotency_key, content_type):
    _, good = sender
    headers = {"Authorization": authorization if authorization is not None else good["Authorization"]}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    if content_type is not None:
        headers["Content-Type"] = content_type
    check_answer(client.post("/api/v1/referrals", data=json.dumps(_valid()), headers=headers))


@FUZZ
@given(event=JSON_VALUES | st.fixed_dictionaries({"event": st.sampled_from(["withdraw", "acknowledge", "accept"]),
                                                  "reason": TEXT}),
       if_match=st.none() | HEADER)
def test_any_event_body_and_if_match_get_a_definite_answer(client, sender, event, if_match):
    _, headers = sender
    referral = client.post("/api/v1/referrals", json=_valid(), headers=headers).get_json()
    extra = {"If-Match": if_match} if if_match is not None else {}
    check_answer(client.post(f"/api/v1/referrals/{referral['id']}/events", json=event, headers={**headers, **extra}))


QUERY_KEYS = st.sampled_from(["state", "route", "source", "since", "page", "per_page", "other", "page\x00"])


@FUZZ
@given(query=st.lists(st.tuples(QUERY_KEYS, TEXT), max_size=5))
def test_any_list_query_gets_a_definite_answer(client, sender, query):
    _, headers = sender
    check_answer(client.get("/api/v1/referrals", query_string=query, headers=headers), {200, 400, 422})


# --- staff forms --------------------------------------------------------------------

GOOD_FORM = {
    "source": "gp", "referrer.name": "Dr A Khan", "patient.nhs_number": "943 476 5919",
    "patient.given_name": "Ada", "patient.family_name": "Lovelace", "patient.date_of_birth": "14/03/1938",
    "patient.postcode": "nn1 5bd", "presenting_need": "fall_no_injury", "consent": "yes",
    "observations.news2": "2",
    "duplicate_choice": "new",  # the same patient each time: save, rather than stop at the duplicate panel
}
REFERRAL_FIELDS = [*GOOD_FORM, "emas_category", "observations.clinical_frailty_scale", "pathways_disposition",
                   "patient.sex", "patient.lives_alone", "patient.address", "description", "red_flags",
                   "mental_health.risk", "function.medically_stable", "source_reference", "submission_id",
                   "duplicate_choice", "unexpected"]


def _form_values(fields):
    """A few of the form's fields (or others) set to anything, the rest as a person would fill them."""
    return st.dictionaries(st.sampled_from(fields), TEXT, max_size=4)


@pytest.fixture
def staff(client, db, login_as):
    """staff(role, service=None): sign ``client`` in; returns a CSRF token for its forms."""
    from spoa.models import Service

    def sign_in(role, service=None):
        if service and db.session.query(Service).filter_by(code=service).first() is None:
            db.session.add(Service(code=service, name=service.replace("_", " ").title()))
        login_as(role, service=service, username=f"{role}-{uuid.uuid4().hex[:6]}")
        return csrf_token(client, "/")

    return sign_in


def _page_answer(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


@FORM_FUZZ
@given(changes=_form_values(REFERRAL_FIELDS), url=st.sampled_from(["/referrals/new", "/referrals/preview"]))
def test_the_referral_form_and_its_preview_never_fail(client, staff, changes, url):
    token = staff("call_handler") if not hasattr(client, "_fuzz_token") else client._fuzz_token
    client._fuzz_token = token
    _page_answer(client.post(url, data={**GOOD_FORM, **changes, "csrf_token": token}))


@FORM_FUZZ
@given(total=TEXT, in_use=TEXT)
def test_the_capacity_form_never_fails(client, staff, total, in_use):
    token = getattr(client, "_fuzz_token", None) or staff("supervisor", service="crisis_response")
    client._fuzz_token = token
    _page_answer(client.post("/services/crisis_response/capacity",
                             data={"total": total, "in_use": in_use, "csrf_token": token}))


ADMIN_FORMS = [
    ("/admin/users", ["username", "role", "service", "password"]),
    ("/admin/users/{user}/password", ["password"]),
    ("/admin/api-clients", ["name", "sources", "service", "rate_limit_per_minute"]),
    ("/admin/services", ["code", "name"]),
    ("/admin/services/voluntary", ["org-code", "org-name", "org-duty_days"]),
    ("/admin/services/{service}/duty-days", ["duty_days"]),
]


@FORM_FUZZ
@given(form=st.sampled_from(ADMIN_FORMS), data=st.data())
def test_every_admin_form_never_fails(client, staff, db, form, data):
    from spoa.models import Service, User

    token = getattr(client, "_fuzz_token", None) or staff("admin")
    client._fuzz_token = token
    if db.session.query(Service).filter_by(code="good_neighbours").first() is None:
        db.session.add(Service(code="good_neighbours", name="Good Neighbours", kind="voluntary", duty_days=[1]))
        db.session.commit()
    url, fields = form
    url = url.format(user=db.session.query(User).first().id,
                     service=db.session.query(Service).filter_by(code="good_neighbours").one().id)
    values = data.draw(st.dictionaries(st.sampled_from(fields), TEXT, max_size=len(fields)))
    _page_answer(client.post(url, data={**values, "csrf_token": token}))


@FORM_FUZZ
@given(username=TEXT, password=TEXT, next_=st.none() | TEXT)
def test_the_sign_in_form_never_fails(app, db, redis, username, password, next_):
    from spoa.web import csrf_adapter, login_adapter

    # A fresh browser each time; the tests share one app context, so what
    # Flask-Login and Flask-WTF keep in g for a request is dropped first.
    login_adapter.forget_loaded_user()
    csrf_adapter.forget_token()
    browser = app.test_client()
    token = csrf_token(browser)
    query = {"next": next_} if next_ is not None else {}
    _page_answer(browser.post("/login", query_string=query,
                              data={"username": username, "password": password, "csrf_token": token}))


@FORM_FUZZ
@given(values=st.dictionaries(st.sampled_from(["event", "version", "reason", "route", "urgency", "service", "next"]),
                              TEXT, max_size=5),
       event=st.sampled_from(["acknowledge_escalation", "cancel", "triage", "override", "reassign", "add_information",
                              "nonsense"]))
def test_the_page_events_form_never_fails(client, staff, sender, values, event):
    _, headers = sender
    token = getattr(client, "_fuzz_token", None) or staff("supervisor")
    client._fuzz_token = token
    referral = client.post("/api/v1/referrals", json=_valid(), headers=headers).get_json()
    _page_answer(client.post(f"/referrals/{referral['id']}/events",
                             data={"event": event, **values, "csrf_token": token}))
