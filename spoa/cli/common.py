"""What every admin command shares: failing with a message on stderr (exit 2), and
options loaded through the same schema an admin page loads its form with."""
import sys

import click
from marshmallow import ValidationError

from spoa.schemas.errors import named_errors


def fail(message: str):
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _options() -> dict[str, str]:
    """The running command's options by the parameter each sets: every admin command
    names its parameters as its schema names the fields (--rate sets rate_limit_per_minute)."""
    command = click.get_current_context().command
    return {p.name: max(p.opts, key=len) for p in command.params if isinstance(p, click.Option)}


def _option_for(field: str) -> str:
    # An admin command's one input that is not an option is read from standard input (the password).
    return _options().get(field, f"the {field} (standard input)")


def fail_invalid(exc: ValidationError) -> None:
    """The schema's (or the service's) messages after the option that sets each field,
    through the same mapping the admin pages use for their fields (schemas/errors.py)."""
    fail("; ".join(f"{option}: {message}" for option, messages in named_errors(exc, _option_for).items()
                    for message in messages))


def submit(schema, act, **values):
    """An admin command's one way: its options through the schema (as an admin page
    loads its form), then act on the data; a ValidationError from either, the
    schema's or the service's, fails naming the option."""
    try:
        return act(schema.load(values))
    except ValidationError as exc:
        fail_invalid(exc)


def listed(text: str | None) -> list[str]:
    """A comma-separated option -> its items, as a form's ticked boxes arrive."""
    return [item.strip() for item in (text or "").split(",") if item.strip()]


class Given:
    """A command whose options need no schema: its service's ValidationError still
    goes through submit's one way of naming the option."""

    def load(self, values):
        return values
