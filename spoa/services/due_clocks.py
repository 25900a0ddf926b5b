"""Which clocks are due: the queries behind the reconciler (workers/reconciler.py)
and the chase lag /health reports. Here, in spoa, so /health needs no worker code.

Every query reads ``next_due_at`` (indexed, NULL once a clock stops): a pass
costs what is due, not what is open.
"""
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from spoa.extensions import db
from spoa.models import Clock
from spoa.platform.database import skip_locked
from spoa.platform.timekeeping import now


def _due_by(at: datetime):
    return Clock.next_due_at.is_not(None), Clock.next_due_at <= at


def claim_due(at: datetime, limit: int) -> list[Clock]:
    """Up to ``limit`` clocks whose next threshold has passed by ``at``, oldest first;
    on PostgreSQL locked FOR UPDATE SKIP LOCKED, so concurrent workers share them
    without waiting. Each comes with its effects and referral (needed to advance
    it): loaded with the batch, not one lazy query per clock."""
    stmt = (select(Clock).where(*_due_by(at))
            .options(selectinload(Clock.effects), selectinload(Clock.referral))
            .order_by(Clock.next_due_at).limit(limit))
    return db.session.scalars(skip_locked(stmt, db.session, of=Clock)).all()


def oldest_due(at: datetime | None = None) -> datetime | None:
    """The oldest threshold due but not yet processed: the chase lag is ``now - this``."""
    return db.session.scalar(select(Clock.next_due_at).where(*_due_by(at or now()))
                             .order_by(Clock.next_due_at).limit(1))
