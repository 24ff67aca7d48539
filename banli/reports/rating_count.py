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
from banli.i18n import N_, _, ngettext

RULES = {FIRST_SIGNER: N_("A joint suggestion counts its first signer's rating"),
         LOWEST: N_("A joint suggestion counts its lowest rating"),
         EACH: N_("Each deputy's rating of a joint suggestion counts, and the satisfaction rate is over ratings")}
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
    """How the report counts ratings: by rating (份) when some item's count each deputy's, else by
    suggestion (件)."""
    return _("counted by rating") if any(item.each_latest for item in items) else _("counted by suggestion")


def counting_text(policy: RatingPolicy | None, items, rated: int) -> str:
    """The report's sentence on how ratings were counted and how many lapsed ("" if nothing to say)."""
    if policy is None or (not policy.counts and policy.deem is None):
        return ""
    parts = []
    joint = sum(item.joint and item.replies > 0 for item in items)
    if policy.counts in RULES:
        rule = _(RULES[policy.counts])
        if policy.counts == EACH:
            rule = _("{rule} ({rated} ratings in all)").format(rule=rule, rated=rated)
        if joint:
            rule = ngettext("{rule}; {joint} joint suggestion has been answered",
                            "{rule}; {joint} joint suggestions have been answered", joint).format(rule=rule, joint=joint)
        parts.append(rule)
    deemed = [item for item in items if item.lapsed == DEEMED_LAPSE]
    unrated = [item for item in items if item.lapsed == UNRATED_LAPSE]
    if deemed:
        parts.append(ngettext("{count} suggestion was not rated in time and is taken as {deem}",
                              "{count} suggestions were not rated in time and are taken as {deem}",
                              len(deemed)).format(count=len(deemed), deem=policy.deem or _("satisfied")))
    if unrated:
        refs = _(", ").join(item.row.ref for item in unrated[:10])
        refs = _("{refs} and others").format(refs=refs) if len(unrated) > 10 else refs
        uncounted = sum(not item.rating_kinds for item in unrated)
        if uncounted == len(unrated):
            said = ngettext("{count} suggestion was not rated in time and is left unrated ({refs}), not counted in the "
                            "satisfaction rate",
                            "{count} suggestions were not rated in time and are left unrated ({refs}), not counted in "
                            "the satisfaction rate", len(unrated))
        else:
            said = ngettext("{count} suggestion was not rated in time and is left unrated ({refs}): {uncounted} not "
                            "counted in the satisfaction rate, {earlier} counted by its earlier rating",
                            "{count} suggestions were not rated in time and are left unrated ({refs}): {uncounted} not "
                            "counted in the satisfaction rate, {earlier} counted by their earlier rating", len(unrated))
        parts.append(said.format(count=len(unrated), refs=refs, uncounted=uncounted, earlier=len(unrated) - uncounted))
    if not deemed and not unrated and policy.deem is not None:
        parts.append(_("No suggestion's rating lapsed") if policy.deem == "" else
                     _("A rating not made in time is taken as {deem}; none lapsed this session").format(deem=policy.deem))
    if not parts:
        return ""
    text = parts[0]
    for part in parts[1:]:
        text = _("{earlier}. {later}").format(earlier=text, later=part)
    return _("{counting}.").format(counting=text)
