"""The keys that make a campaign act (SPEC §7 `campaigns`): each selection's `kind` and
`outcomes`, the campaign's `then`, and the checks that need every event parsed — the
campaign's event records the kind, and each `then` event is possible where the result
event leaves the item.
"""

from __future__ import annotations

from banli.engine.limits import text_problem
from banli.engine.load import Located, Position
from banli.engine.model import Event
from banli.engine.readers import MAX_NAME, SCALARS, Context, DeferredKind, kind_of, mapping, sequence, show
from banli.i18n import N_, _

KIND_KEY = "kind"  # the data key of the campaign's event that records an item's kind
_NOT_NAMED = N_("{here}: outcomes are named only when the campaign's 'outcome' is a choice field (with 'result')")


def choices(ctx: Context, spec: Located) -> tuple[str, ...] | None:
    """The choices of the campaign's outcome field; None if it has none to list (its own key
    reports a field that is missing or of another type)."""
    field = ctx.fields.get(spec.get("outcome")) if isinstance(spec.get("outcome"), str) else None
    return field.choices if field is not None and field.type == "choice" else None


def selection(ctx: Context, entry: Located, here: str, allowed: tuple[str, ...] | None) -> tuple[str | None, tuple[str, ...]]:
    """A selection's `kind` and the `outcomes` its items may be given."""
    kind = entry.get("kind")
    if kind is not None:
        text = str(kind) if isinstance(kind, SCALARS) and not isinstance(kind, bool) else None
        problem = (_("{where}.kind '{kind}' is {type}; a kind is text") if text is None
                   else _("{where}.kind '{kind}' is empty") if not text.strip()
                   else _("{where}.kind '{kind}' has {length} characters; a kind has at most {limit}")
                   if len(text) > MAX_NAME
                   else _("{where}.kind '{kind}' {problem}") if text_problem(text) else None)
        if problem:
            ctx.error(entry.value_at("kind"), problem.format(
                where=here, kind=show(kind), type=kind_of(kind), length=len(text or ""), limit=MAX_NAME,
                problem=text_problem(text) if text is not None else None))
        kind = text if not problem else None
    if "outcomes" not in entry:
        return kind, ()
    if "kind" not in entry:
        ctx.error(entry.key_at("outcomes"), _("{where}: 'outcomes' are those of a kind of item; "
                                              "give the selection a 'kind' (e.g. kind: 不满意)").format(where=here))
    values = sequence(entry.get("outcomes"), entry.value_at("outcomes"))
    if allowed is None:
        ctx.error(entry.key_at("outcomes"), _(_NOT_NAMED).format(here=f"{here}.outcomes"))
        return kind, ()
    if not values:
        ctx.error(entry.value_at("outcomes"), _("{where}.outcomes is empty: list the outcomes allowed, or leave it "
                                                "out").format(where=here))
    return kind, _outcomes(ctx, [(value, values.at(index)) for index, value in enumerate(values)],
                           f"{here}.outcomes", allowed)


def _outcomes(ctx: Context, named: list[tuple[object, Position]], here: str,
              allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Outcomes named in a definition (each with where it stands): choices of the outcome field, each once."""
    result: list[str] = []
    for value, position in named:
        text = str(value) if isinstance(value, SCALARS) else show(value)
        if text not in allowed:
            ctx.error(position, _("{where}: '{value}' is not an outcome; the outcome field's choices: {choices}").format(
                where=here, value=show(text), choices=show(", ".join(allowed), 200)))
        elif text in result:
            ctx.error(position, _("{where}: '{value}' is listed twice").format(where=here, value=show(text)))
        else:
            result.append(text)
    return tuple(result)


def then(ctx: Context, spec: Located, where: str, allowed: tuple[str, ...] | None) -> tuple[tuple[str, str], ...]:
    """`then: {OUTCOME: EVENT}`: the event the system fires when an outcome is recorded."""
    here = f"{where}.then"
    raw = mapping(ctx, spec.get("then"), spec.value_at("then"), here)
    if not raw:
        return ()
    if allowed is None:
        ctx.error(spec.key_at("then"), _(_NOT_NAMED).format(here=here))
        return ()
    result = []
    for outcome in _outcomes(ctx, [(key, raw.key_at(key)) for key in raw], here, allowed):
        key = next(key for key in raw if str(key) == outcome)
        ctx.defer(raw.value_at(key), DeferredKind.SYSTEM_EVENT, raw[key], f"{here}.{outcome}")
        result.append((outcome, str(raw[key])))
    return tuple(result)


def check(ctx: Context, spec: Located, where: str, selectors, result: str | None, then_events: tuple[tuple[str, str], ...],
          events: dict[str, Event]) -> None:
    """With every event parsed: the campaign's event takes data 'kind' when selections name
    kinds, and each `then` event is possible in a state the result event leaves the item in."""
    fire = events.get(str(spec.get("fire")))
    if fire is not None and any(selector.kind for selector in selectors) and fire.data_spec(KIND_KEY) is None:
        ctx.error(spec.value_at("fire"), _("{where}: its selections name kinds, so event '{event}' needs data "
                                           "'{key}' to record them (data: {{{key}: {{}}}})").format(
            where=where, event=fire.name, key=KIND_KEY))
    recorder = events.get(str(result))
    if recorder is None:
        return
    lands = recorder.sources if recorder.internal else tuple(branch.to for branch in recorder.branches)
    raw = spec.get("then")
    for outcome, name in then_events:
        event = events.get(name)
        if event is not None and not set(lands) & set(event.sources):
            ctx.error(raw.value_at(outcome), _("{where}.then.{outcome}: event '{event}' is not possible in {states}, "
                                               "where '{result}' leaves the item; add that state to its 'from' (and "
                                               "'reopen: true' for a final state)").format(
                where=where, outcome=outcome, event=name, states=", ".join(dict.fromkeys(lands)), result=recorder.name))
