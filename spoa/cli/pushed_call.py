"""A 999 call the ambulance service pushes (BaRS Application 4, use case a4t3), for the
demo and for trying the receiver by hand: the public example (docs/examples/, BaRS API
1.4.0's ValidationRequest, MIT) made current.

What changes from the example: a new Bundle.id; SPOA's own DoS id as the destination;
the call's clock (occurrencePeriod: started ten minutes ago, breach time BREACH_IN from
now) and its lastUpdated; where the patient is (Northampton, in the demo's area, where
the example's Leeds is outside it); and what happened, a fall without injury (a SNOMED
presenting complaint, as a GP's message carries it: the example names none, so the rules
would send it to a supervisor to route). Everything else is the example as published.
"""
import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "validation-request_999-to-CAS_api-1.4.0.json"
BREACH_IN = timedelta(minutes=25)
STARTED = timedelta(minutes=10)  # the 999 clock started this long before the push
WHERE = {"line": ["12 Abington Square"], "city": "Northampton", "postalCode": "NN1 5BD"}
FALL = {"system": "http://snomed.info/sct", "code": "1912002", "display": "Fall"}
PRESENTING_COMPLAINT = {"system": "http://snomed.info/sct", "code": "33962009"}  # the category the adapter reads


def _resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def message(dos_service_id: str, at: datetime) -> dict:
    bundle = json.loads(EXAMPLE.read_text())
    stamp = at.isoformat(timespec="seconds")
    bundle["id"] = str(uuid.uuid4())
    bundle["meta"]["lastUpdated"] = bundle["timestamp"] = stamp
    header = _resources(bundle, "MessageHeader")[0]
    system = header["destination"][0]["endpoint"].split("|")[0]
    header["destination"][0]["endpoint"] = f"{system}|{dos_service_id}"
    request = _resources(bundle, "ServiceRequest")[0]
    request["meta"]["lastUpdated"] = stamp
    request["occurrencePeriod"] = {"start": (at - STARTED).isoformat(timespec="seconds"),
                                   "end": (at + BREACH_IN).isoformat(timespec="seconds")}
    for patient in _resources(bundle, "Patient"):
        for address in patient.get("address", []):
            address.update(WHERE, text=f"{WHERE['line'][0]}, {WHERE['city']}, {WHERE['postalCode']}")
            address.pop("district", None)
    for location in _resources(bundle, "Location"):
        location["name"] = "Abington Park, by the bandstand"
        location["address"] = {**WHERE, "country": "UK"}
    patient_url = request["subject"]["reference"]
    bundle["entry"].append({"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": {
        "resourceType": "Condition", "subject": {"reference": patient_url},
        "category": [{"coding": [PRESENTING_COMPLAINT]}], "code": {"coding": [FALL], "text": "Fall, no injury"}}})
    return bundle


def curl_lines(base_url: str, token: str, path: str) -> list[str]:
    """How to post one by hand: a fresh X-Request-ID each time (BaRS de-duplicates on it)."""
    new_id = "$(python3 -c 'import uuid; print(uuid.uuid4())')"
    return [f"curl -sS -X POST '{base_url}/fhir/$process-message' \\",
            f"  -H 'Authorization: Bearer {token}' -H 'Content-Type: application/fhir+json' \\",
            f"  -H \"X-Request-ID: {new_id}\" -H \"X-Correlation-ID: {new_id}\" \\",
            f"  --data-binary @{path}"]
