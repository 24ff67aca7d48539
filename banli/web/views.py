"""What a page shows of items, worked out from their JSON (`item show`, `item list`) and the
definition: labels, plain words for deputies, deadlines in workdays, the history, the forms
of the events one may fire now and why the others are blocked."""

from __future__ import annotations

from datetime import datetime

from banli.engine.model import SYSTEM
from banli.engine.records import OrgNames
from banli.engine.wording import event_text, field_text
from banli.i18n import N_, _
from banli.web.forms import event_form
from banli.web.render import due_text, key_label, local_day, value_text, workdays_left

SOON = 5  # workdays: an item due within them is "due soon" on a unit's home page
REPLY_EVENT = "reply"  # the well-known event whose data is the answer to the deputy (SPEC §7)
# where a suggestion stands, in a deputy's words; {lead} is the lead unit's name
PLAIN = {
    "registered": N_("We have received your suggestion and are registering it"),
    "sorted": N_("Under review"), "reviewed": N_("Under review"), "audited": N_("Under review"),
    "filed": N_("Accepted; it will soon be assigned to a handling unit"), "not_filed": N_("Not accepted"),
    "withdrawn": N_("You have withdrawn this suggestion"),
    "assigned": N_("Assigned to {lead}, waiting for them to sign for it"),
    "change_requested": N_("The handling unit has asked to hand it over; the supervision office is settling it"),
    "handling": N_("{lead} is handling it"),
    "replied": N_("{lead} has replied; the supervision office is reviewing the reply"),
    "awaiting_feedback": N_("{lead} has replied; please rate the reply"),
    "rehandling": N_("{lead} is handling it again, following your comments"),
    "awaiting_final_feedback": N_("Replied again after handling it again; please rate it once more"),
    "closed": N_("Handled and closed"),
}


def names(context) -> tuple[dict[str, str], dict[str, str]]:
    """(unit id → name, person id → name) of the organisation (read again every few seconds)."""
    def read() -> tuple[dict[str, str], dict[str, str]]:
        with context.store.read() as tx:
            org = tx.org_names()
            people = {person.id: person.name for person in tx.people()}
        return dict(org.units), people

    return context.recent("names", read)


def summary(context, item: dict, units: dict[str, str], now: datetime) -> dict:
    """One row of a list: the item's JSON with its state in words and its deadline in workdays."""
    workflow = context.latest(item["workflow"])
    days = workdays_left(workflow, item["deadline"], now)
    lead = item["fields"].get("lead_unit")
    return {**item, "lead_name": units.get(lead, lead or ""), "due_day": local_day(item["deadline"]),
            "workdays": days, "due_text": due_text(days, item["overdue"]), "final": item["state"] in workflow.final_states,
            "plain": plain_words(item, units)}


def awaits_deputy(context, item: dict) -> bool:
    """Whether the item waits for its deputy: its state is where an event of theirs comes up
    that is not open from the start (a rating, not a withdrawal)."""
    definition = context.latest(item["workflow"]).definition
    return any("own_deputy" in event.roles and item["state"] in event.sources and definition.initial not in event.sources
               for event in definition.events.values())


def plain_words(item: dict, units: dict[str, str]) -> str:
    lead = item["fields"].get("lead_unit")
    words = PLAIN.get(item["state"]) if item["workflow"] == "npc-suggestion" else None
    return _(words).format(lead=units.get(lead, _("the handling unit"))) if words else item["state_label"]


def item_page(context, caller, info: dict, answers: list[dict]) -> dict:
    """Everything the item page shows."""
    store, now = context.store, context.now()
    units, people = names(context)
    workflow = pinned(store, info["ref"])
    definition = workflow.definition
    org = OrgNames(deputies=(), units=units, people=people)
    fields = [(str(spec.label), field_text(spec, info["fields"][name], org))
              for name, spec in definition.fields.items() if info["fields"].get(name) not in (None, "", [])]
    forms, blocked, awaited = [], [], []  # awaited: the forms that come up later, not open from the start
    for answer in answers:
        event = definition.events.get(answer["event"])
        if event is None or event.roles == (SYSTEM,):
            continue
        if answer["allowed"]:
            forms.append(event_form(workflow, event, units, people))
            if definition.initial not in event.sources:
                awaited.append(forms[-1])
        elif info["state"] in event.sources and answer["blocked"] != "role":
            # possible in this state and one's own to fire, but held back (a guard, a closed window)
            blocked.append({"label": answer["label"], "reason": answer["reason"]})
    days = workdays_left(workflow, info["deadline"], now)
    return {
        "item": info, "fields": fields, "forms": forms, "awaited": awaited, "blocked": blocked, "units": units,
        "due_day": local_day(info["deadline"]), "due_text": due_text(days, info["overdue"]),
        "history": [history_row(row, workflow, people, units) for row in info["trace"]],
        "reply": latest_reply(info["trace"]), "plain": plain_words(info, units),
        "children": [summary(context, child, units, now) for child in info["children"]],
        "is_deputy": "deputy" in caller.actor.roles,
    }


def pinned(store, ref: str):
    """The version of its workflow the item runs on."""
    with store.read() as tx:
        item = tx.item(ref)
    return store.workflows.by_id(item.definition_id)


def history_row(row: dict, workflow, people: dict[str, str], units: dict[str, str]) -> dict:
    definition = workflow.definition
    data = []
    for key, value in row["data"].items():
        if row["event"] == "created" and key != "deputies":  # the title, content and fields are shown above
            continue
        if key == "deputies":
            data.append((_("Deputies"), value_text(value)))
            continue
        if key.startswith("@"):
            if key == "@deadline" and isinstance(value, dict) and value.get("due"):
                data.append((_("Deadline for handling"), local_day(value["due"])))
            continue
        data.append((_data_label(definition, row["event"], key), value_text(value, units)))
    return {"seq": row["seq"], "at": row["occurred_at"][:16].replace("T", " "),
            "event": event_text(workflow, row["event"]),
            "from": workflow.label(row["from"]) if row["from"] else "", "to": workflow.label(row["to"]),
            "moved": row["from"] != row["to"], "actor": people.get(row["actor"], _("System") if row["actor"] == SYSTEM else row["actor"]),
            "data": data, "hash": row["hash"], "prev_hash": row["prev_hash"]}


def latest_reply(trace: list[dict]) -> dict | None:
    replies = [row for row in trace if row["event"] == REPLY_EVENT]
    return {**replies[-1]["data"], "at": replies[-1]["occurred_at"][:10]} if replies else None


def _data_label(definition, event: str, key: str) -> str:
    """A data key's name for people: its field's label, the label its event gives it, or ours."""
    field = definition.fields.get(key)
    if field is not None:
        return str(field.label)
    spec = definition.events[event].data_spec(key) if event in definition.events else None
    return str(spec.label) if spec is not None and spec.label else key_label(key)


def _awaited(definition) -> set[str] | None:
    """The child workflows an item's events wait for (`children_done` guards naming a
    workflow: co-units' opinions, not the parts of a split item that reply on their own); None: every child."""
    named = set()
    for event in definition.events.values():
        for guard in event.guards:
            if guard.name == "children_done":
                workflow = guard.kwargs().get("workflow")
                if workflow is None:
                    return None
                named.add(workflow)
    return named


def unit_sections(context, caller, items: list[dict]) -> list[tuple[str, list[dict]]]:
    """A unit's items in the groups its clerk works through: to sign for, overdue, due soon,
    waiting for co-units, the rest in hand."""
    now = context.now()
    units, _people = names(context)
    mine = caller.actor.unit
    rows = [summary(context, item, units, now) for item in items]
    children: dict[str, list[dict]] = {}
    for row in rows:
        if "/" in row["ref"]:
            children.setdefault(row["ref"].rsplit("/", 1)[0], []).append(row)
    to_sign, overdue, soon, waiting, rest = [], [], [], [], []
    waits: dict[str, set[str] | None] = {}  # workflow → the child workflows its items wait for
    for row in rows:
        if row["final"] or row["fields"].get("lead_unit") != mine:
            continue
        workflow = context.latest(row["workflow"])
        sign_for = workflow.definition.events.get("sign_for")
        if row["workflow"] not in waits:
            waits[row["workflow"]] = _awaited(workflow.definition)
        awaited = waits[row["workflow"]]
        open_children = [child for child in children.get(row["ref"], [])
                         if not child["final"] and (awaited is None or child["workflow"] in awaited)]
        if sign_for and row["state"] in sign_for.sources:
            to_sign.append(row)
        elif row["overdue"]:
            overdue.append(row)
        elif row["workdays"] is not None and row["workdays"] <= SOON:
            soon.append(row)
        elif open_children:
            waiting.append({**row, "waiting_for": _(", ").join(child["lead_name"] for child in open_children)})
        else:
            rest.append(row)
    return [(_("To sign for"), to_sign), (_("Overdue"), overdue),
            (_("Due soon (within {count} workdays)").format(count=SOON), soon),
            (_("Waiting for co-units' opinions"), waiting), (_("In hand"), rest)]
