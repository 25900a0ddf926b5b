"""FHIR intake as a BaRS receiver: POST /fhir/$process-message (referrals, and 999 calls
pushed for validation), GET /fhir/metadata, /fhir/MessageDefinition and the sender's own
/fhir/ServiceRequest/{id} (reads.py; updates and cancellations: changes.py).

The adapter (adapter.py) turns a BaRS referral message into the intake
contract's body; it then goes through the same validation, rules and clocks as
the JSON API (services/intake.py). Every answer is an OperationOutcome (outcome.py;
errors are rendered so by spoa/errors.py).
"""
from flask import Blueprint

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

from spoa.fhir import reads, routes  # noqa: E402,F401  (routes register on import; errors are spoa/errors.py's)


def init_app(app) -> None:
    from rules.fhir_mapping import load_fhir_mapping
    from spoa.domain import vocab

    # Loaded at start: a bad edit of rules/fhir_mapping.yaml stops the app, never an intake.
    app.extensions["spoa_fhir_mapping"] = load_fhir_mapping(vocab.PRESENTING_NEEDS, vocab.RED_FLAGS)
    app.register_blueprint(bp)
