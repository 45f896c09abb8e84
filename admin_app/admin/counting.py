"""Row counts that stay cheap on large tables: list pages, the dashboard and the review queue all count here.

Flask-Admin runs ``count_query.scalar()`` on every list page, an exact COUNT(*) over everything that matches.
``count`` (``CappedCountQuery`` for the lists) counts exactly up to ADMIN_EXACT_COUNT_LIMIT rows, reading at most
limit + 1 of them, whenever that is cheap; otherwise, on PostgreSQL, the reader sees the planner's estimate as an
``ApproximateCount`` ("about N"). One EXPLAIN of the capped count decides, before anything is read:
- it costs more than ADMIN_COUNT_COST_LIMIT (planner cost units): not counted. A search's cost does not depend on how
  many rows it finds (a trigram search of 1M comments for a rare word: 8,427 rows, 123 ms);
- the planner expects more than the limit and the largest table queried held more than the limit at its last
  VACUUM or ANALYZE (``pg_class.reltuples``): not counted, it would stop at the limit anyway. The planner scales
  reltuples by the table's size in pages now, so dead rows (bulk updates before autovacuum) inflate its estimate
  (3,006 comments estimated at 4,088) but not reltuples: a small table with many dead rows is still counted;
- otherwise counted; a filtered count in a savepoint under ADMIN_COUNT_TIMEOUT_MS (a misjudged plan costs that much at
  most, and the page's transaction carries on). Other databases count exactly.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_babel import format_number, gettext
from markupsafe import Markup, escape
from sqlalchemy import FromClause, Join, Select, TableClause, func, literal_column, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Query, Session, scoped_session

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by statement_timeout


class Count(int):
    """An exact count, written the reader's way wherever a template shows it ("List (12.345)" in German)."""

    def __html__(self) -> str:
        return str(escape(format_number(int(self))))


class ApproximateCount(int):
    """An int for paging arithmetic that tells the reader it is an estimate."""

    def __html__(self) -> str:
        text = gettext("about %(count)s", count=format_number(int(self)))
        # Translators: tooltip of an approximate row count ("about 1,200,000").
        return str(Markup('<span title="%s">%s</span>') % (gettext("estimated"), escape(text)))


def count(session: Session | scoped_session[Any], rows: Select[Any]) -> Count | ApproximateCount:
    """How many rows ``rows`` (a SELECT) returns: exact when that is cheap, else PostgreSQL's estimate."""
    if session.get_bind().dialect.name != "postgresql":
        return Count(session.execute(select(func.count()).select_from(rows.subquery())).scalar_one())
    config = current_app.config
    limit = config["ADMIN_EXACT_COUNT_LIMIT"]
    capped = select(func.count()).select_from(rows.limit(limit + 1).subquery())
    cost, estimate = plan_of(session, capped)
    if cost > config["ADMIN_COUNT_COST_LIMIT"] or (estimate > limit and rows_at_last_analyze(session, rows) > limit):
        return ApproximateCount(estimate)
    if unfiltered(rows):
        counted: int | None = int(session.execute(capped).scalar_one())  # a table's pages and rows: costed right
    else:
        counted = within_timeout(session, capped, config["ADMIN_COUNT_TIMEOUT_MS"])
    if counted is None:
        return ApproximateCount(estimate)
    if counted <= limit:
        return Count(counted)
    return ApproximateCount(max(limit + 1, estimate))


class CappedCountQuery(Query[Any]):
    """The list's count query (``get_count_query``), Flask-Admin's filters and search applied, counted by ``count``."""

    def scalar(self) -> Any:
        rows = self.with_entities(literal_column("1")).statement
        assert isinstance(rows, Select)  # a SELECT, whatever Flask-Admin's filters and search added
        return count(self.session, rows)


def plan_of(session: Session | scoped_session[Any], capped: Select[Any]) -> tuple[float, int]:
    """The planner's cost of the capped count, and how many rows it expects the uncapped selection to return."""
    bind = session.get_bind()
    # render_postcompile: an "in list" filter's expanding IN has no SQL of its own until its values are rendered.
    compiled = capped.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    root = plan[0]["Plan"]
    node = root
    while node["Node Type"] != "Limit" and node.get("Plans"):
        node = node["Plans"][0]
    below = node["Plans"][0] if node["Node Type"] == "Limit" and node.get("Plans") else node
    return float(root["Total Cost"]), int(below["Plan Rows"])


def rows_at_last_analyze(session: Session | scoped_session[Any], rows: Select[Any]) -> float:
    """The most rows any table ``rows`` reads from held at its last VACUUM or ANALYZE (-1: never measured)."""
    names = sorted({table_name(table) for table in tables_of(rows.get_final_froms())})
    found = session.execute(
        text(
            "SELECT max(reltuples) FROM pg_class "
            "WHERE oid IN (SELECT to_regclass(name) FROM unnest(CAST(:names AS text[])) AS name)"
        ),
        {"names": names},
    ).scalar()
    return float(found if found is not None else -1)


def tables_of(froms: Any) -> list[TableClause]:
    found: list[TableClause] = []
    for item in froms:
        if isinstance(item, TableClause):
            found.append(item)
        elif isinstance(item, Join):
            found += tables_of([item.left, item.right])
        elif isinstance(element := getattr(item, "element", None), FromClause):
            found += tables_of([element])  # an alias of a table, or of a join
    return found


def table_name(table: TableClause) -> str:
    return f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'


def unfiltered(rows: Select[Any]) -> bool:
    """A whole table, no filter, no join: the planner knows its cost (pages and rows). Filters it can misjudge (an
    ILIKE over long texts: costed 12,000, run in 370 ms), so those counts run under the timeout."""
    froms = rows.get_final_froms()
    return rows.whereclause is None and len(froms) == 1 and isinstance(froms[0], TableClause)


def within_timeout(session: Session | scoped_session[Any], capped: Select[Any], timeout_ms: int) -> int | None:
    """Run the capped count under a statement timeout; None when it ran out of time. In a savepoint rolled back
    after: it takes the timeout (SET LOCAL) away again, and a cancelled count leaves the page's transaction usable.
    Written out rather than through ``begin_nested()``: one round trip each side instead of two (no parameters, so
    psycopg sends both statements at once)."""
    connection = session.connection()
    connection.exec_driver_sql(f"SAVEPOINT capped_count; SET LOCAL statement_timeout = {int(timeout_ms)}")
    try:
        return int(connection.execute(capped).scalar_one())
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != QUERY_CANCELED:
            raise
        return None
    finally:
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT capped_count; RELEASE SAVEPOINT capped_count")


def count_query(session: Session | scoped_session[Any], model: type) -> CappedCountQuery:
    return CappedCountQuery([func.count("*")], session=session()).select_from(model)  # type: ignore[operator]
