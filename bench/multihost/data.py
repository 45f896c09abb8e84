"""The run's own data: a scratch database (dropped and made again each run), two Redis databases of its own (flushed),
the production environment both hosts share, the schema by ``manage.py deploy``, the seeded data set and the
moderators the load signs in as.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass

import redis
import sqlalchemy as sa

from bench.multihost.hosts import PG_PORT, REDIS_PORT, ROOT, VENV_BIN, Host

DATABASE = "multihost"
SERVER = f"postgresql+psycopg://postgres@127.0.0.1:{PG_PORT}"
# Redis database numbers of this harness alone (the suite uses 0, `make bench` 3).
REDIS_LIMITS_DB, REDIS_JOBS_DB = 9, 10
# The failed-login budget the shared-count check spends (lowered from 5 so that a small number shows it).
FAILURES_PER_ACCOUNT = 4
MODERATOR_PASSWORD = "multihost moderator password"
LIMIT_ACCOUNT = "moderator-limits@example.com"


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    salt: str
    totp: str

    @classmethod
    def fresh(cls) -> Secrets:
        return cls(secrets.token_hex(32), secrets.token_hex(16), secrets.token_urlsafe(32))


def app_env(keys: Secrets, pg_host: str, redis_host: str) -> dict[str, str]:
    """What every process of the app gets: the production profile, this run's secrets, its scratch database and its
    Redis databases as seen from where the process runs (the veth's host side inside a namespace)."""
    passed = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    return {
        **passed,
        "PYTHONUNBUFFERED": "1",
        "ADMIN_APP_PROFILE": "production",
        "FLASK_SECRET_KEY": keys.secret_key,
        "FLASK_SECURITY_PASSWORD_SALT": keys.salt,
        "FLASK_SECURITY_TOTP_SECRETS": json.dumps({"1": keys.totp}),
        "FLASK_SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@{pg_host}:{PG_PORT}/{DATABASE}",
        "FLASK_RATELIMIT_STORAGE_URI": f"redis://{redis_host}:{REDIS_PORT}/{REDIS_LIMITS_DB}",
        "FLASK_JOBS_REDIS_URL": f"redis://{redis_host}:{REDIS_PORT}/{REDIS_JOBS_DB}",
        "FLASK_TRUSTED_PROXIES": "1",
        "FLASK_LOGIN_FAILURES_PER_ACCOUNT": f"{FAILURES_PER_ACCOUNT} per 15 minutes",
    }


def host_env(keys: Secrets, host: Host) -> dict[str, str]:
    return app_env(keys, host.outer, host.outer)


def local_env(keys: Secrets) -> dict[str, str]:
    return app_env(keys, "127.0.0.1", "127.0.0.1")


def database_url() -> str:
    return f"{SERVER}/{DATABASE}"


def recreate_database() -> None:
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()


def drop_database() -> None:
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def flush_redis() -> None:
    for number in (REDIS_LIMITS_DB, REDIS_JOBS_DB):
        client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=number)
        client.flushdb()
        client.close()


def manage(keys: Secrets, *args: str) -> float:
    """``python manage.py ARGS`` against the scratch database, as a deployment would run it; its wall time."""
    start = time.monotonic()
    done = subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=local_env(keys), capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"manage.py {' '.join(args)} failed ({done.returncode})")
    return time.monotonic() - start


@dataclass(frozen=True)
class Dataset:
    users: int
    posts: int
    comments: int
    max_comment_id: int
    max_post_id: int


def seed(keys: Secrets, comments: int) -> tuple[Dataset, float]:
    """The demo accounts and history, then volume data by the seed service (``manage.py seed``); VACUUM ANALYZE
    after, as autovacuum is off on these machines. Returns what the database holds and the seconds it took."""
    start = time.monotonic()
    manage(keys, "seed", "--demo")
    manage(
        keys,
        "seed",
        "--users",
        str(max(1, comments // 50)),
        "--posts",
        str(max(1, comments // 10)),
        "--comments",
        str(comments),
        "--random-seed",
        "7",
    )
    engine = sa.create_engine(database_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
        counts = connection.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM posts), (SELECT count(*) FROM comments),"
                " (SELECT max(id) FROM comments), (SELECT max(id) FROM posts)"
            )
        ).one()
    engine.dispose()
    return Dataset(*counts), time.monotonic() - start


def create_moderators(keys: Secrets, count: int) -> list[str]:
    """``count`` moderator accounts for the load (the demo moderator and moderator2@example.com...), and one more
    that the login-limit check locks out. One argon2 hash for all: hashing is the slow part, and it is what
    production verifies at each login."""
    os.environ.update(local_env(keys))
    sys.path.insert(0, str(ROOT))
    from flask_security import hash_password

    from admin_app import create_app
    from admin_app.extensions import db, security
    from admin_app.services.seed import DEMO_ACCOUNTS

    app = create_app("production")
    emails = [DEMO_ACCOUNTS[1].email] + [f"moderator{n}@example.com" for n in range(2, count + 1)]
    with app.app_context():
        hashed = hash_password(MODERATOR_PASSWORD)
        for email in [*emails, LIMIT_ACCOUNT]:
            user = security.datastore.find_user(email=email)
            if user is None:
                security.datastore.create_user(
                    email=email, name=email.split("@")[0], password=hashed, roles=["moderator"]
                )
            else:
                user.password = hashed
        db.session.commit()
        db.engine.dispose()
    return emails
