"""The parameters of the rating guards (`joint_rating`, `rating_lapse`, banli/engine/ratings.py)
checked when a definition is parsed: the policy is one banli knows, the field a choice field,
the deemed rating one of its choices; each error at the parameter's line and column."""

from __future__ import annotations

from banli.engine.ratings import POLICIES
from banli.engine.readers import MAX_NAME, Context, show


def rating_params(ctx: Context, params: dict, at, here: str) -> dict:
    counts = params.get("counts")
    if "counts" in params and counts not in POLICIES:
        ctx.error(at("counts"), f"{here}: 'counts' (whose rating counts) is one of {', '.join(POLICIES)}, "
                                f"not {show(counts)}")
    name = params.get("field", "rating")
    field = ctx.fields.get(name) if isinstance(name, str) else None
    if field is None or field.type != "choice":
        choices = [key for key, spec in ctx.fields.items() if spec.type == "choice"]
        ctx.error(at("field"), f"{here}: 'field' names a choice field (the rating), not {show(name)}; "
                               f"choice fields: {show(', '.join(choices) or 'none', 200)}")
    deputy = params.get("deputy")
    if "deputy" in params and (not isinstance(deputy, str) or not deputy.strip() or len(deputy) > MAX_NAME):
        ctx.error(at("deputy"), f"{here}: 'deputy' is the name of the data key that names the deputy, "
                                f"not {show(deputy)}")
    deem = params.get("deem")
    if deem not in (None, "") and field is not None and field.type == "choice" and str(deem) not in field.choices:
        ctx.error(at("deem"), f"{here}: 'deem' is a choice of field '{field.name}' (what a lapsed rating is "
                              f"taken as) or '' (left unrated), not {show(deem)}; choices: "
                              f"{show(', '.join(field.choices), 200)}")
    if deem not in (None, ""):
        params["deem"] = str(deem)
    return params
