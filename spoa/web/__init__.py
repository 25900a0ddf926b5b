"""Server-rendered pages for staff: sign-in now; the intake form, referral pages
and worklists are issue 5's next steps. Every page but sign-in and /health
needs a session."""
from flask import Blueprint

bp = Blueprint("web", __name__)

from . import auth, referrals, worklist  # noqa: E402,F401  (routes register on import)
