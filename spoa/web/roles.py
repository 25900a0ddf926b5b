"""The one role check for pages: ``@role_required("supervisor")`` on a view, or
``check_role(...)`` in a blueprint's before_request. Which referral a person may
read is the access policy's question (spoa/domain/access.py), not a role's."""
from functools import wraps

from flask import abort, url_for
from flask_login import current_user

from spoa.domain.actor import Actor


def check_role(*roles: str) -> None:
    """403 unless the signed-in person has one of ``roles`` (sign-in is already
    required for every page but a few: web/security.py)."""
    if not current_user.is_authenticated or current_user.role not in roles:
        abort(403)


def role_required(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            check_role(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorate


# Where a role starts after signing in, when it is not sent somewhere in particular:
# a ward's one job here is its patients awaiting discharge, a manager's and an
# analyst's the reports. Others: the home page.
LANDING = {"ward": "web.ward_discharges", "manager": "web.reports.page", "analyst": "web.reports.page"}


def landing_url(user) -> str:
    return url_for(LANDING.get(user.role, "web.home"))


def current_actor() -> Actor:
    return Actor.for_user(current_user)
