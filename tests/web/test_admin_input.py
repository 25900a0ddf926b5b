"""One mistake, one message: the admin pages and the CLI load their input through
the same schemas (spoa/schemas/) and name each message once (schemas/errors.py),
beside the page's field or after the command's option."""
import html
import re

import pytest

from spoa.cli import spoa_cli
from spoa.schemas.api_clients import NewApiClientSchema
from spoa.schemas.services import NewVoluntaryOrgSchema
from spoa.schemas.users import NewUserSchema
from tests.support.data.duty_data import add_org
from tests.support.signing_in import csrf_token

PASSWORD = "a long new password"  # noqa: S105 (a test value)

# command -> (its page, the form's prefix, input that is right in every field)
FORMS = {
    "create-user": ("/admin/users", "",
                    {"username": "sam", "role": "clinician", "service": "crisis_response", "password": PASSWORD}),
    "create-api-client": ("/admin/api-clients", "", {"name": "emas-hub", "sources": "gp"}),
    "add-voluntary-org": ("/admin/services/voluntary", "org-",
                          {"code": "good_neighbours", "name": "Good Neighbours", "duty_days": "mon"}),
}

CASES = [  # (command, the field at fault, a wrong value, how the CLI names it)
    ("create-user", "username", "-sam", "--username"),
    ("create-user", "username", "u" * 81, "--username"),
    ("create-user", "service", "emergency_redirect", "--service"),
    ("create-user", "password", "short", "the password (standard input)"),
    ("create-api-client", "sources", "pigeon", "--sources"),
    ("create-api-client", "service", "supervisor_review", "--service"),
    ("create-api-client", "rate_limit_per_minute", "0", "--rate"),
    ("create-api-client", "name", "n" * 121, "--name"),
    ("add-voluntary-org", "code", "Good Neighbours", "--code"),
    ("add-voluntary-org", "code", "crisis_response", "--code"),
    ("add-voluntary-org", "duty_days", "funday", "--duty-days"),
]


def on_the_page(client, command, field, value) -> str:
    """The one message beside `field` when the page's form is sent with `value` in it."""
    path, prefix, good = FORMS[command]
    data = {prefix + name: v for name, v in {**good, field: value}.items()}
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, path.rsplit("/", 1)[0]
                                                                          if prefix else path)})
    assert response.status_code == 422
    found = re.findall(rf'id="{prefix}{field}-error">Error: ([^<]*)</span>', response.get_data(as_text=True))
    assert len(found) == 1, found
    return html.unescape(found[0])


def option_of(command, field) -> str:
    return max(next(p for p in spoa_cli.commands[command].params if p.name == field).opts, key=len)


def in_the_cli(app, command, field, value) -> str:
    given = {**FORMS[command][2], field: value}
    password = given.pop("password", "")
    args = ["spoa", command, *(arg for name, v in given.items() for arg in (option_of(command, name), v))]
    result = app.test_cli_runner().invoke(args=args, input=password + "\n")
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize("command, field, value, option", CASES, ids=[f"{c[0]}-{c[1]}-{c[2][:10]}" for c in CASES])
def test_the_same_mistake_reads_the_same_on_the_page_and_in_the_cli(app, client, login_as, db, command, field,
                                                                   value, option):
    login_as("admin")
    message = on_the_page(client, command, field, value)
    assert f"Error: {option}: {message}\n" in in_the_cli(app, command, field, value)


def test_a_code_already_taken_reads_the_same_on_the_page_and_in_the_cli(app, client, login_as, db):
    add_org(db, "good_neighbours")
    login_as("admin")
    message = on_the_page(client, "add-voluntary-org", "code", "good_neighbours")
    assert message == "There is already a service or organisation with the code good_neighbours"
    assert f"Error: --code: {message}\n" in in_the_cli(app, "add-voluntary-org", "code", "good_neighbours")


def test_every_mistake_in_a_form_is_shown_at_once_in_the_forms_order(client, login_as, db):
    login_as("admin")
    response = client.post("/admin/services/voluntary", data={
        "org-code": "Bad Code", "org-name": "", "org-duty_days": ["funday"],
        "org-csrf_token": csrf_token(client, "/admin/services")})
    assert response.status_code == 422
    assert re.findall(r'<li><a href="#([^"]+)">', response.get_data(as_text=True)) == [
        "org-code", "org-name", "org-duty_days"]


@pytest.mark.parametrize("command, schema", [("create-user", NewUserSchema), ("create-api-client", NewApiClientSchema),
                                             ("add-voluntary-org", NewVoluntaryOrgSchema)])
def test_each_admin_command_takes_its_schemas_fields_as_its_options(command, schema):
    """So the CLI names a field by the option that sets it, with no map to keep up
    (the password alone comes on standard input)."""
    assert {p.name for p in spoa_cli.commands[command].params} == set(schema().fields) - {"password"}
