"""Chart geometry: whole-number grid lines that cover the highest bar, bars in proportion, stacks adding up."""

from __future__ import annotations

import pytest
from flask import Flask

from admin_app.admin.charts import HEIGHT, TOP, Series, bars


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
