"""Admin pages: users, API clients and services, for administrators only."""
import re
from datetime import timedelta

import pytest

from spoa.models import ApiClient, AuditEvent, Service, SignInFailures, User
from spoa.platform.timekeeping import now
from tests.support.admin_pages import add_api_client, post, token_on
from tests.support.pages import text
from tests.support.people import NEW_PASSWORD
from tests.support.signing_in import csrf_token, other_browser, sign_in

from .conftest import inline_scripts


def add_user(client, **fields):
    data = {"username": "sam", "role": "clinician", "service": "crisis_response", "password": NEW_PASSWORD}
    return post(client, "/admin/users", "/admin/users", **{**data, **fields})


# --- users ---------------------------------------------------------------------

def test_an_admin_adds_a_clinician_who_can_then_sign_in(app, client, admin, db):
    response = add_user(client)
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "Created clinician sam" in page and "Crisis response" in page
    sam = db.session.query(User).filter_by(username="sam").one()
    assert sam.role == "clinician" and sam.service == "crisis_response"
    browser = other_browser(app)
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 302
    assert browser.get("/worklist").status_code == 200


def test_adding_a_user_is_audited_without_the_password(client, admin, db):
    add_user(client)
    event = db.session.query(AuditEvent).filter_by(event="user_created").one()
    assert (event.actor_kind, event.actor_id, event.actor_name) == ("user", admin.id, "admin")
    assert event.detail["username"] == "sam" and NEW_PASSWORD not in str(event.detail)


def test_a_duplicate_username_is_a_field_error_and_nothing_is_stored(client, admin, db):
    add_user(client)
    audits = db.session.query(AuditEvent).count()
    response = add_user(client, username="SAM", role="supervisor", service="")
    page = text(response)
    assert response.status_code == 422
    assert "There is a problem" in page and 'href="#username"' in page
    assert 'id="username-error"' in page and "There is already a user called SAM" in page
    assert 'value="SAM"' in page and '<option selected value="supervisor">' in page  # what was typed is kept...
    assert NEW_PASSWORD not in page  # ...but never the password
    assert db.session.query(User).filter(User.username.in_(["sam", "SAM"])).count() == 1
    assert db.session.query(AuditEvent).count() == audits


@pytest.mark.parametrize("fields, field, message", [
    ({"username": ""}, "username", "Enter a username"),
    ({"role": ""}, "role", "Choose a role"),
    ({"role": "wizard"}, "role", "Unknown role wizard"),
    ({"service": ""}, "service", "A clinician belongs to one service"),
    ({"role": "call_handler"}, "service", "Only a clinician belongs to a service"),
    ({"service": "emergency_redirect"}, "service", "Unknown service emergency_redirect"),
    ({"password": "short"}, "password", "at least 8 characters"),
    ({"password": "x" * 201}, "password", "at most 200 characters"),
    ({"username": "u" * 81}, "username", "at most 80 characters"),
])
def test_a_user_form_with_a_mistake_says_which_field_and_stores_nothing(client, admin, db, fields, field, message):
    response = add_user(client, **fields)
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert db.session.query(User).count() == 1  # the admin alone


def test_unlock_lets_a_locked_user_sign_in(app, client, admin, db):
    sam = User(username="sam", role="call_handler", locked_until=now() + timedelta(minutes=10))
    sam.set_password(NEW_PASSWORD)
    db.session.add(sam)
    db.session.commit()
    browser = other_browser(app)
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 401
    assert "Unlock" in text(client.get("/admin/users"))
    response = post(client, f"/admin/users/{sam.id}/unlock", "/admin/users")
    assert response.status_code == 303
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 302
    assert db.session.query(AuditEvent).filter_by(event="account_unlocked", actor_name="admin").count() == 1


def test_unlock_ends_every_addresss_lock_on_the_account(app, client, admin, db):
    sam = User(username="sam", role="call_handler")
    sam.set_password(NEW_PASSWORD)
    db.session.add(sam)
    db.session.flush()
    until = now() + timedelta(minutes=10)
    db.session.add_all([SignInFailures(user_id=sam.id, address=address, failures=0, first_failed_at=now(),
                                       locked_until=until) for address in ("127.0.0.1", "203.0.113.9")])
    db.session.commit()
    browser = other_browser(app)
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 401  # locked from this address
    row = re.search(rf'<tr id="user-{sam.id}">.*?</tr>', text(client.get("/admin/users")), re.S).group(0)
    assert "Unlock" in row and "–" not in row.split("</td>")[5]  # when the last lock ends, and the button
    assert post(client, f"/admin/users/{sam.id}/unlock", "/admin/users").status_code == 303
    assert db.session.query(SignInFailures).count() == 0
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 302


def test_a_deactivated_user_is_signed_out_and_cannot_sign_in_until_reactivated(app, client, admin, db):
    add_user(client)
    sam = db.session.query(User).filter_by(username="sam").one()
    browser = other_browser(app)
    sign_in(browser, "sam", NEW_PASSWORD)
    assert post(client, f"/admin/users/{sam.id}/deactivate", "/admin/users").status_code == 303
    assert browser.get("/worklist").status_code == 302  # back to sign-in
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 401
    assert "Deactivated" in text(client.get("/admin/users"))
    post(client, f"/admin/users/{sam.id}/reactivate", "/admin/users")
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 302
    events = [e.event for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "user_deactivated" in events and "user_reactivated" in events


def test_an_admin_cannot_deactivate_themselves(client, admin, db):
    page = text(client.get("/admin/users"))
    assert f'/admin/users/{admin.id}/deactivate' not in page  # no button for it...
    response = post(client, f"/admin/users/{admin.id}/deactivate", "/admin/users")  # ...nor a way round
    assert response.status_code == 422 and "cannot deactivate your own account" in text(response)
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_active


def test_resetting_a_password_lets_the_user_sign_in_with_the_new_one_only(app, client, admin, db):
    add_user(client)
    sam = db.session.query(User).filter_by(username="sam").one()
    response = post(client, f"/admin/users/{sam.id}/password", "/admin/users", password="another long one")
    assert response.status_code == 303
    browser = other_browser(app)
    assert sign_in(browser, "sam", NEW_PASSWORD).status_code == 401
    assert sign_in(browser, "sam", "another long one").status_code == 302
    event = db.session.query(AuditEvent).filter_by(event="password_reset").one()
    assert "another long one" not in str(event.detail)


def test_a_short_new_password_is_shown_beside_that_users_field(client, admin, db):
    add_user(client)
    sam = db.session.query(User).filter_by(username="sam").one()
    response = post(client, f"/admin/users/{sam.id}/password", "/admin/users", password="short")
    page = text(response)
    assert response.status_code == 422
    assert f'id="new-password-{sam.id}-error"' in page and f'href="#new-password-{sam.id}"' in page
    assert "at least 8 characters" in page


def test_an_unknown_user_is_404(client, admin):
    assert post(client, "/admin/users/999999/unlock", "/admin/users").status_code == 404
    # Past a row id's range: still no such user, not a database error.
    assert post(client, f"/admin/users/{10**20}/unlock", "/admin/users").status_code == 404


# --- API clients -----------------------------------------------------------------

def test_a_new_clients_token_is_shown_once_and_works(client, admin, db):
    response = add_api_client(client, sources=["emas", "nhs111"], rate_limit_per_minute="120")
    assert response.status_code == 201
    assert "shown only once" in text(response)
    token = token_on(response)
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert row.sources == ["emas", "nhs111"] and row.rate_limit_per_minute == 120 and row.token_hint in token
    api = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    page = text(client.get("/admin/api-clients"))
    assert "emas-hub" in page and row.token_hint in page and token not in page
    with client.session_transaction() as session:
        assert token not in str(dict(session))
    event = db.session.query(AuditEvent).filter_by(event="api_client_created").one()
    assert event.actor_id == admin.id
    assert token not in str(event.detail) and row.token_hint not in str(event.detail)


def test_a_service_system_client_is_bound_to_its_service(client, admin, db):
    response = add_api_client(client, name="crisis-sys", service="crisis_response")
    assert response.status_code == 201
    row = db.session.query(ApiClient).filter_by(name="crisis-sys").one()
    assert row.service == "crisis_response" and row.sources is None


def test_a_revoked_client_gets_401(client, admin, db):
    token = token_on(add_api_client(client, sources=["gp"]))
    row = db.session.query(ApiClient).filter_by(name="emas-hub").one()
    assert post(client, f"/admin/api-clients/{row.id}/revoke", "/admin/api-clients").status_code == 303
    api = client.get("/api/v1/referrals", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert "Revoked" in text(client.get("/admin/api-clients"))
    assert db.session.query(AuditEvent).filter_by(event="api_client_revoked").count() == 1


@pytest.mark.parametrize("fields, field, message", [
    ({}, "sources", "Choose the sources it may post as, or the service"),
    ({"name": "", "sources": ["gp"]}, "name", "Enter a name"),
    ({"sources": ["gp", "pigeon"]}, "sources", "Unknown source pigeon"),
    ({"service": "supervisor_review"}, "service", "Unknown service supervisor_review"),
    ({"sources": ["gp"], "rate_limit_per_minute": "lots"}, "rate_limit_per_minute", "Enter a whole number"),
    ({"sources": ["gp"], "rate_limit_per_minute": "0"}, "rate_limit_per_minute", "from 1 to 100,000"),
    ({"sources": ["gp"], "rate_limit_per_minute": "99999999999"}, "rate_limit_per_minute", "from 1 to 100,000"),
])
def test_an_api_client_form_with_a_mistake_shows_no_token_and_stores_nothing(client, admin, db, fields, field,
                                                                             message):
    response = add_api_client(client, **fields)
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert "new-token" not in page
    assert db.session.query(ApiClient).count() == 0


def test_a_duplicate_client_name_keeps_the_ticked_sources(client, admin, db):
    add_api_client(client, sources=["gp"])
    response = add_api_client(client, sources=["emas", "acute"])
    page = text(response)
    assert response.status_code == 422 and "There is already an API client called emas-hub" in page
    assert 'value="emas" checked' in page and 'value="acute" checked' in page and 'value="gp" checked' not in page
    assert db.session.query(ApiClient).count() == 1


# --- services --------------------------------------------------------------------

def test_an_admin_sets_up_a_policy_service_and_can_deactivate_it(client, admin, db):
    assert 'value="crisis_response"' in text(client.get("/admin/services"))
    response = post(client, "/admin/services", "/admin/services", code="crisis_response", name="Crisis response")
    assert response.status_code == 303
    service = db.session.query(Service).filter_by(code="crisis_response").one()
    assert service.name == "Crisis response" and service.is_active
    page = text(client.get("/admin/services"))
    assert "Crisis response" in page and '<option value="crisis_response"' not in page  # set up once
    post(client, f"/admin/services/{service.id}/deactivate", "/admin/services")
    db.session.expire_all()
    assert not db.session.get(Service, service.id).is_active
    post(client, f"/admin/services/{service.id}/reactivate", "/admin/services")
    db.session.expire_all()
    assert db.session.get(Service, service.id).is_active
    events = [e.event for e in db.session.query(AuditEvent).filter(AuditEvent.event.like("service_%"))]
    assert sorted(events) == ["service_created", "service_deactivated", "service_reactivated"]


@pytest.mark.parametrize("fields, field, message", [
    ({"code": "supervisor_review", "name": "Review"}, "code", "not a service in the routing policy"),
    ({"code": "", "name": "Review"}, "code", "Choose the service"),
    ({"code": "reablement", "name": ""}, "name", "Enter a name"),
])
def test_a_service_must_be_one_the_policy_knows(client, admin, db, fields, field, message):
    response = post(client, "/admin/services", "/admin/services", **fields)
    page = text(response)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and f'href="#{field}"' in page and message in page
    assert db.session.query(Service).count() == 0


def test_a_service_is_set_up_only_once(client, admin, db):
    post(client, "/admin/services", "/admin/services", code="reablement", name="Reablement")
    response = post(client, "/admin/services", "/admin/services", code="reablement", name="Again")
    assert response.status_code == 422 and "already set up" in text(response)
    assert db.session.query(Service).count() == 1


# --- who may -----------------------------------------------------------------------

PAGES = ["/admin/users", "/admin/api-clients", "/admin/services", "/admin/rules/replay"]
ACTIONS = ["/admin/users", "/admin/users/{id}/unlock", "/admin/users/{id}/deactivate",
           "/admin/users/{id}/reactivate", "/admin/users/{id}/password", "/admin/api-clients",
           "/admin/api-clients/{id}/revoke", "/admin/services", "/admin/services/{id}/deactivate",
           "/admin/services/{id}/reactivate"]


FORM = {"username": "x", "role": "admin", "password": NEW_PASSWORD,  # a little of every admin form
        "name": "x", "sources": "gp", "code": "reablement"}


@pytest.mark.parametrize("role, service", [("call_handler", None), ("clinician", "crisis_response"),
                                           ("supervisor", None)])
def test_no_other_role_may_see_or_change_anything(client, login_as, db, make_api_client, role, service):
    user = login_as(role, service=service)
    other, _ = make_api_client()
    reablement = Service(code="reablement", name="Reablement")
    db.session.add(reablement)
    db.session.commit()
    ids = {"users": user.id, "api-clients": other.id, "services": reablement.id}
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/")  # a real token: refused for the role, not for CSRF
    for path in ACTIONS:
        response = client.post(path.format(id=ids[path.split("/")[2]]), data={**FORM, "csrf_token": token})
        assert response.status_code == 403, path
    db.session.expire_all()
    assert db.session.query(User).count() == 1 and db.session.get(ApiClient, other.id).is_active
    assert db.session.get(Service, reablement.id).is_active
    assert db.session.query(AuditEvent).filter(AuditEvent.event != "sign_in").count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/admin/users", "/admin/api-clients", "/admin/services"])
def test_a_form_posted_without_its_csrf_token_is_refused(client, admin, db, path):
    response = client.post(path, data=FORM)
    assert response.status_code == 400
    assert db.session.query(User).count() == 1 and db.session.query(ApiClient).count() == 0
    assert db.session.query(Service).count() == 0


def test_every_admin_page_labels_its_inputs_and_has_no_inline_script_or_style(client, admin, make_api_client, db):
    make_api_client()
    for path in PAGES:
        page = client.get(path).get_data(as_text=True)
        assert not inline_scripts(page) and "style=" not in page
        ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
        checkboxes = len(re.findall(r'<label class="checkbox"><input type="checkbox"', page))
        unlabelled = len(re.findall(r'<(?:input|select)(?![^>]*type="hidden")(?![^>]*\bid=)', page))
        assert unlabelled == checkboxes, path  # the only inputs without an id sit inside their label
        for input_id in ids:
            assert f'for="{input_id}"' in page, (path, input_id)
