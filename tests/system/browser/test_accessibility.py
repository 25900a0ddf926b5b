"""Every staff page a real user meets, checked with axe-core in the real browser
against WCAG 2.2 AA (a legal duty for NHS services: the Public Sector Bodies
Accessibility Regulations 2018), each in a realistic state: with rows, with
errors showing, with the live preview filled and the action panel open.

axe-core comes inside axe-playwright-python (axe.min.js in the package): nothing is
downloaded at test time. axe finds what a machine can (contrast, names, labels,
landmarks, ids, headings, target size...); keyboard use is pinned by the journey
tests (tests/system/browser/test_journey.py). On the same pages three checks axe leaves to a
person (BEYOND_AXE), and focus under the form's sticky preview. A failure lists, for
each page, each rule broken, its impact, what it asks for and the elements that break it."""
import time
import uuid
from datetime import timedelta

import pytest
import requests
from axe_playwright_python.base import AXE_SCRIPT
from sqlalchemy import select
from werkzeug.serving import make_server

from spoa.extensions import db as database
from spoa.models import ApiClient, Referral, Service, User
from spoa.platform.timekeeping import now, uk_date
from tests.support.data.discharge_rows import HttpHospitals, make_discharge
from tests.support.data.referral_data import VALID_REFERRAL
from tests.support.people import PASSWORD
from tests.support.servers import serve_in_background
from tests.support.signing_in import sign_in_page
from tests.system.browser.conftest import type_a_referral

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
# What axe-core does not check (it cannot tell a label on screen from one only a screen
# reader hears, nor see a focus indicator), checked on every page with the same report.
BEYOND_AXE = r"""() => {
  const found = {}, add = (id, help, target) => {
    (found[id] = found[id] || {id, impact: "serious", help, nodes: []}).nodes.push({target: [target]});
  };
  const onScreen = el => el.checkVisibility() && el.getBoundingClientRect().width > 1;
  const name = el => el.id ? "#" + el.id : el.tagName.toLowerCase() + (el.name ? "[name=" + el.name + "]" : "");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if (onScreen(el) && ![...el.labels].some(onScreen)) {
      add("label-visible",
          "WCAG 3.3.2: a form control needs a label on screen (not only a placeholder or a hidden label)", name(el));
    }
  }
  const described = new Set([...document.querySelectorAll("[aria-describedby]")]
    .flatMap(el => el.getAttribute("aria-describedby").trim().split(/\s+/)));
  for (const m of document.querySelectorAll(".error-message")) {
    if (!m.id || !described.has(m.id) || document.querySelectorAll(`[id="${m.id}"]`).length > 1) {
      add("error-described",
          "WCAG 1.3.1, 3.3.1: an error message is one element, named by aria-describedby of its field or group",
          m.id || m.textContent);
    }
  }
  const before = document.activeElement;
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea")) {
    if (!onScreen(el) || el.disabled) continue;
    el.focus({preventScroll: true});
    const s = getComputedStyle(el);
    if (s.outlineStyle === "none" && s.boxShadow === "none") {
      add("focus-indicator", "WCAG 2.4.7: a control shows where the focus is", name(el));
    }
  }
  if (before && before.focus) before.focus({preventScroll: true});
  return Object.values(found);
}"""
ROLES = {"cara": ("call_handler", None), "colin": ("clinician", "crisis_response"),
         "sian": ("supervisor", None), "ada": ("admin", None)}
# Pages checked as they load, signed in as a user of ROLES, with `world` in the database:
# (username, path, the name the report gives it). A new page is one line here (one
# browser, one signed-in page per user, for them all); a page in a state (errors
# showing, a panel open, rows of its own) gets a test of its own below.
PAGES = [
    ("cara", "/", "home, call_handler"),
    ("colin", "/", "home, clinician"),
    ("sian", "/", "home, supervisor"),
    ("ada", "/", "home, admin"),
    ("colin", "/notifications", "notifications, none"),
]


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            lines.append(f"      at {' '.join(map(str, node['target']))}")
    return "\n".join(lines)


class Audit:
    """Runs axe on each page as it is reached and keeps what it found, so one run
    reports every page's problems, not just the first page's."""

    def __init__(self):
        self.found: dict[str, list[dict]] = {}

    def check(self, page, name: str) -> None:
        # axe-core is 570 kB of script: put into each document once, not at every check
        # (several checks of one document, between clicks, share it; axe.run reads the
        # document as it is at each run).
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(AXE_SCRIPT)
        violations = page.evaluate("options => axe.run(document, options).then(r => r.violations)", AXE_OPTIONS)
        violations += page.evaluate(BEYOND_AXE)
        if violations:
            self.found[name] = violations
            print(f"\n{name} ({page.url}):\n{describe(violations)}")

    def assert_clean(self) -> None:
        report = "\n".join(f"{name}:\n{describe(v)}" for name, v in self.found.items())
        assert not self.found, f"WCAG 2.2 AA violations found by axe-core:\n{report}"


@pytest.fixture
def audit():
    return Audit()


# The world is seeded once for the module, and each signed-in page is kept from test to
# test: signing in through a browser four times a test was most of these tests' set-up.
# After each test everything else goes, and the world's rows are put back as seeded (a
# user's session token with them, so the pages stay signed in).
WORLD_TABLES = ("users", "services", "api_clients")


@pytest.fixture(scope="module")
def seeded(app, redis_url):
    """The staff of each role, the services set up (one voluntary organisation on duty
    every day), and a sending system's token for posting referrals: (token, the rows as seeded)."""
    with app.app_context():
        for username, (role, service) in ROLES.items():
            user = User(username=username, role=role, service=service)
            user.set_password(PASSWORD)
            database.session.add(user)
        database.session.add_all([
            Service(code="crisis_response", name="Crisis response"),
            Service(code="home_rehab", name="Home-based rehabilitation"),
            Service(code="good_neighbours", name="Good Neighbours", kind="voluntary", duty_days=list(range(7))),
        ])
        client, token = ApiClient.issue(name="emas-hub", sources=["emas", "gp"])
        database.session.add(client)
        database.session.commit()
        database.session.remove()
        tables = database.metadata.tables
        with database.engine.connect() as conn:
            rows = {name: [dict(row._mapping) for row in conn.execute(select(tables[name]))] for name in WORLD_TABLES}
    yield token, rows
    with app.app_context(), database.engine.begin() as conn:
        for table in reversed(database.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(app, seeded):
    """The app's database, put back after each test to the world as seeded."""
    _, rows = seeded
    with app.app_context():
        yield database
        database.session.remove()
        with database.engine.begin() as conn:
            for table in reversed(database.metadata.sorted_tables):
                if table.name not in rows:
                    conn.execute(table.delete())
                    continue
                conn.execute(table.delete().where(table.c.id.not_in([row["id"] for row in rows[table.name]])))
                for row in rows[table.name]:
                    conn.execute(table.update().where(table.c.id == row["id"]).values(**row))


@pytest.fixture(scope="module")
def served(app):
    """The app on 127.0.0.1 for the module (as the root conftest's live_server, kept)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serve_in_background(server)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_server(served, db, redis):
    return served


@pytest.fixture
def world(seeded, db):
    return seeded[0]


def post_referral(live_server, token, received_at=None, **fields) -> dict:
    body = {**VALID_REFERRAL, "source_reference": f"EMAS-{time.monotonic_ns()}", **fields}
    body["received_at"] = (received_at or now()).isoformat()
    response = requests.post(f"{live_server}/api/v1/referrals", json=body, timeout=5,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def signed_in_pages(browser, served, seeded):
    """sign_in(username) -> a page in a context of its own, signed in (one per user, kept)."""
    contexts = {}

    def sign_in(username):
        if username not in contexts:
            contexts[username] = sign_in_page(browser.new_context(base_url=served).new_page(), username)
        return contexts[username]

    yield sign_in
    for page in contexts.values():
        page.context.close()


@pytest.fixture
def signed_in(signed_in_pages, world, live_server):
    """signed_in(username) -> that user's signed-in page (the module's, kept from test to test)."""
    return signed_in_pages


def test_the_sign_in_page_blank_and_after_a_failed_attempt(page, world, audit):
    page.goto("/login")
    audit.check(page, "sign-in, blank")
    page.fill("#username", "cara")
    page.fill("#password", "not the password")
    page.press("#password", "Enter")
    page.locator(".error-summary").wait_for()
    audit.check(page, "sign-in, wrong password")
    page.goto("/login")
    page.locator("form:not(.header__signout) button[type=submit]").click()  # nothing typed
    page.locator(".error-message").first.wait_for()
    audit.check(page, "sign-in, fields left blank")
    audit.assert_clean()


def test_each_page_as_it_loads(signed_in, audit):
    for username, path, name in PAGES:
        page = signed_in(username)
        response = page.goto(path)
        assert response.ok, f"{name}: {path} answered {response.status}"  # an error page is not the page
        audit.check(page, name)
    audit.assert_clean()


def test_the_new_referral_form_blank_with_errors_and_with_the_preview(signed_in, audit):
    page = signed_in("cara")
    page.goto("/referrals/new")
    audit.check(page, "new referral, blank")

    page.fill("[id='patient.nhs_number']", "123")  # and nothing else: errors beside fields
    page.get_by_role("button", name="Save referral").click()
    page.locator(".error-summary").wait_for()
    assert page.locator(".error-message").count() > 3
    audit.check(page, "new referral, saved with errors")

    page.goto("/referrals/new")
    type_a_referral(page)
    page.locator("#patient-age", has_text="Age").wait_for()
    audit.check(page, "new referral, preview filled")

    assert not focus_hidden_under_the_preview(page)

    page.check("input[value=chest_pain]")
    page.locator(".preview--emergency").wait_for()
    audit.check(page, "new referral, preview of a red flag")
    page.uncheck("input[value=chest_pain]")
    page.locator(".preview__route", has_text="Crisis response").wait_for()
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_url("**/referrals/*?saved=1")
    audit.check(page, "referral saved (reference to read out)")
    audit.assert_clean()


def test_the_discharge_form_blank_with_errors_and_with_the_preview(signed_in, audit):
    page = signed_in("cara")
    page.goto("/referrals/new/discharge")
    audit.check(page, "discharge referral, blank")

    page.fill("[id='discharge.admitted_on']", "31/02/2026")  # and nothing else: errors beside fields
    page.get_by_role("button", name="Save referral").click()
    page.locator(".error-summary").wait_for()
    assert page.locator(".error-message").count() > 3
    audit.check(page, "discharge referral, saved with errors")

    today = uk_date(now())
    page.goto("/referrals/new/discharge")
    page.select_option("[id='source']", "acute")
    page.fill("[id='discharge.hospital_ods']", "RNS01")
    page.fill("[id='discharge.ward']", "Talbot Butler")
    page.fill("[id='patient.given_name']", "Ada")
    page.fill("[id='patient.family_name']", "Lovelace")
    page.fill("[id='patient.date_of_birth']", "14/03/1938")
    page.fill("[id='patient.postcode']", "NN1 5BD")
    page.fill("[id='discharge.admitted_on']", (today - timedelta(days=3)).strftime("%d/%m/%Y"))
    page.fill("[id='discharge.discharge_ready_date']", today.strftime("%d/%m/%Y"))
    page.check("input[name='discharge.needs.night_care'][value=yes]")
    page.check("input[name='discharge.needs.rehab_goals'][value=yes]")
    page.check("input[name='discharge.proposed_pathway'][value='1']")
    page.check("input[name=consent][value=yes]")
    page.locator(".preview__proposed", has_text="Ward proposed P1, needs say P2").wait_for()
    audit.check(page, "discharge referral, preview with the ward's proposal")

    assert not focus_hidden_under_the_preview(page)
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_url("**/referrals/*?saved=1")
    audit.check(page, "discharge referral saved")
    audit.assert_clean()


def focus_hidden_under_the_preview(page) -> list[str]:
    """WCAG 2.2, 2.4.11: Shift+Tab from Save back up the form; the fields the focus
    lands on hidden under the preview (which stays at the top of the screen)."""
    page.get_by_role("button", name="Save referral").focus()
    hidden = []
    for _ in range(45):
        page.keyboard.press("Shift+Tab")
        covered = page.evaluate("""() => {
          const el = document.activeElement, f = el.getBoundingClientRect();
          const p = document.getElementById("preview").getBoundingClientRect();
          return f.top >= p.top && f.bottom <= p.bottom ? (el.id || el.name + "=" + el.value) : null; }""")
        if covered:
            hidden.append(covered)
    return hidden


def test_a_clinician_s_worklist_referral_and_capacity_pages(signed_in, live_server, world, audit):
    for minutes_ago in (10, 100, 180):  # green, amber, breached
        referral = post_referral(live_server, world, received_at=now() - timedelta(minutes=minutes_ago))
    page = signed_in("colin")
    page.goto("/worklist")
    assert page.locator("tbody tr").count() == 3
    audit.check(page, "worklist with rows")

    page.locator("tr", has_text=referral["reference"]).get_by_role("button", name="Accept").click()
    page.locator(".inset", has_text="Accepted").wait_for()
    page.goto(f"/referrals/{referral['id']}")
    page.locator(".timeline li").nth(1).wait_for()  # triage, then accept
    audit.check(page, "referral: clocks, decision, history and actions")

    page.goto("/services/crisis_response/capacity")
    audit.check(page, "capacity, blank")
    page.fill("#total", "ten")
    page.fill("#in_use", "-1")
    page.get_by_role("button", name="Save capacity").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "capacity, with errors")
    page.fill("#total", "10")
    page.fill("#in_use", "4")
    page.get_by_role("button", name="Save capacity").click()
    page.locator(".inset", has_text="in use").wait_for()
    audit.check(page, "capacity, declared")
    audit.assert_clean()


def _ward(db, live_server) -> dict:
    """RNS01's ward user (wren) and its discharges, sent by its own system: one
    delayed two days, one ready today (the ward proposed P1, the needs say P2), one
    discharged two hours ago."""
    from tests.support.data.ward_data import NEEDS_P2, ward_body

    user = User(username="wren", role="ward", hospital_ods="RNS01")
    user.set_password(PASSWORD)
    system, token = ApiClient.issue(name="ngh-epr", sources=["acute"], hospital_ods="RNS01")
    db.session.add_all([user, system])
    db.session.commit()
    made = {}
    for name, body in (("delayed", ward_body(drd_in_days=-2)), ("today", ward_body(needs=NEEDS_P2, ward="Becket")),
                       ("left", ward_body(drd_in_days=-1, ward="Spencer"))):
        response = requests.post(f"{live_server}/api/v1/referrals", json=body, timeout=5,
                                 headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        made[name] = response.json()
    # (Recorded by its column: the patient left before these tests look.)
    db.session.get(Referral, uuid.UUID(made["left"]["id"])).discharged_at = now() - timedelta(hours=2)
    db.session.commit()
    db.session.remove()
    return made


def test_the_ward_s_list_and_a_discharge_referral_page(browser, live_server, world, db, audit):
    made = _ward(db, live_server)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "wren")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/ward")  # where a ward user lands
    assert page.locator("tbody tr").count() == 3  # two awaiting, one discharged
    audit.check(page, "ward: patients awaiting discharge and recently discharged")
    page.goto(f"/referrals/{made['today']['id']}")
    page.get_by_role("heading", name="Hospital discharge").wait_for()
    audit.check(page, "referral: a discharge, as its ward")
    page.goto("/")
    audit.check(page, "home, ward")
    context.close()
    audit.assert_clean()


def test_the_ward_records_a_discharge_by_keyboard_and_is_told_beside_the_field(browser, live_server, world, db,
                                                                               audit):
    made = _ward(db, live_server)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "wren")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/ward")
    delayed = made["delayed"]["id"]
    audit.check(page, "ward: list with its actions")

    when = page.locator(f"[id='at-discharged-{delayed}']")
    when.fill("2099-01-01T10:30")  # (typed in the browser's own day, month, year... boxes)
    when.press("Enter")  # submits its own form: Record discharge
    page.locator(f"[id='at-discharged-{delayed}-error']").wait_for()  # in the future: beside the field
    audit.check(page, "ward: a discharge time refused, beside its field")

    reason = page.locator(f"[id='reason-delay-{delayed}']")
    reason.focus()
    reason.select_option("awaiting_care_package")  # a select's own keys, by a person: arrows then Enter
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".inset", has_text="Delay reason recorded for today").wait_for()

    page.goto(f"/referrals/{delayed}")
    page.get_by_role("button", name="Record discharge").focus()
    page.keyboard.press("Enter")  # blank time: now
    page.locator(".inset", has_text="Discharged from hospital").wait_for()
    audit.check(page, "referral: discharged, as its ward")
    context.close()
    audit.assert_clean()


def test_the_supervisor_s_discharges_by_hospital_and_the_ward_user_form(signed_in, live_server, world, db, audit):
    _ward(db, live_server)
    page = signed_in("sian")
    page.goto("/ward?hospital=R")
    page.locator("#hospital-error").wait_for()
    audit.check(page, "discharges by hospital (supervisor), hospital code refused")
    page.fill("#hospital", "rns01")
    page.press("#hospital", "Enter")
    page.locator("tbody tr").first.wait_for()
    audit.check(page, "discharges by hospital (supervisor)")
    admin = signed_in("ada")
    admin.goto("/admin/users")
    admin.fill("#username", "wendy")
    admin.select_option("#role", "ward")
    admin.fill("#password", "a long new password")
    admin.get_by_role("button", name="Add user").click()
    admin.locator("#hospital_ods-error").wait_for()
    audit.check(admin, "admin users, a ward user without a hospital")
    audit.assert_clean()


def test_the_live_queue_with_every_lane_and_the_action_panel(signed_in, live_server, world, audit, db):
    main = post_referral(live_server, world, received_at=now() - timedelta(minutes=100))
    post_referral(live_server, world, received_at=now() - timedelta(hours=3))
    review = post_referral(live_server, world, presenting_need="other")
    send = HttpHospitals(db, live_server).send
    discharge = make_discharge(db, send, "bed_rehab", drd_in_days=-1, proposed_pathway=1)
    make_discharge(db, send, drd_in_days=0, hospital_ods="RNQ01", hospital_name="Kettering General Hospital")
    db.session.remove()
    page = signed_in("sian")
    page.goto("/queue?hospital=RNS01")  # a filter hides a row: hidden rows are checked as the page has them
    page.locator("#live-status[data-state=live]").wait_for()
    page.locator(f"#row-{review['id']}").wait_for()
    assert page.locator("#lane-main tr").count() == 2 and page.locator("#lane-review tr").count() == 1
    assert page.locator("#lane-discharge tr").count() == 2
    audit.check(page, "live queue, every lane (discharges filtered by hospital)")

    page.click(f"#row-{discharge.id} .queue-act")
    page.locator("#actions-panel", has_text=discharge.reference).wait_for()
    audit.check(page, "live queue, action panel open (discharges lane)")

    page.click(f"#row-{main['id']} .queue-act")
    page.locator("#actions-panel").wait_for()
    audit.check(page, "live queue, action panel open (main lane)")
    page.click(f"#row-{review['id']} .queue-act")
    page.locator("#actions-panel", has_text=review["reference"]).wait_for()
    audit.check(page, "live queue, action panel open (review lane)")

    page.goto(f"/referrals/{review['id']}")
    audit.check(page, "referral in review, as a supervisor")
    page.goto("/worklist")
    audit.check(page, "worklist, every open referral (supervisor)")
    audit.assert_clean()


def test_the_live_queue_with_a_pushed_call_and_its_referral_page(signed_in, live_server, world, audit, app, db,
                                                                 monkeypatch):
    from tests.fhir.messages import SPOA_DOS_ID
    from tests.support.pushing import push_call

    monkeypatch.setitem(app.config, "SPOA_DOS_SERVICE_IDS", (SPOA_DOS_ID,))
    client, token = ApiClient.issue(name="ambulance-cad", sources=["emas"])
    db.session.add(client)
    db.session.commit()
    db.session.remove()
    first = push_call(live_server, token, timedelta(minutes=18))
    page = signed_in("sian")
    page.goto("/queue")
    page.locator("#live-status[data-state=live]").wait_for()
    page.locator(f"#lane-push #row-{first['id']} .push-take").wait_for()
    audit.check(page, "live queue, a pushed call in its lane")
    second = push_call(live_server, token, timedelta(minutes=4), case_number="AMB-2")  # arrives live
    page.locator("#push-live", has_text=f"New pushed 999 call {second['reference']}").wait_for()
    audit.check(page, "live queue, a second pushed call arrived live (announced)")
    page.locator(f"#row-{first['id']} .push-take button").click()
    page.locator(".inset", has_text="Accepted").wait_for()
    audit.check(page, "live queue, a pushed call taken (I have it)")
    page.goto(f"/referrals/{first['id']}")
    page.get_by_role("heading", name="Messages with the ambulance service").wait_for()
    audit.check(page, "referral: a pushed call, its messages with the ambulance service")
    audit.assert_clean()


def test_the_notifications_page_with_open_and_taken_items(signed_in, live_server, world, audit):
    # Received 100 minutes ago: its 2-hour first contact clock has warned (the supervisor's,
    # nobody named on duty); one of two is taken, so both lists and the flash show.
    for _ in range(2):
        post_referral(live_server, world, received_at=now() - timedelta(minutes=100))
    page = signed_in("sian")
    page.goto("/notifications")
    assert page.locator("button", has_text="I have it").count() == 2
    audit.check(page, "notifications, two open")
    page.locator("button", has_text="I have it").first.click()
    page.locator(".inset[role=status]", has_text="You have it").wait_for()
    assert page.locator(".notifications--taken li").count() == 1
    audit.check(page, "notifications, one taken")
    audit.assert_clean()


def test_the_admin_pages_with_rows_and_with_errors(signed_in, live_server, world, audit, db):
    from spoa.models import FhirEndpoint

    emas_hub = db.session.scalar(db.select(ApiClient.id).where(ApiClient.name == "emas-hub"))
    # One unowned (as migration 0021 leaves them: a claim form on its row), one emas-hub's.
    db.session.add_all([FhirEndpoint(endpoint="https://fhir.nhs.uk/Id/dos-service-id|1111111111",
                                     base_url="https://old.example/fhir", is_active=True),
                        FhirEndpoint(endpoint="https://fhir.nhs.uk/Id/dos-service-id|2222222222",
                                     base_url="https://emas.example/fhir", is_active=True,
                                     api_client_id=emas_hub)])
    db.session.commit()
    page = signed_in("ada")
    page.goto("/admin/users")
    audit.check(page, "admin users")
    page.get_by_role("button", name="Add user").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin users, add with errors")
    page.locator("tr", has_text="cara").get_by_role("button", name="Reset password").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin users, password reset with errors")

    page.goto("/admin/api-clients")
    audit.check(page, "admin API clients")
    page.fill("#callback_url", "not a url")
    page.get_by_role("button", name="Add API client").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin API clients, add with errors")
    page.fill("#name", f"gp-system-{uuid.uuid4().hex[:6]}")
    page.fill("#callback_url", "")
    page.check("input[name=sources][value=gp]")
    page.get_by_role("button", name="Add API client").click()
    page.locator("#new-token").wait_for()
    audit.check(page, "admin API clients, token shown once")

    page.goto("/admin/fhir-endpoints")
    audit.check(page, "admin BaRS endpoints")
    page.get_by_role("button", name="Register endpoint").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin BaRS endpoints, register with errors")
    page.locator("tr", has_text="1111111111").get_by_role("button", name="Claim").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin BaRS endpoints, claim with errors")

    page.goto("/admin/services")
    audit.check(page, "admin services")
    page.get_by_role("button", name="Add organisation").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "admin services, add organisation with errors")
    for box in page.locator("tr", has_text="Good Neighbours").locator("input[type=checkbox]").all():
        box.uncheck()  # no day at all: refused
    page.get_by_role("button", name="Save days").click()
    page.locator(".error-message").first.wait_for()
    audit.check(page, "admin services, duty days with errors")
    audit.assert_clean()


def test_the_error_pages(signed_in, audit):
    page = signed_in("colin")
    assert page.goto("/admin/users").status == 403
    audit.check(page, "403 (not for this role)")
    assert page.goto(f"/referrals/{uuid.uuid4()}").status == 404
    audit.check(page, "404 (no such referral)")
    assert page.goto("/no-such-page").status == 404
    audit.check(page, "404 (no such page)")
    audit.assert_clean()


def test_the_rules_replay_page_blank_with_errors_and_with_results(signed_in, live_server, world, audit, tmp_path):
    from tests.support.data.replay_data import policy_copy

    for _ in range(2):
        post_referral(live_server, world)  # urgent community response: the candidate moves them
    page = signed_in("ada")
    page.goto("/admin/rules/replay")
    audit.check(page, "rules replay, blank")
    page.get_by_role("button", name="Replay").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "rules replay, with errors")
    page.fill("#since", uk_date(now()).strftime("%d/%m/%Y"))
    page.set_input_files("#file-routing", str(policy_copy(tmp_path / "candidate") / "routing.yaml"))
    page.get_by_role("button", name="Replay").click()
    page.locator("#changes tbody tr").nth(1).wait_for()
    assert page.locator("#route-changed").inner_text() == "2"
    audit.check(page, "rules replay, results")
    audit.assert_clean()


def test_the_reports_page_with_figures_and_with_errors(browser, live_server, world, db, audit):
    """A manager's reports: headline figures, every section's charts and tables; then a period refused."""
    for minutes_ago in (30, 150, 600):
        post_referral(live_server, world, received_at=now() - timedelta(minutes=minutes_ago))
    post_referral(live_server, world, presenting_need="other", source="gp", emas_category=None)
    manager = User(username="mona", role="manager")
    manager.set_password(PASSWORD)
    db.session.add(manager)
    db.session.commit()
    db.session.remove()
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", "mona")
    page.fill("#password", PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/reports")
    audit.check(page, "reports, the last 7 days")
    page.goto("/reports?from=31/02/2026&to=01/01/2020&route=nowhere")
    page.locator(".error-summary").wait_for()
    audit.check(page, "reports, a period refused")
    page.goto("/")
    audit.check(page, "home, manager")
    context.close()
    audit.assert_clean()


def _handover_rows(live_server, world, db):
    """A breached clock, one due soon, and sian on duty as SPOA supervisor for part of
    the next 12 hours (a gap after it)."""
    from spoa.models import DutyShift  # noqa: PLC0415 (only these two tests need it)

    post_referral(live_server, world, received_at=now() - timedelta(hours=3))  # breached on receipt
    post_referral(live_server, world, received_at=now() - timedelta(minutes=30))
    sian = db.session.query(User).filter_by(username="sian").one()
    db.session.add(DutyShift(duty="spoa_supervisor", user_id=sian.id, starts_at=now() - timedelta(hours=1),
                             ends_at=now() + timedelta(hours=6), created_by="test"))
    db.session.commit()
    db.session.remove()


def test_the_handover_page_with_rows_and_with_errors(signed_in, live_server, world, audit, db):
    _handover_rows(live_server, world, db)
    page = signed_in("sian")
    page.goto("/handover")
    assert page.locator("#breached tbody tr").count() >= 1 and page.locator("#due tbody tr").count() >= 1
    audit.check(page, "handover, with rows")
    response = page.goto("/handover?start=31/02/2026 20:00&end=")
    assert response.status == 422
    audit.check(page, "handover, a window refused")
    audit.assert_clean()


def test_the_handover_page_printed_hides_the_header_and_buttons(signed_in, live_server, world, db):
    _handover_rows(live_server, world, db)
    page = signed_in("sian")
    page.goto("/handover")
    assert page.locator("header.header").is_visible() and page.locator("#print-handover").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.header").is_visible()
    assert not page.locator("#print-handover").is_visible()
    assert not page.locator("main form").is_visible()
    assert page.locator("#handover-window").is_visible() and page.locator("#breached tbody tr").first.is_visible()
    text_colour = page.evaluate("() => getComputedStyle(document.querySelector('.handover-table td')).color")
    assert text_colour == "rgb(0, 0, 0)"  # black on white
    page.emulate_media(media="screen")
    # The button prints (window.print, wired by handover.js: the CSP allows no inline script).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.click("#print-handover")
    assert page.evaluate("() => window.printed") == 1


def test_the_duty_rota_with_shifts_and_with_errors(signed_in, world, db, audit):
    from tests.support.data.rota_data import on_duty

    today = uk_date(now()).isoformat()
    sian = db.session.query(User).filter_by(username="sian").one()
    on_duty(db, "spoa_supervisor", sian, f"{today}T08:00", f"{today}T20:00")
    db.session.remove()
    page = signed_in("ada")
    page.goto("/rota")
    page.get_by_role("button", name="Remove").first.wait_for()
    audit.check(page, "duty rota, a week with a shift")
    page.get_by_role("button", name="Add shift").click()
    page.locator(".error-summary").wait_for()
    audit.check(page, "duty rota, add with errors")
    colin = signed_in("colin")
    colin.goto("/rota")
    audit.check(colin, "duty rota, a clinician's view")
    audit.assert_clean()
