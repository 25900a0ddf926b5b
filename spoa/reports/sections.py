"""The report's sections, in the page's order, and the one place a report is built."""
from sqlalchemy import text

from spoa.domain.period import Filters, Period
from spoa.extensions import db
from spoa.reports import ambulance, capacity_use, demand, discharge, flow, performance, push
from spoa.reports.table import Section, Table

SECTIONS = (demand, performance, flow, capacity_use, discharge, ambulance, push)


def _no_jit() -> None:
    """PostgreSQL compiles a query it thinks costly (a year's aggregate) before running
    it: measured at 500,000 referrals, JIT's compiling took 1.2 s of a 2.5 s query and
    saved nothing. Off for the rest of this transaction (the request's) only."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def build(period: Period, filters: Filters | None = None) -> list[Section]:
    filters = filters or Filters()
    _no_jit()
    return [module.section(period, filters) for module in SECTIONS]


def table(table_id: str, period: Period, filters: Filters | None = None) -> Table | None:
    """One table by its id (a CSV download), or None for an unknown id. Only the
    section that declares it in its TABLES is built: one CSV does not cost the whole
    report. (A section without TABLES, such as a test's stand-in, is built to look.)"""
    filters = filters or Filters()
    _no_jit()
    for module in SECTIONS:
        declared = getattr(module, "TABLES", None)
        if declared is not None and table_id not in declared:
            continue
        found = next((t for t in module.section(period, filters).tables if t.id == table_id), None)
        if found is not None:
            return found
    return None
