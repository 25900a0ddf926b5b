"""The reports page (/reports) and its downloads, for the report roles
(spoa/domain/access.py: REPORT_ROLES): for a period, and optionally one route and one
source, each section's headline figures, its tables as accessible HTML tables
with a chart beside them where the table has one, and every table as CSV; the
period's counts by each measure under the small-number rule (aggregates.csv);
and, for the analyst alone (EXTRACT_ROLES), the generalised row-level extract.

One question, three answers: the page's form, a table's CSV and the downloads
are all asked with the same query string (from, to, route, source), loaded by
one schema (spoa/schemas/reports.py), so a period refused on the page is
refused for a download too, with the same messages beside the same fields. A
table of free text (its id ends "_reasons") is for supervisors and admins only:
for a manager it is not on the page and its CSV answers 404, as a table that
does not exist would. Every aggregate or extract download is recorded in the
audit (who, when, the question, how many rows), committed before the first byte.
"""
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from spoa.domain import access, audit, labels
from spoa.domain.period import LONGEST_DAYS, Filters, Period
from spoa.extensions import db
from spoa.reports import aggregate, charts, csds_ucr, downloads, extract, sections, two_hour
from spoa.reports.table import Section
from spoa.schemas.reports import ReportQuerySchema, query_args, route_choices, source_choices
from spoa.web import bp
from spoa.web.forms import Form
from spoa.web.roles import allowed, check, current_actor

reports_bp = Blueprint("reports", __name__, url_prefix="/reports")


@reports_bp.before_request
@allowed(access.may_see_reports)
def _report_roles_only():
    return None


def _form(args) -> Form:
    return Form(ReportQuerySchema(), MultiDict(args), choices={
        "route": [("", "Every route"), *route_choices()],
        "source": [("", "Every source"), *source_choices()],
    })


def _question() -> tuple[Form, Period | None, Filters | None]:
    """The query string through the schema: (form, period, filters), or the form
    with each message beside its field and no period."""
    form = _form(request.args)
    try:
        period, filters = form.load()
    except ValidationError as exc:
        form.fail(exc)
        return form, None, None
    # The boxes show the period the figures are for, as people write dates (the
    # default, or a link's ISO dates, in the same form as one typed).
    form["from"].value, form["to"].value = f"{period.first:%d/%m/%Y}", f"{period.last:%d/%m/%Y}"
    return form, period, filters


def _refused(form: Form):
    return render_template("reports.html", form=form, sections=[], headlines=[], period=None,
                           longest=LONGEST_DAYS), 422


def _visible(built: list[Section]) -> list[Section]:
    """The sections as this person may see them: without the free-text tables, for a manager."""
    return [Section(id=s.id, title=s.title, headlines=s.headlines, note=s.note,
                    tables=tuple(t for t in s.tables if access.may_see_report_table(current_user, t.id)))
            for s in built]


@reports_bp.get("")
def page():
    form, period, filters = _question()
    if period is None:
        return _refused(form)
    shown = _visible(sections.build(period, filters))
    return render_template(
        "reports.html", form=form, sections=shown, period=period, filters=filters, longest=LONGEST_DAYS,
        headlines=[h for s in shown for h in s.headlines], args=query_args(period, filters),
        drawings={t.id: charts.draw(t) for s in shown for t in s.tables})


@reports_bp.get("/aggregates.csv")
def aggregates_csv():
    form, period, filters = _question()
    if period is None:
        return _refused(form)
    total, counts = aggregate.counted(period, filters)
    _recorded("aggregates", period, filters, rows=total)
    return _csv(aggregate.csv_lines(total, counts), downloads.filename("referral-aggregates", period, filters))


@reports_bp.get("/extract.csv")
@allowed(access.may_download_rows)  # rows are the analyst's: a manager has the aggregates
def extract_csv():
    form, period, filters = _question()
    if period is None:
        return _refused(form)
    try:
        pseudonym = extract.pseudonyms()
    except extract.Unavailable as exc:
        return render_template("error.html", title="The row-level extract is not available",
                               detail=str(exc)), 503
    choice = extract.generalisation(period, filters, current_app.config["EXTRACT_MIN_CELL"])
    _recorded("rows", period, filters, rows=choice.kept, left_out=choice.left_out,
              generalisation=choice.rung.name, min_cell=choice.k)
    return _csv(stream_with_context(extract.csv_lines(period, filters, choice, pseudonym)),
                downloads.filename("referral-extract", period, filters))


@reports_bp.get("/csds_ucr.csv")
def csds_ucr_csv():
    """The national 2-hour clock file: a row per clock, each naming SPOA's reference,
    which its sender holds too and SPOA leads straight back to the patient by: rows
    of personal data, so the analyst's alone, as the extract is, and recorded."""
    if not access.may_download_rows(current_user):
        abort(403)
    form, period, filters = _question()
    if period is None:
        return _refused(form)
    _recorded("csds_ucr", period, filters, rows=sum(two_hour.counts(period, filters).values()))
    return _csv(stream_with_context(csds_ucr.csv_lines(period, filters)),
                downloads.filename("csds-ucr", period, filters))


def _recorded(what: str, period: Period, filters: Filters, **figures) -> None:
    """Who downloaded what, when (the audit row's time): counts and the question, never a row."""
    audit.record(current_actor(), "extract_downloaded", detail={
        "download": what, "from": period.first.isoformat(), "to": period.last.isoformat(),
        "route": filters.route, "source": filters.source, **figures})
    db.session.commit()


@reports_bp.get("/<table_id>.csv")
def table_csv(table_id):
    form, period, filters = _question()
    if period is None:
        return _refused(form)
    check(access.may_see_report_table, table_id, hidden=True)  # not theirs: as if there were no such table
    table = sections.table(table_id, period, filters)
    if table is None:
        abort(404)
    return _csv(downloads.table_lines(table), downloads.filename(table.id, period, filters))


def _csv(lines, name: str) -> Response:
    return Response(lines, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@reports_bp.app_template_global()
def report_cell(value, kind: str) -> str:
    """A table's value as the page shows it: the CSV has the same value, unformatted."""
    if value is None:
        return "–"
    if kind == "percent":
        return f"{value:.1f}%"
    if kind in ("hours",) and isinstance(value, (int, float)):
        return f"{value:.1f}"
    if kind in ("count", "days") and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, date):
        return f"{value:%a %-d %b %Y}"
    return str(value)


@reports_bp.app_template_global()
def report_filters_words(filters: Filters) -> str:
    words = []
    if filters.route:
        words.append(f"route: {labels.route_name(filters.route)}")
    if filters.source:
        words.append(f"source: {labels.source_name(filters.source)}")
    return "; ".join(words)


@reports_bp.app_template_global()
def report_csv_url(table_id: str, args: dict) -> str:
    return url_for("web.reports.table_csv", table_id=table_id, **args)


bp.register_blueprint(reports_bp)  # endpoints: web.reports.<view>
