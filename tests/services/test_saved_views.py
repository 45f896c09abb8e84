"""Saved views on each database: what is kept, names, sharing only with roles one may share with, and which views
each reader finds (their own and those shared with one of their roles, never another's)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from admin_app.extensions import db
from admin_app.models import Role, SavedView, User
from admin_app.services import saved_views as service
from tests.factories import UserFactory


def role_id(name: str) -> int:
    found = db.session.scalar(sa.select(Role.id).where(Role.name == name))
    assert found is not None
    return found


def save(owner: User, name: str = "Spam today", **fields: object) -> SavedView:
    saved, _created = service.save(owner, service.Wanted(list_name=fields.pop("list_name", "comment"), name=name,
                                                         **fields))  # type: ignore[arg-type]  # fmt: skip
    db.session.commit()
    return saved


def test_a_view_keeps_the_lists_filters_search_sort_and_columns_and_nothing_else(db: object) -> None:
    owner = UserFactory(roles=["moderator"])
    args = [("flt0_disabled_equals", "0"), ("search", "watches"), ("page", "7"), ("next", "//evil.example"),
            ("page_size", "50"), ("flt1_author_contains", "")]  # fmt: skip
    saved = save(owner, "  Spam   today ", args=args, sort="timestamp", desc=True, columns=["body", "author"])

    assert saved.name == "Spam today"
    assert saved.pairs == [("flt0_disabled_equals", "0"), ("search", "watches"), ("page_size", "50")]
    assert (saved.sort, saved.desc, saved.columns) == ("timestamp", True, ["body", "author"])
    assert not save(owner, "Unsorted", desc=True).desc  # "descending" means nothing without a sort


def test_saving_under_the_same_name_on_the_same_list_updates_that_view(db: object) -> None:
    owner = UserFactory(roles=["moderator"])
    first = save(owner, args=[("search", "watches")])
    again, created = service.save(owner, service.Wanted("comment", "Spam today", args=[("search", "casino")]))
    other_list = save(owner, list_name="post")

    assert not created and again.id == first.id and again.pairs == [("search", "casino")]
    assert other_list.id != first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 2


@pytest.mark.parametrize(("name", "code"), [("", "name-empty"), ("   \t", "name-empty"), ("x" * 81, "name-too-long")])
def test_a_name_is_required_and_short(db: object, name: str, code: str) -> None:
    with pytest.raises(service.Invalid) as refused:
        service.save(UserFactory(roles=["staff"]), service.Wanted("comment", name))
    assert refused.value.code == code
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedView)) == 0


def test_one_keeps_at_most_max_views(db: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "MAX_VIEWS", 2)
    owner = UserFactory(roles=["staff"])
    save(owner, "one")
    save(owner, "two")
    save(owner, "two", args=[("search", "watches")])  # an update is not one more
    with pytest.raises(service.Invalid) as refused:
        save(owner, "three")
    assert refused.value.code == "too-many"


def test_views_are_shared_only_with_back_office_roles_whose_permissions_one_holds(db: object) -> None:
    admin, moderator = UserFactory(roles=["admin"]), UserFactory(roles=["moderator"])

    assert [role.name for role in service.shareable_roles(admin)] == ["admin", "moderator", "staff"]
    assert [role.name for role in service.shareable_roles(moderator)] == ["moderator"]
    save(admin, "For the moderators", role_id=role_id("moderator"))
    for role in ("admin", "user", "staff"):
        with pytest.raises(service.Invalid) as refused:
            service.save(moderator, service.Wanted("comment", "Up", role_id=role_id(role)))
        assert refused.value.code == "role"


def test_readers_find_their_own_views_and_those_shared_with_their_roles_only(db: object) -> None:
    admin, moderator, staff = (UserFactory(roles=[role]) for role in ("admin", "moderator", "staff"))
    other_moderator = UserFactory(roles=["moderator"])
    shared = save(admin, "Held comments", role_id=role_id("moderator"), pinned=True)
    private = save(admin, "Mine alone", pinned=True)
    own = save(moderator, "A moderator's", list_name="post")

    assert service.visible_to(moderator) == [own, shared]  # one's own first
    assert service.visible_to(other_moderator) == [shared]
    assert service.visible_to(staff) == []
    assert service.visible_to(admin) == [shared, private]
    assert service.visible_to(moderator, ["comment"]) == [shared]
    assert service.pinned_for(other_moderator) == [shared]
    assert service.find(staff, shared.id) is None and service.find(other_moderator, private.id) is None
    assert service.find(other_moderator, shared.id) == shared


def test_only_the_owner_removes_a_view(db: object) -> None:
    admin, moderator = UserFactory(roles=["admin"]), UserFactory(roles=["moderator"])
    shared = save(admin, "Held comments", role_id=role_id("moderator"))

    assert service.remove(moderator, shared.id) is None
    assert service.remove(admin, shared.id) == shared
    db.session.commit()
    assert service.visible_to(admin) == []
