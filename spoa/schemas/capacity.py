"""Capacity: a service's declaration as its team's page and its own system's API
send it (loaded the same way), and its line of the board as the API answers."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from spoa.models import Service


class CapacitySchema(Schema):
    total = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10000))
    in_use = fields.Integer(load_default=None, strict=True, validate=validate.Range(min=0, max=10000))

    @validates_schema
    def _in_use_within_total(self, data, **_):
        if data.get("in_use") is not None and data["in_use"] > data.get("total", 0):
            raise ValidationError("In use cannot be more than the total.", "in_use")


def load_declaration(service: Service, body: dict) -> dict:
    """Validate a declaration for this service (raises ValidationError, field by field)."""
    return complete_declaration(service, CapacitySchema().load(body))


def complete_declaration(service: Service, data: dict) -> dict:
    """A clinical service says how many are in use; SPOA counts a voluntary one's
    (services.capacity.declare reads that count under the row lock: in_use stays None here)."""
    if service.kind == "clinical" and data.get("in_use") is None:
        raise ValidationError({"in_use": ["Enter how many are in use now."]})
    if service.kind == "voluntary":
        data["in_use"] = None
    return data


class CapacityLineSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "clinical, or voluntary (on the duty rota)"})
    unit = fields.String()
    total = fields.Integer(allow_none=True, metadata={"description": "null: not declared (today, for voluntary)"})
    in_use = fields.Integer()
    free = fields.Integer(allow_none=True)
    on_duty = fields.Boolean()
    open_referrals = fields.Integer()
    updated_at = fields.AwareDateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)
