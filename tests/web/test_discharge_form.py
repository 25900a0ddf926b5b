"""The hub coordinator's discharge form (issue 13): a ward's call, typed in, loads
through the same IntakeSchema as a hospital system's post; the rules D1-D9 pick
the pathway; messages sit beside the fields; not known stays unknown."""
import html
import re
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from spoa.clocks import now, uk_date
from spoa.models import Referral
from spoa.web.discharge_form import DISCHARGE
from spoa.web.intake_form import to_intake

from tests.discharge_data import discharge_body
from tests.duty_data import add_org

from .conftest import csrf_token

NEW = "/referrals/new/discharge"


def uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def ward_call(today: date | None = None, *, drd_in_days: int = 1, **fields) -> dict:
    """What a hub coordinator types for the ward's call in tests.discharge_data's body
    (the same patient, dates and needs), with ``fields`` replacing boxes by name."""
    today = today or uk_date(now())
    form = {
        "source": "acute", "referrer.name": "Sister A Nightingale", "referrer.phone": "01604 634700",
        "discharge.hospital_ods": "RNS01", "discharge.hospital_name": "Northampton General Hospital",
        "discharge.ward": "Talbot Butler",
        "patient.nhs_number": "943 476 5919", "patient.given_name": "Ada", "patient.family_name": "Lovelace",
        "patient.date_of_birth": "14/03/1938", "patient.sex": "female", "patient.postcode": "nn1 5bd",
        "patient.address": "1 Example Street, Northampton", "patient.phone": "01604 000000",
        "patient.lives_alone": "yes", "patient.gp_practice_ods": "K83001",
        "discharge.admitted_on": uk(today - timedelta(days=4)),
        "discharge.discharge_ready_date": uk(today + timedelta(days=drd_in_days)),
        "discharge.expected_discharge_date": uk(today + timedelta(days=drd_in_days + 1)),
        "discharge.proposed_pathway": "1",
        "discharge.needs.mobility": "one_carer", "discharge.needs.personal_care": "yes",
        "discharge.needs.night_care": "no", "discharge.needs.two_carers": "no",
        "discharge.needs.rehab_goals": "yes", "discharge.needs.cognition_concern": "no",
        "discharge.needs.equipment": ["commode", "perching_stool"],
        "discharge.care_package": "none", "discharge.usual_residence": "home",
        "discharge.patient_wishes": "Wants to go home to her cat.",
        "discharge.carer.name": "Ben Lovelace", "discharge.carer.relationship": "son",
        "discharge.carer.phone": "07700 900000",
        "observations.news2": "1", "observations.clinical_frailty_scale": "5",
        "description": "Medically optimised after a fall; ready for discharge.",
        "consent": "yes", "kind": "discharge",
    }
    form.update(fields)
    return form


# Needs that reach each row alone (no other need known), as the coordinator ticks them.
NOTHING_KNOWN = {f"discharge.needs.{n}": "" for n in ("personal_care", "night_care", "two_carers", "rehab_goals",
                                                       "cognition_concern")}
NO_NEEDS = {**{k: "no" for k in NOTHING_KNOWN}, "discharge.needs.mobility": "independent",
            "discharge.care_package": "none", "patient.lives_alone": "no"}


def multi(data: dict) -> MultiDict:
    """Form data as posted: a list is several boxes ticked under one name."""
    return MultiDict([(key, item) for key, value in data.items()
                      for item in (value if isinstance(value, list) else [value])])


def post_form(client, data, token=True):
    form = multi(data)
    if token:
        form["csrf_token"] = csrf_token(client, NEW)
    return client.post(NEW, data=form)


def preview_of(client, data) -> dict:
    form = multi(data)
    form["csrf_token"] = csrf_token(client, NEW)
    return client.post("/referrals/preview", data=form).get_json()


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# The mapping to the wire format (no database needed).

def test_the_typed_call_is_the_contract_s_discharge_body():
    today = date(2026, 11, 24)
    body = to_intake(multi(ward_call(today)), DISCHARGE)
    expected = discharge_body(today)
    expected["referrer"] = {"name": "Sister A Nightingale", "phone": "01604 634700"}  # the form asks no more
    expected["patient"]["nhs_number"] = "943 476 5919"  # as typed: the schema normalises it
    expected["patient"]["postcode"] = "nn1 5bd"
    del expected["source_reference"], body["source_reference"]  # the form's own id stands in
    assert body == expected


def test_not_known_needs_are_left_out_never_sent_as_no():
    body = to_intake(multi(ward_call(**NOTHING_KNOWN, **{"discharge.needs.mobility": ""})), DISCHARGE)
    assert body["discharge"]["needs"] == {"equipment": ["commode", "perching_stool"]}
    body = to_intake(multi(ward_call(**NOTHING_KNOWN, **{"discharge.needs.mobility": "",
                                                         "discharge.needs.equipment": []})), DISCHARGE)
    assert "needs" not in body["discharge"]


def test_no_proposed_pathway_and_no_carer_are_left_out():
    blank = {"discharge.proposed_pathway": "", "discharge.carer.name": "", "discharge.carer.relationship": "",
             "discharge.carer.phone": ""}
    section = to_intake(multi(ward_call(**blank)), DISCHARGE)["discharge"]
    assert "proposed_pathway" not in section and "carer" not in section
    chosen = to_intake(multi(ward_call(**{"discharge.proposed_pathway": "0"})), DISCHARGE)
    assert chosen["discharge"]["proposed_pathway"] == 0  # P0 is a pathway, not "none"


# The page.

def test_the_discharge_form_asks_for_the_ward_s_call_in_order_with_a_label_for_every_box(client, login_as):
    login_as("call_handler")
    page = client.get(NEW).get_data(as_text=True)
    order = [page.index(f"<h2>{h}</h2>") for h in (
        "Who is calling", "Hospital and ward", "Patient", "Dates", "What the patient needs to leave hospital",
        "Before admission", "The ward's view", "Wishes and carer", "Consent")]
    assert order == sorted(order)
    for box in re.findall(r'<(?:input|select|textarea) class="(?:input|select|textarea)[^"]*" id="([^"]+)"', page):
        assert f'<label class="label" for="{box}">' in page, box
    for group in ("discharge.proposed_pathway", "discharge.needs.rehab_goals", "discharge.needs.equipment"):
        assert re.search(rf'<fieldset class="fieldset" id="{re.escape(group)}"[^>]*>\s*<legend', page), group
    assert 'name="presenting_need"' not in page  # the needs describe a discharge
    assert '<option value="acute">' in page and '<option value="gp">' not in page
    assert 'name="kind" value="discharge"' in page


def test_the_two_forms_link_to_each_other(client, login_as):
    login_as("supervisor")
    assert f'href="{NEW}"' in client.get("/referrals/new").get_data(as_text=True)
    assert 'href="/referrals/new"' in client.get(NEW).get_data(as_text=True)


def test_only_call_handlers_and_supervisors_enter_discharges(client, login_as):
    login_as("clinician", service="home_rehab")
    assert client.get(NEW).status_code == 403


def test_the_discharge_form_refuses_a_post_without_its_csrf_token(client, login_as, db):
    login_as("call_handler")
    assert post_form(client, ward_call(), token=False).status_code == 400
    assert db.session.query(Referral).count() == 0
