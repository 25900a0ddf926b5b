"""Checking answers against the OpenAPI document's schemas."""
from openapi_schema_validator import OAS30Validator

REF = "#/components/schemas/"


def errors_against(spec, schema, body) -> list[str]:
    validator = OAS30Validator({**schema, "components": spec["components"]})
    return [error.message[:200] for error in validator.iter_errors(body)]
