"""The 2-hour urgent community response figure: the share of crisis response
referrals first contacted within their 2-hour clock, against the national 70%
ambition (standards.md). A clock counts under the route it was started for, not
the referral's route now: an override after the 2 hours had passed does not take
the breach out of the figure; one before the deadline cancels the clock (counted
beside the figure, not in it). Shown on the reports page and in the coordination
centre's feed, from this one computation."""
from sqlalchemy import func, select

from rules.clock_policy import TWO_HOUR_AMBITION
from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.models import Clock, Referral
from spoa.platform.timekeeping import now
from spoa.reports.clock_outcome import outcome, share_met
from spoa.reports.table import Headline

ROUTE = "crisis_response"
CLOCK = "first_contact"


def counts(period: Period, filters: Filters | None = None) -> dict[str, int]:
    """First-contact clocks started for crisis response (Clock.route: the route the
    clock ran for, so a crisis referral that breached and was then re-routed is still
    a crisis response breach) of referrals received in the period, by outcome now.
    The clock keeps its referral's receipt (Clock.received_at): no join to referrals
    unless a source filter asks for one."""
    state = outcome(now()).label("outcome")
    query = counted_clocks(select(state, func.count()).select_from(Clock), period, filters).group_by(state)
    found = dict(db.session.execute(query).all())
    return {name: int(found.get(name, 0)) for name in ("met", "breached", "running", "cancelled")}


def counted_clocks(query, period: Period, filters: Filters | None = None, *, with_referral: bool = False):
    """``query`` narrowed to the clocks the figure counts: the one definition, which
    the national clock file (csds_ucr.py) lists row by row. ``with_referral``: joined
    to its referral whatever the filters (a row of the file names its reference)."""
    filters = filters or Filters()
    query = query.where(Clock.name == CLOCK, Clock.route == ROUTE,
                        Clock.received_at >= period.start, Clock.received_at < period.end)
    if filters.source or with_referral:
        query = query.join(Referral, Referral.id == Clock.referral_id)
    if filters.source:
        query = query.where(Referral.source == filters.source)
    return query


def headline(period: Period, filters: Filters | None = None, label: str = "2-hour urgent community response",
             tally: dict[str, int] | None = None) -> Headline:
    """``tally``: counts(period, filters) when the caller has them already (the
    performance section's clocks table holds this very row)."""
    tally = tally if tally is not None else counts(period, filters)
    value = share_met(tally["met"], tally["breached"])
    decided = tally["met"] + tally["breached"]
    detail = (f"{tally['met']} of {decided} met within 2 hours" if decided else "none decided yet")
    if tally["running"]:
        detail += f"; {tally['running']} still within their 2 hours"
    return Headline(id="two_hour", label=label, value=value, kind="percent", target=TWO_HOUR_AMBITION,
                    target_label="national ambition 70%", detail=detail)
