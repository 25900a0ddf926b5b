"""Charts drawn from a table's rows (spoa/reports/charts.py): an image with a name
and a description, bars as tall as their figures, nothing that runs, and the
table's own text escaped."""
import re
from datetime import date, timedelta

from spoa.reports import charts
from spoa.reports.table import Chart, Column, Table


def table(rows, chart, kinds=("count", "count"), title="Referrals per day"):
    return Table(id="t", title=title, columns=(Column("x", "Day", "date" if isinstance(rows[0][0], date) else "text"),
                                               Column("a", "EMAS", kinds[0]), Column("b", "GP", kinds[1])),
                 rows=tuple(rows), chart=chart)


def heights(svg: str, css: str) -> list[float]:
    return [float(h) for h in re.findall(rf'<rect class="{css}[^"]*"[^>]* height="([0-9.]+)"', svg)]


def test_a_chart_is_an_image_named_by_its_title_and_described():
    drawing = charts.draw(table([("Crisis", 3, 1)], Chart("bar", "x", ("a", "b"))))
    svg = str(drawing.svg)
    assert svg.startswith('<svg class="chart__svg" role="img"')
    assert 'aria-labelledby="chart-t-title chart-t-desc"' in svg
    assert '<title id="chart-t-title">Referrals per day</title>' in svg
    assert "Bar chart of EMAS, GP by day. The figures are in the table beside it." in svg
    assert "<script" not in svg and "<style" not in svg and "style=" not in svg  # the CSP allows none
    assert drawing.legend == (("chart__s0", "EMAS"), ("chart__s1", "GP"))


def test_bars_are_as_tall_as_their_figures_and_nothing_is_drawn_for_zero_or_none():
    svg = str(charts.draw(table([("A", 4, 0), ("B", 2, None), ("C", 8, 1)], Chart("bar", "x", ("a", "b")))).svg)
    emas, gp = heights(svg, "chart__s0"), heights(svg, "chart__s1")
    assert len(emas) == 3 and len(gp) == 1
    assert abs(emas[0] / emas[2] - 0.5) < 0.01 and abs(gp[0] / emas[2] - 0.125) < 0.01
    assert ">8</text>" in svg  # the axis reaches the tallest


def test_stacked_bars_pile_the_series():
    svg = str(charts.draw(table([("A", 3, 1)], Chart("stacked_bar", "x", ("a", "b")))).svg)
    (met,), (breached,) = heights(svg, "chart__s0"), heights(svg, "chart__s1")
    assert abs(met / breached - 3) < 0.01
    assert svg.count("chart__piece") == 2


def test_a_line_breaks_where_a_figure_is_missing_and_percent_runs_to_100():
    svg = str(charts.draw(table([("A", 50.0, 1), ("B", None, 1), ("C", 75.0, 1), ("D", 80.0, 1)],
                                Chart("line", "x", ("a",)), kinds=("percent", "count"))).svg)
    assert svg.count("<polyline") == 2 and ">100%</text>" in svg and "Line chart of EMAS" in svg


def test_a_year_of_days_shows_a_readable_number_of_labels():
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]
    svg = str(charts.draw(table([(d, n % 7, 0) for n, d in enumerate(days)], Chart("line", "x", ("a", "b")))).svg)
    labels = re.findall(r'<text class="chart__tick chart__tick--x"[^>]*>([^<]*)</text>', svg)
    assert 0 < len(labels) <= charts.MOST_LABELS and labels[0] == "1 Jan"
    assert "<circle" not in svg  # no marks on a year of days


def test_the_table_s_text_is_escaped():
    drawing = charts.draw(table([("<b>x</b>", 1, 1)], Chart("bar", "x", ("a", "b")), title="A & <i>B</i>"))
    svg = str(drawing.svg)
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg and "A &amp; &lt;i&gt;B&lt;/i&gt;" in svg


def test_no_chart_without_a_chart_or_without_rows():
    assert charts.draw(table([("A", 1, 1)], None)) is None
    empty = Table(id="t", title="T", columns=(Column("x", "X", "text"), Column("a", "A")), rows=(),
                  chart=Chart("bar", "x", ("a",)))
    assert charts.draw(empty) is None


def test_all_zero_figures_draw_an_empty_chart_not_an_error():
    svg = str(charts.draw(table([("A", 0, 0), ("B", 0, 0)], Chart("bar", "x", ("a", "b")))).svg)
    assert "<rect" not in svg and 'role="img"' in svg
