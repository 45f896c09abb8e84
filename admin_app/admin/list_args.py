"""A list's query-string arguments, validated before they reach SQL, and turned into the list's query: the one
adapter over Flask-Admin's private list API (``_get_list_extra_args``, ``_get_list_filter_args``,
``_apply_search``, ``_apply_sorting``, ``_order_by``, ``_apply_path_joins``, ``_get_default_order``,
``_sortable_columns``, ``_auto_joins``, ``_filter_args``, ``_search_fields``, ``_search_supported``, ``_list_columns``,
``_get_column_by_idx``, ``_get_list_url``, ``Admin._views``; tests/admin/test_list_args.py fails when the pinned
Flask-Admin changes them).

A page is read ids first (page_rows), sorted with the id as tie-break, and joined inner where a relation cannot
drop a row (cannot_drop_rows): deep pages and sorts by a related column stay index walks at a million rows.

A Selection (which rows of which list: ticked ids, or every row matching the list's arguments) is data, so a job,
the export and the shell rebuild it into the view's own scoped query here, the way the list itself would.

What a list is asked for is also what select-all-matching and the export work on, so an argument that cannot be
applied is refused with a 400 in the reader's language, never dropped: a filter Flask-Admin would skip with a
flash would otherwise widen "every matching row" to the whole table. Searches match literally (``%``, ``_`` and
``\\`` are plain characters) and must give the trigram indexes something to work with; a page past the end
goes to the last page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlencode

from flask import Flask, abort, current_app, g, redirect, request
from flask_admin.contrib.sqla import ModelView
from flask_admin.model.base import ViewArgs
from flask_admin.model.filters import (
    BaseDateBetweenFilter,
    BaseDateFilter,
    BaseDateTimeBetweenFilter,
    BaseDateTimeFilter,
    BaseFloatFilter,
    BaseIntFilter,
    BaseIntListFilter,
)
from flask_babel import format_number, gettext
from flask_login import login_user  # type: ignore[import-untyped]
from sqlalchemy import BigInteger, Select, Unicode, cast, func, literal, or_, select, tuple_
from sqlalchemy.orm import MANYTOONE, Query, RelationshipProperty, joinedload

from admin_app.extensions import db

INT4 = 2**31 - 1
INT8 = 2**63 - 1
MAX_PAGE = 10_000_000
MAX_TEXT = 200  # characters of a search or a filter value
# Flask-Admin's search prefixes: ^term starts with, =term is exact.
SEARCH_PREFIXES = ("^", "=")
FILTER_ARG = re.compile(r"flt(\d{1,3})_(.+)")  # a filter's query-string name: its position, then its name
WORD = re.compile(r"[^\W_]{3}")  # three letters or digits in a row (pg_trgm's word characters exclude "_")
# The earliest and latest dates a filter or report accepts: both databases, and day arithmetic, stay in range.
FIRST_YEAR, LAST_YEAR = 1970, 2999


LIST_ARGUMENTS = ("page", "page_size", "sort", "desc", "search", "columns")


def list_query_args() -> dict[str, list[str]]:
    """The arguments of this request that describe a list (page, sort, search, filters), for links and forms that
    carry the list on (export, confirmation): never any other, which url_for would take as its own keywords."""
    return {name: values for name, values in request.args.lists() if name in LIST_ARGUMENTS or name.startswith("flt")}


@dataclass(frozen=True)
class Selection:
    """Which rows of the list ``view`` (an endpoint): the ``ids`` ticked, or (None) every row matching ``args``,
    the list's own query-string arguments (filters, search, sort; list_query_args)."""

    view: str
    args: tuple[tuple[str, str], ...] = ()
    ids: tuple[int, ...] | None = None

    @property
    def every_match(self) -> bool:
        return self.ids is None

    def to_json(self) -> dict[str, Any]:
        return {"view": self.view, "args": [list(pair) for pair in self.args], "ids": self.ids}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        args = tuple((str(name), str(value)) for name, value in data.get("args", ()))
        ids = data.get("ids")
        return cls(str(data["view"]), args, None if ids is None else tuple(int(row_id) for row_id in ids))


def every_match(view: Any) -> Selection:
    """Every row of the list as this request's arguments describe it (an export)."""
    return Selection(
        view.endpoint, tuple((name, value) for name, values in list_query_args().items() for value in values)
    )


def request_selection(view: Any, ticked: list[int]) -> Selection:
    """The selection an action form posts: ``select_all=1`` for every matching row, else the ticked rows."""
    if request.form.get("select_all") == "1":
        return every_match(view)
    return Selection(view.endpoint, every_match(view).args, tuple(ticked))


def list_query(view: Any, *, sorted_: bool = True) -> Any:
    """The list's own query for this request's arguments (get_query, filters, search and, if asked, sort), all
    pages: what the list shows, page after page."""
    return _list(view, sorted_)[1]


def list_count(view: Any) -> int | None:
    """The list's count for this request's arguments, as the list shows it (exact, or the planner's estimate on a
    large table: admin/counting.py)."""
    count = _list(view, False)[0]
    return int(count) if count is not None else None


def shown_count(view: Any) -> Any:
    """The list's count for this request's arguments as its page writes it (a Count, or an ApproximateCount that
    reads "about N": admin/counting.py), for a figure shown elsewhere (the dashboard's pinned views)."""
    return _list(view, False)[0]


def _list(view: Any, sorted_: bool) -> tuple[Any, Any]:
    args = view._get_list_extra_args()
    sort = view._get_column_by_idx(args.sort) if sorted_ else None
    sort_desc = args.sort_desc if sorted_ else False
    return view.get_list(0, sort[0] if sort else None, sort_desc, args.search, args.filters, execute=False, page_size=0)


def selected_ids(view: Any, selection: Selection) -> Select[Any]:
    """The ids of the rows ``selection`` names, within the view's scope (a crafted id the list would not show is
    not selected), as one SELECT to use as a subquery. Every-match selections read this request's arguments:
    call it in the list's own request, or within ``listing``."""
    if selection.ids is not None:
        query = view.get_query().filter(view.model.id.in_(selection.ids))
    else:
        query = list_query(view, sorted_=False)
    return query.with_entities(view.model.id).order_by(None).statement


def list_views(app: Flask | None = None) -> dict[str, Any]:
    """The back office's list (model) views by endpoint."""
    admin = (app or current_app).extensions["admin"][0]
    return {view.endpoint: view for view in admin._views if hasattr(view, "model")}


def lists_over(view: Any) -> list[str]:
    """The lists (endpoints) over the same rows as ``view`` (the users' full list and the member list): ``view``'s
    own first."""
    others = [name for name, other in list_views().items() if other.model is view.model and other is not view]
    return [view.endpoint, *others]


@dataclass(frozen=True)
class Fitted:
    """A saved list's arguments as another list over the same rows takes them (``fitted``)."""

    args: list[tuple[str, str]]
    left_out: list[str]  # what that list has not, in words


def fitted(saved_on: Any, view: Any, args: list[tuple[str, str]], sort: str | None, desc: bool,
           columns: list[str] | None) -> Fitted:  # fmt: skip
    """``args`` (filters, search, page size), ``sort`` and ``columns`` (by name), saved on the list ``saved_on``, as
    query-string arguments of ``view``: what ``view`` has not (a filter, the search, a column, the sort: a
    moderator's member list has no e-mails) is left out and named, never turned into something else."""
    kept: list[tuple[str, str]] = []
    left_out: list[str] = []
    for name, value in args:
        match = FILTER_ARG.fullmatch(name)
        if (match and match.group(2) in (view._filter_args or {})) or (name == "search" and view._search_supported):
            kept.append((name, value))
        elif name == "page_size":
            kept.append((name, value))
        else:
            left_out += described(saved_on, ((name, value),)) or [name]
    labels, own = dict(saved_on._list_columns), [name for name, _label in view._list_columns]
    if columns:
        shown = [name for name in columns if name in own]
        missing = [name for name in columns if name not in own]
        left_out += [gettext("the column “%(name)s”", name=labels.get(name, name)) for name in missing]
        if shown:
            kept.append(("columns", ",".join(shown)))
    if sort is not None:
        if sort in own and sort in view._sortable_columns:
            kept.append(("sort", str(own.index(sort))))
            if desc:
                kept.append(("desc", "1"))
        else:
            left_out.append(gettext("the sort by “%(name)s”", name=labels.get(sort, sort)))
    return Fitted(kept, left_out)


def undoing_list(table: str) -> str | None:
    """The list that undoes operations on ``table``: the one with an undo endpoint over that table's model."""
    views = list_views().items()
    return next(
        (name for name, view in views if view.model.__tablename__ == table and hasattr(view, "undo_view")), None
    )


@contextmanager
def listing(selection: Selection, user: Any) -> Iterator[Any]:
    """Outside the list's own request (a job, the shell): a request for the list with the selection's arguments,
    signed in as ``user``, so the view scopes, validates and checks permissions as it would for them."""
    view = list_views()[selection.view]
    with current_app.test_request_context(f"{view.url}/", query_string=list(selection.args)):
        login_user(user)
        yield view


def described(view: Any, args: tuple[tuple[str, str], ...]) -> list[str]:
    """A list's arguments in words, for people: "Status equals Disabled", "Search: “watches”"."""
    words = []
    for name, value in args:
        match = FILTER_ARG.fullmatch(name)
        if name == "search":
            words.append(gettext("Search: “%(terms)s”", terms=value))
        elif match and match.group(2) in (view._filter_args or {}):
            flt = view._filter_args[match.group(2)][1]
            options = dict((str(key), label) for key, label in flt.get_options(view) or ())
            words.append(f"{flt.name} {flt.operation()} {options.get(value, value)}")
    return words


def chosen_columns(view: Any) -> list[str] | None:
    """The columns this request asks the list to show (``columns``, comma-separated names, or one name per
    ``columns`` argument as the column menu's checkboxes send them), in the list's own order; None for all of them.
    A name the list does not have is a 400."""
    asked = [name.strip() for value in request.args.getlist("columns") for name in value.split(",") if name.strip()]
    if not asked:
        return None
    names = [name for name, _label in view._list_columns]
    for name in asked:
        if name not in names:
            refuse(gettext("This list has no column “%(name)s”.", name=name[:MAX_TEXT]))
    return [name for name in names if name in asked]


def refuse(message: str) -> NoReturn:
    abort(400, message)


def whole_number(name: str, low: int, high: int) -> int | None:
    """``request.args[name]`` as an int in [low, high]; None when absent; a 400 otherwise."""
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not re.fullmatch(r"-?\d{1,20}", value.strip()) or not low <= int(value) <= high:
        bounds = {"low": format_number(low), "high": format_number(high)}
        refuse(gettext("“%(name)s” must be a whole number from %(low)s to %(high)s.", name=name, **bounds))
    return int(value)


def too_long_search() -> str:
    return gettext("The search is too long: %(max)s characters at most.", max=MAX_TEXT)


def checked_text(value: str, too_long: Callable[[], str]) -> str:
    if len(value) > MAX_TEXT:
        refuse(too_long())
    return value


def like_pattern(term: str) -> str:
    """Flask-Admin's ``^``/``=`` prefixes kept; everything else matched literally (escape character ``\\``)."""
    literal_text = term.lstrip("^=").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if term.startswith("="):
        return literal_text
    return f"{literal_text}%" if term.startswith("^") else f"%{literal_text}%"


def search_terms(search: str) -> list[str]:
    """The words of a search, each one the trigram indexes can serve (three letters or digits in a row, as
    PostgreSQL's pg_trgm finds them), or a 400 saying so: a word they cannot serve is a scan of the table."""
    terms = [term for term in checked_text(search, too_long_search).split() if term.lstrip("^=")]
    for term in terms:
        if not servable(term.lstrip("^=")):
            refuse(gettext("Search for words of at least three letters or digits: “%(term)s” is too short.", term=term))
    return terms


def servable(word: str) -> bool:
    if not WORD.search(word):
        return False
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    # pg_trgm takes its trigrams from runs of letters and digits as the database's locale sees them (not always
    # as Python does), and only a run of three or more gives a LIKE '%word%' a trigram the index can look up.
    runs = select(func.regexp_split_to_table(literal(word), "[^[:alnum:]]+").column_valued("run")).subquery()
    return bool(db.session.scalar(select(func.coalesce(func.bool_or(func.char_length(runs.c.run) >= 3), False))))


def checked_filter_value(flt: Any, value: str) -> str:
    """A filter value Flask-Admin can apply and the database can hold, or a 400 naming the filter."""
    checked_text(value, lambda: gettext("A filter value is too long: %(max)s characters at most.", max=MAX_TEXT))
    try:
        cleaned = flt.clean(value)
    except (ValueError, TypeError, OverflowError):
        cleaned = None
    if cleaned is None or not within_column(flt, cleaned):
        refuse(gettext("“%(value)s” is not a valid value for the filter “%(filter)s”.", value=value, filter=flt.name))
    return value


def within_column(flt: Any, cleaned: Any) -> bool:
    values = cleaned if isinstance(cleaned, list) else [cleaned]
    if isinstance(flt, BaseIntFilter | BaseIntListFilter):
        limit = INT8 if isinstance(getattr(flt, "column", None), BigInteger) else INT4
        return bool(values) and all(-limit - 1 <= value <= limit for value in values)
    if isinstance(flt, BaseFloatFilter):
        return all(math.isfinite(value) for value in values)
    if isinstance(flt, BaseDateFilter | BaseDateTimeFilter | BaseDateBetweenFilter | BaseDateTimeBetweenFilter):
        return all(FIRST_YEAR <= value.year <= LAST_YEAR for value in values)
    return True


class ValidatedListArguments(ModelView):
    """Mixed into every model view (SecuredModelView): its list arguments, validated."""

    def _get_list_extra_args(self) -> ViewArgs:
        sortable = [index for index, (name, _label) in enumerate(self._list_columns) if name in self._sortable_columns]
        sort = whole_number("sort", 0, max(len(self._list_columns) - 1, 0))
        if sort is not None and sort not in sortable:
            refuse(gettext("This list cannot be sorted by that column."))
        page_size = whole_number("page_size", 0, max(self.page_size_options))
        if page_size and page_size not in self.page_size_options:
            refuse(gettext("Show 20, 50 or 100 rows per page."))
        search = request.args.get("search")
        if search is not None:
            search_terms(search)
        for cursor in ("after", "before"):
            whole_number(cursor, 1, INT4)
        columns = chosen_columns(self)
        view_args = ViewArgs(
            page=whole_number("page", 0, MAX_PAGE) or 0,
            page_size=page_size or 0,
            sort=sort,
            sort_desc=whole_number("desc", 0, 1),
            search=search,
            filters=self._get_list_filter_args(),
            # Nothing else is passed on: Flask-Admin would hand other arguments to url_for as keywords
            # (?_scheme=javascript&_external=1, ?_anchor=, ?_method=, ?endpoint=); the columns shown are ours, and
            # carried on by every link and form of the page (sort, pager, filters, search).
            extra_args={"columns": ",".join(columns)} if columns else {},
        )
        g.list_view_args = view_args  # the page being shown, for its pager's links (_get_list_url)
        return view_args

    def shown_columns(self) -> list[tuple[int, str, Any]]:
        """(position among the list's columns, name, label) of each column this request shows: positions stay the
        list's own, so a sort link means the same column whichever are shown."""
        chosen = chosen_columns(self)
        return [(index, name, label) for index, (name, label) in enumerate(self._list_columns)
                if chosen is None or name in chosen]  # fmt: skip

    def list_column_labels(self) -> dict[str, Any]:
        """Every column of the list, shown or not: name -> label."""
        return dict(self._list_columns)

    def sort_column_name(self) -> str | None:
        """The name of the column this request sorts by, if any."""
        sort = whole_number("sort", 0, max(len(self._list_columns) - 1, 0))
        return self._list_columns[sort][0] if sort is not None else None

    def _get_list_filter_args(self) -> list[Any] | None:
        filters = []
        for name, value in request.args.items(multi=True):
            if not name.startswith("flt"):
                continue
            match = FILTER_ARG.fullmatch(name)
            if match is None or match.group(2) not in (self._filter_args or {}):
                refuse(gettext("This list has no filter “%(name)s”.", name=name))
            index, flt = self._filter_args[match.group(2)]
            filters.append((int(match.group(1)), (index, str(flt.name), checked_filter_value(flt, value))))
        if not self._filters:
            return None  # a list without filters (every filter argument was refused above)
        return [item for _position, item in sorted(filters, key=lambda pair: pair[0])]

    def search_condition(self, field: Any, pattern: str) -> Any:
        """The condition that a row's ``field`` (a searchable column of its own) matches ``pattern``, a literal
        ILIKE pattern (like_pattern); a view whose text is indexed elsewhere says so here."""
        return cast(field, Unicode).ilike(pattern, escape="\\")

    def _apply_search(self, query: Any, count_query: Any, joins: Any, count_joins: Any, search: str) -> Any:
        fields = [field for field, _path in self._search_fields]  # every searchable column is own
        for term in search_terms(search):
            pattern = like_pattern(term)
            query = query.filter(or_(*(self.search_condition(field, pattern) for field in fields)))
            if count_query is not None:
                count_query = count_query.filter(or_(*(self.search_condition(field, pattern) for field in fields)))
        return query, count_query, joins, count_joins

    def get_list(
        self,
        page: int | None,
        sort_column: Any,
        sort_desc: Any,
        search: str | None,
        filters: Any,
        execute: bool = True,
        page_size: int | None = None,
    ) -> tuple[int | None, Any]:
        """Flask-Admin's list, except that a page past the end goes to the last one (a moderator back from an
        action that emptied the page they were on; or an absurd page number, which would scan the table)."""
        count, query = super().get_list(page, sort_column, sort_desc, search, filters, False, page_size)
        size = self.get_safe_page_size(page_size) if page_size != 0 else 0
        if page and count is not None and size and page * size >= count:
            view_args = self._get_list_extra_args()
            last = max(math.ceil(count / size) - 1, 0)
            abort(redirect(self._get_list_url(view_args.clone(page=last or None))))
        if not execute or not isinstance(query, Query):
            return count, query
        if not size:
            return count, query.all()
        keyset = self.keyset(sort_column, sort_desc)
        rows = self.page_rows(*self.keyset_page(query, keyset, size))
        g.page_edges = (rows[0].id, rows[-1].id) if keyset and rows else None  # for the pager (_get_list_url)
        return count, rows

    def page_rows(self, query: Query[Any], backwards: bool = False) -> list[Any]:
        """A page's rows in two statements: the ids first (sort, filters and OFFSET over the narrowest rows, with no
        eager join run for a skipped row), then the page's rows with their related rows. ``backwards``: the query
        reads the list's order backwards (keyset_page), the page shows it forwards."""
        ids = [row_id for (row_id,) in query.with_entities(self.model.id)]
        if backwards:
            ids.reverse()
        if not ids:
            return []
        rows = self.get_query().filter(self.model.id.in_(ids)).options(*(joinedload(j) for j in self._auto_joins))
        by_id = {row.id: row for row in rows}
        return [by_id[row_id] for row_id in ids if row_id in by_id]

    def keyset(self, sort_column: Any, sort_desc: Any) -> Keyset | None:
        """The sort as a keyset (its column, then the id, one direction), when the sort is on a NOT NULL column of
        the list's own table: then "next" and "previous" read from a row onward, however deep, instead of an
        OFFSET. None for a sort through a relation or on a nullable column (those page by OFFSET)."""
        if sort_column is not None:
            fields = [(self._sortable_columns.get(sort_column), bool(sort_desc))]
        else:
            fields = [(field, bool(direction)) for field, joins, direction in self._get_default_order() if not joins]
        if len(fields) != 1 or fields[0][0] is None:
            return None
        field, desc = fields[0]
        column = getattr(field, "expression", None)
        own = getattr(column, "table", None) is self.model.__table__
        if not own or column is None or getattr(column, "nullable", True) and field is not self.model.id:
            return None
        return Keyset(field, desc)

    def keyset_page(self, query: Query[Any], keyset: Keyset | None, size: int) -> tuple[Query[Any], bool]:
        """The page after (``after=ID``) or before (``before=ID``) the row ID in the list's order, read from that
        row by an index range rather than by skipping rows; the query as it is (OFFSET) when there is no keyset
        or the row is not in the list (deleted meanwhile, or never there). Also whether it reads backwards."""
        after, before = whole_number("after", 1, INT4), whole_number("before", 1, INT4)
        if keyset is None or (after or before) is None:
            return query, False
        primary = self.model.id
        edge = self.get_query().filter(primary == (after or before)).with_entities(keyset.field, primary).first()
        if edge is None:
            return query, False
        position, cursor = tuple_(keyset.field, primary), tuple_(*edge)
        onward = keyset.desc == (after is not None)  # toward smaller keys
        query = query.limit(None).offset(None).filter(position < cursor if onward else position > cursor)
        if before is not None:  # the rows just before, nearest first: read backwards, shown forwards (page_rows)
            backwards = (keyset.field, primary) if keyset.desc else (keyset.field.desc(), primary.desc())
            query = query.order_by(None).order_by(*backwards)
        return query.limit(size), before is not None

    def _get_list_url(self, view_args: ViewArgs) -> str:
        """Flask-Admin's list URL; the pager's next and previous pages also carry the row they follow or precede
        (``after`` / ``before``), so that they are read by keyset (keyset_page)."""
        url: str = super()._get_list_url(view_args)
        edges, current = g.get("page_edges"), g.get("list_view_args")
        if not edges or current is None or view_args.page is None:
            return url
        same_list = all(
            (getattr(view_args, name) or None) == (getattr(current, name) or None)  # clone() makes [] None
            for name in ("sort", "sort_desc", "search", "filters", "page_size")
        )
        step = view_args.page - (current.page or 0)
        if same_list and step in (1, -1) and view_args.page > 0:
            cursor = ("after", edges[1]) if step == 1 else ("before", edges[0])
            url += ("&" if "?" in url else "?") + urlencode([cursor])
        return url

    def _apply_sorting(self, query: Any, joins: Any, sort_column: Any, sort_desc: Any) -> Any:
        """Flask-Admin's sort, then the id in the same direction: equal keys (a million comments of a few
        authors) come in one order page after page, and an index on (key, id) serves the whole ORDER BY."""
        query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
        if sort_column is None:
            keys = [(field, direction) for field, _joins, direction in self._get_default_order()]
        else:
            keys = [(self._sortable_columns[sort_column], sort_desc)]
        primary = self.model.id
        if keys and all(field is not primary for field, _direction in keys):
            query = query.order_by(primary.desc() if keys[-1][1] else primary)
        return query, joins

    def _order_by(self, query: Any, joins: Any, sort_joins: Any, sort_field: Any, sort_desc: bool) -> Any:
        """Flask-Admin's ORDER BY, with an inner join (not an outer one) for a relation that cannot drop a row: the
        planner can then walk the related table's index into ours instead of sorting the whole table."""
        if sort_field is None:
            return query, joins
        query, joins, alias = self._apply_path_joins(query, joins, sort_joins, inner_join=cannot_drop_rows(sort_joins))
        column = sort_field if alias is None else getattr(alias, sort_field.key)
        return query.order_by(column.desc() if sort_desc else column), joins


@dataclass(frozen=True)
class Keyset:
    field: Any  # the sort's column (the id follows it, in the same direction)
    desc: bool


def cannot_drop_rows(path: Any) -> bool:
    """Whether joining along ``path`` keeps every row: each step is a many-to-one whose own columns are all NOT
    NULL (and foreign keys), so every row has exactly one related row."""
    for step in path or ():
        prop = getattr(step, "property", None)
        if not isinstance(prop, RelationshipProperty) or prop.direction is not MANYTOONE:
            return False
        if not all(not column.nullable and column.foreign_keys for column in prop.local_columns):
            return False
    return bool(path)
