"""A queue row as HTML: for the first render and for every live change.

Written with f-strings rather than a Jinja template because the queue page
renders every open referral in the county at once: at 2,000 rows the template
alone took about 250 ms of the 300 ms budget; this takes a fifth of it. Every
text from the database goes through ``e`` (html.escape: the same escaping as
Jinja's, without building a Markup object for each of 18,000 values).
"""
from datetime import datetime
from html import escape

from markupsafe import Markup

from ..clocks import format_uk

RAG_WORDS = {"red": "Red (breached)", "amber": "Amber", "green": "Green", "none": "No clock"}


def _iso(dt: datetime | None) -> str:
    return dt.isoformat(timespec="seconds") if dt else ""


def hidden_by(row, filters: dict, rag: str) -> bool:
    """The page's filters (route, state, source, breached only), applied on the server
    for a page without script; the script applies the same rules after each change."""
    return bool((filters.get("route") and filters["route"] != row.route)
                or (filters.get("state") and filters["state"] != row.state)
                or (filters.get("source") and filters["source"] != row.source)
                or (filters.get("breached") and rag != "red"))


def row_html(row, at: datetime, routes: dict, sources: dict, filters: dict | None = None) -> str:
    rag = row.rag(at)
    e = escape  # quote=True: safe inside attribute values too
    timing = (f' data-deadline="{_iso(row.deadline)}" data-amber-at="{_iso(row.amber_at)}"' if row.deadline else "")
    hidden = " hidden" if filters and hidden_by(row, filters, rag) else ""
    route = e(routes.get(row.route, row.route.replace("_", " ")))
    if row.assigned_service:
        route += f": {e(routes.get(row.assigned_service, row.assigned_service))}"
    tag = ' <strong class="tag tag--alert">Waiting for bed</strong>' if row.waiting_for == "bed" else ""
    clock = (f"{e(row.clock_name.replace('_', ' '))} by {format_uk(row.deadline)}" if row.deadline else "–")
    escalation = (f"Level {row.escalation_level}{', acknowledged' if row.acknowledged else ''}"
                  if row.escalation_level else "–")
    return (
        f'<tr id="row-{row.id}" class="queue-row rag--{rag}" data-id="{row.id}" data-lane="{row.lane}"'
        f' data-route="{e(row.route)}" data-state="{e(row.state)}" data-source="{e(row.source)}"{timing}{hidden}>'
        f'<td><a href="/referrals/{row.id}">{e(row.reference)}</a>{tag}</td>'
        f"<td>{row.patient_age}</td><td>{e(sources.get(row.source, row.source))}</td><td>{route}</td>"
        f"<td>{e(row.state.replace('_', ' '))}</td><td>{clock}</td>"
        f'<td class="countdown">{row.countdown(at)}</td>'
        f'<td class="rag"><span class="rag__label">{RAG_WORDS[rag]}</span></td><td>{escalation}</td>'
        f'<td><a class="button button--small button--secondary queue-act" href="/queue?selected={row.id}#actions">'
        f'Act<span class="visually-hidden"> on {e(row.reference)}</span></a></td></tr>\n'
    )


def rows_html(rows, at: datetime, routes: dict, sources: dict, filters: dict | None = None) -> Markup:
    return Markup("".join(row_html(r, at, routes, sources, filters) for r in rows))
