"""The reminder sweep: one pass over the items whose next reminder is due.

The database finds the due items through one partial index (`next_due_at`, `ref`). A sweep
takes them in batches, the next due ones after the last this worker took, skipping any
another worker holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so several workers share the
work without queueing behind each other. A batch is one transaction, committed once (one
sync to disk for up to `Store.sweep_batch` items, or as many as ~0.2 s allow); each item
in it is a savepoint: every time a rule of its state fell due is marked done (unique per item,
state entry and mark, the mark naming the rule, its repetition and the deadline it was for —
see `reminders`), its notifications are written to the outbox and its event, if any, is
fired as `system` — all or nothing. An item that fails is undone alone: the items before it
are committed, then its error is raised. A second sweep, or one after a crash half-way (which
loses the batch it was in), finds the rules marked and does nothing twice. An item whose next
reminder moved back behind the cursor waits for the next sweep.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from banli.engine.records import SYSTEM_ACTOR, ItemRecord
from banli.engine.reminders import earliest_pending, fallen_due, has_task_reminders, is_campaign_key, schedule
from banli.engine.model import ReminderKind
from banli.engine.notices import FOOTER, heading, reminder_text
from banli.engine.people import People
from banli.engine.roles import reached
from banli.engine.runtime import MAX_ATTEMPTS, Runtime
from banli.engine.times import from_utc_text, local_text, utc_text
from banli.errors import Conflict, InvalidInput, Retry
from banli.i18n import N_, _

KIND_LABELS = {ReminderKind.BEFORE: N_("due soon"), ReminderKind.OVERDUE: N_("overdue")}  # translated where shown
BATCH_SECONDS = 0.2  # how long a batch holds its locks (SQLite: the database's write lock) at most
_MICROSECOND = timedelta(microseconds=1)


@dataclass
class SweepReport:
    as_of: str
    dry_run: bool
    items: int = 0
    actions: list[dict] = field(default_factory=list)
    notifications: int = 0
    events: int = 0
    skipped: int = 0  # times marked done without telling anyone (see `_sweep_item`)

    def as_json(self) -> dict:
        return {"as_of": self.as_of, "dry_run": self.dry_run, "items": self.items, "reminders": len(self.actions),
                "notifications": self.notifications, "events": self.events, "skipped": self.skipped,
                "actions": self.actions}


@dataclass
class _Batch:
    """What one transaction of a sweep did, counted once it commits."""

    cursor: tuple[str, str]  # (next_due_at, ref) of the last item handled
    more: bool  # whether items may be due after the cursor
    items: int = 0
    actions: list[dict] = field(default_factory=list)
    notifications: int = 0
    events: int = 0
    skipped: int = 0
    failure: Exception | None = None  # an item's error, raised once the items before it are committed


def sweep(runtime: Runtime, as_of: datetime, *, dry_run: bool = False, limit: int | None = None,
          stop_after: int | None = None) -> SweepReport:
    """Act on every reminder due by `as_of`. `stop_after` ends the pass after that many items
    (what a crash half-way looks like, for tests)."""
    if not dry_run and as_of > runtime.now():
        raise InvalidInput(_("--as-of is in the future: reminders are only acted on once they are due "
                             "(use --dry-run to see what will fall due)"))
    report = SweepReport(as_of=as_of.isoformat(), dry_run=dry_run)
    if dry_run:  # what a sweep would do, counted as it counts: one notification a recipient, one event a rule
        refs = runtime.store.due_refs(utc_text(as_of), limit)
        with runtime.store.read() as tx:
            people = People(tx.people())
            for ref in refs:
                actions, _messages, _fired, skipped = _sweep_item(runtime, tx, ref, as_of, people, dry_run=True)
                report.actions.extend(actions)
                report.skipped += skipped
        report.items = len(refs)
        report.notifications = sum(len(action["recipients"]) for action in report.actions)
        report.events = sum(action["fire"] is not None for action in report.actions)
        return report
    people = None  # read once, with the first batch
    cursor, more = ("", ""), True  # (next_due_at, ref) of the last item this worker took
    ends = [bound for bound in (limit, stop_after) if bound is not None]
    while more:
        wanted = min([runtime.store.sweep_batch] + [bound - report.items for bound in ends])
        if wanted <= 0:
            break
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with runtime.store.write() as tx:
                    people = people or People(tx.people())
                    batch = _sweep_batch(runtime, tx, as_of, cursor, wanted, people)
                break
            except Retry:  # the commit clashed: nothing of the batch was kept, take it again
                continue
        else:
            raise Conflict(_("the due items kept changing during the sweep; run it again"))
        cursor, more = batch.cursor, batch.more
        report.items += batch.items
        report.actions.extend(batch.actions)
        report.notifications += batch.notifications
        report.events += batch.events
        report.skipped += batch.skipped
        if batch.failure is not None:
            raise batch.failure
    return report


def sweep_item(runtime: Runtime, ref: str, as_of: datetime) -> SweepReport:
    """Act on the reminders of one item due by `as_of`, as a sweep would: for a caller that
    plays items one at a time (the demo year), where a sweep over all items would see the
    others' futures."""
    report = SweepReport(as_of=as_of.isoformat(), dry_run=False)
    with runtime.store.write() as tx:
        actions, messages, fired, skipped = _sweep_claimed(runtime, tx, ref, as_of, People(tx.people()))
        report.notifications = tx.notify_many(messages)
    report.items, report.actions, report.events, report.skipped = 1, actions, fired, skipped
    return report


def _sweep_batch(runtime: Runtime, tx, as_of: datetime, cursor: tuple[str, str], wanted: int, people) -> _Batch:
    """Up to `wanted` due items after `cursor`, each in a savepoint; their notifications are
    written together at the end."""
    claimed = tx.claim_due(utc_text(as_of), *cursor, wanted)
    batch = _Batch(cursor=cursor, more=len(claimed) == wanted)
    messages = []
    started = time.monotonic()  # not business time: how long this transaction has held its locks
    for due, ref in claimed:
        try:
            actions, item_messages, fired, skipped = _sweep_claimed(runtime, tx, ref, as_of, people)
        except Exception as exc:  # noqa: BLE001 - raised by `sweep` once the batch so far is committed
            batch.failure, batch.more = exc, False
            break
        batch.cursor = (due, ref)
        batch.items += 1
        batch.actions.extend(actions)
        batch.events += fired
        batch.skipped += skipped
        messages += item_messages
        if time.monotonic() - started > BATCH_SECONDS:
            batch.more = True  # the items claimed but not handled are let go at the commit
            break
    batch.notifications = tx.notify_many(messages)
    return batch


def _sweep_claimed(runtime: Runtime, tx, ref: str, as_of: datetime, people) -> tuple[list[dict], list[dict], int, int]:
    """One claimed item in its savepoint, taken again on its new state if it changed meanwhile."""
    for _attempt in range(MAX_ATTEMPTS):
        try:
            with tx.savepoint():
                return _sweep_item(runtime, tx, ref, as_of, people)
        except Retry:
            continue
    raise Conflict(_("{ref} kept changing during the sweep; run it again").format(ref=ref))


def _sweep_item(runtime: Runtime, tx, ref: str, as_of: datetime, people,
                *, dry_run: bool = False) -> tuple[list[dict], list[dict], int, int]:
    """(actions, notification messages, events fired, times skipped) of one item; a dry run
    lists the actions only and writes nothing. A time is skipped (marked done, nobody told)
    when a later time of its rule fell due too, or when it is a `before` reminder whose
    deadline has passed (its event, if any, is still fired)."""
    item = tx.item(ref)  # locked since it was claimed (PostgreSQL); SQLite's writer holds the database
    if item is None:
        return [], [], 0, 0
    workflow = runtime.store.workflows.by_id(item.definition_id)
    entry = item.entered_seq
    done = tx.done_rules(item.id, entry)
    tasks = tx.open_tasks(item.id) if has_task_reminders(workflow) else []
    actions, messages, marks, fired, skipped = [], [], [], 0, 0
    at = utc_text(as_of)
    worked_out = (item.state, item.deadline, tasks)
    rules = schedule(workflow, *worked_out)
    for series in rules:
        fallen = fallen_due(series, done, as_of)
        if not fallen:
            continue
        last, rule = fallen[-1], series.rule  # a sweep that runs late says a repeated rule once, its latest time
        late = rule.kind == ReminderKind.BEFORE and last.deadline <= as_of  # no "due soon" for a deadline passed
        skipped += len(fallen) - (0 if late else 1)
        recipients = reached(people, rule.notify, item.fields, lambda: tx.deputies(item.id)) \
            if rule.notify and not late else []
        if not late or rule.fire:
            actions.append({"ref": ref, "rule": last.label, "kind": rule.kind, "offset": str(rule.offset),
                            "due": local_text(last.at, workflow.zone), "notify": list(rule.notify),
                            "recipients": [person.id for person in recipients], "fire": rule.fire})
        if dry_run:
            continue
        task = is_campaign_key(series.base)
        marks += [{"entered_seq": 0 if task else entry, "rule": due.key, "due_at": utc_text(due.at), "done_at": at,
                   "fired": rule.fire if due is last else None} for due in fallen]
        done.update(due.key for due in fallen)
        if recipients:
            messages.append(_message(tx, recipients, workflow, item, last.key, rule, at, last.deadline if task else None))
        if rule.fire:
            tx.mark_reminders(item.id, marks)  # marked before the event, which computes the next due rule
            marks = []
            last_at = from_utc_text(item.last_at)
            runtime.fire_in(tx, ref, rule.fire, SYSTEM_ACTOR, {}, max(as_of, last_at))
            fired += 1
            item = tx.item(ref)
            if item.entered_seq != entry:  # the event moved the item on: the old state's rules are moot
                break
    if dry_run:
        return actions, [], 0, skipped
    if marks:
        tx.mark_reminders(item.id, marks)
    if fired:  # the event may have closed a campaign task, moved the deadline or entered another state
        tasks = tx.open_tasks(item.id) if has_task_reminders(workflow) else []
        if item.entered_seq != entry:
            done = tx.done_rules(item.id, item.entered_seq)
        if (item.state, item.deadline, tasks) != worked_out:
            rules = schedule(workflow, item.state, item.deadline, tasks)
    due_next = earliest_pending(rules, done)
    if due_next != item.next_due_at:
        tx.set_next_due(item, due_next)
    return actions, messages, fired, skipped


def _message(tx, recipients: list, workflow, item: ItemRecord, key: str, rule, at: str,
             task_due: datetime | None) -> dict:
    """The notification of one rule to the people its roles resolve to (`Tx.notify`'s arguments):
    the rule's own `message`, or words for a handling deadline."""
    deadline = task_due or from_utc_text(item.deadline)
    last_day = (deadline - _MICROSECOND).astimezone(workflow.zone)  # 24:00 ends the day before
    due_text = _("{year}-{month:02d}-{day:02d}").format(year=last_day.year, month=last_day.month, day=last_day.day)
    kind = _(KIND_LABELS[rule.kind])
    subject = (_("[{kind}] {ref} {title}") if task_due is None else _("[Follow-up check {kind}] {ref} {title}")) \
        .format(kind=kind, ref=item.ref, title=item.title)
    deadline_line = _("Handling deadline: {date}") if task_due is None else _("Check deadline: {date}")
    lines = [heading(workflow, item), _("Current state: {state}").format(state=workflow.label(item.state)),
             deadline_line.format(date=due_text)]
    if rule.message:
        lines.append(reminder_text(tx, workflow, item, rule.message, due_text))
    elif rule.kind == ReminderKind.OVERDUE:
        lines.append(_("This item is past its handling deadline; please handle it promptly and reply in time."))
    else:
        lines.append(_("This item is due on {date}; please complete it on time.").format(date=due_text))
    lines.append(_(FOOTER))
    return {"cause": f"{item.ref}#{item.entered_seq}#{key}", "people": recipients, "item": item, "subject": subject,
            "body": "\n".join(lines), "at": at}
