"""BaRS referral messages of our own (not the standard's example), for the tests
and the benchmark (bench/load.py): no pytest here."""
import uuid

SPOA_DOS_ID = "111111111"  # the shared example's destination (dos-service-id:111111111)


def own_message(*, dx="Dx05", nhs_number="9434765919", birth_date="1941-03-02", postcode="NN1 5BD",
                conditions=(), arp=None, extra=(), careplan_status="completed", reason="new",
                version="1.2.0") -> dict:
    """A small BaRS referral of our own (not the standard's example): 111 to SPOA."""
    ids = {k: f"urn:uuid:{uuid.uuid4()}" for k in ("mh", "sr", "pt", "cp", "enc", "org", "gp", "prac")}
    encounter = {"resourceType": "Encounter", "status": "finished",
                 "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
                 "subject": {"reference": ids["pt"]}}
    if arp:
        encounter["priority"] = {"coding": [{
            "system": "https://fhir.nhs.uk/CodeSystem/ambulance-response-programme-category", "code": arp}]}
    outcomes = [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/pathways-sg-codes", "code": "SG1011",
                             "display": "Ankle or foot injury, blunt"}]}]
    if dx:
        outcomes.append({"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/pathways-dx-codes", "code": dx,
                                     "display": "Speak to a clinician"}]})
    patient = {"resourceType": "Patient",
               "name": [{"use": "official", "family": "Okafor", "given": ["Ada"]}],
               "gender": "female", "birthDate": birth_date,
               "address": [{"use": "home", "line": ["1 Abington Street"], "city": "Northampton",
                            "postalCode": postcode}],
               "telecom": [{"system": "phone", "value": "01604 123456"}],
               "generalPractitioner": [{"reference": ids["gp"]}]}
    if nhs_number is not None:
        patient["identifier"] = [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs_number}]
    entries = [
        {"fullUrl": ids["mh"], "resource": {
            "resourceType": "MessageHeader",
            "eventCoding": {"system": "https://fhir.nhs.uk/CodeSystem/message-events-bars",
                            "code": "servicerequest-request"},
            "destination": [{"endpoint": f"https://fhir.nhs.uk/Id/dos-service-id|{SPOA_DOS_ID}",
                             "receiver": {"reference": ids["org"]}}],
            "sender": {"reference": ids["org"]},
            "source": {"endpoint": "https://fhir.nhs.uk/Id/dos-service-id|2222222222", "software": "tests"},
            "reason": {"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/message-reason-bars", "code": reason}]},
            "focus": [{"reference": ids["sr"]}]}},
        {"fullUrl": ids["sr"], "resource": {
            "resourceType": "ServiceRequest", "status": "active", "intent": "plan",
            "category": [{"coding": [{"system": "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest",
                                      "code": "referral"}]}],
            "subject": {"reference": ids["pt"]}, "encounter": {"reference": ids["enc"]},
            "basedOn": [{"reference": ids["cp"]}], "requester": {"reference": ids["prac"]},
            "authoredOn": "2026-11-30T09:14:00+00:00"}},
        {"fullUrl": ids["pt"], "resource": patient},
        {"fullUrl": ids["enc"], "resource": encounter},
        {"fullUrl": ids["cp"], "resource": {
            "resourceType": "CarePlan", "status": careplan_status, "intent": "plan",
            "subject": {"reference": ids["pt"]}, "activity": [{"outcomeCodeableConcept": outcomes}]}},
        {"fullUrl": ids["org"], "resource": {"resourceType": "Organization", "name": "SPOA"}},
        {"fullUrl": ids["gp"], "resource": {
            "resourceType": "Organization", "name": "Abington Surgery",
            "identifier": [{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "K83001"}]}},
        {"fullUrl": ids["prac"], "resource": {
            "resourceType": "Practitioner", "name": [{"family": "Shah", "given": ["Priya"]}],
            "telecom": [{"system": "phone", "value": "0300 111 2222"}]}},
    ]
    for code, text in conditions:
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
            "resourceType": "Condition", "subject": {"reference": ids["pt"]},
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "33962009"}]}],
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}], "text": text}}})
    for extra_resource in extra:
        entries.append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": extra_resource})
    bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "message",
              "timestamp": "2026-11-30T09:15:00+00:00", "entry": entries}
    if version:
        bundle["meta"] = {"versionId": version}
    return bundle
