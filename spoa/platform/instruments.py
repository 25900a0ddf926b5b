"""What each process sees happen, counted where it happens: triage at intake and
the time each request took. Histograms, so percentiles can be had across every
process: with PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py, scripts/run) each
process writes its observations to a file there and /metrics sums them all.

Everything that is state or history (referrals received, clocks, queues) is read
from the database and Redis at scrape time instead (figures.py): those are the
same from whichever process or machine answers.

Not registered in the default registry: /metrics builds its own each scrape.
"""
from prometheus_client import Histogram

# Rules evaluation is milliseconds; a slow policy file or database shows in the upper buckets.
TRIAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

TRIAGE_SECONDS = Histogram(
    "spoa_triage_seconds", "Time the rules took to triage a referral at intake, by the route they gave.",
    ["route"], buckets=TRIAGE_BUCKETS, registry=None)
HTTP_SECONDS = Histogram(
    "spoa_http_request_duration_seconds",
    "Time to answer a request (to its first byte: a stream's life is not counted), by Flask endpoint.",
    ["method", "endpoint", "status"], buckets=HTTP_BUCKETS, registry=None)

ALL = (TRIAGE_SECONDS, HTTP_SECONDS)
