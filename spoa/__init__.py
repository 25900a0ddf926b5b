"""SPOA: the single point of access for urgent community and intermediate care."""
from flask import Flask

from spoa.config import Config


def create_app(config=None) -> Flask:
    """Build the app. ``config`` is a Config instance (or a dict of overrides)."""
    app = Flask(__name__, instance_relative_config=True)
    from spoa.platform.input_guard import AsciiIntConverter

    app.url_map.converters["int"] = AsciiIntConverter  # before any route is added: each reads it then
    cfg = config if isinstance(config, Config) else Config()
    app.config.from_object(cfg)
    if isinstance(config, dict):
        app.config.update(config)
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    app.json.sort_keys = False  # answer in the schema's order: id and reference first
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: see docs/operating.md (the run script makes one).")
    from spoa.platform import logs

    logs.configure(app.config["LOG_FORMAT"])  # json lines or text, each with the ids in hand

    from spoa import api, errors
    from spoa.cli import register_cli
    from spoa.domain import policy
    from spoa.extensions import db, migrate
    from spoa.platform import database, redis_store, request_ids

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()), render_as_batch=True)
    with app.app_context():
        database.configure_engine(db.engine)
    database.track_connections(db.session)  # web/notifications.py: a page's header reads
    from spoa.platform import wire

    wire.init_app(app)  # first registered, so its after_request runs last: it sees the finished response
    request_ids.init_app(app)  # first: every later hook's log lines carry the request's id
    from spoa import metrics

    metrics.init_app(app)  # /metrics, and each request's duration (timed from here)
    policy.init_app(app)
    redis_store.init_app(app)
    from spoa.services import announce as publish

    publish.init_app(app)
    from spoa.platform import input_guard

    input_guard.init_app(app)  # before any view or sign-in check reads a value
    api.init_app(app)  # the api blueprint, and its OpenAPI document
    from spoa import fhir

    fhir.init_app(app)  # BaRS receiver: /fhir/$process-message
    from spoa.web import bp as web_bp
    from spoa.web import security

    app.register_blueprint(web_bp)
    security.init_app(app)
    # Every surface's errors (problem+json, OperationOutcome, a page): registered last, so
    # its handlers, not a library's (flask-smorest registers one for HTTP errors), answer.
    errors.init_app(app)
    register_cli(app)

    from spoa.metrics.health import bp as health_bp

    app.register_blueprint(health_bp)
    return app


def _migrations_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
