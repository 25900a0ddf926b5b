"""`flask --app wsgi spoa reconcile`: the command the entry point adds (workers/cli.py)."""
from datetime import timedelta

import pytest

from spoa.models import ClockEffect
from tests.support.fixtures.chasing import T0

pytestmark = pytest.mark.both_databases


def test_reconcile_from_the_command_line_records_what_fell_due(frozen_now, app, db, post_referral):
    from workers.cli import register_worker_commands

    register_worker_commands(app)  # as wsgi.py does
    post_referral(at=T0)  # a crisis referral: its 2-hour clock warns at 90 minutes
    db.session.remove()
    with frozen_now(T0 + timedelta(minutes=91)):
        result = app.test_cli_runner().invoke(args=["spoa", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "'advanced': 1" in result.output
    assert [(e.kind, e.level) for e in db.session.query(ClockEffect)] == [("warning", 75)]
