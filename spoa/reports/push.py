"""Pushed 999 calls: what became of the Category 3 and 4 calls the ambulance service
pushed to SPOA (kind pushed_call), per UK day of receipt, and the three ratios NHS
England quotes for the push model. The table downloads as /reports/push.csv.

Every figure counts pushed calls received in the period (the route and source
filters as everywhere: the route each is on now), each call once per column:

    taken         accepted, or first contacted, at or before its breach time (the
                  sender's, or DEFAULT_BREACH_MINUTES after receipt when it gave none)
    returned      a RETURN_EVENT: by its reason code when a person or the rules
                  returned it, apart when SPOA returned it by itself at the breach time
    completed     without an ambulance: completed (COMPLETE_EVENT) and never found
                  to need one; needing one: a clinician found it did (AMBULANCE_EVENT)
    accepted by UCR       accepted by a service, and on the crisis response route now
    redirected            on another community route now (not crisis response, not
                          999/ED, not a supervisor's review) and not returned
    avoided conveyance    completed without an ambulance

The ratios are of the calls received (docs/reports.md says why).
"""
from collections import Counter

from sqlalchemy import and_, case, distinct, exists, func, not_, or_, select

from rules.policy_model import RETURN_REASONS
from spoa.domain.period import Filters, Period
from spoa.domain.vocab import PUSHED_CALL
from spoa.extensions import db
from spoa.models import AuditEvent, Referral
from spoa.platform.sql import UKHours, seconds_between, uk_hours
from spoa.reports import two_hour
from spoa.reports.received import received_in
from spoa.reports.table import Chart, Column, Headline, Section, Table, percent

# The lifecycle's names for what happens to a pushed call: one place, to align with it.
TAKEN_BY = ("accept", "first_contact")
ACCEPT_EVENT = "accept"
RETURN_EVENT = "return_to_sender"      # to_state "returned"; detail {"reason_code", "reason", "automatic"}
REASON_CODES = tuple(RETURN_REASONS)   # rejected-reasons-bars: not available in time, failed contact, other
AMBULANCE_EVENT = "request_ambulance"  # the patient needs an ambulance after all: the call ends needing one
COMPLETE_EVENT = "complete"
DEFAULT_BREACH_MINUTES = 20            # a call that names no breach time is due back this long after receipt
NOT_REDIRECTED = (two_hour.ROUTE, "emergency_redirect", "supervisor_review")

TABLES = ("push",)
COLUMNS = (
    Column("day", "Day", "date"),
    Column("received", "Pushed calls received"),
    Column("taken", "Taken by the breach time"),
    Column("returned_rrna", "Returned: not available in time (RRNA)"),
    Column("returned_fc", "Returned: failed contact (FC)"),
    Column("returned_oth", "Returned: other reason (OTH)"),
    Column("returned_at_breach", "Returned by SPOA at the breach time"),
    Column("completed_without_ambulance", "Completed without an ambulance"),
    Column("completed_needing_ambulance", "Ended needing an ambulance"),
    Column("accepted_by_ucr", "Accepted by urgent community response"),
    Column("redirected", "Redirected to another community service"),
    Column("avoided_conveyance_share", "Avoided conveyance (%)", "percent"),
    Column("accepted_by_ucr_share", "Accepted by UCR (%)", "percent"),
    Column("redirected_share", "Redirected (%)", "percent"),
)
_PER_CALL = ("received", "taken", "completed_without_ambulance", "completed_needing_ambulance", "accepted_by_ucr",
             "redirected")
_RETURNED = ("returned_rrna", "returned_fc", "returned_oth", "returned_at_breach")
RATIOS = (  # (headline id, label, numerator column)
    ("push_avoided_conveyance", "Pushed calls: avoided conveyance", "completed_without_ambulance"),
    ("push_accepted_by_ucr", "Pushed calls: accepted by urgent community response", "accepted_by_ucr"),
    ("push_redirected", "Pushed calls: redirected to another community service", "redirected"),
)


def _event(names, *where):
    """The call has one of these events (by the index on referral_id)."""
    return exists().where(AuditEvent.referral_id == Referral.id, AuditEvent.event.in_(names), *where)


def _flag(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _day(period: Period):
    return UKHours.day_number(uk_hours(Referral.received_at, period.start, period.end)).label("day")


def _calls(period: Period, filters: Filters) -> dict:
    """{day: Counter(column: calls)} for the per-call columns, one GROUP BY."""
    in_time = or_(and_(Referral.breach_at.is_not(None), AuditEvent.at <= Referral.breach_at),
                  and_(Referral.breach_at.is_(None),
                       seconds_between(AuditEvent.at, Referral.received_at) <= DEFAULT_BREACH_MINUTES * 60))
    returned = _event((RETURN_EVENT,))
    needing = _event((AMBULANCE_EVENT,))
    day = _day(period)
    query = (select(day, func.count(), _flag(_event(TAKEN_BY, in_time)),
                    _flag(and_(_event((COMPLETE_EVENT,)), not_(needing))), _flag(needing),
                    _flag(and_(Referral.route == two_hour.ROUTE, _event((ACCEPT_EVENT,)))),
                    _flag(and_(Referral.route.is_not(None), Referral.route.not_in(NOT_REDIRECTED), not_(returned))))
             .where(Referral.kind == PUSHED_CALL, *received_in(period, filters))
             .group_by(day))
    return {UKHours.day(n): Counter(dict(zip(_PER_CALL, (int(v) for v in values), strict=True)))
            for n, *values in db.session.execute(query)}


def _returns(period: Period, filters: Filters) -> dict:
    """{day: Counter(returned column: calls)}: each returned call once, by its return's reason."""
    code = AuditEvent.detail["reason_code"].as_string().label("code")
    automatic = AuditEvent.detail["automatic"].as_boolean().label("automatic")
    day = _day(period)
    query = (select(day, code, automatic, func.count(distinct(Referral.id)))
             .join(AuditEvent, AuditEvent.referral_id == Referral.id)
             .where(AuditEvent.event == RETURN_EVENT, Referral.kind == PUSHED_CALL, *received_in(period, filters))
             .group_by(day, code, automatic))
    found: dict = {}
    for n, reason, by_itself, calls in db.session.execute(query):
        reason = reason if reason in REASON_CODES else "OTH"  # a code the vocabulary lacks: "other"
        column = "returned_at_breach" if by_itself else f"returned_{reason.lower()}"
        found.setdefault(UKHours.day(n), Counter())[column] += calls
    return found


def _ratios(tally: Counter) -> tuple:
    return tuple(percent(tally[numerator], tally["received"]) for _id, _label, numerator in RATIOS)


def section(period: Period, filters: Filters) -> Section:
    calls, returns = _calls(period, filters), _returns(period, filters)
    rows, total = [], Counter()
    for day in period.days:
        tally = calls.get(day, Counter()) + returns.get(day, Counter())
        total += tally
        rows.append((day, *(tally[c] for c in _PER_CALL[:2]), *(tally[c] for c in _RETURNED),
                     *(tally[c] for c in _PER_CALL[2:]), *_ratios(tally)))
    headlines = tuple(
        Headline(id=headline_id, label=label, value=percent(total[numerator], total["received"]),
                 detail=(f"{total[numerator]} of {total['received']} pushed calls" if total["received"]
                         else "no pushed calls"))
        for headline_id, label, numerator in RATIOS)
    table = Table(
        id="push", title="Pushed 999 calls, day by day", columns=COLUMNS, rows=tuple(rows),
        chart=Chart("bar", x="day", series=("received", "taken"), title="Pushed calls received and taken"),
        note="Calls the ambulance service pushed, by the UK day SPOA received them. Taken: accepted or first "
             "contacted at or before the call's breach time. The four returned columns add up to the calls "
             "returned: by reason code, except those SPOA returned by itself at the breach time. A call can be "
             "taken and later returned. The three ratios are of the calls received.")
    return Section(id="push", title="Pushed 999 calls", headlines=headlines, tables=(table,),
                   note="The ambulance push model (BaRS Application 4): Category 3 and 4 calls pushed from the "
                        "999 stack, and what became of them.")
