"""API clients as an administrator issues them: on the API clients page or with
`flask spoa create-api-client`, loaded here the same way. Whether the name is
taken needs the database: services/api_clients.py asks, beside the same field."""
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from .form_input import FormSchema, Trimmed, WholeNumber, name_field
from .services import assignable_services, unknown_service
from .vocab import SOURCES

RATE_MAX = 100_000  # requests a minute; a 4-byte integer column in PostgreSQL
CALLBACK_MAX = 500  # api_clients.callback_url


class NewApiClientSchema(FormSchema):
    name = name_field(metadata={"label": "Name"})
    sources = fields.List(fields.String(), load_default=list, metadata={"label": "Sources it may post as"})
    service = fields.String(load_default=None, metadata={"label": "Service whose own system it is"})
    rate_limit_per_minute = WholeNumber(
        load_default=None, metadata={"label": "Requests a minute (optional)"},
        validate=validate.Range(min=1, max=RATE_MAX,
                                error=f"The rate must be a whole number from 1 to {RATE_MAX:,} requests a minute"))

    # Where a sending system is told its referrals' outcomes (services/outcomes.py).
    # No user or password in it: the URL is shown on the admin page, and the
    # signature is what proves a delivery came from SPOA.
    callback_url = Trimmed(load_default=None, metadata={"label": "Callback URL for outcomes (optional)"}, validate=[
        validate.Length(max=CALLBACK_MAX, error=f"The callback URL must be at most {CALLBACK_MAX} characters"),
        validate.URL(schemes={"http", "https"}, require_tld=False,
                     error="Enter the full http:// or https:// address the outcomes are posted to")])

    @validates("callback_url")
    def _callback(self, url, **_):
        if url is not None and "@" in urlsplit(url).netloc:
            raise ValidationError("Leave the user name and password out of the callback URL")

    @validates("sources")
    def _sources(self, sources, **_):
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise ValidationError(f"Unknown source {', '.join(unknown)} (known: {', '.join(SOURCES)})")

    @validates("service")
    def _service(self, service, **_):  # also called with the default, None
        if service is not None and service not in assignable_services():
            raise ValidationError(unknown_service(service))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _posts_or_acts(self, data, original, **_):
        """A client posts as its sources, or acts for its service: with neither it could do nothing.
        (Read from what was given: a source or a service refused is said beside its own field.)"""
        if not original.get("sources") and not original.get("service"):
            raise ValidationError("Choose the sources it may post as, or the service whose system it is", "sources")
