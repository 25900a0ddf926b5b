"""Which referrals a table counts: those received in the period (COMMON14's one
definition), narrowed by the report's filters (Filters.on_referrals)."""
from spoa.domain.period import Filters, Period
from spoa.models import Referral


def received_in(period: Period, filters: Filters, *, route: bool = True, source: bool = True) -> list:
    """WHERE clauses: received in [period.start, period.end), and the filters' route
    and source. ``route=False`` where a table applies the route filter to another
    route than the referral's own now (a decline's: the route that declined it);
    ``source=False`` where the source filter does not apply (EMAS's own referrals)."""
    return [Referral.received_at >= period.start, Referral.received_at < period.end,
            *filters.on_referrals(route=route, source=source)]
