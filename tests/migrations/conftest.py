"""An app on an empty database of its own, migrated no further than a test says: for
migrations run over data written by the schema before them. On SQLite (the demo's, and
where batch mode rebuilds tables) and on PostgreSQL (where production runs them)."""
import uuid

import pytest

from spoa import config, create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_db(request, tmp_path, redis_url):
    url = (f"sqlite:///{tmp_path / 'old.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("empty_postgres"))
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url,
           "SECRET_KEY": "tests-" + uuid.uuid4().hex, "LIVE_CHANNEL": f"spoa:queue:test:{uuid.uuid4().hex}",
           "DEMO_CREDENTIALS": str(tmp_path / "demo-credentials.json")}
    app = create_app(config.TestConfig(env))
    from spoa.extensions import db

    with app.app_context():
        yield app, db
        db.session.remove()
        db.engine.dispose()
