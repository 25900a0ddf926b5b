"""The JSON API, /api/v1: thin resources over the services, problem+json errors, and
the OpenAPI document generated from its routes (openapi.py)."""
from flask_smorest import Blueprint

# flask-smorest's Blueprint: a Flask blueprint that also keeps each view's documentation.
bp = Blueprint("api", __name__, url_prefix="/api", description="Intake contract v1 (bearer token)")

from spoa.api import openapi, referrals, services, status  # noqa: E402,F401  (routes register on import)


def init_app(app) -> None:
    from spoa.api import client_cache

    client_cache.init_app(app)  # the caller of each request, without a query (revocations reach it at once)
    openapi.init_app(app, bp)
