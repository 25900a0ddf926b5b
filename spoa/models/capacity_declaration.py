"""A capacity declaration as it was made: the history the reports read (use against
declared capacity per service per day). The service row holds only the latest."""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime


class CapacityDeclaration(db.Model):
    __tablename__ = "capacity_declarations"
    __table_args__ = (
        db.Index("ix_capacity_declarations_service_code_day", "service_code", "day"),
        db.Index("ix_capacity_declarations_day", "day"),
    )

    id = db.Column(db.Integer, primary_key=True)
    service_code = db.Column(db.String(32), nullable=False)
    at = db.Column(UTCDateTime, nullable=False)
    day = db.Column(db.Date, nullable=False)  # the UK day it was made on (a voluntary one is for that day)
    total = db.Column(db.Integer, nullable=False)
    in_use = db.Column(db.Integer, nullable=False)
    declared_by = db.Column(db.String(120), nullable=False)
    via = db.Column(db.String(16), nullable=True)  # page | api
