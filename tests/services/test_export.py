"""The export stream: header first, before the query runs; flat memory over a million rows on PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import login_user  # type: ignore[import-untyped]

from admin_app.admin import export
from admin_app.extensions import db
from tests.factories import CommentFactory, UserFactory

MILLION = 1_000_000


def resident_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def comment_view(app: Flask) -> object:
    return next(view for view in app.extensions["admin"][0]._views if view.endpoint == "comment")


def test_the_header_leaves_before_the_query_runs(app: Flask) -> None:
    CommentFactory.create_batch(3)
    staff = UserFactory(roles=["staff"])
    with app.test_request_context("/admin/comment/export/csv/"):
        login_user(staff)
        chunks = iter(export.stream(comment_view(app)))
        in_use = db.engine.pool.checkedout()  # type: ignore[attr-defined]
        first = next(chunks)
        assert first.startswith(b"ID,Author,")
        assert db.engine.pool.checkedout() == in_use, "no connection was taken for the rows yet"  # type: ignore[attr-defined]
        rest = b"".join(chunks)
    assert len(list(csv.reader(io.StringIO(rest.decode(), newline="")))) == 3


@pytest.mark.postgresql_only
def test_a_million_rows_stream_in_flat_memory(app: Flask) -> None:
    staff = UserFactory(roles=["staff"])
    post = CommentFactory().post
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO comments (body, timestamp, disabled, author_id, post_id) "
                "SELECT '=comment ' || i, timestamp '2026-01-01' + i * interval '1 second', i % 10 = 0, :author, :post "
                "FROM generate_series(1, :n) AS i"
            ),
            {"author": staff.id, "post": post.id, "n": MILLION - 1},
        )
    with app.test_request_context("/admin/comment/export/csv/"):
        login_user(staff)
        csv_stream = export.stream(comment_view(app))
        before = peak = resident_mb()
        size = lines = 0
        for chunk in csv_stream:
            size += len(chunk)
            lines += chunk.count(b"\n")
            if lines % 50_000 < 200:
                peak = max(peak, resident_mb())
        after = resident_mb()

    assert csv_stream.rows == MILLION and lines == MILLION + 1
    assert size > 40 * 2**20  # over 40 MB went through...
    # ...while the process grew by a few MB at most (a list of rows would take over a gigabyte).
    assert peak - before < 25, f"RSS {before:.0f} MB before, peak {peak:.0f} MB, {after:.0f} MB after"
    print(f"1,000,000-row export: {size / 2**20:.0f} MB; RSS {before:.0f} -> peak {peak:.0f} -> {after:.0f} MB")
