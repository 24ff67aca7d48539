"""The rating that counts: every deputy of a joint item (联名建议) may rate its reply, and a
definition says whose rating the item takes; a rating not given in time lapses, deemed a
given choice or left unrated.

Two guards that judge the event's data, registered as built-ins: `joint_rating` on the event
by which a deputy rates, `rating_lapse` on the event an overdue reminder fires. They run
before the event's branches are chosen, so they put the rating that counts into the event's
data (and so into the item's field, as the trace replays it) and the branches decide on it:
while the rating that counts is not known yet (a co-signer rated, the first signer has not),
the field is left unset (null in the data) and a branch keeps the item waiting in its state
(in npc-suggestion the last, `{to: awaiting_feedback}`, after those naming each rating). What each deputy said stays in the trace row:
`@deputy` and `@given`; the row that decides also records `@ratings` (each deputy's, in
signing order) and `@counts` (the policy), and a lapse `@lapsed` (who did not rate) and
`@deemed` (whether their rating was deemed). An item with one deputy is rated as before:
nothing is added to its rows.

Policies (`counts`): `first_signer` (the first signer's rating counts; the item waits for
it), `lowest` (the worst rating counts, once all have rated), `each` (every deputy's rating
counts in the reports; the item takes the worst, once all have rated). A choice field's
choices run from the best to the worst (满意, 基本满意, 不满意).
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from banli.engine.expressions import TraceCounts
from banli.engine.times import from_utc_text
from banli.errors import NotAllowedNow
from banli.i18n import _

FIRST_SIGNER, LOWEST, EACH = "first_signer", "lowest", "each"
POLICIES = (FIRST_SIGNER, LOWEST, EACH)
DEPUTY, GIVEN, RATINGS, COUNTS, LAPSED, DEEMED = "@deputy", "@given", "@ratings", "@counts", "@lapsed", "@deemed"


def joint_rating(ctx, counts: str = FIRST_SIGNER, field: str = "rating", deputy: str = "deputy") -> str | None:
    """A deputy's rating of the reply: who rated (the acting deputy; for someone recording it,
    the deputy named in data `deputy`, else the first who has not rated), once each per
    reply, and the rating that counts under `counts` once it is known."""
    deputies = ctx.deputies()
    named = ctx.data.get(deputy)
    if named and named not in deputies:
        return _("'{name}' is not a deputy of {ref}; its deputies are {deputies}: name one of them with "
                 "--data {key}=NAME").format(name=named, ref=ctx.item.ref, deputies="、".join(deputies) or _("none"),
                                             key=deputy)
    if len(deputies) < 2:
        return None  # one deputy: the rating counts as given, and the row is as it always was
    own = ctx.actor.deputy if ctx.actor.deputy in deputies else None
    if own and named and named != own:
        return _("a deputy rates for themselves: {own} cannot rate for {named}").format(own=own, named=named)
    given = round_ratings(ctx)
    rater = named or own or next((name for name in deputies if name not in given), deputies[0])
    if rater in given:
        return _("{rater} has already rated this reply ({rating}); each deputy rates a reply once, and those yet to "
                 "rate are {waiting}").format(rater=rater, rating=given[rater],
                                               waiting="、".join(d for d in deputies if d not in given))
    ratings = {**given, rater: ctx.data.get(field)}
    ctx.trace_data.update({DEPUTY: rater, GIVEN: ctx.data.get(field)})
    return _record(ctx, field, counts, deputies, ratings, decide(counts, deputies, ratings, _choices(ctx, field)))


def rating_lapse(ctx, counts: str = FIRST_SIGNER, field: str = "rating", deem: str = "") -> str | None:
    """The time to rate ran out: the deputies who did not rate are deemed to have rated
    `deem` (a choice of `field`), or, with `deem` empty, left out; the rating that counts
    is decided from what there is (none at all: the field is left as it was)."""
    if ctx.item.deadline and ctx.at < from_utc_text(ctx.item.deadline):
        until = _until(from_utc_text(ctx.item.deadline), ctx.workflow.zone)
        raise NotAllowedNow(_("'{event}' is not possible on {ref} yet: its deputies may rate until {until}; a rating "
                              "lapses only after that").format(event=ctx.event.name, ref=ctx.item.ref, until=until),
                            ref=ctx.item.ref, event=ctx.event.name)
    if ctx.event.data_spec(field) is None:
        return _("event '{event}' must list '{field}' in its data to record the rating that counts").format(
            event=ctx.event.name, field=field)
    if ctx.data.get(field) is not None:
        return _("a lapsed rating is not given: fire '{event}' without '{field}'").format(event=ctx.event.name, field=field)
    deputies = ctx.deputies()
    ratings = round_ratings(ctx)
    missing = [name for name in deputies if name not in ratings]
    if deem:
        ratings.update(dict.fromkeys(missing, deem))
    choices = _choices(ctx, field)
    if not deputies:
        counted = deem or None
    elif counts == FIRST_SIGNER or len(deputies) < 2:
        counted = ratings.get(deputies[0])
    else:
        counted = worst(ratings.values(), choices) if ratings else None
    ctx.trace_data.update({LAPSED: missing, DEEMED: bool(deem and missing)})
    if len(deputies) > 1:
        ctx.trace_data.update({RATINGS: _ordered(ratings, deputies), COUNTS: counts})
    if counted is not None:
        ctx.data[field] = ctx.fields[field] = counted
    return None


def decide(counts: str, deputies: list[str], ratings: dict, choices: tuple[str, ...]) -> str | None:
    """The rating that counts, or None while it is not known."""
    if counts == FIRST_SIGNER:
        return ratings.get(deputies[0])
    if all(name in ratings for name in deputies):
        return worst(ratings.values(), choices)
    return None


def worst(values, choices: tuple[str, ...]) -> str:
    """The worst of the ratings: the one latest among the choices (best first)."""
    return max(values, key=lambda value: choices.index(value) if value in choices else len(choices))


def round_ratings(ctx) -> dict[str, str]:
    """Each deputy's rating of the reply being rated: the `@given` of the rows since the item
    entered its state from another (a co-signer's rating keeps it in the state)."""
    found: dict[str, str] = {}
    state = ctx.item.state
    for row in reversed(ctx.tx.trace(ctx.item.id)):
        data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        if DEPUTY in data and GIVEN in data:
            found.setdefault(str(data[DEPUTY]), str(data[GIVEN]))
        if row["from_state"] != state or row["to_state"] != state:
            break
    return found


def _record(ctx, field: str, counts: str, deputies: list[str], ratings: dict, counted: str | None) -> str | None:
    ctx.data[field] = ctx.fields[field] = counted  # None: not known yet, the item waits
    if counted is not None:
        ctx.trace_data.update({RATINGS: _ordered(ratings, deputies), COUNTS: counts})
        return None
    state, name = ctx.item.state, ctx.event.name
    if ctx.workflow.destination(name, state, ctx.fields, ctx.data, TraceCounts(ctx.tx, ctx.item.id, name)) != state:
        return _("the definition lets '{event}' leave {state} before the rating that counts is known; ask its "
                 "administrator for a branch that keeps the item in {state} while '{field}' is unset").format(
            event=name, state=state, field=field)
    return None


def _ordered(ratings: dict, deputies: list[str]) -> dict:
    return {name: ratings[name] for name in deputies if name in ratings}


def _until(deadline: datetime, zone) -> str:
    """A deadline as people say it: a midnight one is the end of the day before."""
    local = deadline.astimezone(zone)
    if local.time() == time(0):
        return _("the end of {day}").format(day=(local - timedelta(days=1)).date().isoformat())
    return local.strftime("%Y-%m-%d %H:%M")


def _choices(ctx, field: str) -> tuple[str, ...]:
    spec = ctx.workflow.definition.fields.get(field)
    return spec.choices if spec else ()
