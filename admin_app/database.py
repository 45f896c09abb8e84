"""Declarative base with a naming convention, and the engine settings every database needs."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, has_request_context
from sqlalchemy import MetaData, String, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC now: every timestamp column stores UTC without a zone, like Flask-Security's own."""
    return datetime.now(UTC).replace(tzinfo=None)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Autogenerate leaves the *_trgm indexes alone: PostgreSQL-only trigram indexes for the admin search that
    live in the migrations alone (they index the exact CAST(col AS VARCHAR) expression Flask-Admin emits)."""
    return not (type_ == "index" and reflected and compare_to is None and (name or "").endswith("_trgm"))


def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _regexp_replace(text: str | None, pattern: str | None, replacement: str | None, flags: str | None) -> str | None:
    """PostgreSQL's regexp_replace(text, pattern, replacement, flags) as far as SQL written for both databases uses
    it: back-references \\1 to \\9 (Python's own), flag g for every match, NULL in, NULL out."""
    if text is None or pattern is None or replacement is None or flags is None:
        return None
    return re.sub(pattern, replacement, text, count=0 if "g" in flags else 1)


def _add_functions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("regexp_replace", 4, _regexp_replace, deterministic=True)


# Set while a job runs inside a request (no Redis: jobs run inline) or an export streams: no statement timeout.
_UNLIMITED: ContextVar[bool] = ContextVar("unlimited_statements", default=False)


@contextmanager
def unlimited_statements() -> Iterator[None]:
    """Lift WEB_STATEMENT_TIMEOUT_S for the work done inside (a job run inline, an export that streams)."""
    token = _UNLIMITED.set(True)
    try:
        yield
    finally:
        _UNLIMITED.reset(token)


def _limit_web_statements(connection: Any) -> None:
    """PostgreSQL cancels any statement of a web request that runs longer than WEB_STATEMENT_TIMEOUT_S (each
    transaction's own SET LOCAL: a pooled connection carries nothing over to a job)."""
    if has_request_context() and not _UNLIMITED.get():
        milliseconds = int(float(current_app.config["WEB_STATEMENT_TIMEOUT_S"]) * 1000)
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")


def init_app(app: Flask) -> None:
    """Bind Flask-SQLAlchemy and Flask-Migrate to the app."""
    from admin_app import logs
    from admin_app.config import MIGRATIONS_DIR
    from admin_app.extensions import db, migrate

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, include_object=include_object)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless each connection asks for them.
            event.listen(db.engine, "connect", _enforce_foreign_keys)
            # The exports' cells call PostgreSQL's regexp_replace; SQLite has none of its own.
            event.listen(db.engine, "connect", _add_functions)
        else:
            event.listen(db.engine, "begin", _limit_web_statements)
        logs.watch_statements(db.engine, float(app.config["SLOW_QUERY_SECONDS"]))


def engine_options(config: Any) -> dict[str, Any]:
    """A connection is tested before each use (a database restart or failover costs no request an error), and the
    pool holds what the threads of one worker process need (DATABASE_POOL_SIZE, plus DATABASE_MAX_OVERFLOW at
    peaks). Connecting gives up after DATABASE_CONNECT_TIMEOUT_S, so /readyz answers while the database is away."""
    options: dict[str, Any] = {"pool_pre_ping": True, **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    if str(config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        options |= {
            "pool_size": int(config["DATABASE_POOL_SIZE"]),
            "max_overflow": int(config["DATABASE_MAX_OVERFLOW"]),
            "pool_timeout": float(config["DATABASE_POOL_TIMEOUT_S"]),
            "connect_args": {"connect_timeout": int(config["DATABASE_CONNECT_TIMEOUT_S"])},
        }
    return options


class random_hex(FunctionElement[str]):  # noqa: N801 (an SQL function)
    """32 random hexadecimal digits, drawn anew for each row: a fresh fs_uniquifier in a set-based UPDATE."""

    type = String()
    inherit_cache = True


@compiles(random_hex, "postgresql")
def _random_hex_postgresql(element: random_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return "replace(gen_random_uuid()::text, '-', '')"


@compiles(random_hex)
def _random_hex_sqlite(element: random_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return "lower(hex(randomblob(16)))"
