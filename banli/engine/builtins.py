"""Guards and effects that ship with banli, usable by any definition (registered by
`banli.engine.registry` from the tables at the end)."""

from __future__ import annotations

import functools
import json
import re
from datetime import timedelta

from banli.engine import links
from banli.engine.durations import parse_duration
from banli.engine.expressions import Expression, TraceCounts, matches
from banli.engine.limits import CHILD, MAX_REF
from banli.engine.promises import promise_given
from banli.engine.ratings import joint_rating, rating_lapse
from banli.engine.records import SYSTEM_ACTOR
from banli.engine.times import from_utc_text, utc_text
from banli.errors import InvalidInput, NotAllowedNow
from banli.i18n import _

_SALUTATION_END = re.compile(r"[：:\n]")
_MICROSECOND = timedelta(microseconds=1)


def children_done(ctx, units: str | None = None, workflow: str | None = None) -> str | None:
    """Every child item (a co-unit's task, say) has reached a final state. With `units` (a
    field), only the children of units the item still names there count: a co-unit taken
    off the item no longer holds up its reply. With `workflow`, only the children running it
    (a 会办 co-unit's opinion holds up the reply; a 分办 unit's own part, replied on its own, does not)."""
    current = set(ctx.item.fields.get(units) or []) if units else None
    waiting = []
    for child in ctx.tx.children(ctx.item.id):
        if current is not None and child.fields.get("lead_unit") not in current:
            continue
        child_workflow = ctx.runtime.store.workflows.by_id(child.definition_id)
        if workflow and child_workflow.definition.id != workflow:
            continue
        if child.state not in child_workflow.final_states:
            waiting.append(child.fields.get("lead_unit") or child.ref)
    if waiting:
        names = ctx.tx.unit_names(waiting)
        return _("waiting for {units} (co-units) to submit their opinions").format(units="、".join(names))
    return None


def condition(ctx, when, because: str | None = None) -> str | None:
    """A guard written in the definition (`guards: [{when: …, because: …}]`): the item, as it
    stands before the event, must match `when` (fields, or an expression compiled at parse)."""
    count = TraceCounts(ctx.tx, ctx.item.id) if isinstance(when, Expression) and when.uses_count else None
    if matches(when, ctx.fields, count):
        return None
    if because:
        return because
    shown = when.source if isinstance(when, Expression) else ", ".join(
        _("{name} is unset").format(name=name) if values == (None,) else _("{name} is {values}").format(
            name=name, values=functools.reduce(_either, map(str, values))) for name, values in when)
    return _("it requires {condition}").format(condition=shown)


def _either(left: str, right: str) -> str:
    return _("{left} or {right}").format(left=left, right=right)


def reply_format(ctx, text: str = "text", signer: str = "signer", title: str = "代表", contact: str = "",
                 min_length: int = 0) -> str | None:
    """A reply's salutation names every deputy of the item with their `title` (代表; 委员 for a
    CPPCC member), a signer is given, and, if asked, a contact person (the data key `contact`)
    and a text of at least `min_length` characters: the reply checks the seed asks for."""
    body = str(ctx.data.get(text, ""))
    salutation = _SALUTATION_END.split(body.strip(), maxsplit=1)[0]
    deputies = ctx.deputies()
    missing = [name for name in deputies if name not in salutation]
    if missing:
        expected = "、".join(deputies) + f"{title}："
        return _("the salutation '{salutation}' does not name {missing}; begin the reply text with '{expected}'") \
            .format(salutation=salutation[:30], missing="、".join(missing), expected=expected)
    if not str(ctx.data.get(signer, "")).strip():
        return _("the reply has no signing leader; pass --data {key}=NAME").format(key=signer)
    if contact and not str(ctx.data.get(contact, "")).strip():
        return _("the reply names no contact person; pass --data {key}=NAME (and a telephone number)").format(key=contact)
    if len(body.strip()) < min_length:
        return _("the reply text has {length} characters; a reply answers the suggestion point by point "
                 "in at least {least}").format(length=len(body.strip()), least=min_length)
    return None


def spawn_children(ctx, workflow: str = "unit-task", units: str = "co_units", when=None) -> None:
    """One child item per unit in the field `units`, running `workflow` with that unit as its
    lead; with `when`, only if the item (after the event's data) matches it (会办 spawns
    co-unit tasks, 分办 the units' own parts). A unit's child item made before (the unit named
    again) is kept; an item with its ref that is not this item's child is refused: the unit's
    task would silently not exist."""
    if not applies(ctx, when):
        return
    child_workflow = ctx.runtime.store.workflows.get(workflow)
    for unit in ctx.fields.get(units) or []:
        ref = f"{ctx.item.ref}{CHILD}{unit}"
        existing = ctx.tx.item(ref)
        if existing is not None and existing.parent_id == ctx.item.id:
            continue
        if existing is not None:
            raise InvalidInput(_("item {child} is not a child item of {ref} (it was registered on its own), so "
                                 "{unit}'s task cannot be made under that ref; leave {unit} out and ask the operator "
                                 "about item {child}").format(child=ref, ref=ctx.item.ref, unit=unit), ref=ctx.item.ref)
        if len(ref) > MAX_REF:
            raise InvalidInput(_("{unit}'s child item would have the ref {child}… ({length} characters, at most "
                                 "{most}); the ref {ref}… is too long to assign co-units").format(
                unit=unit, child=ref[:40], length=len(ref), most=MAX_REF, ref=ctx.item.ref[:40]), ref=ctx.item.ref)
        ctx.runtime.create_in(
            ctx.tx, workflow=child_workflow, ref=ref, title=ctx.item.title, actor=SYSTEM_ACTOR,
            deputies=ctx.deputies(), fields={"lead_unit": unit}, at=ctx.at, parent_id=ctx.item.id,
        )


def gather_opinions(ctx, workflow: str = "unit-task", event: str = "submit_opinion", text: str = "text",
                    into: str = "co_opinions", units: str = "co_units", when=None) -> None:
    """The co-units' opinions in the event's record (会办: one reply carries every co-unit's
    opinion): for each child running `workflow` of a unit the item still names in `units`, the
    `text` of its latest `event`, as lines "单位名：意见", under the data key `into` (declared on
    the event as an event-only key, the event's notice can name it; a value given is dropped)."""
    ctx.data.pop(into, None)  # only the co-units' own words, never a value given with the event
    if not applies(ctx, when):
        return
    current = ctx.fields.get(units) or []
    lines = []
    for child in ctx.tx.children(ctx.item.id):
        unit = child.fields.get("lead_unit")
        if unit not in current or ctx.runtime.store.workflows.by_id(child.definition_id).definition.id != workflow:
            continue
        said = [json.loads(row["data"]).get(text) for row in ctx.tx.trace(child.id) if row["event"] == event]
        if said and said[-1]:
            lines.append(f"{ctx.tx.unit_names([unit])[0]}：{said[-1]}")
    if lines:
        ctx.trace_data[into] = "\n".join(lines)


def applies(ctx, when) -> bool:
    """Whether a call's `when` (compiled at parse) holds for the item after the event's data."""
    if when is None:
        return True
    count = TraceCounts(ctx.tx, ctx.item.id) if isinstance(when, Expression) and when.uses_count else None
    return matches(when, ctx.fields, count)


def set_fields(ctx, **values) -> None:
    """Set fields to fixed values (e.g. `supervised: true` when the supervision office steps in)."""
    ctx.fields.update(values)


def extend_deadline(ctx, by: str = "extend_by", max: str | None = None) -> None:
    """Move the item's deadline later by the duration in data `by` (at most `max` at a time)."""
    try:
        extension = parse_duration(ctx.data.get(by, ""))
    except ValueError as exc:
        raise InvalidInput(f"'{by}': {exc}") from None
    if not ctx.deadline:
        if ctx.deadline_basis == "paused":
            raise NotAllowedNow(_("{ref}'s clock is paused: resume it first, then extend its deadline").format(
                ref=ctx.item.ref))
        raise NotAllowedNow(_("{ref} has no deadline to extend").format(ref=ctx.item.ref))
    if max:
        limit = parse_duration(max)
        start = from_utc_text(ctx.deadline)
        if ctx.workflow.after(start, extension)[0] > ctx.workflow.after(start, limit)[0]:
            raise InvalidInput(_("an extension of {extension} is longer than the {limit} allowed; grant at most {limit}")
                               .format(extension=extension, limit=limit))
    moved, basis = ctx.workflow.after(from_utc_text(ctx.deadline) - _MICROSECOND, extension)
    ctx.deadline, ctx.deadline_basis = utc_text(moved), basis
    ctx.trace_data["@extension"] = str(extension)  # kept if the deadline is counted again


# name → (function, whether it judges the event's data): what `registry` registers first
GUARDS = {"children_done": (children_done, False), "reply_format": (reply_format, True),
          "promise_given": (promise_given, True), "condition": (condition, False), "not_itself": (links.not_itself, True),
          "joint_rating": (joint_rating, True), "rating_lapse": (rating_lapse, True)}
EFFECTS = {"spawn_children": spawn_children, "set_fields": set_fields, "extend_deadline": extend_deadline,
           "gather_opinions": gather_opinions}
