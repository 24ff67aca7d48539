"""A county's handling year of deputies' suggestions, played through the runtime: what
`banli demo` shows. The year follows the seed report (151 suggestions of session 16-1,
its categories and result classes, the assignment meeting of 27 May 2022) and is
deterministic for a seed: `random.Random(seed)` makes every choice.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

from banli.demo.cast import Cast
from banli.demo.suggestion import (
    BASICALLY,
    CREATE,
    SATISFIED,
    SWEEP,
    SESSION,
    UNSATISFIED,
    Plan,
    Step,
    story,
)
from banli.demo.timeline import CONGRESS, YEAR_END, ZONE, text
from banli.demo.topics import CATEGORIES, TOPICS, Topic, title, topics_for
from banli.demo.earlier import play_earlier
from banli.demo.lookback import OPENS as LOOKBACK_OPENS, look_back
from banli.engine.org import read_org
from banli.engine.records import SYSTEM_ACTOR
from banli.engine.runtime import Runtime
from banli.engine.sweep import sweep_item
from banli.errors import InvalidInput
from banli.i18n import _
from banli.store.operator import apply_org

COUNTY = Path(__file__).with_name("county.yaml")
ORG_LOADED_AT = "2022-01-04T00:00:00.000000"  # UTC: 08:00 on 4 January 2022, before the session
SUGGESTION, CO_TASK = "npc-suggestion", "unit-task"
RATING_EVENTS = ("rate", "rate_again", "rating_lapsed", "final_rating_lapsed")
SEED_TOTAL = 151  # the seed report's year; the shares below are its counts out of 151
RESULT_CLASSES = {"A": 88, "B": 57, "C": 6}


def prepare(store, *, by: str = "demo", at: str = ORG_LOADED_AT) -> dict:
    """Load the demo county's organisation (the schema and workflows are the caller's)."""
    return apply_org(store, read_org(COUNTY), by, at)


def play_year(store, runtime: Runtime, *, seed: int = 2022, suggestions: int = 151,
              progress: Callable[[int, int], None] | None = None, lookback: bool = True,
              earlier: bool = False) -> dict:
    """Play one handling year on a prepared store, ending with the look-back (回头看) unless
    `lookback` is False; with `earlier`, one suggestion repeats two of earlier sessions,
    played first (banli/demo/earlier.py); returns what happened, counted."""
    if runtime.now() < YEAR_END:
        raise InvalidInput(_("the demo year runs until {day}; give the runtime a clock after that")
                           .format(day=text(YEAR_END)[:10]))
    if suggestions < 1:
        raise InvalidInput(_("the demo needs at least one suggestion"))
    rng = random.Random(seed)
    cast = Cast.from_org(read_org(COUNTY))
    plans = plan_year(rng, suggestions, cast)
    repeated = play_earlier(runtime, plans, cast, SUGGESTION) if earlier else None  # draws nothing of rng
    player = _Player(store, runtime)
    later: list[Step] = []  # what happens once the look-back has opened: played after it, so that
    for done, plan in enumerate(plans, 1):  # it finds each item as it stood on its first day
        for step in story(plan, cast, rng):
            if lookback and step.at >= LOOKBACK_OPENS:
                later.append(step)
            else:
                player.play(step)
        if progress:
            progress(done, len(plans))
    outcomes, system_rows = look_back(store, runtime, rng, cast, {plan.ref: plan for plan in plans},
                                      player.play) if lookback else ({}, 0)
    for step in later:
        player.play(step)
    summary = player.summary(seed, cast)
    if lookback:  # the look-back's steps were played; the system selected each item and reopened some
        summary["lookback"] = outcomes
        summary["trace_rows"] += system_rows
    if repeated:  # the earlier sessions' items are not the year's: counted apart
        summary["earlier"] = repeated
        summary["events"] += repeated["events"]
        summary["trace_rows"] += repeated["events"]
    return summary


# -- the plan of the year -------------------------------------------------------------------

def plan_year(rng: random.Random, count: int, cast: Cast) -> list[Plan]:
    """What happens to each suggestion, in the seed report's proportions."""
    categories = _spread(count, CATEGORIES)
    rng.shuffle(categories)
    plans = [Plan(number=index + 1, category=category, registered_at=_registered_at(index, count),
                  deputies=rng.sample(cast.deputies, rng.choices((1, 2, 3), (60, 28, 12))[0]))
             for index, category in enumerate(categories)]
    for index, plan in enumerate(_pick(rng, plans, _share(count, 2, least=1))):
        plan.fate = ("rejected_review", "rejected_approval")[index % 2]
    for plan in _pick(rng, plans, _share(count, 1, least=1), lambda p: p.fate == "handled"):
        plan.fate = "withdrawn"
    handled = [plan for plan in plans if plan.fate == "handled"]
    classes = _spread(len(handled), RESULT_CLASSES)
    rng.shuffle(classes)
    for plan, result_class in zip(handled, classes):
        plan.result_class = result_class
    _choose_topics(rng, plans, handled, cast)
    for plan in _pick(rng, plans, _share(count, 8)):
        plan.first_category = rng.choice([c for c in CATEGORIES if c != plan.category])
    _choose_units(rng, handled, cast)
    _choose_course(rng, count, handled)
    return plans


def _choose_topics(rng: random.Random, plans: list[Plan], handled: list[Plan], cast: Cast) -> None:
    """A topic and title for each; about 8% of the handled ones led by a non-government unit."""
    has_other = {topic.category for topic in TOPICS if not cast.is_government(topic.unit)}
    others = {id(plan) for plan in _pick(rng, handled, _share(len(plans), 12), lambda p: p.category in has_other)}
    seen: set[str] = set()
    for plan in plans:
        choices = topics_for(plan.category, id(plan) not in others, cast.is_government)
        for _attempt in range(40):
            topic = rng.choice(choices)
            plan.title = title(topic, rng)
            if plan.title not in seen:
                break
        seen.add(plan.title)
        plan.lead = topic.unit
        plan.topic = topic


def _choose_units(rng: random.Random, handled: list[Plan], cast: Cast) -> None:
    """Co-units and mode; a few change requests (改办) and a co-unit released from its task."""
    government = cast.government_units()
    for plan in handled:
        if rng.random() >= 0.22:
            continue
        topic: Topic = plan.topic
        candidates = [unit for unit in topic.partners if unit != plan.lead]
        kin = [t.unit for t in TOPICS if t.category == plan.category and cast.is_government(t.unit)]
        candidates += [unit for unit in dict.fromkeys(kin) if unit not in candidates and unit != plan.lead]
        wanted = 1 if rng.random() < 0.7 else 2
        plan.co_units = candidates[:wanted] if rng.random() < 0.7 else rng.sample(candidates, min(wanted, len(candidates)))
        plan.mode = "会办" if rng.random() < 0.75 else "分办"
        plan.late_co = tuple(unit for unit in plan.co_units if rng.random() < 0.08)
    count = len(handled)
    for plan in _pick(rng, handled, _share(count, 1), lambda p: len(p.co_units) >= 2):
        plan.released = rng.choice(plan.co_units)
        plan.late_co = tuple(unit for unit in plan.late_co if unit != plan.released)

    def alone(plan: Plan) -> bool:
        return not plan.co_units and cast.is_government(plan.lead) and not plan.wrong_lead

    for plan in _pick(rng, handled, _share(count, 3, least=1), alone):
        # A near miss: another government unit working in the same field, when there is one.
        near = {t.unit for t in TOPICS if t.category == plan.category and t.unit in government} - {plan.lead}
        plan.wrong_lead = rng.choice(sorted(near) or [unit for unit in government if unit != plan.lead])
    for plan in _pick(rng, handled, _share(count, 1), alone):
        plan.change_refused = True


def _choose_course(rng: random.Random, total: int, handled: list[Plan]) -> None:
    """Supervision, lateness, returned and reclassified replies, ratings, kept promises."""
    count = len(handled)
    for plan in _pick(rng, handled, _share(count, 4, least=1)):
        plan.key = True
    for plan in _pick(rng, handled, _share(count, 2, least=1)):
        plan.lateness = "extension"
    for plan in _pick(rng, handled, _share(count, 4, least=1), lambda p: not p.lateness):
        plan.lateness = "late"
    for plan in _pick(rng, handled, _share(count, 10), lambda p: not p.lateness):
        plan.urged = True
    for plan in _pick(rng, handled, _share(count, 2, least=1), lambda p: not p.lateness):
        plan.returned = True
    for plan in _pick(rng, handled, _share(count, 2), lambda p: p.result_class == "B"):
        plan.reply_class = "A"
    # Unsatisfied first ratings fall on C, then B items; most stay unsatisfied after re-handling,
    # which gives the seed's satisfaction rate (145 of 148 rated = 97.97%).
    unsolved = [p for p in handled if p.result_class == "C"] + [p for p in handled if p.result_class == "B"]
    first = _share(total, 5, least=1)
    still = min(first, _share(total, 3, least=1))
    for index, plan in enumerate(unsolved[:first]):
        plan.ratings = (UNSATISFIED, UNSATISFIED if index < still else BASICALLY)
    basically = {"A": 0.05, "B": 0.15, "C": 0.4}
    for plan in handled:
        if plan.ratings[0] != UNSATISFIED and rng.random() < basically[plan.result_class]:
            plan.ratings = (BASICALLY,)
        plan.face_to_face = rng.random() >= 0.08
        plan.fulfilled = plan.result_class == "B" and rng.random() < 0.8  # most promises kept, some late
    # 联名建议: on every third, the co-signers rate too, before the first signer, whose rating
    # counts; a few satisfied deputies never rate: 逾期未评价, deemed 满意. Chosen without the
    # random draws, so the rest of the year stays as it was.
    for plan in [plan for plan in handled if len(plan.deputies) > 1][::3]:
        plan.co_signers_rate = True
    for plan in [plan for plan in handled if plan.ratings == (SATISFIED,) and not plan.lateness][3::25]:
        plan.rating_lapses = True


def _share(total: int, of_seed: int, least: int = 0) -> int:
    """`of_seed` out of the seed's 151, scaled to `total`."""
    return max(least, round(total * of_seed / SEED_TOTAL))


def _spread(total: int, weights: dict[str, int]) -> list[str]:
    """`total` labels in proportion to `weights` (largest remainder), one per slot."""
    whole = sum(weights.values())
    exact = {key: total * weight / whole for key, weight in weights.items()}
    counts = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: counts[k] - exact[k])[:total - sum(counts.values())]:
        counts[key] += 1
    return [key for key, n in counts.items() for _time in range(n)]


def _pick(rng: random.Random, plans: list[Plan], count: int, where=lambda plan: True) -> list[Plan]:
    candidates = [plan for plan in plans if where(plan)]
    return rng.sample(candidates, min(count, len(candidates)))


def _registered_at(index: int, count: int) -> datetime:
    """Registration during the session, in ref order, spread over its office hours."""
    first, last = CONGRESS
    days = (last - first).days + 1
    minutes = index * days * 540 // count
    return datetime.combine(first + timedelta(days=minutes // 540), time(8, 30), ZONE) + timedelta(minutes=minutes % 540)


# -- playing it -----------------------------------------------------------------------------

class _Player:
    """Fires the steps and keeps count of what they did to each item."""

    def __init__(self, store, runtime: Runtime) -> None:
        self.store, self.runtime = store, runtime
        self.calls = 0
        self.spawned = 0
        self.system = 0  # events the system fires (a lapsed rating): trace rows, not users' events
        self.states: dict[str, str] = {}
        self.fields: dict[str, dict] = {}
        self.last_at = ""
        self.reminded: dict[str, set[str]] = {}  # ref → the reminder rules a sweep told its people of
        self.reminders = Counter()  # notices sent; how many of them re-armed by a moved deadline

    def play(self, step: Step) -> str:
        """Fire the step; returns the state it left the item in."""
        at = text(step.at)
        if step.event == SWEEP:
            return self._sweep(step)
        if step.event == CREATE:
            fired = self.runtime.create(workflow_id=SUGGESTION, ref=step.ref, title=step.data["title"], actor=step.actor,
                                        deputies=step.data["deputies"], fields=step.data["fields"], at=at)
            self.fields[step.ref] = dict(step.data["fields"])
        else:
            actor = SYSTEM_ACTOR if step.actor == SYSTEM_ACTOR.id else step.actor  # the CLI's runtime refuses the name
            fired = self.runtime.fire(step.ref, step.event, actor, step.data, at=at)
            if "/" not in step.ref:
                self.fields[step.ref].update({key: value for key, value in step.data.items()
                                              if key in ("category", "lead_unit", "result_class", "rating", "fulfilled")})
                if step.event == "fulfil":  # set by the event's effect, not its data
                    self.fields[step.ref]["fulfilled"] = True
                if step.event in RATING_EVENTS:  # the rating that counts, not a co-signer's nor a lapse's none
                    with self.store.read() as tx:
                        self.fields[step.ref]["rating"] = tx.item(step.ref).fields.get("rating")
            for unit in step.data.get("co_units", ()):
                self.states[f"{step.ref}/{unit}"] = "assigned"
                self.spawned += 1
        self.states[step.ref] = fired.to_state
        if step.actor == SYSTEM_ACTOR.id:
            self.system += 1
        else:
            self.calls += 1
        self.last_at = max(self.last_at, at)
        return fired.to_state

    def _sweep(self, step: Step) -> str:
        """The item's reminders due by the step's time; a rule told again is one re-armed (its
        deadline moved, by an extension)."""
        report = sweep_item(self.runtime, step.ref, step.at)
        told = self.reminded.setdefault(step.ref, set())
        for action in report.actions:
            if action["recipients"]:
                self.reminders["sent"] += 1
                self.reminders["rearmed"] += action["rule"] in told
                told.add(action["rule"])
        self.system += report.events
        return self.states[step.ref]

    def summary(self, seed: int, cast: Cast) -> dict:
        items = self.fields
        children = {ref: state for ref, state in self.states.items() if "/" in ref}
        categories = Counter(fields["category"] for fields in items.values())
        classes = Counter(fields["result_class"] for fields in items.values() if fields.get("result_class"))
        ratings = Counter(fields["rating"] for fields in items.values() if fields.get("rating"))
        return {
            "seed": seed, "session": SESSION, "items": len(items), "co_tasks": len(children),
            "by_category": {name: categories[name] for name in CATEGORIES},
            "government_led": sum(1 for fields in items.values() if cast.is_government(fields.get("lead_unit", ""))),
            "by_state": dict(sorted(Counter(self.states[ref] for ref in items).items())),
            "co_task_states": dict(sorted(Counter(children.values()).items())),
            "by_result_class": {name: classes[name] for name in RESULT_CLASSES},
            "by_rating": {name: ratings[name] for name in (SATISFIED, BASICALLY, UNSATISFIED)},
            "fulfilled": sum(1 for fields in items.values() if fields.get("fulfilled")),
            "reminders": {"sent": self.reminders["sent"], "rearmed": self.reminders["rearmed"]},
            "events": self.calls, "trace_rows": self.calls + self.spawned + self.system, "last_event_at": self.last_at,
        }
