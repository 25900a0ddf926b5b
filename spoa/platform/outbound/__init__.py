"""What may leave the building, and how: every URL SPOA posts to (an API client's
callback, a BaRS sender's endpoint, a webhook channel) is checked against one
policy (policy.py) when an administrator sets it and again when a worker
connects, against the address the name resolves to then (http.py). Each
request has one wall-clock deadline, from the DNS look-up to the last byte
read, and no redirect is followed."""
from spoa.platform.outbound.http import DeadlinePassed, Refused, post
from spoa.platform.outbound.policy import Policy, current_policy, url_refusal

__all__ = ["DeadlinePassed", "Policy", "Refused", "current_policy", "post", "url_refusal"]
