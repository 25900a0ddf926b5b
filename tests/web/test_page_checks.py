"""Every staff page asks the access policy through one decorator (web/roles.py:
allowed): refused with 403, or with 404 where a page hides that it is there."""
import pytest


@pytest.mark.parametrize("role, path, status", [
    ("call_handler", "/queue", 403),
    ("clinician", "/queue/events", 403),
    ("ward", "/handover", 403),
    ("supervisor", "/admin/users", 403),
    ("ward", "/reports", 403),
    ("manager", "/reports/extract.csv", 403),
    ("call_handler", "/worklist", 403),
    ("clinician", "/ward", 403),
    ("clinician", "/referrals/new", 403),
    ("ward", "/rota", 404),  # the rota is no business of a ward's: as if there were no such page
    ("manager", "/rota", 404),
])
def test_a_page_refuses_those_the_policy_does_not_allow(client, login_as, role, path, status):
    login_as(role, service="crisis_response" if role == "clinician" else None,
             hospital="RNS01" if role == "ward" else None)
    assert client.get(path).status_code == status


@pytest.mark.parametrize("role, path", [("supervisor", "/queue"), ("supervisor", "/handover"),
                                        ("admin", "/admin/users"), ("manager", "/reports"),
                                        ("clinician", "/worklist"), ("ward", "/ward"),
                                        ("call_handler", "/referrals/new"), ("clinician", "/rota")])
def test_a_page_answers_those_it_is_for(client, login_as, role, path):
    login_as(role, service="crisis_response" if role == "clinician" else None,
             hospital="RNS01" if role == "ward" else None)
    assert client.get(path).status_code == 200


def test_a_clinician_is_refused_another_services_worklist(client, login_as):
    login_as("clinician", service="crisis_response")
    assert client.get("/worklist?service=home_rehab").status_code == 403
    assert client.get("/worklist?service=crisis_response").status_code == 200


@pytest.mark.parametrize("role", ["call_handler", "clinician", "ward", "supervisor", "admin", "manager", "analyst"])
def test_every_link_the_home_page_offers_answers_that_person(client, login_as, db, role):
    import re

    from spoa.models import Service

    db.session.add(Service(code="crisis_response", name="Crisis response"))  # the clinician's capacity page
    db.session.commit()
    login_as(role, service="crisis_response" if role == "clinician" else None,
             hospital="RNS01" if role == "ward" else None)
    links = re.findall(r'class="nav-list__link" href="([^"]+)"', client.get("/").get_data(as_text=True))
    assert links
    for link in links:
        assert client.get(link).status_code == 200, link
