"""/api/openapi.json, generated from the very schemas that validate requests."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from ..schemas.intake import IntakeSchema
from ..schemas.problem import ProblemSchema
from ..schemas.referral import EventSchema, ReferralPageSchema, ReferralQuerySchema, ReferralSchema, SenderReferralSchema
from ..services.capacity import CapacitySchema
from . import bp

PROBLEM = {"content": {"application/problem+json": {"schema": "Problem"}}}


def _errors(*codes):
    text = {400: "Malformed JSON or header", 401: "No or bad token", 403: "Not allowed",
            404: "No such referral", 409: "Conflict", 412: "Version moved on", 413: "Body over 64 KiB",
            415: "Not JSON", 422: "Breaks the contract (errors maps field paths to messages)",
            429: "Over the client's rate"}
    return {str(c): {"description": text[c], **PROBLEM} for c in codes}


def build_spec() -> dict:
    spec = APISpec(
        title="SPOA intake API", version="1", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Electronic referrals into the single point of access (intake contract v1)."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Referral", schema=ReferralSchema)
    spec.components.schema("SenderReferral", schema=SenderReferralSchema)
    spec.components.schema("ReferralIntake", schema=IntakeSchema)
    spec.components.schema("ReferralPage", schema=ReferralPageSchema)
    spec.components.schema("ReferralEvent", schema=EventSchema)
    spec.components.schema("Problem", schema=ProblemSchema)
    # The system that sent a referral gets the sender's view; the service's own
    # systems the full one (spoa/access.py: audience).
    referral = {"content": {"application/json": {"schema": {"oneOf": [
        {"$ref": "#/components/schemas/SenderReferral"}, {"$ref": "#/components/schemas/Referral"}]}}}}
    secured = [{"bearer": []}]
    spec.path(path="/api/v1/referrals", operations={
        "post": {
            "summary": "Send a referral", "security": secured,
            "parameters": [{"in": "header", "name": "Idempotency-Key", "required": False,
                            "schema": {"type": "string", "maxLength": 255}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": "ReferralIntake"}}},
            "responses": {"201": {"description": "Accepted and triaged", **referral},
                          "200": {"description": "Already received with the same content", **referral},
                          **_errors(400, 401, 403, 409, 413, 415, 422, 429)},
        },
        "get": {
            "summary": "List referrals (a client sees only its own)", "security": secured,
            "parameters": [{"in": "query", "schema": ReferralQuerySchema}],
            "responses": {"200": {"description": "A page of referrals",
                                  "content": {"application/json": {"schema": "ReferralPage"}}},
                          **_errors(401, 422)},
        },
    })
    spec.path(path="/api/v1/referrals/{referral_id}", operations={"get": {
        "summary": "A referral with its decision, clocks and history", "security": secured,
        "parameters": [{"in": "path", "name": "referral_id", "required": True,
                        "schema": {"type": "string", "format": "uuid"}}],
        "responses": {"200": {"description": "The referral", **referral}, **_errors(401, 404)},
    }})
    spec.path(path="/api/v1/referrals/{referral_id}/events", operations={"post": {
        "summary": "A lifecycle event (accept, decline, first_contact, ...)", "security": secured,
        "parameters": [
            {"in": "path", "name": "referral_id", "required": True, "schema": {"type": "string", "format": "uuid"}},
            {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "ReferralEvent"}}},
        "responses": {"200": {"description": "Event applied", **referral},
                      **_errors(400, 401, 403, 404, 409, 412, 415, 422)},
    }})
    from .services import CapacityLineSchema

    spec.components.schema("CapacityLine", schema=CapacityLineSchema)
    spec.components.schema("CapacityDeclaration", schema=CapacitySchema)
    spec.path(path="/api/v1/services", operations={"get": {
        "summary": "Capacity and use of every active service, and today's duty organisations",
        "security": secured, "responses": {"200": {"description": "Capacity board"}, **_errors(401)},
    }})
    spec.path(path="/api/v1/services/{code}/capacity", operations={"put": {
        "summary": "Declare a service's capacity (its own system only)", "security": secured,
        "parameters": [{"in": "path", "name": "code", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "CapacityDeclaration"}}},
        "responses": {"200": {"description": "Declared", "content": {"application/json": {"schema": "CapacityLine"}}},
                      **_errors(400, 401, 403, 404, 415, 422)},
    }})
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document():
    ext = current_app.extensions
    if "spoa_openapi" not in ext:
        ext["spoa_openapi"] = build_spec()
    return jsonify(ext["spoa_openapi"])
