"""The new-referral form and the referral page."""
import uuid
from datetime import date

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from spoa.domain import access, vocab
from spoa.domain.lifecycle import LifecycleError
from spoa.extensions import db
from spoa.models import Referral
from spoa.platform.timekeeping import age_in_years, now
from spoa.schemas.errors import flatten_errors
from spoa.schemas.form_input import iso_date
from spoa.schemas.intake import IntakeSchema
from spoa.services import exchanged
from spoa.services.actions import VersionMismatch, apply_event
from spoa.services.duplicates import open_duplicates
from spoa.services.intake import IntakeConflict, receive_referral
from spoa.services.lookups import look_up, next_place
from spoa.services.triage import preview
from spoa.web import bp
from spoa.web.discharge_form import DISCHARGE
from spoa.web.form_stash import kept, take
from spoa.web.intake_form import COMMUNITY, IntakeForm, error_summary, friendly_errors, to_intake
from spoa.web.pages import page_actions, referral_or_404
from spoa.web.roles import allowed, current_actor

INTAKE = IntakeSchema()
FORMS = {form.kind: form for form in (COMMUNITY, DISCHARGE)}
FORM_OF_VIEW = {"web.new_referral": COMMUNITY, "web.new_discharge_referral": DISCHARGE}


def shown_duplicates(data) -> list[Referral]:
    """Open referrals that may be the same patient's, recorded as shown to this person
    (which lets them open one from the panel: access.open_shown_match). The record is
    committed with the request's answer: the view commits it."""
    duplicates = open_duplicates(data)
    access.record_duplicates_shown(current_actor(), duplicates)
    return duplicates


def _form(form: IntakeForm, values=None, errors=None, status=200, duplicates=None, not_saved=None):
    errors = friendly_errors(errors or {}, form)
    values = values if values is not None else {"submission_id": uuid.uuid4().hex}
    return render_template(
        form.template, values=values, errors=errors, summary=error_summary(errors, form),
        labels=form.labels, vocab=vocab, duplicates=duplicates or [], age=_age_of(values),
        multi=values if isinstance(values, MultiDict) else None, kind=form.kind,
        not_saved=not_saved or g.get("not_saved"),  # why what is below was not saved, when it was not
    ), status


def _age_of(values) -> int | None:
    try:
        return age_in_years(date.fromisoformat(iso_date(values.get("patient.date_of_birth") or "")))
    except ValueError:
        return None


def _add_to_existing(choice: str, duplicates, data) -> Referral | None:
    """The handler chose to add this call to an open referral: one of those shown."""
    chosen = next((r for r in duplicates if f"add:{r.id}" == choice), None)
    if chosen is None:
        return None
    referrer = data.get("referrer") or {}
    who = ", ".join(v for v in (referrer.get("name"), referrer.get("role"), referrer.get("organisation"),
                                referrer.get("phone")) if v)
    caller = who or vocab.SOURCES[data["source"]]
    note = f"Further call from {caller}: {data.get('description') or '(no details given)'}"
    apply_event(chosen, "add_information", current_actor(), reason=note[:2000],
                expected_version=chosen.version)
    return chosen


@bp.route("/referrals/new", methods=["GET", "POST"])
@kept(COMMUNITY.kind)
@allowed(access.may_enter_referrals)
def new_referral():
    return _enter(COMMUNITY)


@bp.route("/referrals/new/discharge", methods=["GET", "POST"])
@kept(DISCHARGE.kind)
@allowed(access.may_enter_referrals)
def new_discharge_referral():
    """A ward's call about a patient ready to leave hospital: the same steps as the
    community form (one schema, the duplicate check, one referral per form)."""
    return _enter(DISCHARGE)


def _enter(form: IntakeForm):
    if request.method == "GET":
        # A Save that could not be taken (the session had ended): the form as it was typed.
        values, why = take(form.kind) or (None, None)
        return _form(form, values, not_saved=why)
    body = to_intake(request.form, form)
    try:
        data = INTAKE.load(body)
    except ValidationError as exc:
        return _form(form, request.form, flatten_errors(exc.messages), 422)
    choice = request.form.get("duplicate_choice", "")
    # Counted; a save is never refused. Past the hour's allowance the check comes after the
    # referral is stored: a Save that stopped at the duplicate panel, or failed on a clashing
    # reference, would otherwise answer who has an open referral, number after number, for nothing.
    checked_first = choice == "new" or look_up(current_actor(), data["patient"], may_refuse=False)
    if choice != "new" and checked_first:
        duplicates = shown_duplicates(data)
        if duplicates:
            try:
                chosen = _add_to_existing(choice, duplicates, data)  # its commit records the showing too
            except (LifecycleError, VersionMismatch):
                chosen = None  # it moved on while the handler decided: ask again with it as it is now
                access.record_duplicates_shown(current_actor(), duplicates)  # unless still in hand, rolled back
            if chosen is not None:
                flash(f"This call's information was added to {chosen.reference}.")
                return redirect(url_for("web.show_referral", referral_id=chosen.id))
            errors = {"duplicate_choice": ["Choose whether to add this call to the open referral "
                                           "or save a new referral"]} if choice else {}
            page = _form(form, request.form, errors, 409 if choice else 200, duplicates=duplicates)
            db.session.commit()  # the showing: what lets the person open one from the panel
            return page
    try:
        result = receive_referral(data, actor=current_actor(), user_id=current_user.id,
                                  channel="form")
    except IntakeConflict as exc:
        message = exc.message
        if not request.form.get("source_reference", "").strip():  # the form's own id, not the caller's
            message = (f"This form was already saved as {exc.referral.reference} with different details. "
                       "Add to that referral from its page, or start a new form for a new call.")
        return _form(form, request.form, {"source_reference": [message]}, 409)
    if not checked_first and result.created:
        others = [r.reference for r in shown_duplicates(data) if r.id != result.referral.id]
        db.session.commit()
        if others:
            flash(f"This patient already has an open referral ({', '.join(others)}): this call was saved as a "
                  f"new referral, because your duplicate checks for the hour are used up. Tell the duty "
                  f"supervisor if it is the same call.")
    return redirect(url_for("web.show_referral", referral_id=result.referral.id, saved=1))


@bp.post("/referrals/preview")
@allowed(access.may_enter_referrals)
def preview_referral():
    """Where the form's referral would go, and why, and any open referral for the
    same patient: the same rules and checks as Save, nothing stored but the record
    of the look-up (bounded per person: services/lookups.py) and that the matches
    were shown (which lets the person open them from the panel: open_match)."""
    form = FORMS.get(request.form.get("kind", ""), COMMUNITY)
    body = to_intake(request.form, form)
    try:
        data = INTAKE.load(body)
    except ValidationError as exc:
        # Only what the rules need matters to the preview; the rest is the form's job.
        errors = friendly_errors(flatten_errors(exc.messages), form)  # "patient" becomes its fields
        return jsonify(ready=False, missing=[label for path, label in form.labels.items() if path in errors])
    if not look_up(current_actor(), data["patient"]):
        wait = max(1, int((next_place(current_actor()) - now()).total_seconds()))
        limit = (f"You have looked up {current_app.config['DUPLICATE_LOOKUPS_PER_HOUR']} different patients in "
                 f"the last hour, so this one was not checked for an open referral. Save still works and "
                 f"checks it then; the preview checks again in {max(1, round(wait / 60))} minute(s).")
        return jsonify(ready=True, duplicates=[], limit=limit, **preview(data)), 429, {"Retry-After": str(wait)}
    duplicates = [{"reference": r.reference, "open_url": url_for("web.open_match", referral_id=r.id),
                   "state": r.state.replace("_", " "), "route": (r.route or "").replace("_", " ")}
                  for r in shown_duplicates(data)]
    answer = jsonify(ready=True, duplicates=duplicates, **preview(data))
    db.session.commit()  # the showing, with the answer that shows them
    return answer


@bp.post("/referrals/<referral_id>/open-match")
@allowed(access.may_enter_referrals)
def open_match(referral_id):
    """A match the duplicate panel showed, opened by choice: recorded, and only then the
    person's to read (a call handler's for access.DUPLICATE_GRANT)."""
    referral = access.open_shown_match(current_actor(), referral_id)
    db.session.commit()  # the opening, or a refused attempt: recorded whichever the answer
    if referral is None:
        abort(404)
    return redirect(url_for("web.show_referral", referral_id=referral.id), 303)


@bp.get("/referrals/<referral_id>")
def show_referral(referral_id):
    referral = referral_or_404(referral_id, via="page")
    actor = current_actor()
    access.record_view(referral, actor, via="page")
    page = render_template("referral.html", referral=referral, saved=bool(request.args.get("saved")),
                           vocab=vocab, age=age_in_years(referral.date_of_birth),
                           items=page_actions(referral, actor),
                           # a sending system's referral: every message it and SPOA exchanged
                           exchanged=exchanged.with_sender(referral) if referral.channel != "form" else None)
    db.session.commit()  # the view's row, once its page is rendered: never a page shown without it
    return page
