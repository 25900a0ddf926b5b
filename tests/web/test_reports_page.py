"""The reports page, its CSVs and the de-identified extract, as the people who use
them meet them: who may see them, what a mistaken period says and where, the
2-hour figure against the ambition in words, every table as an HTML table (and a
chart), every table as CSV, and an extract that carries no identifier at all.

The report's sections are replaced here by a small one (tests/support/data/report_page_data.py's
REPORT: the real sections are tested in tests/reports/), so what the page does
with a section is checked whatever the sections hold."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from spoa.domain.period import LONGEST_DAYS
from spoa.extensions import db as _db
from spoa.models import AccessEvent, AuditEvent, DelayedDay, Service, User
from spoa.reports import extract, sections
from spoa.schemas.reports import load_query
from tests.support.data.report_page_data import REPORT, referral, two_hour_clock
from tests.support.people import PASSWORD
from tests.support.signing_in import csrf_token

from .conftest import inline_scripts

pytestmark = pytest.mark.both_databases

REAL_SECTIONS = sections.SECTIONS  # (before any test puts REPORT in their place)
# Tuesday 24 November 2026, noon in the UK (GMT): "today" for every test here.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# A patient whose every identifier is distinctive, planted in every column that holds one.
PLANTED = {
    "given_name": "Zebedee", "family_name": "Quargleton", "nhs_number": "9434765005",
    "date_of_birth": date(1931, 7, 19), "postcode": "NN7 1AW", "address": "42 Marigold Crescent, Little Houghton",
    "phone": "07700 900461", "gp_practice_ods": "K83999", "ward": "Nightingale Ward",
    "description": "Zebedee found on the floor by Mrs Quargleton, his neighbour",
    "referrer": {"name": "Dr Wilhelmina Ashcombe", "organisation": "Ashcombe Surgery", "phone": "01604 555123",
                 "ods_code": "K83998"},
}
# Every way each could show in a CSV (case is ignored when looking).
IDENTIFIERS = ["Zebedee", "Quargleton", "9434765005", "943 476 5005", "1931-07-19", "19/07/1931", "NN7 1AW",
               "NN71AW", "1AW", "Marigold", "Little Houghton", "07700 900461", "07700900461", "K83999",
               "Nightingale", "neighbour", "Wilhelmina", "Ashcombe", "01604 555123", "K83998"]


@pytest.fixture(autouse=True)
def report(monkeypatch, frozen_now):
    frozen_now(NOW)
    monkeypatch.setattr(sections, "SECTIONS", (REPORT,))


def text(response) -> str:
    return response.get_data(as_text=True)


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text(response))))


# --- who -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["supervisor", "manager", "admin", "analyst"])
def test_supervisors_managers_admins_and_analysts_see_the_reports(client, login_as, role):
    login_as(role)
    response = client.get("/reports")
    assert response.status_code == 200 and "<h1>Reports</h1>" in text(response)
    assert client.get("/reports/test_by_day.csv").status_code == 200
    assert client.get("/reports/aggregates.csv").status_code == 200
    assert 'href="/reports"' in text(client.get("/"))  # the home page's link to them


@pytest.mark.parametrize("role", ["supervisor", "manager", "admin"])
def test_only_an_analyst_may_download_rows(client, login_as, db, role):
    _planted_world()
    login_as(role)
    assert client.get("/reports/extract.csv").status_code == 403
    assert "/reports/extract.csv" not in text(client.get("/reports"))  # no link to it either
    assert "/reports/aggregates.csv" in text(client.get("/reports"))
    assert not db.session.query(AuditEvent).filter_by(event="extract_downloaded").count()  # nothing given


def test_an_analyst_reads_no_referral_and_lands_on_the_reports(client, login_as, db, sender, payload):
    sent = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    login_as("analyst", username="ada")
    assert client.get(f"/referrals/{sent['id']}").status_code == 404
    for path in ("/queue", "/worklist", "/ward", "/referrals/new", "/admin/users"):
        assert client.get(path).status_code == 403, path
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/reports"


@pytest.mark.parametrize("role,service", [("call_handler", None), ("clinician", "crisis_response"), ("ward", None)])
def test_everyone_else_is_refused_the_reports_and_their_downloads(client, login_as, role, service):
    login_as(role, service=service)
    for path in ("/reports", "/reports/test_by_day.csv", "/reports/aggregates.csv", "/reports/extract.csv"):
        assert client.get(path).status_code == 403
    assert 'href="/reports"' not in text(client.get("/"))


def test_signed_out_the_reports_ask_for_sign_in(client, db):
    for path in ("/reports", "/reports/extract.csv"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_manager_lands_on_the_reports(client, db):
    user = User(username="mona", role="manager")
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.commit()
    response = client.post("/login", data={"username": "mona", "password": "correct horse battery",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/reports"


def test_a_manager_sees_no_patient_no_queue_no_worklist_and_no_api(client, login_as, db, sender, payload):
    sent = client.post("/api/v1/referrals", json=payload(), headers=sender[1]).get_json()
    db.session.add(Service(code="crisis_response", name="Crisis response"))
    db.session.commit()
    login_as("manager", username="mona")
    response = client.get(f"/referrals/{sent['id']}")
    assert response.status_code == 404 and sent["reference"] not in text(response)  # as for no such referral
    assert [a.via for a in db.session.query(AccessEvent).filter_by(actor_name="mona", refused=True)] == ["page"]
    assert client.get("/queue").status_code == 403
    assert client.get("/queue/events").status_code == 403
    assert client.get("/worklist").status_code == 403
    assert client.get("/ward").status_code == 403
    assert client.get("/referrals/new").status_code == 403
    assert client.get("/services/crisis_response/capacity").status_code == 403
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/api/v1/referrals/{sent['id']}").status_code == 401  # the API takes tokens, not sessions
    home = text(client.get("/"))
    assert "/worklist" not in home and "/queue" not in home and "/referrals/new" not in home


@pytest.mark.parametrize("role,label", [("manager", "Manager"), ("analyst", "Analyst")])
def test_an_admin_may_make_a_manager_or_an_analyst(client, login_as, db, role, label):
    login_as("admin")
    response = client.post("/admin/users", data={"username": "mona", "role": role, "password": "a long password",
                                                 "csrf_token": csrf_token(client, "/admin/users")})
    assert response.status_code == 303
    assert db.session.query(User).filter_by(username="mona").one().role == role
    assert f'<option value="{role}">{label}</option>' in text(client.get("/admin/users"))


def test_the_command_line_makes_an_analyst(app, db):
    result = app.test_cli_runner().invoke(args=["spoa", "create-user", "--username", "ada", "--role", "analyst"],
                                          input="a long password\n")
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="ada").one().role == "analyst"


# --- the period ------------------------------------------------------------------------------------

def test_the_default_is_the_last_seven_days_shown_as_dates_in_the_boxes(client, login_as):
    login_as("manager")
    page = text(client.get("/reports"))
    assert 'value="18/11/2026"' in page and 'value="24/11/2026"' in page
    assert "18 Nov 2026 to 24 Nov 2026" in page and "(7 days)" in page


def test_a_period_typed_as_uk_dates_narrowed_by_route_and_source(client, login_as):
    login_as("manager")
    page = text(client.get("/reports?from=1/11/2026&to=03/11/2026&route=crisis_response&source=gp"))
    assert "1 Nov 2026 to 3 Nov 2026" in page and "(3 days)" in page
    assert "route: Crisis response" in page and "source: GP" in page
    # The CSV links carry the same question, as ISO dates.
    assert "/reports/test_by_day.csv?from=2026-11-01&amp;to=2026-11-03&amp;route=crisis_response&amp;source=gp" in page


@pytest.mark.parametrize("args,field,message", [
    ("from=31/02/2026", "from", "Enter the start date as day/month/year, for example 24/11/2026"),
    ("from=yesterday&to=24/11/2026", "from", "Enter the start date as day/month/year"),
    ("to=2026-13-01", "to", "Enter the end date as day/month/year"),
    ("from=%D9%A1/11/2026", "from", "Enter the start date as day/month/year"),  # Arabic-Indic digit one
    ("from=20/11/2026&to=10/11/2026", "to", "The end date must be the same as or after the start date"),
    ("from=01/12/2026", "from", "The start date must be today or earlier"),
    ("from=01/01/2020&to=24/11/2026", "to", f"A report covers at most {LONGEST_DAYS} days"),
    ("to=31/12/9999", "to", "The end date must be between 2000 and 2099"),
    ("route=nowhere", "route", "Choose a route from the list"),
    ("source=fax", "source", "Choose a source from the list"),  # (a NUL anywhere is refused app-wide: 400)
])
def test_a_mistaken_period_is_told_beside_its_field_and_in_the_summary(client, login_as, args, field, message):
    login_as("analyst")
    for path in ("/reports", "/reports/test_by_day.csv", "/reports/aggregates.csv", "/reports/extract.csv"):
        response = client.get(f"{path}?{args}")
        page = text(response)
        assert response.status_code == 422, path  # never a 500, never a file
        beside = re.search(rf'<span class="error-message" id="{field}-error">(.*?)</span>', page, re.S)
        assert beside and message in beside.group(1), page[:2000]
        assert f'<a href="#{field}">{message}' in page  # the summary links to the field
        assert f'aria-describedby="{field}-hint {field}-error"' in page or f'aria-describedby="{field}-error"' in page
        assert "Headline figures" not in page


def test_the_longest_period_allowed_is_shown(client, login_as):
    login_as("manager")
    first = date(2026, 11, 24) - timedelta(days=LONGEST_DAYS - 1)
    response = client.get(f"/reports?from={first:%d/%m/%Y}&to=24/11/2026")
    assert response.status_code == 200 and f"({LONGEST_DAYS} days)" in text(response)


# --- the page --------------------------------------------------------------------------------------

def _crisis(met: int, breached: int, running: int = 0, source="emas"):
    """Crisis response referrals received on 23 Nov, each with its 2-hour clock."""
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for _ in range(met):
        two_hour_clock(referral(at, source=source), met_after=timedelta(minutes=90))
    for _ in range(breached):
        two_hour_clock(referral(at, source=source), met_after=timedelta(hours=3))
    for _ in range(running):
        two_hour_clock(referral(NOW - timedelta(minutes=30), source=source))
    _db.session.commit()


def _headline(page: str) -> str:
    found = re.search(r'<li class="headline[^"]*" id="headline-two_hour">(.*?)</li>', page, re.S)
    assert found, "no 2-hour headline"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def test_the_two_hour_figure_says_in_words_that_the_ambition_is_met(client, login_as, db):
    _crisis(met=3, breached=1, running=1)
    login_as("manager")
    headline = _headline(text(client.get("/reports")))
    assert "75.0%" in headline and "Target met (national ambition 70%)" in headline
    assert "3 of 4 met within 2 hours; 1 still within their 2 hours" in headline


def test_the_two_hour_figure_says_in_words_that_the_ambition_is_not_met(client, login_as, db):
    _crisis(met=2, breached=1)
    _crisis(met=5, breached=0, source="gp")
    login_as("manager")
    headline = _headline(text(client.get("/reports?source=emas")))
    assert "66.7%" in headline and "Target not met (national ambition 70%)" in headline
    assert "Target met" not in headline


def test_with_nothing_decided_the_two_hour_figure_is_a_dash_not_a_failure(client, login_as, db):
    login_as("manager")
    headline = _headline(text(client.get("/reports")))
    assert "–" in headline and "none decided yet" in headline and "No figure yet to compare" in headline


def test_each_table_is_an_html_table_with_its_chart_beside_it(client, login_as):
    login_as("manager")
    page = text(client.get("/reports?from=20/11/2026&to=22/11/2026"))
    table = re.search(r'<div class="report-table" id="table-test_by_day">(.*?)</table>', page, re.S).group(1)
    assert re.search(r'<caption [^>]*id="test_by_day-caption">Referrals per day \(test\)</caption>', table)
    assert [h for h in re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)] == ["Day", "EMAS", "GP"]
    assert re.findall(r'<th scope="row">([^<]*)</th>', table) == ["Fri 20 Nov 2026", "Sat 21 Nov 2026",
                                                                  "Sun 22 Nov 2026"]
    svg = re.search(r"<svg[^>]*>", table).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="chart-test_by_day-title chart-test_by_day-desc"' in svg
    assert '<title id="chart-test_by_day-title">Referrals per day (test)</title>' in table
    assert "Bar chart of EMAS, GP by day" in table
    assert table.count("<rect ") == 3 + 2  # EMAS 3, 4, 5 and GP 1, 2 (GP's 0 draws nothing)
    # A percent with nothing to divide is a dash, never 0%; every chart drawn; nothing runs.
    assert re.search(r"<td class=\"numeric\">–</td>", page)
    assert page.count('role="img"') == 3 and not inline_scripts(page) and "<style" not in page
    assert 'href="/reports/test_share.csv?from=2026-11-20&amp;to=2026-11-22"' in page


def test_free_text_tables_are_for_supervisors_and_admins_never_managers(client, login_as, db):
    row = referral(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    row.history.append(AuditEvent(at=NOW, actor_kind="user", actor_name="Colin", event="decline",
                                  reason="Zebedee Quargleton's daughter is with him"))
    db.session.commit()
    login_as("manager", username="mona")
    page = text(client.get("/reports"))
    assert "Decline reasons (test)" not in page and "Quargleton" not in page
    assert "test_decline_reasons" not in page
    assert client.get("/reports/test_decline_reasons.csv").status_code == 404  # as for no such table
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login_as("supervisor", username="sian")
    assert "Quargleton&#39;s daughter" in text(client.get("/reports"))
    download = client.get("/reports/test_decline_reasons.csv")
    assert download.status_code == 200 and "Quargleton's daughter" in text(download)


def test_the_real_sections_render_and_keep_staff_free_text_from_managers(client, login_as, db, monkeypatch):
    monkeypatch.setattr(sections, "SECTIONS", REAL_SECTIONS)
    _crisis(met=3, breached=1)
    row = referral(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    row.history.append(AuditEvent(at=NOW, actor_kind="user", actor_name="Colin", event="decline",
                                  reason="Zebedee Quargleton's daughter is with him",
                                  detail={"service": "crisis_response"},
                                  from_state="offered", to_state="in_review"))
    db.session.commit()
    built = sections.build(load_query({})[0])
    ids = [t.id for s in built for t in s.tables]
    assert "flow_decline_reasons" in ids and len(ids) > 10

    login_as("manager", username="mona")
    page = text(client.get("/reports"))
    for section in built:
        assert f'id="section-{section.id}-title">{section.title}</h2>' in page
    assert "Target met (national ambition 70%)" in _headline(page)
    assert 'id="table-flow_decline_reasons"' not in page and "Quargleton" not in page
    assert client.get("/reports/flow_decline_reasons.csv").status_code == 404
    for table_id in ids:
        if table_id != "flow_decline_reasons":
            assert f'id="table-{table_id}"' in page
            response = client.get(f"/reports/{table_id}.csv")
            assert response.status_code == 200 and response.mimetype == "text/csv", table_id
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login_as("supervisor", username="sian")
    assert 'id="table-flow_decline_reasons"' in text(client.get("/reports"))
    assert "Quargleton's daughter" in text(client.get("/reports/flow_decline_reasons.csv"))


# --- CSV of each table -----------------------------------------------------------------------------

def test_every_table_downloads_as_csv_with_its_period_in_the_name(client, login_as):
    login_as("manager")
    response = client.get("/reports/test_by_day.csv?from=20/11/2026&to=22/11/2026&route=crisis_response")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="spoa-test_by_day-2026-11-20-to-2026-11-22-route-crisis_response.csv"')
    assert rows_of(response) == [["Day", "EMAS", "GP"], ["2026-11-20", "3", "0"], ["2026-11-21", "4", "1"],
                                 ["2026-11-22", "5", "2"]]
    share = rows_of(client.get("/reports/test_share.csv"))
    assert share == [["Route", "Met", "Share met"], ["crisis_response", "3", "75.0"], ["home_rehab", "0", ""]]


def test_a_cell_a_spreadsheet_would_run_as_a_formula_opens_as_text(client, login_as):
    login_as("manager")
    assert rows_of(client.get("/reports/test_stack.csv"))[2] == ["'=HYPERLINK(1)", "0", "2"]


def test_a_table_that_does_not_exist_is_a_404(client, login_as):
    login_as("manager")
    assert client.get("/reports/no_such_table.csv").status_code == 404


# --- the extract -----------------------------------------------------------------------------------

def _planted_world():
    """The planted patient twice (a community referral and a discharge), and one outside the period."""
    community = referral(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), **{
        k: v for k, v in PLANTED.items() if k != "ward"}, sex="male", emas_category=3, pathways_disposition="Dx05",
        source="emas")
    two_hour_clock(community, met_after=timedelta(minutes=84))
    community.history.append(AuditEvent(at=NOW, actor_kind="user", actor_name="Colin", event="decline",
                                        reason="Zebedee Quargleton lives at 42 Marigold Crescent"))
    discharge = referral(datetime(2026, 11, 20, 10, 5, tzinfo=UTC), **PLANTED, kind="discharge",
                         source="acute", route="home_rehab", hospital_ods="RNS01", pathway=1, sex="male",
                         admitted_on=date(2026, 11, 10), discharge_ready_date=date(2026, 11, 21))
    discharge.delayed_days.extend([DelayedDay(day=date(2026, 11, 22), reason="awaiting_care_package"),
                                   DelayedDay(day=date(2026, 11, 23), reason=None)])
    # 18 on the day it was received (17 the day before): banded on that day.
    birthday = referral(datetime(2026, 11, 19, 8, 0, tzinfo=UTC), date_of_birth=date(2008, 11, 19),
                     postcode="NN1 5BD", sex="female", source="gp")
    referral(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))  # before the period
    _db.session.commit()
    return community, discharge, birthday


@pytest.fixture
def min_cell(app):
    """EXTRACT_MIN_CELL for one test (1: every row given, at the finest rung, to check the columns)."""
    before = app.config["EXTRACT_MIN_CELL"]

    def setting(k):
        app.config["EXTRACT_MIN_CELL"] = k
    yield setting
    app.config["EXTRACT_MIN_CELL"] = before


def test_the_extract_holds_no_identifier_in_any_column(client, login_as, db, min_cell):
    community, discharge, birthday = _planted_world()
    min_cell(1)
    login_as("analyst")
    response = client.get("/reports/extract.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="spoa-referral-extract-2026-11-18-to-2026-11-24.csv"')
    body = text(response)
    lowered = body.lower()
    for identifier in IDENTIFIERS:
        assert identifier.lower() not in lowered, identifier
    for row in (community, discharge, birthday):
        for ident in (row.reference, row.source_reference, str(row.id), row.id.hex):
            assert ident.lower() not in lowered, ident

    header, *rows = rows_of(response)
    assert tuple(header) == extract.COLUMNS
    assert len(rows) == 3  # the one received before the period is not in it
    by_id = [dict(zip(header, r, strict=True)) for r in rows]
    # Each column, every row: only codes, bands, districts and figures (a new column needs a check here).
    codes = re.compile(r"[a-z][a-z0-9_]*")
    checks = {
        "pseudonymous_id": lambda v: re.fullmatch(r"[0-9a-f]{20}", v),
        "received": lambda v: re.fullmatch(r"2026-11-(19|20|22|23)", v),
        "received_hours": lambda v: re.fullmatch(r"[0-2][0-9]", v) and int(v) <= 23,
        "kind": lambda v: v in ("community", "discharge"),
        "source": lambda v: v in ("emas", "acute", "gp"),
        "presenting_need": lambda v: v == "fall_no_injury",
        "disposition": lambda v: v in ("", "Dx05"),
        "emas_category": lambda v: v in ("", "3"),
        "route": lambda v: v in ("crisis_response", "home_rehab"),
        "urgency": lambda v: codes.fullmatch(v),
        "state": lambda v: codes.fullmatch(v),
        "pathway": lambda v: v in ("", "1"),
        "hospital_ods": lambda v: v in ("", "RNS01"),
        "sex": lambda v: v in ("male", "female"),
        "age_band": lambda v: v in ("18 to 64", "85 and over"),
        "postcode_district": lambda v: v in ("NN7", "NN1"),
        "first_contact_clock": lambda v: v in ("", "met"),
        "hours_to_first_contact": lambda v: v in ("", "1.4"),
        "delayed_days": lambda v: v in ("", "2"),
    }
    assert set(checks) == set(extract.COLUMNS)
    for row in by_id:
        for column, value in row.items():
            assert checks[column](value), (column, value)


def test_the_extract_s_figures_for_each_referral(client, login_as, db, min_cell):
    community, discharge, birthday = _planted_world()
    min_cell(1)
    login_as("analyst")
    header, *rows = rows_of(client.get("/reports/extract.csv"))
    rows = [dict(zip(header, r, strict=True)) for r in rows]
    assert [r["received"] for r in rows] == ["2026-11-19", "2026-11-20", "2026-11-22"]  # in order received
    birthday_row, discharge_row, community_row = rows
    # 23:30 UTC on 22 Nov is still 22 Nov in the UK in winter (GMT).
    assert (community_row["received_hours"], community_row["age_band"], community_row["postcode_district"]) == (
        "23", "85 and over", "NN7")
    assert (community_row["first_contact_clock"], community_row["hours_to_first_contact"]) == ("met", "1.4")
    assert (community_row["emas_category"], community_row["disposition"], community_row["delayed_days"]) == (
        "3", "Dx05", "")
    assert (discharge_row["kind"], discharge_row["pathway"], discharge_row["hospital_ods"],
            discharge_row["delayed_days"], discharge_row["first_contact_clock"]) == ("discharge", "1", "RNS01", "2", "")
    assert (birthday_row["age_band"], birthday_row["postcode_district"]) == ("18 to 64", "NN1")


def test_the_pseudonym_is_the_same_in_every_extract_and_keyed_by_its_own_key(client, login_as, db, app, min_cell):
    community, discharge, birthday = _planted_world()
    min_cell(1)
    login_as("analyst")
    first = [r[0] for r in rows_of(client.get("/reports/extract.csv"))[1:]]
    again = [r[0] for r in rows_of(client.get("/reports/extract.csv?from=20/11/2026&to=24/11/2026"))[1:]]
    assert len(set(first)) == 3 and again == first[1:]  # the same referral, the same id
    assert extract.pseudonym(community.id) == first[2]
    # Not SECRET_KEY's: rotating the session key leaves every pseudonym as it was ...
    secret, pseudonyms = app.config["SECRET_KEY"], app.config["EXTRACT_PSEUDONYM_KEY"]
    try:
        app.config["SECRET_KEY"] = secret + "-rotated"
        assert extract.pseudonym(community.id) == first[2]
        app.config["SECRET_KEY"] = secret
        # ... and under another pseudonym key (another agreement) the same referral has another id.
        app.config["EXTRACT_PSEUDONYM_KEY"] = pseudonyms + "-other"
        assert extract.pseudonym(community.id) != first[2]
    finally:
        app.config["SECRET_KEY"], app.config["EXTRACT_PSEUDONYM_KEY"] = secret, pseudonyms


def test_without_a_pseudonym_key_the_extract_is_refused_saying_why(client, login_as, db, app):
    _planted_world()
    login_as("analyst")
    key = app.config["EXTRACT_PSEUDONYM_KEY"]
    app.config["EXTRACT_PSEUDONYM_KEY"] = None  # as PostgreSQL without the setting
    try:
        response = client.get("/reports/extract.csv")
    finally:
        app.config["EXTRACT_PSEUDONYM_KEY"] = key
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "EXTRACT_PSEUDONYM_KEY is not set" in text(response)
    assert not db.session.query(AuditEvent).filter_by(event="extract_downloaded").count()


def test_the_extract_is_narrowed_by_route_and_source_as_the_report_is(client, login_as, db, min_cell):
    _planted_world()
    min_cell(1)
    login_as("analyst")
    header, *rows = rows_of(client.get("/reports/extract.csv?route=home_rehab"))
    assert [r[header.index("kind")] for r in rows] == ["discharge"]
    header, *rows = rows_of(client.get("/reports/extract.csv?source=gp"))
    assert [r[header.index("age_band")] for r in rows] == ["18 to 64"]


def test_the_extract_is_read_through_a_server_side_cursor(client, login_as, db, app, min_cell):
    """On PostgreSQL the rows come through a psycopg2 named cursor (fetched YIELD_PER at a
    time), never all at once: a year's extract stays small in memory."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a server-side cursor is PostgreSQL's")
    from sqlalchemy import event

    _planted_world()
    min_cell(1)
    login_as("analyst")
    named = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if "FROM referrals" in statement and "clock" in statement.lower():
            named.append(getattr(cursor, "name", None))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get("/reports/extract.csv")
        assert len(rows_of(response)) == 4
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(named) == 2 and all(named), named  # both passes: named cursors are server-side ones


def test_an_empty_period_is_a_header_only_extract(client, login_as, db):
    login_as("analyst")
    assert rows_of(client.get("/reports/extract.csv?from=01/01/2025&to=02/01/2025")) == [list(extract.COLUMNS)]


# --- no row stands alone ---------------------------------------------------------------------------

QUASI_IDENTIFIERS = ("received", "received_hours", "age_band", "sex", "postcode_district", "source")


def _a_generated_week(rng):
    """A week of ordinary referrals (a few districts, sexes, ages and sources, any hour)
    and one patient unlike any other: 101 years old, from a district nobody else is, at 03:00."""
    for _ in range(150):
        day = datetime(2026, 11, rng.randint(18, 24), rng.randint(0, 23), rng.randint(0, 59), tzinfo=UTC)
        referral(day, postcode=rng.choice(["NN1 1AA", "NN3 2BB", "NN4 7CD"]), sex=rng.choice(["female", "male"]),
                 date_of_birth=date(rng.choice([1935, 1940, 1948, 1958, 1990]), 3, 1),
                 source=rng.choice(["emas", "gp", "nhs111"]))
    lone = referral(datetime(2026, 11, 21, 3, 10, tzinfo=UTC), postcode="PE9 9ZZ", sex="male",
                    date_of_birth=date(1925, 6, 1), source="care_home", presenting_need="mental_health_crisis")
    _db.session.commit()
    return lone


@pytest.mark.parametrize("seed", [1, 2])
def test_every_combination_of_quasi_identifiers_is_shared_by_at_least_the_minimum(client, login_as, db, app, seed):
    import random

    lone = _a_generated_week(random.Random(seed))
    k = app.config["EXTRACT_MIN_CELL"]
    assert k == 5  # the default
    login_as("analyst", username="ada")
    header, *rows = rows_of(client.get("/reports/extract.csv"))
    keys = [tuple(r[header.index(c)] for c in QUASI_IDENTIFIERS) for r in rows]
    shared = {key: keys.count(key) for key in keys}
    assert rows and min(shared.values()) >= k, [key for key, n in shared.items() if n < k]
    # The lone patient is not in the file at all (no group of theirs reaches k), nor is their need.
    assert extract.pseudonym(lone.id) not in {r[0] for r in rows}
    assert "mental_health_crisis" not in {r[header.index("presenting_need")] for r in rows}
    # Coarsened first: at the finest rung nearly every row stood alone.
    recorded = db.session.query(AuditEvent).filter_by(event="extract_downloaded").one().detail
    assert recorded["generalisation"] != "day-hour"
    assert recorded["rows"] == len(rows) and recorded["rows"] + recorded["left_out"] == 151
    assert recorded["left_out"] <= 0.05 * 151 or recorded["generalisation"] == "month"


def test_every_extract_download_is_recorded(client, login_as, db, min_cell):
    _planted_world()
    min_cell(1)
    login_as("analyst", username="ada")
    assert client.get("/reports/extract.csv?from=19/11/2026&to=24/11/2026&source=gp").status_code == 200
    event = db.session.query(AuditEvent).filter_by(event="extract_downloaded").one()
    assert (event.actor_kind, event.actor_name, event.referral_id, event.at) == ("user", "ada", None, NOW)
    assert event.detail == {"download": "rows", "from": "2026-11-19", "to": "2026-11-24", "route": None,
                            "source": "gp", "rows": 1, "left_out": 0, "generalisation": "day-hour", "min_cell": 1}


# --- the aggregates --------------------------------------------------------------------------------

def test_managers_get_counts_under_the_small_number_rule_and_it_is_recorded(client, login_as, db):
    for i in range(13):
        referral(datetime(2026, 11, 20, 9, i, tzinfo=UTC), source="emas")
    for i in range(8):
        referral(datetime(2026, 11, 21, 9, i, tzinfo=UTC), source="gp", sex="female")
    for i in range(3):
        referral(datetime(2026, 11, 22, 9, i, tzinfo=UTC), source="nhs111", sex="male",
                 presenting_need="mental_health_crisis")
    _db.session.commit()
    login_as("manager", username="mona")
    response = client.get("/reports/aggregates.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="spoa-referral-aggregates-2026-11-18-to-2026-11-24.csv"')
    header, *rows = rows_of(response)
    assert header == ["measure", "value", "referrals"]
    counts = {(m, v): n for m, v, n in rows}
    assert counts[("all referrals", "")] == "25"  # 24
    assert (counts[("source", "emas")], counts[("source", "gp")], counts[("source", "nhs111")]) == ("15", "10", "*")
    assert counts[("presenting_need", "mental_health_crisis")] == "*"  # 3: never a small number
    assert counts[("sex", "female")] == "10" and counts[("sex", "male")] == "*"  # 8, 3
    assert counts[("sex", "not recorded")] == "15"  # 13
    assert all(n == "*" or int(n) % 5 == 0 for n in counts.values())
    event = db.session.query(AuditEvent).filter_by(event="extract_downloaded").one()
    assert event.actor_name == "mona" and event.detail == {
        "download": "aggregates", "from": "2026-11-18", "to": "2026-11-24", "route": None, "source": None,
        "rows": 24}
