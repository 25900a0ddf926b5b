"""Making a notification's rows: one copy a channel (notifications/channels.py) to an
addressee (notifications/addressing.py), into the outbox. A clock's threshold
(notifications/chasing.py) and an alert no clock produced (a flag raised, a delay, a
failed delivery) are made the same way."""
import logging

from spoa.models import Notification
from spoa.notifications.addressing import Addressee, addressee
from spoa.notifications.channels import copies_for
from spoa.services import rota

log = logging.getLogger(__name__)
SUBJECT_LENGTH = Notification.subject.type.length


def said(subject: str, to: Addressee) -> str:
    """The subject, saying who was passed over when the message went on to someone
    else at once. With nobody on any link it stays with the role as addressed, as
    before there was a rota: its nobody_on_duty (the payload, the JSON) says so."""
    if not to.nobody_on_duty or to.user_id is None:
        return subject
    words = f"{subject} ({rota.nobody_words(to.nobody_on_duty)})"
    return words if len(words) <= SUBJECT_LENGTH else words[:SUBJECT_LENGTH - 1] + "…"


def notifications(referral, to: Addressee, subject: str, at, **origin) -> list[Notification]:
    """A row for each copy (copies_for), the in-app one delivered as it is committed,
    the others pending for the delivery pass. ``origin``: the row's alert id and the like."""
    made = []
    for recipient, channel, target in copies_for(to.recipient, to.user_id):
        delivered = channel == "in_app"  # shown on the pages as soon as it is committed
        made.append(Notification(
            referral_id=referral.id, recipient=recipient, channel=channel, target=target, subject=subject,
            user_id=to.user_id, nobody_on_duty=to.nobody_on_duty,
            status="delivered" if delivered else "pending",
            delivered_at=at if delivered else None, next_attempt_at=None if delivered else at, **origin))
    return made


def alert(referral, recipient: str, subject: str, alert_id: str, at) -> list[Notification]:
    """A notification no clock produced (a flag raised, services/flags.py; a delay,
    delays.py; a failed delivery, delivery.py): to the person on duty as the
    recipient, through the same channels as a clock's, and no effect on any clock."""
    to = addressee(referral, recipient, at)
    made = notifications(referral, to, said(subject, to), at, alert=alert_id, created_at=at)
    referral.alerts.extend(made)
    log.info("alert %s referral_id=%s recipient=%s user_id=%s", alert_id, referral.id, to.recipient, to.user_id)
    return made
