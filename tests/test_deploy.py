"""`manage.py deploy`: migrate to head, sync the roles, compile the translations; idempotent, and hosts running it
at once take turns."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from admin_app.config import MIGRATIONS_DIR, TRANSLATIONS_DIR
from admin_app.deploy import compile_translations
from admin_app.permissions import ROLES
from tests.conftest import scratch_database

ROOT = Path(__file__).resolve().parent.parent
HEAD = ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def deploy(database_url: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"FLASK_SQLALCHEMY_DATABASE_URI": database_url, "ADMIN_APP_PROFILE": "testing"}
    return subprocess.run([sys.executable, "manage.py", "deploy"], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def role_names(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        names = set(connection.scalars(sa.text("SELECT name FROM roles")))
    engine.dispose()
    return names


def test_deploy_twice_upgrades_once_and_then_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deploy.sqlite'}"
    first = deploy(url)
    assert first.returncode == 0, first.stderr
    assert f"Database: upgraded from empty to {HEAD}." in first.stdout
    second = deploy(url)
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines()[:2] == [f"Database: at {HEAD}.", "Roles: already in sync."]
    assert role_names(url) == set(ROLES)


def test_deploy_puts_changed_role_permissions_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roles.sqlite'}"
    assert deploy(url).returncode == 0
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE roles SET permissions = '[]' WHERE name = 'moderator'"))
    engine.dispose()
    assert "Roles updated: moderator." in deploy(url).stdout


def test_only_catalogues_changed_since_their_last_compilation_are_compiled(tmp_path: Path) -> None:
    for language in ("de", "ja"):
        shutil.copytree(TRANSLATIONS_DIR / language, tmp_path / language, ignore=shutil.ignore_patterns("*.mo"))
    compiled = compile_translations(tmp_path)
    assert {path.relative_to(tmp_path).as_posix() for path in compiled} >= {
        "de/LC_MESSAGES/messages.mo", "ja/LC_MESSAGES/messages.mo"}  # fmt: skip
    assert (tmp_path / "ja/LC_MESSAGES/messages.mo").stat().st_size > 10_000
    assert compile_translations(tmp_path) == []
    later = time.time() + 5
    os.utime(tmp_path / "de/LC_MESSAGES/messages.po", (later, later))
    assert compile_translations(tmp_path) == [tmp_path / "de/LC_MESSAGES/messages.mo"]
    assert not list(tmp_path.glob("*/LC_MESSAGES/.*"))  # no partial file left behind


@pytest.mark.postgresql_only
def test_hosts_deploying_at_once_take_turns() -> None:
    """Three hosts run deploy on one empty PostgreSQL database at the same moment: one migrates, the others wait
    for its advisory lock and then find the database at head."""
    with scratch_database("deploy") as url:
        environment = os.environ | {"FLASK_SQLALCHEMY_DATABASE_URI": url, "ADMIN_APP_PROFILE": "testing"}
        hosts = [subprocess.Popen([sys.executable, "manage.py", "deploy"], cwd=ROOT, env=environment, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]  # fmt: skip
        outputs = [host.communicate(timeout=180) for host in hosts]
        assert [host.returncode for host in hosts] == [0, 0, 0], [err for _out, err in outputs]
        firsts = sorted(out.splitlines()[0] for out, _err in outputs)
        assert firsts == [f"Database: at {HEAD}.", f"Database: at {HEAD}.", f"Database: upgraded from empty to {HEAD}."]
        assert role_names(url) == set(ROLES)
