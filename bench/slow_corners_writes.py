"""The slow-corners bench's writes: the timed methods (a plain UPDATE, the moderation service, the HTTP flow of a
select-all action), the restore after the flow, the VACUUMs between runs, and the runs in turns."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.services.audit import Actor
from admin_app.services.moderation import AUDIT_STATE, moderate
from admin_app.services.operations import OPERATIONS
from bench.dataset import Size
from bench.moderation_data import REASON, STATE
from bench.slow_corners_copies import clean_gin_pending_lists, tables, vacuum

Samples = dict[str, list[float]]  # seconds, by figure
PLAIN_UPDATE = (
    "UPDATE {table} SET disabled = true, moderated_by_id = :actor, moderated_at = now(), moderation_reason = 'spam', "
    "moderation_note = NULL, reviewed_at = now() WHERE id = ANY(:ids) AND NOT disabled"
)


@dataclass
class Upkeep:
    """VACUUM, outside the timed region, of a table once its runs left ``vacuum_at`` dead row versions (a rollback
    leaves them as a commit does), and before any run on it that changes that many rows."""

    vacuum_at: int
    dead: dict[str, int] = field(default_factory=dict)
    vacuums: list[float] = field(default_factory=list)

    def before(self, touched: list[str], rows: int) -> None:
        dirty = [table for table in touched if self.dead.get(table, 0) >= self.vacuum_at or
                 (self.dead.get(table) and rows >= self.vacuum_at)]  # fmt: skip
        if dirty:
            self.vacuums.append(vacuum(dirty))
            self.dead.update(dict.fromkeys(dirty, 0))
        clean_gin_pending_lists(touched)

    def after(self, touched: list[str], dead: int) -> None:
        for table in touched:
            self.dead[table] = self.dead.get(table, 0) + dead

    def all(self) -> None:
        """Between groups of scenarios: every table runs left dead rows in."""
        dirty = [table for table, dead in self.dead.items() if dead]
        if dirty:
            self.vacuums.append(vacuum(dirty))
        self.dead.clear()


def plain_update(table: str, ids: list[int], actor: Actor) -> tuple[float, int]:
    """The UPDATE in a transaction that is rolled back: the time of the statement, and the rows it changed."""
    with db.engine.connect() as connection:
        start = time.perf_counter()
        changed = connection.execute(sa.text(PLAIN_UPDATE.format(table=table)), {"ids": ids, "actor": actor.user_id})
        seconds = time.perf_counter() - start
        connection.rollback()
    return seconds, int(changed.rowcount)


def moderation_service(ids: list[int], actor: Actor) -> tuple[float, int]:
    """``moderate`` on the ticked ids, as the list's action calls it (audit entry, audit rows, UPDATE, COUNT), in
    the app context; rolled back."""
    db.session.remove()
    start = time.perf_counter()
    outcome = moderate(OPERATIONS["comment.disable"], ids, actor, REASON)
    seconds = time.perf_counter() - start
    db.session.rollback()
    db.session.remove()
    return seconds, outcome.changed


QUESTION = re.compile(r'id="moderation-question">(.*?)</h1>', re.S)
FORM = re.compile(r'<form method="post" action="([^"]+)" id="moderation-form">(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirmation_page(client: FlaskClient, search: str, token: str) -> Any:
    """The comment list's bulk action "Disable" with "Select all matching" for ``?search=``: the confirmation page."""
    listed = f"/admin/comment/?search={search}"
    data = {"action": "disable", "select_all": "1", "url": listed, "csrf_token": token}
    return client.post(f"/admin/comment/action/?search={search}", data=data)


def check_confirmation(response: Any, changing: int) -> tuple[str, dict[str, str]]:
    """Refuse anything but the page asking to disable ``changing`` comments; its form's action and hidden fields."""
    page = response.get_data(as_text=True)
    question = QUESTION.search(page)
    form = FORM.search(page)
    if response.status_code != 200 or not question or not form:
        raise AssertionError(f"confirmation: HTTP {response.status_code}, {page[:300]!r}")
    if question.group(1).strip() != f"Disable {changing} comments?":
        raise AssertionError(f"confirmation asks {question.group(1).strip()!r}, expected {changing} comments")
    return html.unescape(form.group(1)), {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(2))}


def http_flow(client: FlaskClient, search: str, token: str, changing: int) -> tuple[dict[str, float], str]:
    """The confirmation page, then its form posted with a reason: done when the response comes (without Redis a
    job runs inline, in that request). The times of the two requests (the checks between are not timed), and
    where the response sends the moderator (the job's page, or the list)."""
    start = time.perf_counter()
    response = confirmation_page(client, search, token)
    confirm = time.perf_counter() - start
    action, hidden = check_confirmation(response, changing)
    start = time.perf_counter()
    response = client.post(action, data={**hidden, "reason": REASON})
    execute = time.perf_counter() - start
    if response.status_code != 302:
        raise AssertionError(f"execute: HTTP {response.status_code}, {response.get_data(as_text=True)[:300]!r}")
    return {"confirm": confirm, "execute": execute, "total": confirm + execute}, response.headers["Location"]


def check_and_restore(changing: int, disabled_before: int, job_page: bool) -> float:
    """Check that the flow disabled ``changing`` comments under one audit entry (and, run as a job, that the job is
    done); put them back from the entry's own record of their state before; empty the audit trail and the jobs.

    The trail is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE): it is emptied in a transaction of
    its own under ``session_replication_role = replica``, as bench/moderation.py does. Returns the seconds."""
    start = time.perf_counter()
    session = db.session
    session.remove()
    entries = session.scalars(sa.text("SELECT id FROM audit_entries")).all()
    jobs = session.execute(sa.text("SELECT status, result FROM jobs")).all()
    disabled = _count("SELECT count(*) FROM comments WHERE disabled")
    problems = []
    if len(entries) != 1 or _count("SELECT count(*) FROM audit_rows") != changing:
        problems.append(f"{len(entries)} audit entries, {_count('SELECT count(*) FROM audit_rows'):,} audit rows")
    if disabled != disabled_before + changing:
        problems.append(f"{disabled - disabled_before:,} more comments disabled")
    if job_page and (len(jobs) != 1 or jobs[0].status != "done" or (jobs[0].result or {}).get("changed") != changing):
        problems.append(f"jobs: {[tuple(job) for job in jobs]}")
    entry = entries[0] if entries else -1
    columns = ", ".join(f"{now} = a.{before}" for now, before in zip(STATE, AUDIT_STATE, strict=True))
    session.execute(
        sa.text(
            f"UPDATE comments AS c SET {columns} FROM audit_rows AS a WHERE a.entry_id = :entry AND c.id = a.row_id"
        ),
        {"entry": entry},
    )
    session.commit()
    session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    session.execute(sa.text("TRUNCATE audit_rows, audit_entries, jobs"))
    session.commit()
    if _count("SELECT count(*) FROM comments WHERE disabled") != disabled_before:
        problems.append("the restore left a different number of comments disabled")
    session.remove()
    if problems:
        raise AssertionError(f"HTTP flow, {changing:,} comments: " + "; ".join(problems))
    return time.perf_counter() - start


def _count(sql: str) -> int:
    return int(db.session.scalar(sa.text(sql)) or 0)


Progress = Callable[[str, str, dict[str, float]], None]  # (round, method, its timed parts)


def in_turns(
    methods: dict[str, Callable[[], dict[str, float]]], runs: int, warmups: int, progress: Progress
) -> Samples:
    """Every method ``warmups + runs`` times, in rounds, the methods in turns; the order rotates from round to round
    so that no method always runs first. Each method returns its timed parts by figure; warm-up rounds are dropped."""
    samples: Samples = {}
    names = list(methods)
    for round_number in range(warmups + runs):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            parts = methods[name]()
            if round_number >= warmups:
                for figure, seconds in parts.items():
                    samples.setdefault(figure, []).append(seconds)
            label = "warm-up" if round_number < warmups else f"round {round_number - warmups + 1}/{runs}"
            progress(label, name, parts)
    return samples


class Methods:
    """The timed methods of one scenario (its ids, and the rows they change), each checked, with the upkeep.

    Each pushes the app context only around its own database work: a test client request made inside an app
    context of the same app reuses it, and so its session (which no request would then close)."""

    def __init__(self, app: Flask, size: Size, ids: list[int], changing: int, actor: Actor, upkeep: Upkeep) -> None:
        self.app, self.size, self.ids, self.changing, self.actor, self.upkeep = app, size, ids, changing, actor, upkeep
        self.landed = ""  # where the HTTP flow's last response sent the moderator

    def plain(self, method: str) -> Callable[[], dict[str, float]]:
        table = tables(self.size)[method]

        def run() -> dict[str, float]:
            with self.app.app_context():
                self.upkeep.before([table], self.changing)
                seconds, changed = plain_update(table, self.ids, self.actor)
                self.upkeep.after([table], self.changing)
            if changed != self.changing:
                raise AssertionError(f"plain UPDATE of {table}: {changed:,} rows changed, not {self.changing:,}")
            return {method: seconds}

        return run

    def service(self) -> dict[str, float]:
        touched = [
            tables(self.size)["ours"],
            *(f"{self.size.schema}.{name}" for name in ("audit_rows", "audit_entries")),
        ]
        with self.app.app_context():
            self.upkeep.before(touched, self.changing)
            seconds, changed = moderation_service(self.ids, self.actor)
            self.upkeep.after(touched, self.changing)
        if changed != self.changing:
            raise AssertionError(f"moderate: {changed:,} rows changed, not {self.changing:,}")
        return {"service": seconds}

    def flow(
        self, client: FlaskClient, search: str, token: str, disabled_before: int
    ) -> Callable[[], dict[str, float]]:
        ours = tables(self.size)["ours"]

        def run() -> dict[str, float]:
            with self.app.app_context():
                self.upkeep.before([ours], self.changing)
            parts, self.landed = http_flow(client, search, token, self.changing)
            with self.app.app_context():
                check_and_restore(self.changing, disabled_before, job_page="/admin/jobs/" in self.landed)
                self.upkeep.after([ours], 2 * self.changing)  # the run's row versions and the restore's
            return {f"flow {name}": seconds for name, seconds in parts.items()}

        return run


def csrf_token(client: FlaskClient) -> str:
    """The session's CSRF token, read from a page that changes nothing, as a browser would have it."""
    page = client.get("/admin/preferences/").get_data(as_text=True)
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    if not found:
        raise RuntimeError("no CSRF token on /admin/preferences/: is the bench moderator signed in?")
    return found.group(1)
