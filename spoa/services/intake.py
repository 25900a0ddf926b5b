"""Receiving a referral: store it once, triage it, give it clocks, in one transaction.

Idempotency is held by the database's unique constraints, not by a
read-then-write: of many concurrent identical posts exactly one INSERT
commits; the rest fail on the constraint, roll back, and answer with the
stored referral (same content) or a conflict (different content).
"""
import hashlib
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from spoa.domain import audit
from spoa.domain.actor import Actor
from spoa.extensions import db
from spoa.models import Referral
from spoa.platform.instruments import TRIAGE_SECONDS
from spoa.platform.safe_log import bound
from spoa.platform.timekeeping import now, receipt
from spoa.schemas.intake import DischargeSchema, receipt_max_age
from spoa.services.triage import intake_facts, triage_by_rules

log = logging.getLogger(__name__)

# No 0/O, 1/I/L, U: a reference read out on the phone must not be misheard.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_ATTEMPTS = 3


class IntakeConflict(Exception):
    """Same source_reference or Idempotency-Key, different content (409)."""

    def __init__(self, message: str, referral: Referral):
        super().__init__(message)
        self.message = message
        self.referral = referral


@dataclass
class IntakeResult:
    referral: Referral
    created: bool


def new_reference() -> str:
    return "SPOA-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def content_hash(data: dict) -> str:
    """A fingerprint of the validated content, so a retry whose JSON differs only
    in spacing or key order counts as the same referral. A community referral
    hashes without its (defaulted) kind, as every v1 body did before 1.1: a retry
    across the upgrade is the same referral, not a conflict."""
    if data.get("kind") == "community":
        data = {k: v for k, v in data.items() if k != "kind"}
    canonical = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _find_existing(source, source_reference, client_id, idempotency_key):
    if client_id is not None and idempotency_key:
        found = db.session.scalar(select(Referral).where(
            Referral.api_client_id == client_id, Referral.idempotency_key == idempotency_key))
        if found is not None:
            return found, "Idempotency-Key"
    # The same key as the database's: (client, source_reference) for a sending
    # system, (source, source_reference) for a form (no client). Another client's
    # referral is never found, so never answered or named.
    if client_id is not None:
        same = Referral.api_client_id == client_id
    else:
        same = Referral.api_client_id.is_(None) & (Referral.source == source)
    found = db.session.scalar(select(Referral).where(same, Referral.source_reference == source_reference))
    return found, "source_reference"


def _replay(existing: Referral, key_kind: str, fingerprint: str) -> IntakeResult:
    if existing.content_hash != fingerprint:
        raise IntakeConflict(
            f"A referral with this {key_kind} was already received with different content "
            f"({existing.reference}). Send changes as a new referral or contact SPOA.", existing,
        )
    return IntakeResult(existing, created=False)


_DISCHARGE = DischargeSchema()


def _discharge_columns(data: dict) -> dict:
    """A discharge's section, stored as received (JSON: dates as ISO text), and the
    values the rules, the queue and the ward's access select on, as columns."""
    section = data.get("discharge")
    if section is None:
        return {"kind": data.get("kind", "community")}
    return {
        "kind": data["kind"], "discharge": _DISCHARGE.dump(section),
        "hospital_ods": section["hospital_ods"], "ward": section["ward"],
        "admitted_on": section["admitted_on"], "discharge_ready_date": section["discharge_ready_date"],
        "expected_discharge_date": section.get("expected_discharge_date"),
        "proposed_pathway": section.get("proposed_pathway"),
    }


def _build(data: dict, *, referral_id, fingerprint, actor, client_id, user_id, idempotency_key, channel,
           nhs_number_check_failed, details=None) -> Referral:
    at = now()
    sender_time = data.get("received_at")
    received_at = receipt(sender_time, at, receipt_max_age())
    patient = dict(data["patient"])
    referral = Referral(
        id=referral_id,  # now, not at flush: clock effects made at intake carry it
        reference=new_reference(), source=data["source"], source_reference=data["source_reference"],
        api_client_id=client_id, created_by_user_id=user_id, idempotency_key=idempotency_key,
        content_hash=fingerprint, channel=channel, created_at=at, updated_at=at,
        received_at=received_at,
        sender_received_at=sender_time, state="received",
        emas_category=data.get("emas_category"), referrer=data.get("referrer"),
        nhs_number=patient.get("nhs_number"), nhs_number_check_failed=nhs_number_check_failed,
        presenting_need=data["presenting_need"], description=data.get("description"),
        pathways_disposition=data.get("pathways_disposition"),
        red_flags=data.get("red_flags") or [], observations=data.get("observations"),
        mental_health=data.get("mental_health"), function=data.get("function"),
        consent=data["consent"], **_discharge_columns(data),
        alerts=[],  # known empty until a flag raises one: answering costs no query
        **{k: patient.get(k) for k in Referral.PATIENT_FIELDS if k != "nhs_number"},
        # What a FHIR message says beyond the intake contract (a pushed call's breach time, its
        # case number...): set before triage, since a pushed call's clock is due at its breach time.
        **(details or {}),
    )
    # Arrival is not a transition (there is no state before it) but it is part
    # of the history: who sent it, and when it was received.
    audit.record(actor, "receive", referral=referral, to_state="received",
                 detail={"channel": channel, "source": data["source"]})
    started = time.perf_counter()
    triage_by_rules(referral, intake_facts(data, received_at, nhs_number_check_failed), Actor.system())
    TRIAGE_SECONDS.labels(referral.route or "none").observe(time.perf_counter() - started)
    return referral


def receive_referral(data: dict, *, actor: Actor, client_id: int | None = None,
                     user_id: int | None = None, idempotency_key: str | None = None,
                     channel: str = "api", nhs_number_check_failed: bool = False,
                     with_referral=None, details: dict | None = None) -> IntakeResult:
    """Store, triage and clock a validated referral; or return the one already stored.
    with_referral(referral), if given, adds rows of the channel's own (the FHIR message
    as received) to the same transaction, on every attempt: they commit, or fail on
    their own unique constraints, together with the referral. ``details``: referral
    columns a FHIR message sets beyond the intake contract (spoa/schemas/fhir/push.py)."""
    fingerprint = content_hash(data)
    for _ in range(REFERENCE_ATTEMPTS):
        referral_id = uuid.uuid4()
        with bound(referral_id=referral_id):  # the log lines of its triage, clocks and storing
            result = _attempt(data, referral_id=referral_id, fingerprint=fingerprint, actor=actor,
                              client_id=client_id, user_id=user_id, idempotency_key=idempotency_key,
                              channel=channel, nhs_number_check_failed=nhs_number_check_failed,
                              with_referral=with_referral, details=details)
        if result is not None:
            return result
    raise RuntimeError("could not store referral after retries")


def _attempt(data: dict, *, referral_id, fingerprint, actor, client_id, user_id, idempotency_key,
             channel, nhs_number_check_failed, with_referral, details=None) -> IntakeResult | None:
    """One try at storing it: None when the random reference collided (draw another)."""
    # Insert first, look up only on a unique-constraint failure: a new
    # referral (the common case) costs no extra query.
    referral = _build(
        data, referral_id=referral_id, fingerprint=fingerprint, actor=actor, client_id=client_id,
        user_id=user_id, idempotency_key=idempotency_key, channel=channel,
        nhs_number_check_failed=nhs_number_check_failed, details=details,
    )
    db.session.add(referral)
    if with_referral is not None:
        with_referral(referral)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        # A retry, concurrent or not, of a stored referral; or else the random
        # reference collided and the next pass draws another.
        existing, key_kind = _find_existing(
            data["source"], data["source_reference"], client_id, idempotency_key)
        if existing is not None:
            return _replay(existing, key_kind, fingerprint)
        return None
    log.info("referral received referral_id=%s route=%s", referral.id, referral.route)
    return IntakeResult(referral, created=True)
