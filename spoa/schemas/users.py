"""Staff users as an administrator gives them: on the Users page or with
`flask spoa create-user`, loaded here the same way. Whether a username is
taken needs the database: services/users.py asks, and says so beside the
same field."""
import re

from marshmallow import ValidationError, fields, validates, validates_schema

from spoa.models.user import ROLES, username_key
from spoa.schemas.form_input import FormSchema, HospitalCode, Password, Trimmed
from spoa.schemas.services import assignable_services, unknown_service

PASSWORD_MIN, PASSWORD_MAX = 8, 200  # the sign-in form takes at most 200 characters
USERNAME_MAX = 80  # users.username
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # ASCII: no two names that look alike


def _check_length(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError(f"The password must be at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValidationError(f"The password must be at most {PASSWORD_MAX} characters")


def team_lead_refused(role: str, username: str) -> str | None:
    """Why this person cannot be a team lead, or None. A team lead edits a duty rota
    (spoa/domain/access.py: may_edit_duty): a clinician their service's duty leads, a supervisor
    the SPOA's own duties. No other role has one."""
    if role in ("clinician", "supervisor"):
        return None
    return (f"{username} is a {role}: only a clinician (their service's duty lead rota) "
            "or a supervisor (the SPOA's duties) can be a team lead")


class NewUserSchema(FormSchema):
    username = Trimmed(required=True, error_messages={"required": "Enter a username"},
                       metadata={"label": "Username"})
    role = fields.String(required=True, error_messages={"required": "Choose a role"},
                         metadata={"label": "Role"})
    service = fields.String(load_default=None, metadata={"label": "Service (clinicians only)"})
    hospital_ods = HospitalCode(load_default=None, metadata={"label": "Hospital ODS code (ward users only)"})
    password = Password(required=True, error_messages={"required": "Enter an initial password"},
                        metadata={"label": "Initial password"})
    # A team lead edits a duty rota (spoa/domain/access.py: may_edit_duty); set on the CLI
    # (create-user --team-lead, set-team-lead), not on the admin page's form.
    team_lead = fields.Boolean(load_default=False, metadata={"label": "Team lead (edits the duty rota)"})

    @validates("username")
    def _username(self, username, **_):
        if len(username) > USERNAME_MAX:
            raise ValidationError(f"The username must be at most {USERNAME_MAX} characters")
        if not _USERNAME.fullmatch(username_key(username)):
            raise ValidationError("A username is letters a to z, digits and . _ - only, "
                                  "starting with a letter or digit")

    @validates("role")
    def _role(self, role, **_):
        if role not in ROLES:
            raise ValidationError(f"Unknown role {role} (known: {', '.join(ROLES)})")

    @validates("password")
    def _password(self, password, **_):
        _check_length(password)

    @validates_schema(skip_on_field_errors=False)
    def _role_and_service(self, data, **_):
        """A clinician belongs to one service; no one else has one, since a service
        gives its holder the service's own actions on every referral routed there."""
        role, service = data.get("role"), data.get("service")
        if role is None:  # not given, or not a role: said beside the role
            return
        if role == "clinician" and not service:
            raise ValidationError("A clinician belongs to one service: choose it", "service")
        if role != "clinician" and service:
            raise ValidationError("Only a clinician belongs to a service: choose none for this role", "service")
        if service and service not in assignable_services():
            raise ValidationError(unknown_service(service), "service")

    @validates_schema(skip_on_field_errors=False)
    def _role_and_team_lead(self, data, **_):
        refused = data.get("team_lead") and data.get("role") in ROLES and team_lead_refused(
            data["role"], data.get("username") or "This user")
        if refused:
            raise ValidationError(refused, "team_lead")

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _role_and_hospital(self, data, original, **_):
        """A ward user reads their hospital's discharges and nothing else, so they
        must have one; no one else has one, since a hospital gives its holder the
        ward's reading and actions on every discharge from it (spoa/domain/access.py).
        (What was given decides: a code refused is said beside its own field.)"""
        role, hospital = data.get("role"), original.get("hospital_ods")
        if role is None:
            return
        if role == "ward" and not hospital:
            raise ValidationError("A ward user belongs to one hospital: enter its ODS code, for example RNS01",
                                  "hospital_ods")
        if role != "ward" and hospital:
            raise ValidationError("Only a ward user belongs to a hospital: leave this blank for this role",
                                  "hospital_ods")


class NewPasswordSchema(FormSchema):
    password = Password(required=True, error_messages={"required": "Enter the new password"},
                        metadata={"label": "New password"})

    @validates("password")
    def _password(self, password, **_):
        _check_length(password)
