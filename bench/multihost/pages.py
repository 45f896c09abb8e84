"""Reading the back office's pages as a browser would: forms and their fields, ticked rows, the flashed result.

Shared by the functional checks (plain requests) and the locustfile, so both post exactly what the pages hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

ROW_ID = re.compile(r"^\d+$")
# "4 comments disabled." / "1 comment enabled." then the undo form naming the audit entry.
RESULT = re.compile(r"([\d,]+) comments? (disabled|enabled)\.")
UNDO_ENTRY = re.compile(r'name="entry" value="(\d+)"')
FAILED = "The operation failed and nothing was changed"


@dataclass
class Form:
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)  # hidden and text inputs, in page order
    checkboxes: list[tuple[str, str]] = field(default_factory=list)
    selects: dict[str, list[str]] = field(default_factory=dict)  # name -> option values

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)


class _Forms(HTMLParser):
    """Every form of a page, and the checkboxes outside forms (Flask-Admin's row ticks live in the table and are
    copied into the hidden action form by its script)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.loose_checkboxes: list[tuple[str, str]] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = Form(found)
            self.forms.append(self._form)
        elif tag == "input":
            pair = (found.get("name", ""), found.get("value", ""))
            if found.get("type") == "checkbox":
                (self._form.checkboxes if self._form else self.loose_checkboxes).append(pair)
            elif self._form is not None and pair[0]:
                self._form.fields.append(pair)
        elif tag == "select" and self._form is not None:
            self._select = found.get("name", "")
            self._form.selects[self._select] = []
        elif tag == "option" and self._form is not None and self._select is not None:
            self._form.selects[self._select].append(found.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def parse(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


def form(html: str, action_contains: str = "", form_id: str = "") -> Form | None:
    """The first form whose action contains ``action_contains`` (and whose id is ``form_id``, when given)."""
    for found in parse(html).forms:
        if action_contains in found.attrs.get("action", "") and (not form_id or found.attrs.get("id") == form_id):
            return found
    return None


def csrf_token(html: str) -> str | None:
    for found in parse(html).forms:
        if (token := found.value("csrf_token")) is not None:
            return token
    return None


def row_ids(html: str) -> list[int]:
    """The rows a list page offers to tick."""
    page = parse(html)
    ticks = page.loose_checkboxes + [pair for found in page.forms for pair in found.checkboxes]
    return [int(value) for name, value in ticks if name == "rowid" and ROW_ID.match(value)]


def signed_in(html: str) -> bool:
    """A page of the back office shows its logout form only to someone signed in."""
    return form(html, "/logout") is not None


@dataclass(frozen=True)
class Result:
    """What the list shows after a confirmed operation: how many rows changed and the audit entry to undo it."""

    changed: int
    verb: str
    entry_id: int | None


def result(html: str) -> Result | None:
    if (found := RESULT.search(html)) is None:
        return None
    entry = UNDO_ENTRY.search(html, found.end())
    return Result(int(found.group(1).replace(",", "")), found.group(2), int(entry.group(1)) if entry else None)


def confirmation_data(confirm: Form, reason: str, note: str = "") -> list[tuple[str, str]]:
    """The confirmation form as the Confirm button posts it, with a reason picked from its menu and a note."""
    reasons = confirm.selects.get("reason", [])
    offered = [value for value in reasons if value]  # not the empty "Choose a reason…"
    chosen = reason if reason in offered else (offered[0] if offered else reason)
    return [*confirm.fields, ("reason", chosen), ("note", note)]
