"""The worker as it runs in production: a pass waiting on receivers that trickle
for ever never stands in front of the next. Outcomes to three trickling callbacks
are claimed first; a fourth sender's outcome and a breach alert to the duty lead's
SMS webhook, queued after, arrive long before those sends' deadline ends."""
import time
from datetime import timedelta

import pytest

from spoa.extensions import db as database
from spoa.models import Notification, NotificationChannel
from spoa.platform.timekeeping import now
from tests.support.servers import Healthy, Trickle

from .conftest import assert_eventually

# The trickling sends' deadline: were passes one at a time, nothing queued after them
# could arrive before it.
DEADLINE_S = 20
ARRIVE_WITHIN = 10.0


@pytest.mark.slow
def test_an_alert_queued_while_a_pass_waits_on_trickling_callbacks_goes_in_a_pass_of_its_own(
        worker_factory, make_sender, post, fire, crisis_team):
    trickles = [Trickle() for _ in range(3)]
    fourth, sms = Healthy(), Healthy()
    try:
        database.session.add(NotificationChannel(recipient="service_duty_lead", channel="webhook", target=sms.url))
        database.session.commit()
        worker_factory(DELIVERY_TIMEOUT_SECONDS=str(DEADLINE_S))
        for trickle in trickles:
            _, headers, _ = make_sender(callback_url=trickle.url)
            fire(crisis_team, post(headers), "accept")
        database.session.remove()
        assert_eventually(lambda: all(t.connections for t in trickles), "the trickling outcomes were never sent")

        _, headers, _ = make_sender(callback_url=fourth.url)
        fire(crisis_team, post(headers), "accept")
        _, headers, _ = make_sender()
        post(headers, received_at=(now() - timedelta(hours=2, seconds=5)).isoformat())  # breached as it is taken
        database.session.remove()
        queued = time.monotonic()
        assert fourth.arrived.wait(ARRIVE_WITHIN), "the fourth sender's outcome did not arrive"
        left = max(0.0, ARRIVE_WITHIN - (time.monotonic() - queued))
        assert sms.arrived.wait(left), "the breach alert did not arrive"
        database.session.remove()
        assert database.session.query(Notification).filter(
            Notification.target.in_([t.url for t in trickles]), Notification.status == "sending").count() == 3
    finally:
        for r in trickles + [fourth, sms]:
            r.close()
