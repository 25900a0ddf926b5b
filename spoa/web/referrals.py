"""The new-referral form and the referral page."""
import uuid

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from ..clocks import format_uk
from ..extensions import db
from ..lifecycle import Actor
from ..models import Referral
from ..schemas import vocab
from ..schemas.fields import flatten_errors
from ..schemas.intake import IntakeSchema
from ..services.access import record_view
from ..services.intake import IntakeConflict, receive_referral
from ..services.triage import preview
from . import bp
from .intake_form import to_intake

INTAKE = IntakeSchema()
MAY_ENTER = ("call_handler", "supervisor")


def referral_or_404(referral_id: str) -> Referral:
    try:
        referral = db.session.get(Referral, uuid.UUID(referral_id))
    except ValueError:
        referral = None
    if referral is None:
        abort(404)
    return referral


def actor_for_user(user) -> Actor:
    return Actor(kind="user", id=user.id, name=user.username, role=user.role, service=user.service)


def _form(values=None, errors=None, status=200):
    return render_template("referral_new.html", values=values or {}, errors=errors or {},
                           vocab=vocab, multi=request.form if request.method == "POST" else None), status


@bp.route("/referrals/new", methods=["GET", "POST"])
def new_referral():
    if current_user.role not in MAY_ENTER:
        abort(403)
    if request.method == "GET":
        return _form()
    body = to_intake(request.form)
    try:
        data = INTAKE.load(body)
    except ValidationError as exc:
        return _form(request.form, flatten_errors(exc.messages), 422)
    try:
        result = receive_referral(data, actor=actor_for_user(current_user), user_id=current_user.id,
                                  channel="form")
    except IntakeConflict as exc:
        return _form(request.form, {"source_reference": [exc.message]}, 409)
    return redirect(url_for("web.show_referral", referral_id=result.referral.id, saved=1))


@bp.post("/referrals/preview")
def preview_referral():
    """Where the form's referral would go, and why: the same rules, nothing stored."""
    if current_user.role not in MAY_ENTER:
        abort(403)
    body = to_intake(request.form)
    try:
        data = INTAKE.load(body)
    except ValidationError as exc:
        # Only what the rules need matters to the preview; the rest is the form's job.
        errors = flatten_errors(exc.messages)
        return jsonify(ready=False, missing=sorted(errors))
    return jsonify(ready=True, **preview(data))


@bp.get("/referrals/<referral_id>")
def show_referral(referral_id):
    referral = referral_or_404(referral_id)
    record_view(referral, actor_for_user(current_user), via="page")
    return render_template("referral.html", referral=referral, saved=bool(request.args.get("saved")),
                           format_uk=format_uk, vocab=vocab)
