"""models.clock.running(): the SQL form of Clock.is_running that ix_clocks_unstopped
can answer (the queue's clock query uses it; bench/growth.py). It must pick exactly
the clocks is_running says, met, cancelled and running ones alike."""
import pytest

from spoa.extensions import db as database
from spoa.models import Clock
from spoa.models.clock import running

pytestmark = pytest.mark.both_databases


def test_running_picks_exactly_the_clocks_is_running_says(client, sender, payload):
    _, headers = sender
    kept = client.post("/api/v1/referrals", json=payload(source_reference="RUN-1"), headers=headers).get_json()
    gone = client.post("/api/v1/referrals", json=payload(source_reference="RUN-2"), headers=headers).get_json()
    answer = client.post(f"/api/v1/referrals/{gone['id']}/events", json={"event": "withdraw", "reason": "Sent twice"},
                         headers=headers)
    assert answer.status_code == 200, answer.get_json()
    database.session.expire_all()
    clocks = database.session.query(Clock).all()
    assert {"running", "cancelled"} <= {c.status for c in clocks}  # the withdrawal cancelled its clocks
    picked = set(database.session.scalars(database.select(Clock.id).where(running())))
    assert picked == {c.id for c in clocks if c.is_running}
    assert picked and picked != {c.id for c in clocks}
    assert {str(c.referral_id) for c in clocks if c.id in picked} == {kept["id"]}
