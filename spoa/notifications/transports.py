"""How the outbox reaches a far end, one function a channel: email (SMTP), a webhook
(SMS gateways and any other system), an outcome to a JSON API sender (signed as
Standard Webhooks say) and an outcome to a BaRS sender (a servicerequest-response to
its $process-message). Each is made in the delivery pass's thread from the claim's
plain values and returns what a sending thread runs: the network part only, under
one deadline to a vetted address (spoa/platform/outbound)."""
import base64
import json
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from standardwebhooks import Webhook

from spoa.platform import outbound
from spoa.platform.outbound import smtp
from spoa.platform.timekeeping import now


class NotSent(Exception):
    """Nothing went out: what the message needs is missing here (a secret, the
    original message). A failed attempt like any other, but no fault of the receiver's."""


@dataclass(frozen=True)
class Way:
    """How this pass reaches far ends: plain values, read in the app, used by the sending threads."""
    seconds: float
    policy: outbound.Policy
    smtp: tuple

    def post(self, url: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        return outbound.post(url, body, headers, self.seconds, self.policy)


def _answered(what: str, status: int) -> None:
    if 300 <= status < 400:  # never followed: a POST must not become a GET to wherever the receiver says
        raise OSError(f"{what} answered {status}, a redirect (not followed)")
    if not 200 <= status < 300:
        raise OSError(f"{what} answered {status}")


def _email(c: dict, way: Way):
    sender, host, port = way.smtp
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, c["target"], "SPOA: " + c["subject"]
    msg["X-SPOA-Notification"] = str(c["id"])
    msg.set_content(json.dumps(c["payload"], indent=2))
    return lambda: smtp.send(msg, host, port, way.seconds)


def _webhook(c: dict, way: Way):
    body = json.dumps(c["payload"]).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": f"spoa-notification-{c['id']}"}
    return lambda: _answered("webhook", way.post(c["target"], body, headers)[0])


def _signed_webhook(c: dict, way: Way):
    """An outcome to a JSON API sender's callback, signed as Standard Webhooks say:
    the same webhook-id on every retry (the receiver dedupes on it), the
    timestamp of this attempt, the signature over id, timestamp and these bytes."""
    if c.get("secret") is None:
        raise NotSent(c.get("secret_problem") or "no signing secret")
    at = now()
    body = json.dumps({"type": c["payload"]["type"], "timestamp": at.isoformat(), "data": c["payload"]["data"]},
                      separators=(",", ":"))
    message_id = f"spoa-outcome-{c['id']}"
    signature = Webhook(c["secret"]).sign(msg_id=message_id, timestamp=at, data=body)
    headers = {"Content-Type": "application/json", "webhook-id": message_id,
               "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": signature}
    return lambda: _answered("callback", way.post(c["target"], body.encode(), headers)[0])


def _bars(c: dict, way: Way):
    """An outcome to a BaRS sender: the servicerequest-response POSTed to its
    $process-message. X-Request-ID was fixed with the outcome, so it is the same
    on every retry of this message (and new for each message): the receiver
    de-duplicates on it, as BaRS receivers do. X-Correlation-ID is the original
    message's. A 409 duplicate answer means an earlier attempt got there
    (the standard's Failure-Scenarios): delivered, not an error."""
    from spoa.models.fhir_endpoint import endpoint_key
    from spoa.notifications import bars_response

    if c.get("original") is None:
        raise NotSent(c.get("bars_problem") or "the original message is missing")
    body = bars_response.build(c["payload"], c["original"], current_app.config["SPOA_DOS_SERVICE_IDS"])
    system, _, value = (endpoint_key(c["original"]["source_endpoint"]) or "").rpartition("|")
    target_identifier = base64.b64encode(json.dumps({"value": value, "system": system}).encode()).decode()
    headers = {"Content-Type": bars_response.JSON_TYPE, "Accept": bars_response.JSON_TYPE,
               "X-Request-ID": c["payload"]["bars"]["request_id"], "X-Correlation-ID": c["original"]["correlation_id"],
               "NHSD-Target-Identifier": target_identifier}

    def send():
        status, answer = way.post(c["target"], body, headers)
        if status == 409 and _is_duplicate(answer):
            return
        _answered("$process-message", status)
    return send


def _is_duplicate(answer: bytes) -> bool:
    """A 409 whose OperationOutcome has an issue of code duplicate (the code BaRS keeps for that)."""
    try:
        outcome = json.loads(answer or b"{}")
    except ValueError:
        return False
    issues = outcome.get("issue") if isinstance(outcome, dict) else None
    return any(isinstance(i, dict) and i.get("code") == "duplicate" for i in issues or [])


# Each makes, in the pass's thread (the app's), what a sending thread runs: the network part only.
SENDERS = {"email": _email, "webhook": _webhook, "sender_webhook": _signed_webhook, "bars": _bars}
