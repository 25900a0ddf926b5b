"""A schema's fields as an admin page shows them: label, value kept (never a
password's), each message beside its field and in the summary above.

The schema (spoa/schemas/) is a form's one definition: its fields, labels and
rules, shared with the CLI. So there are no WTForms Form classes to keep in
step with it; CSRF is Flask-WTF's CSRFProtect (web/security.py), which checks
every POST before a view runs, whatever the form.
"""
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

from spoa.schemas.errors import named_errors
from spoa.schemas.form_input import Password, WholeNumber


@dataclass
class Field:
    name: str  # the input's name, with its form's prefix
    id: str  # what a label's `for` and the summary's link name
    label: str
    kind: str  # text, number, password, select or checkboxes
    required: bool
    value: object  # as typed: a list for checkboxes
    errors: list[str] = field(default_factory=list)
    choices: list[tuple[str, str]] = field(default_factory=list)


def _is_many(f: fields.Field) -> bool:
    return isinstance(f, fields.List) or bool(f.metadata.get("many"))


class Form:
    """One form on a page: `schema`'s fields as posted (or blank), and `choices`
    (field -> [(value, label)]) for those picked from a list. `prefix` keeps
    two forms' inputs apart on one page (org-code beside code); `ids` names a
    field's anchor where the page has one input per row (new-password-7)."""

    def __init__(self, schema: Schema | None, formdata: MultiDict | None = None, prefix: str = "",
                 choices: dict | None = None, ids: dict[str, str] | None = None):
        self.schema, self.prefix, self.ids = schema, prefix, ids or {}
        formdata = formdata if formdata is not None else MultiDict()
        choices = choices or {}
        self.fields: dict[str, Field] = {}
        for name, f in (schema.fields.items() if schema else ()):
            posted = self._name(name)
            many = _is_many(f)
            kind = ("checkboxes" if many else "select" if name in choices else "password" if isinstance(f, Password)
                    else "number" if isinstance(f, WholeNumber) else "text")
            value = formdata.getlist(posted) if many else (None if kind == "password" else formdata.get(posted))
            self.fields[name] = Field(name=posted, id=self.ids.get(name, posted), label=f.metadata.get("label", name),
                                      kind=kind, required=f.required, value=value,
                                      choices=list(choices.get(name, [])))
        self._formdata = formdata
        self.summary: list[tuple[str, str]] = []

    def _name(self, name: str) -> str:
        return f"{self.prefix}-{name}" if self.prefix else name

    def __getitem__(self, name: str) -> Field:
        return self.fields[name]

    def load(self) -> dict:
        """The posted form through the schema: its data, or a ValidationError."""
        if self.schema is None:
            return {}
        get = {True: self._formdata.getlist, False: self._formdata.get}
        data = {name: get[_is_many(f)](self._name(name)) for name, f in self.schema.fields.items()}
        return self.schema.load(data)

    def anchor(self, name: str) -> str:
        """The id a field's message links to (a message for no field, such as
        "user", links to the id the page gave it)."""
        return self.fields[name].id if name in self.fields else self.ids.get(name, self._name(name))

    def fail(self, error: ValidationError) -> None:
        """Each message beside its field, and in the summary linked to it."""
        by_id = {f.id: f for f in self.fields.values()}
        order = list(by_id)  # the summary lists them as the form does, top to bottom
        named = named_errors(error, self.anchor)
        for anchor in sorted(named, key=lambda a: order.index(a) if a in order else len(order)):
            messages = named[anchor]
            if anchor in by_id:
                by_id[anchor].errors.extend(messages)
            self.summary.extend((anchor, message) for message in messages)
