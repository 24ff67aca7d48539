"""Key suggestions and suggestions made again, in the annual report. A key suggestion (重点建议)
is one a county leader leads (分管县领导, named in a person field that holds a role, or marked
`key`): the seed's “一把手” responsibility, with the leader's instructions (批示) and
supervision counted from the trace. A suggestion made again (多次提议) links earlier items
(a field of type `items`): the report lists how often it was made and how each earlier one
ended. Both as of the report's instant; a paragraph and a table each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from banli.engine.related import history
from banli.reports.document import Block, Heading, Paragraph, Table
from banli.reports.metrics import ItemFacts, SessionFacts

KEY = "key"  # the well-known flag of a key suggestion (npc-suggestion's 重点建议)


@dataclass(frozen=True, kw_only=True)
class KeyItem:
    ref: str
    title: str
    leader: str  # the county leader's name ("" when marked key without one)
    unit: str  # the lead unit's name
    state: str
    result: str  # result class and rating, as far as there are any
    actions: int  # the leader's own events on it (instructions, supervision) by the instant


@dataclass(frozen=True, kw_only=True)
class RepeatedItem:
    ref: str
    title: str
    unit: str
    state: str
    earlier: tuple[dict, ...]  # related.history's entries: ref, session, state_label, result_class, rating

    @property
    def times(self) -> int:
        """How many times the suggestion was made, this one included."""
        return 1 + len(self.earlier)


@dataclass(frozen=True, kw_only=True)
class LeadersSummary:
    key: tuple[KeyItem, ...]
    repeated: tuple[RepeatedItem, ...]

    def to_json(self) -> dict:
        return {"key": [vars(item) for item in self.key],
                "repeated": [{**vars(item), "earlier": list(item.earlier), "times": item.times} for item in self.repeated]}


def summarise(store, facts: SessionFacts) -> LeadersSummary:
    """The session's key suggestions and suggestions made again, as of `facts.as_of`."""
    key, repeated = [], []
    definitions = {}
    with store.read() as tx:
        names = None
        for item in facts.items:
            row = item.row
            definition = definitions.get(row.workflow)
            if definition is None:
                definition = definitions[row.workflow] = store.workflows.get(row.workflow).definition
            roles = [name for name, spec in definition.fields.items() if spec.role and item.fields.get(name)]
            if roles or item.fields.get(KEY) is True:
                names = names if names is not None else {person.id: person.name for person in tx.people()}
                leaders = [str(item.fields[name]) for name in roles]
                key.append(KeyItem(ref=row.ref, title=row.title, leader="、".join(names.get(who, who) for who in leaders),
                                   unit=row.lead_unit_name, state=row.state_label, result=_result(item),
                                   actions=_actions(tx, row.ref, leaders, facts.as_of)))
            links = [str(ref) for name, spec in definition.fields.items() if spec.type == "items"
                     for ref in item.fields.get(name) or []]
            if links:
                repeated.append(RepeatedItem(ref=row.ref, title=row.title, unit=row.lead_unit_name,
                                             state=row.state_label,
                                             earlier=tuple(history(tx, store.workflows, links, row.ref))))
    return LeadersSummary(key=tuple(key), repeated=tuple(repeated))


def _result(item: ItemFacts) -> str:
    row = item.row
    return "，".join(part for part in (f"{row.result_class}类" if row.result_class else "", row.rating) if part)


def _actions(tx, ref: str, leaders: list[str], as_of: datetime) -> int:
    """The events the item's leaders fired on it by `as_of` (their instructions, supervision)."""
    if not leaders:
        return 0
    record = tx.item(ref)
    rows = tx.trace(record.id) if record else []
    return sum(row["actor"] in leaders and datetime.fromisoformat(row["occurred_at"]) <= as_of for row in rows)


def blocks(summary: LeadersSummary | None, numbers: tuple[str, str] = ("五", "六")) -> list[Block]:
    """The two sub-sections of “办理工作的主要做法”, when the session has such items."""
    if summary is None:
        return []
    result: list[Block] = []
    if summary.key:
        led = [item for item in summary.key if item.leader]
        answered = sum(bool(item.result) for item in summary.key)
        text = (f"对{len(summary.key)}件重点建议实行“一把手”负责制，"
                + ("均由分管县领导领办督办，" if len(led) == len(summary.key) else
                   f"其中{len(led)}件由分管县领导领办督办，" if led else "")
                + f"分管县领导批示、督办{sum(item.actions for item in summary.key)}次，"
                + f"已答复{answered}件，真正做到“一个建议、一套班子、一抓到底”。")
        rows = tuple((item.ref, item.title, item.leader or "—", item.unit or "—", item.state, item.result or "—",
                      item.actions) for item in summary.key)
        result += [Heading(text=f"（{numbers[0]}）重点建议，领导领办。", level=2), Paragraph(text=text),
                   Table(caption="表4-1  重点建议办理情况", headers=("编号", "建议", "分管县领导", "主办单位", "办理状态", "办理结果",
                                                          "批示督办次数"), rows=rows, unbroken=(0,))]
    if summary.repeated:
        times = sum(len(item.earlier) for item in summary.repeated)
        text = (f"对多年反复提出的{len(summary.repeated)}件建议（往届共提出{times}次）作为重点推动解决，"
                "逐件对照往届办理情况，跟踪落实。")
        rows = tuple((item.ref, item.title, item.times, "；".join(_earlier_text(entry) for entry in item.earlier) or "—",
                      item.unit or "—", item.state) for item in summary.repeated)
        result += [Heading(text=f"（{numbers[1]}）多次提议，重点解决。", level=2), Paragraph(text=text),
                   Table(caption="表4-2  多次提议的建议", headers=("编号", "建议", "提出次数", "往届办理情况", "主办单位", "办理状态"),
                         rows=rows, unbroken=(0, 2))]
    return result


def _earlier_text(entry: dict) -> str:
    ended = "，".join(part for part in (f"{entry['result_class']}类" if entry["result_class"] else "", entry["rating"])
                     if part)
    return f"{entry['ref']}（{entry['session'] or '届次不详'}，{entry['state_label']}" + (f"，{ended}" if ended else "") + "）"
