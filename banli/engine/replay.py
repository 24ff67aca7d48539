"""Replay: apply events read from a JSON-lines file in order, each line its own transaction or
all of them in one (`--atomic`: every event or none)."""

from __future__ import annotations

from typing import Iterable, Iterator

from banli.engine.limits import read_json
from banli.engine.runtime import Runtime
from banli.errors import BanliError, Conflict, InvalidInput, Retry
from banli.i18n import _


def read_events(path: str) -> Iterator[tuple[int, dict]]:
    """(line number, entry) for every non-blank line of `path`, read as they are applied, so
    that a bad line stops the replay there and not before the lines above it."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError as exc:
        raise InvalidInput(_("replay file {path} not found").format(path=path)) from exc
    except OSError as exc:
        raise InvalidInput(_("cannot read the replay file {path}: {reason}").format(path=path, reason=exc.strerror)) from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            # each line read as --data-file is: UTF-8 (a BOM allowed), within size and depth
            entry = read_json(line, f"{path}:{number}")
            if not isinstance(entry, dict) or not entry.get("ref") or not entry.get("event"):
                raise InvalidInput(_('{path}:{line}: each line needs at least "ref" and "event"').format(path=path, line=number))
            yield number, entry


def replay(runtime: Runtime, events: Iterable[tuple[int, dict]], *, source: str, actor: str | None,
           atomic: bool) -> int:
    """Fire `events` ((line number, entry) pairs) in order and return how many were applied.

    An entry's `as` names who acts, else `actor`. One by one, each event is its own transaction
    (retried by `Runtime.fire`) and the first failure stops the replay, naming its line and how
    many lines were applied before it; atomic, all run in one transaction that a failure or a
    concurrent change undoes whole, so nothing was applied.
    """
    applied = 0

    def apply(tx, number: int, entry: dict) -> None:
        args = (entry["ref"], entry["event"], entry.get("as") or actor, entry.get("data") or {}, entry.get("at"))
        try:
            if tx is None:
                runtime.fire(*args)
            else:
                runtime.fire_in(tx, *args)
        except BanliError as exc:
            if atomic:
                exc.message = _("{source}:{line}: {message} (nothing was applied)").format(
                    source=source, line=number, message=exc.message)
            else:
                exc.message = _("{source}:{line}: {message} ({applied} earlier line(s) were applied)").format(
                    source=source, line=number, message=exc.message, applied=applied)
            raise

    if not atomic:
        for number, entry in events:
            apply(None, number, entry)
            applied += 1
        return applied
    try:
        with runtime.store.write() as tx:
            for number, entry in events:
                apply(tx, number, entry)
                applied += 1
    except Retry:  # one transaction cannot be retried line by line: the user runs it again
        raise Conflict(_("{source}: the database changed while the replay was being applied; nothing was applied: "
                         "run it again").format(source=source)) from None
    return applied
