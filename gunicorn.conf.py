"""Production serving settings for SPOA, in one place (scripts/run and bench/ use it too):

    gunicorn -c gunicorn.conf.py wsgi:app

Every setting can be overridden from the environment (below), or on gunicorn's
command line, which wins over this file.

Why gevent, not threads: each open live-queue page holds its Server-Sent Events
stream for as long as the page is open. Under gthread that is one of a fixed
number of threads for ever, so enough open pages leave none for intake and the
other pages. Under gevent each connection is a greenlet: an idle stream is a
few kilobytes of memory waiting on a socket, and --worker-connections (not
threads) bounds them. psycopg2 is made cooperative (psycogreen) so a query
waiting on PostgreSQL lets the process serve others; redis-py and smtplib use
the standard library's sockets, which gevent patches.

What it costs: greenlets are not pre-empted. A request that computes for a
while (the first render of the whole county's queue, ~0.1-0.3 s at 2,000 open
referrals) holds its process for that long; under gthread the GIL already
serialised that computing, but sliced it every 5 ms. So run several workers
(default: 2 per core, at least 2): a busy worker accepts no new connection,
and the others take them. SQLite (a laptop) is not cooperative: spoa/config.py
gives each process one SQLite connection, passed between greenlets by the pool
(which gevent makes cooperative), so no greenlet sleeps in SQLite's busy
handler while another greenlet of the same process holds the write lock.
"""
import multiprocessing
import os
import tempfile


def _env(name, default):
    return os.environ.get(name) or default


# PORT and BIND: a laptop serves loopback only; production names its address.
bind = [_env("BIND", f"127.0.0.1:{_env('PORT', '5000')}")]
worker_class = _env("WEB_WORKER_CLASS", "gevent")
workers = int(_env("WEB_WORKERS", str(max(2, 2 * multiprocessing.cpu_count()))))
# Only gthread reads threads; kept so WEB_WORKER_CLASS=gthread is a working fallback.
threads = int(_env("WEB_THREADS", "32"))
# Open connections per gevent worker: open queue pages, keep-alive clients and requests in flight.
worker_connections = int(_env("WEB_WORKER_CONNECTIONS", "1000"))
timeout = int(_env("WEB_TIMEOUT", "30"))  # a worker silent this long (a stuck computation) is restarted
graceful_timeout = int(_env("WEB_GRACEFUL_TIMEOUT", "10"))  # open streams end at a stop after this
keepalive = int(_env("WEB_KEEPALIVE", "5"))
accesslog = _env("WEB_ACCESS_LOG", "-")  # "-": stdout; the app never puts patient details in a URL
# gunicorn's own access line, ending with the request's id: it joins the app's log lines of that request.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = _env("WEB_LOG_LEVEL", "info")
# Behind a proxy that terminates TLS, list its address here (see docs/operating.md, Serving).
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")

# App log lines: JSON (spoa/config.py's default; LOG_FORMAT=text for a person at a terminal).

_made_here = []  # a metrics directory on_starting made, removed on_exit


def on_starting(server):
    """In the master, once, before any worker is forked (and so before any imports
    prometheus_client, which reads this at import): per-process metrics (triage and
    request durations) go to files in PROMETHEUS_MULTIPROC_DIR, one set per worker,
    which /metrics sums, so whichever worker answers a scrape answers for all.
    Unset, a directory of this server's own (removed at exit). Emptied first: a
    previous run's files would be summed in as if its workers were alive."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="spoa-metrics-")
        _made_here.append(path)
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.unlink(os.path.join(path, name))


def on_exit(server):
    import shutil

    for path in _made_here:
        shutil.rmtree(path, ignore_errors=True)


def child_exit(server, worker):
    """A worker gone: its live gauges leave the sums (its histograms stay: what it observed happened)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_fork(server, worker):
    """In each new worker, before the app is loaded. (The command line may have chosen
    another worker class: ask the worker itself, not this file's variable.)"""
    if type(worker).__module__ == "gunicorn.workers.ggevent":
        # gunicorn's gevent worker monkey-patches the standard library itself; psycopg2
        # is C and needs telling to wait through gevent's hub.
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()
        os.environ["SPOA_COOPERATIVE"] = "1"  # read by spoa/config.py: one SQLite connection per process
