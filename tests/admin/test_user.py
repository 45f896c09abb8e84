"""UserAdmin through HTTP: bulk role changes and (de)activation with their guardrails, and mass assignment."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from admin_app.extensions import db
from admin_app.models import AuditEntry, Role, User
from tests.conftest import csrf_token, sign_in
from tests.factories import UserFactory, roles_of


def flashes(client: FlaskClient, path: str = "/admin/user/") -> str:
    page = client.get(path).get_data(as_text=True)
    return " ".join(re.findall(r'class="alert alert-\w+ alert-dismissable">(.*?)</div>', page, re.S))


def confirm(client: FlaskClient, data: dict[str, Any]) -> Any:
    return client.post("/admin/user/moderate/", data={"csrf_token": csrf_token(client), "confirmed": "1", **data})


def test_admin_promotes_three_users_to_moderator_in_one_action(client: FlaskClient, login_as: Any) -> None:
    members = UserFactory.create_batch(3, roles=["user"])
    login_as("admin")
    ids = [str(member.id) for member in members]

    page = client.post(
        "/admin/user/action/", data={"action": "add_role", "rowid": ids, "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert "Add a role to 3 users?" in page and '<select class="form-control" id="role"' in page

    response = confirm(client, {"operation": "user.add_role", "rowid": ids, "role": "moderator", "reason": "other"})

    assert response.status_code == 302
    assert roles_of(*members) == [["moderator", "user"]] * 3
    assert "Roles of 3 users changed." in flashes(client)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.add_role")).one()
    assert (entry.details, entry.row_count) == ({"role": "moderator"}, 3)


def test_an_admin_cannot_remove_their_own_admin_role(client: FlaskClient, login_as: Any) -> None:
    admin = login_as("admin")
    confirm(client, {"operation": "user.remove_role", "rowid": [admin.id], "role": "admin", "reason": "other"})
    assert roles_of(admin) == [["admin"]]
    assert "You cannot remove your own permission to assign roles." in flashes(client)


def test_the_user_form_obeys_the_same_guardrails(client: FlaskClient, login_as: Any) -> None:
    admin = login_as("admin")
    user_role = db.session.scalars(sa.select(Role).where(Role.name == "user")).one()
    response = client.post(
        f"/admin/user/edit/?id={admin.id}",
        data={"email": admin.email, "username": admin.username, "roles": [str(user_role.id)], "active": "y",
              "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert response.status_code == 200
    assert "You cannot remove your own permission to assign roles." in response.get_data(as_text=True)
    assert roles_of(admin) == [["admin"]]


def test_mass_assignment_a_form_field_one_may_not_set_changes_nothing(
    app: Flask, client: FlaskClient, login_as: Any
) -> None:
    db.session.add(Role(name="support", permissions=["user-read", "user-manage", "personal-data-read"]))
    db.session.commit()
    support = UserFactory(roles=["support"])
    sign_in(client, support)
    member = UserFactory(roles=["user"])
    admin_role = db.session.scalars(sa.select(Role).where(Role.name == "admin")).one()

    form = client.get(f"/admin/user/edit/?id={member.id}").get_data(as_text=True)
    assert 'name="roles"' not in form
    response = client.post(
        f"/admin/user/edit/?id={member.id}",
        data={"email": member.email, "username": member.username, "name": "Renamed", "roles": [str(admin_role.id)],
              "active": "y", "csrf_token": csrf_token(client)},
    )  # fmt: skip

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).name == "Renamed"  # type: ignore[union-attr]
    assert roles_of(member) == [["user"]]


def test_a_moderator_cannot_post_a_role_change(client: FlaskClient, login_as: Any) -> None:
    member = UserFactory(roles=["user"])
    login_as("moderator")
    response = confirm(client, {"operation": "user.add_role", "rowid": [member.id], "role": "admin", "reason": "other"})
    assert response.status_code == 403
    assert roles_of(member) == [["user"]]


def test_deactivated_accounts_lose_their_session_on_the_next_request(app: Flask, login_as: Any) -> None:
    staff_client, admin_client = app.test_client(), app.test_client()
    staff = UserFactory(roles=["staff"])
    sign_in(staff_client, staff)
    assert staff_client.get("/admin/").status_code == 200
    admin = UserFactory(roles=["admin"])
    sign_in(admin_client, admin)

    confirm(admin_client, {"operation": "user.deactivate", "rowid": [staff.id, admin.id], "reason": "abuse"})

    assert "You cannot deactivate your own account." in flashes(admin_client)
    confirm(admin_client, {"operation": "user.deactivate", "rowid": [staff.id], "reason": "abuse"})
    assert "1 account deactivated." in flashes(admin_client)
    response = staff_client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_personal_data_is_absent_for_readers_without_the_permission(client: FlaskClient, login_as: Any) -> None:
    member = UserFactory(email="hidden.person@example.org", username="visible_handle", current_login_ip="192.0.2.8")
    login_as("moderator")

    assert client.get("/admin/user/").status_code == 403
    listing = client.get("/admin/member/").get_data(as_text=True)
    details = client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    assert "visible_handle" in listing and "visible_handle" in details
    for page in (listing, details):
        assert "hidden.person@example.org" not in page and "192.0.2.8" not in page and "Email" not in page
    searched = client.get("/admin/member/?search=hidden.person").get_data(as_text=True)
    assert "visible_handle" not in searched  # e-mail is not searchable either
    assert "email" not in " ".join(re.findall(r'data-filter-name="[^"]*"|flt\d+_\w+', listing)).lower()


def test_admins_see_personal_data(client: FlaskClient, login_as: Any) -> None:
    member = UserFactory(email="shown.person@example.org", current_login_ip="192.0.2.9")
    login_as("admin")
    details = client.get(f"/admin/user/details/?id={member.id}").get_data(as_text=True)
    assert "shown.person@example.org" in details and "192.0.2.9" in details
    assert 'href="/admin/member/"' not in client.get("/admin/").get_data(as_text=True)


def test_deleting_an_account_keeps_its_audit_entries_as_they_were(client: FlaskClient, login_as: Any) -> None:
    from admin_app.services.audit import Actor
    from admin_app.services.moderation import moderate
    from admin_app.services.operations import OPERATIONS
    from tests.factories import CommentFactory

    leaving = UserFactory(roles=["moderator"])
    leaving_id, leaving_email = leaving.id, leaving.email
    moderate(OPERATIONS["comment.disable"], [CommentFactory().id], Actor(leaving_id, leaving_email, None), "spam")
    db.session.commit()
    login_as("admin")

    response = client.post("/admin/user/delete/", data={"id": leaving_id, "csrf_token": csrf_token(client)})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, leaving_id) is None
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "comment.disable")).one()
    assert (entry.actor_id, entry.actor_email) == (leaving_id, leaving_email)


def test_risky_operations_ask_for_a_recent_login_first(client: FlaskClient, login_as: Any) -> None:
    import time

    from tests.factories import CommentFactory

    member, comment = UserFactory(roles=["user"]), CommentFactory()
    login_as("admin")
    with client.session_transaction() as session:  # signed in two hours ago, and no grace period running
        session["fs_paa"] = time.time() - 7200
        session.pop("fs_gexp", None)

    for path, action, operation, row in [
        ("/admin/user/", "add_role", "user.add_role", member.id),
        ("/admin/comment/", "delete", "comment.delete", comment.id),
    ]:
        asked = client.post(f"{path}action/", data={"action": action, "rowid": row, "csrf_token": csrf_token(client)})
        assert asked.status_code == 302 and asked.headers["Location"].startswith("/verify")
        verify = client.get(asked.headers["Location"]).get_data(as_text=True)
        assert 'type="password"' in verify and "Please confirm your password to continue." in verify
        posted = client.post(
            f"{path}moderate/",
            data={"operation": operation, "rowid": row, "role": "admin", "reason": "other", "confirmed": "1",
                  "csrf_token": csrf_token(client)},
        )  # fmt: skip
        assert posted.status_code == 302 and posted.headers["Location"].startswith("/verify")
    assert roles_of(member) == [["user"]]
    db.session.expire_all()
    assert db.session.get(type(comment), comment.id) is not None


def test_an_admin_creates_a_user_with_a_role_through_the_form(client: FlaskClient, login_as: Any) -> None:
    """The form's role field puts the new user in the session before on_model_change: its fs_uniquifier (NOT
    NULL) must already be set, or the page answered 500."""
    login_as("admin")
    staff = db.session.scalars(sa.select(Role).where(Role.name == "staff")).one()
    response = client.post(
        "/admin/user/new/",
        data={"username": "newcomer", "email": "newcomer@example.org", "roles": [str(staff.id)], "active": "y",
              "csrf_token": csrf_token(client)},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    created = db.session.scalars(sa.select(User).where(User.username == "newcomer")).one()
    assert len(created.fs_uniquifier) == 32 and [role.name for role in created.roles] == ["staff"]


@pytest.mark.parametrize("action", ["add_role", "remove_role", "deactivate", "reactivate"])
def test_account_changes_preselect_nothing_and_offer_account_reasons(
    client: FlaskClient, login_as: Any, action: str
) -> None:
    member = UserFactory(roles=["user"], active=action != "reactivate")
    login_as("admin")
    page = client.post(
        "/admin/user/action/", data={"action": action, "rowid": [member.id], "csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    menus = dict(re.findall(r'<select[^>]*name="(\w+)"[^>]*>(.*?)</select>', page, re.S))
    assert set(menus) == ({"role", "reason"} if "role" in action else {"reason"})
    for options in menus.values():
        assert "selected" not in options and options.strip().startswith('<option value="">')
    reasons = re.findall(r'<option value="([\w-]*)">', menus["reason"])
    assert reasons == ["", "new-duties", "left-team", "member-request", "compromised", "abuse", "other"]
    assert "Left the team" in menus["reason"] and "Spam" not in menus["reason"]


def test_a_role_change_without_a_chosen_role_is_refused_and_changes_nothing(client: FlaskClient, login_as: Any) -> None:
    member = UserFactory(roles=["user"])
    login_as("admin")
    response = confirm(client, {"operation": "user.add_role", "rowid": [member.id], "role": "", "reason": "other"})
    assert response.status_code == 400 and "Choose a role." in response.get_data(as_text=True)
    response = confirm(client, {"operation": "user.add_role", "rowid": [member.id], "role": "admin", "reason": "spam"})
    assert response.status_code == 400  # a moderation reason is not an account change's
    assert roles_of(member) == [["user"]]


def test_a_moderator_suspends_a_member_for_a_week_and_reads_it_on_their_page(
    client: FlaskClient, login_as: Any
) -> None:
    member = UserFactory(username="spammer1")
    moderator = login_as("moderator")
    page = client.post(
        "/admin/member/action/",
        data={"action": "suspend", "rowid": str(member.id), "url": "/admin/member/", "csrf_token": csrf_token(client)},
    ).get_data(as_text=True)
    assert "Suspend 1 member?" in page
    assert '<option value="">Choose how long…</option>' in page and ">Until lifted</option>" in page

    form = {"operation": "user.suspend", "rowid": str(member.id), "confirmed": "1", "reason": "spam",
            "url": "/admin/member/", "csrf_token": csrf_token(client)}  # fmt: skip
    refused = client.post("/admin/member/moderate/", data=form)
    assert refused.status_code == 400 and "Choose how long." in refused.get_data(as_text=True)
    response = client.post("/admin/member/moderate/", data={**form, "duration": "7d", "note": "three waves"})
    assert response.status_code == 302
    message = flashes(client, "/admin/member/")
    assert "1 member suspended." in message and 'action="/admin/member/undo/"' in message

    details = client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    section = details[details.index('id="suspensions"') :]
    assert "In force" in section and str(moderator.username) in section and "Spam" in section
    assert "three waves" in section

    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.suspend")).one()
    client.post("/admin/member/undo/", data={"entry": entry.id, "csrf_token": csrf_token(client)})
    db.session.expire_all()
    assert db.session.get(User, member.id).active
    assert "Lifted by" in client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)


def test_staff_cannot_undo_a_suspension(client: FlaskClient, login_as: Any) -> None:
    from admin_app.services.audit import Actor
    from admin_app.services.change import Order
    from admin_app.services.operations import OPERATIONS

    moderator, member = UserFactory(roles=["moderator"]), UserFactory()
    suspend = OPERATIONS["user.suspend"]
    outcome = suspend.apply(
        suspend, [member.id], Order(Actor(moderator.id, None, None), "spam", choices={"duration": "1d"})
    )
    db.session.commit()
    login_as("staff")
    response = client.post("/admin/member/undo/", data={"entry": outcome.entry_id, "csrf_token": csrf_token(client)})
    assert response.status_code == 403
    db.session.expire_all()
    assert not db.session.get(User, member.id).active


def test_a_members_page_tells_their_history_with_undo_where_the_reader_may(client: FlaskClient, login_as: Any) -> None:
    from admin_app.models import Comment
    from admin_app.services.audit import Actor
    from admin_app.services.moderation import moderate
    from admin_app.services.operations import OPERATIONS
    from tests.factories import CommentFactory

    member, other_moderator = UserFactory(), UserFactory(roles=["moderator"])
    comments = CommentFactory.create_batch(3, author=member, body="Deals at spam.example")
    moderator = login_as("moderator")
    mine = moderate(OPERATIONS["comment.disable"], [comments[0].id], Actor(moderator.id, None, None), "spam")
    theirs = moderate(OPERATIONS["comment.hold"], [comments[1].id], Actor(other_moderator.id, None, None), "abuse")
    db.session.commit()

    page = client.get(f"/admin/member/details/?id={member.id}").get_data(as_text=True)
    assert "3 comments in all; 2 disabled; 1 held for review." in " ".join(page.split())
    operations = page[page.index('id="member-operations"') : page.index('id="member-rules"')]
    assert "Disable comments" in operations and "Hold comments for review" in operations
    assert f'name="entry" value="{mine.entry_id}"' in operations  # their own: undoable here
    assert f'name="entry" value="{theirs.entry_id}"' not in operations  # another moderator's: not for them
    assert "No rule has caught their comments." in page and "Never suspended." in page
    assert db.session.get(Comment, comments[2].id) is not None
