"""A staff page's event stream (the live queue, the inbox badge): the one loop of
spoa/live/stream.py, listening for as long as its signed-in person still may."""
from sqlalchemy.exc import SQLAlchemyError

from spoa.extensions import db
from spoa.live import stream
from spoa.web import login_adapter, security


def still_allowed(session_user_id, allowed) -> bool:
    """May this stream go on? The user re-loaded as a new request would load it (Flask-Login's
    user loader: gone, deactivated or a session token replaced is None), still ``allowed``
    (an access policy predicate of the user), and the session not past its idle or absolute
    limit. A stream outlives the request that checked it: asked again at least once a minute."""
    try:
        # The session first: it reads on a connection of its own, which on SQLite must not
        # wait behind a transaction this thread's db.session already holds (BEGIN IMMEDIATE).
        if not security.session_still_valid():
            return False
        return allowed(security.load_user(session_user_id))
    except SQLAlchemyError:  # the database is away: say nothing more until it can be asked
        return False
    finally:
        db.session.remove()  # not held open for the stream's life


def serve(hub, *, allowed, closed_words: str, **loop):
    """This request's stream from ``hub``, for as long as ``allowed(user)`` holds; then the
    page is told ``closed_words`` (or that the session ended) and stops listening. ``loop``:
    first, on_message, every, on_tick (live/stream.py: serve)."""
    db.session.remove()  # the request's own reads: not held open for the stream's life
    session_user_id = login_adapter.session_user_id()  # as the user loader is given it
    return stream.serve(
        hub, still_allowed=lambda: still_allowed(session_user_id, allowed),
        # The page stops listening; a reload meets sign-in or a refusal.
        closed=lambda: stream.sse("closed", security.closed_event(closed_words)), **loop)
