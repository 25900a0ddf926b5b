"""A queue row as HTML: for the first render and for every live change.

Written with f-strings rather than a Jinja template because the queue page
renders every open referral in the county at once: at 2,000 rows the template
alone took about 250 ms of the 300 ms budget; this takes a fifth of it
(bench/queue.py). What a template would do for us is done here once:

- every value enters the markup through ``cell`` (html.escape, quote=True: Jinja's
  escaping, safe in text and attribute values, without a Markup object for each
  of 30,000 values); a value many rows share (a state, a route, a source, a
  service's name) through ``RowContext.word``, escaped once a render, not once a row;
- links are built by url_for once per render (RowContext), not per row by hand;
- a waiting flag shows its label from rules/policy/flags.yaml.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from urllib.parse import quote

from flask import current_app, has_request_context, url_for
from markupsafe import Markup

from spoa.domain.pathways import days, pathway_label, ready_words
from spoa.live.queue_view import pathway_key
from spoa.platform.timekeeping import UK, format_uk, to_uk, uk_date
from spoa.services import flags

RAG_WORDS = {"red": "Red (breached)", "amber": "Amber", "green": "Green", "none": "No clock"}
_ID = "__value__"  # stands in for the value a Link fills in (URL-safe as it is: url_for leaves it alone)


def cell(value) -> str:
    """The one way a value goes into a row's HTML."""
    return escape(value if type(value) is str else str(value))


_RAG_HTML = {rag: cell(words) for rag, words in RAG_WORDS.items()}  # escaped once, not once a row
_RAG_CLASS = {rag: cell(rag) for rag in RAG_WORDS}


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
        return self.for_escaped(cell(referral_id))

    def for_escaped(self, escaped_id: str) -> str:
        """for_id, given the id already through ``cell`` (a row escapes its id once)."""
        return f"{self._html[0]}{escaped_id}{self._html[1]}"


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
    fire_link: Link  # a referral's events (POST): "I have it" on a pushed call
    today: date
    reason_label: object  # a delay reason's code -> its label (rules data)
    capacity: dict = field(default_factory=dict)  # service code -> capacity_words (the discharges' lane)
    # The viewer's CSRF token for the rows' own forms: only a page rendered for one person
    # has it; a live change is rendered once for every page (the page's script fills it in).
    csrf: str = ""
    escaped: dict = field(default_factory=dict)  # word() -> its escaped text, filled as a render goes

    def word(self, value) -> str:
        """``cell`` for a value many rows share (codes, names, a state's words): escaped
        once a render. Never for what is a row's own (ids, references): the dict would
        only grow."""
        found = self.escaped.get(value)
        if found is None:
            found = self.escaped[value] = cell(value)
        return found

    @classmethod
    def build(cls, at: datetime, names: dict, sources: dict, policy, capacity: dict | None = None,
              reason_label=None, csrf: str = "") -> "RowContext":
        return cls(at=at, names=names, sources=sources, policy=policy,
                   flag_labels=flags.labels(policy),
                   referral_link=Link("web.show_referral", "referral_id"),
                   act_link=Link("web.live_queue", "selected", anchor="actions"),
                   fire_link=Link("web.fire_from_page", "referral_id"),
                   today=uk_date(at), reason_label=reason_label or str, capacity=capacity or {}, csrf=csrf)


def _iso(dt: datetime | None) -> str:
    return dt.isoformat(timespec="seconds") if dt else ""


def hidden_by(row, filters: dict, rag: str) -> bool:
    """The page's filters (route, state, source, breached only; hospital and pathway on
    the discharges' lane), applied on the server for a page without script; the script
    applies the same rules after each change."""
    d = row.discharge
    return bool((filters.get("route") and filters["route"] != row.route)
                or (filters.get("state") and filters["state"] != row.state)
                or (filters.get("source") and filters["source"] != row.source)
                or (filters.get("breached") and rag != "red")
                or (d is not None and filters.get("hospital") and filters["hospital"] != d.hospital_ods)
                or (d is not None and filters.get("pathway") and filters["pathway"] != pathway_key(d.pathway)))


def _route(row, ctx) -> str:
    names = ctx.names
    route = ctx.word(names.get(row.route, row.route.replace("_", " ")))
    if row.assigned_service:
        route += f": {ctx.word(names.get(row.assigned_service, row.assigned_service))}"
    return route


def _head(row, ctx, rid: str, rag: str, filters, extra: str = "") -> str:
    """The row's <tr> (what the script files, sorts, filters and ticks it by) and its
    reference cell: as every lane has them. ``rid``: the row's id, through ``cell``."""
    timing = (f' data-deadline="{cell(_iso(row.deadline))}" data-amber-at="{cell(_iso(row.amber_at))}"'
              if row.deadline else "")
    hidden = " hidden" if filters and hidden_by(row, filters, rag) else ""
    tag = ""
    if row.waiting_for:
        label = ctx.flag_labels.get(row.waiting_for) or flags.label(ctx.policy, row.waiting_for)
        tag = f' <strong class="tag tag--alert">{ctx.word(label)}</strong>'
    return (f'<tr id="row-{rid}" class="queue-row rag--{_RAG_CLASS[rag]}" data-id="{rid}"'
            f' data-lane="{ctx.word(row.lane)}" data-route="{ctx.word(row.route)}"'
            f' data-state="{ctx.word(row.state)}" data-source="{ctx.word(row.source)}"'
            f'{extra}{timing}{hidden}>'
            f'<td><a href="{ctx.referral_link.for_escaped(rid)}">{cell(row.reference)}</a>{tag}</td>')


def _tail(row, ctx, rid: str, rag: str) -> str:
    """State, next clock, time to breach, status, escalation and the Act link: as every lane shows them."""
    clock = (f"{ctx.word(row.clock_name.replace('_', ' '))} by {cell(format_uk(row.deadline))}"
             if row.deadline else "–")
    escalation = (ctx.word(f"Level {row.escalation_level}{', acknowledged' if row.acknowledged else ''}")
                  if row.escalation_level else "–")
    return (f"<td>{ctx.word(row.state.replace('_', ' '))}</td><td>{clock}</td>"
            f'<td class="countdown">{cell(row.countdown(ctx.at))}</td>'
            f'<td class="rag"><span class="rag__label">{_RAG_HTML[rag]}</span></td><td>{escalation}</td>'
            f'<td><a class="button button--small button--secondary queue-act" href="{ctx.act_link.for_escaped(rid)}">'
            f'Act<span class="visually-hidden"> on {cell(row.reference)}</span></a></td></tr>\n')


def row_html(row, ctx: RowContext, filters: dict | None = None) -> str:
    if row.discharge is not None:
        return discharge_row_html(row, ctx, filters)
    if row.push is not None:
        return push_row_html(row, ctx, filters)
    rag = row.rag(ctx.at)
    rid = cell(row.id)
    return (
        f"{_head(row, ctx, rid, rag, filters)}"
        f"<td>{cell(row.patient_age)}</td><td>{ctx.word(ctx.sources.get(row.source, row.source))}</td>"
        f"<td>{_route(row, ctx)}</td>{_tail(row, ctx, rid, rag)}"
    )


# The discharges' lane: where the patient is, the pathway, the ready date and how it
# stands, the service and its capacity, then the clocks as every lane shows them.

def pathway_words(pathway: int | None, proposed: int | None) -> str:
    """"P2", "P2 (ward proposed P1)", "A person decides (ward proposed P1)": the lane's
    short form of spoa/domain/pathways.py's note (a table cell, not a sentence)."""
    reached = pathway_label(pathway) or "A person decides"
    if proposed is not None and proposed != pathway:
        reached += f" (ward proposed {pathway_label(proposed)})"
    return reached


def _at(dt: datetime, today: date) -> str:
    """14:05 today / 14:05 tomorrow / the full time on any other day (UK time)."""
    local = to_uk(dt)
    day = local.date()
    if day == today:
        return f"{local:%H:%M} today"
    if day == today + timedelta(days=1):
        return f"{local:%H:%M} tomorrow"
    return format_uk(dt)


def day_words(day: date) -> str:
    """A UK calendar day for people, "Tue 24 Nov 2026" (as format_uk names days and months)."""
    return format_uk(datetime(day.year, day.month, day.day, 12, tzinfo=UK)).rsplit(" ", 2)[0]  # less "12:00 GMT"


def readiness_words(d, today: date, reason_label) -> str:
    """"Ready today", "Ready in 2 days", "Delayed 2 days: awaiting care package",
    "Readiness withdrawn", "Discharged, welfare check due by 14:05 tomorrow"."""
    state = d.readiness
    if state == "discharged":
        words = "Discharged"
        if d.welfare_due is not None:
            words += f", welfare check due by {_at(d.welfare_due, today)}"
        if d.delayed_days:
            words += f" ({days(d.delayed_days)} delayed)"
        return words
    if state == "withdrawn":
        return "Readiness withdrawn"
    if state == "ready":
        return ready_words(d.days_to_ready)
    if d.reason is None:
        return f"Delayed {days(d.delayed_days)}: no reason recorded"
    words = f"Delayed {days(d.delayed_days)}: {reason_label(d.reason)}"
    if d.reason_day != today:  # the last reason given; none yet for today
        words += f" (recorded for {day_words(d.reason_day)}; none today)"
    return words


def capacity_words(line) -> str:
    """A service's capacity in a row, from its line of the capacity board
    (services.capacity.board): "3 of 10 community beds free"."""
    if line.free is None:
        return "capacity not declared"
    if line.free == 0:
        return f"none of {line.total} {line.unit} free"
    return f"{line.free} of {line.total} {line.unit} free"


def discharge_row_html(row, ctx: RowContext, filters: dict | None = None) -> str:
    d = row.discharge
    rag = row.rag(ctx.at)
    today = ctx.today
    hospital = cell(d.hospital_name or d.hospital_ods)
    extra = (f' data-hospital="{cell(d.hospital_ods)}" data-hospital-name="{hospital}"'
             f' data-pathway="{cell(pathway_key(d.pathway))}"'
             f' data-readiness="{cell(d.readiness)}" data-delayed="{cell(d.delayed_in_hospital)}"')
    holder = row.assigned_service or row.route
    capacity = ""
    if holder in ctx.capacity:
        capacity = (f'<br><span class="queue-capacity" data-capacity-of="{cell(holder)}">'
                    f'{cell(ctx.capacity[holder])}</span>')
    ready = cell(day_words(d.ready_date)) if d.ready_date else "–"
    alert = " readiness--delayed" if d.readiness == "delayed" and d.reason is None else ""
    rid = cell(row.id)
    return (
        f"{_head(row, ctx, rid, rag, filters, extra)}<td>{cell(row.patient_age)}</td>"
        f"<td>{hospital}<br>{cell(d.ward)}</td>"
        f"<td>{cell(pathway_words(d.pathway, d.proposed_pathway))}</td>"
        f'<td>{ready}</td><td class="readiness{alert}">{cell(readiness_words(d, today, ctx.reason_label))}</td>'
        f"<td>{_route(row, ctx)}{capacity}</td>{_tail(row, ctx, rid, rag)}"
    )


def rows_html(rows, ctx: RowContext, filters: dict | None = None) -> Markup:
    return Markup("".join(row_html(r, ctx, filters) for r in rows))


# The pushed calls' lane: the ambulance service's case number, the breach time (the
# instant, and a countdown to it the page's script ticks), and "I have it" in the row.

def left_words(seconds: float) -> str:
    """The countdown for a screen reader, to the minute (the page's script says the same
    words, changing once a minute, never in a live region): "12 minutes left"."""
    if seconds <= 0:
        minutes = int(-seconds // 60)
        return "breach time passed" + (f" {minutes} minute{'' if minutes == 1 else 's'} ago" if minutes else "")
    minutes = int(seconds // 60)
    if minutes == 0:
        return "less than a minute left"
    return f"{minutes} minute{'' if minutes == 1 else 's'} left"


def ticking(seconds: float) -> str:
    """The countdown on screen, to the second: "12:05", or "-3:20" once past (as the script ticks it)."""
    whole = int(abs(seconds))
    return f"{'-' if seconds < 0 else ''}{whole // 60}:{whole % 60:02d}"


def breach_cell(p, ctx: RowContext) -> str:
    if p.breach_at is None:
        return '<td class="push-breach">Not given</td>'
    at = cell(_iso(p.breach_at))
    words, zone = _at(p.breach_at, ctx.today), format_uk(p.breach_at)[-3:]  # GMT or BST
    if not words.endswith(zone):  # "14:05 today" says no zone; another day's full time does
        words += f" ({zone})"
    when = f'<time datetime="{at}">{cell(words)}</time>'
    if p.taken:
        return f'<td class="push-breach">{when}<br>Taken</td>'
    seconds = (p.breach_at - ctx.at).total_seconds()
    # The ticking figure is hidden from screen readers (heard every second it would be noise);
    # the words beside it are theirs, and change once a minute.
    return (f'<td class="push-breach" data-breach-at="{at}">{when}<br>'
            f'<span class="push-countdown" aria-hidden="true">{ticking(seconds)}</span>'
            f'<span class="visually-hidden push-left">{cell(left_words(seconds))}</span></td>')


def take_form(row, ctx: RowContext, rid: str) -> str:
    """"I have it": accept, as the referral page's Accept button posts it (the version
    read: one someone changed meanwhile is refused, saying so)."""
    next_path = cell(path_for("web.live_queue") + "#lane-push-title")
    return (f'<form method="post" action="{ctx.fire_link.for_escaped(rid)}" class="inline-form push-take">'
            f'<input type="hidden" name="csrf_token" value="{cell(ctx.csrf)}">'
            '<input type="hidden" name="event" value="accept">'
            f'<input type="hidden" name="version" value="{cell(row.push.version)}">'
            f'<input type="hidden" name="next" value="{next_path}">'
            f'<button type="submit" class="button button--small push-take__button">I have it'
            f'<span class="visually-hidden">: {cell(row.reference)}</span></button></form>')


def push_row_html(row, ctx: RowContext, filters: dict | None = None) -> str:
    p = row.push
    rag = row.rag(ctx.at)
    rid = cell(row.id)
    case = cell(p.case_number) if p.case_number else "–"
    take = take_form(row, ctx, rid) if row.state == "offered" else ""
    return (
        f'{_head(row, ctx, rid, rag, filters)}<td>{take}</td><td>{case}</td><td>{cell(row.patient_age)}</td>'
        f"{breach_cell(p, ctx)}<td>{_route(row, ctx)}</td>{_tail(row, ctx, rid, rag)}"
    )
