"""List-page counts that stay cheap on large tables.

Flask-Admin runs ``count_query.scalar()`` on every list page, an exact COUNT(*) over everything that matches.
``CappedCountQuery`` counts exactly up to ADMIN_EXACT_COUNT_LIMIT rows (reading at most limit + 1 of them); above
that, on PostgreSQL, it answers with the planner's estimate as an ``ApproximateCount`` that renders as "about N".
When the planner already expects more than ADMIN_TRUST_ESTIMATE_ABOVE rows it does not count at all: reading
limit + 1 rows of a broad search costs more than the page. Estimates of a narrow search can be several times off,
which is why a small list is always counted. Other databases count exactly.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from flask_babel import format_number, gettext
from markupsafe import Markup, escape
from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Query, Session, scoped_session


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


class CappedCountQuery(Query[Any]):
    def scalar(self) -> Any:
        limit = current_app.config["ADMIN_EXACT_COUNT_LIMIT"]
        rows = self.with_entities(literal_column("1"))
        session: Session = self.session
        estimate = planner_estimate(session, rows) if session.get_bind().dialect.name == "postgresql" else None
        if estimate is not None and estimate > current_app.config["ADMIN_TRUST_ESTIMATE_ABOVE"]:
            return ApproximateCount(estimate)
        capped = session.execute(select(func.count()).select_from(rows.limit(limit + 1).subquery())).scalar_one()
        if capped <= limit:
            return Count(capped)
        if estimate is None:
            return Count(super().scalar())
        return ApproximateCount(max(limit + 1, estimate))


def planner_estimate(session: Session, query: Query[Any]) -> int:
    bind = session.get_bind()
    # render_postcompile: an "in list" filter's expanding IN has no SQL of its own until its values are rendered.
    compiled = query.statement.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan = session.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_query(session: Session | scoped_session[Any], model: type) -> CappedCountQuery:
    return CappedCountQuery([func.count("*")], session=session()).select_from(model)  # type: ignore[operator]
