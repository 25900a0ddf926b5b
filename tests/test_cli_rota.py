"""The duty rota from the CLI: add-duty, remove-duty, list-duties, team leads."""
import pytest

from spoa.models import AuditEvent, DutyShift, User
from spoa.services.admin_change import CLI_ACTOR
from tests.support.data.rota_data import on_duty, person
from tests.support.people import PASSWORD


@pytest.fixture
def cli(app, db):
    return app.test_cli_runner()


def add_duty(cli, *options):
    return cli.invoke(args=["spoa", "add-duty", *options])


def test_add_duty_puts_a_named_person_on_a_service_duty_lead_shift(cli, db):
    person(db, "sam", "clinician", "crisis_response")
    result = add_duty(cli, "--duty", "service_duty_lead", "--service", "crisis_response", "--username", "sam",
                      "--start", "2026-12-01T08:00", "--end", "2026-12-01T20:00")
    assert result.exit_code == 0, result.output
    shift = db.session.query(DutyShift).one()
    assert f"Added shift {shift.id}: Crisis response duty lead, Tue 1 Dec 08:00 – 20:00 sam." in result.output
    added = db.session.query(AuditEvent).filter_by(event="duty_shift_added").one()
    assert added.actor_name == CLI_ACTOR == shift.created_by


def test_a_spoa_duty_needs_no_service_and_takes_a_space_for_the_t(cli, db):
    person(db, "sue", "supervisor")
    result = add_duty(cli, "--duty", "on_call_manager", "--username", "sue",
                      "--start", "2026-12-05 17:00", "--end", "2026-12-07 09:00")
    assert result.exit_code == 0, result.output
    assert "On-call manager, Sat 5 Dec 17:00 – Mon 7 Dec 09:00 sue" in result.output


@pytest.mark.parametrize("options, says", [
    (["--duty", "service_duty_lead", "--username", "sam"], "--service: A service's duty lead is for one service"),
    (["--duty", "spoa_supervisor", "--username", "sam"], "--username: sam cannot be the SPOA supervisor"),
    (["--duty", "service_duty_lead", "--service", "crisis_response", "--username", "sam",
      "--start", "2026-10-25T01:30"], "--start: 01:30 on 25 Oct 2026 happens twice in the UK"),
])
def test_mistakes_fail_naming_the_option_and_store_nothing(cli, db, options, says):
    person(db, "sam", "clinician", "crisis_response")
    times = {"--start": "2026-12-01T08:00", "--end": "2026-12-01T20:00"}
    for i in range(0, len(options), 2):
        times.pop(options[i], None)
    result = add_duty(cli, *options, *[x for kv in times.items() for x in kv])
    assert result.exit_code == 2
    assert says in result.output
    assert db.session.query(DutyShift).count() == 0


def test_an_overlap_fails_naming_the_shift_it_clashes_with(cli, db):
    sam = person(db, "sam", "clinician", "crisis_response")
    first = on_duty(db, "service_duty_lead:crisis_response", sam, "2026-12-01T08:00", "2026-12-01T20:00")
    result = add_duty(cli, "--duty", "service_duty_lead", "--service", "crisis_response", "--username", "sam",
                      "--start", "2026-12-01T12:00", "--end", "2026-12-01T22:00")
    assert result.exit_code == 2
    assert f"--start: This overlaps the shift Tue 1 Dec 08:00 – 20:00 sam (id {first.id})" in result.output


def test_remove_duty_and_list_duties(cli, db):
    sue = person(db, "sue", "supervisor")
    shift = on_duty(db, "spoa_supervisor", sue, "2026-12-01T20:00", "2026-12-02T08:00")
    listed = cli.invoke(args=["spoa", "list-duties", "--from", "2026-12-01", "--days", "1"])
    assert listed.exit_code == 0, listed.output
    assert (f"SPOA supervisor (spoa_supervisor):\n"
            f"  [{shift.id}] Tue 1 Dec 20:00 – Wed 2 Dec 08:00 sue\n") in listed.output
    assert "  nobody Tue 1 Dec 00:00 – 20:00\n" in listed.output
    assert "On-call manager (on_call_manager):\n  nobody Tue 1 Dec 00:00 – Wed 2 Dec 00:00" in listed.output
    removed = cli.invoke(args=["spoa", "remove-duty", "--id", str(shift.id)])
    assert removed.exit_code == 0 and "Removed shift" in removed.output
    again = cli.invoke(args=["spoa", "remove-duty", "--id", str(shift.id)])
    assert again.exit_code == 2 and f"--id: There is no shift with id {shift.id}" in again.output


def test_team_leads_are_made_at_creation_or_later_and_only_clinicians_or_supervisors(cli, db):
    made = cli.invoke(args=["spoa", "create-user", "--username", "cal", "--role", "clinician",
                            "--service", "crisis_response", "--team-lead"], input=f"{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert db.session.query(User).filter_by(username="cal").one().team_lead is True
    refused = cli.invoke(args=["spoa", "create-user", "--username", "hal", "--role", "call_handler",
                               "--team-lead"], input=f"{PASSWORD}\n")
    assert refused.exit_code == 2 and "--team-lead: hal is a call_handler" in refused.output
    assert db.session.query(User).filter_by(username="hal").count() == 0
    person(db, "sue", "supervisor")
    assert cli.invoke(args=["spoa", "set-team-lead", "--username", "sue"]).exit_code == 0
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="sue").one().team_lead is True
    off = cli.invoke(args=["spoa", "set-team-lead", "--username", "sue", "--off"])
    assert off.exit_code == 0 and "sue is no longer a team lead" in off.output
    db.session.expire_all()
    assert db.session.query(User).filter_by(username="sue").one().team_lead is False
    assert db.session.query(AuditEvent).filter_by(event="team_lead_unset").count() == 1
