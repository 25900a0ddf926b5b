"""Sessions, CSRF and the headers every page carries."""
from flask import redirect, request, url_for
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

from ..extensions import db
from ..models import User

login_manager = LoginManager()
csrf = CSRFProtect()

# No inline script or style anywhere: the CSP allows only our own files.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'")
PUBLIC_ENDPOINTS = {"web.login", "health.health", "static"}


def init_app(app) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "web.login"
    login_manager.login_message = "Please sign in to see that page."
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(user_id):
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.is_active else None

    @app.before_request
    def _require_session():
        # The API authenticates each request itself (bearer tokens) and is not a form.
        if request.blueprint == "api" or request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return None

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.blueprint != "api" and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")  # patient data: not in browser caches
        return response

    # The API takes bearer tokens, not cookies: CSRF does not apply to it.
    from ..api import bp as api_bp

    csrf.exempt(api_bp)
