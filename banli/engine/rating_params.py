"""The parameters of the rating guards (`joint_rating`, `rating_lapse`, banli/engine/ratings.py)
checked when a definition is parsed: the policy is one banli knows, the field a choice field,
the deemed rating one of its choices; each error at the parameter's line and column."""

from __future__ import annotations

from banli.engine.ratings import POLICIES
from banli.engine.readers import MAX_NAME, Context, show
from banli.i18n import _


def rating_params(ctx: Context, params: dict, at, here: str) -> dict:
    counts = params.get("counts")
    if "counts" in params and counts not in POLICIES:
        ctx.error(at("counts"), _("{where}: 'counts' (whose rating counts) is one of {policies}, not {value}").format(
            where=here, policies=", ".join(POLICIES), value=show(counts)))
    name = params.get("field", "rating")
    field = ctx.fields.get(name) if isinstance(name, str) else None
    if field is None or field.type != "choice":
        choices = [key for key, spec in ctx.fields.items() if spec.type == "choice"]
        ctx.error(at("field"), _("{where}: 'field' names a choice field (the rating), not {value}; "
                                 "choice fields: {fields}").format(
            where=here, value=show(name), fields=show(", ".join(choices) or _("none"), 200)))
    deputy = params.get("deputy")
    if "deputy" in params and (not isinstance(deputy, str) or not deputy.strip() or len(deputy) > MAX_NAME):
        ctx.error(at("deputy"), _("{where}: 'deputy' is the name of the data key that names the deputy, "
                                  "not {value}").format(where=here, value=show(deputy)))
    deem = params.get("deem")
    if deem not in (None, "") and field is not None and field.type == "choice" and str(deem) not in field.choices:
        ctx.error(at("deem"), _("{where}: 'deem' is a choice of field '{field}' (what a lapsed rating is "
                                "taken as) or '' (left unrated), not {value}; choices: {choices}").format(
            where=here, field=field.name, value=show(deem), choices=show(", ".join(field.choices), 200)))
    if deem not in (None, ""):
        params["deem"] = str(deem)
    return params
