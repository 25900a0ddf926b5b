"""FHIR intake as a BaRS receiver: POST /fhir/$process-message, GET /fhir/metadata.

The adapter (adapter.py) turns a BaRS referral message into the intake
contract's body; it then goes through the same validation, rules and clocks as
the JSON API (services/intake.py). Every answer is an OperationOutcome (outcome.py).
"""
from flask import Blueprint

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

from . import errors, routes  # noqa: E402,F401  (handlers and routes register on import)


def init_app(app) -> None:
    app.register_blueprint(bp)
