"""Admin pages: staff users, API clients and services, for administrators only.

The rules and the audit are services/admin.py's (the CLI uses them too); these
views turn a form into a call, and its Invalid back into messages beside the
fields. Changes answer with a redirect to the list (303), except a new API
client: its token is in that one answer and nowhere else.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, PasswordField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Optional

from ..clocks import now
from ..extensions import db
from ..models import ApiClient, Service, User
from ..models.user import ROLES
from ..schemas.fields import whole_number
from ..schemas.vocab import SOURCES
from ..services import accounts, admin
from . import bp
from .roles import check_role

# Administration is a blueprint of its own, checked once for every page in it.
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.before_request
def _administrators_only():
    check_role("admin")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choices(blank: str | None, pairs) -> list[SelectChoice]:
    return ([SelectChoice("", blank)] if blank else []) + [SelectChoice(value, label) for value, label in pairs]


class WholeNumberField(IntegerField):
    def process_formdata(self, valuelist):
        # ASCII digits only: int() would also take "٣" (as 3).
        if valuelist and valuelist[0].strip() and not isinstance(whole_number(valuelist[0]), int):
            self.data = None
            raise ValueError("Enter a whole number, for example 600")
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Enter a whole number, for example 600") from None


# Choices are not checked here (validate_choice=False): services/admin.py checks
# roles, sources and services, the one place the CLI's input is checked too.
class UserForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter a username")], filters=[_strip])
    role = SelectField("Role", validators=[DataRequired("Choose a role")], validate_choice=False)
    service = SelectField("Service (clinicians only)", validate_choice=False)
    password = PasswordField("Initial password", validators=[InputRequired("Enter an initial password")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices("Choose a role", [(r, r.replace("_", " ").capitalize()) for r in ROLES])
        self.service.choices = _choices("None", admin.assignable_services().items())


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired("Enter the new password")])


class ApiClientForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter a name")], filters=[_strip])
    sources = SelectMultipleField("Sources it may post as", choices=_choices(None, SOURCES.items()),
                                  validate_choice=False)
    service = SelectField("Service whose own system it is", validate_choice=False)
    rate_limit_per_minute = WholeNumberField("Requests a minute (optional)", validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.service.choices = _choices("None", admin.assignable_services().items())


class ServiceForm(FlaskForm):
    code = SelectField("Route", validators=[DataRequired("Choose the service")], validate_choice=False)
    name = StringField("Name", validators=[DataRequired("Enter a name")], filters=[_strip])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_up = set(db.session.scalars(select(Service.code)))
        self.code.choices = _choices("Choose a service", [
            (code, name) for code, name in admin.service_codes().items()
            if code not in set_up or code == self.code.data])


_DAY_CHOICES = [(str(n), name) for n, name in enumerate(admin.WEEKDAY_NAMES, start=1)]


class VoluntaryOrgForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired("Enter a code, for example good_neighbours")],
                       filters=[_strip])
    name = StringField("Name", validators=[DataRequired("Enter a name")], filters=[_strip])
    duty_days = SelectMultipleField("Days on duty", choices=_choices(None, _DAY_CHOICES), validate_choice=False)


class DutyDaysForm(FlaskForm):
    duty_days = SelectMultipleField("Days on duty", choices=_choices(None, _DAY_CHOICES), validate_choice=False)


def _put_errors(form: FlaskForm, exc: admin.Invalid) -> None:
    for field, message in exc.errors.items():
        form[field].errors = [*form[field].errors, message]


def _summary(form: FlaskForm, ids: dict | None = None) -> list[tuple[str, str]]:
    """(anchor, message) for the error summary, each linking to its field."""
    ids = ids or {}
    return [(ids.get(name, form[name].id), message)
            for name, messages in form.errors.items() if name in form for message in messages]


def _or_404(model, row_id):
    row = db.session.get(model, row_id)
    if row is None:
        abort(404)
    return row


def _back(endpoint: str, message: str):
    flash(message)
    return redirect(url_for(endpoint), 303)


# --- users ---------------------------------------------------------------------

def _users_page(form=None, reset=None, reset_user=None, errors=(), status=200):
    form = form or UserForm(formdata=None)
    reset = reset or ResetPasswordForm(formdata=None)
    summary = [*errors, *_summary(form)]
    if reset_user is not None:
        summary += _summary(reset, {"password": f"new-password-{reset_user.id}"})
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin_users.html", users=users, form=form, reset=reset, reset_user=reset_user,
                           summary=summary, now=now(), services=admin.assignable_services()), status


@admin_bp.get("/users")
def admin_users():
    return _users_page()


@admin_bp.post("/users")
def admin_create_user():
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = admin.create_user(form.username.data, form.role.data, form.service.data, form.password.data,
                                     by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            return _back("web.admin.admin_users", f"Created {user.role.replace('_', ' ')} {user.username}: "
                                            "they can sign in with the password you gave.")
    return _users_page(form=form, status=422)


@admin_bp.post("/users/<int:user_id>/unlock")
def admin_unlock_user(user_id):
    user = _or_404(User, user_id)
    accounts.unlock(user, by=current_user.username, by_id=current_user.id)
    return _back("web.admin.admin_users", f"Unlocked {user.username}: they can sign in now.")


@admin_bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
def admin_user_active(user_id, action):
    user = _or_404(User, user_id)
    try:
        admin.set_user_active(user, action == "reactivate", by=current_user)
    except admin.Invalid as exc:
        return _users_page(errors=[(f"user-{user.id}", exc.errors["user"])], status=422)
    return _back("web.admin.admin_users", f"{user.username} is {action}d.")


@admin_bp.post("/users/<int:user_id>/password")
def admin_reset_password(user_id):
    user = _or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            admin.reset_password(user, form.password.data, by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            return _back("web.admin.admin_users", f"New password set for {user.username}.")
    return _users_page(reset=form, reset_user=user, status=422)


# --- API clients -----------------------------------------------------------------

def _clients_page(form=None, created=None, token=None, status=200):
    form = form or ApiClientForm(formdata=None)
    clients = db.session.scalars(select(ApiClient).order_by(ApiClient.name)).all()
    return render_template("admin_api_clients.html", clients=clients, form=form, summary=_summary(form),
                           created=created, token=token, sources=SOURCES), status


@admin_bp.get("/api-clients")
def admin_api_clients():
    return _clients_page()


@admin_bp.post("/api-clients")
def admin_create_api_client():
    form = ApiClientForm()
    if form.validate_on_submit():
        try:
            client, token = admin.create_api_client(form.name.data, form.sources.data or [], form.service.data,
                                                    form.rate_limit_per_minute.data, by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            # Shown in this answer only (never the session, a flash or a log): SPOA keeps a hash.
            return _clients_page(created=client, token=token, status=201)
    return _clients_page(form=form, status=422)


@admin_bp.post("/api-clients/<int:client_id>/revoke")
def admin_revoke_api_client(client_id):
    client = _or_404(ApiClient, client_id)
    admin.revoke_api_client(client, by=current_user)
    return _back("web.admin.admin_api_clients", f"Revoked {client.name}: its token no longer works.")


# --- services --------------------------------------------------------------------

def _services_page(form=None, org_form=None, days_form=None, days_org=None, status=200):
    form = form or ServiceForm(formdata=None)
    org_form = org_form or VoluntaryOrgForm(formdata=None, prefix="org")  # its code and name beside the form above
    days_form = days_form or DutyDaysForm(formdata=None)
    summary = [*_summary(form), *_summary(org_form)]
    if days_org is not None:
        summary += _summary(days_form, {"duty_days": f"duty-days-{days_org.id}"})
    services = db.session.scalars(select(Service).order_by(Service.kind, Service.code)).all()
    return render_template("admin_services.html", services=services, form=form, org_form=org_form,
                           days_form=days_form, days_org=days_org, summary=summary, day_choices=_DAY_CHOICES,
                           days_in_words=admin.days_in_words), status


@admin_bp.get("/services")
def admin_services():
    return _services_page()


@admin_bp.post("/services")
def admin_create_service():
    form = ServiceForm()
    if form.validate_on_submit():
        try:
            service = admin.create_service(form.code.data, form.name.data, by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            return _back("web.admin.admin_services", f"Set up {service.name} ({service.code}).")
    return _services_page(form=form, status=422)


@admin_bp.post("/services/voluntary")
def admin_create_voluntary_org():
    form = VoluntaryOrgForm(prefix="org")
    if form.validate_on_submit():
        try:
            org = admin.create_voluntary_org(form.code.data, form.name.data, form.duty_days.data or [],
                                             by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            return _back("web.admin.admin_services", f"Added {org.name} ({org.code}) to the duty rota: "
                                               f"{admin.days_in_words(org.duty_days)}. It is offered referrals "
                                               "once it declares its capacity for the day.")
    return _services_page(org_form=form, status=422)


@admin_bp.post("/services/<int:service_id>/duty-days")
def admin_set_duty_days(service_id):
    org = _or_404(Service, service_id)
    form = DutyDaysForm()
    if form.validate_on_submit():
        try:
            admin.set_duty_days(org, form.duty_days.data or [], by=current_user)
        except admin.Invalid as exc:
            _put_errors(form, exc)
        else:
            return _back("web.admin.admin_services", f"{org.name} is on duty: {admin.days_in_words(org.duty_days)}.")
    return _services_page(days_form=form, days_org=org, status=422)


@admin_bp.post("/services/<int:service_id>/<any(deactivate, reactivate):action>")
def admin_service_active(service_id, action):
    service = _or_404(Service, service_id)
    admin.set_service_active(service, action == "reactivate", by=current_user)
    return _back("web.admin.admin_services", f"{service.name} is {action}d.")


bp.register_blueprint(admin_bp)  # endpoints: web.admin.<view>
