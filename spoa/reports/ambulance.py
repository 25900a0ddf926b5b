"""Ambulance shift: (being built; see /work/wt/COMMON14.md)."""
from .period import Filters, Period
from .table import Section


def section(period: Period, filters: Filters) -> Section:
    return Section(id="ambulance", title="Ambulance shift", tables=())
