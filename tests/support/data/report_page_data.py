"""Rows and a report section for tests of the reports page (the web tests and the
browser's): referrals inserted directly with the instants a test names, their
2-hour clocks, and REPORT, a section standing in for the real ones
(``monkeypatch.setattr(sections, "SECTIONS", (REPORT,))``) so a test of what the
page does with a section does not depend on what the sections hold."""
import itertools
import types
from datetime import date, timedelta

from spoa.extensions import db as _db
from spoa.models import AuditEvent, Clock, Referral
from spoa.reports import two_hour
from spoa.reports.table import Chart, Column, Section, Table

_numbers = itertools.count(1)


def referral(received_at, **columns) -> Referral:
    n = next(_numbers)
    row = Referral(**{
        "reference": f"SPX{n:07d}", "source": "emas", "source_reference": f"EMAS-SECRET-{n:05d}",
        "content_hash": f"{n:064d}", "channel": "api", "received_at": received_at, "state": "accepted",
        "route": "crisis_response", "urgency": "urgent", "kind": "community", "given_name": "Report",
        "family_name": f"Fixture {n}", "date_of_birth": date(1940, 1, 1), "postcode": "NN1 1AA",
        "presenting_need": "fall_no_injury", "red_flags": [], "consent": True, **columns})
    _db.session.add(row)
    return row


def two_hour_clock(row: Referral, met_after=None, **columns) -> Clock:
    deadline = row.received_at + timedelta(hours=2)
    met_at = row.received_at + met_after if met_after is not None else None
    columns.setdefault("route", row.route)  # as deadlines._new_clock: the route it is started for
    clock = Clock(name="first_contact", counts="24/7", met_by=["first_contact"], started_at=row.received_at,
                  received_at=row.received_at, deadline=deadline, status="met" if met_at else "running", met_at=met_at,
                  **columns)
    row.clocks.append(clock)
    if met_at:
        row.first_contact_at = met_at  # (as services/events.py records it, beside its audit row)
        row.history.append(AuditEvent(at=met_at, actor_kind="user", actor_name="Test worker", event="first_contact",
                                      from_state="accepted", to_state="in_progress"))
    return clock


def _free_text_table(period, filters) -> Table:
    rows = tuple((r.reason, 1) for r in _db.session.query(AuditEvent).filter_by(event="decline"))
    return Table(id="test_decline_reasons", title="Decline reasons (test)",
                 columns=(Column("reason", "Reason", "text"), Column("declines", "Declines")), rows=rows,
                 note="Reasons as typed by staff.")


def _section(period, filters) -> Section:
    days = tuple((day, 3 + i, i) for i, day in enumerate(period.days))
    return Section(id="test", title="Test section", headlines=(two_hour.headline(period, filters),), tables=(
        Table(id="test_by_day", title="Referrals per day (test)",
              columns=(Column("day", "Day", "date"), Column("emas", "EMAS"), Column("gp", "GP")), rows=days,
              chart=Chart("bar", "day", ("emas", "gp"))),
        Table(id="test_share", title="Share met (test)",
              columns=(Column("route", "Route", "text"), Column("met", "Met"), Column("share", "Share met", "percent")),
              rows=(("crisis_response", 3, 75.0), ("home_rehab", 0, None)), chart=Chart("line", "route", ("share",))),
        Table(id="test_stack", title="Outcomes (test)",
              columns=(Column("route", "Route", "text"), Column("met", "Met"), Column("breached", "Breached")),
              rows=(("Crisis response", 3, 1), ("=HYPERLINK(1)", 0, 2)),
              chart=Chart("stacked_bar", "route", ("met", "breached"))),
        _free_text_table(period, filters),
    ))


REPORT = types.SimpleNamespace(section=_section)


