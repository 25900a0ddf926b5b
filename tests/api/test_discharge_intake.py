"""POST /api/v1/referrals with kind: discharge (intake-contract.md, "Discharge referrals",
v1.1): a ward's referral reaches its row D1-D9 and the pathway its route is on; bad
input is a 422 naming the field; a hospital's system refers only its own patients."""
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spoa.models import Referral
from spoa.services.triage import facts_of
from tests.support.data.discharge_data import discharge_body
from tests.support.data.duty_data import add_org
from tests.support.data.referral_data import full_view
from tests.support.fuzzing import JSON_VALUES, check_answer

pytestmark = pytest.mark.both_databases

URL = "/api/v1/referrals"
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UK time
TODAY = date(2026, 11, 23)
NOTHING_NEW = {"personal_care": False, "night_care": False, "two_carers": False, "rehab_goals": False}


@pytest.fixture
def send(frozen_now, client, hospital_sender):
    """send(body) -> the response to the hospital's system posting it at AT."""
    _, headers = hospital_sender

    def post(body, **headers_extra):
        with frozen_now(AT):
            return client.post(URL, json=body, headers={**headers, **headers_extra})

    return post


def body(needs=None, *, lives_alone=True, consent=True, news2=1, **section):
    made = discharge_body(TODAY, needs=needs, **section)
    made["patient"]["lives_alone"] = lives_alone
    made["consent"] = consent
    made["observations"]["news2"] = news2
    return made


# (case, body, rule id, route, urgency, pathway reached): every row through the API.
ROWS = [
    ("D1 NEWS2 5", body(news2=5), "discharge-not-ready", "supervisor_review", "urgent", None),
    ("D1 DRD 8 days ahead", body(discharge_ready_date="2026-12-01", expected_discharge_date=None),
     "discharge-not-ready", "supervisor_review", "urgent", None),
    ("D2", body({"two_carers": True, "night_care": True, "rehab_goals": False}),
     "discharge-p3", "care_home_assessment", "routine", 3),
    ("D3", body({"night_care": True, "rehab_goals": True}), "discharge-p2", "bed_rehab", "urgent", 2),
    ("D4 rehab goals unknown", body({"two_carers": True, "night_care": True}),
     "discharge-night-care-unplanned", "supervisor_review", "urgent", None),
    ("D5", body({"rehab_goals": True, "night_care": False}), "discharge-p1-rehab", "home_rehab", "urgent", 1),
    ("D6 personal care", body({**NOTHING_NEW, "personal_care": True}), "discharge-p1-care", "reablement", "urgent", 1),
    ("D6 lapsed package", body(NOTHING_NEW, care_package="lapsed"), "discharge-p1-care", "reablement", "urgent", 1),
    ("D7", body(NOTHING_NEW, care_package="paused"), "discharge-p0-restart", "discharge_simple", "routine", 0),
    ("D8", body(NOTHING_NEW), "discharge-p0-support", "voluntary_sector", "routine", 0),
    ("D8 without consent is D9", body(NOTHING_NEW, consent=False), "discharge-p0", "discharge_simple", "routine", 0),
    ("D9", body(NOTHING_NEW, lives_alone=False), "discharge-p0", "discharge_simple", "routine", 0),
]


@pytest.mark.parametrize("case, sent, rule_id, route, urgency, pathway", ROWS, ids=[r[0] for r in ROWS])
def test_every_discharge_row_is_reached_through_the_api_with_its_pathway(db, send, case, sent, rule_id, route,
                                                                          urgency, pathway):
    add_org(db, "good_neighbours", total=3, declared_for=TODAY)  # D8's voluntary sector has a place
    response = send(sent)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert (answer["decision"]["rule_id"], answer["route"], answer["urgency"]) == (rule_id, route, urgency)
    assert answer["kind"] == "discharge"
    assert answer["discharge"]["pathway"] == pathway
    assert answer["discharge"]["proposed_pathway"] == 1
    stored = db.session.get(Referral, uuid.UUID(answer["id"]))
    assert (stored.kind, stored.pathway, stored.proposed_pathway) == ("discharge", pathway, 1)


def test_a_stored_discharge_has_the_facts_it_was_triaged_on(db, send):
    answer = send(body({"rehab_goals": True, "night_care": False})).get_json()
    stored = db.session.get(Referral, uuid.UUID(answer["id"]))
    db.session.expire(stored)  # from the database: the section as JSON, its dates as text
    facts = facts_of(stored)
    assert stored.discharge["discharge_ready_date"] == "2026-11-24"
    assert (facts["kind"], facts["days_until_drd"], facts["rehab_goals"], facts["lives_alone"]) == (
        "discharge", 1, True, True)
    assert answer["decision"]["facts"] == {"kind": "discharge", "rehab_goals": True}
    # Intake derived them from the validated data, once: the same as the stored row gives.
    assert stored.rules_decision.inputs == facts


def test_a_discharge_is_stored_with_its_section_and_columns(db, send):
    sent = body(hospital_ods="rns01")  # an ODS code in any case is one hospital
    sent["referrer"]["ods_code"] = "RNS01"
    answer = send(sent).get_json()
    stored = db.session.get(Referral, uuid.UUID(answer["id"]))
    assert (stored.hospital_ods, stored.ward, stored.presenting_need) == ("RNS01", "Talbot Butler", "other")
    assert (stored.admitted_on, stored.discharge_ready_date, stored.expected_discharge_date) == (
        date(2026, 11, 19), date(2026, 11, 24), date(2026, 11, 25))
    assert stored.discharge["needs"]["equipment"] == ["commode", "perching_stool"]
    assert stored.discharge["carer"] == {"name": "Ben Lovelace", "relationship": "son", "phone": "07700 900000"}
    shown = answer["discharge"]
    assert shown["hospital_ods"] == "RNS01" and shown["ward"] == "Talbot Butler"
    assert shown["discharge_ready_date"] == shown["referred_discharge_ready_date"] == "2026-11-24"
    assert shown["needs"]["mobility"] == "one_carer"
    assert shown["discharged_at"] is None


def test_the_answer_notes_where_the_ward_and_the_needs_disagree(send):
    answer = send(body({"night_care": True, "rehab_goals": True}, proposed_pathway=1)).get_json()
    assert (answer["discharge"]["proposed_pathway"], answer["discharge"]["pathway"]) == (1, 2)
    assert answer["discharge"]["pathway_note"] == "Ward proposed P1, needs say P2."
    agreed = send(body({"rehab_goals": True, "night_care": False}, proposed_pathway=1)).get_json()
    assert agreed["discharge"]["pathway_note"] is None


def test_a_discharge_without_presenting_need_is_stored_as_other(db, send):
    answer = send(body()).get_json()
    assert answer["route"] == "home_rehab"
    assert db.session.get(Referral, uuid.UUID(answer["id"])).presenting_need == "other"


def test_a_discharge_from_a_community_hospital_is_accepted(send):
    response = send(discharge_body(TODAY, source="community_hospital"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["source"] == "community_hospital"


def test_rows_one_to_five_come_before_the_discharge_rows(send):
    red = body()
    red["red_flags"] = ["chest_pain"]
    assert send(red).get_json()["decision"]["rule_id"] == "red-flag"
    away = body()
    away["patient"]["postcode"] = "MK9 1AA"
    assert send(away).get_json()["decision"]["rule_id"] == "out-of-area"
    young = body()
    young["patient"]["date_of_birth"] = "2009-01-10"
    assert send(young).get_json()["decision"]["rule_id"] == "under-18"


def test_a_community_referral_has_no_discharge_and_no_pathway(db, client, sender, payload):
    _, headers = sender
    answer = client.post(URL, json=payload(), headers=headers).get_json()
    assert (answer["kind"], answer["discharge"], answer["route"]) == ("community", None, "crisis_response")
    stored = db.session.get(Referral, uuid.UUID(answer["id"]))
    assert (stored.kind, stored.pathway, stored.discharge) == ("community", None, None)


def test_a_v1_body_saying_kind_community_is_the_same_referral_as_one_without(client, sender, payload):
    _, headers = sender
    first = payload()
    again = {**first, "kind": "community"}
    assert client.post(URL, json=first, headers=headers).status_code == 201
    replay = client.post(URL, json=again, headers=headers)
    assert replay.status_code == 200  # same content: kind community is what a v1 body always meant


def test_a_discharge_sent_again_is_answered_with_the_first(send):
    sent = body()
    first = send(sent, **{"Idempotency-Key": "ngh-1"})
    again = send(sent, **{"Idempotency-Key": "ngh-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    changed = body(discharge_ready_date="2026-11-25")
    changed["source_reference"] = sent["source_reference"]
    assert send(changed).status_code == 409


# --- refusals ------------------------------------------------------------------------


def _with(**changes):
    made = body()
    for key, value in changes.items():
        made[key] = value
    return made


def _without(key):
    made = body()
    made.pop(key)
    return made


INVALID = [
    ("DRD before admission", body(discharge_ready_date="2026-11-18"), "discharge.discharge_ready_date"),
    ("expected before admission", body(expected_discharge_date="2026-11-18"), "discharge.expected_discharge_date"),
    ("pathway 7", body(proposed_pathway=7), "discharge.proposed_pathway"),
    ("pathway as text", body(proposed_pathway="1"), "discharge.proposed_pathway"),
    ("pathway as true", body(proposed_pathway=True), "discharge.proposed_pathway"),
    ("admitted in the future", body(admitted_on="2026-11-24", discharge_ready_date="2026-11-25"),
     "discharge.admitted_on"),
    ("DRD years ahead", body(discharge_ready_date="2062-11-24", expected_discharge_date=None),
     "discharge.discharge_ready_date"),
    ("unknown field in the section", body(bed_number="12"), "discharge.bed_number"),
    ("night care as yes", body({"night_care": "yes"}), "discharge.needs.night_care"),
    ("unknown need", body({"stairs": True}), "discharge.needs.stairs"),
    ("mobility unknown", body({"mobility": "crawls"}), "discharge.needs.mobility"),
    ("equipment twice", body({"equipment": ["commode", "commode"]}), "discharge.needs.equipment"),
    ("equipment code", body({"equipment": ["Commode!"]}), "discharge.needs.equipment.0"),
    ("equipment too many", body({"equipment": [f"aid_{n}" for n in range(21)]}), "discharge.needs.equipment"),
    ("care package unknown", body(care_package="some"), "discharge.care_package"),
    ("residence unknown", body(usual_residence="boat"), "discharge.usual_residence"),
    ("wishes too long", body(patient_wishes="x" * 2001), "discharge.patient_wishes"),
    ("carer unknown field", body(carer={"name": "Ben", "age": 40}), "discharge.carer.age"),
    ("ODS code too long", body(hospital_ods="RNS0123"), "discharge.hospital_ods"),
    ("ODS code with a newline", body(hospital_ods="RNS01\n"), "discharge.hospital_ods"),
    ("ward blank", body(ward="  "), "discharge.ward"),
    ("ward missing", body(ward=None), "discharge.ward"),
    ("admission missing", body(admitted_on=None), "discharge.admitted_on"),
    ("DRD missing", body(discharge_ready_date=None), "discharge.discharge_ready_date"),
    ("discharge kind without a section", _without("discharge"), "discharge"),
    ("a section on a community referral", _with(kind="community", presenting_need="other"), "discharge"),
    ("a section without a kind", {k: v for k, v in _with(presenting_need="other").items() if k != "kind"},
     "discharge"),
    ("discharge from the ambulance service", _with(source="emas", emas_category=3), "source"),
    ("discharge from a GP", _with(source="gp"), "source"),
    ("an unknown kind", _with(kind="transfer"), "kind"),
]


@pytest.mark.parametrize("case, sent, field", INVALID, ids=[c[0] for c in INVALID])
def test_a_bad_discharge_is_refused_naming_the_field(make_api_client, frozen_now, client, case, sent, field):
    _, token = make_api_client(sources=("acute", "community_hospital", "emas", "gp"), hospital="RNS01")
    with frozen_now(AT):
        response = client.post(URL, json=sent, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()["errors"]


def test_the_messages_say_what_is_wrong(send):
    errors = send(body(discharge_ready_date="2026-11-18", proposed_pathway=7)).get_json()["errors"]
    assert errors["discharge.discharge_ready_date"] == ["The discharge ready date cannot be before the admission date."]
    assert errors["discharge.proposed_pathway"] == ["A discharge pathway is 0, 1, 2 or 3."]
    community = send(_with(kind="community", presenting_need="other")).get_json()["errors"]
    assert community == {"discharge": ["Only a discharge referral (kind: discharge) has a discharge section."]}
    emas = send(_with(source="emas", emas_category=3)).get_json()["errors"]
    assert emas["source"] == ["A discharge referral comes from a hospital: source acute or community_hospital."]


def test_a_v1_body_still_needs_its_presenting_need(client, sender, payload):
    _, headers = sender
    made = payload()
    made.pop("presenting_need")
    response = client.post(URL, json=made, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"presenting_need": ["Missing data for required field."]}


def test_a_hospitals_system_may_not_refer_another_hospitals_patient(send):
    response = send(body(hospital_ods="RWE01"))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] == "This client may send discharge referrals only for its own hospital."
    assert "RWE01" not in response.get_data(as_text=True)  # nothing said of the other hospital


def test_a_hospitals_system_may_still_send_community_referrals_as_acute(client, hospital_sender, payload):
    _, headers = hospital_sender
    response = client.post(URL, json=payload(source="acute", emas_category=None), headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["kind"] == "community"


def test_a_discharge_is_refused_to_a_client_not_allowed_its_source(frozen_now, client, sender):
    _, headers = sender  # an ambulance / 111 / GP system
    with frozen_now(AT):
        response = client.post(URL, json=body(), headers=headers)
    assert response.status_code == 403


def test_the_senders_view_of_a_discharge_shows_the_section_and_no_history(send, frozen_now):
    answer = send(body()).get_json()
    assert "history" not in answer
    assert answer["discharge"]["ward"] == "Talbot Butler"
    assert answer["discharge"]["patient_wishes"] == "Wants to go home to her cat."
    assert "decided_by" not in answer["decision"]
    with frozen_now(AT):  # delayed days are counted as of the day it is read
        staff = full_view(answer["id"])
    assert staff["discharge"] == answer["discharge"]


def test_a_discharge_received_after_its_drd_is_still_routed(send):
    sent = body(admitted_on="2026-11-10", discharge_ready_date="2026-11-20", expected_discharge_date=None)
    answer = send(sent).get_json()
    assert answer["decision"]["rule_id"] == "discharge-p1-rehab"
    assert answer["decision"]["facts"] == {"kind": "discharge", "rehab_goals": True}
    assert (date.fromisoformat(answer["discharge"]["discharge_ready_date"]) - TODAY) == timedelta(days=-3)


# --- the pathway follows the route, whoever sets it -----------------------------------


@pytest.fixture
def supervisor(db):
    from spoa.domain.actor import Actor
    from spoa.models import User

    user = User(username="sue.supervisor", role="supervisor")
    user.set_password("a long enough password 1")
    db.session.add(user)
    db.session.commit()
    return Actor.for_user(user)


def _route(db, answer, supervisor, event, route, urgency="urgent", reason="Spoke to the ward"):
    from spoa.services.actions import apply_event

    referral = db.session.get(Referral, uuid.UUID(answer["id"]))
    return apply_event(referral, event, supervisor, route=route, urgency=urgency, reason=reason)


def test_a_supervisor_routing_a_discharge_from_review_sets_its_pathway(db, send, frozen_now, supervisor):
    answer = send(body(news2=5)).get_json()  # D1: not ready, to a supervisor
    assert (answer["route"], answer["discharge"]["pathway"]) == ("supervisor_review", None)
    with frozen_now(AT):
        routed = _route(db, answer, supervisor, "triage", "bed_rehab")
    assert (routed.route, routed.pathway) == ("bed_rehab", 2)


def test_an_override_of_a_discharge_changes_its_pathway(db, send, frozen_now, supervisor):
    answer = send(body({"rehab_goals": True, "night_care": False})).get_json()
    assert answer["discharge"]["pathway"] == 1
    with frozen_now(AT):
        moved = _route(db, answer, supervisor, "override", "care_home_assessment", "routine")
    assert (moved.route, moved.pathway) == ("care_home_assessment", 3)


def test_a_supervisor_may_route_a_discharge_home_with_no_new_service(db, send, frozen_now, supervisor):
    answer = send(body(news2=5)).get_json()
    with frozen_now(AT):
        routed = _route(db, answer, supervisor, "triage", "discharge_simple", "routine")
    assert (routed.route, routed.pathway, routed.state) == ("discharge_simple", 0, "triaged")  # offered to no one


def test_a_community_referral_is_not_routed_to_a_simple_discharge(db, client, sender, payload, frozen_now,
                                                                  supervisor):
    from spoa.domain.lifecycle import LifecycleError

    _, headers = sender
    answer = client.post(URL, json=payload(presenting_need="other"), headers=headers).get_json()
    with pytest.raises(LifecycleError) as refused:
        _route(db, answer, supervisor, "triage", "discharge_simple")
    assert refused.value.status == 422 and "discharge_simple" not in refused.value.message


def test_a_declined_discharge_has_no_pathway_until_a_person_routes_it(client, db, send, make_api_client):
    answer = send(body({"rehab_goals": True, "night_care": False})).get_json()
    _, token = make_api_client(sources=None, service="home_rehab")
    declined = client.post(f"{URL}/{answer['id']}/events", json={"event": "decline", "reason": "No capacity"},
                           headers={"Authorization": f"Bearer {token}"})
    assert declined.status_code == 200, declined.get_json()
    assert (declined.get_json()["route"], declined.get_json()["discharge"]["pathway"]) == ("supervisor_review", None)


def test_a_discharge_no_duty_organisation_can_take_goes_to_review_without_a_pathway(db, send):
    answer = send(body(NOTHING_NEW)).get_json()  # D8, but no organisation on duty
    assert full_view(answer["id"])["decision"]["rule_id"] == "discharge-p0-support"  # the rules', kept on record
    assert (answer["route"], answer["discharge"]["pathway"]) == ("supervisor_review", None)


def test_a_simple_discharge_is_triaged_and_offered_to_no_service(db, send):
    answer = send(body(NOTHING_NEW, lives_alone=False)).get_json()  # D9
    assert (answer["route"], answer["state"], answer["discharge"]["pathway"]) == ("discharge_simple", "triaged", 0)
    assert [h["event"] for h in full_view(answer["id"])["history"]] == ["receive", "triage"]


def test_the_preview_shows_the_pathway_beside_the_wards_proposal(db, frozen_now):
    from spoa.schemas.intake import IntakeSchema
    from spoa.services.triage import preview

    with frozen_now(AT):
        data = IntakeSchema().load(body({"night_care": True, "rehab_goals": True}, proposed_pathway=1))
        shown = preview(data)
    assert (shown["rule_id"], shown["route"], shown["pathway"], shown["proposed_pathway"]) == (
        "discharge-p2", "bed_rehab", 2, 1)
    assert shown["pathway_note"] == "Ward proposed P1, needs say P2."


# --- whatever a ward's system sends, a definite answer -------------------------------

DISCHARGE_PATHS = [
    ("kind",), ("discharge",), ("discharge", "hospital_ods"), ("discharge", "hospital_name"), ("discharge", "ward"),
    ("discharge", "admitted_on"), ("discharge", "discharge_ready_date"), ("discharge", "expected_discharge_date"),
    ("discharge", "proposed_pathway"), ("discharge", "needs"), ("discharge", "needs", "mobility"),
    ("discharge", "needs", "night_care"), ("discharge", "needs", "equipment"), ("discharge", "care_package"),
    ("discharge", "usual_residence"), ("discharge", "patient_wishes"), ("discharge", "carer"),
    ("discharge", "carer", "name"), ("presenting_need",), ("source",),
]
DATES = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(DISCHARGE_PATHS), value=JSON_VALUES | DATES)
def test_any_value_in_any_discharge_field_gets_a_definite_answer(client, hospital_sender, path, value):
    _, headers = hospital_sender
    sent = discharge_body()
    sent["source_reference"] = uuid.uuid4().hex
    target = sent
    for key in path[:-1]:
        target = target[key] if isinstance(target.get(key), dict) else target.setdefault(key, {})
    target[path[-1]] = value
    check_answer(client.post(URL, json=sent, headers=headers))


def test_a_discharge_answer_is_what_the_document_says(client, send, make_api_client):
    from tests.support.openapi import REF, errors_against

    spec = client.get("/api/openapi.json").get_json()
    sent = send(body({"night_care": True, "rehab_goals": True})).get_json()
    assert errors_against(spec, {"$ref": REF + "SenderReferral"}, sent) == []
    _, token = make_api_client(sources=None, service="bed_rehab")
    full = client.get(f"{URL}/{sent['id']}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert full["discharge"]["pathway"] == 2
    assert errors_against(spec, {"$ref": REF + "Referral"}, full) == []
    for shape in ("DischargeReferralIntake", "ReferralIntake"):  # and what was sent is a documented body
        assert errors_against(spec, {"$ref": REF + shape}, body()) == [], shape
    assert errors_against(spec, {"$ref": REF + "CommunityReferralIntake"}, body())  # not the other shape
