"""Chart geometry: whole-number grid lines that cover the highest bar, bars in proportion, stacks adding up, a slot
for every day of the period, series told apart without colour, and a summary for those who do not see it."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from admin_app.admin.charts import (
    COLOURS,
    HEIGHT,
    LEFT,
    MARKS,
    RIGHT,
    TOP,
    WIDTH,
    Series,
    bars,
    day_label,
    shown_labels,
)
from admin_app.admin.reports import activity_chart
from admin_app.services.reports import Period


@pytest.mark.parametrize(
    ("values", "ticks"),
    [([2, 3, 4], ["0", "1", "2", "3", "4"]), ([0, 0], ["0", "1"]), ([16, 7], ["0", "5", "10", "15", "20"]),
     ([38_000], ["0", "10,000", "20,000", "30,000", "40,000"])],
)  # fmt: skip
def test_grid_lines_are_whole_numbers_up_to_the_highest_bar(app: Flask, values: list[int], ticks: list[str]) -> None:
    with app.test_request_context():
        assert [tick.text for tick in bars("t", [str(v) for v in values], [Series("s", values)]).ticks] == ticks


def test_bars_are_in_proportion_and_stacks_add_up(app: Flask) -> None:
    with app.test_request_context():
        side = bars("t", ["a", "b"], [Series("x", [1, 4]), Series("y", [2, 0])])
        stacked = bars("t", ["a", "b"], [Series("x", [1, 4]), Series("y", [2, 0])], stacked=True)
    full = side.baseline - TOP
    assert [bar.height for bar in side.bars] == [full / 4, full / 2, full, 0]
    assert stacked.bars[1].y + stacked.bars[1].height == stacked.bars[0].y  # y sits on x
    assert 0 < stacked.bars[0].height < HEIGHT
    assert "a: x 1" == side.bars[0].tip


@pytest.mark.parametrize("count", [1, 2, 7, 10, 11, 14, 29, 30, 31, 90, 365, 731])
def test_the_first_and_last_slots_are_always_labelled(count: int) -> None:
    shown = shown_labels(count)
    assert shown[0] == 0 and shown[-1] == count - 1
    assert shown == sorted(set(shown)) and len(shown) <= 12
    assert all(b - a >= max(1, count // 20) for a, b in zip(shown, shown[1:], strict=False))  # never crowded


def test_the_activity_chart_has_a_slot_for_every_day_of_the_period(app: Flask) -> None:
    period = Period(date(2026, 3, 1), date(2026, 3, 10))
    # day, moderator, reason, operations, rows changed, rows undone, net: activity on the 4th and the 6th only
    rows = [(date(2026, 3, 4), "a", "spam", 2, 5, 4, 1), (date(2026, 3, 6), "b", "abuse", 1, 3, 0, 3)]
    with app.test_request_context():
        chart = activity_chart(rows, period)
        days = [day_label(day) for day in period.days()]
    assert chart.categories == days  # from the period's first day to its last, the quiet ones included
    assert [label.text for label in chart.labels][:: len(chart.labels) - 1] == ["Mar 1", "Mar 10"]
    slot = (WIDTH - LEFT - RIGHT) / 10
    assert chart.labels[0].x == round(LEFT + slot / 2, 1) and chart.labels[-1].x == round(WIDTH - RIGHT - slot / 2, 1)
    assert [style.name for style in chart.legend] == ["Abuse", "Spam", "Undone"]
    # Stacked per day: what stayed changed by reason, then the undone rows on top (the 4th: 1 kept, 4 undone).
    fourth = [bar for bar in chart.bars if bar.tip.startswith("Mar 4:")]
    assert [bar.tip for bar in fourth] == ["Mar 4: Abuse 0", "Mar 4: Spam 1", "Mar 4: Undone 4"]
    assert len(chart.bars) == 3 * 10
    assert (
        chart.summary
        == "Rows moderated per day, by reason, Mar 1, 2026 to Mar 10, 2026. In all: Abuse 3, Spam 1, Undone 4."
    )


def test_series_differ_by_pattern_as_well_as_colour(app: Flask) -> None:
    with app.test_request_context():
        chart = bars("t", ["a"], [Series(str(n), [n]) for n in range(7)])
    assert len({style.marks for style in chart.legend}) == 7 == len(MARKS)
    assert len({style.colour for style in chart.legend}) == 7 == len(COLOURS)
    assert [bar.series for bar in chart.bars] == list(range(7))
