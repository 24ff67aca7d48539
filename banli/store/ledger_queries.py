"""The reports' read of the record: the top-level items (of a session) with every trace row of
theirs, in one query, and the units' names (and a unit asked for by id or name). Reports
replay the rows (banli/reports/replay.py), so a figure counts only what events established,
as of any instant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json
from dataclasses import dataclass, field

from sqlalchemy import and_, cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from banli.engine.chain import canonical_json
from banli.engine.limits import shown
from banli.errors import NotFound
from banli.i18n import _
from banli.store.schema import item_t, trace_t, unit_t

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

DEADLINE_MARK = '"@deadline"'  # a row that set, moved or cleared the item's deadline carries it


class LedgerEvent:
    """One trace row as the reports read it. Its data is parsed when first read: a report
    reads the data of few rows, and a year of rows is many."""

    __slots__ = ("seq", "event", "to_state", "occurred_at", "text", "def_hash", "_data")

    def __init__(self, seq: int, event: str, to_state: str, occurred_at: str, text: str, def_hash: str = "") -> None:
        self.seq, self.event, self.to_state, self.def_hash = seq, event, to_state, def_hash
        self.occurred_at = occurred_at  # local ISO text with its offset, as traced
        self.text = text  # the data as the JSON text that was hashed
        self._data: dict | None = None

    @property
    def data(self) -> dict:
        if self._data is None:
            self._data = json.loads(self.text)
        return self._data

    @property
    def marks_deadline(self) -> bool:
        """Whether the row carries `@deadline` (cheaper than parsing every row to find out)."""
        return DEADLINE_MARK in self.text and "@deadline" in self.data

    def __repr__(self) -> str:
        return f"LedgerEvent({self.seq}, {self.event!r}, {self.occurred_at!r})"


@dataclass(kw_only=True)
class TracedItem:
    """A top-level item's id and ref, and its trace rows in sequence order."""

    id: int
    ref: str
    rows: list[LedgerEvent] = field(default_factory=list)


def session_field(dialect: str):
    """`fields.session` as SQL text: the fields column is JSON kept as text on both backends."""
    if dialect == "postgresql":
        return cast(item_t.c.fields, JSONB)["session"].astext
    return func.json_extract(item_t.c.fields, '$."session"')


def traced_items(store: SqlStore, *, session: str | None = None) -> list[TracedItem]:
    """Every top-level item (co-unit tasks left out) with all its trace rows, in ref order
    (by code point, the same on every backend), in one query whatever the number of items.

    With `session`, the items that may belong to it: those whose trace records that session
    in some row's data, or whose stored row says so. The trace decides: the caller replays
    the rows and keeps the items whose trace gives them the session."""
    with store.engine.connect() as connection:
        condition = item_t.c.parent_id.is_(None)
        if session is not None:
            named = select(trace_t.c.item_id).where(
                trace_t.c.data.contains(f'"session":{canonical_json(session)}', autoescape=True))
            condition = and_(condition, or_(item_t.c.id.in_(named),
                                            session_field(connection.dialect.name) == session))
        query = (select(trace_t.c.item_id, item_t.c.ref, trace_t.c.seq, trace_t.c.event, trace_t.c.to_state,
                        trace_t.c.occurred_at, trace_t.c.data, trace_t.c.def_hash)
                 .join(item_t, item_t.c.id == trace_t.c.item_id).where(condition)
                 .order_by(trace_t.c.item_id, trace_t.c.seq))
        items: dict[int, TracedItem] = {}
        current = None
        for item_id, ref, seq, event, to_state, occurred_at, data, def_hash in connection.execute(query):
            if current is None or current.id != item_id:
                current = items[item_id] = TracedItem(id=item_id, ref=ref)
            current.rows.append(LedgerEvent(seq, event, to_state, occurred_at, data, def_hash))
    return sorted(items.values(), key=lambda item: item.ref)


def unit_names(store: SqlStore) -> dict[str, str]:
    """Unit id → name, as in the organisation file."""
    with store.engine.connect() as connection:
        return dict(connection.execute(select(unit_t.c.id, unit_t.c.name).order_by(unit_t.c.id)).all())


def unit_id(unit: str, names: dict[str, str]) -> str:
    """The id of `unit`, given by id or by name (`names`: `unit_names`); an unknown one is
    refused (exit 7) naming the units there are."""
    if unit in names:
        return unit
    by_name = [known for known, name in names.items() if name == unit]
    if by_name:
        return by_name[0]
    listed = ", ".join(f"{known} ({name})" for known, name in names.items()) or _("none")
    raise NotFound(_("no unit '{unit}'; units: {units}").format(unit=shown(unit), units=listed))
