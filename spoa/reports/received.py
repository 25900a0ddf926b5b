"""Which referrals a table counts: those received in the period (COMMON14's one
definition), narrowed by the report's filters."""
from ..models import Referral
from .period import Filters, Period


def received_in(period: Period, filters: Filters, *, route: bool = True) -> list:
    """WHERE clauses: received in [period.start, period.end), on the filters' route
    and source. ``route=False`` where the table applies the route filter to another
    route than the referral's current one (a decline's: the route that declined it)."""
    clauses = [Referral.received_at >= period.start, Referral.received_at < period.end]
    if route and filters.route:
        clauses.append(Referral.route == filters.route)
    if filters.source:
        clauses.append(Referral.source == filters.source)
    return clauses
