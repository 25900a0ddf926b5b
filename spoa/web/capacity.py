"""A service's capacity page: its team declares how many places it has and uses."""
from flask import abort, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from spoa.domain import access
from spoa.schemas.capacity import load_declaration
from spoa.schemas.errors import named_errors
from spoa.schemas.form_input import whole_number
from spoa.services import capacity
from spoa.web import bp
from spoa.web.roles import check, current_actor


def _numbers(form) -> dict:
    """Form text -> numbers where they are numbers; anything else goes on, for the schema to name."""
    body = {}
    for name in ("total", "in_use"):
        value = (form.get(name) or "").strip()
        if value:
            body[name] = whole_number(value)
    return body


@bp.route("/services/<code>/capacity", methods=["GET", "POST"])
def service_capacity(code):
    service = capacity.service_by_code(code)
    if service is None:
        abort(404)
    actor = current_actor()
    check(lambda _user: access.may_declare_capacity(actor, service.code))
    errors, values = {}, {"total": service.capacity_total, "in_use": service.capacity_in_use}
    if request.method == "POST":
        values = request.form
        try:
            data = load_declaration(service, _numbers(request.form))
        except ValidationError as exc:
            errors = named_errors(exc, lambda field: field)  # each input's id is its field's name
        else:
            capacity.declare(service, data["total"], data["in_use"], by=actor, via="page")
            flash(f"Capacity for {service.name} saved.")
            return redirect(url_for("web.service_capacity", code=code))
    return render_template("capacity.html", service=service, line=capacity.line_of(service), errors=errors,
                           values=values), 422 if errors else 200
