"""The duty rota: duty words, UK local times, adding and removing
shifts, who may edit, and the gaps a queue warns about."""
from datetime import datetime, timedelta

import pytest
from marshmallow import ValidationError

from spoa.domain import access
from spoa.models import AuditEvent, DutyShift
from spoa.platform.timekeeping import UTC, parse_uk
from spoa.schemas.rota import NewShiftSchema
from spoa.services import rota
from tests.support.data.rota_data import on_duty, person

pytestmark = pytest.mark.both_databases

LEAD = "service_duty_lead:crisis_response"


def at(text):
    return parse_uk(text)


@pytest.fixture
def crisis(db):
    return person(db, "sam", "clinician", "crisis_response"), person(db, "nia", "clinician", "crisis_response")


def test_duty_words_name_each_duty_as_a_person_reads_it(app, db):
    assert rota.duty_words("service_duty_lead:crisis_response") == "Crisis response duty lead"
    assert rota.duty_words("service_duty_lead:mental_health_crisis") == "Mental health crisis team duty lead"
    assert rota.duty_words("spoa_supervisor") == "SPOA supervisor"
    assert rota.duty_words("on_call_manager") == "On-call manager"


def test_every_way_of_typing_a_uk_time_is_the_same_instant_in_winter_and_summer():
    assert (parse_uk("2026-12-01T08:00") == parse_uk("2026-12-01 08:00") == parse_uk("01/12/2026 08:00")
            == datetime(2026, 12, 1, 8, tzinfo=UTC))
    assert parse_uk("2026-07-01T08:00") == datetime(2026, 7, 1, 7, tzinfo=UTC)  # BST


@pytest.mark.parametrize("typed, says", [
    ("2026-03-29T01:30", "does not exist in the UK"),   # spring forward: 01:00 -> 02:00
    ("2026-10-25T01:30", "happens twice in the UK"),    # autumn: 01:00-01:59 twice
    ("1 Dec 2026 8am", "Enter the time as day/month/year and a time, for example 01/12/2026 20:00"),
])
def test_a_time_that_does_not_exist_or_happens_twice_is_refused_saying_so(typed, says):
    with pytest.raises(ValueError, match=says):
        parse_uk(typed)


def test_a_night_across_a_midnight_is_held_either_side_of_it(db, crisis):
    sam, _ = crisis
    on_duty(db, LEAD, sam, "2026-12-01T20:00", "2026-12-02T08:00")
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-01T23:59")) == sam
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-02T00:00")) == sam
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-02T07:59")) == sam


def test_at_the_boundary_the_incoming_night_holder_has_the_duty(db, crisis):
    sam, nia = crisis
    on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    on_duty(db, LEAD, nia, "2026-12-01T20:00", "2026-12-02T08:00")
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-01T19:59")) == sam
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-01T20:00")) == nia
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-02T08:00")) is None


@pytest.mark.parametrize("start, end, hours", [
    ("2026-10-24T20:00", "2026-10-25T08:00", 13),  # the clocks go back: an hour longer
    ("2026-03-28T20:00", "2026-03-29T08:00", 11),  # the clocks go forward: an hour shorter
])
def test_a_night_across_the_clock_change_is_as_long_as_it_really_is(db, crisis, start, end, hours):
    shift = on_duty(db, LEAD, crisis[0], start, end)
    assert shift.ends_at - shift.starts_at == timedelta(hours=hours)
    assert rota.gaps(at(start), at(end)) .get(LEAD) is None


def test_a_bank_holiday_has_its_own_shift(db, crisis):
    sam, nia = crisis
    on_duty(db, LEAD, nia, "2026-12-24T09:00", "2026-12-24T17:00")
    on_duty(db, LEAD, sam, "2026-12-25T09:00", "2026-12-25T17:00")  # Christmas Day
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-25T12:00")) == sam
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-24T12:00")) == nia


def test_an_overlapping_shift_is_refused_naming_the_clash_and_nothing_is_stored(db, crisis):
    sam, nia = crisis
    first = on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    audits = db.session.query(AuditEvent).count()
    with pytest.raises(ValidationError) as refused:
        on_duty(db, LEAD, nia, "2026-12-01T19:00", "2026-12-02T08:00")
    assert f"overlaps the shift Tue 1 Dec 08:00 – 20:00 sam (id {first.id})" in refused.value.messages["starts_at"][0]
    assert db.session.query(DutyShift).count() == 1 and db.session.query(AuditEvent).count() == audits
    # Another service's duty lead, or another duty, at the same time is no clash.
    on_duty(db, "spoa_supervisor", person(db, "sue", "supervisor"), "2026-12-01T08:00", "2026-12-01T20:00")


@pytest.mark.parametrize("recipient, who, says", [
    ("service_duty_lead:crisis_response", ("rex", "clinician", "home_rehab"),
     "a service's duty lead is one of its clinicians"),
    ("spoa_supervisor", ("hal", "call_handler", None), "held by supervisors"),
    ("on_call_manager", ("meg", "manager", None), "held by supervisors"),
])
def test_someone_who_may_not_hold_the_duty_is_refused(db, recipient, who, says):
    with pytest.raises(ValidationError) as refused:
        on_duty(db, recipient, person(db, *who), "2026-12-01T08:00", "2026-12-01T20:00")
    assert says in refused.value.messages["username"][0]
    assert db.session.query(DutyShift).count() == 0


def test_a_deactivated_person_is_refused_and_holds_nothing(db, crisis):
    sam, _ = crisis
    on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    sam.is_active = False
    db.session.commit()
    assert rota.holder("service_duty_lead", "crisis_response", at("2026-12-01T12:00")) is None
    assert LEAD in rota.gaps(at("2026-12-01T08:00"), at("2026-12-01T20:00"))
    with pytest.raises(ValidationError, match="deactivated"):
        on_duty(db, LEAD, sam, "2026-12-02T08:00", "2026-12-02T20:00")


@pytest.mark.parametrize("given, field, says", [
    ({"duty": "night_nurse"}, "duty", "Unknown duty night_nurse"),
    ({"service": None}, "service", "choose it"),
    ({"service": "bakery"}, "service", "Unknown service bakery"),
    ({"duty": "spoa_supervisor"}, "service", "leave it out"),
    ({"ends_at": "2026-12-01T07:00"}, "ends_at", "must end after it starts"),
    ({"ends_at": "2026-12-09T08:00"}, "ends_at", "at most 7 days"),
    ({"starts_at": "2026-03-29T01:15"}, "starts_at", "does not exist in the UK"),
    ({"username": "nobody"}, "username", "There is no user called nobody"),
])
def test_the_schema_says_each_mistake_beside_its_field(db, crisis, given, field, says):
    values = {"duty": "service_duty_lead", "service": "crisis_response", "username": "sam",
              "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-01T20:00", **given}
    with pytest.raises(ValidationError) as refused:
        NewShiftSchema().load(values)
    assert says in " ".join(refused.value.messages[field])


def test_who_may_edit_which_duty(db):
    admin = person(db, "ada", "admin")
    crisis_lead = person(db, "cal", "clinician", "crisis_response", team_lead=True)
    crisis_clinician = person(db, "sam", "clinician", "crisis_response")
    spoa_lead = person(db, "sue", "supervisor", team_lead=True)
    assert all(access.may_edit_duty(admin, *rota.split_recipient(r)) for r in rota.covered_duties())
    assert rota.editable_duties(crisis_lead) == [LEAD]
    assert rota.editable_duties(spoa_lead) == ["spoa_supervisor", "on_call_manager"]
    assert rota.editable_duties(crisis_clinician) == []
    assert not access.may_edit_duty(crisis_lead, "service_duty_lead", "home_rehab")


def test_a_team_lead_of_another_service_is_refused_and_an_admin_may(db, crisis):
    sam, _ = crisis
    rehab_lead = person(db, "rhi", "clinician", "home_rehab", team_lead=True)
    with pytest.raises(ValidationError, match="You may not edit the rota of the Crisis response duty lead"):
        on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00", by=rehab_lead)
    shift = on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00", by=person(db, "ada", "admin"))
    with pytest.raises(ValidationError, match="You may not edit"):
        rota.remove_shift(shift.id, by=rehab_lead)
    assert db.session.get(DutyShift, shift.id) is not None


def test_adding_and_removing_are_audited(db, crisis):
    lead = person(db, "cal", "clinician", "crisis_response", team_lead=True)
    shift = on_duty(db, LEAD, crisis[0], "2026-12-01T08:00", "2026-12-01T20:00", by=lead)
    rota.remove_shift(shift.id, by=lead)
    added, removed = (db.session.query(AuditEvent).filter_by(event=e).one()
                      for e in ("duty_shift_added", "duty_shift_removed"))
    assert added.actor_name == removed.actor_name == "cal"
    assert added.detail["username"] == "sam" and removed.detail["shift"] == "Tue 1 Dec 08:00 – 20:00 sam"
    assert db.session.query(DutyShift).count() == 0


def test_gaps_are_the_uncovered_parts_of_every_duty_in_the_window(db, crisis):
    sam, nia = crisis
    sue = person(db, "sue", "supervisor")
    on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    on_duty(db, "spoa_supervisor", sue, "2026-12-01T00:00", "2026-12-02T00:00")
    found = rota.gaps(at("2026-12-01T12:00"), at("2026-12-02T00:00"))  # now and the next 12 h
    assert found[LEAD] == [(at("2026-12-01T20:00"), at("2026-12-02T00:00"))]
    assert "spoa_supervisor" not in found
    assert found["on_call_manager"] == [(at("2026-12-01T12:00"), at("2026-12-02T00:00"))]
    assert set(found) == set(rota.covered_duties()) - {"spoa_supervisor"}
    on_duty(db, LEAD, nia, "2026-12-01T20:00", "2026-12-02T08:00")
    assert LEAD not in rota.gaps(at("2026-12-01T12:00"), at("2026-12-02T00:00"))


def test_the_queue_warning_names_each_gap_now_or_in_the_next_12_hours(db, crisis):
    sam, nia = crisis
    sue = person(db, "sue", "supervisor")
    on_duty(db, LEAD, sam, "2026-12-01T08:00", "2026-12-01T20:00")
    on_duty(db, LEAD, nia, "2026-12-02T08:00", "2026-12-02T20:00")
    on_duty(db, "spoa_supervisor", sue, "2026-12-01T08:00", "2026-12-08T08:00")
    on_duty(db, "on_call_manager", sue, "2026-12-01T14:00", "2026-12-08T08:00")
    said = rota.nobody_on_duty(at("2026-12-01T12:00"))
    assert said[0] == "Nobody is on duty as Crisis response duty lead from 20:00 today to 08:00 tomorrow"
    assert "Nobody is on duty as On-call manager now, until 14:00 today" in said
    assert "Nobody is on duty as Reablement duty lead now, for at least 7 days" in said
    assert not any("SPOA supervisor" in s for s in said)
    # A gap 12 hours away or more is not warned about yet; a minute later it is.
    assert not any("Crisis response" in s for s in rota.nobody_on_duty(at("2026-12-01T08:00")))
    assert any("Crisis response duty lead from 20:00 today" in s for s in rota.nobody_on_duty(at("2026-12-01T08:01")))


def test_overlapping_shifts_saved_at_once_leave_exactly_one(app, db):
    """The advisory lock: on PostgreSQL the check and the insert are one step, so
    editors saving in the same instant cannot both win. (SQLite serialises writers
    by its file lock; threads sharing the test's SQLite file wait on each other
    here rather than race, so this is PostgreSQL's test.)"""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from spoa.extensions import db as ext_db
    from spoa.models import User

    names = [person(db, f"c{i}", "clinician", "crisis_response").username for i in range(4)]
    barrier = threading.Barrier(len(names))

    def save(name):
        with app.app_context():
            user = ext_db.session.query(User).filter_by(username=name).one()
            barrier.wait()
            try:
                on_duty(ext_db, LEAD, user, "2026-12-01T08:00", "2026-12-01T20:00")
                return "saved"
            except ValidationError:
                return "refused"
            except Exception as exc:  # SQLite: a writer that waited too long
                return type(exc).__name__
            finally:
                ext_db.session.remove()

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        outcomes = list(pool.map(save, names))
    assert outcomes.count("saved") == 1, outcomes
    db.session.expire_all()
    assert db.session.query(DutyShift).count() == 1
