"""The FHIR receiver's operations in /api/openapi.json: every FHIR route is in it (and
nothing else of /fhir/), each answers FHIR JSON or XML, and every status it documents
is one it gives, as an OperationOutcome."""
import copy
import json
import re
import uuid

import pytest
from sqlalchemy import exc as sa_exc

from spoa.api import auth
from tests.fhir.messages import SPOA_DOS_ID, own_message

FHIR = ("application/fhir+json", "application/fhir+xml")
PROCESS = "/fhir/$process-message"
READ = "/fhir/ServiceRequest/{service_request_id}"
HISTORY = READ + "/_history"
VERSION = HISTORY + "/{version}"


@pytest.fixture(autouse=True)
def dos_ids(app, monkeypatch):
    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID,))


@pytest.fixture
def spec(client):
    return client.get("/api/openapi.json").get_json()


def fhir_operations(spec):
    return {(path, method): op for path, item in spec["paths"].items() if path.startswith("/fhir/")
            for method, op in item.items()}


def fhir_routes(app):
    """Every route of the fhir blueprint but the catch-all (which answers 404 and 405 as FHIR does)."""
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("fhir.") and rule.endpoint != "fhir.not_here":
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes[(path, method.lower())] = rule
    return routes


def test_every_fhir_route_is_in_the_document_with_its_path_parameters(app, spec):
    routes = fhir_routes(app)
    assert {(PROCESS, "post"), ("/fhir/metadata", "get"), (READ, "get"), (HISTORY, "get")} <= set(routes)
    assert set(fhir_operations(spec)) == set(routes)
    for key, op in fhir_operations(spec).items():
        declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        assert declared == set(routes[key].arguments), key
        for status, answer in op["responses"].items():
            assert set(answer["content"]) == set(FHIR), (key, status)
            if status in ("429", "503"):
                assert "Retry-After" in answer["headers"], (key, status)


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


class Sender:
    def __init__(self, client, make_api_client):
        self.client = client
        self.token = make_api_client(sources=["nhs111"])[1]
        self.make_api_client = make_api_client

    def post(self, message=None, token=None, headers=None, data=None, content_type="application/fhir+json"):
        all_headers = {"Content-Type": content_type, "X-Request-ID": str(uuid.uuid4()),
                       "X-Correlation-ID": str(uuid.uuid4()), **_bearer(token or self.token), **(headers or {})}
        body = data if data is not None else json.dumps(message or own_message()).encode()
        return self.client.post(PROCESS, data=body, headers={k: v for k, v in all_headers.items() if v is not None})

    def twice(self):
        ids = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4())}
        message = own_message()
        self.post(copy.deepcopy(message), headers=ids)
        return self.post(message, headers=ids)

    def over_rate(self, send):
        token = self.make_api_client(sources=["nhs111"], rate=1)[1]
        send(token)
        return send(token)

    def read(self, path, token=None):
        return self.client.get(path, headers=_bearer(token or self.token))


REFUSALS = [
    ("no_tracing_headers", PROCESS, "post", 400, lambda s: s.post(headers={"X-Request-ID": None})),
    ("no_token", PROCESS, "post", 401, lambda s: s.post(token="spoa_nobody")),
    ("two_sources", PROCESS, "post", 403,
     lambda s: s.post(token=s.make_api_client(sources=["nhs111", "gp"])[1])),
    ("duplicate", PROCESS, "post", 409, lambda s: s.twice()),
    ("too_large", PROCESS, "post", 413, lambda s: s.post(data=b"x" * 70_000)),
    ("not_fhir", PROCESS, "post", 415, lambda s: s.post(content_type="text/plain")),
    ("another_version", PROCESS, "post", 422, lambda s: s.post(own_message(version="2.0.0"))),
    ("over_rate", PROCESS, "post", 429, lambda s: s.over_rate(lambda t: s.post(token=t))),
    ("read_no_token", READ, "get", 401, lambda s: s.read("/fhir/ServiceRequest/x", token="spoa_nobody")),
    ("read_unknown", READ, "get", 404, lambda s: s.read("/fhir/ServiceRequest/x")),
    ("read_over_rate", READ, "get", 429, lambda s: s.over_rate(lambda t: s.read("/fhir/ServiceRequest/x", t))),
    ("history_no_token", HISTORY, "get", 401, lambda s: s.read("/fhir/ServiceRequest/x/_history", "spoa_nobody")),
    ("history_unknown", HISTORY, "get", 404, lambda s: s.read("/fhir/ServiceRequest/x/_history")),
    ("history_over_rate", HISTORY, "get", 429,
     lambda s: s.over_rate(lambda t: s.read("/fhir/ServiceRequest/x/_history", t))),
    ("version_no_token", VERSION, "get", 401,
     lambda s: s.read("/fhir/ServiceRequest/x/_history/1", "spoa_nobody")),
    ("version_unknown", VERSION, "get", 404, lambda s: s.read("/fhir/ServiceRequest/x/_history/1")),
    ("version_over_rate", VERSION, "get", 429,
     lambda s: s.over_rate(lambda t: s.read("/fhir/ServiceRequest/x/_history/1", t))),
]


@pytest.mark.parametrize("path, method, status, provoke", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_what_the_fhir_receiver_refuses_it_documents(client, spec, make_api_client, path, method, status, provoke):
    response = provoke(Sender(client, make_api_client))
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype in FHIR
    assert json.loads(response.get_data())["resourceType"] == "OperationOutcome"
    assert str(status) in spec["paths"][path][method]["responses"]


def test_every_status_a_fhir_route_documents_is_one_it_gives(spec):
    provoked = {(path, method, status) for _, path, method, status, _ in REFUSALS}
    for (path, method), op in fhir_operations(spec).items():
        for status in {int(s) for s in op["responses"]} - {200, 503}:  # 503: below
            assert (path, method, status) in provoked, (path, method, status)


def test_the_database_down_is_a_documented_503_on_every_fhir_route_that_documents_it(client, spec, monkeypatch):
    def unreachable():
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(auth, "_client_from_token", unreachable)
    tracing = {"X-Request-ID": str(uuid.uuid4()), "X-Correlation-ID": str(uuid.uuid4()),
               "Content-Type": "application/fhir+json", **_bearer("spoa_x")}
    documented = [(p, m) for (p, m), op in fhir_operations(spec).items() if "503" in op["responses"]]
    assert len(documented) == 4
    for path, method in documented:
        url = path.replace("{service_request_id}", "x").replace("{version}", "1")
        response = client.open(url, method=method.upper(), data=json.dumps(own_message()), headers=tracing)
        assert response.status_code == 503 and response.mimetype in FHIR, (path, method)
        assert "Retry-After" in response.headers
