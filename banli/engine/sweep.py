"""The reminder sweep: one pass over the items whose next reminder is due.

The database finds the due items through one partial index (`next_due_at`, `ref`). Each
item is taken in the transaction that handles it — the next due one after the last this
worker took, skipping any another worker holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL) — so
several workers share the work without queueing behind each other. In that transaction every
rule of its state that fell due is marked done (unique per item, state entry and rule), its
notifications are written to the outbox and its event, if any, is fired as `system` — all or
nothing. A second sweep, or one after a crash half-way, finds the rules marked and does
nothing twice. An item whose next reminder moved back behind the cursor waits for the next sweep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from banli.engine.model import GLOBAL_ROLES
from banli.engine.records import SYSTEM_ACTOR, ItemRecord
from banli.engine.reminders import has_task_reminders, is_campaign_key, next_due, schedule
from banli.engine.runtime import MAX_ATTEMPTS, Retry, Runtime
from banli.engine.times import from_utc_text, local_text, utc_text
from banli.errors import Conflict, InvalidInput

KIND_LABELS = {"before": "即将到期", "overdue": "已逾期"}
_MICROSECOND = timedelta(microseconds=1)


@dataclass
class SweepReport:
    as_of: str
    dry_run: bool
    items: int = 0
    actions: list[dict] = field(default_factory=list)
    notifications: int = 0
    events: int = 0

    def as_json(self) -> dict:
        return {"as_of": self.as_of, "dry_run": self.dry_run, "items": self.items, "reminders": len(self.actions),
                "notifications": self.notifications, "events": self.events, "actions": self.actions}


def sweep(runtime: Runtime, as_of: datetime, *, dry_run: bool = False, limit: int | None = None,
          stop_after: int | None = None) -> SweepReport:
    """Act on every reminder due by `as_of`. `stop_after` ends the pass after that many items
    (what a crash half-way looks like, for tests)."""
    if not dry_run and as_of > runtime.now():
        raise InvalidInput("--as-of is in the future: reminders are only acted on once they are due "
                           "(use --dry-run to see what will fall due)")
    report = SweepReport(as_of=as_of.isoformat(), dry_run=dry_run)
    if dry_run:
        for ref in runtime.store.due_refs(utc_text(as_of), limit):
            with runtime.store.read() as tx:
                report.actions.extend(_sweep_item(runtime, tx, ref, as_of, True, None)[0])
            report.items += 1
        return report
    people = None  # read once, on the first notification of this sweep
    cursor = ("", "")  # (next_due_at, ref) of the last item this worker took
    while (stop_after is None or report.items < stop_after) and (limit is None or report.items < limit):
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with runtime.store.write() as tx:
                    claimed = tx.claim_next_due(utc_text(as_of), *cursor)
                    if claimed is None:
                        return report
                    people = people or tx.people()
                    actions, notified, fired = _sweep_item(runtime, tx, claimed[1], as_of, False, people)
                break
            except Retry:
                continue
        else:
            raise Conflict(f"{claimed[1]} kept changing during the sweep; run it again")
        cursor = claimed
        report.items += 1
        report.actions.extend(actions)
        report.notifications += notified
        report.events += fired
    return report


def _sweep_item(runtime: Runtime, tx, ref: str, as_of: datetime, dry_run: bool,
                people) -> tuple[list[dict], int, int]:
    item = tx.claim(ref)
    if item is None:  # another worker is sweeping it right now
        return [], 0, 0
    workflow = runtime.store.workflow_by_id(item.definition_id)
    entry = item.entered_seq
    done = tx.done_rules(item.id, entry)
    tasks = tx.open_tasks(item.id) if has_task_reminders(workflow) else []
    actions, notified, fired = [], 0, 0
    for key, rule, due in schedule(workflow, item.state, item.deadline, tasks):
        if key in done or due > as_of:
            continue
        action = {"ref": ref, "rule": key, "kind": rule.kind, "offset": str(rule.offset),
                  "due": local_text(due, workflow.zone), "notify": list(rule.notify), "fire": rule.fire}
        actions.append(action)
        if dry_run:
            continue
        task = is_campaign_key(key)
        tx.mark_reminder(item.id, 0 if task else item.entered_seq, key, utc_text(due), utc_text(as_of), rule.fire)
        done.add(key)
        if rule.notify:
            notified += _notify(tx, people, workflow, item, key, rule, as_of, due if task else None)
        if rule.fire:
            last = from_utc_text(item.last_at)
            runtime.fire_in(tx, ref, rule.fire, SYSTEM_ACTOR, {}, max(as_of, last))
            fired += 1
            item = tx.item(ref)
            if item.entered_seq != entry:  # the event moved the item on: the old state's rules are moot
                break
    if not dry_run:
        item = tx.item(ref)
        tasks = tx.open_tasks(item.id) if has_task_reminders(workflow) else []
        tx.set_next_due(item.id, next_due(workflow, item.state, item.deadline,
                                          tx.done_rules(item.id, item.entered_seq), tasks))
    return actions, notified, fired


def _notify(tx, people, workflow, item: ItemRecord, key: str, rule, as_of: datetime,
            task_due: datetime | None) -> int:
    fields = item.fields
    found = []
    for role in rule.notify:
        if role == "lead_unit":
            found += people.with_role(role, units=[fields["lead_unit"]] if fields.get("lead_unit") else [])
        elif role == "co_unit":
            found += people.with_role(role, units=list(fields.get("co_units") or []))
        elif role == "own_deputy":
            found += people.with_role(role, deputies=tx.deputies(item.id))
        elif role in GLOBAL_ROLES:
            found += people.with_role(role)
    unique = list({person.id: person for person in found}.values())
    deadline = task_due or from_utc_text(item.deadline)
    last_day = (deadline - _MICROSECOND).astimezone(workflow.zone)  # 24:00 ends the day before
    due_text = f"{last_day.year}年{last_day.month}月{last_day.day}日"
    kind = KIND_LABELS[rule.kind]
    subject = f"【{kind}】{item.ref} {item.title}" if task_due is None else f"【回访核查{kind}】{item.ref} {item.title}"
    state = workflow.label(item.state)
    lines = [f"{workflow.definition.title}：{item.ref}《{item.title}》",
             f"当前状态：{state}", f"{'办理期限' if task_due is None else '核查期限'}：{due_text}"]
    if rule.kind == "overdue":
        lines.append("该事项已超过办理期限，请抓紧办理并及时答复。")
    else:
        lines.append(f"该事项将于{due_text}到期，请按时办结。")
    lines.append("—— banli 办理系统")
    return tx.notify(cause=f"{item.ref}#{item.entered_seq}#{key}", people=unique, item=item, subject=subject,
                     body="\n".join(lines), at=utc_text(as_of))
