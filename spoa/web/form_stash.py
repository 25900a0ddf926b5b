"""Nothing typed is lost. A new-referral form whose Save cannot be taken, because
the session had ended (idle, past its lifetime, or ended elsewhere) or the form's
CSRF token no longer matches its session (signed in again in another tab), is kept
for the person who typed it. After they sign in again, the form is shown with what
they typed and says that nothing was saved yet.

Whose it is: the form carries its owner (a hidden field holding the user's id,
signed with the app's key when the form was served), so it is known even when the
session cookie has already gone; failing that, the user id in the expired session
cookie (signed too), but only where the form's token still matched that session
(a post with neither a good token nor the signed owner is what CSRF protection is
for, and keeps nothing). Never a stash with no owner: it is shown only to that same
person, signed in afresh, on this browser.

How it is kept: sealed with a fresh key (Fernet) that only this browser holds, in
its signed session cookie; the row is found by the key's hash. So the database alone
opens none, and nobody but the browser that typed it can ask for it. A stash is
deleted once shown, and pruned once past FORM_STASH_MINUTES. Its content is never
logged.
"""
import hashlib
import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, request, session
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from spoa.extensions import db
from spoa.models import FormStash
from spoa.platform.timekeeping import now
from spoa.web import bp

KEY = "form_stash"  # in the session: this browser's key to its stash
OWNER_FIELD = "form_owner"
NOT_SENT_BACK = ("csrf_token", OWNER_FIELD)
SESSION_ENDED = "session"
TOKEN_STALE = "token"
NOT_SAVED = {
    SESSION_ENDED: "Your referral was not saved: your session had ended. Check the details and press Save.",
    TOKEN_STALE: "Your referral was not saved: the form had expired (it was opened before your latest "
                 "sign-in). Check the details and press Save.",
}
KEPT_FOR_SIGN_IN = "Nothing you typed is lost: sign in again and the form comes back with it."


def kept(kind: str):
    """Mark the view of form ``kind`` (GET shows it, POST saves it): what is typed is kept when Save cannot be taken."""
    def mark(view):
        view.keeps_typing = kind
        return view

    return mark


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="spoa.form-owner")


@bp.app_template_global()
def form_owner() -> str:
    """The hidden field's value: who this form is served to, signed (a form sent back as it was
    posted, with nobody loaded to serve it to, keeps the one it came with)."""
    if not current_user.is_authenticated:
        return request.form.get(OWNER_FIELD, "")
    return _signer().dumps(current_user.id)


def _owner(form, session_user_id: int | None) -> int | None:
    try:
        owner = _signer().loads(form.get(OWNER_FIELD, ""), max_age=current_app.config["SESSION_MAX_HOURS"] * 3600)
    except BadSignature:
        return session_user_id
    return owner if isinstance(owner, int) else session_user_id


def _id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def prune() -> None:
    FormStash.query.filter(FormStash.expires_at <= now()).delete(synchronize_session=False)


def keep(kind: str, form, why: str, session_user_id: int | None = None) -> bool:
    """Keep ``form`` (the posted fields) for its owner; False when nobody can be named."""
    owner = _owner(form, session_user_id)
    if owner is None:
        return False
    key = Fernet.generate_key().decode()
    fields = [(name, value) for name, value in form.items(multi=True) if name not in NOT_SENT_BACK]
    sealed = Fernet(key).encrypt(json.dumps({"fields": fields, "why": why}).encode()).decode()
    minutes = current_app.config["FORM_STASH_MINUTES"]
    prune()
    db.session.add(FormStash(id=_id(key), user_id=owner, form=kind, sealed=sealed,
                             expires_at=now() + timedelta(minutes=minutes)))
    db.session.commit()
    session[KEY] = key
    return True


def take(kind: str) -> tuple[MultiDict, str] | None:
    """This browser's stash of form ``kind``, if it is the signed-in person's: the fields
    as typed, and why they were not saved. Deleted once taken."""
    key = session.get(KEY)
    if not key or not current_user.is_authenticated:
        return None
    prune()
    row = db.session.get(FormStash, _id(key))
    if row is None or row.user_id != current_user.id:
        db.session.commit()
        session.pop(KEY, None)  # gone, or someone else's: never shown, and not asked for again
        return None
    if row.form != kind:
        db.session.commit()
        return None  # the other form's: it waits for that form
    session.pop(KEY, None)
    try:
        kept_data = json.loads(Fernet(key).decrypt(row.sealed.encode()))
    except InvalidToken:
        kept_data = None
    db.session.delete(row)
    db.session.commit()
    if kept_data is None:
        return None
    return MultiDict(kept_data["fields"]), NOT_SAVED.get(kept_data["why"], NOT_SAVED[SESSION_ENDED])
