"""The live preview (services/triage.preview) shows a discharge's own clocks: the
4-hour accept and the DRD, not the community route's."""
from datetime import date

from spoa.schemas.intake import IntakeSchema
from spoa.services.triage import preview
from tests.support.data.discharge_data import discharge_body
from tests.support.data.discharges import uk


def test_a_discharges_preview_shows_its_accept_and_drd_deadlines(app, db, frozen_now):
    frozen_now(uk(2026, 11, 23, 10, 0))
    data = IntakeSchema().load(discharge_body(date(2026, 11, 23)))  # DRD tomorrow, home rehab (D5)
    shown = preview(data)
    assert shown["route"] == "home_rehab"
    assert shown["clocks"] == [{"name": "accept", "deadline": "Mon 23 Nov 2026 14:00 GMT"},
                               {"name": "discharge", "deadline": "Tue 24 Nov 2026 23:59 GMT"}]


def test_a_community_preview_is_as_it_was(app, db, frozen_now, payload):
    frozen_now(uk(2026, 11, 23, 10, 0))
    shown = preview(IntakeSchema().load(payload()))
    assert [c["name"] for c in shown["clocks"]] == ["first_contact"]
    assert shown["clocks"][0]["deadline"] == "Mon 23 Nov 2026 12:00 GMT"
