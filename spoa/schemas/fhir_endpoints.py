"""A BaRS sender's endpoint as an administrator registers it for its API client
(`flask spoa add-fhir-endpoint --client NAME --endpoint ID --url URL`, or the
admin page), loaded here; the registration itself is notifications/fhir_endpoints.py."""
from urllib.parse import urlsplit

from marshmallow import ValidationError, validate, validates

from spoa.models.fhir_endpoint import endpoint_key
from spoa.schemas.form_input import FormSchema, Trimmed
from spoa.schemas.outbound_url import OutboundUrl

BASE_URL_MAX = 480  # fhir_endpoints.base_url; "/$process-message" is added to it
EXAMPLE = "https://fhir.nhs.uk/Id/dos-service-id|2222222222"


class ClientSchema(FormSchema):
    """The API client an endpoint belongs to (by name: the CLI's --client, the page's choice)."""
    client = Trimmed(required=True, error_messages={"required": "Choose the API client whose endpoint it is"},
                     metadata={"label": "API client (the sending system it belongs to)"})


class NewFhirEndpointSchema(ClientSchema):
    endpoint = Trimmed(required=True, error_messages={"required": f"Enter the sender's endpoint, e.g. {EXAMPLE}"},
                       metadata={"label": "Sender's endpoint identifier (MessageHeader.source.endpoint)"})
    # Its FHIR base: outcomes are posted to <url>/$process-message. No user or password
    # in it (it is shown and audited); the sender's own gateway does the rest.
    base_url = Trimmed(required=True, error_messages={"required": "Enter the sender's FHIR base URL"},
                       metadata={"label": "FHIR base URL"}, validate=[
        validate.Length(max=BASE_URL_MAX, error=f"The URL must be at most {BASE_URL_MAX} characters"),
        OutboundUrl("Enter the full https:// base address of the sender's FHIR API, "
                    "e.g. https://sender.example/fhir")])

    @validates("endpoint")
    def _endpoint(self, value, **_):
        if endpoint_key(value) is None:
            raise ValidationError(f"Enter the identifier as system|value, as the sender's messages carry it in "
                                  f"MessageHeader.source.endpoint, e.g. {EXAMPLE}")

    @validates("base_url")
    def _base_url(self, url, **_):
        parts = urlsplit(url)
        if "@" in parts.netloc:
            raise ValidationError("Leave the user name and password out of the URL")
        if parts.query or parts.fragment:
            raise ValidationError("Give the FHIR base URL without ?query or #fragment: "
                                  "messages go to <url>/$process-message")
        if parts.path.rstrip("/").endswith("$process-message"):
            raise ValidationError("Give the FHIR base URL without /$process-message (it is added)")
