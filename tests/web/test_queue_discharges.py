"""The live queue's "Hospital discharges" lane: one row per open discharge,
where the patient is, the pathway reached and the ward's, the ready date and how it
stands, the service and its capacity; filters by hospital and pathway; counts at the top."""
import html
from datetime import datetime, timedelta

import pytest

from spoa.live import queue_view
from spoa.models import DelayedDay, Service
from spoa.platform.timekeeping import UTC
from tests.support.data.discharge_rows import day, make_discharge
from tests.support.data.duty_data import add_org
from tests.support.pages import rows_in
from tests.support.statements import statements

pytestmark = pytest.mark.both_databases

AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, 10:00 UK time (GMT)


@pytest.fixture
def today(frozen_now):
    frozen_now(AT)
    return AT


def row_of(page: str, referral) -> str:
    found = page[page.index(f'id="row-{referral.id}"'):]
    return found[:found.index("</tr>")]


def queue_page(client, query="") -> str:
    response = client.get(f"/queue{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_discharge_is_in_the_discharges_lane_and_in_no_community_lane(today, client, login_as, post,
                                                                        send_discharge, db):
    community = post()
    routed = make_discharge(db, send_discharge)
    undecided = make_discharge(db, send_discharge, "supervisor_review")  # D4: a person decides
    login_as("supervisor")
    page = queue_page(client)
    assert sorted(rows_in(page, "discharge")) == sorted([str(routed.id), str(undecided.id)])
    assert rows_in(page, "main") == [community["id"]] and rows_in(page, "review") == []


def test_a_row_shows_where_the_patient_is_the_pathways_the_ready_date_and_the_service_s_capacity(
        today, client, login_as, send_discharge, db):
    db.session.add(Service(code="bed_rehab", name="Bed-based rehabilitation", capacity_total=10, capacity_in_use=7))
    db.session.commit()
    referral = make_discharge(db, send_discharge, "bed_rehab", proposed_pathway=1, drd_in_days=2)
    login_as("supervisor")
    row = html.unescape(row_of(queue_page(client), referral))
    for shown in ("Northampton General Hospital<br>Talbot Butler", "<td>P2 (ward proposed P1)</td>",
                  "<td>Thu 26 Nov 2026</td>", ">Ready in 2 days</td>", "Bed-based rehabilitation<br>",
                  ">3 of 10 community beds free</span>", referral.reference, "<td>88</td>"):
        assert shown in row
    assert ('data-hospital="RNS01" data-hospital-name="Northampton General Hospital" data-pathway="2"'
            ' data-readiness="ready" data-delayed="0"') in row


def test_care_home_assessment_capacity_is_in_beds(today, client, login_as, send_discharge, db):
    db.session.add(Service(code="care_home_assessment", name="Care-home assessment", capacity_total=4,
                           capacity_in_use=4))
    db.session.commit()
    referral = make_discharge(db, send_discharge, "care_home_assessment", proposed_pathway=3)
    login_as("supervisor")
    row = row_of(queue_page(client), referral)
    assert ">none of 4 care-home assessment beds free</span>" in row and "<td>P3</td>" in row


def test_a_hospital_with_no_name_sent_is_shown_by_its_code(today, client, login_as, send_discharge, db):
    referral = make_discharge(db, send_discharge, hospital_name=None)
    login_as("supervisor")
    page = queue_page(client)
    assert "<td>RNS01<br>Talbot Butler</td>" in row_of(page, referral)
    assert '<option value="RNS01">RNS01</option>' in page


@pytest.mark.parametrize("drd_in_days, words", [
    (0, "Ready today"), (1, "Ready tomorrow"), (2, "Ready in 2 days"),
    (-1, "Delayed 1 day: no reason recorded"), (-2, "Delayed 2 days: no reason recorded"),
])
def test_how_the_ready_date_stands(today, client, login_as, send_discharge, db, drd_in_days, words):
    referral = make_discharge(db, send_discharge, drd_in_days=drd_in_days)
    login_as("supervisor")
    assert f">{words}</td>" in row_of(queue_page(client), referral)


def test_a_withdrawn_readiness_shows_no_ready_date(today, client, login_as, send_discharge, db):
    referral = make_discharge(db, send_discharge, withdrawn=True)
    login_as("supervisor")
    row = row_of(queue_page(client), referral)
    assert "<td>–</td><td class=\"readiness\">Readiness withdrawn</td>" in row
    assert 'data-readiness="withdrawn" data-delayed="0"' in row


def test_a_delay_shows_its_latest_reason_and_says_when_none_is_recorded_for_today(
        today, client, login_as, send_discharge, db):
    today_s = make_discharge(db, send_discharge, drd_in_days=-2)
    yesterday_s = make_discharge(db, send_discharge, drd_in_days=-2)
    db.session.add_all([
        DelayedDay(referral_id=today_s.id, day=day(-2), reason="awaiting_equipment"),
        DelayedDay(referral_id=today_s.id, day=day(-1), reason="transport"),
        DelayedDay(referral_id=today_s.id, day=day(0), reason="awaiting_care_package"),
        DelayedDay(referral_id=yesterday_s.id, day=day(-1), reason="awaiting_community_bed"),
        DelayedDay(referral_id=yesterday_s.id, day=day(0), reason=None),  # alerted: nobody has said why
    ])
    db.session.commit()
    login_as("supervisor")
    page = queue_page(client)
    assert ">Delayed 2 days: Awaiting a package of care at home</td>" in row_of(page, today_s)
    assert (">Delayed 2 days: Awaiting a community (rehab or intermediate care) bed"
            " (recorded for Mon 23 Nov 2026; none today)</td>" in row_of(page, yesterday_s))
    assert "readiness--delayed" not in row_of(page, today_s)


def test_a_delay_with_no_reason_ever_recorded_stands_out(today, client, login_as, send_discharge, db):
    referral = make_discharge(db, send_discharge, drd_in_days=-1)
    login_as("supervisor")
    assert '<td class="readiness readiness--delayed">Delayed 1 day: no reason recorded</td>' in row_of(
        queue_page(client), referral)


def test_after_discharge_the_row_says_when_the_welfare_check_is_due(today, client, login_as, send_discharge, db):
    left = AT - timedelta(hours=1)
    referral = make_discharge(db, send_discharge, drd_in_days=-1, discharged_at=left)  # home rehab: checked
    in_bed = make_discharge(db, send_discharge, "bed_rehab", discharged_at=left)
    login_as("supervisor")
    page = queue_page(client)
    assert ">Discharged, welfare check due by 09:00 tomorrow (1 day delayed)</td>" in row_of(page, referral)
    assert 'data-readiness="discharged" data-delayed="0"' in row_of(page, referral)
    assert ">Discharged</td>" in row_of(page, in_bed)


def test_filters_by_hospital_and_pathway_work_without_javascript_and_leave_community_lanes_alone(
        today, client, login_as, post, send_discharge, db):
    community = post()
    ngh_p1 = make_discharge(db, send_discharge)
    ngh_p2 = make_discharge(db, send_discharge, "bed_rehab")
    kgh_p1 = make_discharge(db, send_discharge, hospital_ods="RNQ01", hospital_name="Kettering General Hospital")
    undecided = make_discharge(db, send_discharge, "supervisor_review")
    login_as("supervisor")

    def shown(page):
        return {rid for rid in rows_in(page, "discharge") + rows_in(page, "main")
                if "hidden>" not in page[page.index(f'id="row-{rid}"'):].split("<td>")[0]}

    page = queue_page(client, "?hospital=RNS01")
    assert shown(page) == {community["id"], str(ngh_p1.id), str(ngh_p2.id), str(undecided.id)}
    assert '<option value="RNQ01">Kettering General Hospital</option>' in page
    assert '<option value="RNS01" selected>Northampton General Hospital</option>' in page
    assert shown(queue_page(client, "?pathway=1")) == {community["id"], str(ngh_p1.id), str(kgh_p1.id)}
    assert shown(queue_page(client, "?pathway=none")) == {community["id"], str(undecided.id)}
    assert shown(queue_page(client, "?hospital=RNS01&pathway=2")) == {community["id"], str(ngh_p2.id)}
    page = queue_page(client, "?hospital=RXX99")  # none open there now: still the choice shown
    assert shown(page) == {community["id"]} and '<option value="RXX99" selected>RXX99</option>' in page
    assert queue_page(client, "?pathway=7&hospital=%3Cb%3E")  # nonsense chosen: nothing shown, no error


def test_the_lane_counts_pathways_and_the_county_s_delayed_days_today(today, client, login_as, send_discharge, db):
    add_org(db, "good_neighbours", total=3)
    make_discharge(db, send_discharge, drd_in_days=-2)
    make_discharge(db, send_discharge, drd_in_days=-3, hospital_ods="RNQ01")
    make_discharge(db, send_discharge, "bed_rehab", drd_in_days=-1)
    make_discharge(db, send_discharge, "supervisor_review", drd_in_days=0)
    make_discharge(db, send_discharge, "voluntary_sector", drd_in_days=-4,
                   discharged_at=AT - timedelta(hours=2))  # left hospital: not delayed today
    make_discharge(db, send_discharge, "care_home_assessment", withdrawn=True)
    login_as("supervisor")
    page = queue_page(client, "?hospital=RNS01")  # the counts are the county's, whatever the filters
    counts = page[page.index('id="counts-pathway"'):page.index('id="lane-discharge"')]
    for key, name, n in (("0", "P0", 1), ("1", "P1", 2), ("2", "P2", 1), ("3", "P3", 1),
                         ("none", "A person decides", 1)):
        assert f'<li data-key="{key}">{name} <strong>{n}</strong></li>' in counts
    assert 'past their ready date <strong id="count-delayed-patients">3</strong>' in counts
    assert 'Delayed days in all <strong id="count-delayed-days">6</strong>' in counts


def test_the_lane_costs_the_same_queries_for_three_discharges_or_thirty(today, client, login_as, send_discharge, db):
    def queries_for_the_rows():
        try:
            with statements(db.engine) as seen:
                assert len(queue_view.open_rows()) == added
        finally:
            db.session.remove()
        return len(seen)

    def add(n):
        for _ in range(n):
            referral = make_discharge(db, send_discharge, drd_in_days=-2)
            db.session.add(DelayedDay(referral_id=referral.id, day=day(0), reason="transport"))
        db.session.commit()
        db.session.remove()
        return n

    added = add(3)
    few = queries_for_the_rows()
    added += add(27)
    assert queries_for_the_rows() == few <= 5  # referrals, their clocks, the discharges, their reasons (+ a BEGIN)


@pytest.mark.parametrize("role", ["ward", "call_handler", "clinician"])
def test_only_supervisors_see_the_lane(client, login_as, db, role):
    login_as(role, service="home_rehab" if role == "clinician" else None)
    assert client.get("/queue?hospital=RNS01").status_code == 403
    assert client.get("/queue/events").status_code == 403
