"""A sending system's callback is registered with its client, on the command
line or the admin page (one schema), and its signing secret is shown once."""
import html
import re

import pytest
from standardwebhooks import Webhook

from spoa.models import ApiClient, AuditEvent
from spoa.models.user import hash_token
from spoa.platform import sealed
from tests.support.signing_in import csrf_token


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def test_the_cli_prints_the_secret_before_the_token_which_stays_on_the_last_line(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "emas-hub", "--sources", "emas",
                              "--callback-url", "https://emas.example.nhs.uk/spoa/outcomes"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    token = lines[-1]
    [secret_line] = [line for line in lines if line.startswith("webhook secret:")]
    assert lines.index(secret_line) < len(lines) - 1
    secret = secret_line.removeprefix("webhook secret:").strip()
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert row.token_hash == hash_token(token)
    assert row.callback_url == "https://emas.example.nhs.uk/spoa/outcomes"
    assert secret.startswith("whsec_") and secret not in row.webhook_secret_sealed
    assert sealed.unseal(row.webhook_secret_sealed) == secret
    Webhook(secret)  # usable as printed by the library the sender verifies with
    event = db.session.query(AuditEvent).filter_by(event="api_client_created").one()
    assert secret not in str(event.detail)


def test_without_a_callback_there_is_no_secret(cli, db):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "gp-hub", "--sources", "gp"])
    assert result.exit_code == 0 and "webhook secret" not in result.output
    row = db.session.query(ApiClient).filter_by(name="gp-hub").one()
    assert row.callback_url is None and row.webhook_secret_sealed is None


@pytest.mark.parametrize("url, message", [
    ("emas.example/outcomes", "Enter the full https:// address"),
    ("ftp://emas.example/outcomes", "Enter the full https:// address"),
    ("https://user:pw@emas.example/outcomes", "Leave the user name and password out"),
    ("https://emas.example/" + "a" * 500, "at most 500 characters"),
])
def test_the_cli_refuses_a_bad_callback_naming_the_option(cli, db, url, message):
    result = cli.invoke(args=["spoa", "create-api-client", "--name", "x", "--sources", "emas", "--callback-url", url])
    assert result.exit_code != 0
    assert "--callback-url" in result.output and message in result.output
    assert db.session.query(ApiClient).count() == 0


def _add(client, **fields):
    return client.post("/admin/api-clients", data={"name": "emas-hub", "sources": ["emas"], **fields,
                                                   "csrf_token": csrf_token(client, "/admin/api-clients")})


def test_the_admin_page_registers_a_callback_and_shows_its_secret_once(client, login_as, db):
    login_as("admin")
    response = _add(client, callback_url="https://emas.example.nhs.uk/spoa/outcomes")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 201
    secret = re.search(r'<code id="new-webhook-secret">([^<]+)</code>', page).group(1)
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert sealed.unseal(row.webhook_secret_sealed) == secret
    listing = html.unescape(client.get("/admin/api-clients").get_data(as_text=True))
    assert "https://emas.example.nhs.uk/spoa/outcomes" in listing and secret not in listing
    with client.session_transaction() as session:
        assert secret not in str(dict(session))


def test_the_admin_page_says_what_is_wrong_with_a_callback_beside_it(client, login_as, db):
    login_as("admin")
    response = _add(client, callback_url="not a url")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="callback_url-error"' in page and "Enter the full https:// address" in page
    assert "new-webhook-secret" not in page and "new-token" not in page
    assert db.session.query(ApiClient).count() == 0
