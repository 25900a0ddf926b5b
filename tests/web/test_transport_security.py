"""With TLS in front (PROXY_FIX_HOPS, or https addresses) cookies are Secure under the
__Host- prefix and every answer carries HSTS; the laptop's plain http has neither.
Answers carrying patient data (pages, the API, FHIR) are never cached."""
import pytest

from spoa.config import Config
from tests.support.people import PASSWORD, make_user
from tests.support.servers import another_app
from tests.support.signing_in import csrf_token

LAPTOP = {"DATABASE_URL": "sqlite:///x.sqlite3", "SECRET_KEY": "k"}


@pytest.mark.parametrize("env, secure", [
    ({}, False),
    ({"PROXY_FIX_HOPS": "1"}, True),
    ({"PREFERRED_URL_SCHEME": "https"}, True),
    ({"PROXY_FIX_HOPS": "1", "SESSION_COOKIE_SECURE": "0", "HSTS": "0"}, False),  # each can still be turned off
    ({"SESSION_COOKIE_SECURE": "1", "HSTS": "yes"}, True),  # or on without a proxy
], ids=["laptop", "proxy", "https addresses", "proxy, both off", "both on"])
def test_tls_in_front_turns_on_secure_cookies_and_hsts(env, secure):
    config = Config({**LAPTOP, **env})
    assert config.SESSION_COOKIE_SECURE is secure and config.REMEMBER_COOKIE_SECURE is secure
    assert config.HSTS is secure
    assert config.SESSION_COOKIE_NAME == ("__Host-session" if secure else "session")


def _behind_a_proxy(app):
    proxied = another_app(app, PROXY_FIX_HOPS="1")
    proxied.config["WTF_CSRF_ENABLED"] = False  # the token is not what is tested
    return proxied


def test_behind_a_tls_proxy_the_session_cookie_is_secure_host_only_and_hsts_is_sent(app, db, redis):
    make_user(db, username="handler")
    client = _behind_a_proxy(app).test_client()
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = client.post("/login", data={"username": "handler", "password": PASSWORD}, headers=https)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert "Path=/;" in cookie or cookie.endswith("Path=/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    page = client.get("/", headers=https)
    assert page.status_code == 200  # the secure cookie signs you in over https
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_laptop_sends_no_hsts_and_a_plain_cookie(client, db):
    make_user(db, username="handler")
    page = client.get("/login")
    assert "Strict-Transport-Security" not in page.headers
    response = client.post("/login", data={"username": "handler", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" not in cookie


def test_api_and_fhir_answers_with_patient_data_are_never_cached(client, sender, payload):
    _, headers = sender
    posted = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert posted.status_code == 201 and posted.headers["Cache-Control"] == "no-store"
    referral_id = posted.get_json()["id"]
    for path in ("/api/v1/referrals", f"/api/v1/referrals/{referral_id}"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store", path
    refused = client.get(f"/api/v1/referrals/{referral_id}")  # no token: a problem, not cached either
    assert refused.status_code == 401 and refused.headers["Cache-Control"] == "no-store"
    fhir = client.post("/fhir/$process-message", json={"resourceType": "Bundle"}, headers=headers)
    assert fhir.status_code == 400 and fhir.get_json()["resourceType"] == "OperationOutcome"
    assert fhir.headers["Cache-Control"] == "no-store"
