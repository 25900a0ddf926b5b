"""Migration 0021 on a database with BaRS endpoints registered before they had owners:
each is kept, unowned (never delivered to until an administrator claims it), and
the downgrade takes the column off again."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

ENDPOINT = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"


def test_0021_leaves_existing_endpoints_unowned_and_downgrades(unmigrated_db):
    app, db = unmigrated_db
    upgrade(revision="0020")
    db.session.execute(text("INSERT INTO fhir_endpoints (endpoint, base_url, is_active, created_at) "
                            "VALUES (:e, 'https://old.example/fhir', :t, CURRENT_TIMESTAMP)"),
                       {"e": ENDPOINT, "t": True})
    db.session.commit()
    upgrade(revision="0021")
    rows = db.session.execute(text("SELECT endpoint, base_url, api_client_id FROM fhir_endpoints")).all()
    assert [tuple(r) for r in rows] == [(ENDPOINT, "https://old.example/fhir", None)]
    from spoa.notifications.fhir_endpoints import all_endpoints

    [row] = all_endpoints()
    assert row.client is None
    db.session.rollback()
    downgrade(revision="0020")
    assert "api_client_id" not in {c["name"] for c in inspect(db.engine).get_columns("fhir_endpoints")}
    assert db.session.execute(text("SELECT endpoint FROM fhir_endpoints")).scalars().all() == [ENDPOINT]
