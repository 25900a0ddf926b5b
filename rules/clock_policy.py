"""clocks.yaml: the routes, each route's clock targets (for community referrals,
and for hospital discharges), and how breaches are chased. Only the targets live
here; the deadline arithmetic (24/7 and working hours, bank holidays, the end of
a UK day) is rules/calendar.py, whose WorkingHours this builds."""
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

from .calendar import COUNTS, WorkingHours
from .digits import ascii_int
from .errors import PolicyError, check_fields

FILE = "clocks.yaml"
URGENCIES = ("emergency", "urgent", "routine")  # most urgent first
STARTS_FROM = ("receipt", "first_contact", "start", "discharged")
# The lifecycle event that starts a clock counted from each anchor but receipt.
STARTED_BY = {"first_contact": "first_contact", "start": "start_episode", "discharged": "discharged"}
PATHWAYS = (0, 1, 2, 3)  # national discharge pathways (standards.md §2)
# Percent of 2-hour urgent community response referrals seen within 2 hours: the national ambition.
TWO_HOUR_AMBITION = 70.0
# The lifecycle events a clock may be met by (spoa/domain/lifecycle.py's names); a
# misspelt one would leave a clock that nothing can ever meet.
EVENTS = ("triage", "override", "redirect", "accept", "acknowledge", "first_contact", "start_episode",
          "review_episode", "complete", "hand_on", "discharged", "return_to_sender")
# Only a hospital discharge is ever discharged: a community clock started or met
# by it would never start, or never be met.
DISCHARGE_ONLY = frozenset({"discharged"})
# The discharge clock's target: the end of the discharge ready date, UK time.
END_OF_DRD = "end of DRD"
# A pushed 999 call's clock due at the call's breach time (occurrencePeriod.end), or
# `no_breach_time` after receipt when the message names none.
BREACH_TIME = "breach time"
# What happens when a clock's deadline passes unmet: the chase up the escalation chain,
# or (a pushed call's) the call goes back to the ambulance service by itself.
ON_DEADLINE = ("escalate", "return")
# The kinds of referral (intake 1.1), and the section of clocks each runs. A 999 call
# pushed by the ambulance service runs a community referral's clocks, and pushed_call_clocks too.
KIND_SECTIONS = {"community": "clocks", "discharge": "discharge_clocks", "pushed_call": "clocks"}
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_TOP = ("routes", "clocks", "discharge_clocks", "warn_at", "rechase", "escalation_chain", "working_hours")
_OPTIONAL = ("repeats_at_top", "pushed_call_clocks")
# Reminders to the last link of the chain after it is first reached, when clocks.yaml
# does not say: an hour of them at the 15-minute re-chase, then a person has it or not.
REPEATS_AT_TOP = 4
_REPEATS_MAX = 96  # a day of 15-minute reminders: past that it is no longer a reminder
_CLOCK_FIELDS = ("name", "target", "after_drd", "counts", "from", "met_by")
_PUSH_FIELDS = ("name", "target", "no_breach_time", "from", "met_by", "on_deadline")


@dataclass(frozen=True)
class ClockTarget:
    name: str
    duration: timedelta  # zero: met at once by automatic triage
    counts: str  # '24/7' | 'working_hours'
    starts_from: str  # 'receipt' | 'first_contact' | 'start' | 'discharged'
    met_by: tuple[str, ...]
    # A discharge clock: the deadline is the end of the discharge ready date (UK
    # time), and ``duration`` is the time from receipt instead when the referral
    # arrived after its DRD (rules.calendar.by_end_of_day).
    ends_on_drd: bool = False
    # A pushed call's clock: the deadline is the call's breach time, and ``duration`` the
    # time from receipt when it named none.
    ends_at_breach: bool = False
    on_deadline: str = "escalate"  # ON_DEADLINE


@dataclass(frozen=True)
class RouteInfo:
    name: str  # display name
    is_service: bool  # a service accepts and works referrals; the other routes are SPOA's own
    # The national discharge pathway (0-3) a discharge referral on this route is on;
    # None for routes no discharge pathway means (a person decides, or 999/ED).
    pathway: int | None = None


@dataclass(frozen=True)
class _ClockSpec:
    name: str
    durations: MappingProxyType  # urgency -> timedelta; key None when one target fits all
    counts: str
    starts_from: str
    met_by: tuple[str, ...]
    ends_on_drd: bool = False
    ends_at_breach: bool = False
    on_deadline: str = "escalate"

    def target(self, urgency: str) -> ClockTarget:
        durations = self.durations
        if None in durations:
            duration = durations[None]
        else:
            # An urgency the table does not list (a supervisor may route a
            # mental-health crisis as routine) takes the next more urgent one
            # listed, so an override never lengthens a clock; failing that,
            # the next less urgent.
            at = URGENCIES.index(urgency)
            order = list(reversed(URGENCIES[:at + 1])) + list(URGENCIES[at + 1:])
            duration = durations[next(u for u in order if u in durations)]
        return ClockTarget(self.name, duration, self.counts, self.starts_from, self.met_by, self.ends_on_drd,
                           self.ends_at_breach, self.on_deadline)


@dataclass(frozen=True)
class ClockPolicy:
    routes: MappingProxyType  # route id -> RouteInfo
    clocks: MappingProxyType  # route id -> tuple[_ClockSpec, ...]: community referrals
    discharge_clocks: MappingProxyType  # route id -> tuple[_ClockSpec, ...]: hospital discharges
    warn_at: tuple[float, ...]
    rechase_short: timedelta
    rechase_long: timedelta
    escalation_chain: tuple[str, ...]
    working_hours: WorkingHours
    repeats_at_top: int = REPEATS_AT_TOP
    # The clocks every pushed 999 call runs besides its route's, whatever the route.
    pushed_call_clocks: tuple = ()

    @property
    def last_escalation_level(self) -> int:
        """The final level: the breach is 1 (the first link), each re-chase one more,
        the last link reached at len(chain), then ``repeats_at_top`` more."""
        return len(self.escalation_chain) + self.repeats_at_top


def parse_duration(text) -> timedelta:
    """'30m', '2h', '42d' or 'at once' (zero). Anything else is a ValueError."""
    if isinstance(text, str) and text.strip().lower() == "at once":
        return timedelta(0)
    written = text.strip() if isinstance(text, str) else ""
    count, unit = ascii_int(written[:-1].strip(), most=9), written[-1:]
    if count is None or unit not in _UNITS:
        raise ValueError(f"bad duration {text!r} (write e.g. 30m, 2h, 42d or 'at once')")
    return timedelta(**{_UNITS[unit]: count})


def load_clocks(data: dict) -> ClockPolicy:
    check_fields(FILE, None, data, _TOP + _OPTIONAL, required=_TOP)
    routes = _routes(data["routes"])
    return ClockPolicy(
        routes=MappingProxyType(routes),
        clocks=_clock_table(routes, data["clocks"], "community"),
        discharge_clocks=_clock_table(routes, data["discharge_clocks"], "discharge"),
        warn_at=_warn_at(data["warn_at"]),
        rechase_short=_duration(data["rechase"], "window_of_a_day_or_less", "rechase"),
        rechase_long=_duration(data["rechase"], "longer_windows", "rechase"),
        escalation_chain=_names(data["escalation_chain"], "escalation_chain"),
        working_hours=_working_hours(data["working_hours"]),
        repeats_at_top=_repeats(data.get("repeats_at_top", REPEATS_AT_TOP)),
        pushed_call_clocks=_push_clocks(data.get("pushed_call_clocks") or [], routes, data["clocks"]),
    )


def _push_clocks(items, routes: dict, community) -> tuple:
    """pushed_call_clocks: each due at the call's breach time (the default from receipt
    when it has none), met by the events listed; at the deadline it escalates or returns
    the call. A name a route's clocks also use would be two clocks of one name."""
    where = "pushed_call_clocks"
    if not isinstance(items, list):
        raise PolicyError(FILE, "should be a list of clocks", where)
    used = {s.get("name") for clocks in (community or {}).values() if isinstance(clocks, list)
            for s in clocks if isinstance(s, dict)}
    specs = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        here = f"{where}, clock {name}"
        check_fields(FILE, here, item, _PUSH_FIELDS, required=("name", "target", "no_breach_time", "met_by"))
        if not isinstance(name, str) or not name or name in used or name in (s.name for s in specs):
            raise PolicyError(FILE, "needs a name of its own (not one a route's clocks use)", here)
        if not (isinstance(item["target"], str) and item["target"].strip().lower() == BREACH_TIME):
            raise PolicyError(FILE, f"target should be {BREACH_TIME!r} (the call's breach time)", here)
        if item.get("from", "receipt") != "receipt":
            raise PolicyError(FILE, "counts from receipt", here)
        met_by = item["met_by"] if isinstance(item["met_by"], list) else [item["met_by"]]
        unknown = [e for e in met_by if e not in EVENTS]
        if unknown or not met_by:
            problem = f"unknown met_by event {unknown}" if unknown else "met_by lists no event"
            raise PolicyError(FILE, f"{problem} (known: {', '.join(EVENTS)})", here)
        default = _duration(item, "no_breach_time", here)
        if default <= timedelta(0):
            raise PolicyError(FILE, "no_breach_time should be a time, e.g. 20m", here)
        on_deadline = item.get("on_deadline", "escalate")
        if on_deadline not in ON_DEADLINE:
            raise PolicyError(FILE, f"unknown on_deadline {on_deadline!r} (known: {', '.join(ON_DEADLINE)})", here)
        specs.append(_ClockSpec(name, MappingProxyType({None: default}), "24/7", "receipt", tuple(met_by),
                                ends_at_breach=True, on_deadline=on_deadline))
    return tuple(specs)


def _routes(data) -> dict:
    if not isinstance(data, dict) or not data:
        raise PolicyError(FILE, "should map each route id to its name and is_service", "routes")
    routes = {}
    for route, info in data.items():
        where = f"route {route}"
        check_fields(FILE, where, info, ("name", "is_service", "pathway"), required=("name", "is_service"))
        if not isinstance(info["name"], str) or not info["name"].strip():
            raise PolicyError(FILE, "name should be a display name", where)
        if not isinstance(info["is_service"], bool):
            raise PolicyError(FILE, "is_service should be true or false", where)
        pathway = info.get("pathway")
        if pathway is not None and (isinstance(pathway, bool) or pathway not in PATHWAYS):
            raise PolicyError(FILE, "pathway should be a discharge pathway, 0, 1, 2 or 3", where)
        routes[str(route)] = RouteInfo(info["name"].strip(), info["is_service"], pathway)
    return routes


def _clock_table(routes: dict, data, kind: str) -> MappingProxyType:
    """One section of clocks (``clocks`` for community referrals, ``discharge_clocks``
    for hospital discharges): every declared route, each with its list."""
    section = KIND_SECTIONS[kind]
    if not isinstance(data, dict):
        raise PolicyError(FILE, "should map each route to its list of clocks", section)
    undeclared = [str(r) for r in data if r not in routes]
    if undeclared:
        raise PolicyError(FILE, f"unknown route {', '.join(undeclared)} (declare it under routes first)", section)
    table = {}
    for route in routes:
        if route not in data:
            raise PolicyError(FILE, "no clocks listed (every route has at least triage)", _where(kind, route))
        table[route] = _route_clocks(route, data[route], kind)
    return MappingProxyType(table)


def _where(kind: str, route: str, clock=None) -> str:
    # Community clocks' messages read as they always have; a discharge's say so.
    where = f"route {route}" if kind == "community" else f"discharge_clocks, route {route}"
    return where if clock is None else f"{where}, clock {clock}"


def _route_clocks(route: str, items, kind: str) -> tuple:
    if not isinstance(items, list) or not items:
        raise PolicyError(FILE, "should be a list of clocks", _where(kind, route))
    specs = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        where = _where(kind, route, name)
        check_fields(FILE, where, item, _CLOCK_FIELDS, required=("name", "target", "from", "met_by"))
        if name in (s.name for s in specs):
            raise PolicyError(FILE, "listed twice", where)
        counts = item.get("counts", "24/7")
        if counts not in COUNTS:
            raise PolicyError(FILE, f"unknown counts {counts!r} (known: {', '.join(COUNTS)})", where)
        if item["from"] not in STARTS_FROM:
            raise PolicyError(FILE, f"unknown from {item['from']!r} (known: {', '.join(STARTS_FROM)})", where)
        met_by = item["met_by"] if isinstance(item["met_by"], list) else [item["met_by"]]
        unknown = [e for e in met_by if e not in EVENTS]
        if unknown or not met_by:
            problem = f"unknown met_by event {unknown}" if unknown else "met_by lists no event"
            raise PolicyError(FILE, f"{problem} (known: {', '.join(EVENTS)})", where)
        _check_discharge_events(kind, item["from"], met_by, where)
        if _is_end_of_drd(item["target"]):
            specs.append(_drd_spec(item, name, counts, tuple(met_by), kind, where))
            continue
        if "after_drd" in item:
            raise PolicyError(FILE, f"after_drd belongs to a target of {END_OF_DRD!r} only", where)
        durations = _targets(item["target"], where)
        raw = item["target"].values() if isinstance(item["target"], dict) else [item["target"]]
        if counts == "working_hours" and any(str(t).strip().endswith("d") for t in raw):
            # A "day" of working hours is ambiguous (8 hours? a calendar day?).
            raise PolicyError(FILE, "a working-hours target is in hours or minutes (16h), not days", where)
        specs.append(_ClockSpec(name, MappingProxyType(durations), counts, item["from"], tuple(met_by)))
    if "triage" not in (s.name for s in specs):
        raise PolicyError(FILE, "has no triage clock (every route has one)", _where(kind, route))
    return tuple(specs)


def _check_discharge_events(kind: str, starts_from: str, met_by: list, where: str) -> None:
    if kind != "discharge" and (starts_from in DISCHARGE_ONLY or DISCHARGE_ONLY.intersection(met_by)):
        raise PolicyError(FILE, "only a hospital discharge is discharged: list this clock under "
                          "discharge_clocks", where)
    if STARTED_BY.get(starts_from) in met_by:
        raise PolicyError(FILE, f"is met by {STARTED_BY[starts_from]}, the event that starts it: "
                          "it would never run", where)


def _is_end_of_drd(target) -> bool:
    return isinstance(target, str) and target.strip().lower() == END_OF_DRD.lower()


def _drd_spec(item, name, counts, met_by, kind, where) -> _ClockSpec:
    """A clock due by the end of the discharge ready date: a discharge's, counted
    from receipt, in real time (the day ends at midnight whatever the hours)."""
    if kind != "discharge":
        raise PolicyError(FILE, f"a community referral has no discharge ready date: {END_OF_DRD!r} "
                          "belongs under discharge_clocks", where)
    if counts != "24/7":
        raise PolicyError(FILE, f"a target of {END_OF_DRD!r} counts 24/7 (the day ends at midnight)", where)
    if item["from"] != "receipt":
        raise PolicyError(FILE, f"a target of {END_OF_DRD!r} counts from receipt", where)
    late = _duration(item, "after_drd", where)  # "missing after_drd" when absent
    if late <= timedelta(0):
        raise PolicyError(FILE, "after_drd should be a time, e.g. 24h (how long a referral received "
                          "after its DRD has)", where)
    return _ClockSpec(name, MappingProxyType({None: late}), counts, "receipt", met_by, ends_on_drd=True)


def _targets(target, where) -> dict:
    if not isinstance(target, dict):
        return {None: _duration({"target": target}, "target", where)}
    unknown = [u for u in target if u not in URGENCIES]
    if unknown or not target:
        raise PolicyError(FILE, f"target urgency {unknown} unknown (known: {', '.join(URGENCIES)})", where)
    return {urgency: _duration(target, urgency, where) for urgency in target}


def _duration(mapping, key, where) -> timedelta:
    if not isinstance(mapping, dict) or key not in mapping:
        raise PolicyError(FILE, f"missing {key}", where)
    try:
        return parse_duration(mapping[key])
    except ValueError as exc:
        raise PolicyError(FILE, f"{key}: {exc}", where) from None


def _warn_at(values) -> tuple[float, ...]:
    ok = isinstance(values, list) and values and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1 for v in values)
    if not ok or sorted(values) != values:
        raise PolicyError(FILE, "should be fractions between 0 and 1, smallest first, e.g. [0.75, 0.90]", "warn_at")
    return tuple(float(v) for v in values)


def _repeats(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _REPEATS_MAX:
        raise PolicyError(FILE, f"should be a whole number from 0 to {_REPEATS_MAX}: how many times the last "
                                "link of the escalation chain is chased again before chasing stops",
                          "repeats_at_top")
    return value


def _names(values, where) -> tuple[str, ...]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyError(FILE, "should be a list of names", where)
    return tuple(values)


def _working_hours(data) -> WorkingHours:
    where = "working_hours"
    fields = ("timezone", "weekdays", "start", "end", "bank_holidays")
    check_fields(FILE, where, data, fields, required=fields)
    if not isinstance(data["weekdays"], list):
        raise PolicyError(FILE, "weekdays should be a list, e.g. [mon, tue, wed, thu, fri]", where)
    for key in ("start", "end"):
        # Unquoted 09:00 is read by YAML 1.1 as 540 (minutes, sexagesimal): ask for quotes.
        if not isinstance(data[key], str):
            raise PolicyError(FILE, f"time {data[key]!r} should be quoted, e.g. \"09:00\"", where)
    holidays = data["bank_holidays"]
    check_fields(FILE, f"{where}, bank_holidays", holidays, ("country", "subdiv"), required=("country",))
    try:  # the calendar checks the values themselves, once, for the app and the policy alike
        return WorkingHours(
            timezone=str(data["timezone"]), weekdays=data["weekdays"], start=data["start"], end=data["end"],
            holiday_country=str(holidays["country"]),
            holiday_subdiv=None if holidays.get("subdiv") is None else str(holidays["subdiv"]))
    except ValueError as exc:
        raise PolicyError(FILE, str(exc), where) from None
