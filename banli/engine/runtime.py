"""The runtime: register an item and fire an event, each in one transaction with its trace row.

Checks run in the order SPEC §4 fixes, first failure wins: unknown item (7) → unknown event
(3) → role (4) → state, window, guard (5) → data and `--at` (3) → `--expect-version` (6).
Writes are optimistic: the item row is updated only if its version is still the one read;
a writer that loses re-reads the item and tries again on the new state. The store may hold a
transaction's writes back and make them together (see `ports.Tx`), so several events
in one transaction (`replay --atomic`, an import) cost little more than their hashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from banli.engine import campaign_outcomes, clock, limits, notices, registry
from banli.engine import roles as roles_of_item
from banli.engine.chain import GENESIS, canonical_json, row_hash
from banli.engine.compile import CompiledWorkflow
from banli.engine.expressions import TraceCounts
from banli.engine.outcomes import refuse_outcomes
from banli.engine.reminders import has_task_reminders, next_due
from banli.engine.model import REGISTERING_ROLES, SYSTEM, Event
from banli.engine.projection import CREATED, DEADLINE_RECOMPUTED, MIGRATED
from banli.engine.records import SYSTEM_ACTOR, Actor, Fired, ItemRecord
from banli.engine.refusals import roles_text, unknown_deputy_message
from banli.engine.times import from_utc_text, local_text, parse_instant, utc_now, utc_text
from banli.engine.values import coerce
from banli.errors import Conflict, InvalidInput, NotAllowedNow, NotFound, NotPermitted, Retry
from banli.i18n import _

MAX_ATTEMPTS = 20
_NEXT_DUE_REMEMBERED = 4096
_UNKNOWN = object()


@dataclass(kw_only=True)
class Context:
    """What a guard or effect sees: the item, the event, its data, the actor and the time."""

    runtime: "Runtime"
    tx: object
    workflow: CompiledWorkflow
    item: ItemRecord
    event: Event
    data: dict
    actor: Actor
    at: datetime
    fields: dict = field(default_factory=dict)  # the item's fields after the event's data
    to_state: str = ""
    deadline: str | None = None  # UTC text; an effect may move it (an extension)
    deadline_basis: str | None = None
    trace_data: dict = field(default_factory=dict)  # what an effect adds to the trace row (keys start with @)

    def deputies(self) -> list[str]:
        return self.tx.deputies(self.item.id)


class Runtime:
    """Fires events against a store; `now` is the clock (tests pass a fixed one).

    `origin`, from a front end where people name themselves unproven (the CLI's `--as`), goes
    into the data of every row committed (`{"@os_user": …}`), and `system` may not be named."""

    def __init__(self, store, now: Callable[[], datetime] = utc_now, *, origin: dict | None = None) -> None:
        self.store = store
        self.now = now
        self.origin = dict(origin or {})
        self._next_due_seen: dict[tuple, str | None] = {}

    # -- reading ---------------------------------------------------------------------------

    def actor(self, user: str | None) -> Actor:
        if user in (None, ""):
            raise NotPermitted(_("no acting user: pass --as USER (or set BANLI_USER) to say who you are"))
        if user == SYSTEM:
            if self.origin:
                raise NotPermitted(_("'system' is the scheduler's own actor and cannot be named with --as: "
                                     "act as yourself (--as USER); 'banli remind' and campaigns act as system"))
            return SYSTEM_ACTOR
        actor = self.store.actor(user)
        if actor is None:
            raise NotPermitted(_("user '{user}' is not in the organisation file; check --as, or add them with "
                                 "'banli org load'").format(user=user))
        return actor

    def holds_role(self, actor: Actor, roles: tuple[str, ...], item: ItemRecord, tx) -> bool:
        """Whether the actor holds one of `roles` on this item (global or item-relative)."""
        return roles_of_item.holds_role(actor, roles, item.fields, lambda: tx.deputies(item.id))

    # -- registering -----------------------------------------------------------------------

    def create(self, *, workflow_id: str, ref: str, title: str, actor: str, deputies: list[str] = (),
               fields: dict | None = None, content: str = "", at: str | datetime | None = None) -> Fired:
        """Register one item in its workflow's initial state, with its `created` trace row."""
        who = self.actor(actor)
        if who is not SYSTEM_ACTOR and not who.roles & REGISTERING_ROLES:
            raise NotPermitted(_("user '{user}' may not register items: that needs the role registrar, supervisor "
                                 "or admin").format(user=who.id))
        workflow = self.store.workflows.get(workflow_id)
        with self.store.write() as tx:
            return self.create_in(tx, workflow=workflow, ref=ref, title=title, actor=who, deputies=list(deputies),
                                  fields=fields or {}, content=content, at=at)

    def create_in(self, tx, *, workflow: CompiledWorkflow, ref: str, title: str, actor: Actor, deputies: list[str],
                  fields: dict, content: str = "", at: str | datetime | None = None, parent_id: int | None = None) -> Fired:
        limits.check_ref(str(ref or ""), child=parent_id is not None)  # '/' only in a child's ref
        if not title or not str(title).strip():
            raise InvalidInput(_("item {ref} needs a title").format(ref=ref))
        if tx.item(ref) is not None:
            raise InvalidInput(_("item {ref} already exists; choose another ref or see 'banli item show {ref}'").format(ref=ref))
        definition = workflow.definition
        unknown = [name for name in fields if name not in definition.fields]
        if unknown:
            raise InvalidInput(_("unknown field(s) {unknown} for workflow {workflow}; fields: {fields}").format(
                unknown=", ".join(unknown), workflow=definition.id, fields=", ".join(definition.fields)))
        refuse_outcomes(definition, fields, ref)
        typed = {name: coerce(tx, definition.fields[name].type, definition.fields[name].choices, value, name)
                 for name, value in fields.items()}
        missing = [name for name, spec in definition.fields.items() if spec.required and typed.get(name) in (None, "", [])]
        if missing:
            raise InvalidInput(_("item {ref} lacks required field(s): {missing}").format(ref=ref, missing=", ".join(missing)))
        limits.check_item_texts(ref, str(title), str(content or ""), typed)
        unknown_deputies = tx.unknown_deputies(deputies)
        if unknown_deputies:
            raise InvalidInput(unknown_deputy_message(unknown_deputies[0], tx.deputy_names()))
        now = self.now()
        when = self._business_time(at, now, None, workflow)
        initial = definition.initial
        data = {"title": title, "deputies": deputies, "fields": typed, "content": content}
        item = tx.insert_item(ref=ref, workflow_id=definition.id, definition_id=workflow.definition_id,
                              parent_id=parent_id, title=title, content=content, state=initial,
                              fields=typed, created_at=utc_text(when))
        tx.set_deputies(item.id, deputies, new=True)
        if "lead_unit" in typed or "co_units" in typed:
            tx.sync_assignments(item.id, typed.get("lead_unit"), typed.get("co_units") or [])
        deadline, basis = self._deadline(tx, workflow, item, initial, CREATED, when)
        return self._commit(tx, workflow, item, CREATED, "", initial, actor, when, now, data, typed, deadline, basis)

    # -- firing ----------------------------------------------------------------------------

    def fire(self, ref: str, event: str, actor: str, data: dict | None = None, at: str | datetime | None = None,
             expect_version: int | None = None) -> Fired:
        """Apply one event; see the module docstring for the order of checks."""
        for _attempt in range(MAX_ATTEMPTS):
            try:
                with self.store.write() as tx:
                    return self.fire_in(tx, ref, event, actor, data or {}, at, expect_version)
            except Retry:
                if expect_version is not None:
                    raise Conflict(_("item {ref} changed while '{event}' was being applied; look at it again "
                                     "('banli item show') and retry with its new version").format(ref=ref, event=event)) from None
        raise Conflict(_("item {ref} kept changing underneath; '{event}' was not applied: try again").format(ref=ref, event=event))

    def fire_in(self, tx, ref: str, event_name: str, actor_id: str | Actor, data: dict,
                at: str | datetime | None, expect_version: int | None = None) -> Fired:
        item = tx.item(ref)
        if item is None:
            raise NotFound(_("no item {ref}; see 'banli item list'").format(ref=ref), ref=ref)
        workflow = self.store.workflows.by_id(item.definition_id)
        definition = workflow.definition
        event = definition.events.get(event_name)
        if event is None:
            raise InvalidInput(_("workflow {workflow} has no event '{event}'; its events: {events}").format(
                workflow=definition.id, event=event_name, events=", ".join(definition.events)), ref=ref, event=event_name)
        actor = actor_id if isinstance(actor_id, Actor) else self.actor(actor_id)
        if not self.holds_role(actor, event.roles, item, tx):
            raise NotPermitted(_("user '{user}' may not fire '{event}' on {ref}: it needs {roles}").format(
                user=actor.id, event=event_name, ref=ref, roles=roles_text(event.roles)), ref=ref, event=event_name)
        now = self.now()
        self._check_allowed(tx, workflow, item, event, self._tentative_time(at, now, workflow))
        typed = self._check_data(tx, definition, event, data, ref)
        when = self._business_time(at, now, item, workflow)
        fields = dict(item.fields)
        fields.update({key: value for key, value in typed.items() if event.data_spec(key).is_field})
        context = Context(runtime=self, tx=tx, workflow=workflow, item=item, event=event, data=typed,
                          actor=actor, at=when, fields=fields, deadline=item.deadline,
                          deadline_basis=item.deadline_basis)
        for call in event.guards:
            entry = registry.guards()[call.name]
            if entry.on_data:
                reason = entry.function(context, **call.kwargs())
                if reason:
                    raise InvalidInput(_("{ref} {event}: {reason}").format(ref=ref, event=event_name, reason=reason),
                                       ref=ref, event=event_name)
        if expect_version is not None and expect_version != item.version:
            raise Conflict(_("item {ref} is at version {version}, not {expected}: it changed; look at it again "
                             "('banli item show') and decide anew").format(ref=ref, version=item.version,
                                                                          expected=expect_version), ref=ref)
        to_state = workflow.destination(event_name, item.state, fields, typed, TraceCounts(tx, item.id, event_name))
        context.to_state = to_state
        for call in event.effects:
            registry.effects()[call.name].function(context, **call.kwargs())
        follow = campaign_outcomes.record(tx, definition, item, event_name, fields, when)  # closes its task
        if fields.get("lead_unit") != item.fields.get("lead_unit") or fields.get("co_units") != item.fields.get("co_units"):
            tx.sync_assignments(item.id, fields.get("lead_unit"), fields.get("co_units") or [])
        if event.clock:
            clock.turn(context)
        deadline, basis = context.deadline, context.deadline_basis
        if not event.internal:  # a state entered, or entered anew (a self-transition): its deadline counted afresh
            deadline, basis = self._deadline(tx, workflow, item.evolve(fields=fields), to_state, event_name, when)
        fired = self._commit(tx, workflow, item, event_name, item.state, to_state, actor, when, now,
                             {**typed, **context.trace_data}, fields, deadline, basis, new_entry=not event.internal)
        return campaign_outcomes.then(self, tx, fired, follow, when)  # an outcome may reopen the item

    @staticmethod
    def _tentative_time(at, now: datetime, workflow: CompiledWorkflow) -> datetime:
        """The event's business time for judging its window; a bad `--at` is reported later (exit 3)."""
        if isinstance(at, datetime):
            return at
        try:
            return parse_instant(str(at), workflow.zone) if at is not None else now
        except InvalidInput:
            return now

    def _check_allowed(self, tx, workflow: CompiledWorkflow, item: ItemRecord, event: Event, when: datetime) -> None:
        """State validity, the `within` window (judged at the event's business time) and guards (exit 5)."""
        ref, name = item.ref, event.name
        if item.state not in event.sources:
            valid = ", ".join(workflow.label(source) + f"({source})" for source in event.sources) or _("none")
            raise NotAllowedNow(_("'{event}' is not possible on {ref} in state {state}; it is possible in: {valid}").format(
                event=name, ref=ref, state=f"{workflow.label(item.state)}({item.state})", valid=valid),
                ref=ref, event=name, state=item.state)
        if event.clock and (refused := clock.refusal(item, event)):
            raise NotAllowedNow(_("'{event}' is not possible on {ref} now: {refused}").format(
                event=name, ref=ref, refused=refused), ref=ref, event=name)
        if event.within:
            start = self._rule_start(tx, item, event.within.start, None)
            if start is not None:
                closes, _basis = workflow.after(start, event.within.after)
                if when > closes:
                    raise NotAllowedNow(_("'{event}' on {ref} had to happen within {within} (until {until}); that window "
                                          "is closed").format(event=name, ref=ref, within=event.within.after,
                                                              until=local_text(closes, workflow.zone)[:16]), ref=ref, event=name)
        for call in event.guards:
            entry = registry.guards()[call.name]
            if not entry.on_data:
                context = Context(runtime=self, tx=tx, workflow=workflow, item=item, event=event, data={},
                                  actor=SYSTEM_ACTOR, at=when, fields=dict(item.fields))
                reason = entry.function(context, **call.kwargs())
                if reason:
                    raise NotAllowedNow(_("'{event}' is not possible on {ref} yet: {reason}").format(
                        event=name, ref=ref, reason=reason), ref=ref, event=name)

    def _check_data(self, tx, definition, event: Event, data: dict, ref: str) -> dict:
        unknown = [key for key in data if event.data_spec(key) is None]
        if unknown:
            allowed = ", ".join(spec.key for spec in event.data) or _("none")
            raise InvalidInput(_("'{event}' takes no data '{key}'; it takes: {allowed}").format(
                event=event.name, key=unknown[0], allowed=allowed), ref=ref, event=event.name)
        typed = {}
        for spec in event.data:
            value = data.get(spec.key)
            if value in (None, "", []):
                if spec.required:
                    raise InvalidInput(_("'{event}' on {ref} needs data '{key}'; pass --data {key}=…").format(
                        event=event.name, ref=ref, key=spec.key), ref=ref, event=event.name)
                continue
            typed[spec.key] = coerce(tx, spec.type, spec.choices, value, spec.key)
            problem = limits.value_problem(spec.key, typed[spec.key])
            if problem:
                raise InvalidInput(_("'{event}' on {ref}: data '{key}' {problem}").format(
                    event=event.name, ref=ref, key=spec.key, problem=problem), ref=ref, event=event.name)
        return typed

    def _business_time(self, at, now: datetime, item: ItemRecord | None, workflow: CompiledWorkflow) -> datetime:
        last = from_utc_text(item.last_at) if item and item.last_at else None
        if at is None:
            return max(now, last) if last else now
        when = at if isinstance(at, datetime) else parse_instant(str(at), workflow.zone)
        if when > now:
            raise InvalidInput(_("--at {at} is in the future; an event's time is when it happened").format(
                at=local_text(when, workflow.zone)))
        if last and when < last:
            raise InvalidInput(_("--at {at} is before {ref}'s latest event ({latest}); events are recorded in the order "
                                 "they happened").format(at=local_text(when, workflow.zone), ref=item.ref,
                                                         latest=local_text(last, workflow.zone)))
        return when

    def _rule_start(self, tx, item: ItemRecord, start: str, pending: tuple[str, datetime] | None) -> datetime | None:
        if start == "enter":
            return pending[1] if pending else from_utc_text(item.entered_at)
        if pending and pending[0] == start:
            return pending[1]
        text = tx.last_occurrence(item.id, start)
        return from_utc_text(text) if text else None

    def _deadline(self, tx, workflow: CompiledWorkflow, item: ItemRecord, state: str, event: str | None,
                  when: datetime | None) -> tuple[str | None, str | None]:
        """The deadline of `state` (UTC text) and the calendar basis it was counted on, if the
        state has one; `event` at `when` is the event entering it (None when recomputing)."""
        rule = workflow.definition.states[state].deadline
        if rule is None:
            return None, None
        pending = (event if rule.start != "enter" else "enter", when) if event else None
        start = self._rule_start(tx, item, rule.start, pending)
        if start is None:
            return None, None
        deadline, basis = workflow.after(start, rule.after, item.fields)  # extensions and pauses since still hold
        deadline, basis = clock.carried(tx, workflow, item, rule, event, when, deadline, basis)
        return (utc_text(deadline) if deadline else None), basis

    def recompute_deadline(self, tx, item: ItemRecord, reason: str, now: datetime) -> Fired | None:
        """Count an item's deadline again (a calendar year was added); traced when it moves."""
        workflow = self.store.workflows.by_id(item.definition_id)
        deadline, basis = self._deadline(tx, workflow, item, item.state, None, None)
        if (deadline, basis) == (item.deadline, item.deadline_basis):
            return None
        last = from_utc_text(item.last_at)
        return self._commit(tx, workflow, item, DEADLINE_RECOMPUTED, item.state, item.state, SYSTEM_ACTOR,
                            max(now, last), now, {"reason": reason}, dict(item.fields), deadline, basis)

    def move_to_version(self, tx, item: ItemRecord, target: CompiledWorkflow, to_state: str, actor: Actor,
                        now: datetime, data: dict) -> Fired:
        """Pin the item to another version of its workflow, in `to_state`: a `migrated` trace row,
        hashed with the new version, and the deadline counted under the new version's rules."""
        tx.repin(item.id, target.definition_id)
        item = item.evolve(definition_id=target.definition_id)
        deadline, basis = self._deadline(tx, target, item, to_state, None, None)
        last = from_utc_text(item.last_at)
        return self._commit(tx, target, item, MIGRATED, item.state, to_state, actor, max(now, last), now, data,
                            dict(item.fields), deadline, basis, new_entry=False)

    def _commit(self, tx, workflow: CompiledWorkflow, item: ItemRecord, event: str, from_state: str, to_state: str,
                actor: Actor, when: datetime, now: datetime, data: dict, fields: dict, deadline: str | None,
                basis: str | None, new_entry: bool | None = None) -> Fired:
        seq = item.seq + 1
        prev = item.head_hash or GENESIS
        # a migration renames the state the item is in; it does not enter it anew
        entered = to_state != from_state if new_entry is None else new_entry
        entered_seq = seq if entered else item.entered_seq
        if deadline != item.deadline or basis != item.deadline_basis:
            # the trace shows every deadline set or moved, and the calendar it was counted on
            data = {**data, "@deadline": {
                "due": local_text(from_utc_text(deadline), workflow.zone) if deadline else None,
                "was": local_text(from_utc_text(item.deadline), workflow.zone) if item.deadline else None,
                "calendar": basis}}
        tasks = tx.open_tasks(item.id) if item.seq and has_task_reminders(workflow) else []  # none on a new item
        done = tx.done_rules(item.id, entered_seq) if tasks or (
            not entered and workflow.definition.states[to_state].reminders) else set()
        if self.origin:
            data = {**data, **self.origin}
        occurred_at = local_text(when, workflow.zone)
        row = {
            "ref": item.ref, "seq": seq, "event": event, "from_state": from_state, "to_state": to_state,
            "actor": actor.id, "occurred_at": occurred_at,
            "recorded_at": occurred_at if now == when else local_text(now, workflow.zone), "data": canonical_json(data),
            "def_hash": workflow.hash, "prev_hash": prev,
        }
        row["hash"] = row_hash(**row)
        last_at = utc_text(when)
        updated = item.evolve(
            state=to_state, fields=fields, version=item.version + 1, seq=seq, head_hash=row["hash"],
            entered_at=last_at if entered else item.entered_at, last_at=last_at, deadline=deadline,
            deadline_basis=basis, entered_seq=entered_seq,
            next_due_at=self._next_due(workflow, to_state, deadline, done, tasks))
        if not tx.update_item(updated, expected_version=item.version):
            raise Retry()
        tx.append_trace(item.id, row)
        notices.send(tx, workflow, updated, event, row, fields, data)  # in the event's transaction (SPEC §2)
        return Fired(ref=item.ref, event=event, from_state=from_state, to_state=to_state, version=item.version + 1,
                     seq=seq, hash=row["hash"], occurred_at=row["occurred_at"])

    def _next_due(self, workflow: CompiledWorkflow, state: str, deadline: str | None, done: set[str],
                  tasks: list) -> str | None:
        """`reminders.next_due`, remembered: a run of events on items in one state asks the same."""
        key = (workflow, state, deadline, frozenset(done), tuple(tasks))
        due = self._next_due_seen.get(key, _UNKNOWN)
        if due is _UNKNOWN:
            if len(self._next_due_seen) >= _NEXT_DUE_REMEMBERED:
                self._next_due_seen.clear()
            due = self._next_due_seen[key] = next_due(workflow, state, deadline, done, tasks)
        return due

    # -- asking ------------------------------------------------------------------------------

    def can(self, ref: str, actor_id: str) -> list[dict]:
        """Every event of the item's workflow: whether the actor may fire it now, and if not why."""
        actor = self.actor(actor_id)
        with self.store.read() as tx:
            item = tx.item(ref)
            if item is None:
                raise NotFound(_("no item {ref}; see 'banli item list'").format(ref=ref), ref=ref)
            workflow = self.store.workflows.by_id(item.definition_id)
            answers = []
            now = self.now()
            for event in workflow.definition.events.values():
                answer = {"event": event.name, "label": str(event.label), "allowed": True, "reason": "", "blocked": "",
                          "data": [spec.key + ("*" if spec.required else "") for spec in event.data]}
                if not self.holds_role(actor, event.roles, item, tx):  # blocked: "role" (not theirs) or "rule"
                    answer.update(allowed=False, blocked="role", reason=_("needs {roles}").format(roles=roles_text(event.roles)))
                else:
                    try:
                        self._check_allowed(tx, workflow, item, event, now)
                    except NotAllowedNow as exc:
                        answer.update(allowed=False, blocked="rule", reason=str(exc))
                answers.append(answer)
            return answers
