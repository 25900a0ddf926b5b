"""Gunicorn servers for bench/intake.py: start, wait until healthy, stop, and
the CPU their workers and PostgreSQL backends spend."""
import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app_spec, port, args, env, log_path):
    cmd = [str(BIN / "gunicorn"), app_spec, "--bind", f"127.0.0.1:{port}",
           "--workers", str(args.workers), "--threads", str(args.threads),
           "--worker-class", args.worker_class, "--log-level", "warning"]
    # Own session: a Ctrl-C reaches only this script, which then stops the server cleanly.
    # The app logs to stderr as it would in production: that cost is part of intake.
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def start_configured(app_spec, port, env, log_path, extra=()):
    """gunicorn as production runs it: the settings in gunicorn.conf.py, with the
    environment's overrides (WEB_WORKERS...) and any command-line ones in extra."""
    cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), app_spec, *extra]
    with open(log_path, "wb") as log:
        return subprocess.Popen(cmd, cwd=ROOT, env={**env, "BIND": f"127.0.0.1:{port}"}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(proc, port, log_path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn on {port} exited:\n{Path(log_path).read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn on {port} not healthy after {timeout} s")


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()  # gunicorn's graceful stop
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session: only this gunicorn and its workers
        proc.wait()


def cpu_seconds(pids) -> float:
    """utime + stime of processes (server CPU per request is steadier than req/s on a noisy box)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def server_pids(master_pid, dsn, app_name):
    """The gunicorn workers and the PostgreSQL backends of their pools (found by application_name)."""
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
            and _ppid(p) == master_pid]
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (app_name,))
            pids += [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    return pids


def _ppid(proc_dir):
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError):
        return None


PG = "postgresql://postgres@127.0.0.1:5432"  # the benches' PostgreSQL (trust auth, as on these machines)


def pg_admin(sql: str) -> None:
    """One statement outside any transaction on the maintenance database (CREATE or
    DROP DATABASE cannot run inside one): the benches' throw-away databases."""
    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql)
    conn.close()
