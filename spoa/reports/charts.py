"""A table's chart (Table.chart) drawn as SVG on the server, put inline in the page.

Hand-written rather than pygal's: pygal's SVG always carries an inline <script>
(its config, even with js=[]) and an inline <style>, and the pages' Content
Security Policy allows neither (spoa/web/security.py: script-src and style-src
'self'), so its charts would be drawn unstyled and log a violation each. Here
every colour is a class in spoa.css, nothing runs, and nothing is fetched.

Accessible as an image: role="img" named by its <title> and described by its
<desc> (what is drawn against what, and that the figures are in the table
beside it, which holds every number the chart shows). Series differ by colour
and are named in the legend; the chart never carries a figure the table lacks.
"""
from dataclasses import dataclass
from datetime import date
from math import floor, log10

from markupsafe import Markup, escape

from spoa.reports.table import Table

WIDTH, PLOT_HEIGHT = 720, 230
LEFT, RIGHT, TOP = 56, 12, 12
CHAR = 6.5  # the width of a 12px label's character, near enough, in the chart's units
LONGEST_LABEL = 28  # characters of a category shown; the table has it whole
WIDEST_BAR = 48  # a chart of one or two categories is not one slab
PALETTE = 10  # spoa.css: .chart__s0 ... .chart__s9, each 3:1 or more against white
MOST_LABELS = 14  # x labels shown at most; the rest are in the table
KIND_WORDS = {"bar": "Bar chart", "stacked_bar": "Stacked bar chart", "line": "Line chart"}


@dataclass(frozen=True)
class Drawing:
    svg: Markup
    legend: tuple[tuple[str, str], ...]  # (css class, series label)


def draw(table: Table) -> Drawing | None:
    """The table's chart, or None when it has none (or no rows to draw)."""
    chart = table.chart
    if chart is None or not table.rows:
        return None
    categories = [_label(v) for v in table.values(chart.x)]
    series = [(key, table.column(key).label, [_number(v) for v in table.values(key)]) for key in chart.series]
    percent = all(table.column(key).kind == "percent" for key in chart.series)
    if chart.kind == "stacked_bar":
        tallest = max((sum(v[i] or 0 for _, _, v in series) for i in range(len(categories))), default=0)
    else:
        tallest = max((x for _, _, values in series for x in values if x is not None), default=0)
    top, step = (100.0, 20.0) if percent else _scale(tallest)
    labels = _Labels(categories, (WIDTH - LEFT - RIGHT) / max(len(categories), 1))
    plot = _Plot(len(categories), top)
    height = TOP + PLOT_HEIGHT + labels.depth
    left = labels.overhang(plot)  # a slanted first label reaching past the left edge: widen the view for it
    parts = [_axes(plot, top, step, percent), labels.svg(plot)]
    if chart.kind == "line":
        parts += [_line(plot, n, values) for n, (_, _, values) in enumerate(series)]
    elif chart.kind == "stacked_bar":
        parts.append(_stacked(plot, [values for _, _, values in series]))
    else:
        parts.append(_bars(plot, [values for _, _, values in series]))
    title = chart.title or table.title
    against = table.column(chart.x).label.lower()
    names = ", ".join(label for _, label, _ in series)
    desc = (f"{KIND_WORDS.get(chart.kind, 'Chart')} of {names} by {against}. "
            "The figures are in the table beside it.")
    ident = f"chart-{table.id}"
    svg = Markup(
        f'<svg class="chart__svg" role="img" viewBox="{-left:.0f} 0 {WIDTH + left:.0f} {height:.0f}" focusable="false" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        + "".join(parts) + "</svg>")
    legend = tuple((f"chart__s{n % PALETTE}", label) for n, (_, label, _) in enumerate(series))
    return Drawing(svg=svg, legend=legend)


def _number(value) -> float | None:
    return None if value is None or isinstance(value, bool) else float(value)


def _label(value) -> str:
    if isinstance(value, date):
        return f"{value:%-d %b}"
    if value is None:
        return "–"
    return str(value).replace("_", " ")


def _scale(tallest: float) -> tuple[float, float]:
    """A round top for the y axis and its step (1, 2 or 5 times a power of ten),
    about five gridlines whatever the figures."""
    if tallest <= 0:
        return 1.0, 1.0
    rough = tallest / 5
    power = 10 ** floor(log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(step, 1.0) if tallest >= 1 else step  # counts: never a step of 0.2 referrals
    top = step * -(-tallest // step)
    return top, step


class _Plot:
    def __init__(self, count: int, top: float):
        self.count, self.top = max(count, 1), top or 1.0
        self.width, self.height = WIDTH - LEFT - RIGHT, PLOT_HEIGHT
        self.slot = self.width / self.count

    def x(self, index: int) -> float:
        """The middle of category ``index``'s slot."""
        return LEFT + self.slot * (index + 0.5)

    def y(self, value: float) -> float:
        return TOP + self.height * (1 - min(value, self.top) / self.top)


def _fmt(number: float) -> str:
    return f"{number:.0f}" if float(number).is_integer() else f"{number:g}"


def _axes(plot: _Plot, top: float, step: float, percent: bool) -> str:
    lines, value = [], 0.0
    while value <= top + 1e-9:
        y = plot.y(value)
        lines.append(f'<line class="chart__grid" x1="{LEFT}" x2="{LEFT + plot.width}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="chart__tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{_fmt(value)}{"%" if percent else ""}</text>')
        value += step
    base = plot.y(0)
    lines.append(f'<line class="chart__axis" x1="{LEFT}" x2="{LEFT + plot.width}" y1="{base:.1f}" y2="{base:.1f}"/>')
    return "".join(lines)


class _Labels:
    """The categories under the x axis: at most MOST_LABELS of them (a year of days
    shows every 27th), level where they fit their room, slanted where they do not,
    with the chart made deep enough for them."""

    def __init__(self, categories: list[str], slot: float):
        self.every = -(-len(categories) // MOST_LABELS)  # ceil: 24 hours -> every 2nd
        room = max(LONGEST_LABEL, int(slot * self.every / CHAR))  # a label with room to spare is shown whole
        self.shown = [(i, _short(categories[i], room)) for i in range(0, len(categories), self.every)]
        longest = max((len(text) for _, text in self.shown), default=0)
        self.slanted = longest * CHAR > slot * self.every
        # A 30-degree slant drops a label by half its length.
        self.depth = 28 + (longest * CHAR * 0.5 if self.slanted else 0)

    def overhang(self, plot: "_Plot") -> float:
        """How far the slanted labels reach left of the chart's edge (cos 30 of their length)."""
        if not self.slanted:
            return 0.0
        return max([0.0] + [len(text) * CHAR * 0.87 - plot.x(index) + 4 for index, text in self.shown])

    def svg(self, plot: "_Plot") -> str:
        out, y = [], TOP + plot.height + 16
        for index, text in self.shown:
            x = plot.x(index)
            if self.slanted:
                out.append(f'<text class="chart__tick chart__tick--x" x="{x:.1f}" y="{y:.1f}" text-anchor="end" '
                           f'transform="rotate(-30 {x:.1f} {y:.1f})">{escape(text)}</text>')
            else:
                out.append(f'<text class="chart__tick chart__tick--x" x="{x:.1f}" y="{y:.1f}" '
                           f'text-anchor="middle">{escape(text)}</text>')
        return "".join(out)


def _short(text: str, room: int) -> str:
    return text if len(text) <= room else text[:room - 1] + "…"


def _bars(plot: _Plot, series: list[list]) -> str:
    """Bars side by side in each category's slot, one per series."""
    width = min(plot.slot * 0.8 / max(len(series), 1), WIDEST_BAR)
    inner = width * len(series)
    out = []
    for n, values in enumerate(series):
        for index, value in enumerate(values):
            if not value:
                continue
            x = plot.x(index) - inner / 2 + n * width
            y = plot.y(value)
            out.append(f'<rect class="chart__s{n % PALETTE}" x="{x:.1f}" y="{y:.1f}" '
                       f'width="{max(width - 1, 0.5):.1f}" height="{plot.y(0) - y:.1f}"/>')
    return "".join(out)


def _stacked(plot: _Plot, series: list[list]) -> str:
    """One bar per category, the series piled in order, a white line between them."""
    width = min(plot.slot * 0.7, WIDEST_BAR)
    out = []
    for index in range(plot.count):
        total = 0.0
        for n, values in enumerate(series):
            value = values[index] if index < len(values) else None
            if not value:
                continue
            low, high = plot.y(total), plot.y(total + value)
            total += value
            out.append(f'<rect class="chart__s{n % PALETTE} chart__piece" x="{plot.x(index) - width / 2:.1f}" '
                       f'y="{high:.1f}" width="{width:.1f}" height="{low - high:.1f}"/>')
    return "".join(out)


def _line(plot: _Plot, n: int, values: list) -> str:
    """A series as a line with a mark at each figure; a missing figure breaks the line."""
    runs, run = [], []
    for index, value in enumerate(values):
        if value is None:
            runs, run = runs + ([run] if run else []), []
        else:
            run.append((plot.x(index), plot.y(value)))
    runs += [run] if run else []
    out = []
    for points in runs:
        out.append(f'<polyline class="chart__line chart__s{n % PALETTE}" fill="none" points="'
                   + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        if len(values) <= 60:  # marks on a year of days would only blot the line
            out += [f'<circle class="chart__s{n % PALETTE}" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points]
    return "".join(out)
