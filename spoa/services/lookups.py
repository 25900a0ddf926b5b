"""How many patients one person may look up with the duplicate check in an hour
(DUPLICATE_LOOKUPS_PER_HOUR): the form's preview runs it as a call handler types,
and without a bound it would answer, number by number, who has an open referral.

A patient is their NHS number, or (without one) their names, date of birth and
postcode: the same details the check matches on (services/duplicates.py). Each is
kept as an HMAC under a key derived from SECRET_KEY for this one purpose, never
in plain, with the person and the time of their latest look-up; the same patient
again is the same row, so it counts once. Rows an hour old are deleted as the
person's next look-up is counted. (A new SECRET_KEY makes earlier rows count
apart for that hour: at most one hour's allowance twice.)

The count is in the database, not Redis, because it bounds access to patient data:
with Redis down it must still hold. The person's user row is read FOR UPDATE while
counting (on SQLite every transaction begins IMMEDIATE), so two previews at once
cannot both take the last place.
"""
import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from spoa.domain.actor import Actor
from spoa.extensions import db
from spoa.models import PatientLookup, User
from spoa.platform.timekeeping import now
from spoa.services.duplicates import name_key

PERIOD = timedelta(hours=1)
_PURPOSE = b"spoa patient look-up allowance v1"


def patient_key(patient: dict) -> str:
    """The keyed hash of whom the check looks for (a loaded intake body's patient)."""
    if patient.get("nhs_number"):
        who = "nhs:" + patient["nhs_number"]
    else:
        who = "|".join(("person", name_key(patient.get("family_name")), name_key(patient.get("given_name")),
                        str(patient.get("date_of_birth")), patient.get("postcode") or ""))
    secret = current_app.config["SECRET_KEY"]
    key = hmac.new(secret.encode() if isinstance(secret, str) else secret, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, who.encode(), hashlib.sha256).hexdigest()


def look_up(actor: Actor, patient: dict, may_refuse: bool = True) -> bool:
    """Count this person's look-up of ``patient``; False when it is a patient beyond
    their allowance (nothing counted if ``may_refuse``). A save is never refused
    (``may_refuse=False``): it is counted either way, so its patient is not counted
    again, and False tells it the check is not free. Commits."""
    if actor.kind != "user" or actor.id is None:
        return True
    at = now()
    key = patient_key(patient)
    db.session.scalar(select(User.id).where(User.id == actor.id).with_for_update())
    db.session.execute(delete(PatientLookup).where(PatientLookup.user_id == actor.id,
                                                   PatientLookup.at <= at - PERIOD))
    row = db.session.get(PatientLookup, (actor.id, key), populate_existing=True)
    within = row is not None or _count(actor.id) < current_app.config["DUPLICATE_LOOKUPS_PER_HOUR"]
    if row is not None:
        row.at = at
    elif may_refuse and not within:
        db.session.rollback()
        return False
    else:
        db.session.add(PatientLookup(user_id=actor.id, patient_key=key, at=at))
    db.session.commit()
    return within


def _count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(PatientLookup)
                             .where(PatientLookup.user_id == user_id))


def next_place(actor: Actor) -> datetime:
    """When the oldest look-up in the person's hour leaves it (a place frees up)."""
    oldest = db.session.scalar(select(func.min(PatientLookup.at)).where(PatientLookup.user_id == actor.id))
    return (oldest or now()) + PERIOD
