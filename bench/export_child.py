"""One timed export in a process of its own (so its peak memory is its own), printed as one JSON line.

    python bench/export_child.py ours|copy|stock URL [--rows N]

- ours: the comment list's Export CSV through Flask (test client, streamed, as a staff member): the whole stack.
- copy: PostgreSQL's own COPY (SELECT the same columns, same order) TO STDOUT WITH CSV, read by psycopg.
- stock: Flask-Admin's stock CSV export of the same view (query.all(), then a row at a time), first N rows.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAFF_EMAIL = "bench-staff@example.com"
STAFF_PASSWORD = "bench staff password"
COPY_SQL = (
    "COPY (SELECT id, author_id, post_id, body, timestamp, disabled, moderation_reason, moderated_at "
    "FROM comments ORDER BY timestamp DESC) TO STDOUT WITH (FORMAT csv, HEADER)"
)


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drain(chunks: Iterable[bytes], started: float) -> dict[str, Any]:
    first = None
    size = lines = 0
    for chunk in chunks:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    return {"seconds": time.perf_counter() - started, "first_byte_seconds": first, "bytes": size, "rows": lines - 1}


def app_for(url: str) -> Any:
    from admin_app import create_app
    from bench.list_pages import FAST_LOGIN

    return create_app("default", SQLALCHEMY_DATABASE_URI=url, **FAST_LOGIN)


def ours(url: str, _rows: int) -> dict[str, Any]:
    from bench.measure import login

    app = app_for(url)
    client = app.test_client()
    login(client, STAFF_EMAIL, STAFF_PASSWORD)
    client.get("/admin/comment/")  # templates, imports and the connection pool warm
    before = rss_mb()
    started = time.perf_counter()
    response = client.get("/admin/comment/export/csv/", buffered=False)
    result = drain(response.response, started)
    response.close()  # the export's audit entry
    return result | {"rss_before_mb": before}


def copy(url: str, _rows: int) -> dict[str, Any]:
    import psycopg
    import sqlalchemy as sa

    dsn = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        before = rss_mb()
        started = time.perf_counter()
        with cursor.copy(COPY_SQL) as stream:
            result = drain((bytes(chunk) for chunk in stream), started)
    return result | {"rss_before_mb": before}


def stock(url: str, rows: int) -> dict[str, Any]:
    from flask_admin.contrib.sqla import ModelView
    from flask_login import login_user
    from sqlalchemy import select

    from admin_app.extensions import db
    from admin_app.models import User

    app = app_for(url)
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == "comment")
    view.export_max_rows = rows
    with app.test_request_context("/admin/comment/export/csv/"):
        login_user(db.session.scalars(select(User).where(User.email == STAFF_EMAIL)).one())
        before = rss_mb()
        started = time.perf_counter()
        response = ModelView._export_csv(view, "")  # Flask-Admin's own, as can_export would run it
        result = drain((part.encode() if isinstance(part, str) else part for part in response.response), started)
    return result | {"rss_before_mb": before}


def main() -> None:
    variant, url = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--rows" else 0
    result = {"ours": ours, "copy": copy, "stock": stock}[variant](url, rows)
    print(json.dumps(result | {"variant": variant, "peak_rss_mb": peak_mb()}))


if __name__ == "__main__":
    sys.path[0] = str(ROOT)
    main()
