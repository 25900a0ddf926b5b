"""What SPOA relies on in Flask-WTF beyond its documented API, in one place.

generate_csrf keeps the token it made in g, under the form field's name, for as long
as the app context lasts. A request that clears the session (sign-in, sign-out) must
drop it too, or the page it renders carries a token bound to the session just
cleared, and that form's next post fails. tests/web/test_csrf_adapter.py pins this.
"""
from flask import current_app, g


def forget_token() -> None:
    """The next generate_csrf makes a token for the session as it is now."""
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
