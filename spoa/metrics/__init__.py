"""/metrics for Prometheus: the figures read from the database and Redis at
scrape time (figures.py), and each process's own events (events.py), summed
over every gunicorn worker when PROMETHEUS_MULTIPROC_DIR is set.

Who may scrape: the access policy (spoa/domain/access.py: may_scrape), asked with what the
request shows (guard.py: its bearer token, or loopback without a proxy's header).
"""
import os
import time

from flask import Blueprint, Response, abort, g, request
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from spoa.metrics.figures import Figures
from spoa.metrics.guard import may_scrape
from spoa.platform import instruments as events

bp = Blueprint("metrics", __name__)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def registry() -> CollectorRegistry:
    """A registry made for one scrape: the figures, and every process's events."""
    made = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(made, path=path)  # every process's files, summed
    else:
        for metric in events.ALL:  # one process: its own
            made.register(metric)
    made.register(Figures())
    return made


@bp.get("/metrics")
def metrics():
    if not may_scrape():
        abort(404)
    # The text format, or OpenMetrics when the scraper asks for it (Accept).
    encode, content_type = choose_encoder(request.headers.get("Accept"))
    return Response(encode(registry()), content_type=content_type)


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = g.pop("metrics_started", None)
        if started is not None:
            # The endpoint, never the path: ids in paths would make a series per referral.
            method = request.method if request.method in METHODS else "other"
            events.HTTP_SECONDS.labels(method, request.endpoint or "unmatched",
                                       str(response.status_code)).observe(time.perf_counter() - started)
        return response
