"""Input no handler should ever see: refused before any view runs.

A NUL character is never typed by a person or needed by a system, and
PostgreSQL refuses it in any text (a ValueError from the driver, a 500), so a
NUL anywhere in the path, the query string or a form is answered here, once,
for every page and API route, rather than by each view's own checks.
"""
from flask import request
from werkzeug.routing import IntegerConverter, ValidationError

from rules.digits import DIGIT, is_ascii_digits
from spoa.platform.problem import Problem

NUL = "\x00"


def _where_nul() -> str | None:
    if NUL in request.path:
        return "the address"
    for source, values in (("query string", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            if NUL in name or NUL in value:
                return f"the {source} field {name.replace(NUL, '')!r}"
    return None


def init_app(app) -> None:
    @app.before_request
    def _refuse_nul():
        where = _where_nul()
        if where is None:
            return None
        # Each surface in its own words (spoa/errors.py): problem+json, an OperationOutcome, a page.
        raise Problem(400, f"The request holds a NUL character (in {where}): remove it and send again.")


class AsciiIntConverter(IntegerConverter):
    """<int:id> in a path, in ASCII digits only (rules/digits.py). Werkzeug's own
    matches \\d+ and reads it with int(), so /notifications/١/take would take
    notification 1: a second address for one row, which no link ever makes."""

    regex = DIGIT + "+"

    def to_python(self, value: str) -> int:
        if not is_ascii_digits(value):  # thousands of digits: not an id, and past int()'s limit
            raise ValidationError()
        return super().to_python(value)
