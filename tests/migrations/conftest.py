"""An app on an empty SQLite file of its own, migrated no further than a test says:
for migrations run over data written by the schema before them."""
import uuid

import pytest

from spoa import config, create_app


@pytest.fixture
def unmigrated_db(tmp_path, redis_url):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "REDIS_URL": redis_url,
           "SECRET_KEY": "tests-" + uuid.uuid4().hex, "LIVE_CHANNEL": f"spoa:queue:test:{uuid.uuid4().hex}",
           "DEMO_CREDENTIALS": str(tmp_path / "demo-credentials.json")}
    app = create_app(config.TestConfig(env))
    from spoa.extensions import db

    with app.app_context():
        yield app, db
        db.session.remove()
        db.engine.dispose()
