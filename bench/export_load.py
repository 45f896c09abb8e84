"""`make bench`: a moderator's list page while eight staff export the 1M-comment list at once, under gunicorn.

Three phases against the same data, each timing ``--pages`` requests of the moderator's comment list (median):
1. alone;
2. while eight staff (eight accounts, eight sessions) export every comment: above INLINE_EXPORT_ROWS, so each
   export is a background job that one RQ worker runs, and the web workers stay free;
3. for contrast, the same eight exports streamed by the web workers themselves (a second gunicorn whose
   INLINE_EXPORT_ROWS is above the table), as every export ran before background jobs.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  BENCH_REDIS_URL=redis://127.0.0.1:6379/3
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAFF = [f"bench-staff-{n}@example.com" for n in range(1, 9)]
STAFF_PASSWORD = "bench staff password"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--pages", type=int, default=20, help="timed moderator pages per phase (%(default)s)")
    parser.add_argument("--reuse", action="store_true", help="reuse the size's schema when it matches")
    return parser.parse_args()


class Browser:
    """A signed-in HTTP session (cookies, the login form's CSRF token), like a person's browser."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = self.get("/login")[1]
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form)
        data = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
        )
        with self.opener.open(f"{base}/login", data=data.encode(), timeout=600) as response:
            if "/login" in response.geturl():
                raise RuntimeError(f"bench login failed for {email}")

    def get(self, path: str) -> tuple[str, str]:
        with self.opener.open(f"{self.base}{path}", timeout=600) as response:
            return response.geturl(), response.read().decode("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}",
               "--timeout", "600", "admin_app:create_app()"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).close()
            return server, base
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def time_pages(moderator: Browser, count: int, until: threading.Event | None = None) -> list[float]:
    """The moderator's comment list, ``count`` times (or until ``until`` is set, at least ``count`` times)."""
    times: list[float] = []
    while len(times) < count or (until is not None and not until.is_set()):
        began = time.perf_counter()
        moderator.get("/admin/comment/")
        times.append(time.perf_counter() - began)
    return times


def exporting(base: str, background: bool) -> tuple[threading.Event, list[float], list[threading.Thread]]:
    """Eight staff export every comment at once; the event is set once every export has ended."""
    staff = [Browser(base, email, STAFF_PASSWORD) for email in STAFF]
    ended, durations = threading.Event(), []

    def export(browser: Browser) -> None:
        began = time.perf_counter()
        url, _page = browser.get("/admin/comment/export/csv/")
        if background:
            assert "/admin/jobs/" in url, url
            while '"ended":true' not in browser.get(urllib.parse.urlparse(url).path + "progress")[1].replace(" ", ""):
                time.sleep(0.5)
        durations.append(time.perf_counter() - began)

    threads = [threading.Thread(target=export, args=(browser,)) for browser in staff]
    for thread in threads:
        thread.start()

    def watch() -> None:
        for thread in threads:
            thread.join()
        ended.set()

    threading.Thread(target=watch, daemon=True).start()
    return ended, durations, threads


def main() -> None:
    import sqlalchemy as sa
    from flask_security import hash_password

    from admin_app import create_app
    from admin_app.extensions import db, security
    from bench import dataset
    from bench import moderation_data as data
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN

    args = parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    scoped = dataset.size_url(url, size)
    app = create_app("default", SQLALCHEMY_DATABASE_URI=scoped, **FAST_LOGIN)
    why = data.not_reusable(app, size) if args.reuse else "--reuse not given"
    if why is not None:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])
        dataset.build(app, url, size)
    with app.app_context():
        for email in STAFF:
            if not security.datastore.find_user(email=email):
                security.datastore.create_user(email=email, username=email.partition("@")[0], roles=["staff"],
                                               password=hash_password(STAFF_PASSWORD))  # fmt: skip
        db.session.commit()
        from admin_app import jobs

        app.config["JOBS_REDIS_URL"] = redis_url
        jobs.queue().empty()
    env = {**os.environ, "FLASK_SQLALCHEMY_DATABASE_URI": scoped, "FLASK_JOBS_REDIS_URL": redis_url,
           "FLASK_SECURITY_PASSWORD_HASH": "plaintext", "FLASK_SECURITY_PASSWORD_SINGLE_HASH": "true"}  # fmt: skip
    results: dict[str, list[float]] = {}
    worker = subprocess.Popen([sys.executable, "manage.py", "worker"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    server, base = serve(env)
    try:
        moderator = Browser(base, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        time_pages(moderator, 3)  # warm up
        results["alone"] = time_pages(moderator, args.pages)
        ended, durations, _threads = exporting(base, background=True)
        results["eight background exports"] = time_pages(moderator, args.pages, until=ended)
        exports_background = list(durations)
    finally:
        server.terminate()
        server.wait()
        worker.terminate()
        worker.wait()
    server, base = serve({**env, "FLASK_INLINE_EXPORT_ROWS": str(10 * args.comments)})
    try:
        moderator = Browser(base, dataset.MODERATOR_EMAIL, dataset.MODERATOR_PASSWORD)
        ended, durations, _threads = exporting(base, background=False)
        results["eight streamed exports"] = time_pages(moderator, args.pages, until=ended)
        exports_streamed = list(durations)
    finally:
        server.terminate()
        server.wait()
    with app.app_context():
        db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        db.session.execute(sa.text("TRUNCATE audit_rows, audit_entries, jobs"))
        db.session.commit()
        db.engine.dispose()

    print(f"\ngunicorn 2 workers x 4 threads, 1 RQ worker, {size.comments:,} comments; the moderator's comment list:")
    alone = statistics.median(results["alone"])
    for phase, times in results.items():
        median = statistics.median(times)
        print(f"  {phase:26} median {median * 1000:6.0f} ms  max {max(times) * 1000:6.0f} ms  "
              f"({len(times)} pages, {median / alone:.2f}x alone)")  # fmt: skip
    print(f"  eight exports as jobs, asked to downloadable: median {statistics.median(exports_background):.1f} s; "
          f"streamed by the web workers: median {statistics.median(exports_streamed):.1f} s")  # fmt: skip


if __name__ == "__main__":
    sys.path[0] = str(ROOT)
    main()
