"""Server-rendered bar charts: the geometry here, the SVG in templates/admin/_chart.html. No script, no CDN; every
bar carries its figure as a tooltip, and the page shows the same numbers as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from math import ceil, log10

from babel.dates import format_skeleton
from flask_babel import format_number, get_locale

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 12, 44
COLOURS = ("#0d6efd", "#dc3545", "#fd7e14", "#198754", "#6f42c1", "#20c997", "#6c757d")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
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
    legend: list[tuple[str, str]]  # (colour, series name)
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM


def day_label(day: date) -> str:
    return str(format_skeleton("MMMd", day, locale=get_locale()))


def nice_step(value: float) -> int:
    """A whole step between grid lines: the smallest 1, 2 or 5 times a power of ten not below ``value``."""
    if value <= 1:
        return 1
    power = 10 ** int(log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def bars(title: str, labels: list[str], series: list[Series], stacked: bool = False) -> Chart:
    """Bars per label: side by side for each series, or stacked."""
    chart = Chart(title, [(COLOURS[i % len(COLOURS)], s.name) for i, s in enumerate(series)])
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
            chart.bars.append(
                Bar(round(x, 1), round(y, 1), round(bar_width, 1), round(height, 1), chart.legend[j][0], tip)
            )
            if stacked:
                below = y
    for k in range(lines + 1):
        chart.ticks.append(Tick(round(chart.baseline - plot_height * k / lines, 1), format_number(step * k)))
    every = max(1, ceil(len(labels) / 10))
    chart.labels = [Label(round(LEFT + (i + 0.5) * slot, 1), text) for i, text in enumerate(labels) if i % every == 0]
    return chart
