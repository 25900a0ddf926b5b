"""The translated body through the intake contract's own validation
(IntakeSchema), with each refusal pointed at the place in the bundle it came from."""
from marshmallow import ValidationError, fields, validate, validates_schema

from spoa.domain import vocab
from spoa.schemas.errors import flatten_errors
from spoa.schemas.fhir.adapter import Translation, loose_nhs_number
from spoa.schemas.fhir.outcome import FhirError
from spoa.schemas.fields import is_valid_nhs_number
from spoa.schemas.intake import IntakeSchema


class FhirIntakeSchema(IntakeSchema):
    """IntakeSchema, but an ambulance message without an ARP category is taken with
    the category unknown (a crew's system may not send one); every other rule,
    category 1 and 2 refused included, is the JSON API's. The adapter sets the kind: a
    999 call pushed for validation is one only the FHIR receiver takes."""

    kind = fields.String(load_default="community", validate=validate.OneOf(vocab.STORED_KINDS))

    @validates_schema
    def _emas_category(self, data, **kwargs):
        if data.get("source") == "emas" and data.get("emas_category") is None:
            return
        super()._emas_category(data, **kwargs)


SCHEMA = FhirIntakeSchema()


def load(translation: Translation) -> tuple[dict, bool]:
    """(validated intake data, nhs_number_check_failed). An NHS number that fails its
    check digit is kept as reported and marked unverified, not refused: a 999 crew
    cannot fix it on the spot, and refusing would lose the referral."""
    body = translation.body
    patient = body["patient"]
    reported = loose_nhs_number(patient.get("nhs_number"))
    check_failed = reported is not None and not is_valid_nhs_number(reported)
    if check_failed:
        patient = {k: v for k, v in patient.items() if k != "nhs_number"}
        body = {**body, "patient": patient}
    try:
        data = SCHEMA.load(body)
    except ValidationError as exc:
        errors = flatten_errors(exc.messages)
        issues = []
        for name in sorted(errors):
            messages = errors[name] if isinstance(errors[name], list) else [errors[name]]
            expression = translation.where.get(name) or _nearest(translation.where, name)
            issues.append(("value" if expression else "invalid",
                           f"{name}: {' '.join(str(m) for m in messages)}", expression))
        raise FhirError(422, issues) from None
    if check_failed:
        data["patient"]["nhs_number"] = reported
    return data, check_failed


def _nearest(where: dict, name: str) -> str | None:
    parent = name.rsplit(".", 1)[0]
    return where.get(parent) or next((v for k, v in where.items() if k.startswith(parent + ".")), None)
