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
from banli.i18n import _, ngettext
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
        said.append(ngettext("Suggestions handled jointly: {joint}; the co-units gave the lead units {opinions} opinion, "
                             "and each lead unit answered the deputy once all its co-units had given theirs, attaching "
                             "their opinions to the reply",
                             "Suggestions handled jointly: {joint}; the co-units gave the lead units {opinions} opinions, "
                             "and each lead unit answered the deputy once all its co-units had given theirs, attaching "
                             "their opinions to the reply", summary.opinions).format(joint=summary.joint,
                                                                                      opinions=summary.opinions))
    if summary.split:
        parts = summary.parts
        released = sum(part.released for part in parts)
        sentence = ngettext("Suggestions split between units: {split}; besides the lead units' own parts, {parts} part "
                            "went to another unit",
                            "Suggestions split between units: {split}; besides the lead units' own parts, {parts} parts "
                            "went to other units", len(parts)).format(split=summary.split, parts=len(parts))
        if released:
            sentence = _("{parts} ({released} of them released on review)").format(parts=sentence, released=released)
        sentence = ngettext("{parts}, which answered the deputies {replies} time themselves: {on_time} on time, {late} late",
                            "{parts}, which answered the deputies {replies} times themselves: {on_time} on time, {late} late",
                            summary.replies).format(parts=sentence, replies=summary.replies, on_time=summary.on_time,
                                                    late=summary.late)
        still = sum(part.open_overdue for part in parts)
        if still:
            sentence = ngettext("{parts}, and {still} part is past its deadline without a reply",
                                "{parts}, and {still} parts are past their deadline without a reply",
                                still).format(parts=sentence, still=still)
        ratings = summary.ratings
        if ratings:
            sentence = _("{parts}; the deputies rated the split parts' replies {rated} times: satisfied {satisfied}, "
                         "basically satisfied {basically}, not satisfied {unsatisfied}").format(
                parts=sentence, rated=sum(ratings.values()), satisfied=ratings[SATISFIED], basically=ratings[BASICALLY],
                unsatisfied=ratings[UNSATISFIED])
        said.append(sentence)
    handled = said[0] if len(said) == 1 else _("{earlier}. {later}").format(earlier=said[0], later=said[1])
    if not summary.split:
        return _("{handled}.").format(handled=handled)
    return _("{handled}. The split parts' replies (counted per reply) and ratings (per part, the second rating where "
             "a part was handled again) are counted apart: they are not in the on-time and satisfaction rates above, "
             "which count each suggestion once, by its lead unit's reply and the deputy's rating of that reply.").format(
        handled=handled)
