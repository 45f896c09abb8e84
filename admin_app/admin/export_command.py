"""`manage.py export`: a list view's CSV export from the shell, as a named user, through the view itself (its
query, filters, search, sort, columns and permissions) in a request for the list of its own (list_args.listing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from sqlalchemy import func, select

from admin_app.admin import export
from admin_app.admin.list_args import Selection, list_count, list_views, listing
from admin_app.extensions import db
from admin_app.models import User
from admin_app.services import audit


class Refused(Exception):
    """The export cannot run as asked; the message says why."""


@dataclass
class Exporter:
    view: Any
    user: User
    estimate: int | None  # rows, for the progress bar (an estimate on large tables)

    def write(self, out: BinaryIO, bom: bool, progress: Callable[[int], None]) -> int:
        actor = audit.Actor(self.user.id, self.user.email, None)
        return export.to_file(self.view, out, actor, bom, progress)


@contextmanager
def exporting(view_name: str, email: str, args: list[tuple[str, str]]) -> Iterator[Exporter]:
    views = list_views()
    view = views.get(view_name)
    if view is None:
        raise Refused(f"no list view named {view_name!r}; there are: {', '.join(sorted(views))}")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        raise Refused(f"no active user {email!r}")
    with listing(Selection(view_name, tuple(args)), user) as view:
        if not view.allows("export"):
            raise Refused(f"{email} may not export {view_name} (it needs report-export and the list's own permission)")
        yield Exporter(view, user, list_count(view))
