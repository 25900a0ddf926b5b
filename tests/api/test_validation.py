"""Every rule of the intake contract: a 422 whose errors name the field, and nothing stored."""
import pytest

from spoa.models import Referral
from tests.support.data.referral_data import full_view


def _set(body, path, value):
    keys = path.split(".")
    target = body
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    if value is _DELETE:
        target.pop(keys[-1], None)
    else:
        target[keys[-1]] = value


class _Deleted:
    """The field left out (a named sentinel: test ids must read the same in every process)."""

    def __repr__(self):
        return "<left out>"


_DELETE = _Deleted()

CASES = [
    ("source", "ambulance", "source"),
    ("source", _DELETE, "source"),
    ("source_reference", "", "source_reference"),
    ("source_reference", "x" * 65, "source_reference"),
    ("source_reference", "tab\there", "source_reference"),
    ("source_reference", 12345, "source_reference"),
    ("emas_category", _DELETE, "emas_category"),
    ("emas_category", 1, "emas_category"),
    ("emas_category", 6, "emas_category"),
    ("emas_category", "4", "emas_category"),
    ("emas_category", True, "emas_category"),
    ("patient", _DELETE, "patient"),
    ("patient.nhs_number", "9434765918", "patient.nhs_number"),
    ("patient.nhs_number", "943476591", "patient.nhs_number"),
    ("patient.nhs_number", 9434765919, "patient.nhs_number"),
    ("patient.date_of_birth", "2999-01-01", "patient.date_of_birth"),
    ("patient.date_of_birth", "14/03/1938", "patient.date_of_birth"),
    ("patient.date_of_birth", _DELETE, "patient.date_of_birth"),
    ("patient.postcode", "NN1 5CD", "patient.postcode"),
    ("patient.postcode", "QQ1 5BD", "patient.postcode"),
    ("patient.postcode", _DELETE, "patient.postcode"),
    ("patient.given_name", "", "patient.given_name"),
    ("patient.given_name", "   ", "patient.given_name"),
    ("patient.family_name", "x" * 101, "patient.family_name"),
    ("patient.sex", "f", "patient.sex"),
    ("patient.lives_alone", "yes", "patient.lives_alone"),
    ("patient.middle_name", "Augusta", "patient.middle_name"),
    ("presenting_need", "broken_hip", "presenting_need"),
    ("presenting_need", _DELETE, "presenting_need"),
    ("pathways_disposition", "D02", "pathways_disposition"),
    ("pathways_disposition", "Dx12345", "pathways_disposition"),
    ("red_flags", ["chest_pain", "bad_vibes"], "red_flags.1"),
    ("red_flags", "chest_pain", "red_flags"),
    ("red_flags", ["chest_pain", "chest_pain"], "red_flags"),
    ("observations.news2", 21, "observations.news2"),
    ("observations.news2", 4.5, "observations.news2"),
    ("observations.clinical_frailty_scale", 0, "observations.clinical_frailty_scale"),
    ("mental_health.risk", "severe", "mental_health.risk"),
    ("mental_health.suicidal_ideation", "no", "mental_health.suicidal_ideation"),
    ("function.medically_stable", 1, "function.medically_stable"),
    ("function.walks", True, "function.walks"),
    ("consent", _DELETE, "consent"),
    ("consent", "yes", "consent"),
    ("recieved_at", "2026-11-22T09:41:00Z", "recieved_at"),
    ("received_at", "yesterday", "received_at"),
]


@pytest.mark.parametrize("path,value,error_path", CASES, ids=[f"{c[0]}={c[1]!r}"[:60] for c in CASES])
def test_each_contract_rule_is_a_422_naming_the_field(client, sender, payload, db, path, value, error_path):
    _, headers = sender
    body = payload()
    _set(body, path, value)
    response = client.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"] and problem["type"]
    assert error_path in problem["errors"], problem["errors"]
    assert all(isinstance(m, str) and m for m in problem["errors"][error_path])
    assert db.session.query(Referral).count() == 0


def test_a_referral_wrong_in_many_places_names_every_field(client, sender, payload):
    _, headers = sender
    body = payload(source="x", presenting_need="y", consent="maybe")
    body["patient"]["postcode"] = "nope"
    errors = client.post("/api/v1/referrals", json=body, headers=headers).get_json()["errors"]
    assert {"source", "presenting_need", "consent", "patient.postcode"} <= set(errors)


def test_an_unknown_patient_without_nhs_number_is_accepted(client, sender, payload):
    _, headers = sender
    body = payload()
    del body["patient"]["nhs_number"]
    response = client.post("/api/v1/referrals", json=body, headers=headers)
    assert response.status_code == 201
    assert full_view(response.get_json()["id"])["patient"]["nhs_number"] is None
