"""The supervisors' live queue: every open referral in the county with its
next clock, updated live through Server-Sent Events, with capacity beside it.

The first render is plain HTML (filters work without JavaScript). The page's
script then opens /queue/events: a snapshot first, then each change as it is
committed anywhere in the county (see spoa.live). A page that loses its stream
takes a fresh snapshot when it reconnects, so nothing is missed.
"""
import time

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from spoa.domain import access, vocab
from spoa.domain.lifecycle import OPEN_STATES
from spoa.domain.policy import current_policy
from spoa.extensions import db
from spoa.live import queue_view, stream
from spoa.live.broadcast import RESYNC, Broadcaster, of_app
from spoa.live.row_html import Link, RowContext, capacity_words, pathway_words, rows_html
from spoa.models import Service
from spoa.platform.timekeeping import now
from spoa.services import capacity, rota
from spoa.web import bp, streams
from spoa.web.pages import page_actions, referral_or_404
from spoa.web.roles import allowed, current_actor

FILTERS = ("route", "state", "source", "hospital", "pathway")  # hospital, pathway: the discharges' lane



def _labels() -> dict:
    policy = current_policy()
    return {"routes": {code: info.name for code, info in policy.routes.items()},
            "sources": vocab.SOURCES,
            "pathways": {key: pathway_words(None if key == "none" else int(key), None)
                         for key in queue_view.PATHWAY_KEYS}}


def _filters() -> dict:
    chosen = {name: request.args.get(name, "") for name in FILTERS}
    chosen["breached"] = request.args.get("breached") == "1"
    return chosen


def _names() -> dict:
    """Route names, and the names of the duty organisations rows may name."""
    names = {code: name for code, name in db.session.execute(select(Service.code, Service.name))}
    names.update(_labels()["routes"])
    return names


def _capacity_words(board) -> dict[str, str]:
    return {line.code: capacity_words(line) for line in board}


def _row_context(board=None, csrf: str = "") -> RowContext:
    """``board``: capacity.board(), for the discharges' lane's capacity (None: no discharge row to show).
    ``csrf``: the viewer's token, for a page rendered for one person only."""
    return RowContext.build(now(), _names(), vocab.SOURCES, current_policy(),
                            capacity=_capacity_words(board or ()),
                            # a delay reason's code -> its label (rules/policy/discharge.yaml)
                            reason_label=current_policy().discharge.reason_label, csrf=csrf)


def render_lanes(rows, filters=None, board=None, csrf: str = "") -> dict[str, str]:
    """Rows as HTML, lane by lane (queue_view.LANES)."""
    ctx = _row_context(capacity.board() if board is None else board, csrf)
    return {lane: rows_html([r for r in rows if r.lane == lane], ctx, filters) for lane in queue_view.LANES}


def render_capacity(board=None) -> str:
    # Rendered without a request (the broadcaster has none): jinja_env, not render_template.
    return current_app.jinja_env.get_template("_queue_capacity.html").render(
        services=capacity.board() if board is None else board, capacity_link=Link("web.service_capacity", "code"))


def snapshot_event() -> dict:
    board = capacity.board()
    return {"lanes": render_lanes(queue_view.open_rows(), board=board), "capacity": render_capacity(board)}


def render_changes(message: dict) -> list[tuple[str, dict]]:
    """What one published change means for the pages (run once per web process)."""
    events = []
    committed_at = message.get("committed_at")
    ids = message.get("referrals") or []
    rows = queue_view.rows_for(ids) if ids else {}
    # The board (one query) only when a discharge row shows its service's capacity, or capacity changed.
    board = capacity.board() if message.get("capacity") or any(
        r is not None and r.discharge is not None for r in rows.values()) else None
    ctx = _row_context(board) if rows else None
    for referral_id, row in rows.items():
        if row is None:
            events.append(("gone", {"id": referral_id, "committed_at": committed_at}))
        else:
            events.append(("row", {"id": referral_id, "lane": row.lane, "committed_at": committed_at,
                                   "html": rows_html([row], ctx)}))
    if message.get("capacity"):
        # The board, and each service's words for the discharges' rows that name it.
        events.append(("capacity", {"html": render_capacity(board), "free": _capacity_words(board),
                                    "committed_at": committed_at}))
    return events


def broadcaster() -> Broadcaster:
    return of_app("spoa_live_broadcaster", render_changes)


@bp.get("/queue")
@allowed(access.may_use_queue)
def live_queue():
    started = time.perf_counter()
    rows = queue_view.open_rows()
    board = capacity.board()
    filters = _filters()
    selected = None
    if request.args.get("selected"):
        selected = referral_or_404(request.args["selected"], via="queue")
    hospitals = queue_view.hospitals(rows)
    if filters["hospital"] and filters["hospital"] not in hospitals:  # none open now: still the one chosen
        hospitals[filters["hospital"]] = filters["hospital"]
    response = render_template(
        "queue.html", filters=filters, counts=queue_view.counts(rows, now()),
        lanes=render_lanes(rows, filters, board, csrf=generate_csrf()), capacity_html=render_capacity(board),
        labels=_labels(),
        states=OPEN_STATES, hospitals=hospitals, nobody_on_duty=rota.nobody_on_duty(now()),
        selected=selected, selected_actions=page_actions(selected, current_actor()) if selected else [],
    )
    db.session.remove()
    # Server time, for the benchmark and for anyone looking in the browser's tools.
    return response, 200, {"Server-Timing": f"app;dur={(time.perf_counter() - started) * 1000:.1f}"}


@bp.get("/queue/referrals/<referral_id>/actions")
@allowed(access.may_use_queue)
def queue_actions(referral_id):
    """The action panel for one referral (the page's script loads it in place)."""
    referral = referral_or_404(referral_id, via="queue")
    return render_template("_queue_actions.html", selected=referral,
                           selected_actions=page_actions(referral, current_actor()),
                           labels=_labels())


@bp.get("/queue/events")
@allowed(access.may_use_queue)
def queue_events():
    hub = broadcaster()
    since = 0  # the snapshot's ticket: an event read before it says nothing the snapshot does not

    def snapshot() -> str:
        nonlocal since
        since = hub.ticket()  # taken before the read: events read earlier are in it
        try:
            return stream.sse("snapshot", snapshot_event())
        finally:
            db.session.remove()

    def on_message(ticket, name, data) -> str | None:
        if name == RESYNC:
            return snapshot()
        return stream.sse(name, data) if ticket > since else None

    # A stream outlives its request: it asks the page's own question again as it runs.
    return streams.serve(hub, allowed=access.may_use_queue, closed_words="Your access has changed: reload the page.",
                         first=snapshot, on_message=on_message)
