"""The hub coordinator's discharge form: a ward's call, typed in, loads
through the same IntakeSchema as a hospital system's post; the rules D1-D9 pick
the pathway; messages sit beside the fields; not known stays unknown."""
import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from spoa.models import Referral
from spoa.platform.timekeeping import end_of_uk_day, format_uk, now, uk_date
from spoa.services.triage import facts_of
from spoa.web.discharge_form import DISCHARGE
from spoa.web.intake_form import to_intake
from tests.support.data.discharge_data import discharge_body
from tests.support.data.discharge_form import NEW, multi, uk, ward_call
from tests.support.data.duty_data import add_org
from tests.support.signing_in import csrf_token

# Needs that reach each row alone (no other need known), as the coordinator ticks them.
NOTHING_KNOWN = {f"discharge.needs.{n}": "" for n in ("personal_care", "night_care", "two_carers", "rehab_goals",
                                                       "cognition_concern")}
NO_NEEDS = {**{k: "no" for k in NOTHING_KNOWN}, "discharge.needs.mobility": "independent",
            "discharge.care_package": "none", "patient.lives_alone": "no"}


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


# Saving: every row of the discharge policy through the form.

ROWS = [  # (case, what the coordinator types, rule, route, pathway, urgency)
    ("news2-5", {"observations.news2": "5"}, "discharge-not-ready", "supervisor_review", None, "urgent"),
    ("drd-8-days-ahead", {"drd_in_days": 8}, "discharge-not-ready", "supervisor_review", None, "urgent"),
    ("p3", {"discharge.needs.two_carers": "yes", "discharge.needs.night_care": "yes",
            "discharge.needs.rehab_goals": "no"}, "discharge-p3", "care_home_assessment", 3, "routine"),
    ("p2", {"discharge.needs.night_care": "yes", "discharge.needs.rehab_goals": "yes"},
     "discharge-p2", "bed_rehab", 2, "urgent"),
    ("night-care-unplanned", {"discharge.needs.night_care": "yes", "discharge.needs.rehab_goals": "no"},
     "discharge-night-care-unplanned", "supervisor_review", None, "urgent"),
    ("p1-rehab", {}, "discharge-p1-rehab", "home_rehab", 1, "urgent"),
    ("p1-personal-care", {"discharge.needs.rehab_goals": "no"}, "discharge-p1-care", "reablement", 1, "urgent"),
    ("p1-lapsed-package", {**NO_NEEDS, "discharge.care_package": "lapsed"},
     "discharge-p1-care", "reablement", 1, "urgent"),
    ("p0-paused-package", {**NO_NEEDS, "discharge.care_package": "paused"},
     "discharge-p0-restart", "discharge_simple", 0, "routine"),
    ("p0-lives-alone", {**NO_NEEDS, "patient.lives_alone": "yes"},
     "discharge-p0-support", "voluntary_sector", 0, "routine"),
    ("p0", NO_NEEDS, "discharge-p0", "discharge_simple", 0, "routine"),
]


@pytest.mark.parametrize("typed, rule, route, pathway, urgency", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_each_discharge_row_is_reached_through_the_form_and_stored_with_its_pathway(
        client, login_as, db, typed, rule, route, pathway, urgency):
    add_org(db, "good_neighbours", total=3)  # on duty every day with places: D8's settling-in help has somewhere to go
    handler = login_as("call_handler")
    typed = dict(typed)
    response = post_form(client, ward_call(drd_in_days=typed.pop("drd_in_days", 1), **typed))
    assert response.status_code == 302, page_of(response)[:3000]
    referral = db.session.query(Referral).one()
    assert (referral.rules_decision.rule_id, referral.route, referral.pathway, referral.urgency) == (
        rule, route, pathway, urgency)
    assert (referral.kind, referral.channel, referral.created_by_user_id) == ("discharge", "form", handler.id)
    assert (referral.hospital_ods, referral.ward, referral.proposed_pathway) == ("RNS01", "Talbot Butler", 1)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Referral saved" in page_of(page)


def test_rehab_goals_not_known_are_not_taken_as_no_so_d2_goes_to_a_person(client, login_as, db):
    """Two carers and night care but rehabilitation goals not known: not a care-home
    placement on a guess (D2 needs a known no), but a supervisor's review (D4)."""
    login_as("call_handler")
    post_form(client, ward_call(**{"discharge.needs.two_carers": "yes", "discharge.needs.night_care": "yes",
                                   "discharge.needs.rehab_goals": ""}))
    referral = db.session.query(Referral).one()
    assert (referral.rules_decision.rule_id, referral.route, referral.pathway) == (
        "discharge-night-care-unplanned", "supervisor_review", None)
    assert "rehab_goals" not in referral.discharge["needs"]
    assert facts_of(referral)["rehab_goals"] is None and facts_of(referral)["two_carers"] is True


def test_the_saved_referral_keeps_the_section_as_typed(client, login_as, db):
    login_as("supervisor")
    today = uk_date(now())
    post_form(client, ward_call(**{"discharge.proposed_pathway": "0"}))
    referral = db.session.query(Referral).one()
    assert (referral.admitted_on, referral.discharge_ready_date, referral.expected_discharge_date) == (
        today - timedelta(days=4), today + timedelta(days=1), today + timedelta(days=2))
    assert referral.proposed_pathway == 0
    assert referral.discharge["carer"] == {"name": "Ben Lovelace", "relationship": "son", "phone": "07700 900000"}
    assert referral.discharge["needs"]["equipment"] == ["commode", "perching_stool"]
    assert referral.discharge["patient_wishes"] == "Wants to go home to her cat."
    assert referral.presenting_need == "other"  # not asked: the needs describe a discharge


def test_pressing_save_twice_stores_one_discharge_referral(client, login_as, db):
    login_as("call_handler")
    blank = client.get(NEW).get_data(as_text=True)
    submission = re.search(r'name="submission_id" value="([0-9a-f]{32})"', blank).group(1)
    first = post_form(client, ward_call(submission_id=submission))
    second = post_form(client, ward_call(submission_id=submission))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Referral).count() == 1


# Bad input: kept as typed, a message beside each field, nothing stored.

@pytest.mark.parametrize("typed, field, message", [
    ({"discharge.discharge_ready_date": "days ago"}, "discharge.discharge_ready_date",
     "Enter the discharge ready date as day/month/year"),
    ({"discharge.ward": ""}, "discharge.ward", "Enter the ward"),
    ({"discharge.ward": "   "}, "discharge.ward", "Enter the ward"),
    ({"discharge.hospital_ods": "RNS-01"}, "discharge.hospital_ods", "ODS code"),
    ({"discharge.admitted_on": "31/02/2026"}, "discharge.admitted_on", "Enter the date admitted as day/month/year"),
    ({"discharge.proposed_pathway": "7"}, "discharge.proposed_pathway", "0, 1, 2 or 3"),
    ({"discharge.proposed_pathway": "٣"}, "discharge.proposed_pathway", "integer"),  # int("٣") would be 3
    ({"discharge.discharge_ready_date": "٢٤/١١/٢٠٢٦"}, "discharge.discharge_ready_date",
     "Enter the discharge ready date as day/month/year"),
    ({"discharge.needs.equipment": ["commode", "Hoist!"]}, "discharge.needs.equipment", "equipment code"),
    ({"source": "gp"}, "source", "acute or community_hospital"),
    ({"consent": ""}, "consent", "Select whether the patient has agreed"),
])
def test_a_mistake_is_told_beside_its_field_and_in_the_summary(client, login_as, db, typed, field, message):
    login_as("call_handler")
    response = post_form(client, ward_call(**typed))
    page = page_of(response)
    assert response.status_code == 422
    beside = re.search(rf'<span class="error-message" id="{re.escape(field)}-error">(.*?)</span>', page, re.S)
    assert beside and message in beside.group(1), page[:4000]
    assert f'href="#{field}"' in page and f'id="{field}"' in page  # the summary's link lands on the field
    assert db.session.query(Referral).count() == 0


def test_a_ready_date_before_admission_is_refused_beside_it_and_everything_typed_is_kept(client, login_as, db):
    login_as("call_handler")
    today = uk_date(now())
    typed = ward_call(**{"discharge.discharge_ready_date": uk(today - timedelta(days=5)),
                         "discharge.proposed_pathway": "2", "discharge.needs.equipment": ["hoist", "key_safe"]})
    response = post_form(client, typed)
    page = page_of(response)
    assert response.status_code == 422 and "There is a problem" in page
    assert re.search(r'id="discharge.discharge_ready_date-error">Error: [^<]*before the admission date', page)
    for box in ("discharge.discharge_ready_date", "discharge.admitted_on", "discharge.ward", "discharge.carer.name",
                "patient.given_name", "referrer.name"):
        assert f'name="{box}" type="{"tel" if box.endswith("phone") else "text"}" value="{typed[box]}"' in page, box
    for value in ("hoist", "key_safe"):
        assert f'name="discharge.needs.equipment" value="{value}" checked' in page
    assert 'name="discharge.needs.equipment" value="commode" checked' not in page
    assert 'name="discharge.proposed_pathway" value="2" checked' in page
    assert 'name="discharge.needs.rehab_goals" value="yes" checked' in page
    assert 'name="discharge.needs.mobility"' in page and '<option value="one_carer" selected>' in page
    assert "Wants to go home to her cat.</textarea>" in page
    assert db.session.query(Referral).count() == 0


def test_an_admission_date_in_the_future_is_refused_beside_it(client, login_as, db):
    login_as("call_handler")
    tomorrow = uk_date(now()) + timedelta(days=1)
    response = post_form(client, ward_call(**{"discharge.admitted_on": uk(tomorrow)}))
    assert response.status_code == 422
    assert re.search(r'id="discharge.admitted_on-error">Error: [^<]*future', page_of(response))
    assert db.session.query(Referral).count() == 0


def test_a_blank_discharge_form_asks_for_each_required_field_by_name(client, login_as, db):
    login_as("call_handler")
    page = page_of(post_form(client, {"kind": "discharge"}))
    for field, text in (("source", "Select whether the call is from an acute or a community hospital"),
                        ("discharge.hospital_ods", "Enter the hospital's ODS code"),
                        ("discharge.ward", "Enter the ward"),
                        ("discharge.admitted_on", "Enter the date the patient was admitted"),
                        ("discharge.discharge_ready_date", "Enter the discharge ready date"),
                        ("patient.given_name", "Enter the patient's given name"),
                        ("patient.postcode", "Enter the patient's postcode"),
                        ("consent", "Select whether the patient has agreed")):
        assert re.search(rf'id="{re.escape(field)}-error">Error: {re.escape(text)}', page), field
    assert "Missing data for required field" not in page and "main need" not in page.lower()
    summary = page[page.index("There is a problem"):page.index("</div>", page.index("There is a problem"))]
    for target in re.findall(r'href="#([^"]+)"', summary):
        assert f'id="{target}"' in page, target  # every link in the summary lands on its field


# The preview: the same rules as Save, with the pathway and the ward's proposal.

def test_the_preview_gives_the_pathway_the_needs_reach_and_stores_nothing(client, login_as, db):
    login_as("call_handler")
    data = preview_of(client, ward_call())
    assert (data["ready"], data["route"], data["rule_id"]) == (True, "home_rehab", "discharge-p1-rehab")
    assert (data["pathway"], data["pathway_name"]) == (1, "Pathway 1: home with new or restarted support")
    assert (data["proposed_pathway"], data["pathway_note"]) == (1, None)  # the ward agrees: nothing to say
    assert data["route_name"] == "Home-based rehabilitation" and data["explanation"]
    assert db.session.query(Referral).count() == 0


def test_the_preview_shows_the_ward_s_proposal_beside_a_different_pathway(client, login_as):
    login_as("call_handler")
    data = preview_of(client, ward_call(**{"discharge.needs.night_care": "yes"}))
    assert (data["route"], data["pathway"], data["proposed_pathway"]) == ("bed_rehab", 2, 1)
    assert data["pathway_note"] == "Ward proposed P1, needs say P2."
    review = preview_of(client, ward_call(**{"discharge.needs.night_care": "yes", "discharge.needs.rehab_goals": "",
                                             "discharge.proposed_pathway": "3"}))
    assert (review["route"], review["pathway"], review["pathway_name"]) == ("supervisor_review", None, None)
    assert review["pathway_note"] is None  # a person is still to decide: nothing to set the proposal against


def test_the_preview_of_a_half_typed_call_names_what_is_still_needed(client, login_as):
    login_as("call_handler")
    data = preview_of(client, {"kind": "discharge", "source": "acute", "patient.given_name": "Ada"})
    assert data["ready"] is False
    assert {"Ward", "Date admitted", "Discharge ready date", "Family name"} <= set(data["missing"])
    assert "Main need" not in data["missing"]


def test_a_community_preview_has_no_pathway(client, login_as):
    login_as("call_handler")
    from tests.support.data.referral_form import GOOD

    token = csrf_token(client, "/referrals/new")
    data = client.post("/referrals/preview", data={**GOOD, "csrf_token": token}).get_json()
    assert data["ready"] and (data["pathway"], data["pathway_name"], data["pathway_note"]) == (None, None, None)
    assert [c["name"] for c in data["clocks"]] == ["first_contact"]  # the community clocks, unchanged


def test_the_preview_gives_a_discharge_s_own_clocks_the_ward_s_one_by_the_end_of_the_ready_date(
        client, login_as, frozen_now):
    login_as("call_handler")
    frozen_now(datetime(2026, 11, 24, 10, 30, tzinfo=UTC))  # 10:30 UK time
    data = preview_of(client, ward_call(date(2026, 11, 24), drd_in_days=2))
    assert data["clocks"] == [{"name": "accept", "deadline": format_uk(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))},
                              {"name": "discharge", "deadline": format_uk(end_of_uk_day(date(2026, 11, 26)))}]
    # Ready yesterday: a day from the call to leave, not a deadline already gone.
    late = preview_of(client, ward_call(date(2026, 11, 24), drd_in_days=-1))
    assert late["clocks"][1] == {"name": "discharge",
                                 "deadline": format_uk(datetime(2026, 11, 25, 10, 30, tzinfo=UTC))}


# The duplicate check, as on the community form.

def test_an_open_referral_for_the_same_patient_is_shown_in_the_preview_and_asked_about_on_save(client, login_as, db):
    login_as("call_handler")
    assert post_form(client, ward_call(submission_id="a" * 32)).status_code == 302
    first = db.session.query(Referral).one()
    again = ward_call(submission_id="b" * 32, **{"discharge.needs.night_care": "yes"})
    assert [d["reference"] for d in preview_of(client, again)["duplicates"]] == [first.reference]
    asked = post_form(client, again)
    page = page_of(asked)
    assert asked.status_code == 200 and "This patient already has an open referral" in page
    assert "hospital discharge from Talbot Butler" in page
    assert 'name="discharge.needs.night_care" value="yes" checked' in page  # what was typed is kept
    assert db.session.query(Referral).count() == 1
    assert post_form(client, {**again, "duplicate_choice": "new"}).status_code == 302
    assert db.session.query(Referral).count() == 2


def test_the_home_page_offers_the_discharge_form_to_those_who_enter_referrals(client, login_as):
    login_as("call_handler")
    assert f'href="{NEW}"' in client.get("/").get_data(as_text=True)
