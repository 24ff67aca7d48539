"""The one root exception and its subclasses, one per CLI exit code (SPEC §4).

Each error carries the facts (ref, event, state, file, line) and a message that says what
was wrong and what to do; the CLI prints that message as one line on stderr, unless the
command has already shown the details itself (`reported`).
"""

from __future__ import annotations

from banli.i18n import _


class BanliError(Exception):
    """Root of every error banli raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, reported: bool = False, **facts: object) -> None:
        super().__init__(message)
        self.message = message
        # True when the command has printed its own report (every problem of a definition,
        # every bad trace row, a JSON document): the CLI then only sets the exit code.
        self.reported = reported
        self.facts = facts

    def __str__(self) -> str:
        return self.message


class InvalidInput(BanliError):
    """A definition, file, option or event data is wrong (exit 3)."""

    exit_code = 3


class DefinitionErrors(InvalidInput):
    """A definition (or an organisation file) has one or more errors, each with its position."""

    def __init__(self, problems: list["Problem"], *, reported: bool = False) -> None:
        self.problems = problems
        first = problems[0].render() if problems else _("invalid definition")
        if len(problems) > 1:
            first = _("{first} (and {count} more)").format(first=first, count=len(problems) - 1)
        super().__init__(first, reported=reported)


class NotPermitted(BanliError):
    """The actor lacks the role for this, or is not this item's unit/deputy (exit 4)."""

    exit_code = 4


class LockedOut(BanliError):
    """Too many failed sign-ins to one account (5 within 15 minutes): every sign-in to it is
    refused for 15 minutes (exit 4; the web answers 429). `until` is when it opens again."""

    exit_code = 4


class NotAllowedNow(BanliError):
    """The event is not valid in this state, its window is closed or a guard failed (exit 5)."""

    exit_code = 5


class Conflict(BanliError):
    """The item changed underneath the caller (exit 6)."""

    exit_code = 6


class NotFound(BanliError):
    """An item, workflow, user or unit does not exist (exit 7)."""

    exit_code = 7


class AuditFailed(BanliError):
    """The trace does not verify (exit 8)."""

    exit_code = 8


class DatabaseUnusable(BanliError):
    """The database cannot be used (exit 9): missing, unreachable, not initialised (say
    `banli init`), not a banli database, or of a newer schema than this program."""

    exit_code = 9


class RefTaken(Conflict):
    """An item with one of the refs being registered was registered by someone else meanwhile."""


# -- what a store tells the engine ---------------------------------------------------------


class Retry(Exception):
    """The item changed between read and write (another writer went first, the database was
    busy, a serialisation failure): nothing was kept; run the event again on the new state."""


class StoreError(Exception):
    """A database refused a statement: raised once by the store in place of the driver's
    error, which it chains (`raise … from exc`)."""

    def __init__(self, message: str, *, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class UniqueViolation(StoreError):
    """A row would repeat a unique key; `constraint` names it (e.g. `uq_trace_item_id_seq`)."""


class Busy(StoreError):
    """The database could not take the transaction now (locked, a serialisation failure or a
    deadlock); running it again may succeed."""


class Problem:
    """One error in a definition or organisation file, with its position."""

    __slots__ = ("file", "line", "column", "message")

    def __init__(self, file: str, line: int, column: int, message: str) -> None:
        self.file, self.line, self.column, self.message = file, line, column, message

    def render(self) -> str:
        return _("{file}:{line}:{column}: {message}").format(
            file=self.file, line=self.line, column=self.column, message=self.message)

    def __repr__(self) -> str:
        return f"Problem({self.render()!r})"
