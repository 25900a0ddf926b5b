"""A form kept for the person who typed it when its Save could not be taken (the
session had ended, or the form's CSRF token no longer matched): spoa/web/form_stash.py.

It holds patient details, so it is sealed under a key that only the browser holds
(in its signed session cookie); the row is found by that key's hash. A copy of the
database alone opens none of them. It lives minutes, not days (FORM_STASH_MINUTES).
"""
from spoa.extensions import db
from spoa.platform.column_types import UTCDateTime


class FormStash(db.Model):
    __tablename__ = "form_stashes"

    id = db.Column(db.String(64), primary_key=True)  # sha256 (hex) of the browser's key
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)  # who typed it: only they get it
    form = db.Column(db.String(16), nullable=False)  # which form: "community" or "discharge"
    sealed = db.Column(db.Text, nullable=False)  # Fernet, under the browser's key
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)
