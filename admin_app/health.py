"""Health checks for the balancer and the process manager, without login, session or cookie, in JSON:

- ``/healthz``: the process answers (no database: a database outage must not get every web process restarted);
- ``/readyz``: the database answers and holds our migrations, and Redis answers when configured. 503 takes the host
  out of the balancer until it is ready again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from redis import Redis
from werkzeug.wrappers import Response

from admin_app.config import MIGRATIONS_DIR
from admin_app.extensions import db

log = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)

OK, DOWN = "ok", "unreachable"


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="alive")


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    checks = {"database": database_state()}
    checks |= {name: redis_state(url) for name, url in redis_urls().items()}
    ready = all(state in (OK, "newer") for state in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def database_state() -> str:
    """ "ok" at our head; "newer" when a later release already migrated it (this one keeps serving until replaced,
    as migrations stay compatible with the release before); "pending" when ours are not applied yet."""
    timeout_ms = int(float(current_app.config["READY_TIMEOUT_S"]) * 1000)
    try:
        with db.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {timeout_ms}")
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # any failure to reach or read it means: not ready
        log.warning("readiness: database %s: %s", DOWN, error)
        return DOWN
    heads, known = migrations()
    if current == heads:
        return OK
    if current and not current & known:
        return "newer"
    log.warning("readiness: migrations pending (database at %s, code at %s)", sorted(current), sorted(heads))
    return "pending"


def migrations() -> tuple[set[str], set[str]]:
    """This release's head revisions and every revision it knows (read once: they ship with the code)."""
    if "health_migrations" not in current_app.extensions:
        scripts = ScriptDirectory(MIGRATIONS_DIR)
        known = {script.revision for script in scripts.walk_revisions()}
        current_app.extensions["health_migrations"] = (set(scripts.get_heads()), known)
    found: tuple[set[str], set[str]] = current_app.extensions["health_migrations"]
    return found


def redis_urls() -> dict[str, str]:
    config = current_app.config
    urls = {"jobs": config.get("JOBS_REDIS_URL") or "", "rate_limits": str(config.get("RATELIMIT_STORAGE_URI", ""))}
    return {name: url for name, url in urls.items() if url.startswith(("redis://", "rediss://", "unix://"))}


def redis_state(url: str) -> str:
    clients: dict[str, Redis] = current_app.extensions.setdefault("health_redis", {})
    if url not in clients:
        timeout = float(current_app.config["READY_TIMEOUT_S"])
        clients[url] = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        clients[url].ping()
    except Exception as error:  # any failure to reach it means: not ready
        log.warning("readiness: redis %s: %s", DOWN, error)
        return DOWN
    return OK


def answer_before_anything_else() -> ResponseReturnValue | None:
    """Health checks are answered before the extensions' own before-request work: Flask-Security's identity loader
    would read the session and load the signed-in user from the database on every poll."""
    if request.blueprint == blueprint.name and request.endpoint:
        view: Callable[..., Any] = current_app.view_functions[request.endpoint]
        answer: ResponseReturnValue = view(**(request.view_args or {}))
        return answer
    return None


def init_app(app: Flask) -> None:
    """Before auth.init_app: this before-request function must run ahead of Flask-Security's."""
    app.register_blueprint(blueprint)
    app.before_request(answer_before_anything_else)
