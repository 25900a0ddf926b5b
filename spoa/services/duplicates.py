"""Open referrals that may be for the same patient as a new call.

Same NHS number; or, where either side has no NHS number, the same names, date
of birth and postcode. Two different NHS numbers are two different people, even
with the same name and birthday. The call handler decides: a match is a warning,
never a refusal.

Names are compared here, in Python, not with SQL's lower(): SQLite's lower() folds
ASCII only, so "ÉMILE" and "émile" would be one person on PostgreSQL and two on
SQLite. The database narrows by what it indexes (NHS number; date of birth and
postcode), and the few candidates are compared casefolded and NFC-normalised.
"""
import unicodedata

from sqlalchemy import and_, or_, select

from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.models import Referral

LIMIT = 5
# Open referrals sharing a date of birth and postcode are a handful; this bounds
# the work should a test or a bad sender make thousands.
CANDIDATES = 200


def name_key(name: str | None) -> str:
    """A name as compared: NFC, casefolded (ß = ss, É = é), spaces collapsed."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", name or "").casefold())
    return " ".join(folded.split())


def open_duplicates(data: dict, client_id: int | None = None) -> list[Referral]:
    """``data`` is a loaded intake body (IntakeSchema): names trimmed, postcode normalised.
    ``client_id``: the sending system's, or None for a staff form (its own resend is
    the same referral, not a duplicate of it)."""
    patient = data["patient"]
    nhs_number = patient.get("nhs_number")
    same_place = and_(Referral.date_of_birth == patient["date_of_birth"], Referral.postcode == patient["postcode"])
    narrowed = or_(Referral.nhs_number == nhs_number, same_place) if nhs_number else same_place
    sender = Referral.api_client_id == client_id if client_id is not None else Referral.api_client_id.is_(None)
    itself = sender & (Referral.source == data["source"]) & (Referral.source_reference == data["source_reference"])
    stmt = (select(Referral).where(Referral.state.in_(OPEN_STATES), narrowed, ~itself)
            .order_by(Referral.received_at.desc()).limit(CANDIDATES))
    names = (name_key(patient["family_name"]), name_key(patient["given_name"]))

    def same_person(r: Referral) -> bool:
        if nhs_number and r.nhs_number == nhs_number:
            return True
        if nhs_number and r.nhs_number:
            return False  # two numbers, two people
        return (r.date_of_birth == patient["date_of_birth"] and r.postcode == patient["postcode"]
                and (name_key(r.family_name), name_key(r.given_name)) == names)

    return [r for r in db.session.scalars(stmt) if same_person(r)][:LIMIT]
