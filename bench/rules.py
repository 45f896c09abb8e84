"""Moderation rules at 1M comments on PostgreSQL: a rule's preview, applying it to the comments already there, and
what active rules add to every comment the public site writes, each beside plain SQL in the same run, in turns.

A spam wave is planted first: WAVE_COMMENTS existing comments by WAVE_AUTHORS authors get a link to
spam-wave.example (their text UPDATEd, so migration 0007's triggers rewrite comment_search), then VACUUM (ANALYZE)
(autovacuum may be off). With --reuse the schema an earlier run left is kept when it is as built, and so is the
wave when it is already there; else the schema is built again (bench/dataset.py).

1. Preview (admin_app/services/rules.py ``preview``) of a domain rule, for the wave, and of a word rule, for a
   word in about one comment in ten, beside plain counts of the same rows: a sequential ILIKE over comments, the
   trigram ILIKE on comment_search joined to comments (for the authors), and the bare trigram ILIKE count; the
   counts must be equal. The issue's aim: under 1 s at 1M comments. EXPLAIN (ANALYZE, BUFFERS) of the preview's
   statements goes to the JSON, and is printed when any run of a preview reaches the aim or a plan skips the
   trigram index (ix_comment_search_body_trgm), or with --explain.
2. Applying a rule to existing comments: the registry's "rule.apply" on a disabling domain rule (audit entry and
   rows, UPDATE, rule hits) beside a plain UPDATE of the same comments found by the trigram index, in turns, each
   in a transaction rolled back afterwards (the audit trail refuses DELETE; a rollback leaves nothing); the rows
   changed must be equal. The dead row versions are vacuumed as bench/moderation.py does.
3. Writes: single-row INSERTs into comments as the public site writes them, each its own transaction, with no
   active rule, 1 and 20 (migration 0008's inbox trigger), in rounds, the variants in turns; then ``sweep`` of
   1,000 new comments from the inbox (one in SPAM_EVERY carries the wave's link) with 1 and 20 active rules,
   committed. The comments, rules and audit entries the bench wrote are removed afterwards (the audit trail
   emptied as bench/moderation_data.py does), so the schema stays reusable by the other benches.

    .venv/bin/python bench/rules.py [--reuse] [--runs N]

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench  (the default; created when missing; its
    schemas are dropped unless --reuse finds the size's fit)

The figures go to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
DOMAIN = "spam-wave.example"
COMMON_WORD = "python"  # one of admin_app/services/demo_text.py's WORDS: in about one seeded comment in ten
AIM_SECONDS = 1.0  # the aim for a preview at 1M comments
TRIGRAM_INDEX = "ix_comment_search_body_trgm"
NOTE = "bench/rules.py"  # the note of the bench's own rules: how it finds (and removes) them
SWEEP_BATCH = 1_000
IDS = r"(?:%\(comment_id_\d+_\d+\)s::INTEGER(?:, )?)+"  # a sweep's list of inbox ids, as bound parameters
SPAM_EVERY = 20  # one new comment in twenty carries the wave's link, so a sweep catches some
WAVE_BODIES = (
    "Huge discount today only: https://spam-wave.example/buy",
    "Cheap watches, best price, see https://www.spam-wave.example/buy?ref={n}",
    "I earn $500 a day from home: https://shop.spam-wave.example/buy",
    "Best deals at spam-wave.example/buy, trust me",
)
# The wave's rule first. The others catch none of the comments the bench writes (the sweep still asks each of them
# of every new comment); a few ("free spins", "giveaway", "hot singles") match the seed's own spam, some 8,000
# existing comments each, as rules written against earlier waves would.
RULES = (
    ("domain", DOMAIN, "disable"),
    ("domain", "cheap-pills.example", "disable"),
    ("domain", "crypto-double.example", "disable"),
    ("domain", "free-followers.example", "hold"),
    ("domain", "hot-singles.example", "disable"),
    ("domain", "watch-deals.example", "hold"),
    ("domain", "casino-bonus.example", "disable"),
    ("domain", "loan-now.example", "hold"),
    ("word", "viagra", "disable"),
    ("word", "cialis", "disable"),
    ("word", "replica", "hold"),
    ("word", "bitcoin", "hold"),
    ("word", "giveaway", "hold"),
    ("word", "onlyfans", "disable"),
    ("phrase", "free spins", "disable"),
    ("phrase", "click the link in my bio", "disable"),
    ("phrase", "earn money fast", "hold"),
    ("phrase", "work from home", "hold"),
    ("phrase", "hot singles", "disable"),
    ("phrase", "limited time offer", "hold"),
)
WRITES = {"no active rule": 0, "1 active rule": 1, f"{len(RULES)} active rules": len(RULES)}
SWEEPS = {"1 active rule": 1, f"{len(RULES)} active rules": len(RULES)}
PREVIEW = "rules.preview"
BASELINES = {
    "comments ILIKE": "SELECT count(*), count(DISTINCT author_id) FROM comments WHERE body ILIKE :pattern",
    "trigram + join": "SELECT count(*), count(DISTINCT c.author_id) FROM comment_search AS s "
    "JOIN comments AS c ON c.id = s.comment_id WHERE CAST(s.body AS VARCHAR) ILIKE :pattern",
    "trigram alone": "SELECT count(*), NULL FROM comment_search WHERE CAST(body AS VARCHAR) ILIKE :pattern",
}
APPLY, PLAIN = "rule.apply", "plain UPDATE"
# The plain SQL of applying the rule: the same comments, found by the trigram index, its expression written as the
# app writes it (CAST(body AS VARCHAR); a bare ``body ILIKE`` finds the index too).
PLAIN_UPDATE = (
    "UPDATE comments SET disabled = true, moderated_at = now(), moderation_reason = 'spam' "
    "WHERE id IN (SELECT comment_id FROM comment_search WHERE CAST(body AS VARCHAR) ILIKE :pattern) AND NOT disabled"
)
INSERT = sa.text(
    "INSERT INTO comments (body, timestamp, disabled, author_id, post_id) "
    "VALUES (:body, :timestamp, false, :author_id, :post_id)"
)
INSERT_MANY = sa.text(
    "INSERT INTO comments (body, timestamp, disabled, author_id, post_id) "
    "SELECT body, timestamp, false, author_id, post_id FROM unnest(CAST(:body AS text[]), "
    "CAST(:timestamp AS timestamp[]), CAST(:author_id AS integer[]), CAST(:post_id AS integer[])) "
    "AS n (body, timestamp, author_id, post_id)"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--comments", type=int, default=1_000_000, help="size of the data set (%(default)s)")
    parser.add_argument("--wave-comments", type=int, default=12_345, help="comments of the wave (%(default)s)")
    parser.add_argument("--wave-authors", type=int, default=312, help="... by this many authors (%(default)s)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per preview and baseline (%(default)s)")
    parser.add_argument("--apply-runs", type=int, default=5, help="timed runs of rule.apply and of the plain UPDATE")
    parser.add_argument("--inserts", type=int, default=500, help="timed INSERTs per rule count (%(default)s)")
    parser.add_argument("--rounds", type=int, default=50, help="... in this many rounds, in turns (%(default)s)")
    parser.add_argument("--sweep-runs", type=int, default=5, help=f"timed sweeps of {SWEEP_BATCH:,} per rule count")
    parser.add_argument("--explain", action="store_true", help="print the previews' plans whatever their times")
    parser.add_argument(
        "--reuse", action="store_true", help="use the size's schema as it is when it matches the migrations and "
        "the size (as `make bench` leaves it), instead of building it again; keep a wave already planted",
    )  # fmt: skip
    return parser.parse_args()


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def in_turns(names: list[T], round_number: int) -> list[T]:
    """The names rotated by the round: each goes first, middle and last as often, so drift hits all alike."""
    shift = round_number % len(names)
    return names[shift:] + names[:shift]


def count(sql: str, **params: Any) -> int:
    from admin_app.extensions import db

    return int(db.session.scalar(sa.text(sql), params) or 0)


def vacuum(url: str, tables: str, analyze: bool = False) -> float:
    """VACUUM the tables (autovacuum may be off): the dead row versions, the GIN pending list, the visibility map."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    start = time.perf_counter()
    with engine.connect() as connection:
        connection.exec_driver_sql(f"VACUUM {'(ANALYZE) ' if analyze else ''}{tables}")
    engine.dispose()
    return time.perf_counter() - start


class StatementLog:
    """The statements the app's engine sends while ``on``, with their parameters and durations."""

    def __init__(self, engine: sa.Engine) -> None:
        self.on = False
        self.statements: list[tuple[str, Any, float]] = []
        self._started = 0.0
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started = time.perf_counter()

    def _after(self, _connection: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if self.on:
            self.statements.append((statement, parameters, time.perf_counter() - self._started))

    def take(self) -> list[tuple[str, Any, float]]:
        taken, self.statements, self.on = self.statements, [], False
        return taken


def explain(statement: str, parameters: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a statement as the app sent it, rolled back (it runs)."""
    from admin_app.extensions import db

    connection = db.session.connection()
    rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
    db.session.rollback()
    return "\n".join(row[0] for row in rows)


# The wave.


def wave_counts() -> tuple[int, int]:
    """The comments that link to the wave's domain, and their authors (through the trigram index)."""
    from admin_app.extensions import db

    found = db.session.execute(sa.text(BASELINES["trigram + join"]), {"pattern": f"%{DOMAIN}%"}).one()
    return int(found[0]), int(found[1])


def pick_wave(comments: int, authors: int, random_seed: int = 1) -> list[int]:
    """``comments`` comment ids by exactly ``authors`` ordinary authors (not the seed's spammers): one comment of
    each author, the rest drawn among their other comments."""
    from admin_app.extensions import db

    rng = random.Random(random_seed)
    by_author: dict[int, list[int]] = defaultdict(list)
    for author_id, comment_id in db.session.execute(sa.text("SELECT author_id, id FROM comments ORDER BY id")):
        by_author[author_id].append(comment_id)
    need = max(1, comments // authors)
    # Enough comments each for the draw; the seed's few spammers wrote hundreds of times more than anyone.
    typical = statistics.median(len(ids) for ids in by_author.values())
    candidates = sorted(a for a, ids in by_author.items() if 2 * need <= len(ids) <= 10 * typical)
    if len(candidates) < authors or comments < authors:
        raise SystemExit(f"bench: cannot plant {comments:,} comments by {authors:,} authors in this data set")
    chosen = rng.sample(candidates, authors)
    ids = [rng.choice(by_author[author]) for author in chosen]
    rest = sorted({comment_id for author in chosen for comment_id in by_author[author]} - set(ids))
    return ids + rng.sample(rest, comments - authors)


def plant_wave(url: str, comments: int, authors: int) -> float | None:
    """Rewrite the text of the wave's comments (None when an earlier run planted this wave); then VACUUM (ANALYZE).

    No rule may be active meanwhile: the inbox trigger would collect every comment rewritten."""
    from admin_app.extensions import db

    found = wave_counts()
    if found == (comments, authors):
        return None
    if found != (0, 0):
        raise SystemExit(f"bench: {found[0]:,} comments by {found[1]:,} authors already link to {DOMAIN}: rebuild")
    start = time.perf_counter()
    ids = pick_wave(comments, authors)
    bodies = [WAVE_BODIES[n % len(WAVE_BODIES)].format(n=n) for n in range(len(ids))]
    db.session.execute(
        sa.text(
            "UPDATE comments AS c SET body = w.body, body_html = '<p>' || w.body || '</p>' "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:bodies AS text[])) AS w (id, body) WHERE c.id = w.id"
        ),
        {"ids": ids, "bodies": bodies},
    )
    db.session.commit()
    if wave_counts() != (comments, authors) or count("SELECT count(*) FROM rule_inbox"):
        raise AssertionError(f"the wave is {wave_counts()}, not ({comments}, {authors}), or the inbox filled")
    db.session.remove()
    vacuum(url, "comments, comment_search", analyze=True)
    return time.perf_counter() - start


def check_start() -> None:
    """Remove the rules an interrupted run left; refuse a schema whose rules, inbox or audit trail are not empty
    (the bench empties the trail at the end, so it must start empty)."""
    from admin_app.extensions import db

    db.session.execute(sa.text("DELETE FROM rules WHERE note = :note"), {"note": NOTE})
    db.session.commit()
    left = {
        "active rules": count("SELECT count(*) FROM rules WHERE active"),
        "comments in the inbox": count("SELECT count(*) FROM rule_inbox"),
        "audit entries": count("SELECT count(*) FROM audit_entries"),
    }
    if any(left.values()):
        raise SystemExit(f"bench: the schema holds {left}: build it again (without --reuse)")


# 1. Preview.


@dataclass
class Previewed:
    kind: str
    text: str
    counts: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    plans: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.text}"

    @property
    def pattern(self) -> str:
        return f"%{self.text}%"

    def ms(self, method: str) -> float:
        return median_ms(self.samples[method])

    @property
    def uses_index(self) -> bool:
        return all(TRIGRAM_INDEX in plan["plan"] for plan in self.plans)

    def check(self) -> None:
        """The preview's counts are those of plain SQL (the bare trigram count has no authors)."""
        comments, authors = self.counts[PREVIEW]
        for method, (other_comments, other_authors) in self.counts.items():
            if other_comments != comments or other_authors not in (None, authors):
                raise AssertionError(f"{self.label}: {PREVIEW} counts {self.counts[PREVIEW]}, {method} {self.counts}")


def run_preview(term: Previewed) -> tuple[float, tuple[int, int | None]]:
    from admin_app.extensions import db
    from admin_app.services import rules

    start = time.perf_counter()
    found = rules.preview(term.kind, term.text)
    elapsed = time.perf_counter() - start
    if len(found.sample) != min(rules.SAMPLE, found.comments):
        raise AssertionError(f"{term.label}: a sample of {len(found.sample)} for {found.comments} comments")
    db.session.rollback()
    db.session.expunge_all()
    return elapsed, (found.comments, found.authors)


def run_baseline(term: Previewed, method: str) -> tuple[float, tuple[int, int | None]]:
    from admin_app.extensions import db

    start = time.perf_counter()
    comments, authors = db.session.execute(sa.text(BASELINES[method]), {"pattern": term.pattern}).one()
    elapsed = time.perf_counter() - start
    db.session.rollback()
    return elapsed, (int(comments), None if authors is None else int(authors))


def time_previews(terms: list[Previewed], runs: int, log: StatementLog, warmups: int = 2) -> None:
    """Every term's preview and baselines, terms and methods in turns; then the preview's plans."""
    methods = [PREVIEW, *BASELINES]
    for round_number in range(warmups + runs):
        for term in in_turns(terms, round_number):
            for method in in_turns(methods, round_number):
                elapsed, counts = run_preview(term) if method == PREVIEW else run_baseline(term, method)
                term.counts[method] = counts
                if round_number >= warmups:
                    term.samples.setdefault(method, []).append(elapsed)
    for term in terms:
        term.check()
        log.on = True
        run_preview(term)
        statements = [(sql, params) for sql, params, _seconds in log.take() if sql.lstrip().startswith("SELECT")]
        term.plans = [{"statement": sql, "plan": explain(sql, params)} for sql, params in statements]


# 2. Applying a rule to the comments already there.


@dataclass
class Applied:
    expected: int  # the wave's enabled comments: what both methods must disable
    changed: dict[str, int] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)

    def ms(self, method: str) -> float:
        return median_ms(self.samples[method])


def create_rules(actor_id: int) -> list[int]:
    """The bench's rules, all inactive; the wave's first."""
    from admin_app.extensions import db
    from admin_app.models import Rule
    from admin_app.services import rules

    made = [
        Rule(kind=kind, text=rules.normalise(kind, text), action=action, reason="spam", active=False, note=NOTE,
             created_by_id=actor_id)
        for kind, text, action in RULES
    ]  # fmt: skip
    db.session.add_all(made)
    db.session.commit()
    return [rule.id for rule in made]


def apply_rule(rule_id: int, actor: Any) -> int:
    from admin_app.services.change import Order
    from admin_app.services.operations import OPERATIONS

    operation = OPERATIONS[APPLY]
    return operation.apply(operation, [rule_id], Order(actor)).changed


def apply_plain() -> int:
    from admin_app.extensions import db

    updated = db.session.execute(sa.text(PLAIN_UPDATE), {"pattern": f"%{DOMAIN}%"})
    return int(updated.rowcount)  # type: ignore[attr-defined]


def wave_disabled() -> int:
    return count(
        "SELECT count(*) FROM comments WHERE disabled AND id IN (SELECT comment_id FROM comment_search "
        "WHERE CAST(body AS VARCHAR) ILIKE :pattern)",
        pattern=f"%{DOMAIN}%",
    )


def check_applied(method: str, changed: int, expected: int, wave: int, rule_id: int) -> None:
    """Inside the run's transaction: the whole wave disabled, the service's hits and audit rows recorded."""
    problems = []
    if changed != expected:
        problems.append(f"reported {changed:,} changed")
    disabled = wave_disabled()
    if disabled != wave:
        problems.append(f"{disabled:,} of the wave's {wave:,} comments disabled")
    if method == APPLY:
        hits = count("SELECT count(*) FROM rule_hits WHERE rule_id = :rule", rule=rule_id)
        audited = count("SELECT count(*) FROM audit_rows")
        if hits != expected or audited != expected:
            problems.append(f"{hits:,} rule hits, {audited:,} audit rows")
    if problems:
        raise AssertionError(f"{method}: expected {expected:,} comments: " + "; ".join(problems))


def time_apply(rule_id: int, actor: Any, runs: int, maintenance: Any, wave: int) -> Applied:
    """The service and the plain UPDATE in turns, each rolled back; the dead rows vacuumed as they pile up."""
    from admin_app.extensions import db
    from bench import moderation_data as data

    applied = Applied(expected=wave - wave_disabled())
    methods: dict[str, Callable[[], int]] = {APPLY: lambda: apply_rule(rule_id, actor), PLAIN: apply_plain}
    for round_number in range(1 + runs):  # one warm-up round
        for method in in_turns(list(methods), round_number):
            data.vacuum_if_needed(maintenance, applied.expected)
            start = time.perf_counter()
            changed = methods[method]()
            elapsed = time.perf_counter() - start
            check_applied(method, changed, applied.expected, wave, rule_id)
            db.session.rollback()
            maintenance.dead += changed
            applied.changed[method] = changed
            if round_number:
                applied.samples.setdefault(method, []).append(elapsed)
    data.vacuum(maintenance)
    return applied


# 3. Writes: what active rules add to each new comment, and the sweep.


class NewComments:
    """Comments as the public site writes them: a sentence of WORDS, one in SPAM_EVERY linking to the wave."""

    def __init__(self, random_seed: int = 2) -> None:
        from admin_app.extensions import db
        from admin_app.services.demo_text import WORDS

        self.words = WORDS
        self.rng = random.Random(random_seed)
        self.written = 0
        self.users, self.posts = (
            tuple(int(n) for n in db.session.execute(sa.text(f"SELECT min(id), max(id) FROM {table}")).one())
            for table in ("users", "posts")
        )

    def next(self) -> dict[str, Any]:
        from admin_app.database import utcnow

        self.written += 1
        body = " ".join(self.rng.choices(self.words, k=self.rng.randint(6, 24))).capitalize() + "."
        if self.written % SPAM_EVERY == 0:
            body += f" https://{DOMAIN}/buy"
        return {"body": body, "timestamp": utcnow(), "author_id": self.rng.randint(*self.users),
                "post_id": self.rng.randint(*self.posts)}  # fmt: skip

    def many(self, rows: int) -> dict[str, list[Any]]:
        made = [self.next() for _ in range(rows)]
        return {key: [row[key] for row in made] for key in made[0]}


def set_active(rule_ids: list[int], active: int) -> None:
    """The first ``active`` of the bench's rules on, the others off; committed."""
    from admin_app.extensions import db

    db.session.execute(
        sa.text("UPDATE rules SET active = (id = ANY(CAST(:on AS integer[]))) WHERE note = :note"),
        {"on": rule_ids[:active], "note": NOTE},
    )
    db.session.commit()


@dataclass
class Written:
    total: dict[str, list[float]] = field(default_factory=dict)  # INSERT and COMMIT
    statement: dict[str, list[float]] = field(default_factory=dict)  # the INSERT alone
    sweeps: dict[str, list[float]] = field(default_factory=dict)
    caught: dict[str, int] = field(default_factory=dict)
    slowest: list[dict[str, Any]] = field(default_factory=list)  # the last sweep's slowest statements
    per_round: int = 1

    def us(self, variant: str, statement: bool = False) -> float:
        return statistics.median((self.statement if statement else self.total)[variant]) * 1_000_000

    def paired(self, variant: str, base: str) -> float:
        """The median over rounds of the round's median ratio to ``base``: drift between rounds cancels out."""
        size, ours, theirs = self.per_round, self.total[variant], self.total[base]
        return statistics.median(
            statistics.median(ours[start : start + size]) / statistics.median(theirs[start : start + size])
            for start in range(0, len(ours), size)
        )


def time_writes(rule_ids: list[int], new: NewComments, inserts: int, rounds: int, written: Written) -> int:
    """Single-row INSERTs, each committed, in rounds of every variant in turns (a warm-up round first); return
    how many went into the inbox (those written while a rule was on)."""
    from admin_app.extensions import db

    per_round = written.per_round = max(1, inserts // rounds)
    inboxed = 0
    with db.engine.connect() as connection:
        for round_number in range(1 + rounds):
            for variant in in_turns(list(WRITES), round_number):
                set_active(rule_ids, WRITES[variant])
                for _ in range(per_round):
                    row = new.next()
                    start = time.perf_counter()
                    connection.execute(INSERT, row)
                    executed = time.perf_counter()
                    connection.commit()
                    done = time.perf_counter()
                    if round_number:
                        written.total.setdefault(variant, []).append(done - start)
                        written.statement.setdefault(variant, []).append(executed - start)
                inboxed += per_round if WRITES[variant] else 0
    return inboxed


def sweep_all(expected: int) -> tuple[float, int]:
    """Sweep the inbox, committed; check that it took all ``expected`` comments and left it empty."""
    from admin_app.extensions import db
    from admin_app.services import rules

    start = time.perf_counter()
    swept = rules.sweep()
    db.session.commit()
    elapsed = time.perf_counter() - start
    left = count("SELECT count(*) FROM rule_inbox")
    if swept.checked != expected or left:
        raise AssertionError(f"the sweep checked {swept.checked:,} of {expected:,} comments; {left:,} left")
    return elapsed, swept.caught


def slowest_statements(logged: list[tuple[str, Any, float]], keep: int = 3) -> list[dict[str, Any]]:
    """The slowest of a sweep's statements (the list of inbox ids left out), with the plan of the slowest SELECT."""
    slowest = sorted(logged, key=lambda statement: -statement[2])[:keep]
    found = []
    for sql, params, seconds in slowest:
        shown = {key: value for key, value in (params or {}).items() if not key.startswith("comment_id_")}
        found.append({"ms": seconds * 1000, "statement": re.sub(IDS, "...", sql), "parameters": shown})
    for (sql, params, _seconds), kept in zip(slowest, found, strict=True):
        if sql.lstrip().startswith("SELECT"):
            kept["plan"] = re.sub(r"'\{[\d,]+\}'", "'{...}'", explain(sql, params))
            break
    return found


def time_sweeps(rule_ids: list[int], new: NewComments, runs: int, log: StatementLog, written: Written) -> None:
    """Per run and rule count (in turns): SWEEP_BATCH new comments in one INSERT, then a timed sweep."""
    from admin_app.extensions import db

    for round_number in range(runs):
        for variant in in_turns(list(SWEEPS), round_number):
            set_active(rule_ids, SWEEPS[variant])
            db.session.execute(INSERT_MANY, new.many(SWEEP_BATCH))
            db.session.commit()
            log.on = round_number == runs - 1 and SWEEPS[variant] == len(RULES)
            elapsed, caught = sweep_all(SWEEP_BATCH)
            if log.on:
                written.slowest = slowest_statements(log.take())
            if caught != SWEEP_BATCH // SPAM_EVERY:
                raise AssertionError(
                    f"{variant}: the sweep caught {caught} of {SWEEP_BATCH // SPAM_EVERY} spam comments"
                )
            written.sweeps.setdefault(variant, []).append(elapsed)
            written.caught[variant] = caught


def clean_up(url: str, first_new_id: int | None) -> None:
    """Delete the comments and rules the bench wrote (their search rows, hits and inbox rows cascade) and empty the
    audit trail the sweeps wrote to (it started empty: check_start); then VACUUM what they left."""
    from admin_app.extensions import db

    db.session.rollback()
    if first_new_id is not None:
        db.session.execute(sa.text("DELETE FROM comments WHERE id >= :first"), {"first": first_new_id})
    db.session.execute(sa.text("DELETE FROM rules WHERE note = :note"), {"note": NOTE})
    db.session.commit()
    # Append-only by trigger; skipped for this transaction alone, as bench/moderation_data.py's _restore does.
    db.session.execute(sa.text("SET LOCAL session_replication_role = replica"))
    db.session.execute(sa.text("TRUNCATE audit_rows, audit_entries"))
    db.session.commit()
    db.session.remove()
    vacuum(url, "comments, comment_search, rule_inbox, rule_hits, rules")


# The printout and the record.


def preview_table(terms: list[Previewed]) -> str:
    lines = [
        "| rule | comments | authors | " + " | ".join(f"{m} ms" for m in (PREVIEW, *BASELINES)) + " | "
        + " | ".join(f"preview / {m}" for m in BASELINES) + f" | under {AIM_SECONDS:g} s | preview runs over it "
        "| slowest preview ms | trigram index |",
        "| --- " * (8 + 2 * len(BASELINES)) + "|",
    ]  # fmt: skip
    for term in terms:
        comments, authors = term.counts[PREVIEW]
        times = " | ".join(f"{term.ms(m):.1f}" for m in (PREVIEW, *BASELINES))
        ratios = " | ".join(f"{term.ms(PREVIEW) / term.ms(m):.2f}" for m in BASELINES)
        under = "yes" if term.ms(PREVIEW) < AIM_SECONDS * 1000 else "NO"
        over = sum(sample >= AIM_SECONDS for sample in term.samples[PREVIEW])
        lines.append(
            f"| {term.label} | {comments:,} | {authors:,} | {times} | {ratios} | {under} | "
            f"{over} of {len(term.samples[PREVIEW])} | {max(term.samples[PREVIEW]) * 1000:.1f} | "
            f"{'yes' if term.uses_index else 'NO'} |"
        )
    return "\n".join(lines)


def writes_table(written: Written) -> str:
    base = list(WRITES)[0]
    lines = [
        "| new comment | µs per INSERT + COMMIT | ratio | ratio, paired by round | µs per INSERT alone | ratio |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for variant in WRITES:
        lines.append(
            f"| {variant} | {written.us(variant):.0f} | {written.us(variant) / written.us(base):.2f} | "
            f"{written.paired(variant, base):.2f} | {written.us(variant, True):.0f} | "
            f"{written.us(variant, True) / written.us(base, True):.2f} |"
        )
    return "\n".join(lines)


def print_plans(terms: list[Previewed], always: bool) -> None:
    """The previews' plans: of every preview that skipped the trigram index or took the aim or longer once."""
    for term in terms:
        if always or not term.uses_index or max(term.samples[PREVIEW]) >= AIM_SECONDS:
            for plan in term.plans:
                print(f"\nEXPLAIN (ANALYZE, BUFFERS), preview of {term.label}:\n{plan['statement']}\n{plan['plan']}")


def summary(terms: list[Previewed], applied: Applied, written: Written) -> str:
    lines = ["Summary (medians of this run, methods in turns):"]
    for term in terms:
        comments, authors = term.counts[PREVIEW]
        lines.append(
            f"  preview of {term.label:24} {comments:>7,} comments by {authors:,} authors: {term.ms(PREVIEW):.0f} ms "
            f"({'under' if term.ms(PREVIEW) < AIM_SECONDS * 1000 else 'NOT under'} {AIM_SECONDS:g} s; "
            f"{sum(sample >= AIM_SECONDS for sample in term.samples[PREVIEW])} of {len(term.samples[PREVIEW])} runs "
            f"over); "
            f"{term.ms(PREVIEW) / term.ms('trigram + join'):.2f}x the trigram count with authors, "
            f"{term.ms(PREVIEW) / term.ms('comments ILIKE'):.2f}x the sequential ILIKE; counts equal"
        )
    lines.append(
        f"  rule.apply of {DOMAIN}: {applied.changed[APPLY]:,} comments disabled in {applied.ms(APPLY):.0f} ms, "
        f"{applied.ms(APPLY) / applied.ms(PLAIN):.2f}x the plain UPDATE ({applied.ms(PLAIN):.0f} ms, same rows)"
    )
    base, one, many = list(WRITES)
    lines.append(
        f"  INSERT + COMMIT of a comment: {written.us(base):.0f} µs with no active rule, {written.us(one):.0f} with 1 "
        f"({written.us(one) / written.us(base):.2f}x; paired by round {written.paired(one, base):.2f}x), "
        f"{written.us(many):.0f} with {len(RULES)} ({written.us(many) / written.us(base):.2f}x; "
        f"{written.paired(many, base):.2f}x)"
    )
    lines.append(
        "  sweep: "
        + ", ".join(f"{median_ms(written.sweeps[v]):.0f} ms per {SWEEP_BATCH:,} comments with {v}" for v in SWEEPS)
        + f" ({written.caught[list(SWEEPS)[0]]} caught in each)"
    )
    return "\n".join(lines)


def write_json(record: dict[str, Any]) -> Path:
    directory = ROOT / "bench" / "results"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"rules-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def record_of(args: argparse.Namespace, meta: dict[str, Any], terms: list[Previewed], applied: Applied,
              written: Written) -> dict[str, Any]:  # fmt: skip
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.platform(),
        **meta,
        "runs": {
            "preview": args.runs,
            "apply": args.apply_runs,
            "inserts": args.inserts,
            "rounds": args.rounds,
            "sweeps": args.sweep_runs,
        },
        "preview": {
            term.label: {
                "counts": term.counts,
                "median_ms": {method: term.ms(method) for method in term.samples},
                "samples_ms": {method: [s * 1000 for s in samples] for method, samples in term.samples.items()},
                "uses_trigram_index": term.uses_index,
                "plans": term.plans,
            }
            for term in terms
        },
        "apply": {
            "rule": {"kind": "domain", "text": DOMAIN, "action": "disable", "reason": "spam"},
            "changed": applied.changed,
            "median_ms": {method: applied.ms(method) for method in applied.samples},
            "samples_ms": {method: [s * 1000 for s in samples] for method, samples in applied.samples.items()},
            "plain_sql": PLAIN_UPDATE,
        },
        "writes": {
            "median_us": {variant: written.us(variant) for variant in WRITES},
            "statement_median_us": {variant: written.us(variant, True) for variant in WRITES},
            "paired_ratio": {variant: written.paired(variant, list(WRITES)[0]) for variant in WRITES},
            "per_round": written.per_round,
            "samples_us": {variant: [s * 1e6 for s in samples] for variant, samples in written.total.items()},
        },
        "sweep": {
            "batch": SWEEP_BATCH,
            "caught": written.caught,
            "median_ms": {variant: median_ms(samples) for variant, samples in written.sweeps.items()},
            "samples_ms": {variant: [s * 1000 for s in samples] for variant, samples in written.sweeps.items()},
            "slowest_statements_20_rules": written.slowest,
        },
    }


def prepare_schema(args: argparse.Namespace, url: str, size: Any, app: Any) -> dict[str, Any]:
    """Build the size's schema unless --reuse finds it as built; plant the wave unless it is there."""
    from admin_app.extensions import db
    from bench import dataset, report
    from bench.moderation_data import not_reusable

    why = not_reusable(app, size) if args.reuse else "--reuse not given"
    built = None
    if why is None:
        print(f"seed {size.label:>4}: reusing schema {size.schema} ({size.comments:,} comments), not timed", flush=True)
    else:
        print(f"building schema {size.schema}: {why}", flush=True)
        dataset.reset(url, [size])
        built = dataset.build(app, url, size)
        print(report.seed_line(size, built), flush=True)
    with app.app_context():
        check_start()
        planted = plant_wave(dataset.size_url(url, size), args.wave_comments, args.wave_authors)
        db.session.remove()
        db.engine.dispose()
    state = "already planted, kept" if planted is None else f"planted in {planted:.1f} s (with VACUUM (ANALYZE))"
    print(f"wave: {args.wave_comments:,} comments by {args.wave_authors:,} authors linking to {DOMAIN}, {state}")
    return {"seed_seconds": built.seed_seconds if built else None, "reused_schema": built is None,
            "wave_seconds": planted}  # fmt: skip


def main() -> None:
    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.services.audit import Actor
    from bench import dataset
    from bench import moderation_data as data
    from bench.list_pages import DEFAULT_URL, FAST_LOGIN

    args = parse_args()
    started = time.perf_counter()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    dataset.check_server(url)
    size = dataset.Size(args.comments)
    app = create_app("default", SQLALCHEMY_DATABASE_URI=dataset.size_url(url, size), **FAST_LOGIN)
    meta = prepare_schema(args, url, size, app)
    terms = [Previewed("domain", DOMAIN), Previewed("word", COMMON_WORD)]
    written = Written()
    with app.app_context():
        log = StatementLog(db.engine)
        print(f"previews: {args.runs} runs each, in turns", file=sys.stderr, flush=True)
        time_previews(terms, args.runs, log)
        actor = Actor(data.actor_id(), dataset.MODERATOR_EMAIL, "127.0.0.1")
        first_new_id = None
        try:
            rule_ids = create_rules(actor.user_id or 0)
            print(f"rule.apply: {args.apply_runs} runs each, in turns", file=sys.stderr, flush=True)
            maintenance = data.Maintenance(vacuum_at=size.comments // 20)  # 5% of the table
            applied = time_apply(rule_ids[0], actor, args.apply_runs, maintenance, args.wave_comments)
            first_new_id = count("SELECT max(id) FROM comments") + 1
            new = NewComments()
            print(f"writes: {args.inserts} INSERTs per rule count, then sweeps", file=sys.stderr, flush=True)
            inboxed = time_writes(rule_ids, new, args.inserts, args.rounds, written)
            set_active(rule_ids, len(RULES))
            sweep_all(inboxed)  # the inbox the INSERTs filled: a warm-up, and a check that it holds them all
            time_sweeps(rule_ids, new, args.sweep_runs, log, written)
        finally:
            clean_up(dataset.size_url(url, size), first_new_id)
        db.engine.dispose()
    version = dataset.server_version(url)
    print(
        f"\nPostgreSQL {version}, {os.cpu_count()} CPUs; {size.comments:,} comments, a wave of "
        f"{args.wave_comments:,} by {args.wave_authors:,} authors linking to {DOMAIN}\n"
    )
    print(f"Preview: median of {args.runs} runs per rule and method, in turns (counts checked equal)\n")
    print(preview_table(terms))
    print_plans(terms, args.explain)
    print(f"\nApplying the rule to existing comments: median of {args.apply_runs} runs each, in turns, rolled back\n")
    print("| method | comments changed | ms | ratio |\n| --- | --- | --- | --- |")
    for method in (APPLY, PLAIN):
        ratio = applied.ms(method) / applied.ms(PLAIN)
        print(f"| {method} | {applied.changed[method]:,} | {applied.ms(method):.1f} | {ratio:.2f} |")
    print(
        f"\nNew comments: {args.inserts} single-row INSERTs per variant, each committed, in {args.rounds} rounds, "
        "variants in turns\n"
    )
    print(writes_table(written))
    print(f"\nSweep of {SWEEP_BATCH:,} new comments ({SWEEP_BATCH // SPAM_EVERY} linking to {DOMAIN}), committed: "
          f"median of {args.sweep_runs} runs per rule count, in turns")  # fmt: skip
    for variant in SWEEPS:
        print(f"  {variant:16} {median_ms(written.sweeps[variant]):.1f} ms, {written.caught[variant]} caught")
    print(f"  slowest statements of the last {len(RULES)}-rule sweep: "
          + ", ".join(f"{s['ms']:.1f} ms" for s in written.slowest))  # fmt: skip
    for statement in written.slowest:
        if "plan" in statement:
            shown = " ".join(statement["statement"].split())
            print(f"  EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECT, {statement['parameters']}:\n    {shown}")
            print("\n".join(f"    {line[:160]}" for line in statement["plan"].splitlines()))
    print(f"\n{summary(terms, applied, written)}\n\nTotal {time.perf_counter() - started:.0f} s.")
    meta |= {"postgresql": version, "comments": size.comments, "wave": [args.wave_comments, args.wave_authors]}
    path = write_json(record_of(args, meta, terms, applied, written))
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # run as a script (`make bench`): import admin_app and bench from the project root
    main()
