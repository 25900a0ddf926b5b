"""The duty rota page: a week at a time, by duty; editors add and remove shifts
(spoa/domain/access.py says who may). Those who may neither see nor edit it get 404,
as a page they have no business with."""
from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from spoa.domain import access
from spoa.domain.policy import current_working_hours
from spoa.extensions import db
from spoa.models import DutyShift
from spoa.platform.timekeeping import now, span_words, uk_date, uk_midnight
from spoa.schemas.errors import named_errors
from spoa.schemas.rota import NewShiftSchema
from spoa.services import rota
from spoa.web import bp
from spoa.web.roles import allowed, check

FIELDS = ("duty", "username", "starts_at", "ends_at")
LABELS = {"duty": "Duty", "username": "Who (username)", "starts_at": "Starts (UK time)",
          "ends_at": "Ends (UK time)"}
TIME_HINT = "Date and time, for example 2026-12-01 08:00"


def _week_of(text: str | None) -> date:
    """The Monday of the UK week holding ``text`` (YYYY-MM-DD), or of today."""
    try:
        day = date.fromisoformat(text) if text else uk_date(now())
    except ValueError:
        day = uk_date(now())
    return day - timedelta(days=day.isoweekday() - 1)


def _days(monday: date) -> list[dict]:
    hours = current_working_hours()
    return [{"date": d, "words": f"{d:%a} {d.day} {d:%b}", "weekend": d.isoweekday() >= 6,
             "bank_holiday": hours.is_bank_holiday(d)} for d in (monday + timedelta(days=i) for i in range(7))]


def _page(monday: date, errors=None, values=None, status=200):
    start, end = uk_midnight(monday), uk_midnight(monday + timedelta(days=7))
    shifts, gaps = rota.shifts_between(start, end), rota.gaps(start, end)
    days = {d["date"]: d for d in _days(monday)}
    duties = [{"recipient": r, "words": rota.duty_words(r),
               "shifts": [{"shift": s, "words": rota.shift_words(s), "day": days.get(uk_date(s.starts_at)),
                           "editable": access.may_edit_duty(current_user, s.duty, s.service)}
                          for s in shifts if s.recipient == r],
               "gaps": [span_words(a, b) for a, b in gaps.get(r, [])]}
              for r in rota.covered_duties()]
    editable = rota.editable_duties(current_user)
    return render_template(
        "rota.html", monday=monday, days=list(days.values()), duties=duties, errors=errors or {},
        summary=[(path, m) for path, messages in (errors or {}).items() for m in messages],
        values=values or {}, labels=LABELS, time_hint=TIME_HINT,
        duty_options=[(r, rota.duty_words(r)) for r in editable],
        eligible=[(rota.duty_words(r), [u.username for u in rota.eligible_users(*rota.split_recipient(r))])
                  for r in editable],
        previous=(monday - timedelta(days=7)).isoformat(), next=(monday + timedelta(days=7)).isoformat()), status


@bp.route("/rota")
@allowed(access.may_see_rota, hidden=True)
def rota_page():
    return _page(_week_of(request.args.get("week")))


def _field(name: str) -> str:
    """A schema's field -> the page's input: the service is part of the duty chosen."""
    return {"service": "duty", "user": "username"}.get(name, name)


def _edits_a_duty(user) -> bool:
    """An editor of some part of the rota (access.may_edit_duty, for a duty it covers)."""
    return bool(rota.editable_duties(user))


@bp.route("/rota/shifts", methods=["POST"])
@allowed(_edits_a_duty, hidden=True)
def rota_add_shift():
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    duty, service = rota.split_recipient(values["duty"])
    if values["duty"] in rota.covered_duties():  # else not a duty: the schema says so, beside the field
        check(access.may_edit_duty, duty, service, hidden=True)  # a duty of someone else's rota
    monday = _week_of(values["starts_at"][:10])
    try:
        data = NewShiftSchema().load({"duty": duty, "service": service, "username": values["username"],
                                      "starts_at": values["starts_at"], "ends_at": values["ends_at"]})
        shift = rota.add_shift(**data, by=current_user)
    except ValidationError as exc:
        return _page(monday, named_errors(exc, _field), values, 422)
    flash(f"Added: {rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}.")
    return redirect(url_for("web.rota_page", week=_week_of(uk_date(shift.starts_at).isoformat()).isoformat()))


@bp.route("/rota/shifts/<int:shift_id>/remove", methods=["POST"])
def rota_remove_shift(shift_id):
    shift = db.session.get(DutyShift, shift_id)
    if shift is None:
        abort(404)
    check(access.may_edit_duty, shift.duty, shift.service, hidden=True)
    week = _week_of(uk_date(shift.starts_at).isoformat()).isoformat()
    words = f"{rota.duty_words(shift.recipient)}, {rota.shift_words(shift)}"
    rota.remove_shift(shift_id, by=current_user)
    flash(f"Removed: {words}.")
    return redirect(url_for("web.rota_page", week=week))
