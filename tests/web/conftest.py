"""The web tests' shared fixtures: a referral posted at a chosen time, a supervisor's open
live-queue stream, a second browser; and inline_scripts for the CSP checks."""
import re

import pytest

from spoa.platform.timekeeping import now
from tests.support.signing_in import other_browser


def inline_scripts(page: str) -> list[str]:
    """<script> elements with code in the page (the CSP allows only files: script-src 'self')."""
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)


@pytest.fixture
def post(frozen_now, client, sender, payload):
    """post(at=None, **fields) -> the sender's answer for a referral posted with the clock at ``at``."""
    _, headers = sender

    def send(at=None, **fields):
        with frozen_now(at or now()):
            response = client.post("/api/v1/referrals", json=payload(**fields), headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return send


@pytest.fixture
def browser(app, db, redis):
    """browser() -> a new person's own browser (a test client that shares nothing with the others)."""
    return lambda: other_browser(app)


@pytest.fixture
def admin(login_as):
    """An administrator, signed in on ``client``."""
    return login_as("admin")
