"""Server-rendered bar charts: the geometry here, the SVG in templates/admin/_chart.html. No script, no CDN; every
bar carries its figure as a tooltip, the chart's text alternative sums it up, and the page shows the same numbers as
a table. Series differ by pattern as well as colour, so a reader who cannot tell the colours apart still can."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from math import ceil, log10

from babel.dates import format_skeleton
from flask_babel import format_date, format_number, get_locale, gettext

# The drawing's own units: the SVG scales to the full width of its column (viewBox), text and all.
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 44
# Each at least 3:1 against white (WCAG 1.4.11), the white marks over them too.
COLOURS = ("#0d6efd", "#dc3545", "#b45309", "#198754", "#6f42c1", "#0f766e", "#6c757d")
# White marks over a series' colour, as SVG path data on an 8 x 8 tile: solid, stripes one way and the other, plus
# signs, a grid, horizontal and vertical lines. With the colours they tell up to seven series apart.
MARKS = (
    "",
    "M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4",
    "M4,2 v4 M2,4 h4",
    "M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4",
    "M0,0 L8,8 M8,0 L0,8",
    "M0,4 h8",
    "M4,0 v8",
)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


@dataclass(frozen=True)
class Style:
    """How a series is drawn: its colour, and white marks over it (its pattern, in the chart's <defs>)."""

    colour: str
    marks: str
    name: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # its index in the chart's legend: the pattern it is filled with
    tip: str


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass
class Chart:
    title: str
    legend: list[Style]
    summary: str = ""  # the text alternative: what it shows, over which span, the totals
    categories: list[str] = field(default_factory=list)  # a slot per label, each day of a period included
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)  # the labels written under the axis
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def day_label(day: date) -> str:
    return str(format_skeleton("MMMd", day, locale=get_locale()))


def span(first: date, last: date) -> tuple[str, str]:
    """A chart's period for its summary, as the reader writes dates ("Mar 1, 2026", "Mar 14, 2026")."""
    return format_date(first), format_date(last)


def nice_step(value: float) -> int:
    """A whole step between grid lines: the smallest 1, 2 or 5 times a power of ten not below ``value``."""
    if value <= 1:
        return 1
    power = 10 ** int(log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def style(index: int, name: str) -> Style:
    return Style(COLOURS[index % len(COLOURS)], MARKS[index % len(MARKS)], name)


def summary(title: str, series: list[Series], span: tuple[str, str] | None) -> str:
    """The chart in a sentence, for those who do not see it: "Comments per day, Mar 1, 2026 to Mar 14, 2026. In
    all: Posted 1,234." (the table beside it has every figure)."""
    totals = ", ".join(f"{s.name} {format_number(sum(s.values))}" for s in series)
    if span is None:
        # Translators: a chart's text alternative: "Most-disabled authors. In all: Disabled comments 57."
        return gettext("%(title)s. In all: %(totals)s.", title=title, totals=totals)
    first, last = span
    # Translators: a chart's text alternative: "Comments per day, Mar 1, 2026 to Mar 14, 2026. In all: Posted 1,234."
    return gettext(
        "%(title)s, %(first)s to %(last)s. In all: %(totals)s.", title=title, first=first, last=last, totals=totals
    )


def shown_labels(count: int, most: int = 10) -> list[int]:
    """Which of ``count`` slots get a label under the axis: about ``most``, evenly spaced, the first and the last
    always (a reader sees where the chart starts and ends)."""
    if count <= 0:
        return []
    every = max(1, ceil(count / most))
    shown = list(range(0, count, every))
    if shown[-1] != count - 1:
        if len(shown) > 1 and count - 1 - shown[-1] < every:
            shown[-1] = count - 1  # closer than a step: the last day's label instead of its neighbour's
        else:
            shown.append(count - 1)
    return shown


def bars(
    title: str, labels: list[str], series: list[Series], stacked: bool = False, span: tuple[str, str] | None = None
) -> Chart:
    """Bars per label, a slot each (a day without any is an empty slot): side by side for each series, or stacked.
    ``span`` is the period the labels cover, for the summary (first and last day, as the reader writes them)."""
    chart = Chart(title, [style(i, s.name) for i, s in enumerate(series)], summary(title, series, span), list(labels))
    if not labels:
        return chart
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))] if stacked else []
    highest = max(totals) if stacked else max((max(s.values, default=0) for s in series), default=0)
    step = nice_step(highest / 4)
    lines = max(1, ceil(highest / step))
    top = step * lines
    plot_width, plot_height = WIDTH - LEFT - RIGHT, chart.baseline - TOP
    slot = plot_width / len(labels)
    per_slot = 1 if stacked else len(series)
    bar_width = max(1.0, slot * 0.8 / per_slot)
    for i, label in enumerate(labels):
        x0, below = LEFT + i * slot + slot * 0.1, chart.baseline
        for j, s in enumerate(series):
            value = s.values[i]
            height = plot_height * value / top
            x = x0 if stacked else x0 + j * bar_width
            y = below - height
            tip = f"{label}: {s.name} {format_number(value)}"
            chart.bars.append(Bar(round(x, 1), round(y, 1), round(bar_width, 1), round(height, 1), j, tip))
            if stacked:
                below = y
    for k in range(lines + 1):
        chart.ticks.append(Tick(round(chart.baseline - plot_height * k / lines, 1), format_number(step * k)))
    chart.labels = [Label(round(LEFT + (i + 0.5) * slot, 1), labels[i]) for i in shown_labels(len(labels))]
    return chart
