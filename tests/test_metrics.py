"""/metrics: refused to strangers; the figures after an intake and a breach; the
per-process histograms summed across processes (multiprocess mode)."""
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.fixtures.chasing import T0

ROOT = Path(__file__).resolve().parents[1]
STRANGER = {"REMOTE_ADDR": "192.0.2.10"}


def samples(text: str) -> dict:
    """{(name, (("label", "value"), ...)): value} of a scrape."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def value(found: dict, name: str, **labels) -> float | None:
    return found.get((name, tuple(sorted((k, str(v)) for k, v in labels.items()))))


def scrape(client, **kwargs) -> dict:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/plain"
    assert response.headers["Content-Type"].count("charset") == 1
    return samples(response.get_data(as_text=True))


# --- who may scrape ---------------------------------------------------------------

def test_loopback_without_a_token_may_scrape(client):
    found = scrape(client)  # the test client comes from 127.0.0.1
    assert value(found, "spoa_metrics_source_up", source="database") == 1
    assert value(found, "spoa_metrics_source_up", source="redis") == 1


@pytest.mark.parametrize("environ, headers", [
    (STRANGER, {}),
    ({"REMOTE_ADDR": "10.1.2.3"}, {}),
    # a TLS proxy on this host: the connection is local, the person is not
    ({}, {"X-Forwarded-For": "203.0.113.7"}),
    ({}, {"Forwarded": "for=203.0.113.7;proto=https"}),
    ({}, {"X-Real-IP": "203.0.113.7"}),
    ({"REMOTE_ADDR": "::1"}, {"X-Forwarded-For": "::1"}),  # even one that claims to be local
])
def test_without_a_token_strangers_and_proxied_requests_get_404(client, environ, headers):
    response = client.get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == 404
    assert b"spoa_" not in response.data


def test_ipv6_loopback_may_scrape(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_a_token_only_the_bearer_may_scrape(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "s3cret-token-for-prometheus")
    good = {"Authorization": "Bearer s3cret-token-for-prometheus"}
    # from anywhere, through a proxy too: the token is the check
    assert client.get("/metrics", headers=good, environ_base=STRANGER).status_code == 200
    assert client.get("/metrics", headers={**good, "X-Forwarded-For": "203.0.113.7"}).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cret-token-for-prometheu"},
                    {"Authorization": "Basic s3cret-token-for-prometheus"},
                    {"Authorization": "s3cret-token-for-prometheus"}):
        assert client.get("/metrics", headers=headers).status_code == 404, headers  # loopback is not enough
        assert client.get("/metrics", headers=headers, environ_base=STRANGER).status_code == 404, headers


def test_metrics_needs_no_session_and_is_not_a_page(client):
    response = client.get("/metrics")
    assert response.status_code == 200  # not redirected to sign in
    assert response.headers["Cache-Control"] == "no-store"


def test_openmetrics_when_asked(client):
    response = client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.mimetype == "application/openmetrics-text"
    assert response.get_data(as_text=True).rstrip().endswith("# EOF")


# --- the figures ------------------------------------------------------------------

def test_figures_after_an_intake_and_a_breach(client, post_referral, reconcile_at, app):
    before = scrape(client)
    assert value(before, "spoa_referrals_received_total", source="emas", route="crisis_response") is None
    triaged = value(before, "spoa_triage_seconds_count", route="crisis_response") or 0

    posted = post_referral(at=T0)
    assert posted["route"] == "crisis_response"
    found = scrape(client)
    assert value(found, "spoa_referrals_received_total", source="emas", route="crisis_response") == 1
    assert value(found, "spoa_referrals_open", state=posted["state"], route="crisis_response") == 1
    assert value(found, "spoa_triage_seconds_count", route="crisis_response") == triaged + 1
    assert value(found, "spoa_clocks_breached_total", clock="first_contact") is None

    # Chased 10 s after its 2-hour deadline: both warnings and the breach recorded by this pass.
    first_contact = next(c for c in posted["clocks"] if c["name"] == "first_contact")
    from datetime import datetime

    deadline = datetime.fromisoformat(first_contact["deadline"])
    reconcile_at(deadline + timedelta(seconds=10))
    found = scrape(client)
    assert value(found, "spoa_clocks_breached_total", clock="first_contact") == 1
    assert value(found, "spoa_clock_warnings_total", clock="first_contact", level=75) == 1
    assert value(found, "spoa_clock_warnings_total", clock="first_contact", level=90) == 1
    assert value(found, "spoa_referrals_received_total", source="emas", route="crisis_response") == 1
    assert value(found, "spoa_rq_workers") == 0
    assert value(found, "spoa_rq_queue_length", queue="spoa") is not None


def test_chase_lag_of_the_last_hour(client, post_referral, reconcile_at):
    from spoa.platform.timekeeping import now

    at = now().replace(microsecond=0)
    posted = post_referral(at=at - timedelta(hours=3))  # its 2-hour deadline passed an hour ago
    reconcile_at(at)
    found = scrape(client)
    deadline = next(c["deadline"] for c in posted["clocks"] if c["name"] == "first_contact")
    from datetime import datetime

    late = (at - datetime.fromisoformat(deadline)).total_seconds()
    # The warnings were due earlier still: the latest (quantile 1) is the oldest threshold's lag.
    assert value(found, "spoa_chase_lag_seconds", quantile="1.0") >= late
    assert value(found, "spoa_chase_lag_effects") >= 3


def test_met_clock_and_failed_delivery_attempts(client, post_referral, reconcile_at, db):
    import uuid

    from spoa.models import Clock, DeliveryAttempt, Notification

    posted = post_referral(at=T0)
    clocks = {c.name: c for c in db.session.query(Clock).filter_by(referral_id=uuid.UUID(posted["id"]))}
    clock = clocks.pop("first_contact")
    clock.status, clock.met_at = "met", clock.deadline  # met exactly at its deadline: met
    late = next(iter(clocks.values()))
    late.status, late.met_at = "met", late.deadline + timedelta(seconds=1)  # a second late: breached, not met
    n = Notification(referral_id=clock.referral_id, alert="test", recipient="spoa_supervisor", channel="email",
                     target="x@example.org", subject="s", status="failed", attempts=8)
    n.delivery_attempts = [DeliveryAttempt(ok=False, error="boom") for _ in range(8)]
    db.session.add(n)
    db.session.commit()
    found = scrape(client)
    assert value(found, "spoa_clocks_met_total", clock="first_contact") == 1
    assert value(found, "spoa_clocks_met_total", clock=late.name) is None
    assert value(found, "spoa_notifications_failed_total", channel="email") == 1
    assert value(found, "spoa_delivery_attempts_failed_total", channel="email") == 8


def test_counts_survive_folding_into_redis(client, post_referral, redis, monkeypatch):
    """After the fold (once a minute) the stored counts plus the rows above them are the same
    figures; a new referral adds one; Redis emptied, the database gives them all again."""
    from spoa.metrics import tally

    for _ in range(2):
        post_referral(at=T0)
    first = value(scrape(client), "spoa_referrals_received_total", source="emas", route="crisis_response")
    assert first == 2
    monkeypatch.setattr(tally, "FOLD_EVERY_SECONDS", 0)
    for _ in range(3):  # seen, then folded (up to what the previous fold saw), then again
        assert value(scrape(client), "spoa_referrals_received_total", source="emas", route="crisis_response") == 2
    import json

    state = json.loads(redis.get(tally.KEY.format("received")))
    assert state["upto"] > 0 and [row[-1] for row in state["counts"]] == [2]
    post_referral(at=T0)
    assert value(scrape(client), "spoa_referrals_received_total", source="emas", route="crisis_response") == 3
    redis.flushdb()
    assert value(scrape(client), "spoa_referrals_received_total", source="emas", route="crisis_response") == 3


def test_without_redis_the_database_figures_still_come(client, post_referral, app, monkeypatch):
    import redis as redis_lib

    post_referral(at=T0)
    monkeypatch.setitem(app.extensions, "spoa_redis", redis_lib.Redis(port=1, socket_connect_timeout=0.2))
    found = scrape(client)
    assert value(found, "spoa_metrics_source_up", source="redis") == 0
    assert value(found, "spoa_referrals_received_total", source="emas", route="crisis_response") == 1
    assert value(found, "spoa_rq_workers") is None


def test_http_request_durations_by_endpoint(client):
    client.get("/health")
    client.get("/no-such-page-9f3a")
    found = scrape(client)
    assert value(found, "spoa_http_request_duration_seconds_count", method="GET", endpoint="health.health",
                 status=200) >= 1
    # unmatched paths share one series: a prober cannot make one per path
    assert value(found, "spoa_http_request_duration_seconds_count", method="GET", endpoint="unmatched",
                 status=404) >= 1
    assert not any("9f3a" in str(key) for key in found)


# --- multiprocess mode ------------------------------------------------------------

OBSERVE = textwrap.dedent("""
    from spoa.platform.instruments import HTTP_SECONDS, TRIAGE_SECONDS
    for seconds in {seconds!r}:
        TRIAGE_SECONDS.labels("crisis_response").observe(seconds)
    HTTP_SECONDS.labels("GET", "health.health", "200").observe(0.02)
""")


def test_two_processes_histograms_are_summed(client, tmp_path, monkeypatch):
    """Two processes (as two gunicorn workers) observe into one PROMETHEUS_MULTIPROC_DIR;
    whichever process is scraped answers for both."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for seconds in ([0.002, 0.003], [0.2]):
        subprocess.run([sys.executable, "-c", OBSERVE.format(seconds=seconds)], cwd=ROOT, env=env, check=True,
                       timeout=60)
    assert len(list(tmp_path.glob("histogram_*.db"))) == 2  # a file per process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    found = scrape(client)
    assert value(found, "spoa_triage_seconds_count", route="crisis_response") == 3
    assert value(found, "spoa_triage_seconds_sum", route="crisis_response") == pytest.approx(0.205)
    assert value(found, "spoa_triage_seconds_bucket", route="crisis_response", le="0.005") == 2
    assert value(found, "spoa_triage_seconds_bucket", route="crisis_response", le="0.25") == 3
    assert value(found, "spoa_http_request_duration_seconds_count", method="GET", endpoint="health.health",
                 status=200) == 2
    # and the database figures are still there, once (not per process)
    assert value(found, "spoa_metrics_source_up", source="database") == 1


def test_gunicorn_conf_sets_up_multiprocess_mode(tmp_path, monkeypatch):
    """gunicorn.conf.py: the directory emptied of a previous run's files at start; a
    directory of its own when none is named; each dead worker marked."""
    import runpy

    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    stale = tmp_path / "histogram_4242.db"
    stale.write_bytes(b"old")
    keep = tmp_path / "README"
    keep.write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings["on_starting"](None)
    assert not stale.exists() and keep.exists()

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    settings["on_starting"](None)
    made = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert made.is_dir()
    settings["on_exit"](None)
    assert not made.exists()

    class Worker:
        pid = 4242

    settings["child_exit"](None, Worker())  # no error for a worker that wrote nothing
