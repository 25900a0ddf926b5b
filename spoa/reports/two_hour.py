"""The 2-hour urgent community response figure: the share of crisis response
referrals first contacted within their 2-hour clock, against the national 70%
ambition (standards.md). Shown on the reports page and in the coordination
centre's feed, from this one computation."""
from sqlalchemy import func, select

from ..clocks import now
from ..extensions import db
from ..models import Clock, Referral
from .clock_outcome import outcome, share_met
from .period import Filters, Period
from .table import Headline

ROUTE = "crisis_response"
CLOCK = "first_contact"
AMBITION = 70.0  # percent: the national ambition for 2-hour urgent community response


def counts(period: Period, filters: Filters | None = None) -> dict[str, int]:
    """Clocks of crisis response referrals received in the period, by outcome now."""
    filters = filters or Filters()
    state = outcome(now()).label("outcome")
    query = (select(state, func.count()).select_from(Clock).join(Referral, Referral.id == Clock.referral_id)
             # A clock is written at its referral's receipt or later: the created_at bound lets
             # an index find a short period's clocks without reading every clock. (Not
             # started_at: a welfare check counts from a discharge that may precede receipt.)
             .where(Clock.name == CLOCK, Referral.route == ROUTE, Clock.created_at >= period.start,
                    Referral.received_at >= period.start, Referral.received_at < period.end)
             .group_by(state))
    if filters.source:
        query = query.where(Referral.source == filters.source)
    found = dict(db.session.execute(query).all())
    return {name: int(found.get(name, 0)) for name in ("met", "breached", "running", "cancelled")}


def headline(period: Period, filters: Filters | None = None, label: str = "2-hour urgent community response") -> Headline:
    tally = counts(period, filters)
    value = share_met(tally["met"], tally["breached"])
    decided = tally["met"] + tally["breached"]
    detail = (f"{tally['met']} of {decided} met within 2 hours" if decided else "none decided yet")
    if tally["running"]:
        detail += f"; {tally['running']} still within their 2 hours"
    return Headline(id="two_hour", label=label, value=value, kind="percent", target=AMBITION,
                    target_label="national ambition 70%", detail=detail)
