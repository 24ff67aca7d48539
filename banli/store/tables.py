"""SQLModel classes mapped onto the Core tables of `schema.py`: typed rows for code that wants
the ORM (one-off scripts, benchmarks), over the same `Table` objects the store's statements use.

The schema is declared once, in `schema.py`: each class here sets `__table__` to its table and
each field names its column (`sa_column=`), so a class cannot drift from its table (SQLModel
refuses a column the table lacks; `tests/integration/test_schema.py` checks none is missing).
Importing this module costs SQLModel and pydantic (~0.15 s): the store does not.
"""

from __future__ import annotations

from typing import Optional

from sqlmodel import Field, SQLModel

from banli.store.schema import (
    assignment_t, calendar_t, campaign_t, campaign_task_t, definition_t, delivery_t, deputy_t, item_deputy_t, item_t,
    journal_t, notification_t, org_setting_t, person_t, reminder_t, trace_t, unit_t,
)
from banli.store.schema import account_t, api_token_t, invitation_t, web_session_t


class WorkflowDefinition(SQLModel, table=True):
    __table__ = definition_t

    id: Optional[int] = Field(default=None, sa_column=definition_t.c.id)
    workflow_id: str = Field(sa_column=definition_t.c.workflow_id)
    version: int = Field(sa_column=definition_t.c.version)
    hash: str = Field(sa_column=definition_t.c.hash)
    title: str = Field(sa_column=definition_t.c.title)
    source: str = Field(sa_column=definition_t.c.source)
    registered_at: str = Field(sa_column=definition_t.c.registered_at)
    registered_by: str = Field(sa_column=definition_t.c.registered_by)


class Unit(SQLModel, table=True):
    __table__ = unit_t

    id: str = Field(sa_column=unit_t.c.id)
    name: str = Field(sa_column=unit_t.c.name)
    government: bool = Field(default=True, sa_column=unit_t.c.government)


class Person(SQLModel, table=True):
    __table__ = person_t

    id: str = Field(sa_column=person_t.c.id)
    name: str = Field(sa_column=person_t.c.name)
    roles: str = Field(default="", sa_column=person_t.c.roles)
    unit_id: Optional[str] = Field(default=None, sa_column=person_t.c.unit_id)
    deputy: Optional[str] = Field(default=None, sa_column=person_t.c.deputy)
    email: Optional[str] = Field(default=None, sa_column=person_t.c.email)


class Deputy(SQLModel, table=True):
    __table__ = deputy_t

    name: str = Field(sa_column=deputy_t.c.name)


class Item(SQLModel, table=True):
    __table__ = item_t

    id: Optional[int] = Field(default=None, sa_column=item_t.c.id)
    ref: str = Field(sa_column=item_t.c.ref)
    workflow_id: str = Field(sa_column=item_t.c.workflow_id)
    definition_id: int = Field(sa_column=item_t.c.definition_id)
    parent_id: Optional[int] = Field(default=None, sa_column=item_t.c.parent_id)
    title: str = Field(sa_column=item_t.c.title)
    content: str = Field(default="", sa_column=item_t.c.content)
    state: str = Field(sa_column=item_t.c.state)
    version: int = Field(default=1, sa_column=item_t.c.version)
    seq: int = Field(default=0, sa_column=item_t.c.seq)
    head_hash: str = Field(default="", sa_column=item_t.c.head_hash)
    fields: str = Field(default="{}", sa_column=item_t.c.fields)
    created_at: str = Field(sa_column=item_t.c.created_at)
    entered_at: str = Field(sa_column=item_t.c.entered_at)
    last_at: str = Field(sa_column=item_t.c.last_at)
    deadline: Optional[str] = Field(default=None, sa_column=item_t.c.deadline)
    deadline_basis: Optional[str] = Field(default=None, sa_column=item_t.c.deadline_basis)
    entered_seq: int = Field(default=0, sa_column=item_t.c.entered_seq)
    next_due_at: Optional[str] = Field(default=None, sa_column=item_t.c.next_due_at)


class ItemDeputy(SQLModel, table=True):
    __table__ = item_deputy_t

    item_id: int = Field(sa_column=item_deputy_t.c.item_id)
    name: str = Field(sa_column=item_deputy_t.c.name)
    position: int = Field(default=0, sa_column=item_deputy_t.c.position)


class Assignment(SQLModel, table=True):
    __table__ = assignment_t

    item_id: int = Field(sa_column=assignment_t.c.item_id)
    unit_id: str = Field(sa_column=assignment_t.c.unit_id)
    role: str = Field(sa_column=assignment_t.c.role)
    child_id: Optional[int] = Field(default=None, sa_column=assignment_t.c.child_id)


class Trace(SQLModel, table=True):
    __table__ = trace_t

    id: Optional[int] = Field(default=None, sa_column=trace_t.c.id)
    item_id: int = Field(sa_column=trace_t.c.item_id)
    ref: str = Field(sa_column=trace_t.c.ref)
    seq: int = Field(sa_column=trace_t.c.seq)
    event: str = Field(sa_column=trace_t.c.event)
    from_state: str = Field(sa_column=trace_t.c.from_state)
    to_state: str = Field(sa_column=trace_t.c.to_state)
    actor: str = Field(sa_column=trace_t.c.actor)
    occurred_at: str = Field(sa_column=trace_t.c.occurred_at)
    recorded_at: str = Field(sa_column=trace_t.c.recorded_at)
    data: str = Field(sa_column=trace_t.c.data)
    def_hash: str = Field(sa_column=trace_t.c.def_hash)
    prev_hash: str = Field(sa_column=trace_t.c.prev_hash)
    hash: str = Field(sa_column=trace_t.c.hash)


class Journal(SQLModel, table=True):
    __table__ = journal_t

    id: Optional[int] = Field(default=None, sa_column=journal_t.c.id)
    seq: int = Field(sa_column=journal_t.c.seq)
    action: str = Field(sa_column=journal_t.c.action)
    actor: str = Field(sa_column=journal_t.c.actor)
    recorded_at: str = Field(sa_column=journal_t.c.recorded_at)
    data: str = Field(sa_column=journal_t.c.data)
    prev_hash: str = Field(sa_column=journal_t.c.prev_hash)
    hash: str = Field(sa_column=journal_t.c.hash)


class CalendarYear(SQLModel, table=True):
    __table__ = calendar_t

    year: int = Field(sa_column=calendar_t.c.year)
    holidays: str = Field(sa_column=calendar_t.c.holidays)
    workdays: str = Field(sa_column=calendar_t.c.workdays)
    source: str = Field(default="", sa_column=calendar_t.c.source)
    added_at: str = Field(sa_column=calendar_t.c.added_at)
    added_by: str = Field(sa_column=calendar_t.c.added_by)


class Reminder(SQLModel, table=True):
    __table__ = reminder_t

    id: Optional[int] = Field(default=None, sa_column=reminder_t.c.id)
    item_id: int = Field(sa_column=reminder_t.c.item_id)
    entered_seq: int = Field(sa_column=reminder_t.c.entered_seq)
    rule: str = Field(sa_column=reminder_t.c.rule)
    due_at: str = Field(sa_column=reminder_t.c.due_at)
    done_at: str = Field(sa_column=reminder_t.c.done_at)
    fired: Optional[str] = Field(default=None, sa_column=reminder_t.c.fired)


class Notification(SQLModel, table=True):
    __table__ = notification_t

    id: Optional[int] = Field(default=None, sa_column=notification_t.c.id)
    key: str = Field(sa_column=notification_t.c.key)
    item_id: Optional[int] = Field(default=None, sa_column=notification_t.c.item_id)
    ref: str = Field(default="", sa_column=notification_t.c.ref)
    recipient: str = Field(sa_column=notification_t.c.recipient)
    recipient_name: str = Field(default="", sa_column=notification_t.c.recipient_name)
    email: Optional[str] = Field(default=None, sa_column=notification_t.c.email)
    subject: str = Field(sa_column=notification_t.c.subject)
    body: str = Field(sa_column=notification_t.c.body)
    created_at: str = Field(sa_column=notification_t.c.created_at)


class Delivery(SQLModel, table=True):
    __table__ = delivery_t

    id: Optional[int] = Field(default=None, sa_column=delivery_t.c.id)
    notification_id: int = Field(sa_column=delivery_t.c.notification_id)
    channel: str = Field(sa_column=delivery_t.c.channel)
    status: str = Field(default="pending", sa_column=delivery_t.c.status)
    attempts: int = Field(default=0, sa_column=delivery_t.c.attempts)
    next_attempt_at: str = Field(sa_column=delivery_t.c.next_attempt_at)
    last_error: str = Field(default="", sa_column=delivery_t.c.last_error)
    sent_at: Optional[str] = Field(default=None, sa_column=delivery_t.c.sent_at)
    claimed_until: Optional[str] = Field(default=None, sa_column=delivery_t.c.claimed_until)


class Campaign(SQLModel, table=True):
    __table__ = campaign_t

    id: Optional[int] = Field(default=None, sa_column=campaign_t.c.id)
    name: str = Field(sa_column=campaign_t.c.name)
    workflow_id: str = Field(sa_column=campaign_t.c.workflow_id)
    session: str = Field(default="", sa_column=campaign_t.c.session)
    label: str = Field(default="", sa_column=campaign_t.c.label)
    opened_at: str = Field(sa_column=campaign_t.c.opened_at)
    due_at: Optional[str] = Field(default=None, sa_column=campaign_t.c.due_at)
    opened_by: str = Field(sa_column=campaign_t.c.opened_by)


class CampaignTask(SQLModel, table=True):
    __table__ = campaign_task_t

    id: Optional[int] = Field(default=None, sa_column=campaign_task_t.c.id)
    campaign_id: int = Field(sa_column=campaign_task_t.c.campaign_id)
    item_id: int = Field(sa_column=campaign_task_t.c.item_id)
    selected_at: str = Field(sa_column=campaign_task_t.c.selected_at)
    due_at: Optional[str] = Field(default=None, sa_column=campaign_task_t.c.due_at)
    outcome: Optional[str] = Field(default=None, sa_column=campaign_task_t.c.outcome)
    outcome_at: Optional[str] = Field(default=None, sa_column=campaign_task_t.c.outcome_at)


class OrgSetting(SQLModel, table=True):
    __table__ = org_setting_t

    key: str = Field(sa_column=org_setting_t.c.key)
    value: str = Field(sa_column=org_setting_t.c.value)


class Account(SQLModel, table=True):
    __table__ = account_t

    user_id: str = Field(sa_column=account_t.c.user_id)
    password_hash: Optional[str] = Field(default=None, sa_column=account_t.c.password_hash)
    password_set_at: Optional[str] = Field(default=None, sa_column=account_t.c.password_set_at)
    failures: int = Field(default=0, sa_column=account_t.c.failures)
    failed_since: Optional[str] = Field(default=None, sa_column=account_t.c.failed_since)
    locked_until: Optional[str] = Field(default=None, sa_column=account_t.c.locked_until)


class WebSession(SQLModel, table=True):
    __table__ = web_session_t

    id: Optional[int] = Field(default=None, sa_column=web_session_t.c.id)
    token_hash: str = Field(sa_column=web_session_t.c.token_hash)
    user_id: str = Field(sa_column=web_session_t.c.user_id)
    created_at: str = Field(sa_column=web_session_t.c.created_at)
    last_seen_at: str = Field(sa_column=web_session_t.c.last_seen_at)
    closed_at: Optional[str] = Field(default=None, sa_column=web_session_t.c.closed_at)


class ApiToken(SQLModel, table=True):
    __table__ = api_token_t

    id: Optional[int] = Field(default=None, sa_column=api_token_t.c.id)
    token_hash: str = Field(sa_column=api_token_t.c.token_hash)
    user_id: str = Field(sa_column=api_token_t.c.user_id)
    name: str = Field(sa_column=api_token_t.c.name)
    created_at: str = Field(sa_column=api_token_t.c.created_at)
    revoked_at: Optional[str] = Field(default=None, sa_column=api_token_t.c.revoked_at)


class Invitation(SQLModel, table=True):
    __table__ = invitation_t

    id: Optional[int] = Field(default=None, sa_column=invitation_t.c.id)
    code_hash: str = Field(sa_column=invitation_t.c.code_hash)
    user_id: str = Field(sa_column=invitation_t.c.user_id)
    created_at: str = Field(sa_column=invitation_t.c.created_at)
    expires_at: str = Field(sa_column=invitation_t.c.expires_at)
    used_at: Optional[str] = Field(default=None, sa_column=invitation_t.c.used_at)
