"""What the pages and the API both read, each through the access rule (`engine.access`):
an item one may see, the list of those one sees, the ledger and the annual report."""

from __future__ import annotations

import tempfile
from pathlib import Path

from banli.engine import access
from banli.engine.records import ItemRecord
from banli.errors import NotFound
from banli.i18n import _
from banli.web.auth import Caller
from banli.web.context import Web


def visible_item(context: Web, caller: Caller, ref: str) -> ItemRecord:
    """The item `ref` if the caller may see it: NotFound (404) or NotPermitted (403, which
    tells nothing of it) otherwise."""
    with context.store.read() as tx:
        item = tx.item(ref)
        if item is None:
            raise NotFound(_("no item {ref}").format(ref=ref), ref=ref)
        access.check_sees(tx, caller.actor, item)
    return item


def item_info(context: Web, caller: Caller, ref: str) -> dict:
    """`item show REF --json` of an item the caller may see."""
    from banli.engine.related import related
    from banli.store.queries import show_item

    visible_item(context, caller, ref)
    info = show_item(context.store, ref, as_of=context.now())
    if info is None:
        raise NotFound(_("no item {ref}").format(ref=ref), ref=ref)
    # as `item show`: the leader, and the earlier items (多次提议) the caller may see
    info.update(related(context.store, ref, sees=lambda tx, other: access.may_see(tx, caller.actor, other)))
    return info


def item_list(context: Web, caller: Caller, **filters) -> list[dict]:
    """`item list --json` of the items the caller sees, filtered and sorted."""
    from banli.store.queries import visible_items

    return visible_items(context.store, access.scope(caller.actor), as_of=context.now(), **filters)


def item_rows(context: Web, caller: Caller, **filters) -> list:
    """The rows of the items the caller sees (a long list: JSON only of what a page shows)."""
    from banli.store.queries import visible_rows

    return visible_rows(context.store, access.scope(caller.actor), as_of=context.now(), **filters)


def tally(context: Web, caller: Caller, session: str | None) -> list[dict]:
    """The items the caller sees, counted in groups (see `store.queries.visible_tally`)."""
    from banli.store.queries import visible_tally

    return visible_tally(context.store, access.scope(caller.actor), as_of=context.now(), session=session)


def rows_json(context: Web, rows: list) -> list[dict]:
    from banli.store.queries import items_json

    return items_json(context.store, rows, as_of=context.now())


def ledger_bytes(context: Web, caller: Caller, session: str | None, workflow: str | None = None) -> bytes:
    """The ledger workbook (台账.xlsx), as `banli ledger export` writes it."""
    from banli.reports.ledger import build_ledger
    from banli.sheets.writing import write_ledger

    access.check_roles(caller.actor, access.REPORT_ROLES, _("the ledger"))
    ledger = build_ledger(context.store, as_of=context.now(), session=session or None, workflow=workflow or None)
    return _written(lambda path: write_ledger(ledger, path), ".xlsx")


def annual(context: Web, caller: Caller, session: str):
    from banli.reports.annual import build_annual

    access.check_roles(caller.actor, access.REPORT_ROLES, _("the annual report"))
    return build_annual(context.store, session, context.now())


def annual_bytes(context: Web, caller: Caller, session: str, suffix: str) -> bytes:
    """The annual report as a document (.docx or .html), as `banli report annual --out` writes it."""
    from banli.reports.annual import write_annual

    access.check_roles(caller.actor, access.REPORT_ROLES, _("the annual report"))
    return _written(lambda path: write_annual(context.store, session, path, context.now()), suffix)


def sessions(context: Web) -> list[str]:
    """The sessions items carry, for the filters (read again every few seconds)."""
    from banli.store.report_queries import sessions as known

    return context.recent("sessions", lambda: known(context.store))


def _written(write, suffix: str) -> bytes:
    """What `write(path)` puts in a file, read back: the writers write files, as for the CLI."""
    with tempfile.TemporaryDirectory(prefix="banli-web-") as folder:
        path = Path(folder) / f"out{suffix}"
        write(path)
        return path.read_bytes()
