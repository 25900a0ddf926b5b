"""What SPOA assumes of Flask-WTF beyond its documented API (spoa/web/csrf_adapter.py),
pinned here: generate_csrf keeps its token in g for the app context, a token is bound
to its session, and forget_token makes the next one for the session as it is now."""
import pytest
from flask import session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from spoa.web import csrf_adapter


def test_a_cleared_session_gets_a_new_token_once_the_kept_one_is_forgotten(app, db):
    with app.test_request_context("/"):
        csrf_adapter.forget_token()
        before = generate_csrf()
        assert generate_csrf() == before  # kept for the app context
        session.clear()  # what sign-in and sign-out do
        assert generate_csrf() == before  # still the kept one, ...
        with pytest.raises(ValidationError):
            validate_csrf(before)  # ... which the cleared session no longer accepts
        csrf_adapter.forget_token()
        after = generate_csrf()
        assert after != before
        validate_csrf(after)  # raises if not good for the session as it is now
        csrf_adapter.forget_token()
