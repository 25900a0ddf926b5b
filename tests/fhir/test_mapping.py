"""What a BaRS message becomes: the same referral the JSON API would create,
decided by the same rules (the adapter produces facts; the policy decides)."""
from datetime import UTC

import pytest

from spoa.extensions import db as database
from spoa.models import FhirMessage, Referral

from .conftest import JSON_TYPE, XML_TYPE, own_message, resource

BOTH = pytest.mark.parametrize("fmt", [JSON_TYPE, XML_TYPE])


def only_referral() -> Referral:
    return database.session.scalars(database.select(Referral)).one()


def test_the_example_maps_patient_referrer_triage_flags_and_text(post, bundle, db):
    response = post(bundle, request_id="0b7a3b7e-1f0e-4f61-9d6c-4e7a0b9f1a11")
    assert response.status_code == 200
    r = only_referral()
    p = r.patient
    assert (p["given_name"], p["family_name"], str(p["date_of_birth"])) == ("Julie", "Jones", "1959-05-04")
    assert p["postcode"] == "LS10 4YU" and p["sex"] == "female" and p["gp_practice_ods"] == "G82080"
    assert p["lives_alone"] is True  # the LivesAlone observation
    # The example's number fails its check digit: kept as reported, marked unverified,
    # and the emergency row still fires first.
    assert r.nhs_number == "3478526985" and r.nhs_number_check_failed and r.route == "emergency_redirect"
    assert r.referrer["name"] == "Marcy BLAKE" and r.referrer["organisation"] == "Practitioner Org"
    assert r.referrer["role"] == "Administrative healthcare staff" and r.referrer["phone"] == "0205568263"
    for shown in ("Safeguarding concern: Child at risk", "Reasonable adjustment: Adjust for needle phobia",
                  "Patient Reported Symptoms: Chest pain on and off", "Symptom group 1010: Allergic Reaction",
                  "Symptom discriminator 4389", "Pathway PA21"):
        assert shown in r.description
    assert r.consent is True  # the active Consent resource
    assert r.source_reference == "0b7a3b7e-1f0e-4f61-9d6c-4e7a0b9f1a11"


def test_receipt_is_when_spoa_received_it_and_authored_on_is_kept(post, bundle, db, frozen_now):
    from datetime import datetime

    at = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    frozen_now(at)
    post(bundle)
    r = only_referral()
    assert r.received_at == at  # not the 2021 authoredOn
    message = database.session.scalars(database.select(FhirMessage)).one()
    assert message.authored_on == "2021-10-13T16:28:00+07:00"


def test_the_message_is_kept_as_received_with_its_reply_details(post, bundle, db):
    import json

    raw = json.dumps(bundle, indent=3).encode()
    post(raw, request_id="9b2f6f0e-5b1c-4a87-a7a5-4a1f3a8f0c01", correlation_id="1d5a0f5e-3c2b-4b8e-9c1d-0e6f7a8b9c02")
    message = database.session.scalars(database.select(FhirMessage)).one()
    assert message.body == raw and message.content_type == JSON_TYPE
    assert message.bundle_id == "79120f41-a431-4f08-bcc5-1e67006fcae0"
    assert message.source_endpoint == "http://fhir.nhs.uk/Id/dos-service-id:2222222222"
    assert (message.request_id, message.correlation_id) == (
        "9b2f6f0e-5b1c-4a87-a7a5-4a1f3a8f0c01", "1d5a0f5e-3c2b-4b8e-9c1d-0e6f7a8b9c02")
    assert message.event == "servicerequest-request" and message.reason == "new"
    assert message.referral_id == only_referral().id


@BOTH
def test_nhs_number_failing_its_check_digit_is_kept_and_goes_to_a_supervisor(post, fmt, db):
    response = post(own_message(nhs_number="9434765918"), fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    r = only_referral()
    assert r.nhs_number == "9434765918" and r.nhs_number_check_failed
    assert r.route == "supervisor_review" and r.decisions[0].rule_id == "identity-unverified"


def test_an_emergency_disposition_outranks_an_unverified_nhs_number(post, db):
    assert post(own_message(nhs_number="9434765918", dx="DX02")).status_code == 200
    r = only_referral()
    assert r.nhs_number_check_failed and r.route == "emergency_redirect"


@BOTH
@pytest.mark.parametrize("code,need", [("1912002", "fall_no_injury"), ("2776000", "confusion_delirium"),
                                       ("999999999", "other")])
def test_presenting_complaint_snomed_code_maps_to_a_need_unmapped_is_other(post, fmt, code, need, db):
    response = post(own_message(conditions=[(code, "Fell at home")]), fmt=fmt)
    assert response.status_code == 200, response.get_data(as_text=True)
    r = only_referral()
    assert r.presenting_need == need
    assert "Presenting complaint: Fell at home" in r.description


def test_a_red_flag_code_is_a_fact_the_rules_act_on(post, db):
    post(own_message(conditions=[("29857009", "Chest pain")]))
    r = only_referral()
    assert r.red_flags == ["chest_pain"] and r.route == "emergency_redirect"


@pytest.mark.parametrize("dx", ["Dx02", "DX02", "dx02"])
def test_disposition_code_case_does_not_matter(post, dx, db):
    post(own_message(dx=dx))
    assert only_referral().pathways_disposition == "Dx02"


def test_an_active_careplan_is_accepted(post, db):
    assert post(own_message(careplan_status="active")).status_code == 200


@pytest.fixture
def ambulance(make_api_client):
    return make_api_client(sources=["emas"])[1]


@BOTH
@pytest.mark.parametrize("code", ["C3", "Cat3", "3"])
def test_an_ambulance_arp_category_is_read(post, ambulance, fmt, code, db):
    response = post(own_message(arp=code), fmt=fmt, token=ambulance)
    assert response.status_code == 200, response.get_data(as_text=True)
    r = only_referral()
    assert r.source == "emas" and r.emas_category == 3


def test_an_ambulance_message_without_a_category_is_taken_with_it_unknown(post, ambulance, db):
    response = post(own_message(), token=ambulance)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert only_referral().emas_category is None


def test_news2_observation_is_recorded(post, db):
    news2 = {"resourceType": "Observation", "status": "final", "valueInteger": 7,
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1104051000000101"}]}}
    post(own_message(extra=[news2]))
    r = only_referral()
    assert r.observations == {"news2": 7} and r.route == "emergency_redirect"


@pytest.mark.parametrize("version", ["1.0.0", "1.4.0", "1.5.0-beta.2", None])
def test_every_1x_bars_version_is_accepted(post, version, db):
    assert post(own_message(version=version)).status_code == 200


def test_example_gp_is_own_message_patient(post, db):
    message = own_message()
    post(message)
    assert only_referral().patient["gp_practice_ods"] == "K83001"
    assert resource(message, "Patient")["name"][0]["family"] == only_referral().patient["family_name"]
