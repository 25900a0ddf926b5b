"""Patients a member of staff looked up with the duplicate check, for its hourly
allowance (spoa/services/lookups.py). The patient is a keyed hash, never the NHS number."""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime


class PatientLookup(db.Model):
    __tablename__ = "patient_lookups"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)
    patient_key = db.Column(db.String(64), primary_key=True)  # HMAC-SHA256, hex
    at = db.Column(UTCDateTime, nullable=False)  # the latest look-up of this patient by this person
