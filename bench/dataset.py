"""Bench databases: a fresh schema from the migrations, filled by the real seed service, then vacuumed."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass

import click
import flask_migrate
import sqlalchemy as sa
from flask import Flask
from flask_security import hash_password

from admin_app.extensions import db, security
from admin_app.services import seed
from admin_app.services.role import sync_roles

MODERATOR_EMAIL = "bench-moderator@example.com"
MODERATOR_PASSWORD = "bench moderator password"


@dataclass(frozen=True)
class Size:
    """A data set scaled from its comment count: a user per hundred comments, a post per ten."""

    comments: int

    @property
    def users(self) -> int:
        return max(1, self.comments // 100)

    @property
    def posts(self) -> int:
        return max(1, self.comments // 10)

    @property
    def schema(self) -> str:
        return f"size_{self.label.lower()}"

    @property
    def label(self) -> str:
        for unit, name in ((1_000_000, "M"), (1_000, "k")):
            if self.comments >= unit and self.comments % unit == 0:
                return f"{self.comments // unit}{name}"
        return str(self.comments)


@dataclass(frozen=True)
class Built:
    rows: int
    seed_seconds: float
    vacuum_seconds: float

    @property
    def rows_per_second(self) -> float | None:
        """None for a schema an earlier run seeded (list_pages.py --reuse)."""
        return self.rows / self.seed_seconds if self.seed_seconds else None


def check_server(url: str) -> None:
    """Exit with a clear message when PostgreSQL is unreachable; create the database when only it is missing."""
    target = sa.make_url(url)
    if target.get_backend_name() != "postgresql":
        sys.exit(f"bench: BENCH_DATABASE_URL must point to PostgreSQL, not {target.get_backend_name()}")
    if "bench" not in (target.database or ""):
        # The bench drops the schema it is given: refuse a database that is not obviously meant for it.
        sys.exit(f"bench: refusing to reset database {target.database!r}: its name must contain 'bench'")
    try:
        _connect(url)
        return
    except sa.exc.OperationalError as error:
        if "does not exist" not in str(error):
            sys.exit(f"bench: cannot reach PostgreSQL at {target.render_as_string()}:\n{error}")
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    except sa.exc.SQLAlchemyError as error:
        sys.exit(f"bench: cannot create database {target.database!r}:\n{error}")
    finally:
        engine.dispose()


def _connect(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def reset(url: str, sizes: list[Size]) -> None:
    """An empty public schema holding only pg_trgm, and an empty schema per size (earlier ones dropped).

    Every size keeps its own schema so that the sizes can be timed in turns, under the same load; the
    trigram operators live in public, which is on every size's search path.
    """
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        earlier = connection.execute(sa.text("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, 'size_')"))
        for (schema,) in earlier.all():
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        for size in sizes:
            connection.exec_driver_sql(f"CREATE SCHEMA {size.schema}")
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
        connection.exec_driver_sql("CREATE EXTENSION pg_trgm SCHEMA public")
    engine.dispose()


def size_url(url: str, size: Size) -> str:
    """The database URL with ``size``'s schema first on the search path (where the migrations create tables)."""
    scoped = sa.make_url(url).update_query_dict({"options": f"-csearch_path={size.schema},public"})
    return scoped.render_as_string(hide_password=False)


def build(app: Flask, url: str, size: Size, random_seed: int = 1) -> Built:
    """Migrate and fill ``size``'s schema (``app`` is bound to it); add the moderator the bench logs in as."""
    with app.app_context():
        logging.disable(logging.INFO)  # Alembic's progress lines
        try:
            flask_migrate.upgrade()
        finally:
            logging.disable(logging.NOTSET)
        total = size.users + size.posts + size.comments
        start = time.perf_counter()
        with click.progressbar(length=total, label=f"Seeding {size.label}", file=sys.stderr) as bar:
            seed.fill(size.users, size.posts, size.comments, seed=random_seed, progress=bar.update)
            db.session.commit()
        seed_seconds = time.perf_counter() - start
        sync_roles()
        security.datastore.create_user(
            email=MODERATOR_EMAIL, username="bench-moderator", password=hash_password(MODERATOR_PASSWORD),
            roles=["moderator"],
        )  # fmt: skip
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return Built(rows=total, seed_seconds=seed_seconds, vacuum_seconds=vacuum(url))


def vacuum(url: str) -> float:
    """VACUUM (ANALYZE) the database, as autovacuum soon would after a bulk load (it may be off, or not have run).

    It sets the visibility map, and moves the rows the COPY left in the GIN indexes' pending lists into the
    indexes proper: until then every search reads those pending entries one by one.
    """
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    start = time.perf_counter()
    with engine.connect() as connection:
        connection.exec_driver_sql("VACUUM (ANALYZE)")
    engine.dispose()
    return time.perf_counter() - start


def server_version(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        version = str(connection.exec_driver_sql("SHOW server_version").scalar_one())
    engine.dispose()
    return version
