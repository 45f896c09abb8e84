"""Fast set-based inserts: PostgreSQL COPY, executemany in chunks elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session, scoped_session

CHUNK = 10_000


def insert_rows(
    session: Session | scoped_session[Any],
    table: Table,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Insert tuples of ``columns`` values; call ``progress`` with each chunk's size; return the count."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _copy(connection.connection.driver_connection, table, columns, rows, progress)
    statement = insert(table)
    total = 0
    iterator = iter(rows)
    while chunk := list(islice(iterator, CHUNK)):
        connection.execute(statement, [dict(zip(columns, row, strict=True)) for row in chunk])
        total += len(chunk)
        progress(len(chunk))
    return total


def _copy(
    driver: Any, table: Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]], progress: Callable[[int], None]
) -> int:
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    total = 0
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            total += 1
            if total % CHUNK == 0:
                progress(CHUNK)
    progress(total % CHUNK)
    return total
