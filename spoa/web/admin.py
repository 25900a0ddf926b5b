"""Admin pages: staff users, API clients (and their BaRS endpoints) and services,
for administrators only.

Each form is loaded by its schema (spoa/schemas/: the CLI loads its options
with the same one) and handed to its service (services/users.py,
api_clients.py, fhir_endpoints.py, service_setup.py: the rules the database keeps, and the
audit). A mistake from either comes back as the page again with each message
beside its field, through one helper (_submit). Changes answer with a
redirect to the list (303), except a new API client: its token is in that one
answer and nowhere else.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from spoa.domain import access
from spoa.domain.vocab import SOURCES
from spoa.extensions import db
from spoa.models import ApiClient, FhirEndpoint, Service, User
from spoa.models.user import ROLES, SCOPES
from spoa.notifications import fhir_endpoints
from spoa.platform.timekeeping import WEEKDAY_NAMES, days_in_words, now
from spoa.schemas.api_clients import NewApiClientSchema
from spoa.schemas.fhir_endpoints import ClientSchema, NewFhirEndpointSchema
from spoa.schemas.services import (
    DutyDaysSchema,
    NewServiceSchema,
    NewVoluntaryOrgSchema,
    assignable_services,
    service_codes,
)
from spoa.schemas.users import NewPasswordSchema, NewUserSchema
from spoa.services import accounts, api_clients, service_setup, users
from spoa.web import bp
from spoa.web.forms import Form
from spoa.web.roles import allowed

# Administration is a blueprint of its own, checked once for every page in it.
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@admin_bp.before_request
@allowed(access.may_administer)
def _administrators_only():
    return None


def _submit(form: Form, act, page):
    """The one way an admin form is handled: load it through its schema and act on
    the data; a ValidationError (from the schema, or the service's check of the
    database) shows the page again with each message beside its field, 422."""
    try:
        return act(form.load())
    except ValidationError as exc:
        form.fail(exc)
        return page(form)


# Row ids are 32-bit: a longer number in the address is no row (not a database error).
_MAX_ID = 2**31 - 1


def _or_404(model, row_id):
    row = db.session.get(model, row_id) if 0 < row_id <= _MAX_ID else None
    if row is None:
        abort(404)
    return row


def _back(endpoint: str, message: str):
    flash(message)
    return redirect(url_for(endpoint), 303)


def _summary(*forms: Form | None) -> list[tuple[str, str]]:
    return [item for form in forms if form is not None for item in form.summary]


# --- users ---------------------------------------------------------------------

def _user_form(formdata=None) -> Form:
    return Form(NewUserSchema(), formdata, choices={
        "role": [("", "Choose a role"), *((r, r.replace("_", " ").capitalize()) for r in ROLES)],
        "service": [("", "None"), *assignable_services().items()]})


def _reset_form(user: User | None, formdata=None) -> Form:
    return Form(NewPasswordSchema(), formdata, ids={"password": f"new-password-{user.id}"} if user else None)


def _users_page(form=None, reset=None, reset_user=None, notice=None, status=422):
    form = form or _user_form()
    reset = reset or _reset_form(None)
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    held = accounts.held_until(now())
    return render_template("admin_users.html", users=rows, form=form, reset=reset, reset_user=reset_user,
                           summary=_summary(form, reset, notice), held=held, services=assignable_services()), status


@admin_bp.get("/users")
def admin_users():
    return _users_page(status=200)


@admin_bp.post("/users")
def admin_create_user():
    def create(data):
        user = users.create_user(**data, by=current_user)
        return _back("web.admin.admin_users", f"Created {user.role.replace('_', ' ')} {user.username}: "
                                              "they can sign in with the password you gave.")
    return _submit(_user_form(request.form), create, lambda form: _users_page(form=form))


@admin_bp.post("/users/<int:user_id>/unlock")
def admin_unlock_user(user_id):
    user = _or_404(User, user_id)
    accounts.unlock(user, by=current_user.username, by_id=current_user.id)
    return _back("web.admin.admin_users", f"Unlocked {user.username}: they can sign in now.")


@admin_bp.post("/users/<int:user_id>/<any(deactivate, reactivate):action>")
def admin_user_active(user_id, action):
    user = _or_404(User, user_id)

    def change(_):
        users.set_user_active(user, action == "reactivate", by=current_user)
        return _back("web.admin.admin_users", f"{user.username} is {action}d.")
    return _submit(Form(None, ids={"user": f"user-{user.id}"}), change, lambda notice: _users_page(notice=notice))


@admin_bp.post("/users/<int:user_id>/password")
def admin_reset_password(user_id):
    user = _or_404(User, user_id)

    def reset(data):
        users.reset_password(user, data["password"], by=current_user)
        return _back("web.admin.admin_users", f"New password set for {user.username}.")
    return _submit(_reset_form(user, request.form), reset, lambda form: _users_page(reset=form, reset_user=user))


# --- API clients -----------------------------------------------------------------

def _client_form(formdata=None) -> Form:
    return Form(NewApiClientSchema(), formdata, choices={
        "sources": list(SOURCES.items()), "service": [("", "None"), *assignable_services().items()],
        "scopes": list(SCOPES.items())})


def _clients_page(form=None, created=None, token=None, secret=None, status=422):
    form = form or _client_form()
    clients = db.session.scalars(select(ApiClient).order_by(ApiClient.name)).all()
    return render_template("admin_api_clients.html", clients=clients, form=form, summary=_summary(form),
                           created=created, token=token, secret=secret, sources=SOURCES,
                           scopes=SCOPES), status


@admin_bp.get("/api-clients")
def admin_api_clients():
    return _clients_page(status=200)


@admin_bp.post("/api-clients")
def admin_create_api_client():
    def create(data):
        client, token, secret = api_clients.create_api_client(**data, by=current_user)
        # Shown in this answer only (never the session, a flash or a log): SPOA keeps
        # a hash of the token and the secret sealed.
        return _clients_page(created=client, token=token, secret=secret, status=201)
    return _submit(_client_form(request.form), create, lambda form: _clients_page(form=form))


@admin_bp.post("/api-clients/<int:client_id>/revoke")
def admin_revoke_api_client(client_id):
    client = _or_404(ApiClient, client_id)
    api_clients.revoke_api_client(client, by=current_user)
    return _back("web.admin.admin_api_clients", f"Revoked {client.name}: its token no longer works.")


# --- BaRS endpoints ----------------------------------------------------------------

def _active_clients() -> list[tuple[str, str]]:
    names = db.session.scalars(select(ApiClient.name).where(ApiClient.is_active).order_by(ApiClient.name))
    return [("", "Choose an API client"), *((name, name) for name in names)]


def _endpoint_form(formdata=None) -> Form:
    return Form(NewFhirEndpointSchema(), formdata, choices={"client": _active_clients()})


def _claim_form(row: FhirEndpoint | None, formdata=None) -> Form:
    # One per unowned row: its anchor names the row, as a password reset's does.
    return Form(ClientSchema(), formdata, choices={"client": _active_clients()},
                ids={"client": f"claim-client-{row.id}"} if row else None)


def _endpoints_page(form=None, claim=None, claim_row=None, notice=None, status=422):
    form = form or _endpoint_form()
    return render_template("admin_fhir_endpoints.html", endpoints=fhir_endpoints.all_endpoints(), form=form,
                           claim=claim, claim_row=claim_row, claim_form=_claim_form,
                           process_message=fhir_endpoints.PROCESS_MESSAGE,
                           summary=_summary(form, claim, notice)), status


@admin_bp.get("/fhir-endpoints")
def admin_fhir_endpoints():
    return _endpoints_page(status=200)


@admin_bp.post("/fhir-endpoints")
def admin_add_fhir_endpoint():
    def add(data):
        row, before = fhir_endpoints.register_fhir_endpoint(**data, by=current_user)
        moved = f" (it was {before})" if before and before != row.base_url else ""
        return _back("web.admin.admin_fhir_endpoints", f"Outcomes for {row.client.name}'s endpoint {row.endpoint} "
                                                       f"now go to {row.base_url}{fhir_endpoints.PROCESS_MESSAGE}"
                                                       f"{moved}.")
    return _submit(_endpoint_form(request.form), add, lambda form: _endpoints_page(form=form))


@admin_bp.post("/fhir-endpoints/<int:endpoint_id>/claim")
def admin_claim_fhir_endpoint(endpoint_id):
    row = _or_404(FhirEndpoint, endpoint_id)

    def claim(data):
        fhir_endpoints.claim_fhir_endpoint(row, client=data["client"], by=current_user)
        return _back("web.admin.admin_fhir_endpoints", f"{row.endpoint} is {data['client']}'s: its referrals' "
                                                       "outcomes go there now.")
    return _submit(_claim_form(row, request.form), claim, lambda form: _endpoints_page(claim=form, claim_row=row))


@admin_bp.post("/fhir-endpoints/<int:endpoint_id>/remove")
def admin_remove_fhir_endpoint(endpoint_id):
    row = _or_404(FhirEndpoint, endpoint_id)
    endpoint = row.endpoint
    fhir_endpoints.remove_fhir_endpoint(row, by=current_user)
    return _back("web.admin.admin_fhir_endpoints", f"Removed {endpoint}: its sender is told nothing more there.")


# --- services --------------------------------------------------------------------

_DAY_CHOICES = [(str(n), name) for n, name in enumerate(WEEKDAY_NAMES, start=1)]


def _service_form(formdata=None) -> Form:
    set_up = set(db.session.scalars(select(Service.code)))
    posted = formdata.get("code") if formdata is not None else None
    return Form(NewServiceSchema(), formdata, choices={"code": [("", "Choose a service"), *(
        (code, name) for code, name in service_codes().items() if code not in set_up or code == posted)]})


def _org_form(formdata=None) -> Form:
    # Prefixed: its code and name sit beside the form above on the same page.
    return Form(NewVoluntaryOrgSchema(), formdata, prefix="org", choices={"duty_days": _DAY_CHOICES})


def _days_form(org: Service | None, formdata=None) -> Form:
    return Form(DutyDaysSchema(), formdata, choices={"duty_days": _DAY_CHOICES},
                ids={"duty_days": f"duty-days-{org.id}"} if org else None)


def _services_page(form=None, org_form=None, days_form=None, days_org=None, status=422):
    form, org_form, days_form = form or _service_form(), org_form or _org_form(), days_form or _days_form(None)
    services = db.session.scalars(select(Service).order_by(Service.kind, Service.code)).all()
    return render_template("admin_services.html", services=services, form=form, org_form=org_form,
                           days_form=days_form, days_org=days_org, summary=_summary(form, org_form, days_form),
                           day_choices=_DAY_CHOICES, days_in_words=days_in_words), status


@admin_bp.get("/services")
def admin_services():
    return _services_page(status=200)


@admin_bp.post("/services")
def admin_create_service():
    def create(data):
        service = service_setup.create_service(**data, by=current_user)
        return _back("web.admin.admin_services", f"Set up {service.name} ({service.code}).")
    return _submit(_service_form(request.form), create, lambda form: _services_page(form=form))


@admin_bp.post("/services/voluntary")
def admin_create_voluntary_org():
    def create(data):
        org = service_setup.create_voluntary_org(**data, by=current_user)
        return _back("web.admin.admin_services", f"Added {org.name} ({org.code}) to the duty rota: "
                                                 f"{days_in_words(org.duty_days)}. It is offered referrals "
                                                 "once it declares its capacity for the day.")
    return _submit(_org_form(request.form), create, lambda form: _services_page(org_form=form))


@admin_bp.post("/services/<int:service_id>/duty-days")
def admin_set_duty_days(service_id):
    org = _or_404(Service, service_id)

    def change(data):
        service_setup.set_duty_days(org, data["duty_days"], by=current_user)
        return _back("web.admin.admin_services", f"{org.name} is on duty: {days_in_words(org.duty_days)}.")
    return _submit(_days_form(org, request.form), change, lambda form: _services_page(days_form=form, days_org=org))


@admin_bp.post("/services/<int:service_id>/<any(deactivate, reactivate):action>")
def admin_service_active(service_id, action):
    service = _or_404(Service, service_id)
    service_setup.set_service_active(service, action == "reactivate", by=current_user)
    return _back("web.admin.admin_services", f"{service.name} is {action}d.")


bp.register_blueprint(admin_bp)  # endpoints: web.admin.<view>
