"""The reports page's question: a period (from, to: UK dates as people type them,
14/03/2026, or ISO as the page's own links carry them) and optionally one route
and one source. The page's form, every table's CSV and the extract are asked
the same way and loaded here, so a period refused on the page is refused for a
download too.

Blank means not given: no dates at all is the default (the last 7 UK days,
today included); a start alone runs to today; an end alone covers the 7 days
up to it.
"""
from datetime import date, timedelta

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validates_schema

from spoa.domain.period import DEFAULT_DAYS, LONGEST_DAYS, Filters, Period
from spoa.domain.policy import current_policy
from spoa.domain.vocab import SOURCES
from spoa.platform.timekeeping import now, uk_date
from spoa.schemas.fields import AsciiDate
from spoa.schemas.form_input import iso_date

# bounds of a UK day would not exist at all (9999-12-31 has no day after it).
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)
_DATE_MESSAGE = "Enter the {what} as day/month/year, for example {example}"


class UkDate(AsciiDate):
    """A day as typed on the page (24/11/2026) or as a link carries it (2026-11-24)."""

    def __init__(self, what: str, **kwargs):
        super().__init__(**kwargs)
        self.what = what

    def _deserialize(self, value, attr, data, **kwargs):
        example = f"{uk_date(now()):%d/%m/%Y}"
        try:
            day = super()._deserialize(iso_date(value) if isinstance(value, str) else value, attr, data, **kwargs)
        except ValidationError:
            raise ValidationError(_DATE_MESSAGE.format(what=self.what, example=example)) from None
        if not EARLIEST <= day <= LATEST:
            raise ValidationError(f"The {self.what} must be between {EARLIEST:%Y} and {LATEST:%Y}")
        return day


class _Choice(fields.String):
    """One of a list known when the request is served (the policy's routes, the sources)."""

    def __init__(self, what: str, known, **kwargs):
        super().__init__(**kwargs)
        self.what, self.known = what, known

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in self.known():
            raise ValidationError(f"Choose a {self.what} from the list, or leave it as every {self.what}")
        return text


def route_choices() -> list[tuple[str, str]]:
    return [(code, route.name) for code, route in current_policy().routes.items()]


def source_choices() -> list[tuple[str, str]]:
    return list(SOURCES.items())


# "from" is a Python keyword: the fields are named in a dict, as the query string names them.
_FIELDS = {
    "from": UkDate("start date", load_default=None, metadata={"label": "From"}),
    "to": UkDate("end date", load_default=None, metadata={"label": "To"}),
    "route": _Choice("route", lambda: dict(route_choices()), load_default=None, metadata={"label": "Route"}),
    "source": _Choice("source", lambda: SOURCES, load_default=None, metadata={"label": "Source"}),
}


class ReportQuerySchema(Schema.from_dict(_FIELDS)):
    class Meta:
        unknown = "exclude"  # a link's other parameters (a page anchor, a cache-buster) are not the question

    @pre_load
    def _drop_blanks(self, data, **_):
        return {key: value.strip() if isinstance(value, str) else value for key, value in data.items()
                if value is not None and str(value).strip() != ""}

    @validates_schema(skip_on_field_errors=True)
    def _period(self, data, **_):
        first, last = _bounds(data.get("from"), data.get("to"))
        if last < first:
            if data.get("to") is None:  # only a start was given, and it is after today
                raise ValidationError("The start date must be today or earlier", "from")
            raise ValidationError("The end date must be the same as or after the start date", "to")
        if (last - first).days + 1 > LONGEST_DAYS:
            raise ValidationError(f"A report covers at most {LONGEST_DAYS} days (two years): "
                                  "choose a later start date or an earlier end date", "to")

    @post_load
    def _question(self, data, **_):
        first, last = _bounds(data.get("from"), data.get("to"))
        return Period(first, last), Filters(route=data.get("route"), source=data.get("source"))


def _bounds(first: date | None, last: date | None) -> tuple[date, date]:
    if first is None and last is None:
        default = Period.last_days(DEFAULT_DAYS)
        return default.first, default.last
    if first is None:
        return last - timedelta(days=DEFAULT_DAYS - 1), last
    return first, last if last is not None else uk_date(now())


def load_query(args) -> tuple[Period, Filters]:
    """The query string -> (Period, Filters), or a ValidationError naming each field."""
    return ReportQuerySchema().load({name: args.get(name) for name in _FIELDS})


def query_args(period: Period, filters: Filters) -> dict[str, str]:
    """The question as a link carries it (ISO dates): the CSV links, the extract's."""
    args = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if filters.route:
        args["route"] = filters.route
    if filters.source:
        args["source"] = filters.source
    return args
