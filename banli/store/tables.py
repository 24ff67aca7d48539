"""SQLModel tables. Instants the database compares are UTC text (`YYYY-MM-DDTHH:MM:SS.ffffff`);
everything that is hashed is stored as the exact text that was hashed."""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class WorkflowDefinition(SQLModel, table=True):
    __tablename__ = "workflow_definition"
    __table_args__ = (
        UniqueConstraint("workflow_id", "version"),
        UniqueConstraint("workflow_id", "hash"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    workflow_id: str = Field(max_length=64)
    version: int
    hash: str = Field(max_length=64)
    title: str
    source: str = Field(sa_column=Column(Text, nullable=False))
    registered_at: str = Field(max_length=40)
    registered_by: str = Field(max_length=64)


class Unit(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    government: bool = True


class Person(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=64)
    name: str
    roles: str = Field(default="")  # comma-separated role names
    unit_id: Optional[str] = Field(default=None, foreign_key="unit.id", max_length=64)
    deputy: Optional[str] = Field(default=None)
    email: Optional[str] = Field(default=None)


class Deputy(SQLModel, table=True):
    name: str = Field(primary_key=True)


class Item(SQLModel, table=True):
    __table_args__ = (
        Index("ix_item_workflow_state", "workflow_id", "state"),
        Index("ix_item_parent", "parent_id"),
        # the sweep's one index: only items with a reminder still to come are in it, and it
        # covers the sweep's query (no table lookup per due item: 5 ms instead of 27 ms at 1M items)
        Index("ix_item_next_due", "next_due_at", "ref", sqlite_where=text("next_due_at IS NOT NULL"),
              postgresql_where=text("next_due_at IS NOT NULL")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    ref: str = Field(unique=True, max_length=128)
    workflow_id: str = Field(max_length=64)
    definition_id: int = Field(foreign_key="workflow_definition.id")
    parent_id: Optional[int] = Field(default=None, foreign_key="item.id")
    title: str
    content: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    state: str = Field(max_length=64)
    version: int = 1  # bumped by every event: the optimistic-concurrency token
    seq: int = 0  # the trace chain head: last sequence number …
    head_hash: str = Field(default="", max_length=64)  # … and its hash
    fields: str = Field(default="{}", sa_column=Column(Text, nullable=False, server_default="{}"))
    created_at: str = Field(max_length=40)
    entered_at: str = Field(max_length=40)  # when the current state was entered (UTC)
    last_at: str = Field(max_length=40)  # business time of the latest event (UTC)
    deadline: Optional[str] = Field(default=None, max_length=40)  # UTC; overdue is computed
    deadline_basis: Optional[str] = Field(default=None, max_length=16)  # calendar used: cn | plain | fallback
    entered_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # trace seq that entered the current state: reminders are kept per state entry
    next_due_at: Optional[str] = Field(default=None, max_length=40)  # UTC: the next reminder rule falls due


class ItemDeputy(SQLModel, table=True):
    __tablename__ = "item_deputy"

    item_id: int = Field(foreign_key="item.id", primary_key=True)
    name: str = Field(foreign_key="deputy.name", primary_key=True)
    position: int = 0


class Assignment(SQLModel, table=True):
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    unit_id: str = Field(foreign_key="unit.id", primary_key=True, max_length=64)
    role: str = Field(max_length=8)  # "lead" | "co"
    child_id: Optional[int] = Field(default=None, foreign_key="item.id")


class Trace(SQLModel, table=True):
    """One row per applied event; only ever inserted into (triggers refuse UPDATE and DELETE)."""

    __table_args__ = (UniqueConstraint("item_id", "seq"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    ref: str = Field(max_length=128)
    seq: int
    event: str = Field(max_length=64)
    from_state: str = Field(max_length=64)
    to_state: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    occurred_at: str = Field(max_length=40)
    recorded_at: str = Field(max_length=40)
    data: str = Field(sa_column=Column(Text, nullable=False))
    def_hash: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Journal(SQLModel, table=True):
    """Operator actions (org loads, registrations): a hash chain of its own, insert-only."""

    id: Optional[int] = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    action: str = Field(max_length=64)
    actor: str = Field(max_length=64)
    recorded_at: str = Field(max_length=40)
    data: str = Field(sa_column=Column(Text, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class CalendarYear(SQLModel, table=True):
    """A year's official schedule added by the operator (`banli calendar add`)."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    holidays: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of ISO dates
    workdays: str = Field(sa_column=Column(Text, nullable=False))  # adjusted working days (调休上班)
    source: str = ""
    added_at: str = Field(max_length=40)
    added_by: str = Field(max_length=64)


class Reminder(SQLModel, table=True):
    """A reminder rule that fell due and was acted on: one per item, state entry and rule."""

    __table_args__ = (UniqueConstraint("item_id", "entered_seq", "rule"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    entered_seq: int
    rule: str = Field(max_length=64)  # "state:INDEX", or "campaign:NAME:INDEX"
    due_at: str = Field(max_length=40)
    done_at: str = Field(max_length=40)
    fired: Optional[str] = Field(default=None, max_length=64)


class Notification(SQLModel, table=True):
    """The outbox: one message to one person, written in the transaction that caused it."""

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)  # cause + recipient: never two for one cause
    item_id: Optional[int] = Field(default=None, foreign_key="item.id")
    ref: str = Field(default="", max_length=128)
    recipient: str = Field(max_length=64)
    recipient_name: str = ""
    email: Optional[str] = None
    subject: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: str = Field(max_length=40)


class Delivery(SQLModel, table=True):
    """One notification through one channel: attempts, back-off, outcome."""

    __table_args__ = (
        UniqueConstraint("notification_id", "channel"),
        Index("ix_delivery_pending", "status", "next_attempt_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="notification.id")
    channel: str = Field(max_length=32)
    status: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: str = Field(max_length=40)
    last_error: str = ""
    sent_at: Optional[str] = Field(default=None, max_length=40)
    claimed_until: Optional[str] = Field(default=None, max_length=40)  # lease of the worker sending it


class Campaign(SQLModel, table=True):
    """A dated review over a selection of items (the look-back, 回头看), per workflow and session."""

    __table_args__ = (UniqueConstraint("name", "workflow_id", "session"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    workflow_id: str = Field(max_length=64)
    session: str = Field(default="", max_length=64)
    label: str = ""
    opened_at: str = Field(max_length=40)
    due_at: Optional[str] = Field(default=None, max_length=40)
    opened_by: str = Field(max_length=64)


class CampaignTask(SQLModel, table=True):
    """One selected item's part in a campaign: selected once, with its due date and outcome."""

    __tablename__ = "campaign_task"
    __table_args__ = (UniqueConstraint("campaign_id", "item_id"), Index("ix_campaign_task_item", "item_id"))

    id: Optional[int] = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    item_id: int = Field(foreign_key="item.id")
    selected_at: str = Field(max_length=40)
    due_at: Optional[str] = Field(default=None, max_length=40)
    outcome: Optional[str] = Field(default=None, max_length=64)
    outcome_at: Optional[str] = Field(default=None, max_length=40)
