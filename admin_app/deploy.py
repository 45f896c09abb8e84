"""A release's deployment steps (``python manage.py deploy``): migrate the database to this release's head, bring
the roles' permissions in line with admin_app.permissions, compile the translations. Each step does nothing when
already done, so running it again, or on every host, is harmless; hosts that run it at once take turns.

Safe while the previous release serves: migrations are written to be compatible with the release before them
(add, backfill, then drop in a later release), and /readyz keeps an old host ready against a newer schema.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_migrate import upgrade

from admin_app.config import TRANSLATIONS_DIR
from admin_app.extensions import db
from admin_app.services import role as role_service

# Any fixed number: the key of the PostgreSQL advisory lock that deploying hosts take turns on.
DEPLOY_LOCK = 7_201_112
LOCK_POLL_SECONDS = 0.5


@contextmanager
def one_host_at_a_time() -> Iterator[None]:
    """On PostgreSQL, a session advisory lock held on a connection of its own for the whole deployment.

    A host waiting its turn asks again every LOCK_POLL_SECONDS rather than waiting inside pg_advisory_lock: a
    statement that waits holds a snapshot, and a migration that builds an index CONCURRENTLY on the host whose turn
    it is would wait for that snapshot (until its lock_timeout)."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        while not connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({DEPLOY_LOCK})").scalar():
            time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({DEPLOY_LOCK})")


def revision() -> str:
    with db.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(heads) or "empty"


def migrate() -> tuple[str, str]:
    """The database's revision before and after upgrading it to head."""
    before = revision()
    upgrade()
    return before, revision()


def sync_roles() -> list[str]:
    changed = role_service.sync_roles()
    db.session.commit()
    return changed


def compile_translations(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Every catalogue (.po) whose compiled form (.mo) is missing or older, compiled; each .mo replaced in one step,
    so a process reading it meanwhile sees the old file or the new one, never half of one."""
    compiled = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
        compiled.append(mo_path)
    return compiled
