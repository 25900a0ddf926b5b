"""A queue row as HTML: for the first render and for every live change.

Written with f-strings rather than a Jinja template because the queue page
renders every open referral in the county at once: at 2,000 rows the template
alone took about 250 ms of the 300 ms budget; this takes a fifth of it
(bench/queue.py). What a template would do for us is done here once:

- every value enters the markup through ``cell`` (html.escape, quote=True: Jinja's
  escaping, safe in text and attribute values, without a Markup object for each
  of 30,000 values);
- links are built by url_for once per render (RowContext), not per row by hand;
- a waiting flag shows its label from rules/policy/flags.yaml.
"""
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from flask import current_app, has_request_context, url_for
from markupsafe import Markup

from ..clocks import format_uk
from ..services import flags

RAG_WORDS = {"red": "Red (breached)", "amber": "Amber", "green": "Green", "none": "No clock"}
_ID = "__value__"  # stands in for the value a Link fills in (URL-safe as it is: url_for leaves it alone)


def cell(value) -> str:
    """The one way a value goes into a row's HTML."""
    return escape(value if type(value) is str else str(value))


_RAG_HTML = {rag: cell(words) for rag, words in RAG_WORDS.items()}  # escaped once, not once a row


def path_for(endpoint: str, **values) -> str:
    """url_for's path, in a request or out of one: live changes are rendered by the
    broadcaster, with no request (as url_for would with SERVER_NAME set)."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config["APPLICATION_ROOT"])
    return adapter.build(endpoint, values)


class Link:
    """A link to one endpoint, built by url_for once per render, to fill in with one
    value a row or a line (a referral id, a service code) many times over."""

    __slots__ = ("head", "tail", "_html")

    def __init__(self, endpoint: str, key: str, anchor: str = ""):
        self.head, self.tail = path_for(endpoint, **{key: _ID}).split(_ID)
        self.tail += f"#{anchor}" if anchor else ""
        self._html = (cell(self.head), cell(self.tail))

    def path(self, value: str) -> str:
        """The path for ``value`` (quoted as url_for would), for a template to escape."""
        return f"{self.head}{quote(value, safe='')}{self.tail}"

    def for_id(self, referral_id: str) -> str:
        """The link for a row, escaped for its href (a referral id is a UUID: nothing to quote)."""
        return f"{self._html[0]}{cell(referral_id)}{self._html[1]}"


@dataclass(frozen=True, slots=True)
class RowContext:
    """What every row of one render shares: names, labels and links, looked up once."""
    at: datetime
    names: dict        # route and organisation code -> name
    sources: dict      # source code -> name
    flag_labels: dict  # a referral's waiting_for -> its label (flags.yaml)
    policy: object
    referral_link: Link
    act_link: Link

    @classmethod
    def build(cls, at: datetime, names: dict, sources: dict, policy) -> "RowContext":
        return cls(at=at, names=names, sources=sources, policy=policy,
                   flag_labels=flags.labels(policy),
                   referral_link=Link("web.show_referral", "referral_id"),
                   act_link=Link("web.live_queue", "selected", anchor="actions"))


def _iso(dt: datetime | None) -> str:
    return dt.isoformat(timespec="seconds") if dt else ""


def hidden_by(row, filters: dict, rag: str) -> bool:
    """The page's filters (route, state, source, breached only), applied on the server
    for a page without script; the script applies the same rules after each change."""
    return bool((filters.get("route") and filters["route"] != row.route)
                or (filters.get("state") and filters["state"] != row.state)
                or (filters.get("source") and filters["source"] != row.source)
                or (filters.get("breached") and rag != "red"))


def row_html(row, ctx: RowContext, filters: dict | None = None) -> str:
    at, names = ctx.at, ctx.names
    rag = row.rag(at)
    rid = cell(row.id)
    timing = (f' data-deadline="{cell(_iso(row.deadline))}" data-amber-at="{cell(_iso(row.amber_at))}"'
              if row.deadline else "")
    hidden = " hidden" if filters and hidden_by(row, filters, rag) else ""
    route = cell(names.get(row.route, row.route.replace("_", " ")))
    if row.assigned_service:
        route += f": {cell(names.get(row.assigned_service, row.assigned_service))}"
    tag = ""
    if row.waiting_for:
        label = ctx.flag_labels.get(row.waiting_for) or flags.label(ctx.policy, row.waiting_for)
        tag = f' <strong class="tag tag--alert">{cell(label)}</strong>'
    clock = (f"{cell(row.clock_name.replace('_', ' '))} by {cell(format_uk(row.deadline))}"
             if row.deadline else "–")
    escalation = (cell(f"Level {row.escalation_level}{', acknowledged' if row.acknowledged else ''}")
                  if row.escalation_level else "–")
    reference = cell(row.reference)
    return (
        f'<tr id="row-{rid}" class="queue-row rag--{cell(rag)}" data-id="{rid}" data-lane="{cell(row.lane)}"'
        f' data-route="{cell(row.route)}" data-state="{cell(row.state)}" data-source="{cell(row.source)}"'
        f'{timing}{hidden}>'
        f'<td><a href="{ctx.referral_link.for_id(row.id)}">{reference}</a>{tag}</td>'
        f"<td>{cell(row.patient_age)}</td><td>{cell(ctx.sources.get(row.source, row.source))}</td>"
        f"<td>{route}</td><td>{cell(row.state.replace('_', ' '))}</td><td>{clock}</td>"
        f'<td class="countdown">{cell(row.countdown(at))}</td>'
        f'<td class="rag"><span class="rag__label">{_RAG_HTML[rag]}</span></td><td>{escalation}</td>'
        f'<td><a class="button button--small button--secondary queue-act" href="{ctx.act_link.for_id(row.id)}">'
        f'Act<span class="visually-hidden"> on {reference}</span></a></td></tr>\n'
    )


def rows_html(rows, ctx: RowContext, filters: dict | None = None) -> Markup:
    return Markup("".join(row_html(r, ctx, filters) for r in rows))
