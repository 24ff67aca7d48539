"""会办 and 分办 in the annual report: how many items were handled each way, the co-units'
opinions given to 会办 items, and for 分办 each unit's own part (a child item with its own
reply and rating): its replies, on time or late, and the deputy's ratings of them.

Counted from the child items' traces up to the report's instant, as every figure is. A part
counts its replies (a re-handled part replies twice), each judged against the deadline in
force when it came, and its latest rating (after re-handling, the second). The parts' replies
and ratings are counted apart from the items' figures (the on-time and satisfaction rates
count each item once, by its lead unit's reply and the rating of that reply).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from banli.engine.projection import Projection, Projector
from banli.reports.metrics import BASICALLY, RATING_KINDS, SATISFIED, UNSATISFIED, SessionFacts
from banli.reports.replay import deadline_after
from banli.store.ledger_queries import TracedItem, unit_names
from banli.store.part_queries import child_traces

JOINT, SPLIT = "会办", "分办"
REPLY, OPINION = "reply", "submit_opinion"


@dataclass(frozen=True, kw_only=True)
class Part:
    """One unit's own part of a 分办 item, as its trace establishes it at the instant."""

    parent: str
    unit: str
    unit_name: str
    state: str
    replies: tuple[bool, ...]  # each reply, in order: whether it came by its deadline
    latest_rating: str  # a rating kind (metrics.SATISFIED …), "" when not rated
    released: bool  # the unit was released from it (final without a reply)
    open_overdue: bool  # waiting for its reply past the deadline


@dataclass(frozen=True, kw_only=True)
class PartsSummary:
    joint: int  # items handled by 会办
    split: int  # items handled by 分办
    opinions: int  # co-unit opinions given to 会办 items
    parts: tuple[Part, ...]

    @property
    def replies(self) -> int:
        return sum(len(part.replies) for part in self.parts)

    @property
    def on_time(self) -> int:
        return sum(sum(part.replies) for part in self.parts)

    @property
    def late(self) -> int:
        return self.replies - self.on_time

    @property
    def ratings(self) -> Counter:
        return Counter(part.latest_rating for part in self.parts if part.latest_rating)

    def to_json(self) -> dict:
        ratings = self.ratings
        return {"joint": self.joint, "split": self.split, "opinions": self.opinions, "parts": len(self.parts),
                "released": sum(part.released for part in self.parts), "replies": self.replies,
                "on_time": self.on_time, "late": self.late,
                "open_overdue": sum(part.open_overdue for part in self.parts),
                "rated": sum(ratings.values()), **{kind: ratings[kind] for kind in (SATISFIED, BASICALLY, UNSATISFIED)}}


def summarise(store, facts: SessionFacts) -> PartsSummary:
    """The session's 会办 and 分办 items (assigned by the instant) and their child items."""
    assigned = [item for item in facts.items if item.assigned]
    modes = {item.row.ref: item.mode for item in assigned if item.mode in (JOINT, SPLIT)}
    children = child_traces(store, list(modes)) if modes else {}
    names = unit_names(store)
    projector = Projector(lambda def_hash: store.workflows.by_hash(def_hash).definition)
    opinions, parts = 0, []
    for ref, mode in modes.items():
        for child in children.get(ref, ()):
            if mode == JOINT:
                opinions += _opinions(child, facts.as_of)
            elif (part := _part(store, projector, ref, child, facts.as_of, names)) is not None:
                parts.append(part)
    counts = Counter(modes.values())
    return PartsSummary(joint=counts[JOINT], split=counts[SPLIT], opinions=opinions, parts=tuple(parts))


def _opinions(child: TracedItem, as_of: datetime) -> int:
    return sum(row.event == OPINION and datetime.fromisoformat(row.occurred_at) <= as_of for row in child.rows)


def _part(store, projector: Projector, parent: str, child: TracedItem, as_of: datetime,
          names: dict[str, str]) -> Part | None:
    """The part replayed up to `as_of`; None if it was not made by then, or runs a workflow
    without a reply event (not a part the unit answers itself)."""
    projection, deadline, replies, last = Projection(), None, [], None
    for row in child.rows:
        at = datetime.fromisoformat(row.occurred_at)
        if at > as_of:
            break
        projector.apply(projection, row.seq, row.event, row.to_state, row.text, row.def_hash)
        if row.event == REPLY:
            replies.append(deadline is None or at <= deadline)
        deadline = deadline_after(row, deadline)
        last = row
    if last is None:
        return None
    workflow = store.workflows.by_hash(last.def_hash)
    reply = workflow.definition.events.get(REPLY)
    if reply is None:
        return None
    final = projection.state in workflow.final_states
    unit = str(projection.fields.get("lead_unit") or "")
    return Part(parent=parent, unit=unit, unit_name=names.get(unit, unit), state=projection.state,
                replies=tuple(replies), latest_rating=RATING_KINDS.get(str(projection.fields.get("rating") or ""), ""),
                released=final and not replies,
                open_overdue=projection.state in reply.sources and deadline is not None and deadline < as_of)


def text(summary: PartsSummary) -> str:
    """The report's paragraph on 会办 and 分办 ("" when the session had neither)."""
    if not summary.joint and not summary.split:
        return ""
    said = []
    if summary.joint:
        said.append(f"会办的建议{summary.joint}件，协办单位向主办单位提出协办意见{summary.opinions}份，"
                    "主办单位在各协办单位提出意见后统一答复代表，答复中附各协办单位的意见")
    if summary.split:
        parts = summary.parts
        released = sum(part.released for part in parts)
        sentence = (f"分办的建议{summary.split}件，除主办单位答复其承办部分外，另交分办单位办理{len(parts)}件"
                    + (f"（其中{released}件经审核退回）" if released else "")
                    + f"，各分办单位分别答复代表{summary.replies}次，其中按期{summary.on_time}次、逾期{summary.late}次")
        still = sum(part.open_overdue for part in parts)
        sentence += f"，另有{still}件超过期限尚未答复" if still else ""
        ratings = summary.ratings
        if ratings:
            sentence += (f"；代表对分办答复作出评价{sum(ratings.values())}件，满意{ratings[SATISFIED]}件、"
                         f"基本满意{ratings[BASICALLY]}件、不满意{ratings[UNSATISFIED]}件")
        said.append(sentence)
    closing = ("。分办件的答复按次、评价按件（重新办理的以再次评价为准）单独统计，不计入上文按建议件数计算的按期答复率和代表满意率，"
               "后者只计主办单位的答复及代表对它的评价。") if summary.split else "。"
    return "；".join(said) + closing
