"""The demo year's look-back (回头看), 19 September to 19 October 2022, as the seed tells it:
every handled suggestion is looked at again, by its kind. An unsatisfied one is handled
again (责成重新办理) and a basically satisfied one is talked over with the deputy again
(再次沟通): the outcome reopens the item, and its story carries on to a new rating."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from banli.demo.cast import Cast
from banli.demo.suggestion import BASICALLY, SATISFIED, SESSION, UNSATISFIED, Plan, Step, reply_again
from banli.demo.timeline import ZONE, Cursor
from banli.engine.campaign_outcomes import kind_of
from banli.engine.campaigns import open_campaign
from banli.engine.runtime import Runtime
from banli.engine.times import from_utc_text

OPENS = datetime(2022, 9, 19, 9, 0, tzinfo=ZONE)  # the seed's 回头看: 19 September …
ENDS = datetime(2022, 10, 19, 17, 0, tzinfo=ZONE)  # … to 19 October 2022
SUGGESTION = "npc-suggestion"


def look_back(store, runtime: Runtime, rng: random.Random, cast: Cast, plans: dict[str, Plan],
              play: Callable[[Step], str]) -> tuple[dict, int]:
    """Open the look-back and tell each selected item's part in it through `play` (which fires
    a step and returns the state it left the item in); returns the outcomes counted and the
    trace rows the system wrote (each item's selection, and each reopening)."""
    report = open_campaign(runtime, "lookback", session=SESSION, at=OPENS)
    campaign = store.workflows.get(SUGGESTION).definition.campaigns["lookback"]
    outcomes: Counter = Counter()
    system_rows = report["selected"]
    for ref in report["items"]:
        with store.read() as tx:
            item = tx.item(ref)
            kind = kind_of(tx, campaign, item.id)
        plan, staff = plans[ref], cast.staff[item.fields["lead_unit"]]
        deputy = cast.deputy_person[plan.deputies[0]]
        cursor = Cursor(rng, max(from_utc_text(item.last_at).astimezone(ZONE), OPENS))
        outcome = _outcome(rng, kind, item.fields, item.state)
        steps = _Steps(ref, cursor, play)
        if outcome == "已再次沟通":
            steps.add(cursor.between(OPENS.date(), ENDS.date() - timedelta(days=5)), "contact", staff.handler, {
                "method": "face_to_face", "stage": "after", "note": "回头看：与代表重新见面沟通，通报最新进展，共商良策"})
        # within the month where the item's story allows, else shortly after its latest event
        state = steps.add(cursor.between(OPENS.date(), ENDS.date()), "lookback_result", staff.handler,
                          {"lookback_outcome": outcome})
        outcomes[outcome] += 1
        if campaign.follow_up(outcome):
            system_rows += 1
        if state == "rehandling":
            steps.add(cursor.after(2, 8), "contact", staff.handler,
                      {"method": "face_to_face", "stage": "during", "note": "回头看责成重新办理，当面听取代表意见"})
            steps.add(cursor.after(10, 25), "reply", staff.handler, reply_again(plan, cast, rng))
            state = steps.add(cursor.after(1, 3), "accept_reply", rng.choice(cast.supervisors),
                              {"note": "回头看重新办理答复，同意送达代表"})
        if state in ("awaiting_final_feedback", "awaiting_feedback"):
            rating = _rating_again(rng, str(item.fields.get("rating")))
            state = steps.add(cursor.after(3, 12, workday=False, office=False),
                              "rate_again" if state == "awaiting_final_feedback" else "rate", deputy, rating)
        if state == "fulfilling" and item.state != "fulfilling":  # reopened, rated again: its promise kept
            steps.add(cursor.after(5, 20), "fulfil", staff.handler, {"evidence": "回头看后承诺事项已再次核实，落实到位"})
    return dict(outcomes.most_common()), system_rows


class _Steps:
    """One item's steps in the look-back, played as they are placed."""

    def __init__(self, ref: str, cursor: Cursor, play: Callable[[Step], str]) -> None:
        self.ref, self.cursor, self.play = ref, cursor, play

    def add(self, at: datetime, event: str, actor: str, data: dict) -> str:
        return self.play(Step(at=at, ref=self.ref, event=event, actor=actor, data=data))


def _outcome(rng: random.Random, kind: str | None, fields: dict, state: str) -> str:
    """What the unit finds, by the item's kind: an unsatisfied C-class item is handled again
    (its problem unsolved, its class stays), a basically satisfied one talked over again."""
    if kind == UNSATISFIED:
        return "责成重新办理" if fields.get("result_class") == "C" else "已解释到位"
    if kind == BASICALLY:
        return "已再次沟通"
    if kind == "B类":
        if state == "fulfilling":
            return rng.choices(["按期推进", "进度滞后"], [85, 15])[0]
        return "已落实"
    if kind == "C类":
        return "仍不具备条件"
    return "已落实"


def _rating_again(rng: random.Random, before: str) -> dict:
    """The deputy's new rating: a basically satisfied one is mostly won over; an unsatisfied
    one, handled again within the same limits, stays unsatisfied but understands why."""
    if before == UNSATISFIED:
        return {"rating": UNSATISFIED, "comment": "重新办理态度诚恳，理解客观条件限制，希望条件成熟时尽快解决"}
    rating = SATISFIED if rng.random() < 0.7 else BASICALLY
    return {"rating": rating, "comment": "再次沟通后对办理工作表示满意" if rating == SATISFIED else "希望持续推进"}
