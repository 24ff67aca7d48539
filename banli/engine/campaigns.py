"""Campaigns (SPEC §7 `campaigns`): a dated review over a selection of items, such as the
look-back (回头看).

Opening a campaign selects the items its `select` rules match, gives each a task with a
due date (whose reminders the sweep handles), and fires the campaign's event on it as
`system` — one transaction per item, so opening again, or after a crash half-way, selects
each item once. The first selection an item matches gives its kind (recorded in the data
`kind` of the campaign's event). The `result` event records each item's outcome in the
`outcome` field, one its kind allows, and may make the system fire a follow-up event
(`then`, banli/engine/campaign_outcomes.py) that reopens the item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from banli.engine.campaign_keys import KIND_KEY
from banli.engine.campaign_outcomes import kind_of
from banli.engine.compile import matches
from banli.engine.expressions import TraceCounts
from banli.engine.model import Campaign, Selector
from banli.engine.records import SYSTEM_ACTOR
from banli.engine.runtime import Runtime
from banli.engine.times import from_utc_text, utc_text
from banli.errors import NotFound
from banli.i18n import _


def open_campaign(runtime: Runtime, name: str, *, session: str | None, at: datetime, by: str = "system",
                  stop_after: int | None = None) -> dict:
    """Open campaign `name` for `session` (every session found, if None) as of `at`."""
    store = runtime.store
    workflows = [wf for wf in store.workflows.latest() if name in wf.definition.campaigns]
    if not workflows:
        raise NotFound(_("no workflow defines a campaign '{name}'; see 'banli workflow show'").format(name=name))
    report = {"campaign": name, "session": session, "at": at.isoformat(), "selected": 0, "already": 0, "items": [],
              "by_kind": {}}
    states = {selector.state for wf in workflows for selector in wf.definition.campaigns[name].select}
    opened: dict[tuple[str, str], tuple[int, str | None]] = {}
    done = 0
    # an item that entered its state after `at` was not in it then: not selected as of `at`
    for ref, definition_id, state, fields in store.campaign_candidates([wf.definition.id for wf in workflows],
                                                                       states, utc_text(at)):
        item_session = str(fields.get("session", ""))
        if session is not None and item_session != session:
            continue
        workflow = store.workflows.by_id(definition_id)
        campaign = workflow.definition.campaigns.get(name)
        selector = _selector(store, campaign, ref, state, fields) if campaign is not None else None
        if selector is None:
            continue
        key = (workflow.definition.id, item_session)
        if key not in opened:
            due = utc_text(workflow.after(at, campaign.due)[0]) if campaign.due else None
            opened[key] = (store.open_campaign_row(name=name, workflow_id=key[0], session=key[1],
                                                   label=str(campaign.label), opened_at=utc_text(at), due_at=due,
                                                   by=by)[0], due)
        campaign_id, due = opened[key]
        if stop_after is not None and done >= stop_after:
            break
        with store.write() as tx:
            item = tx.item(ref)
            if not tx.add_task(campaign_id, item.id, utc_text(at), due):
                report["already"] += 1
                continue
            runtime.fire_in(tx, ref, campaign.fire, SYSTEM_ACTOR, _data(workflow, campaign, name, selector),
                            max(at, from_utc_text(item.last_at)))
        done += 1
        report["selected"] += 1
        report["items"].append(ref)
        if selector.kind:
            report["by_kind"][selector.kind] = report["by_kind"].get(selector.kind, 0) + 1
    return report


def _selector(store, campaign, ref: str, state: str, fields: dict) -> Selector | None:
    """The first of the campaign's selections that takes the item (it gives the item's kind);
    its trace is read only for a selection whose expression uses count()."""
    for selector in campaign.select:
        if selector.state != state:
            continue
        if not getattr(selector.when, "uses_count", False):
            if matches(selector.when, fields):
                return selector
            continue
        with store.read() as tx:
            if matches(selector.when, fields, TraceCounts(tx, tx.item(ref).id)):
                return selector
    return None


def _data(workflow, campaign: Campaign, name: str, selector: Selector) -> dict:
    """The campaign's event data: its name and the item's kind, for an event that takes them."""
    event = workflow.definition.events[campaign.fire]
    data = {"campaign": name} if event.data_spec("campaign") is not None else {}
    if selector.kind and event.data_spec(KIND_KEY) is not None:
        data[KIND_KEY] = selector.kind
    return data


def summarise(store, name: str | None = None, session: str | None = None, as_of: datetime | None = None) -> list[dict]:
    """Progress of each campaign as of `as_of` (default: all there is): totals, per unit, per
    outcome, overdue tasks. A campaign opened after `as_of` is not there yet, and a task whose
    outcome was recorded after it is still open."""
    as_of_text = utc_text(as_of) if as_of else None
    summaries = []
    for entry in store.campaign_status(name, session):
        campaign = entry["campaign"]
        if as_of_text and campaign["opened_at"] > as_of_text:
            continue
        tasks = [{**task, "outcome": task["outcome"] if not as_of_text or (task["outcome_at"] or "") <= as_of_text
                  else None} for task in entry["tasks"]]
        per_unit: dict[str, Counter] = defaultdict(Counter)
        for task in tasks:
            unit = task["lead_unit"] or "-"
            per_unit[unit]["selected"] += 1
            per_unit[unit]["done" if task["outcome"] else "open"] += 1
            if not task["outcome"] and as_of_text and task["due_at"] and task["due_at"] < as_of_text:
                per_unit[unit]["overdue"] += 1
        outcomes = Counter(task["outcome"] for task in tasks if task["outcome"])
        definition = store.workflows.get(campaign["workflow_id"]).definition.campaigns.get(campaign["name"])
        summaries.append({
            "name": campaign["name"], "label": campaign["label"], "workflow": campaign["workflow_id"],
            "session": campaign["session"], "opened_at": campaign["opened_at"], "due_at": campaign["due_at"],
            "selected": len(tasks), "done": sum(1 for t in tasks if t["outcome"]),
            "open": sum(1 for t in tasks if not t["outcome"]),
            "by_outcome": dict(outcomes.most_common()),
            "by_unit": {unit: dict(counts) for unit, counts in sorted(per_unit.items())},
            "open_items": [t["ref"] for t in tasks if not t["outcome"]],
            "by_kind": _by_kind(store, definition, tasks) if definition else {},
            "reopened": {outcome: count for outcome, count in outcomes.items()
                         if definition and definition.follow_up(outcome)},
        })
    return summaries


def _by_kind(store, campaign: Campaign, tasks: list[dict]) -> dict[str, dict]:
    """Per kind of item (the kind the campaign recorded when it selected each), in the order of
    the selections: how many were selected, how many have an outcome and how many an outcome
    that fires an event (`then`: reopened)."""
    if not any(selector.kind for selector in campaign.select):
        return {}
    counts: dict[str, Counter] = defaultdict(Counter)
    with store.read() as tx:
        for task in tasks:
            kind = kind_of(tx, campaign, tx.item(task["ref"]).id) or "-"
            counts[kind]["selected"] += 1
            counts[kind]["done"] += bool(task["outcome"])
            counts[kind]["reopened"] += bool(task["outcome"] and campaign.follow_up(task["outcome"]))
    order = list(dict.fromkeys(selector.kind for selector in campaign.select if selector.kind))
    return {kind: dict(counts[kind]) for kind in sorted(counts, key=lambda k: (order + [k]).index(k))}
