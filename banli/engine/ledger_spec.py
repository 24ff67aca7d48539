"""The `ledger:` section of a definition: the 台账's columns and which event is the reply.

A column shows a built-in value of the row (`value: ref|title|deputies|state|deadline|
overdue_days|replied_on`), a field of the item (`field: NAME`), or what an event's
occurrences say (`event: NAME` with `show: date|last|count|data:KEY`, narrowed by `when:` on
the event's data; a count may name a `part` of it, written "2（面商1）"). `reply` names the
event whose rounds give the deadline, the reply date and the days overdue. A definition
without `ledger:` gets the built-ins around its fields, in their order.
"""

from __future__ import annotations

from dataclasses import dataclass

from banli.engine.keys import LEDGER, LEDGER_COLUMN, LEDGER_PART
from banli.engine.load import Located
from banli.engine.model import Event
from banli.engine.readers import SCALARS, Context, kind_of, known_keys, label, mapping, sequence, show
from banli.i18n import _

# built-in values and their headers when a column gives no label
VALUES = {"ref": "编号", "title": "标题", "deputies": "代表", "state": "状态", "deadline": "办理期限",
          "replied_on": "答复日期", "overdue_days": "逾期天数",
          "promise": "承诺落实"}  # promise: kept, kept late, due or late (a state whose deadline is a date field)
SHOWS = ("date", "last", "count")  # and data:KEY
DATA_PREFIX = "data:"
DEFAULT_REPLY = "reply"  # the reply event when `ledger.reply` is not given: the event of this name, if any
_KINDS = ("value", "field", "event")
_SHOW_SUFFIX = {"date": "日期", "last": "日期", "count": "次数"}
Conditions = tuple[tuple[str, tuple[object, ...]], ...]


@dataclass(frozen=True, kw_only=True)
class Part:
    """The occurrences of a count column that match `when`, shown after the count: 2（面商1）."""

    label: str
    when: Conditions


@dataclass(frozen=True, kw_only=True)
class LedgerColumn:
    """One column of the 台账: exactly one of `value`, `field` and `event` is set."""

    label: str
    value: str | None = None
    field: str | None = None
    event: str | None = None
    show: str = "date"  # date | last | count | data (of `key`)
    key: str | None = None
    when: Conditions = ()
    part: Part | None = None


@dataclass(frozen=True, kw_only=True)
class LedgerSpec:
    columns: tuple[LedgerColumn, ...]
    reply: str | None = None  # the event that answers the item: its rounds give deadline and days overdue

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.label for column in self.columns)

    def shows(self, value: str) -> bool:
        """Whether a column shows the built-in `value` (worked out only for a ledger that does)."""
        return any(column.value == value for column in self.columns)


def matches(data: dict, when: Conditions) -> bool:
    """Whether an occurrence's data match every condition (a value, or one of a list)."""
    return all(data.get(key) in values or str(data.get(key)) in values for key, values in when)


def default(fields: dict, events: dict[str, Event]) -> LedgerSpec:
    """The ledger of a definition that says nothing of it: ref, title, deputies, the fields in
    their order, state, deadline (and the reply date, with a reply event), days overdue."""
    reply = DEFAULT_REPLY if DEFAULT_REPLY in events else None
    columns = [LedgerColumn(label=VALUES[name], value=name) for name in ("ref", "title", "deputies")]
    columns += [LedgerColumn(label=str(spec.label), field=name) for name, spec in fields.items()
                if str(spec.label) not in VALUES.values()]
    ends = ("state", "deadline", "replied_on", "overdue_days") if reply else ("state", "deadline", "overdue_days")
    columns += [LedgerColumn(label=VALUES[name], value=name) for name in ends]
    return LedgerSpec(columns=tuple(columns), reply=reply)


def read(ctx: Context, doc: Located, events: dict[str, Event]) -> LedgerSpec:
    """The definition's `ledger:`, every problem recorded with its position."""
    if "ledger" not in doc:
        return default(ctx.fields, events)
    spec = mapping(ctx, doc.get("ledger"), doc.value_at("ledger"), "ledger")
    if spec is None:
        return default(ctx.fields, events)
    known_keys(ctx, spec, LEDGER, "ledger")
    reply = spec.get("reply", DEFAULT_REPLY if DEFAULT_REPLY in events else None)
    if "reply" in spec and (not isinstance(reply, str) or reply not in ctx.event_names):
        ctx.error(spec.value_at("reply"), _("ledger.reply: unknown event '{event}'; events: {events}").format(
            event=show(reply), events=show(", ".join(sorted(ctx.event_names)), 200)))
        reply = None
    if "columns" not in spec:
        base = default(ctx.fields, events)
        return LedgerSpec(columns=base.columns if reply else tuple(c for c in base.columns if c.value != "replied_on"),
                          reply=reply)
    raw = sequence(spec.get("columns"), spec.value_at("columns"))
    if not raw:
        ctx.error(spec.value_at("columns"), _("ledger.columns is empty: list the columns, or leave 'columns' out "
                                              "for the default ones"))
    columns: list[LedgerColumn] = []
    seen: dict[str, int] = {}  # header → the entry that has it
    for index, value in enumerate(raw):
        here = f"ledger.columns[{index}]"
        entry = mapping(ctx, value, raw.at(index), here)
        if entry is None:
            continue
        known_keys(ctx, entry, LEDGER_COLUMN, here)
        column = _column(ctx, entry, events, reply, here)
        if column is None:
            continue
        if column.label in seen:
            ctx.error(entry.value_at("label") if "label" in entry else entry.position,
                      _("{where}: the header '{header}' is ledger.columns[{index}]'s too; give it another label").format(
                          where=here, header=show(column.label), index=seen[column.label]))
            continue
        seen[column.label] = index
        columns.append(column)
    return LedgerSpec(columns=tuple(columns), reply=reply)


def _column(ctx: Context, entry: Located, events: dict[str, Event], reply: str | None,
            here: str) -> LedgerColumn | None:
    kinds = [kind for kind in _KINDS if kind in entry]
    if len(kinds) != 1:
        ctx.error(entry.position, _("{where} needs exactly one of 'value', 'field' or 'event'").format(where=here))
        return None
    kind = kinds[0]
    if kind != "event":
        for key in ("show", "when", "part"):
            if key in entry:
                ctx.error(entry.key_at(key), _("{where}: '{key}' goes with an 'event' column only").format(
                    where=here, key=key))
    name = entry[kind]
    if kind == "value":
        if not isinstance(name, str) or name not in VALUES:
            ctx.error(entry.value_at("value"), _("{where}: unknown value '{value}'; values: {values}").format(
                where=here, value=show(name), values=", ".join(VALUES)))
            return None
        if name == "replied_on" and reply is None:
            ctx.error(entry.value_at("value"), _("{where}: 'replied_on' is the date of the reply event's round; "
                                                 "name that event in ledger.reply").format(where=here))
            return None
        return LedgerColumn(label=_label(ctx, entry, VALUES[name], here), value=name)
    if kind == "field":
        field = ctx.fields.get(name) if isinstance(name, str) else None
        if field is None:
            ctx.error(entry.value_at("field"), _("{where}: unknown field '{field}'; fields: {fields}").format(
                where=here, field=show(name), fields=show(", ".join(ctx.fields) or _("none"), 200)))
            return None
        return LedgerColumn(label=_label(ctx, entry, str(field.label), here), field=name)
    event = events.get(name) if isinstance(name, str) else None
    if event is None:
        if not (isinstance(name, str) and name in ctx.event_names):  # one defined but broken says why itself
            ctx.error(entry.value_at("event"), _("{where}: unknown event '{event}'; events: {events}").format(
                where=here, event=show(name), events=show(", ".join(sorted(ctx.event_names)), 200)))
        return None
    shown, key = _show(ctx, entry, event, here)
    if shown is None:
        return None
    when = _when(ctx, entry, event, here)
    part = _part(ctx, entry, event, shown, here) if "part" in entry else None
    return LedgerColumn(label=_label(ctx, entry, str(event.label) + _SHOW_SUFFIX.get(shown, ""), here),
                        event=name, show=shown, key=key, when=when, part=part)


def _label(ctx: Context, entry: Located, fallback: str, here: str) -> str:
    return label(ctx, entry, "label", fallback, here).zh


def _show(ctx: Context, entry: Located, event: Event, here: str) -> tuple[str | None, str | None]:
    """`show`: date (the default), last, count, or data:KEY of a data key the event records."""
    shown = entry.get("show", "date")
    if isinstance(shown, str) and shown.startswith(DATA_PREFIX):
        key = shown[len(DATA_PREFIX):]
        if event.data_spec(key) is None:
            keys = ", ".join(spec.key for spec in event.data) or _("none")
            ctx.error(entry.value_at("show"), _("{where}.show: event '{event}' records no '{key}'; its data keys: "
                                                "{keys}").format(where=here, event=event.name, key=show(key),
                                                                 keys=show(keys, 200)))
            return None, None
        return "data", key
    if shown not in SHOWS:
        ctx.error(entry.value_at("show"), _("{where}.show must be date, last, count or data:KEY, not {kind}").format(
            where=here, kind=kind_of(shown)))
        return None, None
    return str(shown), None


def _when(ctx: Context, entry: Located, event: Event, here: str) -> Conditions:
    """`when` of an event column: the occurrence's data keys, each a value or a list of values."""
    if "when" not in entry:
        return ()
    raw = mapping(ctx, entry.get("when"), entry.value_at("when"), f"{here}.when")
    conditions = []
    for key, value in (raw or {}).items():
        spec = event.data_spec(str(key))
        if spec is None:
            keys = ", ".join(one.key for one in event.data) or _("none")
            ctx.error(raw.key_at(key), _("{where}.when: event '{event}' records no '{key}'; its data keys: "
                                         "{keys}").format(where=here, event=event.name, key=show(key),
                                                          keys=show(keys, 200)))
            continue
        values = tuple(value) if isinstance(value, list) else (value,)
        odd = next((one for one in values if not isinstance(one, SCALARS)), None)
        if odd is not None:
            ctx.error(raw.value_at(key), _("{where}.when: '{key}' is matched against a value or a list of values, "
                                           "not {kind}").format(where=here, key=key, kind=kind_of(odd)))
            continue
        if spec.choices:
            values = tuple(str(one) for one in values)
            wrong = next((one for one in values if one not in spec.choices), None)
            if wrong is not None:
                ctx.error(raw.value_at(key), _("{where}.when: '{value}' is not a choice of '{key}'; "
                                               "choices: {choices}").format(
                    where=here, value=show(wrong), key=key, choices=show(", ".join(spec.choices), 200)))
                continue
        conditions.append((str(key), values))
    return tuple(conditions)


def _part(ctx: Context, entry: Located, event: Event, shown: str, here: str) -> Part | None:
    spec = mapping(ctx, entry.get("part"), entry.value_at("part"), f"{here}.part")
    if spec is None:
        return None
    if shown != "count":
        ctx.error(entry.key_at("part"), _("{where}: 'part' goes with 'show: count' only").format(where=here))
        return None
    known_keys(ctx, spec, LEDGER_PART, f"{here}.part")
    if "label" not in spec or "when" not in spec:
        ctx.error(spec.position, _("{where}.part needs 'label' and 'when' (e.g. {{label: 面商, when: "
                                   "{{method: face_to_face}}}})").format(where=here))
        return None
    return Part(label=_label(ctx, spec, "", f"{here}.part"), when=_when(ctx, spec, event, f"{here}.part"))
