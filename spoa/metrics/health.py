"""/health: what an operator (or a load balancer) needs to see, without signing in.
No patient data: counts and instants only."""
from flask import Blueprint, jsonify
from rq import Worker
from sqlalchemy import text

from spoa.extensions import db
from spoa.platform.redis_store import get_redis
from spoa.platform.timekeeping import now
from spoa.services.due_clocks import oldest_due

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    checks, healthy = {}, True
    try:
        db.session.execute(text("SELECT 1"))
        due = oldest_due()
        lag = max(0.0, (now() - due).total_seconds()) if due else 0.0
        checks["database"] = {"ok": True}
        # The oldest due-but-unprocessed threshold: a growing lag means nobody is chasing.
        checks["chase_lag_seconds"] = round(lag, 3)
        checks["oldest_due_at"] = due.isoformat() if due else None
    except Exception as exc:  # report, don't crash: this is the page that says what's wrong
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        healthy = False
    finally:
        db.session.rollback()
    try:
        redis = get_redis()
        redis.ping()
        checks["redis"] = {"ok": True}
        checks["workers"] = Worker.count(connection=redis)
    except Exception as exc:
        checks["redis"] = {"ok": False, "error": type(exc).__name__}
        checks["workers"] = None
    status = "ok" if healthy else "failing"
    if healthy and (not checks["redis"]["ok"] or not checks["workers"] or checks["chase_lag_seconds"] > 30):
        status = "degraded"  # intake still works; chasing is behind or has no worker
    return jsonify(status=status, **checks), 200 if healthy else 503
