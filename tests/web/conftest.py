"""login_as(role, service=None, hospital=None): a signed-in test client, as the style guide's conftest has it."""
import re

import pytest

from spoa.models import User
from tests.people import PASSWORD  # noqa: F401 (fixtures import it from here too)


def inline_scripts(page: str) -> list[str]:
    """<script> elements with code in the page (the CSP allows only files: script-src 'self')."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def csrf_token(client, path="/login"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


@pytest.fixture
def login_as(client, db):
    def sign_in(role, service=None, username=None, hospital=None):
        user = User(username=username or role, role=role, service=service, hospital_ods=hospital)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                                "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        return user

    return sign_in
