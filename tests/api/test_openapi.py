"""The OpenAPI document is generated from the routes and the schemas that validate them:
every route of the api blueprint is in it (and nothing else), with the schema its view
loads, its answers and its problem+json errors; and what the API answers, it documents."""
import re
import uuid
from datetime import UTC

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from sqlalchemy import exc as sa_exc

from spoa.api import auth, openapi, referrals, requests
from spoa.models import Service

THE_DOCUMENT = "api.openapi_document"
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
REFERRAL_VIEW = {"oneOf": [{"$ref": "#/components/schemas/SenderReferral"},
                           {"$ref": "#/components/schemas/Referral"}]}
REF = "#/components/schemas/"
INTAKE = "/api/v1/referrals"
ONE = "/api/v1/referrals/{referral_id}"
EVENTS = "/api/v1/referrals/{referral_id}/events"
CAPACITY = "/api/v1/services/{code}/capacity"
CRISIS = "/api/v1/services/crisis_response/capacity"
STATUS = "/api/v1/status"


def api_routes(app):
    """{(path as the document writes it, method): rule} for every rule of the api blueprint."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != THE_DOCUMENT:
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes[(path, method.lower())] = rule
    return routes


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(spec, prefix="/api/"):
    """The JSON API's operations (the FHIR receiver's, under /fhir/, are test_openapi_fhir.py's)."""
    return {(path, method): op for path, item in spec["paths"].items() if path.startswith(prefix)
            for method, op in item.items() if method != "parameters"}


def test_the_document_is_valid_openapi_3(spec):
    validate(spec)  # raises on anything OpenAPI 3.0 does not allow
    assert spec["openapi"].startswith("3.0")
    assert spec["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_every_api_route_is_in_the_document_and_nothing_else(app, spec):
    routes = api_routes(app)
    assert len(routes) >= 6  # the referrals and services resources, at least
    assert set(operations(spec)) == set(routes)


def test_every_operation_is_secured_with_its_path_parameters(app, spec):
    for (path, method), op in operations(spec).items():
        assert op["security"] == [{"bearer": []}], (path, method)
        declared = {p["name"] for p in op.get("parameters", []) + spec["paths"][path].get("parameters", [])
                    if p["in"] == "path"}
        assert declared == set(api_routes(app)[(path, method)].arguments), (path, method)


def test_every_operation_answers_json_and_documents_its_problems(spec):
    for (path, method), op in operations(spec).items():
        statuses = {int(s) for s in op["responses"]}
        successes = {s for s in statuses if s < 400}
        assert successes, (path, method)
        for status in successes:
            schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
            assert "$ref" in schema or "oneOf" in schema or "properties" in schema, (path, method, status)
        # Every route: a NUL in the request, the token, the database.
        assert {400, 401, 503} <= statuses, (path, method)
        for status in statuses - successes:
            assert op["responses"][str(status)]["content"] == PROBLEM, (path, method, status)
            assert op["responses"][str(status)]["description"], (path, method, status)
        for status in {429, 503} & statuses:
            assert "Retry-After" in op["responses"][str(status)]["headers"]


def test_a_body_is_the_schema_the_view_loads_with_the_problems_of_reading_it(spec):
    with_body = {key: op for key, op in operations(spec).items() if key[1] in ("post", "put")}
    assert len(with_body) == 3
    for (path, method), op in with_body.items():
        assert op["requestBody"]["required"] is True
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.startswith(REF) and ref.removeprefix(REF) in spec["components"]["schemas"]
        assert {400, 413, 415, 422} <= {int(s) for s in op["responses"]}, (path, method)


def test_the_list_query_is_the_schema_the_view_loads(spec):
    op = spec["paths"]["/api/v1/referrals"]["get"]
    assert {p["name"] for p in op["parameters"] if p["in"] == "query"} == set(referrals.QUERY.fields)
    assert "422" in op["responses"]


def test_a_referral_is_answered_in_the_senders_or_the_full_view(spec):
    answers = [(path, method, status, response) for (path, method), op in operations(spec).items()
               if path.startswith("/api/v1/referrals") and (path, method) != ("/api/v1/referrals", "get")
               for status, response in op["responses"].items() if int(status) < 400]
    assert len(answers) == 4  # 201 and 200 to an intake, 200 to a read and to an event
    for path, method, status, response in answers:
        assert response["content"]["application/json"]["schema"] == REFERRAL_VIEW, (path, method, status)
        assert {"ETag", "Location"} <= set(response["headers"])


def test_the_intake_contract_is_documented_as_validated(spec):
    schemas = spec["components"]["schemas"]
    # One body, one of two shapes (intake 1.1): a community referral, as every v1 body, or a discharge.
    assert schemas["ReferralIntake"] == {"oneOf": [{"$ref": REF + "CommunityReferralIntake"},
                                                   {"$ref": REF + "DischargeReferralIntake"}]}
    intake = schemas["CommunityReferralIntake"]
    assert {"source", "source_reference", "patient", "presenting_need", "consent"} <= set(intake["required"])
    assert "mental_health_crisis" in intake["properties"]["presenting_need"]["enum"]
    assert intake["properties"]["kind"]["enum"] == ["community"] and "discharge" not in intake["properties"]
    assert intake.get("additionalProperties") is False  # unknown fields are refused
    discharge = schemas["DischargeReferralIntake"]
    assert {"source", "source_reference", "patient", "kind", "discharge", "consent"} <= set(discharge["required"])
    assert "presenting_need" not in discharge["required"]
    assert discharge["properties"]["kind"]["enum"] == ["discharge"]
    assert discharge["properties"]["source"]["enum"] == ["acute", "community_hospital"]
    assert discharge.get("additionalProperties") is False
    assert "application/problem+json" in spec["paths"]["/api/v1/referrals"]["post"]["responses"]["422"]["content"]


def test_the_discharge_section_is_documented_as_validated(spec):
    schemas = spec["components"]["schemas"]
    ref = schemas["DischargeReferralIntake"]["properties"]["discharge"]["$ref"]
    section = schemas[ref.removeprefix(REF)]
    assert {"hospital_ods", "ward", "admitted_on", "discharge_ready_date"} <= set(section["required"])
    assert section["properties"]["proposed_pathway"]["enum"] == [0, 1, 2, 3, None]  # or null: not proposed
    assert section["properties"]["hospital_ods"]["pattern"] == "^[A-Za-z0-9]{3,6}$"
    assert section.get("additionalProperties") is False
    [needs_ref] = [a["$ref"] for a in section["properties"]["needs"]["anyOf"] if "$ref" in a]  # or null
    needs = schemas[needs_ref.removeprefix(REF)]
    assert needs["properties"]["equipment"]["maxItems"] == 20
    assert needs["properties"]["night_care"]["type"] == "boolean"


def test_only_our_schemas_are_in_the_document(spec):
    # flask-smorest's own error and pagination shapes are not the API's.
    assert not {"Error", "PaginationMetadata"} & set(spec["components"]["schemas"])
    assert "responses" not in spec["components"]
    assert all("default" not in op["responses"] for op in operations(spec).values())


def test_every_schema_in_the_document_is_one_something_refers_to(spec):
    document = {**spec, "components": {**spec["components"], "schemas": dict(spec["components"]["schemas"])}}
    assert openapi.used_only(document)["components"]["schemas"] == spec["components"]["schemas"]
    assert set(openapi.COMPONENTS) <= set(spec["components"]["schemas"])  # every one we name is used


def test_flask_smorest_answers_no_error(client):
    """flask-smorest registers an HTTP error handler of its own on the app as it starts
    (its error format): whichever Flask keeps, the answer is ours, on the API and on pages."""
    missing = client.get("/api/v1/nowhere")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert missing.get_json()["title"] == "Not Found"
    wrong_method = client.delete(INTAKE)
    assert wrong_method.status_code == 405 and wrong_method.mimetype == "application/problem+json"
    assert "POST" in wrong_method.headers["Allow"]
    page = client.get("/nowhere")
    assert page.status_code == 404 and page.mimetype == "text/html"


@pytest.fixture
def crisis_service(db):
    """The service whose own system (a client bound to crisis_response) declares its capacity."""
    db.session.add(Service(code="crisis_response", name="Crisis response"))
    db.session.commit()


@pytest.fixture
def spy_load(monkeypatch):
    """Every schema a view loads with requests.load, in order (then loaded as usual)."""
    loaded = []
    real = requests.load

    def spy(schema, payload):
        loaded.append(schema)
        return real(schema, payload)

    monkeypatch.setattr(requests, "load", spy)
    return loaded


def documented_body(spec, path, method):
    ref = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return openapi.COMPONENTS[ref.removeprefix(REF)]


def test_the_documented_bodies_are_the_schemas_that_validate_them(client, spec, sender, payload,
                                                                   make_api_client, crisis_service, spy_load):
    _, headers = sender
    created = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert created.status_code == 201
    assert spy_load == [documented_body(spec, "/api/v1/referrals", "post")]
    _, token = make_api_client(sources=None, service="crisis_response")
    crisis_team = {"Authorization": f"Bearer {token}"}
    spy_load.clear()
    event = client.post(f"/api/v1/referrals/{created.get_json()['id']}/events", json={"event": "accept"},
                        headers=crisis_team)
    assert event.status_code == 200
    assert spy_load == [documented_body(spec, "/api/v1/referrals/{referral_id}/events", "post")]
    spy_load.clear()
    declared = client.put("/api/v1/services/crisis_response/capacity", json={"total": 5, "in_use": 1},
                          headers=crisis_team)
    assert declared.status_code == 200
    assert spy_load == [documented_body(spec, "/api/v1/services/{code}/capacity", "put")]
    spy_load.clear()
    assert client.get("/api/v1/referrals", headers=headers).status_code == 200
    assert spy_load == [referrals.QUERY]


def _errors_against(spec, schema, body) -> list[str]:
    validator = OAS30Validator({**schema, "components": spec["components"]})
    return [error.message[:200] for error in validator.iter_errors(body)]


def test_the_answers_are_what_the_document_says(client, spec, sender, payload, make_api_client, crisis_service):
    ops = operations(spec)

    def schema(path, method, status):
        return ops[(path, method)]["responses"][str(status)]["content"]["application/json"]["schema"]

    def view(name):
        return {"$ref": REF + name}

    _, headers = sender
    crisis_team = _bearer(make_api_client(sources=None, service="crisis_response")[1])
    created = client.post(INTAKE, json=payload(), headers=headers)
    assert created.status_code == 201 and schema(INTAKE, "post", 201) == REFERRAL_VIEW
    assert _errors_against(spec, view("SenderReferral"), created.get_json()) == []  # the sender's view
    assert _errors_against(spec, schema(INTAKE, "post", 201), created.get_json()) == []  # exactly one of the oneOf
    assert _errors_against(spec, view("Referral"), created.get_json())  # (the full view's history is required)
    read = client.get(f"{INTAKE}/{created.get_json()['id']}", headers=crisis_team)
    assert read.status_code == 200
    assert _errors_against(spec, schema(ONE, "get", 200), read.get_json()) == []  # the full view, of the oneOf
    assert _errors_against(spec, view("Referral"), read.get_json()) == []
    assert _errors_against(spec, view("SenderReferral"), read.get_json())  # more than the sender may see
    event = client.post(f"{INTAKE}/{created.get_json()['id']}/events", json={"event": "accept"}, headers=crisis_team)
    assert event.status_code == 200 and _errors_against(spec, view("Referral"), event.get_json()) == []
    listed = client.get(INTAKE, headers=headers)
    assert listed.get_json()["total"] == 1
    assert _errors_against(spec, schema(INTAKE, "get", 200), listed.get_json()) == []
    declared = client.put(CRISIS, json={"total": 5, "in_use": 1}, headers=crisis_team)
    assert declared.status_code == 200
    assert _errors_against(spec, schema(CAPACITY, "put", 200), declared.get_json()) == []
    board = client.get("/api/v1/services", headers=headers)
    assert board.get_json()["services"]
    assert _errors_against(spec, schema("/api/v1/services", "get", 200), board.get_json()) == []
    feed = client.get(STATUS, headers=_bearer(make_api_client(sources=None, scopes=["status"])[1]))
    assert feed.status_code == 200 and feed.get_json()["routes"]
    assert _errors_against(spec, schema(STATUS, "get", 200), feed.get_json()) == []


def test_a_notifications_person_and_nobody_on_duty_are_as_documented(client, spec, sender, payload,
                                                                      make_api_client, db):
    """Who each notification went to, in the full view and the document alike."""
    from datetime import datetime

    from spoa.models import Notification, User
    from tests.people import PASSWORD

    _, headers = sender
    crisis_team = _bearer(make_api_client(sources=None, service="crisis_response")[1])
    created = client.post(INTAKE, json=payload(), headers=headers).get_json()
    sue = User(username="sue.super", role="supervisor")
    sue.set_password(PASSWORD)
    db.session.add(sue)
    db.session.flush()
    taken = datetime(2026, 11, 23, 10, 5, tzinfo=UTC)
    db.session.add_all([
        Notification(referral_id=uuid.UUID(created["id"]), alert="waiting-for-bed", recipient="spoa_supervisor",
                     channel="in_app", subject="s", status="delivered", user_id=sue.id,
                     nobody_on_duty=["service_duty_lead:crisis_response"], taken_at=taken, taken_by_user_id=sue.id),
        Notification(referral_id=uuid.UUID(created["id"]), alert="waiting-for-bed", recipient="spoa_supervisor",
                     channel="in_app", subject="t", status="delivered",
                     nobody_on_duty=["service_duty_lead:crisis_response", "spoa_supervisor", "on_call_manager"])])
    db.session.commit()
    db.session.expire_all()  # the test's session is its requests': read the referral afresh
    read = client.get(f"{INTAKE}/{created['id']}", headers=crisis_team)
    assert read.status_code == 200
    assert _errors_against(spec, {"$ref": REF + "Referral"}, read.get_json()) == []
    shown = [(n["person"], n["nobody_on_duty"], n["taken_by"], n["taken_at"]) for n in read.get_json()["notifications"]]
    assert shown == [("sue.super", ["service_duty_lead:crisis_response"], "sue.super", taken.isoformat()),
                     (None, ["service_duty_lead:crisis_response", "spoa_supervisor", "on_call_manager"], None, None)]
    documented = spec["components"]["schemas"]["Notification"]["properties"]
    assert documented["nobody_on_duty"]["type"] == "array" and documented["person"]["nullable"] is True
    # The sender's view names no staff: no notifications at all.
    assert "notifications" not in client.get(f"{INTAKE}/{created['id']}", headers=headers).get_json()


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


NOT_JSON = {"data": "accept", "content_type": "text/plain"}
MALFORMED = {"data": "{", "content_type": "application/json"}
HUGE = "x" * 70_000  # over the 64 KiB a body may be


def _or_json(request: dict, body) -> dict:
    """The request as given, or with ``body`` as its JSON if it has no body of its own."""
    return request if "data" in request or "json" in request else {**request, "json": body}


class Callers:
    """The API clients the refusals are made with, and a referral to act on."""

    def __init__(self, client, make_api_client, payload):
        self.client, self.payload = client, payload
        self.sender = _bearer(make_api_client()[1])
        self.gp_only = _bearer(make_api_client(sources=["gp"])[1])
        self.one_a_minute = _bearer(make_api_client(rate=1)[1])
        self.crisis_team = _bearer(make_api_client(sources=None, service="crisis_response")[1])
        self.dashboard_one_a_minute = _bearer(make_api_client(sources=None, scopes=["status"], rate=1)[1])

    def send(self, method, url, caller="sender", headers=(), **request):
        return self.client.open(url, method=method, headers={**getattr(self, caller), **dict(headers)}, **request)

    def intake(self, caller="sender", **request):
        return self.send("POST", INTAKE, caller, **_or_json(request, self.payload()))

    def event(self, caller="crisis_team", if_match=None, **request):
        """An event on a new referral (offered to the crisis team); ``if_match(referral)``."""
        referral = self.intake().get_json()
        headers = {"If-Match": if_match(referral)} if if_match else {}
        return self.send("POST", f"/api/v1/referrals/{referral['id']}/events", caller, headers,
                         **_or_json(request, {"event": "accept"}))

    def conflict(self):
        body = self.payload()
        self.intake(json=body)
        return self.intake(json={**body, "description": "Now has chest pain"})

    def over_rate(self):
        self.intake("one_a_minute")
        return self.intake("one_a_minute")

    def status_over_rate(self):
        self.send("GET", STATUS, "dashboard_one_a_minute")
        return self.send("GET", STATUS, "dashboard_one_a_minute")


# What each route answers to a request it must refuse: (name, method, path in the
# document, status, how to provoke it). Each must be in the document, in problem+json.
REFUSALS = [
    ("intake_as_another_source", "post", INTAKE, 403, lambda k: k.intake("gp_only")),
    ("intake_conflict", "post", INTAKE, 409, lambda k: k.conflict()),
    ("intake_over_rate", "post", INTAKE, 429, lambda k: k.over_rate()),
    ("intake_too_large", "post", INTAKE, 413, lambda k: k.intake(json=k.payload(description=HUGE))),
    ("intake_not_json", "post", INTAKE, 415, lambda k: k.intake(**NOT_JSON)),
    ("intake_malformed", "post", INTAKE, 400, lambda k: k.intake(**MALFORMED)),
    ("intake_bad_key", "post", INTAKE, 400, lambda k: k.intake(headers={"Idempotency-Key": "a b"})),
    ("intake_invalid", "post", INTAKE, 422, lambda k: k.intake(json={})),
    ("list_invalid", "get", INTAKE, 422, lambda k: k.send("GET", INTAKE + "?page=0")),
    ("read_unknown", "get", ONE, 404, lambda k: k.send("GET", f"{INTAKE}/{uuid.uuid4()}")),
    ("event_unknown", "post", EVENTS, 404,
     lambda k: k.send("POST", f"{INTAKE}/{uuid.uuid4()}/events", json={"event": "accept"})),
    ("event_by_the_sender", "post", EVENTS, 403, lambda k: k.event("sender")),
    ("event_too_early", "post", EVENTS, 409, lambda k: k.event(json={"event": "first_contact"})),
    ("event_stale", "post", EVENTS, 412, lambda k: k.event(if_match=lambda r: f'"{r["version"] - 1}"')),
    ("event_bad_if_match", "post", EVENTS, 400, lambda k: k.event(if_match=lambda r: "soon")),
    ("event_not_json", "post", EVENTS, 415, lambda k: k.event(**NOT_JSON)),
    ("event_too_large", "post", EVENTS, 413, lambda k: k.event(json={"event": "accept", "reason": HUGE})),
    ("event_invalid", "post", EVENTS, 422, lambda k: k.event(json={"event": "teleport"})),
    ("capacity_of_another", "put", CAPACITY, 403, lambda k: k.send("PUT", CRISIS, json={"total": 1, "in_use": 0})),
    ("capacity_unknown", "put", CAPACITY, 404,
     lambda k: k.send("PUT", "/api/v1/services/nowhere/capacity", "crisis_team", json={"total": 1, "in_use": 0})),
    ("capacity_invalid", "put", CAPACITY, 422, lambda k: k.send("PUT", CRISIS, "crisis_team", json={"total": -1})),
    ("capacity_malformed", "put", CAPACITY, 400, lambda k: k.send("PUT", CRISIS, "crisis_team", **MALFORMED)),
    ("capacity_too_large", "put", CAPACITY, 413,
     lambda k: k.send("PUT", CRISIS, "crisis_team", json={"total": 1, "x": HUGE})),
    ("capacity_not_json", "put", CAPACITY, 415, lambda k: k.send("PUT", CRISIS, "crisis_team", **NOT_JSON)),
    ("status_without_the_scope", "get", STATUS, 403, lambda k: k.send("GET", STATUS)),
    ("status_over_rate", "get", STATUS, 429, lambda k: k.status_over_rate()),
]


@pytest.mark.parametrize("method, path, status, provoke", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_what_the_api_refuses_it_documents(client, spec, make_api_client, payload, crisis_service,
                                           method, path, status, provoke):
    response = provoke(Callers(client, make_api_client, payload))
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    assert spec["paths"][path][method]["responses"][str(status)]["content"] == PROBLEM


# What every route refuses alike: no token (auth.require_actor), a NUL in the query
# (spoa/platform/input_guard.py), the database down.
EVERYWHERE = (401, 400, 503)


def test_every_status_a_route_documents_is_one_it_gives(spec):
    # REFUSALS and the tests below provoke every problem the document lists, so a status
    # documented by mistake, or one the code no longer gives, shows here.
    provoked = {(method, path, status) for _, method, path, status, _ in REFUSALS}
    for (path, method), op in operations(spec).items():
        for status in {int(s) for s in op["responses"]} - {200, 201} - set(EVERYWHERE):
            assert (method, path, status) in provoked, (method, path, status)


def _every_route(spec, client, headers=None, query=""):
    for (path, method), op in operations(spec).items():
        url = path.replace("{referral_id}", str(uuid.uuid4())).replace("{code}", "crisis_response") + query
        yield path, method, op, client.open(url, method=method.upper(), json={}, headers=headers or {})


def _documented_problem(response, op, status, route):
    assert response.status_code == status and response.mimetype == "application/problem+json", route
    assert op["responses"][str(status)]["content"] == PROBLEM, route


def test_every_route_wants_a_token_and_documents_it(client, spec):
    for path, method, op, response in _every_route(spec, client):
        _documented_problem(response, op, 401, (path, method))
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (path, method)


def test_a_nul_anywhere_is_a_documented_400_on_every_route(client, spec, sender):
    _, headers = sender
    for path, method, op, response in _every_route(spec, client, headers=headers, query="?q=%00"):
        _documented_problem(response, op, 400, (path, method))


def test_the_database_down_is_a_documented_503_on_every_route(client, spec, monkeypatch):
    def unreachable():
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(auth, "_client_from_token", unreachable)
    for path, method, op, response in _every_route(spec, client, headers=_bearer("spoa_x")):
        _documented_problem(response, op, 503, (path, method))
        assert "Retry-After" in response.headers and "Retry-After" in op["responses"]["503"]["headers"]
