"""The inputs some lifecycle buttons carry beyond a reason (a discharge's time, a
new discharge ready date, a delay's reason from discharge.yaml), read from the
posted form into what services/actions.apply_event takes; and a refused one's
message, carried over the redirect back to the page so it is shown beside its
field (one request's flash, like the message at the top of the page)."""
import re
from datetime import date, datetime

from flask import flash, get_flashed_messages

from rules.policy_model import RETURN_REASONS
from spoa.domain.lifecycle import BY_EVENT, LifecycleError
from spoa.domain.policy import current_policy
from spoa.platform.timekeeping import parse_uk
from spoa.schemas.form_input import iso_date
from spoa.web import bp

# Which event takes which extra input (apply_event's keyword of the same name).
EXTRA_INPUTS = {"discharged": "at", "ready_again": "discharge_ready_date", "return_to_sender": "reason_code"}
# The inputs a button's form has (spoa/templates/_actions.html names each
# "<field>-<event>-<referral id>"): a refusal naming one is shown beside it.
FIELD_INPUTS = frozenset({"reason", "route", "urgency", "service", *EXTRA_INPUTS.values()})
_CATEGORY = "action-error"
# What <input type="date"> posts, or a UK date typed where the browser has no date box
# (iso_date turns 24/11/2026 into it): ASCII digits only.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def extra_inputs(event: str, form) -> dict:
    """{"at": aware UTC datetime} for discharged (given in UK time; blank is now),
    {"discharge_ready_date": date} for ready_again; {} for every other event (an
    event not in the table yet takes none: apply_event refuses it by name)."""
    name = EXTRA_INPUTS.get(event)
    if name is None or event not in BY_EVENT:
        return {}
    text = (form.get(name) or "").strip()
    if name == "reason_code":  # a rejected-reasons-bars code, chosen; apply_event checks it
        return {"reason_code": text or None}
    if name == "at":
        return {"at": _uk_time(text) if text else None}
    return {"discharge_ready_date": _day(text) if text else None}


def _uk_time(text: str) -> datetime:
    # The one UK wall-time parser: this time starts the discharge clocks, so an
    # hour the clocks skip or pass twice is refused, never guessed.
    try:
        return parse_uk(text, "time they left hospital")
    except ValueError as exc:
        raise LifecycleError(f"{exc}, or leave it blank for now.", 422, "at") from None


def _day(text: str) -> date:
    try:
        day = iso_date(text)
        if not _DAY.fullmatch(day):
            raise ValueError(text)
        return date.fromisoformat(day)
    except ValueError:
        raise LifecycleError("Enter the new ready date as a date, for example 24/11/2026.", 422,
                             "discharge_ready_date") from None


def remember_error(referral, event: str, error: LifecycleError, form) -> None:
    """After a refusal that names a field: its message and what was typed, for the
    page the person is sent back to (shown beside the field, with what they typed).
    Both cut short: they travel in the session cookie, which a browser drops past 4 kB."""
    typed = {name: (form.get(name) or "")[:200] for name in ("reason", *EXTRA_INPUTS.values()) if name in form}
    flash({"referral": str(referral.id), "event": event, "field": error.field, "message": error.message[:300],
           "typed": typed}, _CATEGORY)


@bp.app_template_global()
def action_error(referral, event: str) -> dict | None:
    """The refusal remembered for this referral's button, if it was this one."""
    for error in get_flashed_messages(category_filter=[_CATEGORY]):
        if error.get("referral") == str(referral.id) and error.get("event") == event:
            return error
    return None


@bp.app_template_global()
def return_reasons() -> list[tuple[str, str]]:
    """Why a pushed call goes back to the ambulance service: (code, label), BaRS's codes."""
    return list(RETURN_REASONS.items())


@bp.app_template_global()
def delay_reasons() -> list[tuple[str, str]]:
    """discharge.yaml's delay reasons, (code, label), in the order the file lists them."""
    return list(current_policy().discharge.delay_reasons.items())
