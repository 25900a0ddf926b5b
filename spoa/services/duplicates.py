"""Open referrals that may be for the same patient as a new call (issue 5).

Same NHS number; or, where either side has no NHS number, the same names, date
of birth and postcode. Two different NHS numbers are two different people, even
with the same name and birthday. The call handler decides: a match is a warning,
never a refusal.
"""
from sqlalchemy import func, or_, select

from ..extensions import db
from ..lifecycle import OPEN_STATES
from ..models import Referral

LIMIT = 5


def open_duplicates(data: dict) -> list[Referral]:
    """``data`` is a loaded intake body (IntakeSchema): names trimmed, postcode normalised."""
    patient = data["patient"]
    nhs_number = patient.get("nhs_number")
    same_person = (
        (func.lower(Referral.family_name) == patient["family_name"].lower())
        & (func.lower(Referral.given_name) == patient["given_name"].lower())
        & (Referral.date_of_birth == patient["date_of_birth"])
        & (Referral.postcode == patient["postcode"])
    )
    if nhs_number:
        match = or_(Referral.nhs_number == nhs_number, same_person & Referral.nhs_number.is_(None))
    else:
        match = same_person
    # A resent submission (Save pressed twice) is the same referral, not a duplicate of it.
    itself = (Referral.source == data["source"]) & (Referral.source_reference == data["source_reference"])
    stmt = (select(Referral).where(Referral.state.in_(OPEN_STATES), match, ~itself)
            .order_by(Referral.received_at.desc()).limit(LIMIT))
    return list(db.session.scalars(stmt))
