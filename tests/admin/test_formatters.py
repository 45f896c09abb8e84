"""Formatters: excerpts cut at word boundaries, never longer than asked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from admin_app.admin.formatters import shorten


@given(st.text(), st.integers(min_value=1, max_value=200))
def test_shorten_never_exceeds_the_limit_and_marks_a_cut(text: str, limit: int) -> None:
    result = shorten(text, limit)
    normalised = " ".join(text.split())
    if len(normalised) <= limit:
        assert result == normalised
    else:
        assert result.endswith("…")
        assert len(result) <= limit + 1
        assert normalised.startswith(result[:-1])


def test_shorten_cuts_at_a_word_boundary() -> None:
    assert shorten("Cheap watches here, visit my profile", 20) == "Cheap watches here…"
    assert shorten("  spaced   out  ", 50) == "spaced out"
    assert shorten(None, 10) == ""
