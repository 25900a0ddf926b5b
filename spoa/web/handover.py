"""The handover page (/handover): what an incoming supervisor takes on
for their shift, printable. The supervisors' (the queue's refusal for everyone
else). The window is the query string's (?start=&end=, UK local time, loaded by
spoa/schemas/handover.py, each message beside its field, 422) or, with neither,
the supervisor's own shift (services/handover.default_window)."""
from flask import render_template, request
from flask_login import current_user
from marshmallow import ValidationError

from spoa.domain import access
from spoa.domain.labels import route_name
from spoa.platform.timekeeping import now, to_uk
from spoa.schemas.handover import HandoverWindowSchema
from spoa.services import handover, rota
from spoa.web import bp
from spoa.web.forms import Form
from spoa.web.roles import allowed


@bp.route("/handover")
@allowed(access.may_use_queue)
def handover_page():
    form = Form(HandoverWindowSchema(), request.args)
    try:
        chosen = form.load()
    except ValidationError as exc:
        form.fail(exc)
        return render_template("handover.html", form=form, handover=None), 422
    at = now()
    window = handover.Window(*chosen) if chosen else handover.default_window(current_user, at)
    # The boxes show the window the lists are for, as a link or datetime-local carries it.
    form["start"].value, form["end"].value = (f"{to_uk(t):%Y-%m-%dT%H:%M}" for t in (window.start, window.end))
    return render_template("handover.html", form=form, handover=handover.build(current_user, window),
                           route_name=route_name, duty_words=rota.duty_words)
