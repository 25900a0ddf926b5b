"""The one POST endpoint every lifecycle button uses (worklist, referral page, live
queue); which buttons a person sees is spoa/web/pages.py."""
from flask import abort, flash, redirect, request, url_for

from spoa.domain.lifecycle import BY_EVENT, LifecycleError
from spoa.schemas.form_input import whole_number
from spoa.services.actions import VersionMismatch, apply_event
from spoa.web import bp
from spoa.web.action_fields import FIELD_INPUTS, extra_inputs, remember_error
from spoa.web.auth import safe_path
from spoa.web.pages import referral_or_404
from spoa.web.roles import current_actor


@bp.post("/referrals/<referral_id>/events")
def fire_from_page(referral_id):
    referral = referral_or_404(referral_id, via="action")
    event = request.form.get("event", "")
    version = whole_number(request.form.get("version", ""))  # ASCII digits only: "²" is not a version
    back = safe_path(request.form.get("next"), url_for("web.worklist"))
    try:
        apply_event(referral, event, current_actor(), reason=request.form.get("reason"),
                    expected_version=version if isinstance(version, int) else None,
                    route=request.form.get("route") or None, urgency=request.form.get("urgency") or None,
                    service=request.form.get("service") or None, **extra_inputs(event, request.form))
        flash(f"{referral.reference}: {BY_EVENT[event].description}.")
    except VersionMismatch:
        flash(f"{referral.reference} was changed by someone else just before you: "
              "the page below is up to date, please check and try again.")
    except LifecycleError as exc:
        if exc.status == 403:
            abort(403)
        flash(f"{referral.reference}: {exc.message}")
        if exc.field in FIELD_INPUTS and event in BY_EVENT:  # an input the button's form has: never the posted text
            remember_error(referral, event, exc, request.form)
            back = f"{back.split('#')[0]}#{exc.field}-{event}-{referral.id}"  # to the field, as the summary links
    return redirect(back)
