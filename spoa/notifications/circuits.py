"""A circuit per receiver (its origin: scheme://host:port, or the SMTP relay), kept
in the database so every worker backs off the same far end. After
DELIVERY_CIRCUIT_FAILURES consecutive failed attempts the circuit opens for
DELIVERY_CIRCUIT_OPEN_SECONDS: its notifications are put back until then at
claim time, costing no worker any time, however many are queued for it. After
that one notification goes as a trial (half-open): its success closes the
circuit, its failure opens it again. The others wait for the trial's answer."""
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from spoa.extensions import db
from spoa.models import OutboundHost
from spoa.platform.database import is_postgresql


def origin(channel: str, target: str | None) -> str:
    if channel == "email":
        cfg = current_app.config
        return f"smtp://{cfg['SMTP_HOST']}:{cfg['SMTP_PORT']}"
    parts = urlsplit(target or "")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0  # not a port: the attempt fails and says so
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"[:300]


def _settings() -> tuple[int, timedelta]:
    cfg = current_app.config
    return int(cfg["DELIVERY_CIRCUIT_FAILURES"]), timedelta(seconds=float(cfg["DELIVERY_CIRCUIT_OPEN_SECONDS"]))


class Gate:
    """One claim's view of the circuits of the origins it met (read once; a trial it lets through is written
    in the claim's own transaction, so a pass claiming next sees the circuit held)."""

    def __init__(self, origins: set[str], at: datetime, trial_hold: timedelta):
        self.at, self.trial_hold = at, trial_hold
        self.failures, _ = _settings()
        self.hosts = ({h.origin: h for h in db.session.scalars(
            select(OutboundHost).where(OutboundHost.origin.in_(origins)))} if origins else {})

    def held_until(self, key: str) -> datetime | None:
        """None: send now. Otherwise when to look again (the circuit is open, or a trial is out)."""
        host = self.hosts.get(key)
        if host is None or host.consecutive_failures < self.failures:
            return None
        if host.open_until is not None and host.open_until > self.at:
            return host.open_until
        host.open_until = self.at + self.trial_hold  # half-open: this one is the trial
        return None


def record(key: str, error: str | None, at: datetime) -> None:
    """An attempt's result, in the caller's transaction. A host that never failed has no row:
    a success writes only to clear one that did."""
    failures, open_for = _settings()
    row = OutboundHost.__table__.c
    if error is None:
        db.session.execute(update(OutboundHost).where(row.origin == key, row.consecutive_failures > 0).values(
            consecutive_failures=0, open_until=None, last_error=None, updated_at=at))
        return
    insert = (postgresql if is_postgresql(db.session) else sqlite).insert
    db.session.execute(insert(OutboundHost).values(origin=key, consecutive_failures=0, updated_at=at)
                       .on_conflict_do_nothing(index_elements=["origin"]))
    # SET reads the row as it was: this failure is the count's + 1.
    db.session.execute(update(OutboundHost).where(row.origin == key).values(
        consecutive_failures=row.consecutive_failures + 1, last_error=error[:500], updated_at=at,
        open_until=case((row.consecutive_failures + 1 >= failures, literal(at + open_for, row.open_until.type)),
                        else_=row.open_until)))
