"""/api/v1/status: the coordination centre's feed of today's figures (SHREWD),
read-only, for a client given the "status" scope (spoa/domain/access.py)."""
from flask import g

from spoa.api import bp, rate_limit
from spoa.api.auth import require_actor
from spoa.api.openapi import answer, named, operation
from spoa.domain import access
from spoa.platform.problem import Problem
from spoa.reports.status_feed import status
from spoa.schemas.status import StatusFeedSchema

FEED = StatusFeedSchema()


@bp.get("/v1/status")
@operation("Today's figures for the system coordination centre: open referrals and breaches per route, "
           "2-hour performance, capacity, duty organisations, delayed discharges (no patient data; "
           "clients with the status scope)", errors=(403, 429),
           answers={200: answer("Today's figures", named("StatusFeed", FEED))})
def status_feed():
    actor = require_actor()
    if not access.may_read_status_feed(actor):
        raise Problem(403, "This client may not read the status feed: an administrator gives it the scope "
                           "'status' (API clients page, or create-api-client --scopes status).")
    # A dashboard polling too fast costs the database an aggregate a request: the
    # same per-client rate as every other API call (its own rate, if it has one).
    rate_limit.enforce(g.api_client)
    return FEED.dump(status())
