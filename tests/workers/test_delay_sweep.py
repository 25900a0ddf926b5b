"""The delayed-days sweep: from discharge.yaml's delay_alert_at (12:00 UK), each day,
a discharge past its DRD, still in hospital and ready, with no reason recorded for
today, raises one supervisor alert; however many workers sweep at once."""
import threading
from datetime import date

import pytest

from spoa.extensions import db as database
from spoa.models import DelayedDay, Notification
from tests.support.data.discharges import uk

pytestmark = pytest.mark.both_databases

DRD = date(2026, 11, 24)


@pytest.fixture
def sweep_at(frozen_now, app):
    """sweep_at(t): the worker's sweep job, as the ticker runs it, with the clock at t."""
    from workers.context import use_app
    from workers.jobs import sweep_delays

    use_app(app)

    def run(at):
        database.session.remove()
        with frozen_now(at):
            result = sweep_delays()
        database.session.remove()
        return result

    return run


@pytest.fixture
def delayed(post_discharge):
    """A home-rehab discharge ready on Tuesday 24 November, received the day before."""
    return post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)


def alerts(db):
    db.session.expire_all()
    return [(n.alert, n.recipient, n.channel, n.subject) for n in db.session.query(Notification).filter(
        Notification.alert.is_not(None)).order_by(Notification.id)]


def test_no_alert_before_the_days_alert_time(delayed, sweep_at, db):
    assert sweep_at(uk(2026, 11, 25, 11, 59))["alerted"] == 0
    assert alerts(db) == [] and db.session.query(DelayedDay).count() == 0


def test_a_delayed_discharge_with_no_reason_alerts_the_supervisor_once_a_day(delayed, sweep_at, db):
    assert sweep_at(uk(2026, 11, 25, 12, 0))["alerted"] == 1
    assert alerts(db) == [("delay-reason-missing", "spoa_supervisor", "in_app",
                           f"{delayed['reference']}: delayed 1 day, no delay reason recorded today")]
    assert sweep_at(uk(2026, 11, 25, 12, 1))["alerted"] == 0
    assert sweep_at(uk(2026, 11, 25, 23, 59))["alerted"] == 0
    assert len(alerts(db)) == 1
    assert sweep_at(uk(2026, 11, 26, 12, 0))["alerted"] == 1  # the next day is another delayed day
    assert alerts(db)[-1][3].endswith("delayed 2 days, no delay reason recorded today")
    days = [(d.day, d.reason, d.alerted_at) for d in db.session.query(DelayedDay).order_by(DelayedDay.day)]
    assert days == [(date(2026, 11, 25), None, uk(2026, 11, 25, 12, 0)),
                    (date(2026, 11, 26), None, uk(2026, 11, 26, 12, 0))]


def test_a_reason_recorded_that_morning_means_no_alert(delayed, hospital_fires, sweep_at, db):
    assert hospital_fires(delayed, "delay", uk(2026, 11, 25, 9, 0), reason="awaiting_care_package").status_code == 200
    assert sweep_at(uk(2026, 11, 25, 12, 0))["alerted"] == 0
    assert alerts(db) == []


def test_a_reason_given_after_the_alert_fills_in_the_day(delayed, hospital_fires, sweep_at, db):
    sweep_at(uk(2026, 11, 25, 12, 0))
    assert hospital_fires(delayed, "delay", uk(2026, 11, 25, 14, 0), reason="transport").status_code == 200
    db.session.expire_all()
    day = db.session.query(DelayedDay).one()
    assert (day.reason, day.alerted_at, day.recorded_at) == ("transport", uk(2026, 11, 25, 12, 0),
                                                             uk(2026, 11, 25, 14, 0))
    assert hospital_fires(delayed, "delay", uk(2026, 11, 25, 15, 0), reason="transport").status_code == 409


def test_no_alert_on_the_drd_itself_nor_once_discharged_nor_while_readiness_is_withdrawn(
        post_discharge, hospital_fires, sweep_at, db):
    post_discharge(uk(2026, 11, 24, 10, 0), drd=date(2026, 11, 25))  # ready tomorrow: not delayed today
    left = post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)
    hospital_fires(left, "discharged", uk(2026, 11, 25, 11, 0))
    not_ready = post_discharge(uk(2026, 11, 23, 10, 0), drd=DRD)
    hospital_fires(not_ready, "readiness_withdrawn", uk(2026, 11, 24, 18, 0), reason="Fever")
    assert sweep_at(uk(2026, 11, 25, 12, 0))["alerted"] == 0
    assert alerts(db) == []


def test_a_community_referral_is_never_swept(client, sender, payload, sweep_at, db, frozen_now):
    with frozen_now(uk(2026, 11, 23, 10, 0)):
        assert client.post("/api/v1/referrals", json=payload(), headers=sender[1]).status_code == 201
    assert sweep_at(uk(2026, 11, 25, 12, 0))["alerted"] == 0


def test_two_workers_sweeping_at_once_alert_once(app, delayed, post_discharge, frozen_now, db):
    another = post_discharge(uk(2026, 11, 23, 11, 0), drd=DRD)
    from spoa.services.delays import sweep

    database.session.remove()
    barrier, results, errors = threading.Barrier(4), [], []

    def worker():
        try:
            with app.app_context():
                barrier.wait()
                results.append(sweep())
                database.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with frozen_now(uk(2026, 11, 25, 12, 0)):
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    assert sorted(results) == [0, 0, 0, 2]
    assert sorted(a[3].split(":")[0] for a in alerts(db)) == sorted([delayed["reference"], another["reference"]])
    assert db.session.query(DelayedDay).count() == 2


def test_the_worker_runs_the_sweep_on_its_own_period_and_the_one_off_pass_too(app, delayed, frozen_now, db):
    from workers.cli import register_worker_commands
    from workers.periodic import PERIODIC

    sweep = next(p for p in PERIODIC if p.id == "delay-sweep")
    assert (sweep.func, app.config[sweep.every]) == ("workers.jobs.sweep_delays", 60)
    register_worker_commands(app)
    database.session.remove()
    with frozen_now(uk(2026, 11, 25, 12, 30)):
        result = app.test_cli_runner().invoke(args=["spoa", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "'alerted': 1" in result.output
    assert len(alerts(db)) == 1


def test_the_database_not_the_look_up_decides_who_alerts(delayed, frozen_now, db):
    """Two sweeps that both found the referral unalerted (each read before the other
    wrote): the unique (referral, day) lets one insert today's row; the other alerts nothing."""
    import uuid

    from spoa.services import delays

    frozen_now(uk(2026, 11, 25, 12, 0))
    found = [uuid.UUID(delayed["id"])]
    assert delays._alert(found, date(2026, 11, 25), uk(2026, 11, 25, 12, 0)) == 1
    assert delays._alert(found, date(2026, 11, 25), uk(2026, 11, 25, 12, 0, 5)) == 0
    assert len(alerts(db)) == 1
