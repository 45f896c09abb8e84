"""The rules pages: writing a rule with its preview, the rule's page, applying it to existing comments, undo."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import AuditEntry, Comment, Rule, RuleHit
from admin_app.services import rules
from tests.conftest import csrf_token
from tests.factories import CommentFactory, UserFactory


def flashes(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return " ".join(re.findall(r'class="alert alert-\w+ alert-dismissable">(.*?)</div>', page, re.S))


def rule_form(**fields: str) -> dict[str, str]:
    return {"kind": "domain", "text": "spam.example", "action": "disable", "reason": "spam", "active": "y", **fields}


def spam_wave(authors: int = 3, each: int = 4) -> list[Comment]:
    spammers = [UserFactory(username=f"spammer{n}") for n in range(authors)]
    return [CommentFactory(author=s, body=f"Deals at https://spam.example/{n} <b>now</b>") for s in spammers
            for n in range(each)]  # fmt: skip


def test_the_preview_counts_matches_and_authors_and_saves_nothing(client: FlaskClient, login_as: Any) -> None:
    spam_wave()
    CommentFactory(body="notspam.example is fine")
    login_as("moderator")
    page = client.post("/admin/rule/new/", data={**rule_form(), "_preview": "1", "csrf_token": csrf_token(client)})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This rule matches 12 existing comments." in html and "They were written by 3 authors." in html
    assert html.count("<mark>spam.example</mark>") == 12  # the sample, with the match marked
    assert "&lt;b&gt;now&lt;/b&gt;" in html  # the comment's text is text, never markup
    assert 'value="spam.example"' in html  # the form keeps what was written
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rule)) == 0


def test_a_link_pasted_as_domain_previews_its_domain(client: FlaskClient, login_as: Any) -> None:
    spam_wave(1, 2)
    login_as("moderator")
    form = {**rule_form(text="https://www.SPAM.example/buy?now=1"), "_preview": "1", "csrf_token": csrf_token(client)}
    html = client.post("/admin/rule/new/", data=form).get_data(as_text=True)
    assert "This rule matches 2 existing comments." in html and 'value="spam.example"' in html


def test_a_text_that_cannot_be_a_rule_is_explained_in_the_readers_language(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    for fields, message in [
        ({"kind": "word", "text": "two words"}, "A word rule looks for one word"),
        ({"kind": "word", "text": "ab"}, "Write at least 3 letters in a row"),
        ({"kind": "domain", "text": "localhost"}, "Write a domain such as spam.example"),
        ({"reason": ""}, "Choose a reason."),
        ({"action": ""}, "Choose what the rule does."),
    ]:
        for preview in ({"_preview": "1"}, {}):
            response = client.post(
                "/admin/rule/new/", data={**rule_form(**fields), **preview, "csrf_token": csrf_token(client)}
            )
            assert response.status_code in (200, 400)
            assert message in response.get_data(as_text=True), (fields, preview)
            assert "This rule matches" not in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rule)) == 0


def test_saving_opens_the_rules_page_with_its_matches_and_an_apply_button(client: FlaskClient, login_as: Any) -> None:
    spam_wave()
    moderator = login_as("moderator")
    response = client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    rule = db.session.scalars(sa.select(Rule)).one()
    assert response.status_code == 302 and response.location.endswith(f"/admin/rule/details/?id={rule.id}")
    assert (rule.kind, rule.text, rule.action, rule.reason, rule.active, rule.created_by_id) == (
        "domain", "spam.example", "disable", "spam", True, moderator.id,
    )  # fmt: skip
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "rule.create")).one()
    assert entry.details["changes"]["text"] == [None, "spam.example"]

    html = client.get(response.location).get_data(as_text=True)
    assert "This rule matches 12 existing comments." in html
    assert "Apply to existing comments" in html
    assert "Caught 0 comments in the last 24 hours" in html


def test_the_same_rule_twice_is_refused(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    first = db.session.scalars(sa.select(Rule)).one()
    html = client.post(
        "/admin/rule/new/", data={**rule_form(text="WWW.spam.example"), "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert f"Rule #{first.id} already looks for this." in html
    # Its own edit is not a duplicate of itself.
    response = client.post(
        f"/admin/rule/edit/?id={first.id}", data={**rule_form(note="wave of 3 Dec"), "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rule, first.id).note == "wave of 3 Dec"


def test_applying_a_rule_confirms_with_its_action_and_reason_then_undoes(client: FlaskClient, login_as: Any) -> None:
    spam = spam_wave()
    login_as("moderator")
    client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    rule = db.session.scalars(sa.select(Rule)).one()
    page = client.post(
        "/admin/rule/action/",
        data={"action": "apply", "rowid": str(rule.id), "url": f"/admin/rule/details/?id={rule.id}",
              "csrf_token": csrf_token(client)},
    ).get_data(as_text=True)  # fmt: skip
    assert "Apply the rule to 12 existing comments?" in page
    assert "They will be disabled with the reason “Spam”." in page
    assert 'name="reason"' not in page  # the rule gives the reason

    response = client.post(
        "/admin/rule/moderate/",
        data={"operation": "rule.apply", "rowid": str(rule.id), "confirmed": "1", "note": "wave",
              "url": f"/admin/rule/details/?id={rule.id}", "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert all(db.session.get(Comment, c.id).disabled for c in spam)
    message = flashes(client, f"/admin/rule/details/?id={rule.id}")
    assert "The rule was applied to 12 comments." in message and "Undo" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleHit)) == 12
    assert "Caught 12 comments in the last 24 hours" in client.get(f"/admin/rule/details/?id={rule.id}").get_data(
        as_text=True
    )

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.disable")).one()
    response = client.post("/admin/comment/undo/", data={"entry": entry.id, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    db.session.expire_all()
    assert not any(db.session.get(Comment, c.id).disabled for c in spam)


def test_two_rules_cannot_be_applied_at_once(client: FlaskClient, login_as: Any, app: Flask) -> None:
    spam_wave(1, 1)
    login_as("moderator")
    for text in ("spam.example", "other.example"):
        client.post("/admin/rule/new/", data={**rule_form(text=text), "csrf_token": csrf_token(client)})
    ids = [str(rule_id) for rule_id in db.session.scalars(sa.select(Rule.id))]
    page = client.post(
        "/admin/rule/action/", data={"action": "apply", "rowid": ids, "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert "This action works on one row at a time: tick a single row." in page
    assert 'id="moderation-form"' not in page
    response = client.post(
        "/admin/rule/moderate/",
        data={"operation": "rule.apply", "rowid": ids, "confirmed": "1", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "one row at a time" in response.get_data(as_text=True)
    assert not db.session.scalar(sa.select(sa.func.count()).where(Comment.disabled))


def test_the_rules_list_shows_hit_counts(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    rule = db.session.scalars(sa.select(Rule)).one()
    for comment in spam_wave(1, 3):
        db.session.add(RuleHit(rule_id=rule.id, comment_id=comment.id))
    db.session.commit()
    html = client.get("/admin/rule/").get_data(as_text=True)
    assert "Caught, 24 h" in html and "Link domain" in html and "spam.example" in html
    assert re.search(r'col-hits_day">\s*3\s*<', html)


def test_switching_a_rule_off_is_an_audited_edit(client: FlaskClient, login_as: Any) -> None:
    login_as("moderator")
    client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    rule = db.session.scalars(sa.select(Rule)).one()
    fields = {key: value for key, value in rule_form().items() if key != "active"}
    client.post(f"/admin/rule/edit/?id={rule.id}", data={**fields, "csrf_token": csrf_token(client)})
    db.session.expire_all()
    assert not db.session.get(Rule, rule.id).active
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "rule.edit")).one()
    assert entry.details["changes"]["active"] == [True, False]


def test_what_a_rule_did_by_itself_names_the_rule_in_the_audit_trail(client: FlaskClient, login_as: Any) -> None:
    rule = Rule(kind="domain", text="spam.example", action="disable", reason="spam")
    db.session.add(rule)
    db.session.commit()
    CommentFactory(body="new deals at spam.example")  # written while the rule is on: in its inbox
    assert rules.sweep().caught == 1
    db.session.commit()
    login_as("admin")
    html = client.get("/admin/audit/").get_data(as_text=True)
    assert f"Rule #{rule.id}" in html and "Disable comments" in html


def test_a_rule_applied_to_more_than_the_inline_limit_runs_as_a_job(
    client: FlaskClient, login_as: Any, app: Flask, monkeypatch: Any
) -> None:
    from admin_app.models import Job

    monkeypatch.setitem(app.config, "INLINE_ROWS_LIMIT", 5)  # one rule ticked, twelve comments to change
    spam = spam_wave()
    login_as("moderator")
    client.post("/admin/rule/new/", data={**rule_form(), "csrf_token": csrf_token(client)})
    rule = db.session.scalars(sa.select(Rule)).one()
    response = client.post(
        "/admin/rule/moderate/",
        data={"operation": "rule.apply", "rowid": str(rule.id), "confirmed": "1", "csrf_token": csrf_token(client)},
    )
    job = db.session.scalars(sa.select(Job)).one()
    assert response.status_code == 302 and response.location.endswith(f"/admin/jobs/{job.id}/")
    db.session.expire_all()
    assert (job.status, job.result["changed"]) == ("done", 12)  # run inline: no Redis here
    assert all(db.session.get(Comment, c.id).disabled for c in spam)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RuleHit)) == 12
