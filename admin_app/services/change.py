"""What one run of an operation is asked (an Order) and what it did (an Outcome): the service functions'
common vocabulary, whoever calls them (a list action, a background job, the shell)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from admin_app.services.audit import Actor


def no_progress(_rows: int) -> None:
    """The default progress callback: nobody is watching."""


@dataclass(frozen=True)
class Order:
    actor: Actor
    reason: str | None = None
    note: str | None = None
    # The operation's own choices, as its form posted them (the role to add or remove).
    choices: Mapping[str, str] = field(default_factory=dict)
    # Kept in the audit entry: the list's filters for select-all, the job that ran it.
    details: dict[str, Any] | None = None
    # Called with the number of rows done since the last call (a job's progress bar).
    progress: Callable[[int], None] = no_progress
    # For data made up after the fact (the demo's history); an operation happens now.
    now: datetime | None = None


@dataclass(frozen=True)
class Tally:
    """What an operation would work on now: the rows selected, and how many of them it would change."""

    selected: int
    changing: int


@dataclass(frozen=True)
class Outcome:
    entry_id: int | None
    changed: int
    skipped: int = 0  # an undo: rows left as they are because they changed since
