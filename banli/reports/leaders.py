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
from banli.i18n import _, ngettext
from banli.reports.document import Block, Heading, Paragraph, Table
from banli.reports.metrics import SessionFacts

KEY = "key"  # the well-known flag of a key suggestion (npc-suggestion's 重点建议)


@dataclass(frozen=True, kw_only=True)
class KeyItem:
    ref: str
    title: str
    leaders: tuple[str, ...]  # the county leaders' names (none when marked key without one)
    unit: str  # the lead unit's name
    state: str
    result_class: str  # "" when not classified
    rating: str  # "" when not rated
    actions: int  # the leader's own events on it (instructions, supervision) by the instant

    @property
    def leader(self) -> str:
        """The leaders' names as the JSON report gives them, the same in every language."""
        return "、".join(self.leaders)

    @property
    def result(self) -> str:
        """Result class and rating, as far as there are any, as the JSON report gives them
        ("B类，满意"), the same in every language: scripts read it."""
        return "，".join(part for part in (f"{self.result_class}类" if self.result_class else "", self.rating) if part)

    def to_json(self) -> dict:
        return {"ref": self.ref, "title": self.title, "leader": self.leader, "unit": self.unit, "state": self.state,
                "result": self.result, "actions": self.actions}


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
        return {"key": [item.to_json() for item in self.key],
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
                key.append(KeyItem(ref=row.ref, title=row.title, leaders=tuple(names.get(who, who) for who in leaders),
                                   unit=row.lead_unit_name, state=row.state_label, result_class=row.result_class or "",
                                   rating=row.rating or "", actions=_actions(tx, row.ref, leaders, facts.as_of)))
            links = [str(ref) for name, spec in definition.fields.items() if spec.type == "items"
                     for ref in item.fields.get(name) or []]
            if links:
                repeated.append(RepeatedItem(ref=row.ref, title=row.title, unit=row.lead_unit_name,
                                             state=row.state_label,
                                             earlier=tuple(history(tx, store.workflows, links, row.ref))))
    return LeadersSummary(key=tuple(key), repeated=tuple(repeated))


def result_text(result_class: str, rating: str) -> str:
    """The result class and rating a document shows ("" when neither)."""
    if result_class and rating:
        return _("class {result_class}, {rating}").format(result_class=result_class, rating=rating)
    return _("class {result_class}").format(result_class=result_class) if result_class else rating


def _actions(tx, ref: str, leaders: list[str], as_of: datetime) -> int:
    """The events the item's leaders fired on it by `as_of` (their instructions, supervision)."""
    if not leaders:
        return 0
    record = tx.item(ref)
    rows = tx.trace(record.id) if record else []
    return sum(row["actor"] in leaders and datetime.fromisoformat(row["occurred_at"]) <= as_of for row in rows)


def blocks(summary: LeadersSummary | None) -> list[Block]:
    """The two sub-sections (五 and 六) of “办理工作的主要做法”, when the session has such items."""
    if summary is None:
        return []
    result: list[Block] = []
    if summary.key:
        count, led = len(summary.key), sum(bool(item.leaders) for item in summary.key)
        figures = {"count": count, "led": led, "actions": sum(item.actions for item in summary.key),
                   "answered": sum(bool(item.result_class or item.rating) for item in summary.key)}
        if led == count:
            text = ngettext(
                "{count} key suggestion was handled under the “head in charge” responsibility, led and supervised by "
                "the county leader in charge (instructions and supervision by county leaders: {actions}; answered: "
                "{answered}): truly “one suggestion, one team, followed through to the end”.",
                "{count} key suggestions were handled under the “head in charge” responsibility, all led and supervised "
                "by the county leaders in charge (instructions and supervision by county leaders: {actions}; answered: "
                "{answered}): truly “one suggestion, one team, followed through to the end”.", count)
        elif led:
            text = ngettext(
                "{count} key suggestion was handled under the “head in charge” responsibility, {led} of them led and "
                "supervised by the county leader in charge (instructions and supervision by county leaders: {actions}; "
                "answered: {answered}): truly “one suggestion, one team, followed through to the end”.",
                "{count} key suggestions were handled under the “head in charge” responsibility, {led} of them led and "
                "supervised by the county leaders in charge (instructions and supervision by county leaders: {actions}; "
                "answered: {answered}): truly “one suggestion, one team, followed through to the end”.", count)
        else:
            text = ngettext(
                "{count} key suggestion was handled under the “head in charge” responsibility (instructions and "
                "supervision by county leaders: {actions}; answered: {answered}): truly “one suggestion, one team, "
                "followed through to the end”.",
                "{count} key suggestions were handled under the “head in charge” responsibility (instructions and "
                "supervision by county leaders: {actions}; answered: {answered}): truly “one suggestion, one team, "
                "followed through to the end”.", count)
        rows = tuple((item.ref, item.title, _(", ").join(item.leaders) or "—", item.unit or "—", item.state,
                      result_text(item.result_class, item.rating) or "—", item.actions) for item in summary.key)
        result += [Heading(text=_("(5) Key suggestions, led by county leaders."), level=2),
                   Paragraph(text=text.format(**figures)),
                   Table(caption=_("Table 4-1  Key suggestions"),
                         headers=(_("Number"), _("Suggestion"), _("County leader in charge"), _("Lead unit"),
                                  _("Handling state"), _("Result"), _("Instructions and supervision")),
                         rows=rows, unbroken=(0,))]
    if summary.repeated:
        times = sum(len(item.earlier) for item in summary.repeated)
        text = ngettext("{count} suggestion made again and again over the years (times made in earlier sessions: "
                        "{times}) was pushed as a priority, compared with how earlier sessions handled it, and followed up.",
                        "{count} suggestions made again and again over the years (times made in earlier sessions: "
                        "{times}) were pushed as a priority, each compared with how earlier sessions handled it, and "
                        "followed up.", len(summary.repeated)).format(count=len(summary.repeated), times=times)
        rows = tuple((item.ref, item.title, item.times, _earlier_texts(item.earlier) or "—", item.unit or "—",
                      item.state) for item in summary.repeated)
        result += [Heading(text=_("(6) Suggestions made again, resolved as a priority."), level=2),
                   Paragraph(text=text),
                   Table(caption=_("Table 4-2  Suggestions made again"),
                         headers=(_("Number"), _("Suggestion"), _("Times made"), _("Earlier sessions' handling"),
                                  _("Lead unit"), _("Handling state")),
                         rows=rows, unbroken=(0, 2))]
    return result


def _earlier_texts(entries: tuple[dict, ...]) -> str:
    text = ""
    for entry in entries:
        said = _earlier_text(entry)
        text = _("{earlier}; {later}").format(earlier=text, later=said) if text else said
    return text


def _earlier_text(entry: dict) -> str:
    facts = {"ref": entry["ref"], "session": entry["session"] or _("session unknown"), "state": entry["state_label"],
             "result": result_text(entry["result_class"], entry["rating"])}
    return (_("{ref} ({session}, {state}, {result})") if facts["result"] else
            _("{ref} ({session}, {state})")).format(**facts)
