"""Staff users: created, deactivated and given new passwords by an administrator
(the Users page) or the CLI, from data loaded by schemas/users.py."""
from sqlalchemy import select

from spoa.extensions import db
from spoa.models import User
from spoa.models.user import username_key
from spoa.schemas.form_input import one_error
from spoa.schemas.users import team_lead_refused
from spoa.services.admin_change import record, refuse_if_taken, saving


def create_user(*, username: str, role: str, service: str | None, password: str, by: User | None,
                hospital_ods: str | None = None, team_lead: bool = False) -> User:
    """Stored and signed in with as username_key (case ignored), so that is the one
    comparison for a name already taken; the message repeats the name as typed."""
    if team_lead:
        refuse_team_lead(role, username)
    key = username_key(username)
    taken = f"There is already a user called {username}"
    refuse_if_taken(db.session.scalar(select(User.id).where(User.username == key)) is not None, "username", taken)
    user = User(username=key, role=role, service=service, hospital_ods=hospital_ods, team_lead=team_lead)
    user.set_password(password)
    with saving("username", taken):
        db.session.add(user)
        db.session.flush()  # its id, for the audit
        record(by, "user_created", user_id=user.id, username=key, role=role, service=service,
               hospital_ods=hospital_ods, team_lead=team_lead)
    return user


def set_user_active(user: User, active: bool, by: User) -> None:
    """Deactivate (signed out at their next request, and unable to sign in) or reactivate.
    No one deactivates themselves: the last admin could otherwise lock everyone out."""
    if not active and user.id == by.id:
        raise one_error("user", "You cannot deactivate your own account")
    if user.is_active != active:
        user.is_active = active
        user.end_sessions()  # reactivating never brings back a session from before
        record(by, "user_reactivated" if active else "user_deactivated", user_id=user.id, username=user.username)
    db.session.commit()


def reset_password(user: User, password: str, by: User) -> None:
    """password: from schemas.users.NewPasswordSchema."""
    user.set_password(password)
    user.end_sessions()  # whoever knew the old password is signed out everywhere
    record(by, "password_reset", user_id=user.id, username=user.username)
    db.session.commit()


def refuse_team_lead(role: str, username: str) -> None:
    refused = team_lead_refused(role, username)
    if refused:
        raise one_error("team_lead", refused)


def set_team_lead(user: User, on: bool, by: User | None) -> None:
    if on:
        refuse_team_lead(user.role, user.username)
    if user.team_lead != on:
        user.team_lead = on
        record(by, "team_lead_set" if on else "team_lead_unset", user_id=user.id, username=user.username)
    db.session.commit()
