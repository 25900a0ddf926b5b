"""A receiver's circuit: the far ends SPOA posts to, one row an origin
(scheme://host:port, or the SMTP relay), so every worker backs off the same one."""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime


class OutboundHost(db.Model):
    __tablename__ = "outbound_hosts"

    origin = db.Column(db.String(300), primary_key=True)
    consecutive_failures = db.Column(db.Integer, nullable=False, default=0)
    # Open (nothing sent to it) until then; past it, one trial goes (half-open).
    open_until = db.Column(UTCDateTime, nullable=True)
    last_error = db.Column(db.String(500), nullable=True)
    updated_at = db.Column(UTCDateTime, nullable=True)
