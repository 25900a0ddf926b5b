"""Voluntary organisations on the duty rota, for tests: add_org(db, "good_neighbours", total=3)."""
from datetime import date

from spoa.models import Service
from spoa.platform.timekeeping import now, uk_date

EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


def add_org(db, code: str, *, name: str | None = None, days=EVERY_DAY, total: int | None = None,
            in_use: int = 0, declared_for: date | None = None) -> Service:
    """An active voluntary organisation on duty on ``days``; with ``total``, its
    capacity declared for ``declared_for`` (today in the UK, by default)."""
    org = Service(code=code, name=name or code.replace("_", " ").title(), kind="voluntary", duty_days=list(days))
    if total is not None:
        org.capacity_total, org.capacity_in_use = total, in_use
        org.capacity_unit = "referrals today"
        org.capacity_for = declared_for or uk_date(now())
    db.session.add(org)
    db.session.commit()
    return org
