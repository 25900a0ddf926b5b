"""Sign in and sign out."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from spoa.models.user import ADDRESS_CHARS
from spoa.platform import throttle
from spoa.services import accounts
from spoa.web import bp
from spoa.web.roles import landing_url
from spoa.web.security import end_session, start_session

# One answer for every refusal, whoever asks (see services/accounts.py): it names
# the lock and the wait as possibilities without saying whether either applies.
REFUSED = (f"The username or password is not right. After {accounts.MAX_FAILURES} failed sign-ins from one "
           f"computer an account is locked from that computer for "
           f"{int(accounts.LOCK_FOR.total_seconds() // 60)} minutes (sign in from another, or ask an "
           "administrator to unlock it); after many failed sign-ins from anywhere, wait a minute between tries.")


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username"), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])


def safe_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: never an open redirect."""
    # A backslash too: browsers read "/\\evil.example" as "//evil.example". Control
    # characters never belong in a path, and a newline in a Location header is refused
    # by the server (a 500), or worse, splits the response.
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)):
        return default
    try:
        return default if urlsplit(target).netloc else target
    except ValueError:  # not a URL at all
        return default


def _address() -> str:
    """Where the attempt comes from: the client's address as ProxyFix gives it
    (PROXY_FIX_HOPS), so behind a proxy each person's, not the proxy's. Cut to what is
    stored: a proxy that passes on the client's own header makes it any text."""
    return (request.remote_addr or "unknown")[:ADDRESS_CHARS]


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        # The address's throttle counts failures only (a success is never counted), and
        # even past it the right password gets in to an account not failed on from here
        # lately: staff behind one shared address are not stopped by one noisy desk.
        address, window = _address(), current_app.config["SIGN_IN_THROTTLE_MINUTES"] * 60
        over = throttle.count("sign_in_failures", address, window) >= current_app.config["SIGN_IN_ATTEMPTS_PER_ADDRESS"]
        result = accounts.sign_in(form.username.data, form.password.data, address, address_over=over)
        if result.user is not None:
            start_session(result.user)
            return redirect(safe_path(request.args.get("next"), landing_url(result.user)))
        throttle.take("sign_in_failures", address, window)
        if over:
            wait = throttle.retry_after(window)
            error = (f"Too many failed sign-ins from this computer's network address. Wait "
                     f"{max(1, round(wait / 60))} minute(s), then try again.")
            return (render_template("login.html", form=form, error=error), 429,
                    {"Retry-After": str(wait)})
        error = REFUSED
    status = 401 if request.method == "POST" and (error or form.errors) else 200
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    accounts.sign_out(current_user._get_current_object())  # every session of this user, not only this cookie
    end_session()
    flash("You have signed out.")
    return redirect(url_for("web.login"))


@bp.get("/")
@login_required
def home():
    return render_template("home.html", user=current_user)
