"""Notifications on events (SPEC §7, an event's `notify`): who is told when an event happens,
and what they are told.

`notify` names recipients — global roles, item-relative roles (`lead_unit`, `co_unit`,
`own_deputy`) or `field:NAME`, the person or unit(s) a field of the item names — either as a
list, as `{to: …, message: …}`, or as a list of such mappings. A message is a template whose
`{name}` placeholders are the item's fields, the event's data keys and ref, title, event,
state, actor, at; nothing else (no attribute or index access), checked when the definition is
validated. The runtime writes the notifications into the outbox in the transaction of the
event's trace row, one per recipient, keyed by the row (ref#seq) and the notice's place:
never twice, and none for an event refused.
"""

from __future__ import annotations

import string
import weakref
from dataclasses import dataclass
from functools import partial

from banli.engine import field_roles
from banli.engine.keys import NOTICE
from banli.engine.limits import shown
from banli.engine.load import Located
from banli.engine.model import GLOBAL_ROLES, ITEM_ROLES, DataSpec
from banli.engine.people import People
from banli.engine.readers import Context, kind_of, known_keys, sequence, show
from banli.engine.roles import reached
from banli.i18n import N_, _

FIELD_PREFIX = "field:"
RECIPIENT_FIELD_TYPES = ("person", "unit", "units")
PLACEHOLDERS = ("ref", "title", "event", "state", "actor", "at")  # besides fields and the event's data keys
REMINDER_PLACEHOLDERS = ("ref", "title", "state", "deadline")  # besides fields: a reminder's message
MAX_MESSAGE = 2000
FOOTER = N_("— banli workflow system")  # the last line of every notification


@dataclass(frozen=True, kw_only=True)
class Notice:
    """One `notify` entry of an event: its recipients and, if given, its message template."""

    to: tuple[str, ...]
    message: str | None = None


# -- reading the definition ---------------------------------------------------------------


def read(ctx: Context, spec: Located, where: str, data: tuple[DataSpec, ...] = ()) -> tuple[Notice, ...]:
    """An event's `notify`: recipients, `{to, message}`, or a list of `{to, message}`."""
    if "notify" not in spec:
        return ()
    value, here = spec.get("notify"), f"{where}.notify"
    if isinstance(value, Located):
        notice = _mapping(ctx, value, here, data)
        return (notice,) if notice else ()
    values = sequence(value, spec.value_at("notify"))
    if not values:
        ctx.error(spec.value_at("notify"), _("{where} is empty: name who is told (a role, lead_unit, co_unit, "
                                             "own_deputy or field:NAME), or leave 'notify' out").format(where=here))
        return ()
    if any(isinstance(entry, Located) for entry in values):
        notices = []
        for index, entry in enumerate(values):
            if not isinstance(entry, Located):
                ctx.error(values.at(index), _("{where} is {kind}; in a list of notices every entry is a mapping "
                                              "{{to: …, message: …}}").format(where=f"{here}[{index}]", kind=kind_of(entry)))
            elif notice := _mapping(ctx, entry, f"{here}[{index}]", data):
                notices.append(notice)
        return tuple(notices)
    recipients = _recipients(ctx, values, here)
    return (Notice(to=recipients),) if recipients else ()


def _mapping(ctx: Context, entry: Located, here: str, data: tuple[DataSpec, ...]) -> Notice | None:
    known_keys(ctx, entry, NOTICE, here)
    if "to" not in entry:
        ctx.error(entry.position, _("{where} needs 'to': who is told (a role, lead_unit, co_unit, own_deputy or "
                                    "field:NAME)").format(where=here))
        return None
    values = sequence(entry.get("to"), entry.value_at("to"))
    if not values:
        ctx.error(entry.value_at("to"), _("{where} is empty: name at least one recipient").format(where=f"{here}.to"))
    recipients = _recipients(ctx, values, f"{here}.to")
    message = _message(ctx, entry, f"{here}.message", data) if "message" in entry else None
    return Notice(to=recipients, message=message) if recipients else None


def _recipients(ctx: Context, values, here: str) -> tuple[str, ...]:
    allowed = GLOBAL_ROLES + ITEM_ROLES + field_roles.names(ctx.fields)
    result = []
    for index, value in enumerate(values):
        if isinstance(value, str) and value.startswith(FIELD_PREFIX):
            name = value[len(FIELD_PREFIX):]
            field = ctx.fields.get(name)
            if field is None or field.type not in RECIPIENT_FIELD_TYPES:
                fitting = [key for key, spec in ctx.fields.items() if spec.type in RECIPIENT_FIELD_TYPES]
                if field is None:
                    problem = _("{where}: '{value}' names an unknown field; a recipient field holds a person, "
                                "a unit or units (here: {fields})")
                else:
                    problem = _("{where}: '{value}' names a field of type {type}; a recipient field holds a person, "
                                "a unit or units (here: {fields})")
                ctx.error(values.at(index), problem.format(where=here, value=show(value), type=getattr(field, "type", None),
                                                           fields=", ".join(fitting) or _("none")))
                continue
        elif value not in allowed:
            ctx.error(values.at(index), _("unknown recipient '{value}' in {where}; recipients are the roles "
                                          "{roles}, or field:NAME").format(value=show(value), where=here,
                                                                          roles=", ".join(allowed)))
            continue
        result.append(value)
    return tuple(dict.fromkeys(result))


def reminder_message(ctx: Context, entry: Located, here: str) -> str | None:
    """A reminder's `message`: placeholders are the item's fields and REMINDER_PLACEHOLDERS."""
    return _message(ctx, entry, here, (), REMINDER_PLACEHOLDERS)


def reminder_text(tx, workflow, item, template: str, deadline: str) -> str:
    """A reminder's message for `item`, its deadline's last day given as `deadline` (text)."""
    values = _Values({name: _text(value) for name, value in item.fields.items()})
    for name, spec in workflow.definition.fields.items():
        value = item.fields.get(name)
        if spec.type in ("unit", "units") and value:
            values[name] = "、".join(tx.unit_names([str(unit) for unit in (value if isinstance(value, list) else [value])]))
        elif spec.type == "person" and value:
            values[name] = next((person.name for person in _people(tx).everyone if person.id == value), str(value))
    values.update(ref=item.ref, title=item.title, state=str(workflow.label(item.state)), deadline=deadline)
    return template.format_map(values)


def _message(ctx: Context, entry: Located, here: str, data: tuple[DataSpec, ...],
             placeholders: tuple[str, ...] = PLACEHOLDERS) -> str | None:
    text, position = entry.get("message"), entry.value_at("message")
    if not isinstance(text, str) or not text.strip():
        ctx.error(position, _("{where} must be text, not {kind}: what the recipients are told").format(
            where=here, kind=kind_of(text)))
        return None
    if len(text) > MAX_MESSAGE:
        ctx.error(position, _("{where} is {length} characters long; a message has at most {most}").format(
            where=here, length=len(text), most=MAX_MESSAGE))
        return None
    known = list(dict.fromkeys(list(placeholders) + list(ctx.fields) + [spec.key for spec in data]))
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        ctx.error(position, _("{where}: {problem}; write {{name}} for a value and {{{{ }}}} for a brace").format(
            where=here, problem=exc))
        return None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in known or spec or conversion:
            written = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            ctx.error(position, _("{where}: '{{{placeholder}}}' is not one it can fill; "
                                  "write {{NAME}} with NAME one of: {names}").format(
                where=here, placeholder=shown(written, 40), names=", ".join(known)))
            return None
    return text


# -- writing the notifications --------------------------------------------------------------

_PEOPLE: "weakref.WeakKeyDictionary[object, People]" = weakref.WeakKeyDictionary()


def send(tx, workflow, item, event_name: str, row: dict, fields: dict, data: dict) -> int:
    """Write the notifications of event `event_name`, just committed as trace `row` on `item`
    (as updated: its `last_at` is the event's time, UTC text), to the outbox; returns how many
    were new. Not an event of the definition (created, migrated…): none."""
    event = workflow.definition.events.get(event_name)
    if event is None or not event.notify:
        return 0
    people = _people(tx)
    deputies = partial(tx.deputies, item.id)  # asked only when own_deputy is named
    values = _values(tx, workflow, item, event, row, fields, data)
    subject = _("[{event}] {ref} {title}").format(event=event.label, ref=item.ref, title=item.title)
    messages = []
    for index, notice in enumerate(event.notify):
        recipients = _reached(people, notice.to, fields, deputies)
        if not recipients:
            continue
        lines = [heading(workflow, item)]
        if notice.message:
            lines.append(notice.message.format_map(values))
        else:
            lines += [_("Event: {event}").format(event=values["event"]),
                      _("Current state: {state}").format(state=values["state"])]
        lines.append(_(FOOTER))
        messages.append({"cause": f"{item.ref}#{row['seq']}#notify:{index}", "people": recipients, "item": item,
                         "subject": subject, "body": "\n".join(lines), "at": item.last_at})
    return tx.notify_many(messages) if messages else 0


def heading(workflow, item) -> str:
    """The first line of a notification: the workflow, the item's ref and title."""
    return _('{workflow}: {ref} "{title}"').format(workflow=workflow.definition.title, ref=item.ref, title=item.title)


def _people(tx) -> People:
    """Everyone of the organisation, read once a transaction."""
    try:
        people = _PEOPLE.get(tx)
        if people is None:
            people = _PEOPLE[tx] = People(tx.people())
        return people
    except TypeError:  # a transaction that cannot be weakly referenced
        return People(tx.people())


def _reached(people: People, to: tuple[str, ...], fields: dict, deputies) -> list:
    roles = tuple(name for name in to if not name.startswith(FIELD_PREFIX))
    found = reached(people, roles, fields, deputies) if roles else []
    for name in to:
        if not name.startswith(FIELD_PREFIX):
            continue
        value = fields.get(name[len(FIELD_PREFIX):])
        named = [str(entry) for entry in (value if isinstance(value, list) else [value]) if entry not in (None, "")]
        found += [person for person in people.everyone if person.id in named]  # a person field
        found += people.with_role("lead_unit", units=named)  # a unit field: the unit's staff
    return list({person.id: person for person in found}.values())


class _Values(dict):
    def __missing__(self, key: str) -> str:  # a field or data key without a value
        return ""


def _values(tx, workflow, item, event, row: dict, fields: dict, data: dict) -> _Values:
    """What a message template may name, each as plain text; a unit or a person by its name."""
    values = _Values({name: _text(value) for name, value in fields.items()})
    values.update({spec.key: _text(data.get(spec.key)) for spec in event.data if spec.key in data})
    named = {name for notice in event.notify if notice.message
             for _literal, name, _spec, _conversion in string.Formatter().parse(notice.message) if name}
    for name in named:
        spec, value = workflow.definition.fields.get(name), data.get(name, fields.get(name))
        if spec is not None and spec.type in ("unit", "units") and value:
            units = [str(unit) for unit in (value if isinstance(value, list) else [value])]
            values[name] = "、".join(tx.unit_names(units))
        elif spec is not None and spec.type == "person" and value:  # a person by their name
            values[name] = next((person.name for person in _people(tx).everyone if person.id == value), str(value))
    values.update(ref=item.ref, title=item.title, event=str(event.label), state=str(workflow.label(row["to_state"])),
                  actor=row["actor"], at=row["occurred_at"][:16])
    return values


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, (list, tuple)):
        return "、".join(_text(entry) for entry in value)
    return str(value)
