"""Sign in and sign out."""
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..clocks import format_uk
from ..services.accounts import sign_in
from . import bp


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username"), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=200)])


def safe_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site, else ``default``: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        result = sign_in(form.username.data, form.password.data)
        if result.user is not None:
            login_user(result.user)
            return redirect(safe_path(request.args.get("next"), url_for("web.home")))
        if result.locked_until:
            error = (f"This account is locked after too many failed sign-ins, until "
                     f"{format_uk(result.locked_until)}. An administrator can unlock it sooner.")
        else:
            error = "The username or password is not right."
    status = 401 if request.method == "POST" and (error or form.errors) else 200
    return render_template("login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You have signed out.")
    return redirect(url_for("web.login"))


@bp.get("/")
@login_required
def home():
    return render_template("home.html", user=current_user)
