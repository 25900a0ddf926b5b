"""People and shifts on the duty rota, for tests: person(db, "sam", "clinician",
"crisis_response"), on_duty(db, "spoa_supervisor", sue, "2026-12-01T08:00", "2026-12-01T20:00")."""
from datetime import datetime

from spoa.models import User
from spoa.platform.timekeeping import parse_uk
from spoa.services import rota
from tests.support.people import PASSWORD


def person(db, username: str, role: str, service: str | None = None, *, team_lead: bool = False) -> User:
    user = User(username=username, role=role, service=service, team_lead=team_lead)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


def on_duty(db, recipient: str, user: User, start: str | datetime, end: str | datetime, by: User | None = None):
    """A shift added the way the CLI and the page add one: UK local times as typed,
    or instants (aware datetimes) as a test's own clock has them."""
    duty, service = rota.split_recipient(recipient)
    return rota.add_shift(duty=duty, service=service, user=user, starts_at=_instant(start),
                          ends_at=_instant(end), by=by)


def _instant(when: str | datetime) -> datetime:
    return parse_uk(when) if isinstance(when, str) else when
