"""How the report counts the deputies' ratings, read from the definition and the trace
(banli/engine/ratings.py): whose rating counts on a joint suggestion (联名建议), and the
ratings that lapsed (逾期未评价), deemed 满意 or left unrated.

With `each` (每位代表的评价分别计入) the satisfaction rate is over ratings, not items: each
deputy's rating of an item's latest round counts once; with `first_signer` and `lowest` an
item counts once, by the rating the item took, as a single deputy's item always does.
"""

from __future__ import annotations

from dataclasses import dataclass

from banli.engine.ratings import COUNTS, DEEMED, EACH, FIRST_SIGNER, LAPSED, LOWEST, RATINGS

RULES = {FIRST_SIGNER: "联名建议以领衔代表的评价为准", LOWEST: "联名建议以最低评价为准",
         EACH: "联名建议每位代表的评价分别计入，满意率按评价份数计算"}
DEEMED_LAPSE, UNRATED_LAPSE = "deemed", "unrated"


@dataclass(frozen=True, kw_only=True)
class RatingPolicy:
    """What a definition says about ratings: whose counts, and what a lapsed one becomes."""

    counts: str = ""  # first_signer | lowest | each; "" when the definition says nothing
    deem: str | None = None  # a lapsed rating is taken as this; "" left unrated; None: none lapse


def rating_policy(definition) -> RatingPolicy:
    """The policy of the definition's `joint_rating` and `rating_lapse` guards (the first of each)."""
    counts, deem = "", None
    for event in definition.events.values():
        for call in event.guards:
            params = call.kwargs()
            if call.name == "joint_rating" and not counts:
                counts = str(params.get("counts", FIRST_SIGNER))
            elif call.name == "rating_lapse" and deem is None:
                deem = str(params.get("deem") or "")
                counts = counts or str(params.get("counts", FIRST_SIGNER))
    return RatingPolicy(counts=counts, deem=deem)


def each_ratings(events) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the first round's, the latest round's) ratings of every deputy, when the trace counted
    them each; empty otherwise."""
    rounds = [tuple(str(value) for value in event.data[RATINGS].values()) for event in events
              if event.data.get(COUNTS) == EACH and isinstance(event.data.get(RATINGS), dict)]
    return (rounds[0], rounds[-1]) if rounds else ((), ())


def lapse(events) -> str:
    """Whether the item's latest rating lapsed: deemed (`deemed`), left unrated (`unrated`), or
    not ("": rated, or not yet due)."""
    found = ""
    for event in events:
        if LAPSED in event.data:
            found = DEEMED_LAPSE if event.data.get(DEEMED) else UNRATED_LAPSE
        elif event.data.get("rating") is not None:
            found = ""
    return found


def counted_figures(policy: RatingPolicy | None, items) -> dict:
    """The JSON report's account of the counting: the joint rule, what a lapse becomes, and
    how many items' ratings lapsed (deemed, left unrated)."""
    return {"joint": policy.counts if policy else "", "unrated_as": policy.deem if policy else None,
            "joint_items": sum(item.joint for item in items),
            "lapsed_deemed": sum(item.lapsed == DEEMED_LAPSE for item in items),
            "lapsed_unrated": sum(item.lapsed == UNRATED_LAPSE for item in items)}


def rating_unit(items) -> str:
    """How the report counts ratings: 份 (ratings) when some item's count each deputy's, else 件."""
    return "份" if any(item.each_latest for item in items) else "件"


def counting_text(policy: RatingPolicy | None, items, rated: int) -> str:
    """The report's sentence on how ratings were counted and how many lapsed ("" if nothing to say)."""
    if policy is None or (not policy.counts and policy.deem is None):
        return ""
    parts = []
    joint = sum(item.joint and item.replies > 0 for item in items)
    if policy.counts in RULES:
        rule = RULES[policy.counts]
        if policy.counts == EACH:
            rule += f"（共{rated}份评价）"
        parts.append(rule + (f"，已答复的联名建议{joint}件" if joint else ""))
    deemed = [item for item in items if item.lapsed == DEEMED_LAPSE]
    unrated = [item for item in items if item.lapsed == UNRATED_LAPSE]
    if deemed:
        parts.append(f"逾期未评价、视为{policy.deem or '满意'}的{len(deemed)}件")
    if unrated:
        refs = "、".join(item.row.ref for item in unrated[:10]) + ("等" if len(unrated) > 10 else "")
        uncounted = sum(not item.rating_kinds for item in unrated)
        counted = ("，不计入满意率" if uncounted == len(unrated) else
                   f"，其中{uncounted}件不计入满意率、{len(unrated) - uncounted}件按此前的评价计入")
        parts.append(f"逾期未评价、不作评价的{len(unrated)}件（{refs}）{counted}")
    if not deemed and not unrated and policy.deem is not None:
        parts.append("没有逾期未评价的建议" if policy.deem == "" else f"逾期未评价的视为{policy.deem}，本届次没有此类建议")
    return "；".join(parts) + "。" if parts else ""
