"""The one check of a URL SPOA will post to (an API client's callback, a BaRS
endpoint, a webhook channel), as an administrator sets it: its syntax, then the
outbound policy (spoa/platform/outbound/policy.py) on its host as written. The name is
checked again, resolved, every time a worker connects."""
from urllib.parse import urlsplit

from marshmallow import ValidationError, validate

from spoa.platform.outbound.policy import PLAIN_HTTP, current_policy, url_refusal


class OutboundUrl(validate.Validator):
    """``syntax``: the field's own words for an address that is not one;
    ``https``: for plain http where https is required (default the policy's)."""

    def __init__(self, syntax: str, https: str = PLAIN_HTTP):
        self.syntax, self.https = syntax, https

    def __call__(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (a port that is not a number is ValueError)
        except ValueError:
            raise ValidationError(self.syntax) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(self.syntax)
        refused = url_refusal(url, current_policy())
        if refused is not None:
            raise ValidationError(self.https if refused == PLAIN_HTTP else refused)
        validate.URL(schemes={"http", "https"}, require_tld=False, error=self.syntax)(url)
        return url
