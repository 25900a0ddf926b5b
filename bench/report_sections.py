"""Time each report section on a big PostgreSQL database (bench/reports.py's, or a copy):
wall time, and the database backend's own CPU (from /proc: the server runs on this
machine), for the last 7 and 365 days, and each query's wall time in one run.

    SECRET_KEY=x DATABASE_URL=postgresql://postgres@127.0.0.1:5432/spoa_bench_fast \
        python bench/report_sections.py [--reps 3] [--explain]
"""
import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from sqlalchemy import event, text  # noqa: E402

from spoa import create_app  # noqa: E402
from spoa.domain.period import Filters, Period  # noqa: E402
from spoa.extensions import db  # noqa: E402
from spoa.reports import sections  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--days", default="7,365")
    parser.add_argument("--queries", action="store_true", help="each query's wall time in one run")
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        pid = db.session.execute(text("select pg_backend_pid()")).scalar()
        queries = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _start(conn, cursor, statement, parameters, context, executemany):
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _end(conn, cursor, statement, parameters, context, executemany):
            queries.append((time.perf_counter() - conn.info.pop("t0"), " ".join(statement.split())[:160]))

        for days in (int(d) for d in args.days.split(",")):
            period, filters = Period.last_days(days), Filters()
            print(f"== last {days} days ({period.label()})")
            total_wall, total_cpu = [], []
            if hasattr(sections, "_no_jit"):
                sections._no_jit()  # as build() does, for the per-section timings too
            for module in sections.SECTIONS:
                module.section(period, filters)  # warm: caches, the policy
                walls, cpus = [], []
                for _ in range(args.reps):
                    cpu0, t0 = backend_cpu(pid), time.perf_counter()
                    module.section(period, filters)
                    walls.append(time.perf_counter() - t0)
                    cpus.append(backend_cpu(pid) - cpu0)
                wall, cpu = statistics.median(walls), statistics.median(cpus)
                total_wall.append(wall)
                total_cpu.append(cpu)
                name = module.__name__.rsplit('.', 1)[1]
                print(f"  {name:14s} wall {wall * 1000:7.0f} ms   db cpu {cpu * 1000:7.0f} ms")
                if args.queries:
                    queries.clear()
                    module.section(period, filters)
                    for seconds, statement in queries:
                        print(f"      {seconds * 1000:6.0f} ms  {statement}")
            walls = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                sections.build(period, filters)
                walls.append(time.perf_counter() - t0)
            print(f"  sum of sections wall {sum(total_wall) * 1000:.0f} ms, db cpu {sum(total_cpu) * 1000:.0f} ms;"
                  f" sections.build wall {statistics.median(walls) * 1000:.0f} ms (median of {args.reps})")
            db.session.rollback()


if __name__ == "__main__":
    main()
