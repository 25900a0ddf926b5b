"""The one check for pages: ``@allowed(access.may_use_queue)`` on a view (or on a
blueprint's before_request, for every page of it), with an access policy predicate
of the signed-in user (spoa/domain/access.py). Refused: 403, or 404 with ``hidden=True``
for a page whose very being is none of the person's business. A check that needs
the page's own object (a table, a service's list) calls ``check`` in the view.
Which referral a person may read is the access policy's question too, asked per
referral (web/pages.py: referral_or_404)."""
from functools import wraps

from flask import abort, url_for
from flask_login import current_user

from spoa.domain.actor import Actor


def check(predicate, *args, hidden: bool = False) -> None:
    """403 (404 if ``hidden``) unless ``predicate(user, *args)`` allows the signed-in person
    (sign-in is already required for every page but a few: web/security.py)."""
    if not (current_user.is_authenticated and predicate(current_user, *args)):
        abort(404 if hidden else 403)


def allowed(predicate, *, hidden: bool = False):
    """A view for those ``predicate`` allows (see ``check``)."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            check(predicate, hidden=hidden)
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
