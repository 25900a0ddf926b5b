"""Server-rendered pages for staff: sign-in, the referral form and page, worklists
and their actions, administration. Every page but sign-in and /health needs a session."""
from flask import Blueprint

from spoa.domain.sender_outcomes import told_line
from spoa.platform.timekeeping import format_uk

bp = Blueprint("web", __name__)
bp.add_app_template_global(format_uk, "format_uk")  # every page shows times in UK time
bp.add_app_template_global(told_line, "sender_told")  # the timeline: what the sender heard of an event

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
