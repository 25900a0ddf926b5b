"""BaRS endpoints on the command line: each registered for one API client
(add-fhir-endpoint --client), removed, listed; every change audited."""
import pytest

from spoa.models import ApiClient, AuditEvent, FhirEndpoint

ENDPOINT = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


@pytest.fixture
def clients(make_api_client, db):
    """Two FHIR sending systems, nhs111-a and nhs111-b, and a revoked one, old-gp."""
    make_api_client(sources=["nhs111"], name="nhs111-a")
    make_api_client(sources=["nhs111"], name="nhs111-b")
    old, _ = make_api_client(sources=["gp"], name="old-gp")
    old.is_active = False
    db.session.commit()


def add(cli, client, endpoint=ENDPOINT, url="https://a.example/fhir"):
    return cli.invoke(args=["spoa", "add-fhir-endpoint", "--client", client, "--endpoint", endpoint, "--url", url])


def audits(db, event):
    db.session.expire_all()
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id)).all()


def endpoints(db):
    db.session.expire_all()
    return [(row.endpoint, row.client.name if row.client else None, row.base_url)
            for row in db.session.scalars(db.select(FhirEndpoint))]


def test_an_endpoint_is_registered_for_its_client(cli, db, clients):
    result = add(cli, "nhs111-a")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (f"Outcomes for {ENDPOINT} (nhs111-a) now go to "
                                     "https://a.example/fhir/$process-message.")
    assert endpoints(db) == [(ENDPOINT, "nhs111-a", "https://a.example/fhir")]
    [audit] = audits(db, "fhir_endpoint_registered")
    assert (audit.detail["client"], audit.detail["url"], audit.actor_name) == (
        "nhs111-a", "https://a.example/fhir", "admin (CLI)")


def test_the_client_is_required(cli, db, clients):
    result = cli.invoke(args=["spoa", "add-fhir-endpoint", "--endpoint", ENDPOINT, "--url", "https://a.example/fhir"])
    assert result.exit_code == 2 and "--client" in result.output
    assert endpoints(db) == []


@pytest.mark.parametrize("client, message", [
    ("nobody", "--client: There is no API client called nobody"),
    ("old-gp", "--client: The API client old-gp is revoked"),
])
def test_an_unknown_or_revoked_client_is_refused(cli, db, clients, client, message):
    result = add(cli, client)
    assert result.exit_code == 2 and message in result.output, result.output
    assert endpoints(db) == [] and audits(db, "fhir_endpoint_registered") == []


def test_another_clients_endpoint_is_refused_and_left_as_it_was(cli, db, clients):
    assert add(cli, "nhs111-a").exit_code == 0
    result = add(cli, "nhs111-b", endpoint="http://fhir.nhs.uk/Id/dos-service-id:2222222222",
                 url="https://b.example/fhir")
    assert result.exit_code == 2
    assert f"--endpoint: {ENDPOINT} is registered to the API client nhs111-a" in result.output
    assert endpoints(db) == [(ENDPOINT, "nhs111-a", "https://a.example/fhir")]
    assert len(audits(db, "fhir_endpoint_registered")) == 1


def test_its_own_client_re_points_it(cli, db, clients):
    assert add(cli, "nhs111-a").exit_code == 0
    result = add(cli, "nhs111-a", url="https://moved.example/fhir")
    assert result.exit_code == 0 and "(was https://a.example/fhir)" in result.output
    assert endpoints(db) == [(ENDPOINT, "nhs111-a", "https://moved.example/fhir")]


def test_registering_an_unowned_endpoint_claims_it(cli, db, clients):
    db.session.add(FhirEndpoint(endpoint=ENDPOINT, base_url="https://old.example/fhir", is_active=True))
    db.session.commit()
    result = add(cli, "nhs111-b", url="https://old.example/fhir")
    assert result.exit_code == 0, result.output
    assert endpoints(db) == [(ENDPOINT, "nhs111-b", "https://old.example/fhir")]
    [audit] = audits(db, "fhir_endpoint_claimed")
    assert (audit.detail["client"], audit.detail["endpoint"]) == ("nhs111-b", ENDPOINT)
    assert audits(db, "fhir_endpoint_registered") == []


def test_remove_takes_it_off_the_register_audited(cli, db, clients):
    assert add(cli, "nhs111-a").exit_code == 0
    result = cli.invoke(args=["spoa", "remove-fhir-endpoint", "--endpoint",
                              "http://fhir.nhs.uk/Id/dos-service-id:2222222222"])
    assert result.exit_code == 0, result.output
    assert f"Removed {ENDPOINT}" in result.output
    assert endpoints(db) == []
    [audit] = audits(db, "fhir_endpoint_removed")
    assert (audit.detail["endpoint"], audit.detail["client"], audit.detail["url"]) == (
        ENDPOINT, "nhs111-a", "https://a.example/fhir")


def test_removing_what_is_not_registered_says_so(cli, db, clients):
    result = cli.invoke(args=["spoa", "remove-fhir-endpoint", "--endpoint", ENDPOINT])
    assert result.exit_code == 2 and f"--endpoint: No endpoint {ENDPOINT} is registered" in result.output
    assert audits(db, "fhir_endpoint_removed") == []


def test_list_shows_each_endpoint_its_client_and_where_outcomes_go(cli, db, clients):
    assert cli.invoke(args=["spoa", "list-fhir-endpoints"]).output.strip() == "No BaRS endpoints registered."
    assert add(cli, "nhs111-a").exit_code == 0
    assert add(cli, "nhs111-b", endpoint="https://fhir.nhs.uk/Id/dos-service-id|3333333333",
               url="https://b.example/fhir").exit_code == 0
    db.session.add(FhirEndpoint(endpoint="https://fhir.nhs.uk/Id/dos-service-id|1111111111",
                                base_url="https://old.example/fhir", is_active=True))
    db.session.scalars(db.select(ApiClient).where(ApiClient.name == "nhs111-b")).one().is_active = False
    db.session.commit()
    result = cli.invoke(args=["spoa", "list-fhir-endpoints"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "https://fhir.nhs.uk/Id/dos-service-id|1111111111  UNOWNED (never used: claim it with add-fhir-endpoint "
        "--client)  https://old.example/fhir/$process-message",
        f"{ENDPOINT}  nhs111-a  https://a.example/fhir/$process-message",
        "https://fhir.nhs.uk/Id/dos-service-id|3333333333  nhs111-b (revoked)  https://b.example/fhir/$process-message",
    ]
