"""Streaming CSV export of a list view: exactly the rows of its filters, search and sort (all pages, the view's
own query, so the same scoping), the columns the view shows its reader, audited when the stream ends.

Flask-Admin's stock export loads every row with ``query.all()`` first; this one streams (admin_app.services.export).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from flask import Response, abort, request, stream_with_context
from flask_security import current_user
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, aliased

from admin_app.admin.list_args import list_query
from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import User
from admin_app.services import audit
from admin_app.services.export import Column, CsvStream

log = logging.getLogger(__name__)


# The author of the rows exported, joined under a name of its own (no clash with a join the list's own filters or
# sort may have made); a LEFT JOIN on the key costs PostgreSQL far less than a subquery per row.
AUTHOR = aliased(User, name="export_author")


def with_author(query: Any, author_id: InstrumentedAttribute[Any]) -> Any:
    return query.outerjoin(AUTHOR, AUTHOR.id == author_id)


def columns(view: Any) -> list[Column]:
    """The view's export columns (``column_export_list``, else its list columns) as SQL, with translated headers.
    A relationship needs an entry in ``export_expressions`` (a label, by a correlated subquery: no join to clash
    with the list's own)."""
    found = []
    for name, label in view.get_export_columns():
        make = view.export_expressions.get(name)
        expression = make() if make else getattr(view.model, name)
        found.append(Column(str(view.export_labels.get(name, label)), expression))
    return found


def statement(view: Any) -> Select[Any]:
    """The list's own query (get_query, filters, search, sort) without its pagination."""
    return view.export_query(list_query(view)).statement


def stream(view: Any, bom: bool = False) -> CsvStream:
    return CsvStream(db.engine, statement(view), columns(view), bom=bom)


def filename(view: Any) -> str:
    return f"{view.model.__tablename__}-{utcnow():%Y-%m-%d}.csv"


def record(view: Any, csv: CsvStream, complete: bool, actor: audit.Actor) -> None:
    """Who exported what: the view, its filters and search as asked, the columns, and how many rows left."""
    arguments = {key: values if len(values) > 1 else values[0] for key, values in request.args.lists()}
    details = {
        "view": view.endpoint,
        "arguments": arguments,
        "columns": [column.header for column in csv.columns],
        "rows": csv.rows,
        "complete": complete,
    }
    audit.record(f"{view.endpoint}.export", view.model.__tablename__, actor, details=details)
    db.session.commit()


def to_file(view: Any, out: BinaryIO, actor: audit.Actor, bom: bool, progress: Callable[[int], None]) -> int:
    """The same export outside a request's response (``manage.py export``): written to ``out``, audited."""
    csv = stream(view, bom=bom)
    complete = False
    try:
        for chunk in csv:
            out.write(chunk)
            progress(chunk.count(b"\n"))
        complete = True
    finally:
        record(view, csv, complete, actor)
    return csv.rows or 0


def respond(view: Any, export_type: str) -> Response:
    if export_type != "csv":
        abort(404)
    csv = stream(view, bom=request.args.get("bom") == "1")
    actor = audit.Actor(current_user.id, current_user.email, request.remote_addr)

    def generate() -> Iterator[bytes]:
        complete = False
        try:
            yield from csv
            complete = True
        finally:
            if not complete:
                log.warning("export of %s ended early after the header or a part of the rows", view.endpoint)
            record(view, csv, complete, actor)

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(view)}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
