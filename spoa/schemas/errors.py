"""A schema's messages, named the way the person who made the mistake will find it.

The one place marshmallow's messages become what is shown: beside a page's field
(named by its input's id) and after a command's option (named --like-this), so
the same mistake reads the same on the admin pages and in the CLI.
"""
from collections.abc import Callable

from marshmallow import ValidationError


def named_errors(error: ValidationError, name_for: Callable[[str], str]) -> dict[str, list[str]]:
    """{field: [message]} -> {what the field is called where it was typed: [message]}."""
    named: dict[str, list[str]] = {}
    for field, messages in flatten_errors(error.messages).items():
        named.setdefault(name_for(field), []).extend(messages)
    return named


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"patient.nhs_number": [...]} as the contract asks."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for path, msgs in flatten_errors(value, name).items():
                flat.setdefault(path, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_body"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for path, msgs in flatten_errors(item, prefix).items():
                flat.setdefault(path, []).extend(msgs)
    else:
        flat[prefix or "_body"] = [str(messages)]
    return flat
