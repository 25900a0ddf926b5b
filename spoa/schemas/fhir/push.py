"""What a BaRS message says beyond the intake contract: which kind of request it is
(a referral, or a 999 call pushed for validation, BaRS Application 4), which version
of its sender's ServiceRequest it carries, and what the crew and the SPOA need at the
door (breach time, case number, scene safety, ranked contacts, location, safeguarding).

Reading only, as adapter.py: nothing here decides about the patient.
"""
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spoa.schemas.fhir.outcome import FhirError

CATEGORY_SYSTEM = "https://fhir.nhs.uk/CodeSystem/message-category-servicerequest"
USE_CASE_SYSTEM = "https://fhir.nhs.uk/CodeSystem/usecases-categories-bars"
FLAG_CATEGORIES = "https://fhir.nhs.uk/CodeSystem/flag-categories-bars"
VERIFICATION_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus"
CONTACT_RANK_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactRank"
REFERENCE_SYSTEM = "https://spoa.nhs.uk/Id/referral-reference"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
REFERRAL, VALIDATION = "referral", "validation"
# The Application 4 use cases (IG CodeSystem usecases-categories-bars). SPOA takes a4t3,
# "999 to Community Services (e.g. 2-hour UCR)"; a validation request naming none is
# taken as a4t3 (the API's own JSON example names none).
PUSH_USE_CASE = "a4t3"
USE_CASES = {"a4t1": "999 to CAS validation", "a4t2": "falls", PUSH_USE_CASE: "999 to Community Services",
             "a4t4": "UEC validation"}
CANCELLED = ("revoked", "entered-in-error")  # a ServiceRequest status that cancels the referral
TEXT_MAX, LIST_MAX = 200, 10


@dataclass
class Focus:
    """The message's header facts and its ServiceRequest, read before translating it."""
    reason: str | None
    kind: str                      # referral | pushed_call
    service_request_id: str | None  # the sender's id: ServiceRequest.id, else its fullUrl's uuid
    status: str | None
    last_updated: datetime | None  # ServiceRequest.meta.lastUpdated, else the Bundle's, else its timestamp
    sr_path: str


@dataclass
class CallDetails:
    """The columns a referral keeps of a message's details (models/referral.py)."""
    values: dict = field(default_factory=dict)


def _codes(concepts):
    for concept in concepts or []:
        for coding in getattr(concept, "coding", None) or []:
            if coding.code:
                yield coding


def kind_of(sr, path: str) -> str:
    """referral, or pushed_call for a validation request of use case a4t3 (or none);
    any other category or Application 4 use case is refused as the receiver's other refusals are."""
    categories = [c.code for c in _codes(sr.category) if c.system in (None, CATEGORY_SYSTEM)]
    if REFERRAL in categories:
        return "community"
    if VALIDATION not in categories:
        raise FhirError.one(400, "invariant", "ServiceRequest.category must be 'referral', or 'validation' for a "
                                              "999 call pushed to SPOA (BaRS Application 4, use case a4t3).",
                            f"{path}.category")
    use_cases = [c.code for c in _codes(sr.category) if c.system == USE_CASE_SYSTEM]
    other = [code for code in use_cases if code != PUSH_USE_CASE]
    if other and PUSH_USE_CASE not in use_cases:
        what = USE_CASES.get(other[0], "an unknown use case")
        raise FhirError.one(422, "not-supported", f"SPOA takes validation requests of use case {PUSH_USE_CASE} "
                                                  f"(999 to Community Services) only; {other[0][:20]!r} ({what}) "
                                                  "is not supported.", f"{path}.category")
    return "pushed_call"


def service_request_id(bundle, sr) -> str | None:
    """The sender's id for its ServiceRequest: its own id, or the uuid of its fullUrl."""
    if getattr(sr, "id", None):
        return str(sr.id)[:64]
    for entry in bundle.entry or []:
        if entry.resource is sr and entry.fullUrl:
            tail = entry.fullUrl.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            return tail[:64] or None
    return None


def aware_utc(value) -> datetime | None:
    """A FHIR instant or dateTime with its time, at whatever UTC offset it was written, in
    UTC; None for a bare date (no time to count from) or nothing."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return None


def _text(value, limit: int = TEXT_MAX) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _concept_text(concept) -> str | None:
    if concept is None:
        return None
    return _text(concept.text) or next((_text(c.display) or _text(c.code) for c in _codes([concept])), None)


def _name(name) -> str | None:
    if name is None:
        return None
    return _text(name.text) or _text(" ".join([*(g for g in name.given or [] if isinstance(g, str)),
                                               *([name.family] if isinstance(name.family, str) else [])]))


def _rank(extensions) -> int | None:
    for extension in extensions or []:
        if extension.url == CONTACT_RANK_URL and isinstance(extension.valuePositiveInt, int):
            return extension.valuePositiveInt
    return None


def _telecoms(telecoms) -> list[dict]:
    found = [{"system": t.system, "value": _text(t.value, 64), "use": t.use, "rank": t.rank}
             for t in telecoms or [] if _text(t.value, 64)]
    return sorted(found, key=lambda t: (t["rank"] is None, t["rank"] or 0))[:5]


def _contacts(patient) -> list[dict]:
    """The patient's contacts, best first (their rank, as the sender ranked them)."""
    found = []
    for contact in (patient.contact or [])[:LIST_MAX]:
        relationship = next((_concept_text(r) for r in contact.relationship or [] if _concept_text(r)), None)
        entry = {"rank": _rank(contact.extension), "name": _name(contact.name), "relationship": relationship,
                 "telecom": _telecoms(contact.telecom)}
        if entry["name"] or entry["telecom"]:
            found.append(entry)
    return sorted(found, key=lambda c: (c["rank"] is None, c["rank"] or 0))


def _location(location) -> dict | None:
    if location is None:
        return None
    address = location.address
    lines = [*(line for line in (address.line or []) if isinstance(line, str))] if address else []
    text = _text(address.text if address else None) or _text(", ".join(
        [*lines, *([address.city] if address and address.city else [])]))
    out = {"name": _text(location.name), "address": text,
           "postcode": _text(address.postalCode, 10) if address else None}
    return out if any(out.values()) else None


def _verification(patient) -> str | None:
    for identifier in patient.identifier or []:
        if identifier.system == NHS_NUMBER:
            for extension in identifier.extension or []:
                if extension.url == VERIFICATION_URL:
                    code = next((c.code for c in _codes([extension.valueCodeableConcept])), None)
                    return _text(code, 40)
    return None


def details(bundle, entries, sr, patient, kind: str) -> tuple[dict, str | None]:
    """(the referral's columns from the message, the location's postcode): what the referral
    page shows. The breach time is a pushed call's only (occurrencePeriod.end); the rest any
    message may carry."""
    scene, safeguarding = None, []
    for entry in bundle.entry or []:
        flag = entry.resource
        if flag is None or flag.get_resource_type() != "Flag" or flag.status != "active":
            continue
        category = next((c.code for c in _codes(flag.category) if c.system in (None, FLAG_CATEGORIES)), None)
        if (category or "").upper() == "SS" and scene is None:
            coding = next(_codes([flag.code]), None)
            scene = {"code": _text(coding.code, 20) if coding else None, "display": _concept_text(flag.code)}
        elif (category or "").upper() == "SG" and len(safeguarding) < LIST_MAX:
            safeguarding.append(_concept_text(flag.code) or "Safeguarding concern")
    _, encounter = entries.get(sr.encounter, ("Encounter",), "", required=False)
    case_number = None
    if encounter is not None:
        case_number = next((_text(i.value, 64) for i in encounter.identifier or [] if _text(i.value, 64)), None)
    location = None
    for ref in sr.locationReference or []:
        _, found = entries.get(ref, ("Location",), "", required=False)
        location = _location(found)
        if location:
            break
    breach = None
    if kind == "pushed_call" and sr.occurrencePeriod is not None:
        breach = aware_utc(sr.occurrencePeriod.end)
    values = {"breach_at": breach, "sender_case_number": case_number, "scene_safety": scene,
              "contacts": _contacts(patient) or None, "location": location,
              "safeguarding": safeguarding or None, "nhs_number_verification": _verification(patient)}
    return values, (location or {}).get("postcode")


# ---------------------------------------------------------------- answers
def instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def acknowledgement(bundle_json: dict, referral, subject_reference: str | None) -> dict:
    """The answer to a pushed call (IG VALRESP01): the request's resources, and SPOA's own
    Encounter, planned, named by SPOA's reference. Its id is the referral's: later
    answers about the same call name the same Encounter."""
    sender_encounter = next((e["resource"] for e in bundle_json.get("entry", [])
                             if e.get("resource", {}).get("resourceType") == "Encounter"), {})
    encounter = {
        "resourceType": "Encounter", "id": str(referral.id),
        "identifier": [{"system": REFERENCE_SYSTEM, "value": referral.reference}],
        "status": "planned",
        "class": sender_encounter.get("class") or {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                                   "code": "EMER", "display": "emergency"},
        "period": {"start": instant(referral.received_at)},
    }
    if subject_reference:
        encounter["subject"] = {"reference": subject_reference}
    if sender_encounter.get("episodeOfCare"):
        encounter["episodeOfCare"] = sender_encounter["episodeOfCare"]
    answer = dict(bundle_json)
    answer["entry"] = [*bundle_json.get("entry", []),
                       {"fullUrl": f"urn:uuid:{referral.id}", "resource": encounter}]
    return answer


def history(service_request_id: str, versions, base_url: str) -> dict:
    """A FHIR history Bundle: each version (resource, version number, when), newest first."""
    entries = []
    for number, received_at, resource in sorted(versions, key=lambda v: v[0], reverse=True):
        entries.append({
            "fullUrl": f"{base_url}/ServiceRequest/{service_request_id}/_history/{number}",
            "resource": resource,
            "request": {"method": "POST" if number == 1 else "PUT", "url": f"ServiceRequest/{service_request_id}"},
            "response": {"status": "201 Created" if number == 1 else "200 OK", "lastModified": instant(received_at)},
        })
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "history", "total": len(entries),
            "entry": entries}
