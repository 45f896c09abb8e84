"""`manage.py export`: a list view's CSV export from the shell, as a named user, through the view itself (its
query, filters, search, sort, columns and permissions) in a request context of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import current_app
from flask_login import login_user  # type: ignore[import-untyped]
from sqlalchemy import func, select

from admin_app.admin import export
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


def list_views() -> dict[str, Any]:
    admin = current_app.extensions["admin"][0]
    return {view.endpoint: view for view in admin._views if hasattr(view, "model")}


@contextmanager
def exporting(view_name: str, email: str, args: list[tuple[str, str]]) -> Iterator[Exporter]:
    views = list_views()
    view = views.get(view_name)
    if view is None:
        raise Refused(f"no list view named {view_name!r}; there are: {', '.join(sorted(views))}")
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        raise Refused(f"no active user {email!r}")
    with current_app.test_request_context(f"{view.url}/export/csv/", query_string=args):
        login_user(user)
        if not view.allows("export"):
            raise Refused(f"{email} may not export {view_name} (it needs report-export and the list's own permission)")
        list_args = view._get_list_extra_args()
        count, _query = view.get_list(0, None, False, list_args.search, list_args.filters, execute=False, page_size=0)
        yield Exporter(view, user, int(count) if count is not None else None)
