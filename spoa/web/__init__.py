"""Server-rendered pages for staff: sign-in, the referral form and page, worklists
and their actions, administration. Every page but sign-in and /health needs a session."""
from flask import Blueprint

from spoa.domain import access
from spoa.domain.sender_outcomes import told_line
from spoa.platform.timekeeping import format_uk

bp = Blueprint("web", __name__)
bp.add_app_template_global(format_uk, "format_uk")  # every page shows times in UK time
bp.add_app_template_global(told_line, "sender_told")  # the timeline: what the sender heard of an event
# A link to a page is offered by the same access policy predicate the page's view asks (web/roles.py).
for _predicate in (access.may_enter_referrals, access.may_see_reports, access.may_download_rows,
                   access.may_see_rota, access.may_administer):
    bp.add_app_template_global(_predicate)

from spoa.web import (  # noqa: E402,F401  (routes register on import)
    actions,
    admin,
    auth,
    capacity,
    discharges,
    handover,
    idle,
    notifications,
    queue,
    referrals,
    replay,
    reports,
    rota,
    ward,
    worklist,
)
