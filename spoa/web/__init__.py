"""Server-rendered pages for staff: sign-in, the referral form and page, worklists
and their actions, administration. Every page but sign-in and /health needs a session."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from . import actions, admin, auth, queue, referrals, worklist  # noqa: E402,F401  (routes register on import)
