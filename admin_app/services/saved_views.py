"""Saved views: keep a list's arguments under a name, for oneself or shared with a role; find the ones a reader may
open. What a view shows a reader is their own list's business (admin/saved_views.py rebuilds the URL there): a view
shared by an administrator shows a moderator only the rows and columns the moderator's list has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from admin_app.extensions import db
from admin_app.models import Role, SavedView, User

MAX_NAME = 80
MAX_VIEWS = 100  # per person: a menu, not a store
MAX_PINNED = 8  # dashboard tiles
# What a view keeps of a list's query string besides its sort and columns: page size, search, filters.
KEPT = re.compile(r"page_size|search|flt\d{1,3}_[\w-]{1,60}")


class Invalid(ValueError):
    """A view that cannot be saved: "name-empty", "name-too-long", "too-many" or "role" (not one to share with)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Wanted:
    """A list as its reader sees it now, to keep under ``name``."""

    list_name: str
    name: str
    args: Sequence[tuple[str, str]] = ()
    sort: str | None = None  # a column's name
    desc: bool = False
    columns: Sequence[str] | None = None
    role_id: int | None = None
    pinned: bool = False


def kept_args(args: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in args if KEPT.fullmatch(name) and value != ""]


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("name-empty")
    if len(name) > MAX_NAME:
        raise Invalid("name-too-long")
    return name


def shareable_roles(owner: User) -> list[Role]:
    """The roles ``owner`` may share a view with: back-office roles whose permissions they hold all of (as for
    handing out a role), so nobody puts a view on the dashboard of those who outrank them."""
    held = {permission for role in owner.roles for permission in role.permissions or []}
    roles = db.session.scalars(select(Role).order_by(Role.name))
    return [role for role in roles if role.permissions and set(role.permissions) <= held]


def save(owner: User, wanted: Wanted) -> tuple[SavedView, bool]:
    """Keep ``wanted`` for ``owner``; the same name on the same list replaces that view. Returns the view and whether
    it is new. Raises Invalid. The caller commits."""
    name = clean_name(wanted.name)
    if wanted.role_id is not None and wanted.role_id not in {role.id for role in shareable_roles(owner)}:
        raise Invalid("role")
    saved = db.session.scalars(
        select(SavedView).where(
            SavedView.owner_id == owner.id, SavedView.list_name == wanted.list_name, SavedView.name == name
        )
    ).one_or_none()
    created = saved is None
    if saved is None:
        if len(owned_by(owner)) >= MAX_VIEWS:
            raise Invalid("too-many")
        saved = SavedView(owner_id=owner.id, list_name=wanted.list_name, name=name)
        db.session.add(saved)
    saved.args = [list(pair) for pair in kept_args(wanted.args)]
    saved.sort = wanted.sort
    saved.desc = bool(wanted.sort and wanted.desc)
    saved.columns = list(wanted.columns) if wanted.columns else None
    saved.role_id = wanted.role_id
    saved.pinned = wanted.pinned
    db.session.flush()
    return saved, created


def visible(reader: User) -> Any:
    """The condition that a saved view is the reader's own or shared with one of their roles."""
    return or_(SavedView.owner_id == reader.id, SavedView.role_id.in_([role.id for role in reader.roles]))


def owned_by(owner: User) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.owner_id == owner.id)))


def visible_to(reader: User, list_names: Iterable[str] | None = None) -> list[SavedView]:
    """The views ``reader`` may open (of the lists ``list_names``, if given), their own first, then by name."""
    query = select(SavedView).where(visible(reader))
    if list_names is not None:
        query = query.where(SavedView.list_name.in_(list(list_names)))
    query = query.order_by((SavedView.owner_id != reader.id), SavedView.name, SavedView.id)
    return list(db.session.scalars(query))


def pinned_for(reader: User) -> list[SavedView]:
    query = select(SavedView).where(visible(reader), SavedView.pinned)
    query = query.order_by((SavedView.owner_id != reader.id), SavedView.name, SavedView.id).limit(MAX_PINNED)
    return list(db.session.scalars(query))


def find(reader: User, saved_id: int) -> SavedView | None:
    return db.session.scalars(select(SavedView).where(SavedView.id == saved_id, visible(reader))).one_or_none()


def remove(owner: User, saved_id: int) -> SavedView | None:
    """Delete one of ``owner``'s views (a view shared with one is the sharer's to remove); None when there is no
    such view of theirs. The caller commits."""
    saved = db.session.scalars(
        select(SavedView).where(SavedView.id == saved_id, SavedView.owner_id == owner.id)
    ).one_or_none()
    if saved is not None:
        db.session.delete(saved)
        db.session.flush()
    return saved
