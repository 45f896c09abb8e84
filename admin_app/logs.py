"""Logs: a request id for every request (taken from ``X-Request-ID`` or drawn, echoed in the response), one log line
per request with its user, status, duration and SQL work, and a warning for every statement slower than
``SLOW_QUERY_SECONDS``. ``LOG_FORMAT`` is "text" (``make run``) or "json" (production: one JSON object a line).
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from time import perf_counter
from typing import Any

from flask import Flask, g, has_request_context, request
from flask_security import current_user
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Response

log = logging.getLogger("admin_app.requests")
sql_log = logging.getLogger("admin_app.sql")

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy's id may look like (nginx's $request_id is 32 hex digits, others use UUIDs): anything else, such as a
# line break or a megabyte, would end up in every log line of the request, so it is replaced by an id of our own.
_USABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
# Endpoints that never look at who is signed in (health checks, static files): reading current_user would cost
# them a database query, and /healthz must not touch the database at all.
_ANONYMOUS_ENDPOINTS = re.compile(r"(^|\.)static$|^health\.")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FORMAT = "%(levelname)s %(name)s %(message)s %(request_id)s"

_handler: logging.Handler | None = None


class RequestIdFilter(logging.Filter):
    """Stamps every record with the id of the request it was logged in ("-" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(log_format: str, level: str) -> None:
    """One handler on the ``admin_app`` logger (Flask's app.logger too), replaced when another app is built."""
    global _handler
    logger = logging.getLogger("admin_app")
    if _handler is not None:
        logger.removeHandler(_handler)
    _handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        _handler.setFormatter(JsonFormatter(JSON_FORMAT, rename_fields={"levelname": "level"}, timestamp="time"))
    else:
        _handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    _handler.addFilter(RequestIdFilter())
    logger.addHandler(_handler)
    logger.setLevel(level)


def request_id() -> str:
    """This request's id: the proxy's when it sent a usable one, else a new one."""
    if "request_id" not in g:
        g.request_id = _offered_or_new()
    return str(g.request_id)


def _offered_or_new() -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _USABLE_ID.fullmatch(offered) else uuid.uuid4().hex


def start_request() -> None:
    g.request_id = _offered_or_new()
    g.request_started = perf_counter()
    g.sql_count = 0
    g.sql_seconds = 0.0


def signed_in_user_id() -> int | None:
    if _ANONYMOUS_ENDPOINTS.search(request.endpoint or "") or g.get("database_unavailable"):
        return None
    return current_user.id if current_user.is_authenticated else None


def finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    if "request_started" in g:
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "user_id": signed_in_user_id(),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((perf_counter() - g.request_started) * 1000, 1),
                "sql_count": g.sql_count,
                "sql_ms": round(g.sql_seconds * 1000, 1),
                "remote_addr": request.remote_addr,
            },
        )
    return response


def watch_statements(engine: Engine, slow_seconds: float) -> None:
    """Count and time every statement the engine runs; warn about the slow ones, with the request they served."""

    @event.listens_for(engine, "before_cursor_execute")
    def started(conn: Any, _cursor: Any, _statement: str, _params: Any, _context: Any, _many: bool) -> None:
        conn.info.setdefault("statement_started", []).append(perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def ended(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        seconds = perf_counter() - conn.info["statement_started"].pop()
        if has_request_context() and "sql_count" in g:
            g.sql_count += 1
            g.sql_seconds += seconds
        if seconds > slow_seconds:
            # The statement without its parameters: they are what people typed (searches, addresses).
            sql_log.warning(
                "slow query: %.3f s: %s",
                seconds,
                statement[:4000],
                extra={"duration_ms": round(seconds * 1000, 1), "statement": statement[:4000]},
            )


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(start_request)
    app.after_request(finish_request)
