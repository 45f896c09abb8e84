"""Moderation rules on each database: what they match (against a brute force in Python), the preview, applying
a rule to existing comments and undoing it, and new comments caught whoever inserts them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Rule, RuleHit, RuleInbox
from admin_app.services import rules
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.moderation import undo
from admin_app.services.operations import OPERATIONS
from tests.factories import CommentFactory, PostFactory, UserFactory, comment_by_plain_sql

APPLY = OPERATIONS["rule.apply"]
WINDOW = timedelta(hours=24)

TEXTS = [
    "Cheap watches at https://spam.example/buy now",
    "see http://www.SPAM.example",
    "shop.spam.example has deals",
    "notspam.example is a different site",
    "spam.example.org is another one",
    "mail me at bob@spam.example.",
    "Buy cheap   watches today",
    "buy cheap watchesmore",
    "I never buy CHEAP\nwatches",
    "spam? spam.example!",
    "watch the cheap buy",
    "Ünïcode café crème",
    "CAFÉ society",
    "c++ is fine, c+++ is not",
    "100% off_now",
    "",
]


@pytest.fixture
def moderator(app: Flask) -> Actor:
    user = UserFactory(roles=["moderator"])
    return Actor(user.id, user.email, "203.0.113.7")


def brute_force(kind: str, text: str) -> set[int]:
    pattern = rules.python_pattern(kind, text)
    return {cid for cid, body in db.session.execute(sa.select(Comment.id, Comment.body)) if pattern.search(body or "")}


def matched(kind: str, text: str) -> set[int]:
    return set(db.session.scalars(rules.matching(kind, text)))


def add_rule(kind: str, text: str, action: str = rules.DISABLE, reason: str = "spam", active: bool = True) -> Rule:
    rule = Rule(kind=kind, text=rules.normalise(kind, text), action=action, reason=reason, active=active)
    db.session.add(rule)
    db.session.commit()
    return rule


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("domain", "spam.example", {0, 1, 2, 5, 9}),
        ("domain", "https://www.spam.example/some/path?x=1", {0, 1, 2, 5, 9}),
        ("phrase", "buy cheap watches", {6, 8}),
        ("word", "café", {11, 12}),
        ("word", "CAFÉ", {11, 12}),
        ("word", "watches", {0, 6, 8}),
        ("word", "c++", {13}),
        ("word", "100%", {14}),
    ],
)
def test_what_a_rule_matches_equals_the_brute_force(app: Flask, kind: str, text: str, expected: set[int]) -> None:
    comments = [CommentFactory(body=body) for body in TEXTS]
    normalised = rules.normalise(kind, text)
    ids = matched(kind, normalised)
    assert ids == brute_force(kind, normalised)
    assert ids == {comments[index].id for index in expected}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from(["buy", "cheap", "watches", "spam", "example", "Buy", "the", "x-y"]), min_size=1),
    seed=st.integers(0, 10_000),
)
def test_preview_counts_equal_a_brute_force_count(app: Flask, words: list[str], seed: int) -> None:
    db.session.execute(sa.delete(Comment))
    randomness = random.Random(seed)
    authors = [UserFactory() for _ in range(3)]
    post = PostFactory(author=authors[0])
    vocabulary = ["buy", "cheap", "watches", "spam.example", "spam", "the", "x-y", "WATCHES", "\n", "  "]
    for _ in range(30):
        body = " ".join(randomness.choice(vocabulary) for _ in range(randomness.randint(0, 8)))
        CommentFactory(body=body, author=randomness.choice(authors), post=post)
    phrase = " ".join(words)
    try:
        text = rules.normalise(rules.PHRASE, phrase)
    except rules.Invalid:
        return
    found = brute_force(rules.PHRASE, text)
    preview = rules.preview(rules.PHRASE, text)
    authors_found = {db.session.get(Comment, cid).author_id for cid in found}
    assert (preview.comments, preview.authors) == (len(found), len(authors_found))
    assert {comment.id for comment in preview.sample} <= found
    assert len(preview.sample) == min(len(found), rules.SAMPLE)


def test_the_sample_is_the_newest_twenty_matches(app: Flask) -> None:
    now = CommentFactory().timestamp
    made = [CommentFactory(body=f"visit spam.example #{n}", timestamp=now - timedelta(minutes=n)) for n in range(25)]
    preview = rules.preview("domain", "spam.example")
    assert (preview.comments, preview.authors) == (25, 25)
    assert [comment.id for comment in preview.sample] == [comment.id for comment in made[:20]]


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("word", "   ", "empty"),
        ("word", "two words", "one-word"),
        ("word", "ab", "too-short"),
        ("phrase", "a b c", "too-short"),
        ("word", "x" * 101, "too-long"),
        ("domain", "localhost", "domain"),
        ("domain", "spam..example", "domain"),
        ("domain", "-spam.example", "domain"),
        ("domain", "spam example", "domain"),
        ("domain", "http://", "domain"),
    ],
)
def test_texts_that_cannot_be_rules_are_refused(app: Flask, kind: str, text: str, code: str) -> None:
    with pytest.raises(rules.Invalid) as refused:
        rules.normalise(kind, text)
    assert refused.value.code == code


def test_texts_are_normalised(app: Flask) -> None:
    assert rules.normalise("phrase", "  Buy   CHEAP\twatches ") == "buy cheap watches"
    assert rules.normalise("domain", "HTTPS://www.Spam.Example:8080/x?y") == "spam.example"
    assert rules.normalise("domain", "shop.spam.example/") == "shop.spam.example"


def test_applying_a_rule_disables_every_match_in_one_undoable_operation(app: Flask, moderator: Actor) -> None:
    spam = [CommentFactory(body=f"deal at spam.example/{n}") for n in range(7)]
    already = CommentFactory(body="old spam.example link", disabled=True)
    clean = CommentFactory(body="a fine comment")
    rule = add_rule("domain", "spam.example")

    assert APPLY.count(APPLY, [rule.id]).changing == 7
    outcome = APPLY.apply(APPLY, [rule.id], Order(moderator, note="wave"))
    db.session.commit()

    assert outcome.changed == 7
    entry = db.session.get(AuditEntry, outcome.entry_id)
    assert (entry.action, entry.reason, entry.note, entry.details["rule"]) == (
        "comment.disable",
        "spam",
        "wave",
        rule.id,
    )
    db.session.expire_all()
    assert all(db.session.get(Comment, c.id).disabled for c in spam)
    assert not db.session.get(Comment, clean.id).disabled
    hits = set(db.session.scalars(sa.select(RuleHit.comment_id).where(RuleHit.rule_id == rule.id)))
    assert hits == {c.id for c in spam}  # the comment already disabled was not this rule's doing
    assert already.id not in hits

    undone = undo(outcome.entry_id, moderator, window=WINDOW, may_undo_others=False)
    db.session.commit()
    assert undone.changed == 7
    db.session.expire_all()
    assert not any(db.session.get(Comment, c.id).disabled for c in spam)
    assert db.session.get(Comment, already.id).disabled


def test_a_holding_rule_hides_its_matches_and_puts_them_back_in_the_queue(app: Flask, moderator: Actor) -> None:
    reviewed = CommentFactory(body="buy cheap watches", reviewed_at=CommentFactory().timestamp)
    rule = add_rule("phrase", "buy cheap watches", action=rules.HOLD, reason="off-topic")
    outcome = APPLY.apply(APPLY, [rule.id], Order(moderator))
    db.session.commit()
    db.session.expire_all()
    comment = db.session.get(Comment, reviewed.id)
    assert (comment.disabled, comment.reviewed_at, comment.moderation_reason) == (True, None, "off-topic")
    assert db.session.get(AuditEntry, outcome.entry_id).action == "comment.hold"
    undo(outcome.entry_id, moderator, window=WINDOW, may_undo_others=False)
    db.session.commit()
    db.session.expire_all()
    comment = db.session.get(Comment, reviewed.id)
    assert (comment.disabled, comment.reviewed_at) == (False, reviewed.reviewed_at)


def test_a_rule_is_applied_on_its_own(app: Flask, moderator: Actor) -> None:
    first, second = add_rule("word", "watches"), add_rule("word", "spam")
    with pytest.raises(ValueError):
        APPLY.apply(APPLY, [first.id, second.id], Order(moderator))
    assert APPLY.apply(APPLY, [second.id + 1], Order(moderator)).changed == 0  # a rule that is not there
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_a_new_comment_inserted_by_plain_sql_is_caught_by_the_next_sweep(app: Flask) -> None:
    holding = add_rule("phrase", "buy cheap watches", action=rules.HOLD, reason="spam")
    disabling = add_rule("domain", "spam.example", reason="spam")
    add_rule("word", "switched", active=False)

    caught_twice = comment_by_plain_sql("Buy cheap watches at spam.example")
    held = comment_by_plain_sql("buy  cheap watches, honestly")
    fine = comment_by_plain_sql("a switched-off rule catches nothing")
    assert set(db.session.scalars(sa.select(RuleInbox.comment_id))) == {caught_twice, held, fine}

    assert rules.sweep().caught == 2
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleInbox)) == 0
    first = db.session.get(Comment, caught_twice)
    assert (first.disabled, first.reviewed_at is not None, first.moderated_by_id) == (True, True, None)
    second = db.session.get(Comment, held)
    assert (second.disabled, second.reviewed_at) == (True, None)
    assert not db.session.get(Comment, fine).disabled
    hits = set(db.session.execute(sa.select(RuleHit.rule_id, RuleHit.comment_id)).all())
    assert hits == {(disabling.id, caught_twice), (holding.id, caught_twice), (holding.id, held)}
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.details["rule"]) for e in entries] == [
        ("comment.disable", None, disabling.id),
        ("comment.hold", None, holding.id),
    ]


def test_while_no_rule_is_on_new_comments_skip_the_inbox(app: Flask) -> None:
    add_rule("word", "watches", active=False)
    comment_by_plain_sql("watches")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleInbox)) == 0


def test_an_edited_text_goes_back_to_the_rules(app: Flask) -> None:
    comment = CommentFactory(body="innocent")
    add_rule("word", "watches")
    db.session.execute(sa.text("UPDATE comments SET body = 'watches' WHERE id = :id"), {"id": comment.id})
    db.session.commit()
    assert rules.sweep().caught == 1


def test_hit_counts_by_day_and_week(app: Flask) -> None:
    rule = add_rule("word", "watches")
    other = add_rule("word", "spam")
    now = CommentFactory().timestamp
    for age in (timedelta(hours=1), timedelta(hours=30), timedelta(days=3), timedelta(days=9)):
        db.session.add(RuleHit(rule_id=rule.id, comment_id=CommentFactory().id, hit_at=now - age))
    db.session.commit()
    counts = rules.hit_counts([rule.id, other.id], now=now)
    assert (counts[rule.id].day, counts[rule.id].week) == (1, 3)
    assert (counts[other.id].day, counts[other.id].week) == (0, 0)
