"""Facts: the plain values the routing rules read, derived from one referral.

The rules never see the referral itself, only these names. FACT_TYPES declares
each one once; the same table types the rule expressions at load (so a typo
in routing.yaml fails then, not mid-triage) and checks facts built by hand in
scenarios and tests.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime

from rule_engine import DataType

from .calendar import age_in_years, uk_date
from .digits import is_ascii_digits


class FactError(ValueError):
    """Facts with a missing, unknown or wrongly typed name."""


@dataclass(frozen=True)
class FactType:
    python_type: type
    data_type: object  # the rule_engine DataType the expressions are checked against
    nullable: bool  # None means "not recorded": the rules must say what unknown means
    description: str


def _fact(python_type, nullable, description):
    data_type = {
        str: DataType.STRING, int: DataType.FLOAT, bool: DataType.BOOLEAN,
        # rule-engine 4.5.3 raises SymbolTypeError when a symbol typed
        # ARRAY(STRING) is given an empty list (from_value() types () as
        # ARRAY(UNDEFINED), which it then refuses). "No red flags" is the
        # commonest value of all, so lists are typed as arrays of anything;
        # pinned by test_empty_red_flags_evaluate_without_a_type_error.
        list: DataType.ARRAY(DataType.UNDEFINED),
    }[python_type]
    return FactType(python_type, data_type, nullable, description)


FACT_TYPES: dict[str, FactType] = {
    "source": _fact(str, False, "who sent the referral: emas, nhs111, gp, ..."),
    "emas_category": _fact(int, True, "ambulance call category 3, 4 or 5"),
    "age_years": _fact(int, True, "age in whole years on the UK date the referral was received"),
    "postcode_area": _fact(str, True, "letters of the postcode's outward code, e.g. NN"),
    "postcode_district": _fact(str, True, "the postcode's outward code, e.g. NN1"),
    "presenting_need": _fact(str, False, "the intake's presenting need, e.g. fall_no_injury"),
    "disposition": _fact(str, True, "NHS Pathways disposition, e.g. Dx012"),
    "disposition_prefix": _fact(str, True, "first four characters of the disposition, e.g. Dx01"),
    "red_flags": _fact(list, False, "red flags ticked by the referrer (may be empty)"),
    "news2": _fact(int, True, "NEWS2 score 0-20"),
    "clinical_frailty_scale": _fact(int, True, "Clinical Frailty Scale 1-9"),
    "mh_risk": _fact(str, True, "mental-health risk: none, low, moderate or high"),
    "suicidal_ideation": _fact(bool, True, "suicidal ideation reported"),
    "medically_stable": _fact(bool, True, "medically stable"),
    "rehab_potential": _fact(bool, True, "has rehabilitation potential"),
    "needs_overnight_care": _fact(bool, True, "needs care overnight (a bed)"),
    # Required by the intake contract, but nullable here so that an absent
    # consent can be written as "not given" rather than crash the rules.
    "consent": _fact(bool, True, "patient agreed to the referral being shared"),
    "nhs_number_check_failed": _fact(bool, False, "the NHS number failed its check digit (FHIR only)"),
    "lives_alone": _fact(bool, True, "the patient lives alone"),
    # Intake 1.1: a hospital discharge's section (routing-policy.md, rows D1-D9).
    # Every one is None on a community referral, and where the ward did not say.
    "kind": _fact(str, False, "community, discharge (a ward's transfer of care) or pushed_call "
                              "(a 999 call the ambulance service pushed)"),
    "days_until_drd": _fact(int, True, "days from the UK date received to the discharge ready date "
                                       "(0: ready that day; negative: already past it)"),
    "proposed_pathway": _fact(int, True, "the ward's proposed discharge pathway 0-3 (never deciding)"),
    "mobility": _fact(str, True, "independent, with_aid, one_carer, two_carers or bed_bound"),
    "personal_care": _fact(bool, True, "needs help with personal care"),
    "night_care": _fact(bool, True, "needs care at night"),
    "two_carers": _fact(bool, True, "needs two carers"),
    "rehab_goals": _fact(bool, True, "has rehabilitation goals"),
    "cognition_concern": _fact(bool, True, "a concern about cognition"),
    "care_package": _fact(str, True, "care before admission: none, paused or lapsed"),
    "usual_residence": _fact(str, True, "where the patient usually lives: home, care_home or other"),
}
FACT_NAMES = frozenset(FACT_TYPES)

# Flags (flags.yaml) are checked once the route is decided, so they read the
# facts above and two more: where the referral is going, and how many places
# that service has free today. capacity_free is None when the service has never
# declared its capacity (or a voluntary organisation has not declared today's):
# "not declared" is not "none free". Read as zero it would flag every bed
# referral "waiting for bed" and alert a supervisor about a shortage nobody has
# reported, until those alerts are ignored; so a flag must test it against null
# like any unrecorded fact (`capacity_free == 0` is false for null).
FLAG_FACT_TYPES: dict[str, FactType] = {
    **FACT_TYPES,
    "route": _fact(str, False, "the route decided: crisis_response, bed_rehab, ..."),
    "capacity_free": _fact(int, True, "places the routed service has free today (null: not declared)"),
}
FLAG_FACT_NAMES = frozenset(FLAG_FACT_TYPES)


def derive_facts(referral: dict, *, received_at: datetime,
                 nhs_number_check_failed: bool = False) -> dict:
    """The facts of one validated referral (intake wire-format keys, loaded
    shape: ``patient.date_of_birth`` a date, postcode normalised).

    Optional sub-objects may be missing; a missing value becomes None
    ("not recorded"), never a guess.
    """
    patient = referral.get("patient") or {}
    discharge = referral.get("discharge") or {}
    needs = discharge.get("needs") or {}
    observations = referral.get("observations") or {}
    mental_health = referral.get("mental_health") or {}
    function = referral.get("function") or {}
    area, district = postcode_parts(patient.get("postcode"))
    disposition = normalise_disposition(referral.get("pathways_disposition"))
    return {
        "source": referral.get("source"),
        "emas_category": referral.get("emas_category"),
        "age_years": age_on_day_received(patient.get("date_of_birth"), received_at),
        "postcode_area": area,
        "postcode_district": district,
        "presenting_need": referral.get("presenting_need"),
        "disposition": disposition,
        "disposition_prefix": disposition[:4] if disposition else None,
        "red_flags": list(referral.get("red_flags") or []),
        "news2": observations.get("news2"),
        "clinical_frailty_scale": observations.get("clinical_frailty_scale"),
        "mh_risk": mental_health.get("risk"),
        "suicidal_ideation": mental_health.get("suicidal_ideation"),
        "medically_stable": function.get("medically_stable"),
        "rehab_potential": function.get("rehab_potential"),
        "needs_overnight_care": function.get("needs_overnight_care"),
        "consent": referral.get("consent"),
        "nhs_number_check_failed": bool(nhs_number_check_failed),
        "lives_alone": patient.get("lives_alone"),
        "kind": referral.get("kind") or "community",  # a v1 body, and a row stored before 1.1
        "days_until_drd": days_until(discharge.get("discharge_ready_date"), received_at),
        "proposed_pathway": discharge.get("proposed_pathway"),
        "mobility": needs.get("mobility"),
        "personal_care": needs.get("personal_care"),
        "night_care": needs.get("night_care"),
        "two_carers": needs.get("two_carers"),
        "rehab_goals": needs.get("rehab_goals"),
        "cognition_concern": needs.get("cognition_concern"),
        "care_package": discharge.get("care_package"),
        "usual_residence": discharge.get("usual_residence"),
    }


def age_on_day_received(date_of_birth, received_at: datetime) -> int | None:
    """Whole years on the UK date received (rules.calendar.age_in_years). A UK
    calendar day: a referral received at 00:30 BST on someone's 18th birthday is
    from an adult, though it is still the day before in UTC."""
    date_of_birth = _as_date(date_of_birth)
    if date_of_birth is None:
        return None
    return age_in_years(date_of_birth, uk_date(received_at, "received_at"))


def days_until(day, received_at: datetime) -> int | None:
    """Whole days from the UK date received to ``day``: a discharge received at
    00:30 BST on its ready date is ready that day (0), though UTC says yesterday."""
    day = _as_date(day)
    if day is None:
        return None
    return (day - uk_date(received_at, "received_at")).days


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # a JSON column (the stored discharge section) hands back the ISO text
        return date.fromisoformat(value)
    return value


def postcode_parts(postcode: str | None) -> tuple[str | None, str | None]:
    """('NN', 'NN1') for 'NN1 5BD'. The inward code is always the last three
    characters, so an unspaced postcode splits the same way."""
    if not postcode:
        return None, None
    compact = re.sub(r"\s+", "", postcode).upper()
    if len(compact) < 5:
        return None, None
    district = compact[:-3]
    area = re.match(r"[A-Z]*", district).group(0) or None
    return area, district


def disposition_code(text) -> str | None:
    """'Dx012' for 'DX012', 'dx012' or ' Dx012 ': Dx and 2 to 4 ASCII digits (the
    intake's field and the facts read it here); None for anything else."""
    code = text.strip() if isinstance(text, str) else ""
    if code[:2].lower() == "dx" and is_ascii_digits(code[2:], least=2, most=4):
        return "Dx" + code[2:]
    return None


def normalise_disposition(code: str | None) -> str | None:
    """'Dx012' for 'DX012' or 'dx012', so the prefix list matches however it was typed."""
    if not code:
        return None
    return disposition_code(code) or code.strip()


def check_facts(facts: dict) -> None:
    """Raise FactError unless ``facts`` has exactly the declared names, each of
    its declared type (or None where that means "not recorded")."""
    problems = []
    missing = sorted(FACT_NAMES - facts.keys())
    unknown = sorted(facts.keys() - FACT_NAMES)
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown {', '.join(unknown)}")
    for name, value in facts.items():
        fact = FACT_TYPES.get(name)
        if fact is None or (value is None and fact.nullable):
            continue
        # bool is an int in Python: True must not pass as a NEWS2 score.
        wrong = (not isinstance(value, fact.python_type)
                 or (fact.python_type is int and isinstance(value, bool)))
        if fact.python_type is list and not wrong:
            wrong = not all(isinstance(item, str) for item in value)
        if wrong:
            expected = fact.python_type.__name__ + (" or None" if fact.nullable else "")
            problems.append(f"{name} should be {expected}, not {value!r}")
    if problems:
        raise FactError("bad facts: " + "; ".join(problems))
