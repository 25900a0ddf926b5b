"""The report's sections, in the page's order, and the one place a report is built."""
from . import ambulance, capacity_use, demand, discharge, flow, performance
from .period import Filters, Period
from .table import Section, Table

SECTIONS = (demand, performance, flow, capacity_use, discharge, ambulance)


def build(period: Period, filters: Filters | None = None) -> list[Section]:
    filters = filters or Filters()
    return [module.section(period, filters) for module in SECTIONS]


def table(table_id: str, period: Period, filters: Filters | None = None) -> Table | None:
    """One table by its id (a CSV download), or None for an unknown id."""
    for section in build(period, filters):
        for found in section.tables:
            if found.id == table_id:
                return found
    return None
