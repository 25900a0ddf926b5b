"""The JSON API, /api/v1: thin resources over the services, problem+json errors."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import openapi, referrals, services  # noqa: E402,F401  (routes register on import)
