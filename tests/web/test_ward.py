"""The ward's own view: a ward user reads its hospital's discharges and nothing
else, on every page that shows referrals; a refused read is a 404, recorded."""
import html
import uuid
from datetime import UTC, timedelta

import pytest

from spoa.models import Referral
from spoa.platform.timekeeping import now
from tests.support.data.ward_data import NEEDS_P2, post_discharge
from tests.support.referral_pages import fire, refusals
from tests.support.signing_in import csrf_token

pytestmark = pytest.mark.both_databases


@pytest.fixture
def discharges(client, hospital_sender, make_api_client, sender, payload, db):
    """RNS01's two discharges (one delayed two days; one ready today, P2 where the
    ward proposed P1), RYY01's one (from its own system), and an ambulance's referral."""
    _, token = make_api_client(sources=("acute",), hospital="RYY01", name="kgh-epr")
    community = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    return {
        "ours_delayed": post_discharge(client, hospital_sender[1], drd_in_days=-2, ward="Talbot Butler"),
        "ours_today": post_discharge(client, hospital_sender[1], ward="Becket", needs=NEEDS_P2),
        "theirs": post_discharge(client, {"Authorization": f"Bearer {token}"}, hospital="RYY01", ward="Elsewhere"),
        "community": db.session.get(Referral, uuid.UUID(community["id"])),
    }


@pytest.fixture
def ward_user(login_as):
    return login_as("ward", hospital="RNS01", username="wendy")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_ward_user_lands_on_their_patients_awaiting_discharge(client, login_as, db):
    from spoa.models import User
    from tests.support.people import PASSWORD

    user = User(username="wendy", role="ward", hospital_ods="RNS01")
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    response = client.post("/login", data={"username": "wendy", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/ward"
    home = page_text(client.get("/"))
    assert 'href="/ward"' in home and "Our patients awaiting discharge" in home


def test_the_ward_list_shows_its_hospitals_discharges_soonest_ready_date_first(client, ward_user, discharges):
    page = page_text(client.get("/ward"))
    ours_delayed, ours_today = discharges["ours_delayed"].reference, discharges["ours_today"].reference
    assert "Our patients awaiting discharge" in page
    assert page.index(ours_delayed) < page.index(ours_today)
    assert "Delayed 2 days" in page and "Ready today" in page
    assert "Ada Lovelace" in page and "Talbot Butler" in page and "Becket" in page
    assert "Ward proposed P1, needs say P2" in page  # ours_today: reached P2
    assert discharges["theirs"].reference not in page and discharges["community"].reference not in page


@pytest.mark.parametrize("which", ["ours_delayed", "ours_today"])
def test_a_ward_user_reads_their_hospitals_discharge(client, ward_user, discharges, db, which):
    referral = discharges[which]
    response = client.get(f"/referrals/{referral.id}")
    assert response.status_code == 200
    assert refusals(db, referral.id) == []


@pytest.mark.parametrize("which", ["theirs", "community"])
def test_a_ward_user_may_not_read_another_hospitals_or_a_community_referral(client, ward_user, discharges, db,
                                                                            which):
    referral = discharges[which]
    response = client.get(f"/referrals/{referral.id}")
    assert response.status_code == 404 and referral.reference not in response.get_data(as_text=True)
    assert refusals(db, referral.id) == [("wendy", "page")]
    assert fire(client, referral.id, "add_information", reason="x", version=referral.version).status_code == 404
    assert refusals(db, referral.id) == [("wendy", "page"), ("wendy", "action")]


def test_a_ward_user_with_no_hospital_sees_nothing(client, login_as, discharges, db):
    login_as("ward", username="nobody")
    page = page_text(client.get("/ward"))
    assert "Your account has no hospital" in page
    for referral in discharges.values():
        assert referral.reference not in page
        assert client.get(f"/referrals/{referral.id}").status_code == 404


def test_a_ward_user_has_no_worklist_queue_form_or_administration(client, ward_user, discharges):
    for path in ("/worklist", "/queue", "/queue/events", "/referrals/new", "/admin/users", "/admin/api-clients"):
        assert client.get(path).status_code == 403, path
    assert client.get(f"/queue/referrals/{discharges['ours_today'].id}/actions").status_code == 403


def test_the_ward_list_is_not_for_clinicians_call_handlers_or_admins(client, login_as):
    for role, service in (("clinician", "home_rehab"), ("call_handler", None), ("admin", None)):
        login_as(role, service=service, username=role)
        assert client.get("/ward").status_code == 403, role
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_a_supervisor_sees_every_hospitals_discharges_or_one_hospitals(client, login_as, discharges):
    login_as("supervisor")
    every = page_text(client.get("/ward"))
    assert all(discharges[k].reference in every for k in ("ours_delayed", "ours_today", "theirs"))
    assert discharges["community"].reference not in every
    one = page_text(client.get("/ward?hospital=ryy01"))
    assert discharges["theirs"].reference in one and discharges["ours_today"].reference not in one


@pytest.mark.parametrize("asked", ["R", "RNS 01", "x" * 50])
def test_a_supervisors_hospital_that_is_no_code_is_said_beside_the_box(client, login_as, discharges, asked):
    login_as("supervisor")
    response = client.get("/ward", query_string={"hospital": asked})
    page = page_text(response)
    assert response.status_code == 422 and 'id="hospital-error"' in page and "An ODS code is 3 to 6" in page
    assert discharges["ours_today"].reference not in page


def test_discharged_patients_are_listed_apart_with_their_delay(client, ward_user, discharges, db):
    left = discharges["ours_delayed"]
    left.discharged_at = now()  # today in UK time whatever the hour (an hour ago is yesterday just after midnight)
    long_ago = discharges["ours_today"]
    long_ago.discharged_at = now() - timedelta(days=8)
    db.session.commit()
    page = page_text(client.get("/ward"))
    awaiting, _, recently = page.partition("Discharged in the last 7 days")
    assert left.reference not in awaiting and left.reference in recently
    assert "Left 2 days after the ready date" in recently
    assert long_ago.reference not in page


def test_the_referral_page_shows_the_discharge_in_plain_english(client, ward_user, discharges):
    page = page_text(client.get(f"/referrals/{discharges['ours_today'].id}"))
    section = page[page.index("Hospital discharge"):page.index("Clocks")]
    for words in ("Northampton General Hospital (RNS01)", "Becket", "Ready today", "Needs one carer",
                  "Needs help with personal care</dt><dd>Yes", "Needs two carers</dt><dd>No",
                  "Concern about memory or thinking</dt><dd>Not known",
                  "Commode, grab rail", "Paused (active before admission, on hold)", "Own home",
                  "Wants to go home to her cat.", "Ben Lovelace (son), 07700 900000",
                  "P2: Bed-based rehabilitation", "Ward proposed P1, needs say P2"):
        assert words in section, words


def test_a_community_referrals_page_has_no_discharge_section(client, login_as, discharges):
    login_as("supervisor")
    assert "Hospital discharge" not in page_text(client.get(f"/referrals/{discharges['community'].id}"))


def test_the_ward_page_costs_the_same_queries_for_two_discharges_or_six(client, login_as, hospital_sender, db):
    """A supervisor's list offers "acknowledge escalation" by each row's clocks, and
    "record a delay" by its delayed days: loaded for the list, never a query a row."""
    from tests.support.statements import statements

    login_as("supervisor")

    def queries():
        with statements(db.engine) as seen:
            assert client.get("/ward").status_code == 200
        return len(seen)

    for _ in range(2):
        post_discharge(client, hospital_sender[1], drd_in_days=-2)
    few = queries()
    for _ in range(4):
        post_discharge(client, hospital_sender[1], drd_in_days=-2)
    assert queries() == few


def test_where_a_discharge_stands_turns_delayed_the_day_after_its_ready_date():
    from datetime import date, datetime

    from spoa.domain.discharge_days import standing

    today = date(2026, 11, 24)
    assert standing(None, today, today) == "ready"
    assert standing(None, date(2026, 11, 25), today) == "ready"
    assert standing(None, date(2026, 11, 23), today) == "delayed"
    assert standing(None, None, today) == "withdrawn"
    assert standing(datetime(2026, 11, 24, 9, tzinfo=UTC), date(2026, 11, 20), today) == "discharged"


def test_the_worklist_costs_the_same_queries_for_two_delayed_discharges_or_six(client, login_as, hospital_sender, db):
    """A supervisor's worklist offers "record a delay" by each discharge's delayed days:
    loaded with the list, never a query a row."""
    from tests.support.statements import statements

    login_as("supervisor")

    def queries():
        with statements(db.engine) as seen:
            page = client.get("/worklist")
            assert page.status_code == 200 and "Record today's delay reason" in page_text(page)
        return len(seen)

    for _ in range(2):
        post_discharge(client, hospital_sender[1], drd_in_days=-2)
    few = queries()
    for _ in range(4):
        post_discharge(client, hospital_sender[1], drd_in_days=-2)
    assert queries() == few
