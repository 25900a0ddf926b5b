"""One access policy (spoa/domain/access.py) on every surface, role by role: a refused
read is a 404, as for a referral that does not exist, and is recorded."""
import html
import uuid
from datetime import timedelta

import pytest

from spoa.domain import access
from spoa.domain.actor import Actor
from spoa.models import AccessEvent, Referral
from spoa.platform.timekeeping import now
from tests.support.data.referral_form import GOOD
from tests.support.referral_pages import fire, refusals
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases

REHAB = {"presenting_need": "rehabilitation",
         "function": {"medically_stable": True, "rehab_potential": True, "needs_overnight_care": False}}

# (role, service): who signs in; what each may do with a crisis referral an ambulance sent.
PEOPLE = {
    "call_handler": ("call_handler", None),
    "crisis_clinician": ("clinician", "crisis_response"),
    "rehab_clinician": ("clinician", "home_rehab"),
    "voluntary_org_user": ("clinician", "good_neighbours"),
    "supervisor": ("supervisor", None),
    "admin": ("admin", None),
    "manager": ("manager", None),  # the reports only: no referral, list or queue
}
MAY_READ_CRISIS = {"crisis_clinician", "supervisor"}


@pytest.fixture
def crisis(client, sender, payload):
    response = client.post("/api/v1/referrals", json=payload(), headers=sender[1])
    body = response.get_json()
    assert response.status_code == 201 and body["route"] == "crisis_response"
    return body


def sign_in(login_as, who):
    role, service = PEOPLE[who]
    return login_as(role, service=service, username=who)


@pytest.mark.parametrize("who", PEOPLE)
def test_the_referral_page(client, login_as, db, crisis, who):
    sign_in(login_as, who)
    response = client.get(f"/referrals/{crisis['id']}")
    if who in MAY_READ_CRISIS:
        assert response.status_code == 200 and crisis["reference"] in response.get_data(as_text=True)
        assert refusals(db, crisis["id"]) == []
    else:
        assert response.status_code == 404  # the same answer as for no such referral
        assert crisis["reference"] not in response.get_data(as_text=True)
        assert refusals(db, crisis["id"]) == [(who, "page")]


def test_a_referral_that_does_not_exist_answers_the_same_404(client, login_as):
    sign_in(login_as, "rehab_clinician")
    assert client.get(f"/referrals/{uuid.uuid4()}").status_code == 404
    assert client.get("/referrals/not-a-uuid").status_code == 404


@pytest.mark.parametrize("who", PEOPLE)
def test_the_actions_post(client, login_as, db, crisis, who):
    sign_in(login_as, who)
    response = fire(client, crisis["id"], "accept", version=crisis["version"])
    db.session.expire_all()
    state = db.session.get(Referral, uuid.UUID(crisis["id"])).state
    if who in MAY_READ_CRISIS:
        assert response.status_code == 302 and state == "accepted"
    else:
        assert response.status_code == 404 and state == "offered"
        assert refusals(db, crisis["id"]) == [(who, "action")]


@pytest.mark.parametrize("who", PEOPLE)
def test_the_worklist(client, login_as, crisis, who):
    sign_in(login_as, who)
    response = client.get("/worklist")
    if who in ("call_handler", "admin", "manager"):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    listed = crisis["reference"] in response.get_data(as_text=True)
    assert listed == (who in MAY_READ_CRISIS)


@pytest.mark.parametrize("who", ["rehab_clinician", "voluntary_org_user"])
def test_a_clinician_cannot_see_another_services_worklist_by_asking(client, login_as, crisis, who):
    sign_in(login_as, who)
    response = client.get("/worklist?service=crisis_response")
    assert response.status_code == 403 and crisis["reference"] not in response.get_data(as_text=True)


def test_a_supervisor_may_look_at_any_services_worklist(client, login_as, crisis):
    sign_in(login_as, "supervisor")
    page = client.get("/worklist?service=crisis_response").get_data(as_text=True)
    assert crisis["reference"] in page
    other = client.get("/worklist?service=home_rehab")
    assert other.status_code == 200 and crisis["reference"] not in other.get_data(as_text=True)


@pytest.mark.parametrize("who", PEOPLE)
def test_the_live_queue_is_the_supervisors(client, login_as, crisis, who):
    sign_in(login_as, who)
    expected = 200 if who == "supervisor" else 403
    assert client.get("/queue").status_code == expected
    assert client.get(f"/queue/referrals/{crisis['id']}/actions").status_code == expected
    if who != "supervisor":  # (a supervisor's stream never ends: tests/web/test_live_updates.py)
        assert client.get("/queue/events").status_code == 403


def test_a_voluntary_organisation_reads_what_is_offered_to_it_and_nothing_else(client, login_as, db, crisis):
    referral = db.session.get(Referral, uuid.UUID(crisis["id"]))
    referral.route, referral.assigned_service = "voluntary_sector", "good_neighbours"
    db.session.commit()
    sign_in(login_as, "voluntary_org_user")
    assert client.get(f"/referrals/{crisis['id']}").status_code == 200
    assert crisis["reference"] in client.get("/worklist").get_data(as_text=True)
    referral.assigned_service = "age_concern_north"
    db.session.commit()
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404


def test_what_a_clinician_acted_on_stays_readable_but_not_actionable(client, login_as, db, crisis):
    sign_in(login_as, "crisis_clinician")
    assert fire(client, crisis["id"], "decline", reason="No capacity tonight").status_code == 302
    db.session.expire_all()
    referral = db.session.get(Referral, uuid.UUID(crisis["id"]))
    assert referral.route == "supervisor_review"  # no longer the crisis team's
    page = client.get(f"/referrals/{crisis['id']}")
    assert page.status_code == 200
    assert 'name="event"' not in page.get_data(as_text=True)  # read-only: no buttons
    assert crisis["reference"] not in client.get("/worklist").get_data(as_text=True)
    assert fire(client, crisis["id"], "add_information", reason="More", version=referral.version).status_code == 403


def test_a_call_handler_reads_what_they_entered_and_another_handler_does_not(client, login_as, db):
    first = login_as("call_handler", username="hana")
    form = {**GOOD, "csrf_token": csrf_token(client, "/referrals/new")}
    saved = client.post("/referrals/new", data=form)
    assert saved.status_code == 302
    referral = db.session.query(Referral).one()
    assert referral.created_by_user_id == first.id
    assert client.get(saved.headers["Location"]).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("call_handler", username="harry")
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert refusals(db, referral.id) == [("harry", "page")]


def preview(client, data):
    form = {**data, "csrf_token": csrf_token(client, "/referrals/new")}
    return client.post("/referrals/preview", data=form).get_json()


def open_match(client, url):
    """The panel's button: a POST with the page's token."""
    return client.post(url, data={"csrf_token": csrf_token(client, "/referrals/new")})


def test_typing_a_number_that_matches_grants_no_reading(client, login_as, db, crisis):
    handler = sign_in(login_as, "call_handler")
    shown = preview(client, GOOD)  # same NHS number as the ambulance's referral
    assert [d["reference"] for d in shown["duplicates"]] == [crisis["reference"]]
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404  # shown is not opened
    events = db.session.query(AccessEvent).filter_by(user_id=handler.id, refused=False).all()
    assert [e.via for e in events] == ["duplicate_shown"]


def test_a_handler_who_opens_a_match_from_the_panel_may_read_it_for_a_shift(frozen_now, client, login_as, db, crisis):
    handler = sign_in(login_as, "call_handler")
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404  # not before it was shown
    shown = preview(client, GOOD)
    preview(client, GOOD)  # the same showing, as the form is filled in: not another row
    assert db.session.query(AccessEvent).filter_by(user_id=handler.id, via="duplicate_shown").count() == 1
    opened = open_match(client, shown["duplicates"][0]["open_url"])
    assert opened.status_code == 303 and opened.headers["Location"] == f"/referrals/{crisis['id']}"
    assert client.get(opened.headers["Location"]).status_code == 200
    grants = db.session.query(AccessEvent).filter_by(user_id=handler.id, via="duplicate", refused=False).all()
    assert len(grants) == 1 and str(grants[0].referral_id) == crisis["id"]
    with frozen_now(now() + access.DUPLICATE_GRANT + timedelta(minutes=1)):
        assert client.get(f"/referrals/{crisis['id']}").status_code == 404  # the shift is over


def test_a_match_that_was_not_shown_to_you_cannot_be_opened(frozen_now, client, login_as, db, crisis):
    login_as("call_handler", username="harriet")
    preview(client, GOOD)  # shown to harriet...
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    sign_in(login_as, "call_handler")
    url = f"/referrals/{crisis['id']}/open-match"
    assert open_match(client, url).status_code == 404  # ...not to call_handler: the reference alone opens nothing
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404
    assert refusals(db, crisis["id"]) == [("call_handler", "duplicate"), ("call_handler", "page")]
    preview(client, GOOD)
    shown_at = now()
    assert open_match(client, url).status_code == 303  # shown to them, within the window
    with frozen_now(shown_at + access.MATCH_OPEN_WINDOW - timedelta(minutes=10)):
        assert client.get("/referrals/new").status_code == 200  # still at work (the session stays)
    with frozen_now(shown_at + access.MATCH_OPEN_WINDOW + timedelta(minutes=1)):
        assert open_match(client, url).status_code == 404  # shown too long ago: not this call's


def test_the_match_opens_only_by_a_posted_form_with_its_token(client, login_as, crisis):
    sign_in(login_as, "call_handler")
    url = preview(client, GOOD)["duplicates"][0]["open_url"]
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400  # no CSRF token: another site cannot open it for you
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404


def test_the_duplicate_panel_on_the_form_opens_the_same_way(client, login_as, crisis):
    sign_in(login_as, "call_handler")
    form = {**GOOD, "csrf_token": csrf_token(client, "/referrals/new")}
    panel = html.unescape(client.post("/referrals/new", data=form).get_data(as_text=True))
    url = f"/referrals/{crisis['id']}/open-match"
    assert f'action="{url}"' in panel and f'form="open-match-{crisis["id"]}"' in panel
    assert f'href="/referrals/{crisis["id"]}"' not in panel
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404  # shown, not opened
    assert open_match(client, url).status_code == 303
    assert client.get(f"/referrals/{crisis['id']}").status_code == 200


def test_a_match_once_closed_is_no_longer_the_handlers_to_read(client, login_as, db, crisis, sender):
    sign_in(login_as, "call_handler")
    open_match(client, preview(client, GOOD)["duplicates"][0]["open_url"])
    assert client.get(f"/referrals/{crisis['id']}").status_code == 200  # opened: the handler's to read
    response = client.post(f"/api/v1/referrals/{crisis['id']}/events", headers=sender[1],
                           json={"event": "withdraw", "reason": "Patient admitted"})
    assert response.status_code == 200
    assert client.get(f"/referrals/{crisis['id']}").status_code == 404
    assert open_match(client, f"/referrals/{crisis['id']}/open-match").status_code == 404  # closed: not opened again


@pytest.mark.parametrize("who", ["crisis_clinician", "rehab_clinician", "admin", "manager"])
def test_only_those_who_enter_referrals_get_the_form_and_its_preview(client, login_as, who):
    sign_in(login_as, who)
    assert client.get("/referrals/new").status_code == 403
    assert client.post("/referrals/preview", data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_a_call_handler_is_not_offered_withdraw_and_cannot_post_it(client, login_as, db, crisis):
    sign_in(login_as, "call_handler")
    open_match(client, preview(client, GOOD)["duplicates"][0]["open_url"])  # shown the ambulance crew's and opened it
    page = html.unescape(client.get(f"/referrals/{crisis['id']}").get_data(as_text=True))
    assert 'value="withdraw"' not in page and "Withdraw" not in page
    assert 'value="add_information"' in page  # a further call's note is still theirs to add
    response = fire(client, crisis["id"], "withdraw", reason="Caller says so", version=crisis["version"])
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Referral, uuid.UUID(crisis["id"])).state == "offered"


def test_a_supervisor_withdraws_from_the_page_only_with_a_reason(client, login_as, db, crisis):
    sign_in(login_as, "supervisor")
    page = html.unescape(client.get(f"/referrals/{crisis['id']}").get_data(as_text=True))
    assert 'value="withdraw"' in page
    fire(client, crisis["id"], "withdraw", reason="", version=crisis["version"])
    db.session.expire_all()
    assert db.session.get(Referral, uuid.UUID(crisis["id"])).state == "offered"
    fire(client, crisis["id"], "withdraw", reason="Crew cancelled by phone", version=crisis["version"])
    db.session.expire_all()
    assert db.session.get(Referral, uuid.UUID(crisis["id"])).state == "withdrawn"


def test_admin_pages_are_the_admins_alone(client, login_as):
    sign_in(login_as, "supervisor")
    for path in ("/admin/users", "/admin/api-clients", "/admin/services"):
        assert client.get(path).status_code == 403
    assert client.post("/admin/users", data={"csrf_token": csrf_token(client, "/")}).status_code == 403


def test_the_policy_and_the_list_filter_agree(db, crisis, make_api_client):
    """may_read for one row is the list filter run for that row: the two cannot drift."""
    referral = db.session.get(Referral, uuid.UUID(crisis["id"]))
    other, _ = make_api_client()
    service_system, _ = make_api_client(sources=None, service="crisis_response")
    actors = [Actor.for_client(other), Actor.for_client(service_system), Actor.system(),
              Actor(kind="user", id=1, name="x", role="admin")]
    assert [access.may_read(a, referral) for a in actors] == [False, True, True, False]
    for actor in actors:
        listed = db.session.query(Referral).filter(access.readable(actor)).count() == 1
        assert listed == access.may_read(actor, referral)


