"""CSV exports that stream from the database: PostgreSQL's COPY, a server-side cursor elsewhere.

Every cell is rendered by SQL (``cell``), the same on both paths, so what a spreadsheet opens is decided in one
place. Text never starts a formula for any reader (OWASP's CSV injection advice, for every separator a spreadsheet
may split on, not only the comma the file uses): an apostrophe goes right before each ``=``, ``+``, ``-`` or ``@``
that stands at the start of the text or after a ``,``, ``;``, tab, ``|``, carriage return, line feed or double
quote, spaces between allowed (``x;=2+3`` becomes ``x;'=2+3``, ``a, -1`` becomes ``a, '-1``); text starting with a
tab or carriage return gets a leading apostrophe as well; any other text is left byte for byte. The rule is one
regular expression (``FORMULA``), applied by PostgreSQL's ``regexp_replace``, by the same function in Python on
SQLite (admin_app.database) and by ``neutralised``. Dates are ISO 8601 in UTC with the zone stated (``...Z``),
booleans are ``true``/``false``, numbers stay numbers. Memory stays flat however many rows: nothing is collected,
and the header leaves before the query has produced its first row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, Select, String, and_, case, cast, func, literal
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# Written with the control characters themselves, not escapes, and nothing but groups, brackets, ^ and *: POSIX
# (PostgreSQL) and Python read it alike, and as a match can only start one way where it starts, leftmost-longest
# (PostgreSQL) and leftmost-first (Python) find the same matches.
FORMULA_CHARACTERS = "=+@-"  # the hyphen last: inside the brackets below it is then a character, not a range
FORMULA = f'(^|[,;\t|\r\n"])( *)([{FORMULA_CHARACTERS}])'
DEFUSED = r"\1\2'\3"  # the same back-references in both
FORMULA_RE = re.compile(FORMULA)
LEADING_CONTROLS = ("\t", "\r")  # some spreadsheets drop them and read on: the whole cell gets an apostrophe
BOM = "\ufeff"
CRLF = "\r\n"
ROWS_PER_FETCH = 2_000  # the server-side cursor's batch, where COPY is not available
BLOCK = 64 * 1024  # bytes of COPY output passed on at a time


@dataclass(frozen=True)
class Column:
    header: str  # as the reader sees it (translated)
    expression: ColumnElement[Any]


class iso_utc(FunctionElement[str]):  # noqa: N801 (an SQL function)
    """A naive-UTC timestamp as ISO 8601 with its zone: 2026-11-21T13:05:00Z."""

    type = String()
    inherit_cache = True


@compiles(iso_utc, "postgresql")
def _iso_utc_postgresql(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"""to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


@compiles(iso_utc)
def _iso_utc_sqlite(element: iso_utc, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {compiler.process(element.clauses, **kw)})"


class holds_formula_character(FunctionElement[bool]):  # noqa: N801 (an SQL function)
    """Whether the text holds a formula character anywhere: plain scans, half the cost of the regular expression on
    PostgreSQL, which they spare most text."""

    type = Boolean()
    inherit_cache = True


def _holds(position: str, element: holds_formula_character, compiler: SQLCompiler, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    return "(" + " OR ".join(f"{position}({text}, '{character}') > 0" for character in FORMULA_CHARACTERS) + ")"


@compiles(holds_formula_character, "postgresql")
def _holds_postgresql(element: holds_formula_character, compiler: SQLCompiler, **kw: Any) -> str:
    return _holds("strpos", element, compiler, **kw)


@compiles(holds_formula_character)
def _holds_sqlite(element: holds_formula_character, compiler: SQLCompiler, **kw: Any) -> str:
    return _holds("instr", element, compiler, **kw)


def cell(expression: ColumnElement[Any]) -> ColumnElement[Any]:
    """The SQL rendering one exported cell (see the module's docstring)."""
    kind = expression.type
    if isinstance(kind, DateTime | Date):
        return iso_utc(expression)
    if isinstance(kind, Boolean):
        return case((expression.is_(True), "true"), (expression.is_(False), "false"))
    if isinstance(kind, Integer | Numeric | Float):
        return expression
    text = expression if isinstance(kind, String) else cast(expression, String)
    # Tests first, the cheapest before: most text has no match, and regexp_replace would copy it all the same.
    matches = and_(holds_formula_character(text), text.regexp_match(FORMULA))
    defused = case((matches, func.regexp_replace(text, FORMULA, DEFUSED, "g", type_=String)), else_=text)
    return case((func.substr(text, 1, 1).in_(LEADING_CONTROLS), literal("'", String) + defused), else_=defused)


def header_line(columns: Sequence[Column], bom: bool, lineterminator: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=lineterminator).writerow([column.header for column in columns])
    return ((BOM if bom else "") + buffer.getvalue()).encode()


@dataclass
class CsvStream:
    """Iterate for the CSV's bytes (header first); ``rows`` holds the count once the iteration has ended."""

    engine: Engine
    statement: Select[Any]
    columns: Sequence[Column]
    bom: bool = False
    rows: int | None = field(default=None, init=False)

    def __iter__(self) -> Iterator[bytes]:
        select_cells = self.statement.with_only_columns(*(cell(c.expression) for c in self.columns))
        if self.engine.dialect.name == "postgresql":
            yield header_line(self.columns, self.bom, "\n")  # COPY ends its lines with \n
            yield from self._copy(select_cells)
        else:
            yield header_line(self.columns, self.bom, CRLF)
            yield from self._cursor(select_cells)

    def _copy(self, statement: Select[Any]) -> Iterator[bytes]:
        """PostgreSQL writes the CSV itself; its output goes out chunk by chunk as it arrives."""
        compiled = statement.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
        with self.engine.connect() as connection:
            driver = connection.connection.driver_connection
            try:
                with driver.cursor() as cursor:  # type: ignore[union-attr]
                    with cursor.copy(f"COPY ({compiled.string}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy:
                        # PostgreSQL sends a message per row: pass them on in blocks, not one by one.
                        block = bytearray()
                        for row in copy:
                            block += row
                            if len(block) >= BLOCK:
                                yield bytes(block)
                                block.clear()
                        if block:
                            yield bytes(block)
                    self.rows = cursor.rowcount
            except GeneratorExit:
                # The reader went away mid-stream: stop the server's work, and never reuse this connection.
                driver.cancel_safe()  # type: ignore[union-attr]
                connection.invalidate()
                raise

    def _cursor(self, statement: Select[Any]) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=CRLF)  # RFC 4180; and Python quotes a field holding \r only then
        rows = 0
        with self.engine.connect() as connection:
            result = connection.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(statement)
            for batch in result.partitions():
                writer.writerows(batch)
                rows += len(batch)
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        self.rows = rows


def neutralised(value: object) -> object:
    """The rule of ``cell`` for values already in Python (the reports' small tables)."""
    if not isinstance(value, str):
        return value
    defused = FORMULA_RE.sub(DEFUSED, value)
    return "'" + defused if value.startswith(LEADING_CONTROLS) else defused


def table_csv(headers: Sequence[str], rows: Sequence[Sequence[object]], bom: bool = False) -> bytes:
    """A small table as CSV, with ``cell``'s rules: formula-like text neutralised, dates in ISO 8601."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CRLF)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([value.isoformat() if isinstance(value, date) else neutralised(value) for value in row])
    return ((BOM if bom else "") + buffer.getvalue()).encode()
