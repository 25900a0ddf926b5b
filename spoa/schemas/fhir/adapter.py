"""A BaRS referral message -> the intake contract's body (the same one the JSON
API validates), and where in the bundle each field came from.

This module only reads the message: it checks the BaRS structure a receiver must
check, and translates codes through rules/fhir_mapping.yaml. It decides nothing
about the patient; IntakeSchema validates and the routing policy decides.
"""
import json
import re
from dataclasses import dataclass

from pydantic import ValidationError as PydanticError

from spoa.schemas.fhir import push
from spoa.schemas.fhir.outcome import FhirError
from spoa.schemas.fhir.push import NHS_NUMBER
from spoa.schemas.fields import is_nhs_number_form

EVENTS = "https://fhir.nhs.uk/CodeSystem/message-events-bars"
EVENT = "servicerequest-request"
REASONS = ("new", "update")
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
SNOMED = "http://snomed.info/sct"
PRESENTING_COMPLAINT = "33962009"
NEWS2 = "1104051000000101"  # SNOMED: Royal College of Physicians NEWS2 score
PATHWAYS = "https://fhir.nhs.uk/CodeSystem/pathways-"
DESCRIPTION_MAX = 4000
_VERSION = re.compile(r"^1\.[0-9]+(\.[0-9]+)?(-[0-9A-Za-z.-]+)?$")
_ARP = re.compile(r"^(?:C|CAT|CATEGORY)?\s*([0-9]{1,2})(?:T)?$", re.IGNORECASE)
FLAG_LABELS = {"SG": "Safeguarding concern", "RA": "Reasonable adjustment", "RS": "Rejected services",
               "SS": "Scene safety"}


@dataclass
class Translation:
    body: dict                      # the intake contract's body (before IntakeSchema)
    where: dict                     # intake field path ("patient.postcode") -> FHIRPath in the bundle
    bundle_id: str | None = None
    source_endpoint: str | None = None
    event: str = EVENT
    reason: str | None = None
    bars_version: str | None = None
    authored_on: str | None = None
    focus: "push.Focus | None" = None
    details: dict | None = None  # the referral's columns beyond the intake contract (push.details)


# ---------------------------------------------------------------- parsing
def _cache_xml_type_lookup() -> None:
    """fhir_core's XML reader looks up each element's FHIR type by importing its model
    class anew for every element (a third of an XML message's reading time). The answer
    depends only on the model field and the FHIR version, so it is cached. Guarded: with
    another fhir_core (pinned 1.1.12) that has no such function, nothing changes."""
    import functools

    from fhir_core import xml_utils

    lookup = getattr(xml_utils, "get_fhir_type_name", None)
    if lookup is not None and not hasattr(lookup, "cache_info"):
        xml_utils.get_fhir_type_name = functools.lru_cache(maxsize=4096)(lookup)


_cache_xml_type_lookup()


def parse(raw: bytes, content_type: str):
    """The Bundle (fhir.resources R4B), or a FhirError saying what and where."""
    from fhir.resources.R4B.bundle import Bundle

    try:
        if content_type.endswith("xml"):
            return Bundle.model_validate_xml(raw, xmlparser=_xml_parser())
        return Bundle.model_validate_json(raw)
    except PydanticError as exc:
        _refuseunsupported_event(raw, content_type)
        issues = [("structure", _message(err), _path(err.get("loc", ()))) for err in exc.errors()[:10]]
        raise FhirError(400, issues) from None
    except RecursionError:
        raise FhirError.one(400, "structure", "The message is nested too deeply to be a referral.") from None
    except (ValueError, TypeError, LookupError, AttributeError) as exc:
        # Not well-formed JSON or XML (lxml's and the XML reader's own errors are ValueErrors),
        # or a shape the models cannot read at all.
        _refuseunsupported_event(raw, content_type)
        raise FhirError.one(400, "structure", f"The message is not a readable FHIR Bundle: "
                                              f"{type(exc).__name__}.") from None
    except Exception as exc:  # noqa: BLE001  (the XML parser raises its own classes; never a 500)
        raise FhirError.one(400, "structure", f"The message is not a readable FHIR Bundle: "
                                              f"{type(exc).__name__}.") from None


def _xml_parser():
    """No entities, no DTD, no network: a sender's XML is data, never a way to make
    SPOA read its files or expand a billion laughs. (A parser per call: lxml parsers
    are not shared across threads.)"""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _message(err: dict) -> str:
    return str(err.get("msg", "invalid"))[:300]


def _path(loc) -> str:
    text = "Bundle"
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("__root__",):
            continue
        else:
            text += f".{part}"
    return text


def _refuseunsupported_event(raw: bytes, content_type: str) -> None:
    """A message that does not validate but is plainly another event (an older draft,
    a notification) is answered as unsupported, which a sender can act on, rather
    than with the structural errors of a message it never meant to send us."""
    code = None
    try:
        if content_type.endswith("xml"):
            from lxml import etree

            root = etree.fromstring(raw, parser=_xml_parser())
            found = root.xpath("//*[local-name()='MessageHeader']/*[local-name()='eventCoding']"
                               "/*[local-name()='code']/@value")
            code = found[0] if found else None
        else:
            data = json.loads(raw)
            header = data["entry"][0]["resource"]
            if header.get("resourceType") == "MessageHeader":
                code = header["eventCoding"]["code"]
    except Exception:  # noqa: BLE001  (only a hint: the structural errors are answered otherwise)
        return
    if isinstance(code, str) and code != EVENT:
        raise FhirError.one(422, "not-supported", unsupported_event(code),
                            "Bundle.entry[0].resource.eventCoding")


def unsupported_event(code: str) -> str:
    return (f"SPOA receives BaRS referrals ({EVENT}); the event {code[:80]!r} is not supported.")


# ---------------------------------------------------------------- reading the bundle
class Entries:
    """The bundle's entries by fullUrl (and Type/id), with their index for paths."""

    def __init__(self, bundle):
        self.by_ref = {}
        for i, entry in enumerate(bundle.entry or []):
            resource = entry.resource
            if resource is None:
                continue
            if entry.fullUrl:
                self.by_ref[entry.fullUrl] = (i, resource)
            if getattr(resource, "id", None):
                self.by_ref.setdefault(f"{resource.get_resource_type()}/{resource.id}", (i, resource))

    def get(self, reference, types, where: str, required: bool = True):
        ref = getattr(reference, "reference", None)
        found = self.by_ref.get(ref) if ref else None
        if found is None or found[1].get_resource_type() not in types:
            if required:
                raise FhirError.one(400, "invariant", f"{where} must refer to a {' or '.join(types)} "
                                                      "in the bundle.", where)
            return None, None
        return found


def _codings(concepts):
    for concept in concepts or []:
        for coding in getattr(concept, "coding", None) or []:
            if coding.code:
                yield coding


def endpoint_id(endpoint: str) -> str:
    """'https://fhir.nhs.uk/Id/dos-service-id|2222' and '...dos-service-id:2222' -> '2222'."""
    return re.split(r"[|:]", endpoint.strip())[-1].strip()


@dataclass
class Read:
    """The message's header and focus, checked: what translate and the receiver's
    dispatch (new, update, cancel) both start from."""
    focus: push.Focus
    entries: Entries
    header: object
    sr: object
    sr_index: int
    version: str | None


def read(bundle, *, dos_service_ids, accept_version: str | None) -> Read:
    """The checks every message passes, whatever it asks: a message Bundle, a MessageHeader
    first with the one event SPOA receives, a reason, a supported BaRS version, addressed
    to SPOA, its focus a ServiceRequest of a kind SPOA takes."""
    if bundle.type != "message":
        raise FhirError.one(400, "invariant", "Bundle.type must be 'message' for $process-message.", "Bundle.type")
    entries = Entries(bundle)
    if not bundle.entry or bundle.entry[0].resource is None or \
            bundle.entry[0].resource.get_resource_type() != "MessageHeader":
        raise FhirError.one(400, "invariant", "The first entry must be the MessageHeader.", "Bundle.entry[0]")
    header = bundle.entry[0].resource
    mh = "Bundle.entry[0].resource"

    event = header.eventCoding
    if event is None or event.code != EVENT or (event.system and event.system != EVENTS):
        raise FhirError.one(422, "not-supported", unsupported_event(getattr(event, "code", None) or "none"),
                            f"{mh}.eventCoding")
    reason = next((c.code for c in _codings([header.reason])), None)
    if reason is None:
        raise FhirError.one(400, "invariant", "MessageHeader.reason must say 'new' for a new referral, or "
                                              "'update' for a change to one.", f"{mh}.reason")
    if reason not in REASONS:
        raise FhirError.one(422, "not-supported", f"SPOA takes the reasons new and update; {reason[:40]!r} "
                                                  "is not supported: telephone SPOA with the change.", f"{mh}.reason")

    version = (bundle.meta.versionId if bundle.meta else None) or accept_version
    if version is not None and not _VERSION.match(version.strip()):
        raise FhirError.one(422, "not-supported", f"BaRS version {version[:40]!r} is not supported (1.x is).",
                            "Bundle.meta.versionId")

    _check_destination(header, entries, dos_service_ids, mh)

    sr_index, sr = entries.get((header.focus or [None])[0], ("ServiceRequest",), f"{mh}.focus[0]")
    sp = f"Bundle.entry[{sr_index}].resource"
    last = push.aware_utc(sr.meta.lastUpdated if sr.meta else None) or \
        push.aware_utc(bundle.meta.lastUpdated if bundle.meta else None) or push.aware_utc(bundle.timestamp)
    found = push.Focus(reason=reason, kind=push.kind_of(sr, sp),
                       service_request_id=push.service_request_id(bundle, sr), status=sr.status,
                       last_updated=last, sr_path=sp)
    return Read(focus=found, entries=entries, header=header, sr=sr, sr_index=sr_index, version=version)


def translate(bundle, *, source: str, dos_service_ids, mapping, accept_version: str | None,
              checked: Read | None = None) -> Translation:
    checked = checked or read(bundle, dos_service_ids=dos_service_ids, accept_version=accept_version)
    entries, header, sr, version = checked.entries, checked.header, checked.sr, checked.version
    reason, sp = checked.focus.reason, checked.focus.sr_path
    if sr.status != "active":
        raise FhirError.one(400, "invariant", f"ServiceRequest.status must be 'active' for a {reason} message "
                                              f"(a cancellation is {' or '.join(push.CANCELLED)}).",
                            f"{sp}.status")
    p_index, patient = entries.get(sr.subject, ("Patient",), f"{sp}.subject")
    pp = f"Bundle.entry[{p_index}].resource"

    where = {}
    body = {"source": source, "consent": False, "kind": checked.focus.kind}
    translation = Translation(
        body=body, where=where, bundle_id=bundle.id,
        source_endpoint=(header.source.endpoint if header.source else None), reason=reason,
        bars_version=version, authored_on=iso_text(sr.authoredOn), focus=checked.focus)
    body["patient"] = _patient(patient, pp, entries, where, translation)
    translation.details, location_postcode = push.details(bundle, entries, sr, patient, checked.focus.kind)
    if "postcode" not in body["patient"] and location_postcode:
        # A 999 call may name only where the patient is: that is the postcode the rules read.
        body["patient"]["postcode"] = location_postcode
        where["patient.postcode"] = f"{sp}.locationReference"
    referrer = _referrer(sr, sp, entries, where)
    if referrer:
        body["referrer"] = referrer

    lines, red_flags, need = [], [], None
    careplans = [entries.get(ref, ("CarePlan",), f"{sp}.basedOn", required=False) for ref in sr.basedOn or []]
    careplans = [found for found in careplans if found[1] is not None]
    for cp_index, careplan in careplans:
        cpp = f"Bundle.entry[{cp_index}].resource"
        for a, activity in enumerate(careplan.activity or []):
            for o, concept in enumerate(activity.outcomeCodeableConcept or []):
                path = f"{cpp}.activity[{a}].outcomeCodeableConcept[{o}]"
                for coding in _codings([concept]):
                    system, code, display = coding.system or "", coding.code, coding.display or ""
                    if system == PATHWAYS + "dx-codes" and "pathways_disposition" not in body:
                        body["pathways_disposition"] = code
                        where["pathways_disposition"] = path
                        lines.append(f"Pathways disposition {code}: {display}".strip())
                    elif system == PATHWAYS + "sg-codes":
                        lines.append(f"Symptom group {code}: {display}".strip())
                        need = need or mapping.need_for("pathways_symptom_group", code)
                    elif system == PATHWAYS + "sd-codes":
                        lines.append(f"Symptom discriminator {code}: {display}".strip())
                    elif system == PATHWAYS + "pathway-codes":
                        lines.append(f"Pathway {code}: {display}".strip())
                        need = need or mapping.need_for("pathways_pathway", code)
                        flag = mapping.red_flag_for("pathways_pathway", code)
                        if flag:
                            red_flags.append(flag)
                    elif system in mapping.arp_category_systems:
                        _arp(code, path, body, where)
    # Flags and observations, whether or not something refers to them (the standard's
    # own example leaves the reported symptoms and a reasonable adjustment unreferenced).
    for i, entry in enumerate(bundle.entry or []):
        if entry.resource is not None and entry.resource.get_resource_type() in ("Flag", "Observation"):
            _supporting(i, entry.resource, lines, body, where, mapping, red_flags)
    encounter_index, encounter = entries.get(sr.encounter, ("Encounter",), f"{sp}.encounter", required=False)
    if encounter is not None:
        for coding in _codings([encounter.priority]):
            if coding.system in mapping.arp_category_systems:
                _arp(coding.code, f"Bundle.entry[{encounter_index}].resource.priority", body, where)
    for coding in _codings(sr.category):
        if coding.system in mapping.arp_category_systems:
            _arp(coding.code, f"{sp}.category", body, where)

    # A presenting complaint (GP messages): a Condition with SNOMED category 33962009.
    for entry in bundle.entry or []:
        resource = entry.resource
        if resource is None or resource.get_resource_type() != "Condition":
            continue
        if PRESENTING_COMPLAINT not in [c.code for c in _codings(resource.category)]:
            continue
        if resource.code is not None:
            if resource.code.text:
                lines.insert(0, f"Presenting complaint: {resource.code.text}")
            for coding in _codings([resource.code]):
                if coding.system == SNOMED:
                    need = mapping.need_for("snomed", coding.code) or need
                    flag = mapping.red_flag_for("snomed", coding.code)
                    if flag:
                        red_flags.append(flag)
    for consent in (e.resource for e in bundle.entry or [] if e.resource is not None):
        if consent.get_resource_type() == "Consent" and consent.status == "active":
            body["consent"] = True

    body["presenting_need"] = need or "other"  # unmapped: a person decides
    if red_flags:
        body["red_flags"] = sorted(set(red_flags))
    if sr.patientInstruction:
        lines.append(f"Advice given: {sr.patientInstruction}")
    if lines:
        text = "\n".join(lines)
        body["description"] = text if len(text) <= DESCRIPTION_MAX else text[:DESCRIPTION_MAX - 1] + "…"
        where["description"] = sp
    return translation  # an ambulance message without a category: spoa/schemas/fhir/validation.py takes it


def _check_destination(header, entries, dos_service_ids, mh: str) -> None:
    destinations = header.destination or []
    for d, destination in enumerate(destinations):
        if destination.endpoint and endpoint_id(destination.endpoint) in dos_service_ids:
            if destination.receiver is not None:
                entries.get(destination.receiver, ("Organization", "PractitionerRole", "Practitioner"),
                            f"{mh}.destination[{d}].receiver")
            return
    raise FhirError.one(422, "not-found", "The message is not addressed to SPOA: no destination endpoint is one "
                                          "of SPOA's Directory of Services ids.", f"{mh}.destination[0].endpoint")


def _arp(code: str, path: str, body: dict, where: dict) -> None:
    match = _ARP.match(code.strip())
    if not match:
        raise FhirError.one(422, "value", f"{code[:20]!r} is not an ambulance response category (C1 to C5).", path)
    body["emas_category"] = int(match.group(1))
    where["emas_category"] = path


def _patient(patient, pp: str, entries: Entries, where: dict, translation: Translation) -> dict:
    out = {}
    for i, identifier in enumerate(patient.identifier or []):
        if identifier.system == NHS_NUMBER and identifier.value:
            out["nhs_number"] = identifier.value
            where["patient.nhs_number"] = f"{pp}.identifier[{i}].value"
            break
    names = patient.name or []
    name = next((n for n in names if n.use == "official"), names[0] if names else None)
    n_index = names.index(name) if name is not None else 0
    out["given_name"] = " ".join(_present(name.given)) if name is not None else ""
    out["family_name"] = (name.family or "") if name is not None else ""
    where["patient.given_name"] = f"{pp}.name[{n_index}].given"
    where["patient.family_name"] = f"{pp}.name[{n_index}].family"
    if patient.birthDate is not None:
        out["date_of_birth"] = str(patient.birthDate)
    where["patient.date_of_birth"] = f"{pp}.birthDate"
    if patient.gender:
        out["sex"] = patient.gender
        where["patient.sex"] = f"{pp}.gender"
    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    where["patient.postcode"] = f"{pp}.address"
    if home is not None:
        a_index = addresses.index(home)
        if home.postalCode:
            out["postcode"] = home.postalCode
            where["patient.postcode"] = f"{pp}.address[{a_index}].postalCode"
        text = home.text or ", ".join([*_present(home.line), *_present([home.city, home.district])])
        if text:
            out["address"] = text[:500]
            where["patient.address"] = f"{pp}.address[{a_index}]"
    for t, telecom in enumerate(patient.telecom or []):
        if telecom.system == "phone" and telecom.value:
            out["phone"] = telecom.value
            where["patient.phone"] = f"{pp}.telecom[{t}].value"
            break
    for g, ref in enumerate(patient.generalPractitioner or []):
        index, gp = entries.get(ref, ("Organization",), f"{pp}.generalPractitioner[{g}]", required=False)
        if gp is None:
            continue
        for i, identifier in enumerate(gp.identifier or []):
            if (identifier.system or "").lower() == ODS.lower() and identifier.value:
                out["gp_practice_ods"] = identifier.value
                where["patient.gp_practice_ods"] = f"Bundle.entry[{index}].resource.identifier[{i}].value"
                break
        break
    return out


def _referrer(sr, sp: str, entries: Entries, where: dict) -> dict:
    index, who = entries.get(sr.requester, ("PractitionerRole", "Practitioner", "Organization"),
                             f"{sp}.requester", required=False)
    if who is None:
        return {}
    out, practitioner, organisation = {}, None, None
    kind = who.get_resource_type()
    if kind == "Practitioner":
        # A requester that is the Practitioner: its role in the bundle says where they work.
        ref = sr.requester.reference
        role = next((r for _, r in entries.by_ref.values() if r.get_resource_type() == "PractitionerRole"
                     and r.practitioner is not None and r.practitioner.reference == ref), None)
        who, kind = (role, "PractitionerRole") if role is not None else (who, kind)
    if kind == "PractitionerRole":
        _, practitioner = entries.get(who.practitioner, ("Practitioner",), "", required=False)
        organisation_found = entries.get(who.organization, ("Organization",), "", required=False)
        index, organisation = organisation_found if organisation_found[1] is not None else (index, None)
        roles = [c.display for c in _codings(who.code) if c.display]
        if roles:
            out["role"] = roles[0][:100]
    elif kind == "Practitioner":
        practitioner = who
    else:
        organisation = who
    if practitioner is not None:
        name = (practitioner.name or [None])[0]
        if name is not None:
            text = name.text or " ".join([*_present(name.given), *_present([name.family])])
            if text:
                out["name"] = text
        phone = next((t.value for t in practitioner.telecom or [] if t.system == "phone" and t.value), None)
        if phone:
            out["phone"] = phone
    if organisation is not None:
        if organisation.name:
            out["organisation"] = organisation.name
        ods = next((i.value for i in organisation.identifier or []
                    if (i.system or "").lower() == ODS.lower() and i.value), None)
        if ods:
            out["ods_code"] = ods
    for key in out:
        where[f"referrer.{key}"] = f"{sp}.requester"
    return out


def _supporting(index: int, resource, lines: list, body: dict, where: dict, mapping, red_flags: list) -> None:
    if resource.get_resource_type() == "Flag":
        if resource.status != "active":
            return
        category = next((c.code for c in _codings(resource.category)), None)
        label = FLAG_LABELS.get((category or "").upper(), "Flag")
        text = resource.code.text if resource.code is not None else None
        text = text or next((c.display or c.code for c in _codings([resource.code])), "")
        lines.append(f"{label}: {text}".strip())
        return
    # An Observation: household, symptoms reported, wishes, scores.
    codes = [(c.system, c.code) for c in _codings([resource.code])]
    if any(code.lower() == "livesalone" for _, code in codes):
        body["patient"]["lives_alone"] = True
        where["patient.lives_alone"] = f"Bundle.entry[{index}].resource.code"
    if (SNOMED, NEWS2) in codes and resource.valueInteger is not None:
        body.setdefault("observations", {})["news2"] = resource.valueInteger
        where["observations.news2"] = f"Bundle.entry[{index}].resource.valueInteger"
    notes = " ".join(n.text for n in resource.note or [] if n.text)
    label = (resource.code.text if resource.code is not None else None) or \
        next((c.display for c in _codings([resource.code]) if c.display), None)
    if notes:
        lines.append(f"{label or 'Observation'}: {notes}")
    elif label and not codes:
        lines.append(label)
    elif label:
        lines.append(f"Observation: {label}")
    for system, code in codes:
        if system == SNOMED:
            flag = mapping.red_flag_for("snomed", code)
            if flag:
                red_flags.append(flag)


def loose_nhs_number(value) -> str | None:
    """Ten digits (spaces allowed), whatever the check digit says; else None."""
    if not isinstance(value, str):
        return None
    digits = value.replace(" ", "")
    return digits if is_nhs_number_form(digits) else None


def iso_text(value) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:40]


def _present(values) -> list[str]:
    """The strings of a FHIR list, which may hold nulls (an element carried only by its extension)."""
    return [v for v in values or [] if isinstance(v, str) and v]
