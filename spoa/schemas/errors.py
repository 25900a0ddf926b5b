"""A schema's messages, named the way the person who made the mistake will find it.

The one place marshmallow's messages become what is shown: beside a page's field
(named by its input's id) and after a command's option (named --like-this), so
the same mistake reads the same on the admin pages and in the CLI.
"""
from collections.abc import Callable

from marshmallow import ValidationError

from spoa.schemas.fields import flatten_errors


def named_errors(error: ValidationError, name_for: Callable[[str], str]) -> dict[str, list[str]]:
    """{field: [message]} -> {what the field is called where it was typed: [message]}."""
    named: dict[str, list[str]] = {}
    for field, messages in flatten_errors(error.messages).items():
        named.setdefault(name_for(field), []).extend(messages)
    return named

