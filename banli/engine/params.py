"""Guards and effects in a definition (`guards: [...]`, `effects: [...]`): each names a function
of the registry, and the parameters it is given must be ones that function takes, with values
it can use. The built-ins say more about their own parameters (`_BUILTIN`): the field
`set_fields` sets is known and the value is of its type, `spawn_children` names a workflow
and a units field, `extend_deadline`'s `max` is a duration. Anything else would fail only
when the event is fired, on a user who cannot change the definition.
"""

from __future__ import annotations

import inspect
import re
from datetime import date

from banli.engine import builtins
from banli.engine.durations import parse_duration
from banli.engine.limits import text_problem
from banli.engine.load import Located, Position
from banli.engine.model import Call, Field
from banli.engine.rating_params import rating_params
from banli.engine.keys import GUARD
from banli.engine.readers import MAX_LABEL, MAX_NAME, SCALARS, Context, kind_of, known_keys, sequence, show, when
from banli.i18n import N_, _

_WORKFLOW_ID = re.compile(r"^[a-z0-9-]+$")
_KINDS = {"guard": N_("guard"), "effect": N_("effect")}  # what `calls` reads, as messages name it


def calls(ctx: Context, entry: Located, key: str, known: dict, kind: str, where: str) -> tuple[Call, ...]:
    """Guards or effects: each a registry name, or `{name: {parameters}}`; a guard may also be
    a condition written here, `{when: …, because: …}` (the registry's `condition`)."""
    values = sequence(entry.get(key), entry.value_at(key))
    what = _(_KINDS[kind]) if kind in _KINDS else kind
    result = []
    for index, raw in enumerate(values):
        at = values.at(index)
        raw_params: object = None
        if kind == "guard" and isinstance(raw, Located) and "when" in raw:
            if any(key not in GUARD for key in raw):
                known_keys(ctx, raw, GUARD, _("a guard of {where}").format(where=where))
                continue
            name, raw_params = "condition", raw
        elif isinstance(raw, Located) and len(raw) == 1:
            name, raw_params = next(iter(raw.items()))
            if raw_params is not None and not isinstance(raw_params, Located):
                ctx.error(at, _("parameters of {what} '{name}' must be a mapping, not {kind}").format(
                    what=what, name=show(name), kind=kind_of(raw_params)))
                raw_params = None
        elif isinstance(raw, str):
            name = raw
        else:
            ctx.error(at, _("each {what} is a name or {{name: {{parameters}}}}, not {kind}").format(
                what=what, kind=kind_of(raw)))
            continue
        if name not in known:
            listed = sorted(known.keys() - {"condition"})  # written as {when: …}, not by its name
            ctx.error(at, _("unknown {what} '{name}' in {where}; known: {known}").format(
                what=what, name=show(name), where=where, known=", ".join(listed)))
            continue
        here = (_("a guard of {where}").format(where=where) if name == "condition"
                else _("{what} '{name}' in {where}").format(what=what, name=name, where=where))
        params = _settings_resolved(ctx, raw_params, at, here)
        function = known[name].function
        if not _signature_fits(ctx, function, params, at, here):
            continue
        check = _BUILTIN.get(function)
        if check is not None:
            params = check(ctx, params, raw_params.value_at if raw_params else lambda _key: at, here)
        result.append(Call(name=name, params=tuple(sorted(params.items()))))
    return tuple(result)


def _settings_resolved(ctx: Context, raw: Located | None, at: Position, here: str) -> dict:
    """The parameters, with a `$setting` replaced by its value (parameters may name settings)."""
    params = dict(raw or {})
    for param, value in params.items():
        if isinstance(value, str) and value.startswith("$"):
            if value[1:] not in ctx.settings:
                ctx.error(raw.value_at(param), _("{value} is not defined in settings ({where})").format(
                    value=show(value), where=here))
            params[param] = ctx.settings.get(value[1:])
    return params


def _signature_fits(ctx: Context, function, params: dict, at: Position, here: str) -> bool:
    """The function takes every parameter given, and is given every one it needs."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a callable inspect cannot read: it will say so when called
        return True
    taken = list(signature.parameters.values())[1:]  # the first is the event's context
    if any(param.kind is param.VAR_KEYWORD for param in taken):
        return True
    names = {param.name for param in taken if param.kind in (param.POSITIONAL_OR_KEYWORD, param.KEYWORD_ONLY)}
    fits = True
    for param in params:
        if param not in names:
            ctx.error(at, _("{where} takes no parameter '{param}'; it takes: {params}").format(
                where=here, param=show(param), params=", ".join(sorted(names)) or _("none")))
            fits = False
    for param in taken:
        if param.name in names and param.default is param.empty and param.name not in params:
            ctx.error(at, _("{where} needs the parameter '{param}'").format(where=here, param=param.name))
            fits = False
    return fits


# -- the built-ins' own parameters -------------------------------------------------------------


def _field_of_type(ctx: Context, params: dict, param: str, default: str | None, kind: str, at, here: str) -> None:
    value = params.get(param, default)
    if value is None:
        return
    spec = ctx.fields.get(value) if isinstance(value, str) else None
    if spec is None or spec.type != kind:
        of_type = [name for name, field in ctx.fields.items() if field.type == kind]
        ctx.error(at(param), _("{where}: '{param}' names a field of type {type}, not {value}; "
                               "such fields: {fields}").format(
            where=here, param=param, type=kind, value=show(value),
            fields=show(", ".join(of_type) or _("none"), 200)))


def _text(ctx: Context, params: dict, param: str, at, here: str) -> None:
    if param in params and not isinstance(params[param], str):
        ctx.error(at(param), _("{where}: '{param}' is a data key's name, not {kind}").format(
            where=here, param=param, kind=kind_of(params[param])))


def _spawn_children(ctx: Context, params: dict, at, here: str) -> dict:
    _workflow(ctx, params, "unit-task", at, here)
    _field_of_type(ctx, params, "units", "co_units", "units", at, here)
    return _when(ctx, params, at, here)


def _workflow(ctx: Context, params: dict, default: str | None, at, here: str) -> None:
    """`workflow` names a workflow that exists (the built-ins, or one registered before)."""
    workflow = params.get("workflow", default)
    if workflow is None:
        return
    if not isinstance(workflow, str) or not _WORKFLOW_ID.match(workflow) or len(workflow) > MAX_NAME:
        ctx.error(at("workflow"), _("{where}: 'workflow' is a workflow's id, not {value}").format(
            where=here, value=show(workflow)))
    elif ctx.workflow_exists is not None and not ctx.workflow_exists(workflow):
        ctx.error(at("workflow"), _("{where}: no workflow '{workflow}' is registered; register it first "
                                    "(see 'banli workflow list')").format(where=here, workflow=workflow))


def _when(ctx: Context, params: dict, at, here: str) -> dict:
    """An effect's `when` (it runs only if the item, after the event's data, matches), compiled once."""
    if "when" in params:
        holder = Located(when=params["when"])
        holder.position, holder.key_positions, holder.value_positions = at("when"), {}, {"when": at("when")}
        params["when"] = when(ctx, holder, "when", here)
    return params


def _gather_opinions(ctx: Context, params: dict, at, here: str) -> dict:
    _workflow(ctx, params, "unit-task", at, here)
    _field_of_type(ctx, params, "units", "co_units", "units", at, here)
    for param in ("event", "text", "into"):
        value = params.get(param)
        if param in params and (not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME):
            ctx.error(at(param), (_("{where}: '{param}' is an event's name, not {value}") if param == "event" else
                                  _("{where}: '{param}' is a data key's name, not {value}")).format(
                where=here, param=param, value=show(value)))
    return _when(ctx, params, at, here)


def _condition(ctx: Context, params: dict, at, here: str) -> dict:
    """`when` is checked and compiled once, here; `because` is one line of text."""
    holder = Located(when=params.get("when"))
    holder.position, holder.key_positions, holder.value_positions = at("when"), {}, {"when": at("when")}
    params["when"] = when(ctx, holder, "when", here)
    because = params.get("because")
    if because is not None and not isinstance(because, str):
        ctx.error(at("because"), _("{where}: 'because' (what the user is told) is not text").format(where=here))
    elif because is not None:
        problem = (_("{where}: 'because' (what the user is told) {problem}") if text_problem(because)
                   else _("{where}: 'because' (what the user is told) has {length} characters; at most {limit}")
                   if len(because) > MAX_LABEL
                   else _("{where}: 'because' (what the user is told) is empty") if not because.strip() else None)
        if problem:
            ctx.error(at("because"), problem.format(where=here, problem=text_problem(because), length=len(because),
                                                    limit=MAX_LABEL))
    return params


def _children_done(ctx: Context, params: dict, at, here: str) -> dict:
    _field_of_type(ctx, params, "units", None, "units", at, here)
    _workflow(ctx, params, None, at, here)
    return params


def _reply_format(ctx: Context, params: dict, at, here: str) -> dict:
    for param in params:
        if param == "min_length":
            _whole(ctx, params, param, at, here)
        else:
            _text(ctx, params, param, at, here)
    return params


def _whole(ctx: Context, params: dict, param: str, at, here: str) -> None:
    value = params.get(param)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100_000:
        ctx.error(at(param), _("{where}: '{param}' is a whole number from 0 to 100000, not {value}").format(
            where=here, param=param, value=show(value)))


def _promise_given(ctx: Context, params: dict, at, here: str) -> dict:
    """The class is a choice field with the promising class among its choices, the plan a text
    field, the date a date field; `in_text` is true or false."""
    _field_of_type(ctx, params, "class_field", "result_class", "choice", at, here)
    _field_of_type(ctx, params, "plan", "promise", "text", at, here)
    _field_of_type(ctx, params, "by", "promised_by", "date", at, here)
    _text(ctx, params, "text", at, here)
    if "in_text" in params and not isinstance(params["in_text"], bool):
        ctx.error(at("in_text"), _("{where}: 'in_text' is true or false, not {value}").format(
            where=here, value=show(params["in_text"])))
    field = ctx.fields.get(params.get("class_field", "result_class"))
    promising = params.get("promising", "B")
    if field is not None and field.type == "choice" and str(promising) not in field.choices:
        ctx.error(at("promising"), _("{where}: 'promising' is a choice of field '{field}' ({choices}), "
                                     "not {value}").format(where=here, field=field.name,
                                                           choices=show(", ".join(field.choices), 200),
                                                           value=show(promising)))
    return params


def _extend_deadline(ctx: Context, params: dict, at, here: str) -> dict:
    _text(ctx, params, "by", at, here)
    if params.get("max") is not None:
        try:
            params["max"] = str(parse_duration(params["max"]))
        except ValueError as exc:
            ctx.error(at("max"), _("{where}: 'max': {problem}").format(where=here, problem=exc))
    return params


def _set_fields(ctx: Context, params: dict, at, here: str) -> dict:
    """Each parameter names a field; its value is of the field's type (null: the field is unset)."""
    result = {}
    for name, value in params.items():
        spec = ctx.fields.get(name)
        if spec is None:
            ctx.error(at(name), _("{where}: unknown field '{field}'; fields: {fields}").format(
                where=here, field=show(name), fields=show(", ".join(ctx.fields) or _("none"), 200)))
            continue
        typed, problem = (None, None) if value is None else _typed(spec, value)
        if problem:
            ctx.error(at(name), _("{where}: '{field}' is a {type} field, so '{value}' cannot be its value; "
                                  "give {wanted}").format(where=here, field=name, type=spec.type, value=show(value),
                                                          wanted=problem))
        result[name] = typed
    return result


def _typed(spec: Field, value: object) -> tuple[object, str | None]:
    """The value as the item holds a field of this type, or what the type needs instead."""
    kind = spec.type
    if kind == "bool":
        return (value, None) if isinstance(value, bool) else (None, _("true or false"))
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
        return (value, None) if ok else (None, _("a whole number"))
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat(), None
        try:
            return date.fromisoformat(str(value)).isoformat(), None
        except ValueError:
            return None, _("a date such as 2025-03-01")
    if kind == "choice":
        text = str(value) if isinstance(value, SCALARS) else None
        return (text, None) if text in spec.choices else (None, _("one of {choices}").format(
            choices=show(", ".join(spec.choices), 200)))
    if kind == "units":
        units = value if isinstance(value, list) else [value]
        ok = all(isinstance(unit, str) and unit for unit in units)
        return ([str(unit) for unit in units], None) if ok else (None, _("a unit's id or a list of them"))
    text = str(value) if isinstance(value, SCALARS) and not isinstance(value, bool) else ""
    if text.strip() and not text_problem(text, multiline=kind == "text"):  # text, unit, person
        return text, None
    return None, _("text (no control characters)") if kind == "text" else _("a {type}'s id").format(type=kind)


_BUILTIN = {
    builtins.condition: _condition,
    builtins.spawn_children: _spawn_children,
    builtins.children_done: _children_done,
    builtins.reply_format: _reply_format,
    builtins.promise_given: _promise_given,
    builtins.extend_deadline: _extend_deadline,
    builtins.set_fields: _set_fields,
    builtins.gather_opinions: _gather_opinions,
    builtins.joint_rating: rating_params,
    builtins.rating_lapse: rating_params,
}
