"""The tables the slow-corners writes run on: comments and two copies of its rows (bare, and with comments' indexes
and foreign keys as they were at migration 0006); the id sets; VACUUM and GIN upkeep; the data's physical order."""

from __future__ import annotations

import time

import sqlalchemy as sa

from admin_app.extensions import db
from bench.dataset import Size

# comments' columns at migration 0006 (and since): what the copies hold
COLUMNS = (
    "id", "body", "body_html", "timestamp", "disabled", "author_id", "post_id", "moderated_by_id", "moderated_at",
    "moderation_reason", "moderation_note", "reviewed_at", "claimed_by_id", "claimed_until",
)  # fmt: skip
# comments' indexes and foreign keys at migration 0006 (0001 and 0002), as `\d` lists them on a schema migrated to
# 0006_jobs; {t} is the copy, {s} the data set's schema. The copies have no trigger of their own.
BEFORE_0007 = (
    "ALTER TABLE {t} ADD CONSTRAINT pk_comments PRIMARY KEY (id)",
    "CREATE INDEX ix_comments_author_id ON {t} (author_id)",
    "CREATE INDEX ix_comments_body_trgm ON {t} USING gin ((CAST(body AS VARCHAR)) gin_trgm_ops)",
    "CREATE INDEX ix_comments_claimed_by_id ON {t} (claimed_by_id)",
    "CREATE INDEX ix_comments_disabled_timestamp ON {t} (timestamp) WHERE disabled",
    "CREATE INDEX ix_comments_moderated_by_id ON {t} (moderated_by_id)",
    "CREATE INDEX ix_comments_post_id ON {t} (post_id)",
    "CREATE INDEX ix_comments_timestamp ON {t} (timestamp)",
    "CREATE INDEX ix_comments_unreviewed_timestamp ON {t} (timestamp) WHERE reviewed_at IS NULL",
    "ALTER TABLE {t} ADD CONSTRAINT fk_comments_author_id_users FOREIGN KEY (author_id) "
    "REFERENCES {s}.users (id) ON DELETE CASCADE",
    "ALTER TABLE {t} ADD CONSTRAINT fk_comments_claimed_by_id_users FOREIGN KEY (claimed_by_id) "
    "REFERENCES {s}.users (id) ON DELETE SET NULL",
    "ALTER TABLE {t} ADD CONSTRAINT fk_comments_moderated_by_id_users FOREIGN KEY (moderated_by_id) "
    "REFERENCES {s}.users (id) ON DELETE SET NULL",
    "ALTER TABLE {t} ADD CONSTRAINT fk_comments_post_id_posts FOREIGN KEY (post_id) "
    "REFERENCES {s}.posts (id) ON DELETE CASCADE",
)
BARE = ("ALTER TABLE {t} ADD PRIMARY KEY (id)",)


def copies_schema(size: Size) -> str:
    """Outside the data set's own schema (``not_reusable`` reads only that one); ``dataset.reset`` drops it too."""
    return f"{size.schema}_copies"


def tables(size: Size) -> dict[str, str]:
    """The three tables the plain UPDATE runs on, by method."""
    return {
        "ours": f"{size.schema}.comments",
        "bare": f"{copies_schema(size)}.bare",
        "before_0007": f"{copies_schema(size)}.before_0007",
    }


def ensure_copies(size: Size) -> list[str]:
    """Build the copies that are missing or no longer hold comments' rows (each in one transaction, so a copy
    half built never stays); say what was done."""
    done = []
    with db.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {copies_schema(size)}")
    for method, ddl in (("bare", BARE), ("before_0007", BEFORE_0007)):
        table = tables(size)[method]
        if _same_rows(tables(size)["ours"], table):
            done.append(f"{table}: reused")
            continue
        start = time.perf_counter()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
            connection.exec_driver_sql("SET LOCAL synchronize_seqscans = off")  # the rows in comments' order
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            connection.exec_driver_sql(
                f"CREATE TABLE {table} AS SELECT {', '.join(COLUMNS)} FROM {size.schema}.comments"
            )
            for statement in ddl:
                connection.exec_driver_sql(statement.format(t=table, s=size.schema))
        vacuum([table], analyze=True)
        done.append(f"{table}: built in {time.perf_counter() - start:.0f} s")
    for method in ("bare", "before_0007"):
        if triggers(tables(size)[method]):
            raise AssertionError(f"{tables(size)[method]} has triggers of its own: {triggers(tables(size)[method])}")
    return done


def _same_rows(ours: str, copy: str) -> bool:
    with db.engine.connect() as connection:
        if connection.scalar(sa.text("SELECT to_regclass(:copy)"), {"copy": copy}) is None:
            return False
        counts = (
            "SELECT count(*), count(*) FILTER (WHERE disabled), count(*) FILTER (WHERE moderated_by_id IS NOT NULL)"
        )
        return (
            connection.execute(sa.text(f"{counts} FROM {ours}")).one()
            == connection.execute(sa.text(f"{counts} FROM {copy}")).one()
        )


def triggers(table: str) -> list[str]:
    """The table's own triggers (not the internal ones that check its foreign keys)."""
    sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:table AS regclass) AND NOT tgisinternal ORDER BY 1"
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.text(sql), {"table": table}))


def ticked_ids(table: str, count: int) -> tuple[list[int], int]:
    """``count`` enabled ids spread evenly over the table: every n-th enabled id, n = enabled // count; and n."""
    with db.engine.connect() as connection:
        enabled = int(connection.scalar(sa.text(f"SELECT count(*) FROM {table} WHERE NOT disabled")) or 0)
        step = max(1, enabled // count)
        sql = (
            f"SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM {table} WHERE NOT disabled) AS e "
            "WHERE n % :step = 0 ORDER BY id LIMIT :count"
        )
        return list(connection.scalars(sa.text(sql), {"step": step, "count": count})), step


def matching_ids(table: str, term: str) -> tuple[list[int], int]:
    """The ids of every comment whose text contains ``term`` (the list's search: case-insensitive), and how many
    of them are enabled (what disabling them changes)."""
    with db.engine.connect() as connection:
        rows = connection.execute(
            sa.text(f"SELECT id, disabled FROM {table} WHERE CAST(body AS VARCHAR) ILIKE :pattern ORDER BY id"),
            {"pattern": f"%{term}%"},
        ).all()
    return [row_id for row_id, _disabled in rows], sum(1 for _row_id, disabled in rows if not disabled)


def vacuum(names: list[str], analyze: bool = False) -> float:
    db.session.remove()  # no open snapshot may keep the dead rows alive
    start = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # No ANALYZE of the tables timed: the planner keeps the statistics the runs started with.
        connection.exec_driver_sql(f"VACUUM {'(ANALYZE) ' if analyze else ''}{', '.join(names)}")
    return time.perf_counter() - start


def clean_gin_pending_lists(names: list[str]) -> None:
    """GIN indexes (the trigram ones) defer new entries to a pending list that whichever statement overflows it
    merges: every run starts with them empty (comments' triggers write comment_search: its indexes too)."""
    sql = (
        "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid "
        "JOIN pg_am AS a ON a.oid = c.relam WHERE a.amname = 'gin' AND i.indrelid = ANY(CAST(:tables AS regclass[]))"
    )
    with db.engine.begin() as connection:
        connection.execute(sa.text(sql), {"tables": names})


def physical_order(schema: str) -> dict[str, float]:
    """pg_stats' correlation of comments' columns with the rows' physical order (ANALYZE first: fresh statistics)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"ANALYZE {schema}.comments")
        rows = connection.execute(
            sa.text(
                "SELECT attname, correlation FROM pg_stats WHERE schemaname = :schema AND tablename = 'comments' "
                "AND attname IN ('id', 'timestamp', 'author_id')"
            ),
            {"schema": schema},
        ).all()
    return {name: float(correlation) for name, correlation in sorted(rows)}


def relation_sizes(schema: str) -> list[tuple[str, str, int, str]]:
    """Every index of comments and of the tables named comment_* (table, index, bytes, pretty), each table's heap
    first (its index column reads "(table)")."""
    sql = (
        "SELECT t.relname, coalesce(i.relname, '(table)'), pg_relation_size(coalesce(i.oid, t.oid)), "
        "pg_size_pretty(pg_relation_size(coalesce(i.oid, t.oid))) FROM pg_class AS t "
        "JOIN pg_namespace AS n ON n.oid = t.relnamespace AND n.nspname = :schema "
        "LEFT JOIN LATERAL (SELECT NULL::oid AS oid, NULL::name AS relname UNION ALL "
        "SELECT c.oid, c.relname FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid "
        "WHERE x.indrelid = t.oid) AS i ON true "
        "WHERE t.relkind = 'r' AND (t.relname = 'comments' OR starts_with(t.relname, 'comment_')) "
        "ORDER BY t.relname, i.oid IS NOT NULL, 3 DESC"
    )
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text(sql), {"schema": schema})
        return [(str(table), str(index), int(size), str(pretty)) for table, index, size, pretty in rows]
