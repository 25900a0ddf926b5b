"""The figures read at scrape time, from the database and Redis: the same from
whichever process or machine is scraped (scrape one, or take max() across them).

Each query is an aggregate over an index, or over a bounded window, so a scrape
costs the same in the tenth year as in the first:
- state (open referrals, waiting notifications, queues): what is open now, by
  the (state, route) and (status, next_attempt_at) indexes and the clocks'
  partial next_due_at index;
- history (referrals received, clock warnings, breaches and met, failed
  attempts): tallies (tally.py), a primary-key range of the last minute's rows
  added to counts kept in Redis;
- chase lag: the latest effects only (at most LAG_SAMPLE of the last hour).
"""
import logging
import time
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import func, select

from spoa.domain.lifecycle import OPEN_STATES
from spoa.extensions import db
from spoa.metrics import tally
from spoa.models import Clock, ClockEffect, DeliveryAttempt, Notification, Referral, TriageDecision
from spoa.platform.redis_store import get_redis
from spoa.platform.timekeeping import now
from spoa.services.due_clocks import oldest_due

log = logging.getLogger(__name__)
# The RQ queues by name (the names workers/queues.py gives them; spoa never imports workers).
RQ_QUEUES = ("spoa-reconcile", "spoa", "spoa-delivery")
LAG_WINDOW = timedelta(hours=1)
LAG_SAMPLE = 1000
LAG_QUANTILES = (0.5, 0.9, 0.99, 1.0)


def _label(value) -> str:
    return "none" if value is None else str(value)


def _between(column, lo, hi):
    return (column > lo,) if hi is None else (column > lo, column <= hi)


def _grouped(stmt) -> dict:
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(stmt).all()}


def _newest(column):
    return lambda: db.session.scalar(select(func.max(column))) or 0


# Referrals received: one rules decision per referral, written at intake (services/triage.py);
# its route is the rules' at receipt (a later override does not move it: a counter only goes up).
RECEIVED = tally.Tally(
    "received",
    lambda lo, hi: _grouped(
        select(Referral.source, TriageDecision.route, func.count()).select_from(TriageDecision)
        .join(Referral, Referral.id == TriageDecision.referral_id)
        .where(TriageDecision.kind == "rules", *_between(TriageDecision.id, lo, hi))
        .group_by(Referral.source, TriageDecision.route)),
    _newest(TriageDecision.id))

EFFECTS = tally.Tally(
    "effects",
    lambda lo, hi: _grouped(
        select(Clock.name, ClockEffect.kind, ClockEffect.level, func.count()).select_from(ClockEffect)
        .join(Clock, Clock.id == ClockEffect.clock_id)
        .where(*_between(ClockEffect.id, lo, hi))
        .group_by(Clock.name, ClockEffect.kind, ClockEffect.level)),
    _newest(ClockEffect.id))

FAILED_ATTEMPTS = tally.Tally(
    "failed_attempts",
    lambda lo, hi: _grouped(
        select(Notification.channel, func.count()).select_from(DeliveryAttempt)
        .join(Notification, Notification.id == DeliveryAttempt.notification_id)
        .where(DeliveryAttempt.ok.is_(False), *_between(DeliveryAttempt.id, lo, hi))
        .group_by(Notification.channel)),
    _newest(DeliveryAttempt.id))


def _clocks_unsettled_below() -> int:
    """Clocks that can still be met by their deadline are the running ones before it:
    all in the partial next_due_at index (a running clock before its deadline always
    has a next warning or breach). Folding stops below the oldest of them."""
    oldest = db.session.scalar(select(func.min(Clock.id)).where(
        Clock.next_due_at.is_not(None), Clock.deadline > now()))
    return (oldest - 1) if oldest is not None else _newest(Clock.id)()


# Met as the reports count it (spoa/reports/clock_outcome.py): met at or before the deadline.
# A met clock never changes again; a clock past its deadline can no longer be met so.
MET = tally.Tally(
    "met",
    lambda lo, hi: _grouped(
        select(Clock.name, func.count())
        .where(Clock.status == "met", Clock.met_at <= Clock.deadline, *_between(Clock.id, lo, hi))
        .group_by(Clock.name)),
    _newest(Clock.id), settled=_clocks_unsettled_below)


def _redis_or_none():
    try:
        redis = get_redis()
        redis.ping()
        return redis
    except Exception:  # noqa: BLE001  (no Redis: the figures that need it are left out, and up says 0)
        return None


class Figures(Collector):
    """A custom collector: every scrape asks the database and Redis afresh."""

    def collect(self):
        started = time.perf_counter()
        redis = _redis_or_none()
        database_up = True
        families = []
        try:
            families.extend(self._database(redis))
        except Exception as exc:  # noqa: BLE001  (a scrape answers with what it has; up says what failed)
            log.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
            database_up = False
        finally:
            db.session.rollback()  # a read: hold no transaction
        if redis is not None:
            try:
                families.extend(self._redis(redis))
            except Exception as exc:  # noqa: BLE001
                log.warning("metrics: redis figures unavailable (%s)", type(exc).__name__)
                redis = None
        up = GaugeMetricFamily("spoa_metrics_source_up", "1 when this scrape could read the source.",
                               labels=["source"])
        up.add_metric(["database"], 1 if database_up else 0)
        up.add_metric(["redis"], 1 if redis is not None else 0)
        families.append(up)
        took = GaugeMetricFamily("spoa_metrics_collect_seconds",
                                 "Time this scrape took to read the database and Redis.")
        took.add_metric([], time.perf_counter() - started)
        families.append(took)
        yield from families

    def _database(self, redis):
        received = CounterMetricFamily(
            "spoa_referrals_received", "Referrals received, by source and by the route the rules gave at receipt.",
            labels=["source", "route"])
        for (source, route), n in sorted(tally.read(RECEIVED, redis).items()):
            received.add_metric([_label(source), _label(route)], n)
        yield received

        warnings = CounterMetricFamily("spoa_clock_warnings",
                                       "Clock warnings recorded, by clock and percent of its time gone.",
                                       labels=["clock", "level"])
        breaches = CounterMetricFamily("spoa_clocks_breached", "Clocks whose breach was recorded, by clock.",
                                       labels=["clock"])
        escalations = CounterMetricFamily("spoa_clock_escalations",
                                          "Escalations of breached clocks recorded (level 2 and up), by clock.",
                                          labels=["clock"])
        by_clock = {}
        for (clock, kind, level), n in sorted(tally.read(EFFECTS, redis).items()):
            if kind == "warning":
                warnings.add_metric([_label(clock), _label(level)], n)
            elif kind == "breach":
                breaches.add_metric([_label(clock)], n)
            else:
                by_clock[clock] = by_clock.get(clock, 0) + n
        for clock, n in sorted(by_clock.items()):
            escalations.add_metric([_label(clock)], n)
        yield from (warnings, breaches, escalations)

        met = CounterMetricFamily("spoa_clocks_met", "Clocks met by their deadline, by clock.", labels=["clock"])
        for (clock,), n in sorted(tally.read(MET, redis).items()):
            met.add_metric([_label(clock)], n)
        yield met

        yield from self._open_referrals()
        yield from self._chase_lag()
        yield from self._notifications(redis)

    def _open_referrals(self):
        family = GaugeMetricFamily("spoa_referrals_open", "Open referrals now, by state and route.",
                                   labels=["state", "route"])
        rows = db.session.execute(
            select(Referral.state, Referral.route, func.count())
            .where(Referral.state.in_(OPEN_STATES)).group_by(Referral.state, Referral.route)).all()
        for state, route, n in sorted(rows, key=lambda r: (r[0], _label(r[1]))):
            family.add_metric([state, _label(route)], n)
        yield family

    def _chase_lag(self):
        at = now()
        due = oldest_due(at)
        backlog = GaugeMetricFamily(
            "spoa_chase_backlog_seconds",
            "How long the oldest due clock threshold has waited unrecorded (0: nothing due); as /health.")
        backlog.add_metric([], max(0.0, (at - due).total_seconds()) if due else 0.0)
        yield backlog
        rows = db.session.execute(
            select(ClockEffect.recorded_at, ClockEffect.due_at)
            .order_by(ClockEffect.id.desc()).limit(LAG_SAMPLE)).all()
        lags = sorted(max(0.0, (recorded - due_at).total_seconds())
                      for recorded, due_at in rows if recorded >= at - LAG_WINDOW)
        lag = GaugeMetricFamily(
            "spoa_chase_lag_seconds",
            "How late clock effects of the last hour were recorded after their due instant (quantile 1: the "
            f"latest); of at most the last {LAG_SAMPLE}.", labels=["quantile"])
        for q in LAG_QUANTILES:
            if lags:
                lag.add_metric([str(q)], lags[min(len(lags) - 1, int(q * len(lags)))] if q < 1 else lags[-1])
        yield lag
        count = GaugeMetricFamily("spoa_chase_lag_effects", "Clock effects the chase lag quantiles are of.")
        count.add_metric([], len(lags))
        yield count

    def _notifications(self, redis):
        failed = CounterMetricFamily("spoa_notifications_failed",
                                     "Notifications that failed for good (every attempt used), by channel.",
                                     labels=["channel"])
        waiting = GaugeMetricFamily("spoa_notifications_waiting",
                                    "Notifications waiting to be sent or being sent now, by channel.",
                                    labels=["channel"])
        # Both by the (status, next_attempt_at) index: failed ones grow with failures, not with traffic.
        rows = db.session.execute(
            select(Notification.status, Notification.channel, func.count())
            .where(Notification.status.in_(("failed", "pending", "sending")))
            .group_by(Notification.status, Notification.channel)).all()
        totals = {}
        for status, channel, n in rows:
            key = ("failed" if status == "failed" else "waiting", channel)
            totals[key] = totals.get(key, 0) + n
        for (kind, channel), n in sorted(totals.items()):
            (failed if kind == "failed" else waiting).add_metric([channel], n)
        attempts = CounterMetricFamily("spoa_delivery_attempts_failed",
                                       "Delivery attempts that failed (each retry counts), by channel.",
                                       labels=["channel"])
        for (channel,), n in sorted(tally.read(FAILED_ATTEMPTS, redis).items()):
            attempts.add_metric([_label(channel)], n)
        yield from (failed, waiting, attempts)

    def _redis(self, redis):
        from rq import Queue
        from rq.serializers import JSONSerializer

        length = GaugeMetricFamily("spoa_rq_queue_length", "Jobs waiting in each RQ queue.", labels=["queue"])
        scheduled = GaugeMetricFamily("spoa_rq_scheduled_jobs", "Jobs scheduled for later (chases), by queue.",
                                      labels=["queue"])
        failed = GaugeMetricFamily("spoa_rq_failed_jobs", "Jobs in each queue's failed registry.", labels=["queue"])
        for name in RQ_QUEUES:
            queue = Queue(name, connection=redis, serializer=JSONSerializer)
            length.add_metric([name], queue.count)
            # cleanup=False: a scrape reads, it does not tidy Redis (the workers do).
            scheduled.add_metric([name], ScheduledJobRegistry(queue=queue).get_job_count(cleanup=False))
            failed.add_metric([name], FailedJobRegistry(queue=queue).get_job_count(cleanup=False))
        workers = GaugeMetricFamily("spoa_rq_workers", "RQ workers alive (registered in Redis).")
        workers.add_metric([], Worker.count(connection=redis))
        return [length, scheduled, failed, workers]
