"""Administration: staff users, API clients and services.

Each rule an administrator's change must meet is checked in one place here, for
the admin pages and the CLI alike, and each change leaves one audit event naming
who made it (never a password or a token). Each change commits once.
"""
import re
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..actor import CLI_NAME, Actor
from ..extensions import db
from ..clocks import WEEKDAY_NAMES, days_in_words, parse_weekdays  # noqa: F401 - pages use admin.*
from ..models import ApiClient, Service, User
from ..models.user import ROLES, username_key
from ..policy import current_policy
from ..schemas.vocab import SOURCES

PASSWORD_MIN, PASSWORD_MAX = 8, 200  # the sign-in form takes at most 200 characters
USERNAME_MAX, NAME_MAX = 80, 120  # the columns' lengths
RATE_MAX = 100_000  # requests a minute; a 4-byte integer column in PostgreSQL
CLI_ACTOR = CLI_NAME  # the name accounts.unlock already records for the CLI


class Invalid(Exception):
    """Input an administrator can put right: field name -> message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


_ORG_CODE = re.compile(r"^[a-z0-9_]+$")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # ASCII: no two names that look alike
ORG_CODE_MAX = 32  # services.code


def service_codes() -> dict[str, str]:
    """The routes the policy calls services (code -> name): the only codes a
    Service row of kind clinical may name."""
    return current_policy().services


def voluntary_codes() -> dict[str, str]:
    """The active voluntary organisations on the duty rota (code -> name)."""
    rows = db.session.execute(select(Service.code, Service.name)
                              .where(Service.kind == "voluntary", Service.is_active).order_by(Service.name))
    return dict(rows.all())


def assignable_services() -> dict[str, str]:
    """What a clinician or a service's system may belong to: a policy service, or
    an active voluntary organisation (its clinicians see what it is offered)."""
    return {**service_codes(), **voluntary_codes()}


# --- the checks, one idea each: a message, or None when all is well ----------

def check_service(code: str | None) -> str | None:
    if code and code not in assignable_services():
        return f"Unknown service {code} (known: {', '.join(assignable_services())})"
    return None


def check_role_and_service(role: str, service: str | None) -> dict[str, str]:
    """A clinician belongs to one service; no one else has one, since a service
    gives its holder the service's own actions on every referral routed there."""
    if role not in ROLES:
        return {"role": f"Unknown role {role} (known: {', '.join(ROLES)})"}
    if role == "clinician" and not service:
        return {"service": "A clinician belongs to one service: choose it"}
    if role != "clinician" and service:
        return {"service": "Only a clinician belongs to a service: choose none for this role"}
    problem = check_service(service)
    return {"service": problem} if problem else {}


def check_password(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"The password must be at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"The password must be at most {PASSWORD_MAX} characters"
    return None


def check_username(username: str) -> str | None:
    if not username:
        return "Enter a username"
    if len(username) > USERNAME_MAX:
        return f"The username must be at most {USERNAME_MAX} characters"
    if not _USERNAME.fullmatch(username_key(username)):
        return "A username is letters a to z, digits and . _ - only, starting with a letter or digit"
    # Stored and signed in with as username_key (case ignored), so this is the one comparison.
    if db.session.scalar(select(User.id).where(User.username == username_key(username))):
        return f"There is already a user called {username}"
    return None


def check_sources(sources: list[str], service: str | None) -> str | None:
    """A client posts as its sources, or acts for its service: with neither it could do nothing."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        return f"Unknown source {', '.join(unknown)} (known: {', '.join(SOURCES)})"
    if not sources and not service:
        return "Choose the sources it may post as, or the service whose system it is"
    return None


def check_rate(rate: int | None) -> str | None:
    if rate is not None and not 1 <= rate <= RATE_MAX:
        return f"The rate must be a whole number from 1 to {RATE_MAX:,} requests a minute"
    return None


def check_name(name: str) -> str | None:
    if not name:
        return "Enter a name"
    if len(name) > NAME_MAX:
        return f"The name must be at most {NAME_MAX} characters"
    return None


def check_client_name(name: str) -> str | None:
    if problem := check_name(name):
        return problem
    if db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)):
        return f"There is already an API client called {name}"
    return None


def check_service_code(code: str) -> str | None:
    """A Service row is one of the policy's services, set up once."""
    if not code:
        return "Choose the service"
    if code not in service_codes():
        return f"{code} is not a service in the routing policy (known: {', '.join(service_codes())})"
    if db.session.scalar(select(Service.id).where(Service.code == code)):
        return f"The service {code} is already set up"
    return None


def _raise_if(errors: dict[str, str | None]) -> None:
    errors = {field: message for field, message in errors.items() if message}
    if errors:
        raise Invalid(errors)


def _audit(by: User | None, event: str, **detail) -> None:
    audit.record(Actor.for_user(by) if by else Actor.cli(), event, detail=detail)


@contextmanager
def _saving(errors: dict[str, str]):
    """Write, then commit. A unique constraint lost to someone saving the same name
    in the same instant is the same mistake the checks find, and is told the same way."""
    try:
        yield
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Invalid(errors) from None


# --- users ---------------------------------------------------------------------

def create_user(username: str, role: str, service: str | None, password: str, by: User | None) -> User:
    username, service = username.strip(), service or None
    _raise_if({"username": check_username(username), **check_role_and_service(role, service),
               "password": check_password(password)})
    username = username_key(username)
    user = User(username=username, role=role, service=service)
    user.set_password(password)
    with _saving({"username": f"There is already a user called {username}"}):
        db.session.add(user)
        db.session.flush()  # its id, for the audit
        _audit(by, "user_created", user_id=user.id, username=username, role=role, service=service)
    return user


def set_user_active(user: User, active: bool, by: User) -> None:
    """Deactivate (signed out at their next request, and unable to sign in) or reactivate.
    No one deactivates themselves: the last admin could otherwise lock everyone out."""
    if not active and user.id == by.id:
        raise Invalid({"user": "You cannot deactivate your own account"})
    if user.is_active != active:
        user.is_active = active
        user.end_sessions()  # reactivating never brings back a session from before
        _audit(by, "user_reactivated" if active else "user_deactivated", user_id=user.id, username=user.username)
    db.session.commit()


def reset_password(user: User, password: str, by: User) -> None:
    _raise_if({"password": check_password(password)})
    user.set_password(password)
    user.end_sessions()  # whoever knew the old password is signed out everywhere
    _audit(by, "password_reset", user_id=user.id, username=user.username)
    db.session.commit()


# --- API clients -----------------------------------------------------------------

def create_api_client(name: str, sources: list[str], service: str | None, rate: int | None,
                      by: User | None) -> tuple[ApiClient, str]:
    """A new client and its token: the token is returned this once, never stored or recorded."""
    name, sources, service = name.strip(), list(sources), service or None
    _raise_if({
        "name": check_client_name(name),
        "sources": check_sources(sources, service),
        "service": check_service(service),
        "rate_limit_per_minute": check_rate(rate),
    })
    client, token = ApiClient.issue(name=name, sources=sources or None, service=service,
                                    rate_limit_per_minute=rate)
    with _saving({"name": f"There is already an API client called {name}"}):
        db.session.add(client)
        db.session.flush()
        _audit(by, "api_client_created", client_id=client.id, name=name, sources=sources, service=service,
               rate_limit_per_minute=rate)
    return client, token


def revoke_api_client(client: ApiClient, by: User) -> None:
    """Its token stops working at once (the API answers 401). There is no undoing it:
    issue a new client instead, so a leaked token never comes back to life."""
    if client.is_active:
        client.is_active = False
        _audit(by, "api_client_revoked", client_id=client.id, name=client.name)
    db.session.commit()


# --- services --------------------------------------------------------------------

def create_service(code: str, name: str, by: User) -> Service:
    code, name = (code or "").strip(), name.strip()
    _raise_if({"code": check_service_code(code), "name": check_name(name)})
    service = Service(code=code, name=name)
    with _saving({"code": f"The service {code} is already set up"}):
        db.session.add(service)
        db.session.flush()
        _audit(by, "service_created", service_id=service.id, code=code, name=name)
    return service


def check_org_code(code: str) -> str | None:
    """A voluntary organisation's code: short, lower case, and no one else's."""
    if not code:
        return "Enter a code, for example good_neighbours"
    if len(code) > ORG_CODE_MAX or not _ORG_CODE.match(code):
        return f"The code is lower-case letters, digits and _ only, at most {ORG_CODE_MAX} characters"
    if code in current_policy().routes:
        return f"{code} is a route in the routing policy: choose another code"
    if db.session.scalar(select(Service.id).where(Service.code == code)):
        return f"There is already a service or organisation with the code {code}"
    return None


def parse_duty_days(days) -> list[int]:
    """Weekdays as ISO numbers (1 = Monday), from names (mon, Monday) or numbers 1-7
    (rules.calendar.parse_weekdays). Raises Invalid naming the one not understood."""
    try:
        return sorted(parse_weekdays(days))
    except ValueError as exc:
        raise Invalid({"duty_days": str(exc)}) from None


def check_duty_days(days: list[int]) -> str | None:
    if not days:
        return "Choose the days it is on duty (to take it off the rota, deactivate it)"
    return None


def create_voluntary_org(code: str, name: str, duty_days, by: User | None) -> Service:
    """A voluntary organisation on the duty rota. Its capacity is declared each day
    it is on duty (the service's capacity page); until then it is offered nothing."""
    code, name = (code or "").strip(), (name or "").strip()
    days = parse_duty_days(duty_days)
    _raise_if({"code": check_org_code(code), "name": check_name(name), "duty_days": check_duty_days(days)})
    org = Service(code=code, name=name, kind="voluntary", duty_days=days)
    with _saving({"code": f"There is already a service or organisation with the code {code}"}):
        db.session.add(org)
        db.session.flush()
        _audit(by, "voluntary_org_created", service_id=org.id, code=code, name=name, duty_days=days)
    return org


def set_duty_days(org: Service, duty_days, by: User | None) -> None:
    days = parse_duty_days(duty_days)
    if org.kind != "voluntary":
        raise Invalid({"duty_days": f"{org.name} is not a voluntary organisation: it has no duty rota"})
    _raise_if({"duty_days": check_duty_days(days)})
    if list(org.duty_days or []) != days:
        before, org.duty_days = list(org.duty_days or []), days
        _audit(by, "duty_days_changed", service_id=org.id, code=org.code, before=before, after=days)
    db.session.commit()


def set_service_active(service: Service, active: bool, by: User) -> None:
    if service.is_active != active:
        service.is_active = active
        _audit(by, "service_reactivated" if active else "service_deactivated", service_id=service.id,
               code=service.code)
    db.session.commit()
