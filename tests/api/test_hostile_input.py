"""Input that cannot hurt: what a sender can send gets a
definite 4xx in problem+json, never a 500, and nothing that would defeat the
duplicate check or display as something it is not is stored as sent."""
import uuid

import pytest

from spoa.models import Referral
from spoa.schemas.intake import IntakeSchema
from spoa.services.duplicates import open_duplicates
from tests.support.data.referral_data import full_view

URL = "/api/v1/referrals"
ARABIC_NHS = "٩٤٣٤٧٦٥٩١٩"       # 9434765919 in Arabic-Indic digits: int() takes it
FULLWIDTH_NHS = "９４３４７６５９１９"  # and in full-width digits


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def _created(client, headers, payload, **patient):
    body = payload()
    body["patient"].update(patient)
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_json_nested_thousands_deep_is_a_400(client, sender):
    _, headers = sender
    for deep in ("[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000):
        response = client.post(URL, data=deep, headers={**headers, "Content-Type": "application/json"})
        assert "nested too deeply" in _problem(response, 400)["detail"]


def test_a_deep_value_inside_a_referral_is_a_422_naming_the_field(client, sender, payload):
    _, headers = sender
    body = payload()
    deep = 1
    for _ in range(800):
        deep = [deep]
    body["patient"]["given_name"] = deep
    assert "patient.given_name" in _problem(client.post(URL, json=body, headers=headers), 422)["errors"]


@pytest.mark.parametrize("if_match", ['"' + "9" * 5000 + '"', "9" * 5000, '"²"', "٣", 'W/"³"', "1e3", "-1"])
def test_an_if_match_that_is_not_a_version_is_a_400(client, sender, payload, if_match):
    _, headers = sender
    referral = client.post(URL, json=payload(), headers=headers).get_json()
    response = client.post(f"{URL}/{referral['id']}/events", json={"event": "withdraw", "reason": "x"},
                           headers={**headers, "If-Match": if_match})
    assert "If-Match" in _problem(response, 400)["detail"]


@pytest.mark.parametrize("query, field", [
    ({"page": str(10**30)}, "page"), ({"page": "9" * 5000}, "page"), ({"per_page": "9" * 5000}, "per_page"),
    ({"page": "٣"}, "page"), ({"page": "²"}, "page"), ({"per_page": "1e2"}, "per_page"),
    ({"since": "0001-01-01T00:00:00+05:00"}, "since"), ({"since": "٢٠٢٦-١١-٢٣T13:00:00Z"}, "since"),
])
def test_a_list_query_out_of_range_is_a_422(client, sender, query, field):
    _, headers = sender
    assert field in _problem(client.get(URL, query_string=query, headers=headers), 422)["errors"]


def test_the_largest_page_answers_an_empty_list(client, sender):
    _, headers = sender
    response = client.get(URL, query_string={"page": "100000", "per_page": "200"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["items"] == []


@pytest.mark.parametrize("where", ["route=a%00b", "source=%00", "state=offered%00", "%00=1"])
def test_a_nul_in_the_query_string_is_a_400(client, sender, where):
    _, headers = sender
    assert "NUL" in _problem(client.get(f"{URL}?{where}", headers=headers), 400)["detail"]


def test_a_nul_in_the_path_is_a_400(client, make_api_client):
    _, token = make_api_client(sources=None, service="crisis_response")
    response = client.put("/api/v1/services/crisis%00/capacity", json={"total": 1, "in_use": 0},
                          headers={"Authorization": f"Bearer {token}"})
    assert "NUL" in _problem(response, 400)["detail"]


@pytest.mark.parametrize("nhs_number", [ARABIC_NHS, FULLWIDTH_NHS, "943 476 ٥٩١٩"])
def test_an_nhs_number_in_other_digits_is_refused(client, sender, payload, nhs_number):
    _, headers = sender
    body = payload()
    body["patient"]["nhs_number"] = nhs_number
    errors = _problem(client.post(URL, json=body, headers=headers), 422)["errors"]
    assert "10 digits" in errors["patient.nhs_number"][0]


@pytest.mark.parametrize("path, value", [
    ("patient.date_of_birth", "١٩٣٨-٠٣-١٤"), ("emas_category", "٤"), ("observations.news2", "²"),
    ("pathways_disposition", "Dx٠٥"), ("received_at", "٢٠٢٦-١١-٢٣T13:00:00Z"),
])
def test_numbers_and_dates_take_ascii_digits_only(client, sender, payload, path, value):
    _, headers = sender
    body = payload()
    *parents, leaf = path.split(".")
    target = body
    for key in parents:
        target = target.setdefault(key, {})
    target[leaf] = value
    assert path in _problem(client.post(URL, json=body, headers=headers), 422)["errors"]


@pytest.mark.parametrize("name", ["\u202eecilA", "Ada\u2066", "A\u200fda", "Ada\u200b", "Ada\x00", "Ada\x1b[2J",
                                  "Ada\nLovelace"])
def test_a_name_with_control_or_direction_characters_is_refused(client, sender, payload, db, name):
    _, headers = sender
    body = payload()
    body["patient"]["given_name"] = name
    errors = _problem(client.post(URL, json=body, headers=headers), 422)["errors"]
    assert "invisible" in errors["patient.given_name"][0]
    assert db.session.query(Referral).count() == 0


def test_names_are_trimmed_and_nfc_normalised(client, sender, payload):
    _, headers = sender
    data = full_view(_created(client, headers, payload, given_name="  E\u0301mile ", family_name="Zola\t")["id"])
    assert data["patient"]["given_name"] == "\u00c9mile" and data["patient"]["family_name"] == "Zola"


def test_direction_controls_are_taken_out_of_free_text_and_a_nul_refused(client, sender, payload):
    _, headers = sender
    body = payload(description="Fell \u202eevoba\u202c at home, \u2067carer\u2069 present")
    body["patient"]["address"] = "1 Example St\u200e, Northampton"
    data = full_view(client.post(URL, json=body, headers=headers).get_json()["id"])
    assert data["description"] == "Fell evoba at home, carer present"
    assert data["patient"]["address"] == "1 Example St, Northampton"
    nul = _problem(client.post(URL, json=payload(description="before\x00after"), headers=headers), 422)
    assert "control characters" in nul["errors"]["description"][0]


def test_an_event_reason_with_a_nul_is_a_422(client, sender, payload):
    _, headers = sender
    referral = client.post(URL, json=payload(), headers=headers).get_json()
    response = client.post(f"{URL}/{referral['id']}/events", json={"event": "withdraw", "reason": "a\x00b"},
                           headers=headers)
    assert "reason" in _problem(response, 422)["errors"]


def test_duplicate_names_match_whatever_their_case_on_either_database(client, sender, payload, db):
    """SQLite's lower() folds ASCII only: ÉMILE and émile must still be one person."""
    _, headers = sender
    stored = _created(client, headers, payload, nhs_number=None, given_name="ÉMILE", family_name="ZOLÀ")
    call = payload(source_reference=f"EMAS-{uuid.uuid4().hex[:8]}")
    call["patient"].update(nhs_number=None, given_name="émile", family_name="Zolà")
    found = open_duplicates(IntakeSchema().load(call))
    assert [str(r.id) for r in found] == [stored["id"]]
    decomposed = payload(source_reference=f"EMAS-{uuid.uuid4().hex[:8]}")
    decomposed["patient"].update(nhs_number=None, given_name="E\u0301mile", family_name="ZOLA\u0300")
    assert [str(r.id) for r in open_duplicates(IntakeSchema().load(decomposed))] == [stored["id"]]
    other = payload(source_reference=f"EMAS-{uuid.uuid4().hex[:8]}")
    other["patient"].update(nhs_number=None, given_name="Emile", family_name="Zola")  # no accents: not the same
    assert open_duplicates(IntakeSchema().load(other)) == []


def test_an_nhs_number_in_other_digits_cannot_slip_past_the_duplicate_check(client, sender, payload):
    _, headers = sender
    _created(client, headers, payload)  # 9434765919
    body = payload()
    body["patient"]["nhs_number"] = ARABIC_NHS
    assert client.post(URL, json=body, headers=headers).status_code == 422
