"""The discharges' lane is live like every other: a new discharge, a delay's reason, a
discharge recorded and a route changed reach every open queue page as its row (the
lane's counts follow the rows, in the page's script); one that closes leaves the lane.
Names a ward or a hospital's system typed reach the page as text."""
import uuid

import pytest

from spoa.domain.actor import Actor
from spoa.models import Referral, Service
from spoa.services.actions import apply_event
from tests.support.data.discharge_rows import (
    make_discharge,
    record_delay,
    record_discharge,
)
from tests.support.signing_in import signed_in_session

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
SUPERVISOR = Actor(kind="user", name="sian", role="supervisor")


@pytest.fixture
def watching(supervisor_stream):
    stream = supervisor_stream()
    stream.wait_for(lambda n, d: n == "snapshot")
    return stream


def row_event(stream, referral_id, has: str):
    return stream.wait_for(lambda n, d: n == "row" and d["id"] == str(referral_id) and has in d["html"])[1]


def test_a_new_discharge_arrives_in_the_discharges_lane(watching, send_discharge, db):
    referral = make_discharge(db, send_discharge, drd_in_days=0)
    db.session.remove()
    change = row_event(watching, referral.id, "Ready today")
    assert change["lane"] == "discharge" and 'data-pathway="1"' in change["html"]


def test_a_delay_s_reason_and_the_discharge_update_the_row_and_a_closing_discharge_leaves(watching, send_discharge, db):
    delayed = make_discharge(db, send_discharge, drd_in_days=-1)
    simple = make_discharge(db, send_discharge, "discharge_simple", drd_in_days=0)
    db.session.remove()
    row_event(watching, delayed.id, "no reason recorded")
    record_delay(db, delayed.id, "awaiting_care_package")
    change = row_event(watching, delayed.id, "Delayed 1 day: Awaiting a package of care at home")
    assert 'data-delayed="1"' in change["html"]
    record_discharge(db, delayed.id)  # home rehab: the welfare check's clock starts
    change = row_event(watching, delayed.id, "Discharged, welfare check due by ")
    assert 'data-delayed="0"' in change["html"] and "(1 day delayed)" in change["html"]
    record_discharge(db, simple.id)  # a simple discharge is done once the patient has left
    watching.wait_for(lambda n, d: n == "gone" and d["id"] == str(simple.id))


def test_a_route_change_moves_the_pathway_and_the_service(watching, send_discharge, db):
    referral = make_discharge(db, send_discharge, "supervisor_review", proposed_pathway=1)
    db.session.remove()
    row_event(watching, referral.id, "A person decides (ward proposed P1)")
    stored = db.session.get(Referral, referral.id)
    apply_event(stored, "triage", SUPERVISOR, route="bed_rehab", urgency="urgent", reason="Needs a bed tonight")
    db.session.remove()
    change = row_event(watching, referral.id, "P2 (ward proposed P1)")
    assert change["lane"] == "discharge" and "Bed-based rehabilitation" in change["html"]


def test_a_capacity_change_says_each_service_s_words_for_the_lane_s_rows(watching, db):
    service = Service(code="care_home_assessment", name="Care-home assessment", capacity_total=4, capacity_in_use=1)
    db.session.add(service)
    db.session.commit()
    db.session.remove()
    _, board = watching.wait_for(lambda n, d: n == "capacity")
    assert board["free"]["care_home_assessment"] == "3 of 4 care-home assessment beds free"


def test_hospital_and_ward_names_in_markup_are_escaped_in_the_lane_the_filter_and_the_stream(
        live_server, supervisor_stream, send_discharge, db):
    first = make_discharge(db, send_discharge, hospital_name=HOSTILE, ward=HOSTILE + "'\"")
    db.session.remove()
    page = signed_in_session(live_server, "sian").get(f"{live_server}/queue").text  # the fixture's supervisor
    assert HOSTILE not in page and "<img" not in page
    row = page[page.index(f'id="row-{first.id}"'):]
    assert f"<td>{ESCAPED}<br>{ESCAPED}&#x27;&quot;</td>" in row[:row.index("</tr>")]
    assert f'<option value="RNS01">{ESCAPED}</option>' in page

    stream = supervisor_stream()
    _, snapshot = stream.wait_for(lambda n, d: n == "snapshot")
    assert ESCAPED in snapshot["lanes"]["discharge"]
    second = make_discharge(db, send_discharge, hospital_name=HOSTILE, ward=HOSTILE)
    db.session.remove()
    change = row_event(stream, second.id, ESCAPED)
    assert "<img" not in change["html"]
    for _, data in stream.events:
        assert HOSTILE not in str(data)


def test_a_discharge_s_own_row_is_found_by_id_among_others(app, send_discharge, db):
    """rows_for (a live change) reads the same row the first render does."""
    from spoa.live import queue_view

    referral = make_discharge(db, send_discharge, drd_in_days=-2)
    db.session.remove()
    found = queue_view.rows_for([str(referral.id), str(uuid.uuid4())])
    first = next(r for r in queue_view.open_rows() if r.id == str(referral.id))
    assert found[str(referral.id)] == first and list(found.values())[1] is None
