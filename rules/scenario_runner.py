"""Scenarios: one worked case per file in rules/scenarios/, pinning the policy.

A scenario gives the few referral fields that matter, merged over a baseline
valid referral, and the rule, route and urgency the policy must reach; and,
optionally, the routed service's free places today (``capacity_free``, null
or absent when not declared) and the flags (flags.yaml ids) it must raise. The
referral is put into the shape the intake schema produces (dates as dates,
postcode and disposition normalised), so a scenario decides exactly as a real
referral with the same fields would. A hospital discharge is a scenario with
``referral: {kind: discharge, discharge: {...}}``, over a ward's baseline
(DISCHARGE_BASELINE): its dates are absolute, the received_at being fixed.
`flask rules test` and the pytest suite both run them through these functions.
"""
import copy
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from .calendar import uk_date
from .clock_policy import KIND_SECTIONS
from .errors import DecisionError
from .facts import FactError, check_facts, derive_facts, normalise_disposition
from .policy_model import Decision, Policy

DEFAULT_DIRECTORY = Path(__file__).parent / "scenarios"

# An adult in Northampton with a need no rule routes, consent given, no flags:
# each scenario changes only what its case is about.
BASELINE = {
    "source": "gp",
    "source_reference": "SCENARIO",
    "kind": "community",
    "patient": {
        "given_name": "Test", "family_name": "Patient",
        "date_of_birth": date(1950, 6, 1), "postcode": "NN1 5BD",
    },
    "presenting_need": "other",
    "red_flags": [],
    "consent": True,
}

# A discharge scenario (`kind: discharge`) starts from a ward's referral: from the
# acute hospital, ready on the UK day received (a DRD given in the file replaces
# it), every need unknown. The file gives the needs its case is about.
DISCHARGE_BASELINE = {
    "source": "acute",
    "discharge": {"hospital_ods": "RNS01", "ward": "Scenario ward", "admitted_on": None,
                  "discharge_ready_date": None, "needs": {}},
}
DISCHARGE_STAY_DAYS = 3  # admitted this many days before the day received, unless the file says

_TOP = ("description", "received_at", "referral", "nhs_number_check_failed", "capacity_free", "expect")
_EXPECT = ("rule_id", "route", "urgency")
_EXPECT_OPTIONAL = ("flags",)
# The intake contract's fields (intake-contract.md) and their loaded types: an
# unknown or mistyped field is an error here as it is at intake.
_SHAPE = {
    "source": str, "source_reference": str, "emas_category": int, "description": str,
    "presenting_need": str, "pathways_disposition": str, "red_flags": list, "consent": bool,
    "referrer": {"name": str, "role": str, "organisation": str, "ods_code": str, "phone": str},
    "patient": {
        "nhs_number": str, "given_name": str, "family_name": str, "date_of_birth": date,
        "sex": str, "postcode": str, "address": str, "phone": str, "lives_alone": bool,
        "gp_practice_ods": str,
    },
    "observations": {"news2": int, "clinical_frailty_scale": int},
    "mental_health": {"risk": str, "suicidal_ideation": bool},
    "function": {"medically_stable": bool, "rehab_potential": bool, "needs_overnight_care": bool},
    "kind": str,
    "discharge": {
        "hospital_ods": str, "hospital_name": str, "ward": str, "admitted_on": date,
        "discharge_ready_date": date, "expected_discharge_date": date, "proposed_pathway": int,
        "needs": {"mobility": str, "personal_care": bool, "night_care": bool, "two_carers": bool,
                  "rehab_goals": bool, "cognition_concern": bool, "equipment": list},
        "care_package": str, "usual_residence": str, "patient_wishes": str,
        "carer": {"name": str, "relationship": str, "phone": str},
    },
}


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message starts with its file name."""


@dataclass(frozen=True)
class Scenario:
    name: str  # the file name, e.g. 01-red-flag-chest-pain.yaml
    description: str
    received_at: datetime
    referral: dict  # merged over BASELINE, in the intake schema's loaded shape
    nhs_number_check_failed: bool
    expected: dict  # rule_id, route, urgency; and flags (a list of flag ids) when the file gives them
    facts: dict = field(repr=False)
    capacity_free: int | None = None  # the routed service's free places today; None: not declared


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    passed: bool
    expected: dict
    actual: Decision | None  # None when the policy could not decide at all
    message: str  # one line: what was expected and what happened


def load_scenarios(directory: Path | str | None = None) -> list[Scenario]:
    """Every scenario file in ``directory`` (default rules/scenarios/), by name.
    Raises ScenarioError naming the file and the problem."""
    directory = Path(directory) if directory else DEFAULT_DIRECTORY
    if not directory.is_dir():
        raise ScenarioError(f"no scenario directory at {directory}")
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return [_load(path) for path in files]


def _load(path: Path) -> Scenario:
    def fail(problem):
        raise ScenarioError(f"{path.name}: {problem}")

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        fail(f"not valid YAML: {exc}")
    if not isinstance(data, dict):
        fail(f"should be a mapping with {', '.join(_TOP)}")
    unknown = [k for k in data if k not in _TOP]
    if unknown:
        fail(f"unknown key {', '.join(map(repr, unknown))} (known: {', '.join(_TOP)})")
    missing = [k for k in ("description", "received_at", "expect") if k not in data]
    if missing:
        fail(f"missing {', '.join(missing)}")
    expected = data["expect"]
    if (not isinstance(expected, dict) or not set(_EXPECT) <= set(expected)
            or not set(expected) <= {*_EXPECT, *_EXPECT_OPTIONAL}):
        fail(f"expect should give exactly {', '.join(_EXPECT)}, and optionally {', '.join(_EXPECT_OPTIONAL)}")
    flags = expected.get("flags", None)
    if "flags" in expected and (not isinstance(flags, list) or not all(isinstance(f, str) for f in flags)):
        fail("expect.flags should be a list of flag ids, e.g. [waiting-for-bed], or [] for none")
    check_failed = data.get("nhs_number_check_failed", False)
    if not isinstance(check_failed, bool):
        fail("nhs_number_check_failed should be true or false")
    capacity_free = data.get("capacity_free")
    if capacity_free is not None and (not isinstance(capacity_free, int) or isinstance(capacity_free, bool)
                                      or capacity_free < 0):
        fail("capacity_free should be a whole number of free places, or null when not declared")
    try:
        received_at = _aware(data["received_at"])
        referral = _referral(data.get("referral") or {}, received_at)
        facts = derive_facts(referral, received_at=received_at, nhs_number_check_failed=check_failed)
        check_facts(facts)
    except (ValueError, FactError) as exc:
        fail(str(exc))
    return Scenario(
        name=path.name, description=str(data["description"]).strip(), received_at=received_at,
        referral=referral, nhs_number_check_failed=check_failed,
        expected={**{k: str(expected[k]) for k in _EXPECT}, **({"flags": list(flags)} if "flags" in expected else {})},
        facts=facts, capacity_free=capacity_free,
    )


def _aware(value) -> datetime:
    # YAML reads an unquoted timestamp as a datetime already; quoted, it is text.
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"received_at {value!r} is not an ISO 8601 time") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("received_at needs a date, time and offset, e.g. 2026-03-14T00:30:00+00:00")
    return value


def _referral(changes, received_at: datetime) -> dict:
    """The scenario's referral over the baseline: a community one, or with
    ``kind: discharge`` a ward's (DISCHARGE_BASELINE). A discharge section on a
    community referral is refused, as intake refuses it."""
    kind = changes.get("kind", "community") if isinstance(changes, dict) else "community"
    if kind not in KIND_SECTIONS:
        raise ValueError(f"referral.kind {kind!r} should be one of {', '.join(KIND_SECTIONS)}")
    if kind != "discharge":
        if isinstance(changes, dict) and "discharge" in changes:
            raise ValueError("referral.discharge is only for a discharge referral: add kind: discharge")
        return _merge(BASELINE, changes, _SHAPE, "referral")
    day = uk_date(received_at, "received_at")
    base = copy.deepcopy({**BASELINE, **DISCHARGE_BASELINE})
    base["discharge"].update(admitted_on=day - timedelta(days=DISCHARGE_STAY_DAYS), discharge_ready_date=day)
    return _merge(base, changes, _SHAPE, "referral")


def _merge(base: dict, changes, shape: dict, where: str) -> dict:
    """``base`` with ``changes`` laid over it, each field checked against the
    intake shape and loaded as intake would (sub-objects merged, lists replaced)."""
    if not isinstance(changes, dict):
        raise ValueError(f"{where} should be a mapping of intake fields")
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        path = f"{where}.{key}"
        if key not in shape:
            raise ValueError(f"unknown field {path} (known: {', '.join(shape)})")
        kind = shape[key]
        if isinstance(kind, dict):
            merged[key] = None if value is None else _merge(merged.get(key) or {}, value, kind, path)
        else:
            merged[key] = _loaded(value, kind, path)
    return merged


def _loaded(value, kind, path):
    if value is None:
        return None
    if kind is date:
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"{path} {value!r} is not a date (YYYY-MM-DD)") from None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ValueError(f"{path} should be a date (YYYY-MM-DD)")
        return value
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{path} should be {kind.__name__}, not {value!r}")
    if path.endswith(".postcode"):  # stored normalised, as intake does: NN1 5BD
        compact = re.sub(r"\s+", "", value).upper()
        return f"{compact[:-3]} {compact[-3:]}"
    if path.endswith(".pathways_disposition"):
        return normalise_disposition(value)
    return list(value) if kind is list else value


def run_scenario(policy: Policy, scenario: Scenario) -> ScenarioResult:
    """Decide the scenario's facts and compare with what it expects."""
    expected = scenario.expected
    want = f"{expected['rule_id']} -> {expected['route']} ({expected['urgency']})"
    try:
        decision = policy.decide(scenario.facts)
    except (DecisionError, FactError) as exc:
        return ScenarioResult(scenario.name, False, expected, None, f"expected {want}, but: {exc}")
    got = f"{decision.rule_id} -> {decision.route} ({decision.urgency})"
    actual = {"rule_id": decision.rule_id, "route": decision.route, "urgency": decision.urgency}
    if "flags" in expected:
        try:
            raised = policy.flags_for(scenario.facts, decision.route, scenario.capacity_free)
        except (DecisionError, FactError) as exc:
            return ScenarioResult(scenario.name, False, expected, decision, f"expected {want}, but flags: {exc}")
        actual["flags"] = [f.id for f in raised]
        want += f" flags {_listed(expected['flags'])}"
        got += f" flags {_listed(actual['flags'])}"
    if actual == expected:
        return ScenarioResult(scenario.name, True, expected, decision, got)
    message = f"expected {want}, got {got} at row {decision.row}: {decision.explanation}"
    return ScenarioResult(scenario.name, False, expected, decision, message)


def _listed(ids) -> str:
    return "[" + ", ".join(ids) + "]"


def unpinned_rules(policy: Policy, scenarios: list[Scenario]) -> list[str]:
    """Rule ids, in policy order, that no scenario expects to decide: a row
    nobody has pinned can be broken by an edit without any test noticing."""
    pinned = {s.expected["rule_id"] for s in scenarios}
    return [rule.id for rule in policy.rules if rule.id not in pinned]


def unpinned_flags(policy: Policy, scenarios: list[Scenario]) -> list[str]:
    """Flag ids, in flags.yaml order, that no scenario expects to be raised."""
    pinned = {flag for s in scenarios for flag in s.expected.get("flags", ())}
    return [flag.id for flag in policy.flags if flag.id not in pinned]
