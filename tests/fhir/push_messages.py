"""999 calls pushed to SPOA (BaRS Application 4, use case a4t3) of our own, built on
messages.own_message: no pytest here."""
import uuid

from .messages import own_message

CATEGORY = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest"
USE_CASES = "https://fhir.nhs.uk/CodeSystem/usecases-categories-bars"
FLAGS = "https://fhir.nhs.uk/CodeSystem/flag-categories-bars"


def _entry(bundle: dict, kind: str) -> dict:
    return next(e for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def service_request(bundle: dict) -> dict:
    return _entry(bundle, "ServiceRequest")["resource"]


def service_request_id(bundle: dict) -> str:
    return _entry(bundle, "ServiceRequest")["fullUrl"].rsplit(":", 1)[-1]


def pushed_call(*, use_case="a4t3", breach="2026-11-30T09:35:00+00:00", last_updated="2026-11-30T09:15:00+00:00",
                nhs_number="9434765919", scene=("S", "The Scene is safe"), safeguarding=(), postcode="NN1 5BD",
                dx="Dx0122", case_number="AMB-5521", reason="new") -> dict:
    """A Category 3 fall pushed from the ambulance stack: the call's breach time, case
    number, scene safety, safeguarding flags, ranked contacts and where the patient is."""
    bundle = own_message(dx=dx, nhs_number=nhs_number, postcode=postcode, conditions=[("1912002", "Fall")],
                         careplan_status="active", reason=reason)
    header = bundle["entry"][0]["resource"]
    header["definition"] = "https://fhir.nhs.uk/MessageDefinition/bars-message-servicerequest-request-validation"
    header["source"]["endpoint"] = "https://fhir.nhs.uk/Id/dos-service-id|3333333333"
    sr = service_request(bundle)
    sr["category"] = [{"coding": [{"system": CATEGORY, "code": "validation"}]
                       + ([{"system": USE_CASES, "code": use_case}] if use_case else [])}]
    sr["meta"] = {"lastUpdated": last_updated}
    if breach:
        sr["occurrencePeriod"] = {"start": "2026-11-30T09:05:00+00:00", "end": breach}
    encounter = _entry(bundle, "Encounter")
    encounter["resource"].update(status="triaged", identifier=[
        {"system": "https://ambulance.example/Id/case-number", "value": case_number}],
        episodeOfCare=[{"reference": f"EpisodeOfCare/{uuid.uuid4()}"}])
    encounter["resource"]["priority"] = {"coding": [
        {"system": "https://fhir.nhs.uk/CodeSystem/arp-priority-code", "code": "C3"}]}
    patient = _entry(bundle, "Patient")["resource"]
    patient["contact"] = [
        {"extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactRank",
                        "valuePositiveInt": 2}],
         "relationship": [{"coding": [{"code": "N", "display": "Next-of-Kin"}]}],
         "name": {"family": "Okafor", "given": ["Chidi"]},
         "telecom": [{"system": "phone", "value": "07700 900123", "use": "mobile", "rank": 1}]},
        {"extension": [{"url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactRank",
                        "valuePositiveInt": 1}],
         "relationship": [{"coding": [{"code": "ONESELF", "display": "self"}]}],
         "telecom": [{"system": "phone", "value": "01604 555666", "use": "home", "rank": 2},
                     {"system": "phone", "value": "07700 900456", "use": "mobile", "rank": 1}]},
    ]
    location_url = f"urn:uuid:{uuid.uuid4()}"
    sr["locationReference"] = [{"reference": location_url}]
    bundle["entry"].append({"fullUrl": location_url, "resource": {
        "resourceType": "Location", "name": "Abington Park, by the bandstand",
        "address": {"line": ["Park Avenue South"], "city": "Northampton", "postalCode": postcode}}})
    if scene:
        bundle["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
            "resourceType": "Flag", "status": "active",
            "category": [{"coding": [{"system": FLAGS, "code": "SS", "display": "Scene Safety"}]}],
            "code": {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/scene-safety-codes-bars",
                                 "code": scene[0], "display": scene[1]}]},
            "subject": {"reference": location_url}}})
    for text in safeguarding:
        bundle["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
            "resourceType": "Flag", "status": "active",
            "category": [{"coding": [{"system": FLAGS, "code": "SG", "display": "Safeguarding"}]}],
            "code": {"text": text}, "subject": {"reference": _entry(bundle, "Patient")["fullUrl"]}}})
    return bundle


def change_of(bundle: dict, *, last_updated: str, status: str = "active", **service_request_changes) -> dict:
    """The same call or referral again, reason update: a later (or earlier) version."""
    import copy

    changed = copy.deepcopy(bundle)
    reason = changed["entry"][0]["resource"]["reason"]["coding"][0]
    reason["code"] = "update"
    sr = service_request(changed)
    sr["status"] = status
    sr["meta"] = {"lastUpdated": last_updated}
    sr.update(service_request_changes)
    return changed
