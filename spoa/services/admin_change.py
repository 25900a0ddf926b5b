"""An administrator's change (users.py, api_clients.py, service_setup.py): one
audit event naming who made it (never a password or a token), one commit."""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from spoa.domain import audit
from spoa.domain.actor import CLI_NAME, Actor
from spoa.extensions import db
from spoa.models import User
from spoa.schemas.form_input import one_error

CLI_ACTOR = CLI_NAME  # the name accounts.unlock already records for the CLI


def record(by: User | None, event: str, **detail) -> None:
    """by=None is the CLI (whoever has a shell on the server)."""
    audit.record(Actor.for_user(by) if by else Actor.cli(), event, detail=detail)


@contextmanager
def saving(field: str, message: str):
    """Write, then commit. A unique constraint lost to someone saving the same name
    in the same instant is the mistake the service's check finds, told the same way."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise one_error(field, message) from None


def refuse_if_taken(taken: bool, field: str, message: str) -> None:
    """The uniqueness step of a change: a name or code already in use, beside its field."""
    if taken:
        raise one_error(field, message)
