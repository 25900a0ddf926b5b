"""/api/v1/services: capacity per service, read by any client, declared by a
service's own system (a client bound to that service)."""
from marshmallow import ValidationError

from spoa.api import bp, requests
from spoa.api.auth import require_actor
from spoa.api.openapi import answer, named, operation
from spoa.domain import access
from spoa.platform.problem import Problem
from spoa.schemas.capacity import CapacityLineSchema, CapacitySchema, complete_declaration
from spoa.services import capacity

LINE = CapacityLineSchema()
LINES = CapacityLineSchema(many=True)
DECLARATION = CapacitySchema()


@bp.get("/v1/services")
@operation("Capacity and use of every active service, and today's duty organisations",
           answers={200: answer("Capacity board", {
               "type": "object", "required": ["services", "date"], "additionalProperties": False, "properties": {
                   "services": {"type": "array", "items": named("CapacityLine", LINE)},
                   "date": {"type": "string", "format": "date"}}})})
def list_capacity():
    require_actor()
    return {"services": LINES.dump(capacity.board()), "date": capacity.today().isoformat()}


@bp.put("/v1/services/<code>/capacity")
@operation("Declare a service's capacity (its own system only)", errors=(403, 404),
           body=named("CapacityDeclaration", DECLARATION), answers={200: answer("Declared", LINE)})
def declare_capacity(code):
    actor = require_actor()
    service = capacity.service_by_code(code)
    if service is None:
        raise Problem(404, f"No active service '{code}'.")
    if not access.may_declare_capacity(actor, service.code):
        raise Problem(403, "Only the service's own system may declare its capacity.")
    try:
        data = complete_declaration(service, requests.body())
    except ValidationError as exc:
        raise Problem(422, "Invalid capacity.", errors=exc.messages) from None
    capacity.declare(service, data["total"], data["in_use"], by=actor, via="api")
    return LINE.dump(capacity.line_of(service))
