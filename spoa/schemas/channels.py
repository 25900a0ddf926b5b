"""A notification channel as an administrator adds it (`flask spoa add-channel`):
a duty role's (--recipient, every holder's copy) or one person's own (--username,
used whenever a notification goes to them on duty). Whether the person exists
and already has such a channel needs the database: notifications/channels.py asks."""
from urllib.parse import urlsplit

from marshmallow import ValidationError, fields, validate, validates_schema

from spoa.domain.policy import current_policy
from spoa.models.duty_shift import DUTIES, SERVICE_DUTY_LEAD
from spoa.schemas.form_input import FormSchema, Trimmed
from spoa.schemas.outbound_url import OutboundUrl

TARGET_MAX = 500  # notification_channels.target
WEBHOOK_URL = "Enter the full https:// address of the webhook (an SMS gateway's, say)"


class NewChannelSchema(FormSchema):
    recipient = Trimmed(load_default=None)
    username = Trimmed(load_default=None)
    channel = fields.String(required=True, validate=validate.OneOf(
        ("email", "webhook"), error="The channel is email or webhook"))
    target = Trimmed(required=True, error_messages={"required": "Enter an email address or an https:// URL"},
                     validate=validate.Length(max=TARGET_MAX, error=f"At most {TARGET_MAX} characters"))

    @validates_schema
    def _whose(self, data, **_):
        if (data.get("recipient") is None) == (data.get("username") is None):
            raise ValidationError("Give exactly one of a recipient (a duty role) or a username (a person)",
                                  "recipient")
        recipient = data.get("recipient")
        if recipient is not None:
            duty, _, service = recipient.partition(":")
            services = current_policy().services
            if duty not in DUTIES or (service and (duty != SERVICE_DUTY_LEAD or service not in services)):
                raise ValidationError(
                    "The recipient is spoa_supervisor, on_call_manager, service_duty_lead, or "
                    f"service_duty_lead:<service> (services: {', '.join(services)})", "recipient")

    @validates_schema
    def _target(self, data, **_):
        target, channel = data.get("target"), data.get("channel")
        if target is None or channel is None:
            return
        check = (validate.Email(error="Enter an email address, for example sam@example.nhs.uk")
                 if channel == "email" else
                 OutboundUrl(WEBHOOK_URL, https=WEBHOOK_URL))
        try:
            check(target)
        except ValidationError as exc:
            raise ValidationError(exc.messages, "target") from None
        if channel == "webhook" and "@" in urlsplit(target).netloc:
            raise ValidationError("Leave the user name and password out of the webhook URL", "target")
