"""A member's history: what it gathers, and that every statement goes through an index (PostgreSQL's plans)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from admin_app.extensions import db
from admin_app.models import Rule, RuleHit
from admin_app.services import history
from admin_app.services.audit import Actor
from admin_app.services.change import Order
from admin_app.services.moderation import moderate
from admin_app.services.operations import OPERATIONS
from tests.factories import CommentFactory, UserFactory


def make_history() -> tuple[int, int]:
    moderator, member, other = UserFactory(roles=["moderator"]), UserFactory(), UserFactory()
    now = CommentFactory(author=other).timestamp
    theirs = [CommentFactory(author=member, body=f"deal {n} at spam.example", timestamp=now - timedelta(hours=n))
              for n in range(25)]  # fmt: skip
    actor = Actor(moderator.id, moderator.email, None)
    moderate(OPERATIONS["comment.disable"], [c.id for c in theirs[:3]], actor, "spam")
    moderate(OPERATIONS["comment.hold"], [theirs[3].id], actor, "spam")
    moderate(OPERATIONS["comment.disable"], [CommentFactory(author=other).id], actor, "spam")  # not theirs
    rule = Rule(kind="domain", text="spam.example", action="disable", reason="spam")
    db.session.add(rule)
    db.session.flush()
    db.session.add(RuleHit(rule_id=rule.id, comment_id=theirs[4].id))
    suspend = OPERATIONS["user.suspend"]
    suspend.apply(suspend, [member.id], Order(actor, "spam", choices={"duration": "7d"}))
    db.session.commit()
    return member.id, theirs[0].id


def test_a_members_history_gathers_their_comments_operations_and_rules(app: Flask) -> None:
    member, newest = make_history()
    found = history.of_member(member)
    assert (found.totals.comments, found.totals.disabled, found.totals.held) == (25, 4, 1)
    assert len(found.recent) == history.RECENT and found.recent[0].id == newest
    assert [(touch.entry.action, touch.rows) for touch in found.operations] == [
        ("user.suspend", 1), ("comment.hold", 1), ("comment.disable", 3),
    ]  # fmt: skip
    assert [(caught.rule.text, caught.comments) for caught in found.rules] == [("spam.example", 1)]


@pytest.mark.postgresql_only
def test_no_statement_of_a_members_history_scans_a_table(app: Flask) -> None:
    member, _newest = make_history()
    sent: list[tuple[str, Any]] = []

    def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        history.of_member(member)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(sent) == 4
    connection = db.session.connection()
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a scan left in a plan has no index to use
    for statement, parameters in sent:
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        for table in ("comments", "audit_rows", "audit_entries", "rule_hits"):
            assert f"Seq Scan on {table}" not in plan, f"{statement}\n{plan}"
