"""API clients as an administrator issues them: on the API clients page or with
`flask spoa create-api-client`, loaded here the same way. Whether the name is
taken needs the database: services/api_clients.py asks, beside the same field."""
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from spoa.domain.vocab import DISCHARGE_SOURCES, SOURCES
from spoa.models.user import SCOPES
from spoa.schemas.form_input import FormSchema, HospitalCode, Trimmed, WholeNumber, name_field
from spoa.schemas.outbound_url import OutboundUrl
from spoa.schemas.services import assignable_services, unknown_service

RATE_MAX = 100_000  # requests a minute; a 4-byte integer column in PostgreSQL
CALLBACK_MAX = 500  # api_clients.callback_url


class NewApiClientSchema(FormSchema):
    name = name_field(metadata={"label": "Name"})
    sources = fields.List(fields.String(), load_default=list, metadata={"label": "Sources it may post as"})
    service = fields.String(load_default=None, metadata={"label": "Service whose own system it is"})
    # A hospital's own system: it reads and acts on its hospital's discharges
    # (spoa/domain/access.py), and sends discharges only (as acute or community_hospital).
    hospital_ods = HospitalCode(load_default=None, metadata={"label": "Hospital ODS code (a hospital's own system)"})
    # What it may read besides its own referrals: "status", the coordination centre's
    # feed. A scope gives no right to post: that is still its sources.
    scopes = fields.List(fields.String(), load_default=list, metadata={"label": "What else it may read"})
    rate_limit_per_minute = WholeNumber(
        load_default=None, metadata={"label": "Requests a minute (optional)"},
        validate=validate.Range(min=1, max=RATE_MAX,
                                error=f"The rate must be a whole number from 1 to {RATE_MAX:,} requests a minute"))

    # Where a sending system is told its referrals' outcomes (notifications/outcomes.py).
    # No user or password in it: the URL is shown on the admin page, and the
    # signature is what proves a delivery came from SPOA.
    callback_url = Trimmed(load_default=None, metadata={"label": "Callback URL for outcomes (optional)"}, validate=[
        validate.Length(max=CALLBACK_MAX, error=f"The callback URL must be at most {CALLBACK_MAX} characters"),
        OutboundUrl("Enter the full https:// address the outcomes are posted to")])

    @validates("callback_url")
    def _callback(self, url, **_):
        if url is not None and "@" in urlsplit(url).netloc:
            raise ValidationError("Leave the user name and password out of the callback URL")

    @validates("sources")
    def _sources(self, sources, **_):
        unknown = [s for s in sources if s not in SOURCES]
        if unknown:
            raise ValidationError(f"Unknown source {', '.join(unknown)} (known: {', '.join(SOURCES)})")

    @validates("scopes")
    def _scopes(self, scopes, **_):
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            raise ValidationError(f"Unknown scope {', '.join(unknown)} (known: {', '.join(SCOPES)})")

    @validates("service")
    def _service(self, service, **_):  # also called with the default, None
        if service is not None and service not in assignable_services():
            raise ValidationError(unknown_service(service))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _posts_or_acts(self, data, original, **_):
        """A client posts as its sources, acts for its service, or for its hospital's
        discharges, or reads what its scopes give (the coordination centre's feed):
        with none of them it could do nothing. (Read from what was given: a source,
        service, hospital or scope refused is said beside its own field.)"""
        if not any(original.get(name) for name in ("sources", "service", "hospital_ods", "scopes")):
            raise ValidationError("Choose the sources it may post as, or the service whose system it is "
                                  "(or, for a system that only reads, such as the coordination centre's, "
                                  "what it may read)", "sources")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _hospital_sends_discharges(self, data, original, **_):
        """A hospital's system reads its hospital's discharges: were it to post as
        another source (a GP, 111), it would be a second kind of sender with a
        hospital's reach. And a hospital is not a service: a system that is both
        would read both, so each gets a client of its own."""
        if not original.get("hospital_ods"):
            return
        others = [s for s in data.get("sources") or [] if s not in DISCHARGE_SOURCES]
        if others:
            raise ValidationError(
                f"A hospital's system sends discharge referrals only: choose "
                f"{' or '.join(DISCHARGE_SOURCES)}, not {', '.join(others)}", "sources")
        if original.get("service"):
            raise ValidationError("A hospital's system is not a service's: issue the service its own client",
                                  "service")
