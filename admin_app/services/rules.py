"""Moderation rules: what a word, phrase or link-domain rule matches, its preview, applying it to the comments
already there, and checking new comments against the active rules.

Matching. Nobody writes a regular expression: each rule's expression is derived here from its kind and its
(normalised) text, in the syntax PostgreSQL's regular expressions and Python's ``re`` (SQLite's REGEXP, and the
tests' brute force) share: escaped literals, ``\\s+``, ``\\w`` and lookarounds, no repetition of anything a user
wrote, so matching is linear in the comment's length. A word or phrase matches whole words, whatever the case and
spacing; a domain matches the host and its subdomains (``spam.example`` in ``https://www.spam.example/buy`` and
``shop.spam.example``, not in ``notspam.example`` or ``spam.example.org``). On PostgreSQL the literal parts are
also asked as ILIKE of ``comment_search`` (migration 0007's trigram index answers those); the expression then
decides among the candidates.

New comments. Triggers on ``comments`` put every comment written or edited while a rule is on into
``rule_inbox`` (migration 0008), whoever writes it; ``sweep`` (a periodic job, admin_app/periodic.py) checks the
inbox against the active rules every RULES_SWEEP_SECONDS and empties it. What a rule does to a comment goes
through the same audited operation as a moderator's (``moderate``), so it can be undone and is in the trail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Select,
    Unicode,
    and_,
    cast,
    delete,
    distinct,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)

from admin_app.database import utcnow
from admin_app.extensions import db
from admin_app.models import AuditRow, Comment, CommentSearch, Rule, RuleHit, RuleInbox
from admin_app.services.audit import Actor
from admin_app.services.change import Order, Outcome

WORD, PHRASE, DOMAIN = "word", "phrase", "domain"
KINDS = (WORD, PHRASE, DOMAIN)
HOLD, DISABLE = "hold", "disable"
ACTIONS = (HOLD, DISABLE)
MAX_TEXT = 100
MIN_LETTERS = 3  # the trigram index needs three characters to find anything; fewer would read every comment
SAMPLE = 20
# The rules' own actor in the audit trail: no account, no address.
RULES_ACTOR = Actor(None, None, None)


class Invalid(ValueError):
    """A rule's text that cannot be a rule: "empty", "too-long", "too-short", "one-word" or "domain"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def normalise(kind: str, text: str) -> str:
    """The text as the rule keeps it: spacing collapsed, lower case; a domain as its bare host (a pasted link
    gives its host, without "www."). Raises Invalid."""
    text = " ".join((text or "").split()).lower()
    if not text:
        raise Invalid("empty")
    if len(text) > MAX_TEXT:
        raise Invalid("too-long")
    if kind == DOMAIN:
        text = _host(text)
    elif kind == WORD and " " in text:
        raise Invalid("one-word")
    if max(len(piece) for piece in literal_pieces(kind, text)) < MIN_LETTERS:
        raise Invalid("too-short")
    return text


def _host(text: str) -> str:
    host = urlsplit(text if "://" in text else f"//{text}").hostname or ""
    host = host.strip(".")
    host = host.removeprefix("www.")
    labels = host.split(".")
    if len(labels) < 2 or not all(_is_label(label) for label in labels):
        raise Invalid("domain")
    return host


def _is_label(label: str) -> bool:
    return 0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-" and all(c.isalnum() or c == "-" for c in label)


def literal_pieces(kind: str, text: str) -> list[str]:
    """The literal strings every match contains (the words of a phrase, the word, the domain)."""
    return text.split() if kind == PHRASE else [text]


def _escaped(text: str) -> str:
    # A backslash before every character that is not a letter or digit: a literal in both syntaxes.
    return "".join(c if c.isalnum() else "\\" + c for c in text)


def expression(kind: str, text: str) -> str:
    """The regular expression of a rule (matched case-insensitively)."""
    if kind == DOMAIN:
        return r"(?<![\w-])" + _escaped(text) + r"(?![\w-]|\.\w)"
    words = r"\s+".join(_escaped(word) for word in text.split())
    return r"(?<!\w)" + words + r"(?!\w)"


def python_pattern(kind: str, text: str) -> re.Pattern[str]:
    """The same expression for Python's ``re``: SQLite's REGEXP, the preview's highlighting, the tests."""
    return re.compile(expression(kind, text), re.IGNORECASE)


def condition(kind: str, text: str) -> Any:
    """A rule's match on ``comment_search``, as SQL: on PostgreSQL the literal parts first (ILIKE, which the
    trigram index answers), then the expression."""
    body = cast(CommentSearch.body, Unicode)  # the trigram index's expression (migration 0007)
    if db.session.get_bind().dialect.name != "postgresql":
        return expression_matches(body, kind, text)  # (SQLite has no index to help)
    candidates = [body.ilike(_contains(piece), escape="\\") for piece in literal_pieces(kind, text)]
    return and_(*candidates, expression_matches(body, kind, text))


def expression_matches(body: Any, kind: str, text: str) -> Any:
    """The expression alone, on any text column (a batch of comments already in hand)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return body.regexp_match(expression(kind, text), flags="i")
    return body.regexp_match("(?i)" + expression(kind, text))  # SQLite's REGEXP is re.search: flags inline


def _contains(piece: str) -> str:
    return "%" + piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def matching(kind: str, text: str) -> Select[Any]:
    """The ids of the comments a rule matches (a selection of ``comments``, as the moderation service takes)."""
    return select(Comment.id).join(CommentSearch, CommentSearch.comment_id == Comment.id).where(condition(kind, text))


def matching_rules(rule_ids: Select[Any] | Sequence[int]) -> Select[Any]:
    """The ids of the comments any of the rules ``rule_ids`` matches (the rules list's selection)."""
    rules = db.session.scalars(select(Rule).where(Rule.id.in_(rule_ids)).order_by(Rule.id)).all()
    found = select(Comment.id).join(CommentSearch, CommentSearch.comment_id == Comment.id)
    return found.where(or_(*(condition(rule.kind, rule.text) for rule in rules)) if rules else false())


@dataclass(frozen=True)
class Preview:
    comments: int
    authors: int
    sample: list[Comment]  # the newest SAMPLE matches


def preview(kind: str, text: str) -> Preview:
    """What a rule would match among the comments already there: exactly how many and by how many authors, and
    the newest SAMPLE. One statement runs the match once (a CTE both the counts and the newest read), then the
    newest are loaded by their ids."""
    found = (
        select(Comment.id, Comment.author_id, Comment.timestamp)
        .join(CommentSearch, CommentSearch.comment_id == Comment.id)
        .where(condition(kind, text))
        .cte("found")
    )
    totals = select(func.count().label("total"), func.count(distinct(found.c.author_id)).label("authors"))
    totals_part = totals.select_from(found).subquery("totals")
    newest = (
        select(found.c.id, found.c.timestamp)
        .order_by(found.c.timestamp.desc(), found.c.id.desc())
        .limit(SAMPLE)
        .subquery("newest")
    )
    rows = db.session.execute(
        select(totals_part.c.total, totals_part.c.authors, newest.c.id)
        .select_from(totals_part.outerjoin(newest, true()))
        .order_by(newest.c.timestamp.desc(), newest.c.id.desc())
    ).all()
    ids = [row.id for row in rows if row.id is not None]
    loaded = {comment.id: comment for comment in db.session.scalars(select(Comment).where(Comment.id.in_(ids)))}
    return Preview(rows[0].total, rows[0].authors, [loaded[comment_id] for comment_id in ids])


# Applying a rule to existing comments: the registry's "rule.apply" (admin_app/services/operations.py).


def operation_for(rule: Rule) -> Any:
    from admin_app.services.operations import OPERATIONS

    return OPERATIONS["comment.hold" if rule.action == HOLD else "comment.disable"]


def apply(operation: Any, selected: Select[Any] | Sequence[int], order: Order) -> Outcome:
    """Hold or disable (as the rule says, with its reason) every existing comment the selected rule matches: one
    audited, undoable comment operation that names the rule in its entry, and a hit per comment it changed."""
    from admin_app.services.moderation import moderate

    rules = db.session.scalars(select(Rule).where(Rule.id.in_(selected))).all()
    if not rules:
        return Outcome(None, 0)  # the rule is gone (or never was): nothing to apply
    if len(rules) > 1:
        raise ValueError("a rule is applied on its own (Operation.at_most)")
    rule = rules[0]
    details = {**(order.details or {}), "rule": rule.id}
    ids = matching(rule.kind, rule.text)
    outcome = moderate(operation_for(rule), ids, order.actor, rule.reason, order.note, details=details,
                       progress=order.progress)  # fmt: skip
    if outcome.entry_id is not None:
        _record_hits(rule.id, select(AuditRow.row_id).where(AuditRow.entry_id == outcome.entry_id), outcome.entry_id)
    return outcome


def _record_hits(rule_id: int, comment_ids: Select[Any] | Sequence[int], entry_id: int | None) -> None:
    """A hit of the rule for each of ``comment_ids`` it had not caught before: one INSERT ... SELECT."""
    already = exists().where(RuleHit.rule_id == rule_id, RuleHit.comment_id == Comment.id)
    rows = select(literal(rule_id), Comment.id, literal(utcnow()), literal(entry_id)).where(
        Comment.id.in_(comment_ids), ~already
    )
    db.session.execute(insert(RuleHit).from_select(["rule_id", "comment_id", "hit_at", "entry_id"], rows))


# New comments: the inbox.


@dataclass(frozen=True)
class Swept:
    checked: int  # comments taken out of the inbox
    caught: int  # of which a rule caught


def sweep(batch: int = 10_000) -> Swept:
    """Check the comments in the inbox (oldest first, at most ``batch``) against the active rules, act on those
    caught, and take them out of the inbox. In the caller's transaction.

    Disabling rules go first, then holding ones, each in the order written: a comment two rules catch gets the
    first one's action (a later one finds it disabled already and leaves it), and a hit from each. On PostgreSQL
    the inbox rows are locked SKIP LOCKED, so two sweeps at once (two schedulers) share the work rather than
    doing it twice."""
    from admin_app.services.moderation import moderate

    waiting = select(RuleInbox.comment_id).order_by(RuleInbox.comment_id).limit(batch)
    if db.session.get_bind().dialect.name == "postgresql":
        waiting = waiting.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(waiting))
    if not ids:
        return Swept(0, 0)
    rules = db.session.scalars(select(Rule).where(Rule.active).order_by(Rule.action == HOLD, Rule.id)).all()
    # The batch's texts read once by their ids, then each rule's expression over them: never the trigram index,
    # which would visit every comment a rule ever matched (a big wave's rule, the slowest) to find the new ones.
    in_hand = select(CommentSearch.comment_id, CommentSearch.body).where(CommentSearch.comment_id.in_(ids))
    texts = in_hand.cte("batch").prefix_with("MATERIALIZED", dialect="postgresql")
    caught: set[int] = set()
    for rule in rules:
        matched = expression_matches(texts.c.body, rule.kind, rule.text)
        found = list(db.session.scalars(select(texts.c.comment_id).where(matched)))
        if not found:
            continue
        entry_id = None
        if db.session.scalar(select(exists().where(Comment.id.in_(found), Comment.disabled.is_not(true())))):
            details = {"rule": rule.id, "source": "rules"}
            entry_id = moderate(operation_for(rule), found, RULES_ACTOR, rule.reason, details=details).entry_id
        _record_hits(rule.id, found, entry_id)
        caught.update(found)
    db.session.execute(delete(RuleInbox).where(RuleInbox.comment_id.in_(ids)))
    return Swept(len(ids), len(caught))


def waiting() -> bool:
    """Whether any comment waits in the inbox (one indexed look-up)."""
    return bool(db.session.scalar(select(exists().where(RuleInbox.comment_id.is_not(None)))))


# What the rules list and pages show.


@dataclass(frozen=True)
class Hits:
    day: int
    week: int


def hit_counts(rule_ids: Sequence[int], now: datetime | None = None) -> dict[int, Hits]:
    """Comments each rule caught in the last 24 hours and 7 days: one statement over the (rule, time) index."""
    now = now or utcnow()
    day = func.count().filter(RuleHit.hit_at > now - timedelta(days=1))
    rows = db.session.execute(
        select(RuleHit.rule_id, day, func.count())
        .where(RuleHit.rule_id.in_(list(rule_ids)), RuleHit.hit_at > now - timedelta(days=7))
        .group_by(RuleHit.rule_id)
    )
    counts = {rule_id: Hits(day_n, week_n) for rule_id, day_n, week_n in rows}
    return {rule_id: counts.get(rule_id, Hits(0, 0)) for rule_id in rule_ids}


def caught_by(comment_ids: Sequence[int]) -> dict[int, list[Rule]]:
    """The rules that caught each of the comments (the queue's mark): one statement."""
    found: dict[int, list[Rule]] = {}
    rows = db.session.execute(
        select(RuleHit.comment_id, Rule)
        .join(Rule, Rule.id == RuleHit.rule_id)
        .where(RuleHit.comment_id.in_(list(comment_ids)))
        .order_by(RuleHit.comment_id, Rule.id)
    )
    for comment_id, rule in rows:
        found.setdefault(comment_id, []).append(rule)
    return found
