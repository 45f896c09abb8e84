"""The foreign-key autocomplete of the create and edit forms (Flask-Admin's ``form_ajax_refs``), scoped to the
reader: it searches only the columns the reader may see (an e-mail only with personal-data-read, so no one
rebuilds an address letter by letter), matches the typed text literally, and answers a capped page.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, request
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_babel import gettext
from sqlalchemy import String, cast, or_

from admin_app import permissions as perm
from admin_app.admin.access import has_permission
from admin_app.admin.list_args import INT4, MAX_TEXT, like_pattern, too_long_search
from admin_app.extensions import db

ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
PAGE = 10  # suggestions per page, whatever the client asks for
MAX_OFFSET = 1_000  # nobody pages through more suggestions than this: type more letters instead


class ScopedLookup(QueryAjaxModelLoader):
    """``fields`` every form user may search; ``personal_fields`` only with personal-data-read."""

    def __init__(self, name: str, model: type, fields: tuple[str, ...], personal_fields: tuple[str, ...] = ()):
        super().__init__(name, db, model, fields=fields, page_size=PAGE)
        self.personal_fields = [getattr(model, field) for field in personal_fields]

    def searched_columns(self) -> list[Any]:
        return self._cached_fields + (self.personal_fields if has_permission(perm.PERSONAL_DATA) else [])

    def get_list(self, term: str | None, offset: int | None = 0, limit: int = PAGE) -> list[Any]:
        pattern = like_pattern(term or "")  # Flask-Admin passes None when the query is missing
        matches = [cast(column, String).ilike(pattern, escape="\\") for column in self.searched_columns()]
        query = self.get_query().filter(or_(*matches)).order_by(*[column for column in self._cached_fields])
        return list(query.offset(min(max(offset or 0, 0), MAX_OFFSET)).limit(min(limit, PAGE)).all())

    def get_one(self, pk: Any) -> Any:
        text = str(pk).strip()
        if not ASCII_NUMBER.fullmatch(text) or int(text) > INT4:  # str.isdigit() also takes "²", which int() refuses
            return None  # the form then says "Not a valid choice"
        return super().get_one(int(text))


def check_lookup_arguments() -> None:
    """A 400 for a query, offset or page size the autocomplete cannot take (ScopedLookup caps the rest)."""
    term = request.args.get("query", "")
    if len(term) > MAX_TEXT:
        abort(400, too_long_search())
    for name in ("offset", "limit"):
        value = request.args.get(name, "")
        if value and not (ASCII_NUMBER.fullmatch(value) and int(value) <= INT4):
            abort(400, gettext("“%(name)s” must be a whole number from 0.", name=name))
