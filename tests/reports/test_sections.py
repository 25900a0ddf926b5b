"""sections.table builds only the section that owns the table: each section module
names its tables (TABLES), and that list must be what its section builds."""
from datetime import date

from spoa.domain.period import Filters, Period
from spoa.reports import sections

WEEK = Period(date(2026, 10, 19), date(2026, 10, 25))


def test_each_section_declares_exactly_the_tables_it_builds(db):
    for module in sections.SECTIONS:
        assert tuple(t.id for t in module.section(WEEK, Filters()).tables) == module.TABLES, module.__name__
    every = [table_id for module in sections.SECTIONS for table_id in module.TABLES]
    assert len(set(every)) == len(every)


def test_one_table_builds_its_own_section_only(db, monkeypatch):
    built = []
    for module in sections.SECTIONS:
        real = module.section
        def counted(period, filters, real=real, name=module.__name__):
            built.append(name)
            return real(period, filters)
        monkeypatch.setattr(module, "section", counted)

    found = sections.table("discharge_timeliness", WEEK)
    assert found.id == "discharge_timeliness" and found.rows
    assert built == ["spoa.reports.discharge"]
    assert sections.table("no_such_table", WEEK) is None
    assert built == ["spoa.reports.discharge"]
