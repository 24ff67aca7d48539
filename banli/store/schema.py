"""The schema: every table as SQLAlchemy Core on one `MetaData`, and creating or upgrading a
database to it with Alembic (`banli init`).

These tables are the one source of truth: the store's statements use them, the SQLModel
classes in `tables.py` are mapped onto them, and Alembic compares the migrations with
`metadata`. Importing this module costs SQLAlchemy Core only (no ORM, no pydantic), so a
command that reads a few rows starts quickly.

Instants the database compares are UTC text (`YYYY-MM-DDTHH:MM:SS.ffffff`); everything that
is hashed is stored as the exact text that was hashed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, UniqueConstraint, text,
)

from banli.engine.limits import MAX_ID, MAX_REF

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

metadata = MetaData()

INSTANT = String(40)  # UTC text, compared as text
NAME = String(MAX_ID)  # ids of workflows, states, events, people, units
HASH = String(64)  # SHA-256, hex
REF = String(MAX_REF)  # refs, people's and units' ids, sessions are held to these first (`banli.engine.limits`)


def required(name: str, type_, *args, **kwargs) -> Column:
    """A NOT NULL column; most are."""
    return Column(name, type_, *args, nullable=False, **kwargs)


definition_t = Table(
    "workflow_definition", metadata,
    Column("id", Integer, primary_key=True),
    required("workflow_id", NAME),
    required("version", Integer),
    required("hash", HASH),
    required("title", String),
    required("source", Text),
    required("registered_at", INSTANT),
    required("registered_by", NAME),
    UniqueConstraint("workflow_id", "version"),
    UniqueConstraint("workflow_id", "hash"),
)

unit_t = Table(
    "unit", metadata,
    Column("id", NAME, primary_key=True),
    required("name", String),
    required("government", Boolean, default=True),
)

person_t = Table(
    "person", metadata,
    Column("id", NAME, primary_key=True),
    required("name", String),
    required("roles", String, default=""),  # comma-separated role names
    Column("unit_id", NAME, ForeignKey("unit.id")),
    Column("deputy", String),
    Column("email", String),
)

deputy_t = Table(
    "deputy", metadata,
    Column("name", String, primary_key=True),
)

item_t = Table(
    "item", metadata,
    Column("id", Integer, primary_key=True),
    required("ref", REF, unique=True),
    required("workflow_id", NAME),
    required("definition_id", Integer, ForeignKey("workflow_definition.id")),
    Column("parent_id", Integer, ForeignKey("item.id")),
    required("title", String),
    required("content", Text, server_default=""),
    required("state", NAME),
    required("version", Integer, default=1),  # bumped by every event: the optimistic-concurrency token
    required("seq", Integer, default=0),  # the trace chain head: last sequence number …
    required("head_hash", HASH, default=""),  # … and its hash
    required("fields", Text, server_default="{}"),  # canonical JSON
    required("created_at", INSTANT),
    required("entered_at", INSTANT),  # when the current state was entered
    required("last_at", INSTANT),  # business time of the latest event
    Column("deadline", INSTANT),  # overdue is computed
    Column("deadline_basis", String(16)),  # calendar used: cn | plain | fallback
    # trace seq that entered the current state: reminders are kept per state entry
    required("entered_seq", Integer, default=0, server_default="0"),
    Column("next_due_at", INSTANT),  # the next reminder rule falls due
    Index("ix_item_workflow_state", "workflow_id", "state"),
    Index("ix_item_parent", "parent_id"),
    # the sweep's one index: only items with a reminder still to come are in it, and it
    # covers the sweep's query (no table lookup per due item: 5 ms instead of 27 ms at 1M items)
    Index("ix_item_next_due", "next_due_at", "ref", sqlite_where=text("next_due_at IS NOT NULL"),
          postgresql_where=text("next_due_at IS NOT NULL")),
)

item_deputy_t = Table(
    "item_deputy", metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    Column("name", String, ForeignKey("deputy.name"), primary_key=True),
    required("position", Integer, default=0),
)

assignment_t = Table(
    "assignment", metadata,
    Column("item_id", Integer, ForeignKey("item.id"), primary_key=True),
    Column("unit_id", NAME, ForeignKey("unit.id"), primary_key=True),
    required("role", String(8)),  # "lead" | "co"
    Column("child_id", Integer, ForeignKey("item.id")),
)

# One row per applied event; only ever inserted into (triggers refuse UPDATE and DELETE).
trace_t = Table(
    "trace", metadata,
    Column("id", Integer, primary_key=True),
    required("item_id", Integer, ForeignKey("item.id")),
    required("ref", REF),
    required("seq", Integer),
    required("event", NAME),
    required("from_state", NAME),
    required("to_state", NAME),
    required("actor", NAME),
    required("occurred_at", INSTANT),
    required("recorded_at", INSTANT),
    required("data", Text),
    required("def_hash", HASH),
    required("prev_hash", HASH),
    required("hash", HASH),
    UniqueConstraint("item_id", "seq"),
)

# Operator actions (org loads, registrations): a hash chain of its own, insert-only.
journal_t = Table(
    "journal", metadata,
    Column("id", Integer, primary_key=True),
    required("seq", Integer, unique=True),
    required("action", NAME),
    required("actor", NAME),
    required("recorded_at", INSTANT),
    required("data", Text),
    required("prev_hash", HASH),
    required("hash", HASH),
)

# A year's official schedule added by the operator (`banli calendar add`).
calendar_t = Table(
    "calendar_year", metadata,
    Column("year", Integer, primary_key=True),
    required("holidays", Text),  # JSON list of ISO dates
    required("workdays", Text),  # adjusted working days (调休上班)
    required("source", String, default=""),
    required("added_at", INSTANT),
    required("added_by", NAME),
)

# A reminder rule that fell due and was acted on: one per item, state entry and rule.
reminder_t = Table(
    "reminder", metadata,
    Column("id", Integer, primary_key=True),
    required("item_id", Integer, ForeignKey("item.id")),
    required("entered_seq", Integer),
    required("rule", NAME),  # "state:INDEX", or "campaign:NAME:INDEX"
    required("due_at", INSTANT),
    required("done_at", INSTANT),
    Column("fired", NAME),
    UniqueConstraint("item_id", "entered_seq", "rule"),
)

# The outbox: one message to one person, written in the transaction that caused it.
notification_t = Table(
    "notification", metadata,
    Column("id", Integer, primary_key=True),
    required("key", String(200), unique=True),  # cause + recipient: never two for one cause
    Column("item_id", Integer, ForeignKey("item.id")),
    required("ref", REF, default=""),
    required("recipient", NAME),
    required("recipient_name", String, default=""),
    Column("email", String),
    required("subject", String),
    required("body", Text),
    required("created_at", INSTANT),
)

# One notification through one channel: attempts, back-off, outcome.
delivery_t = Table(
    "delivery", metadata,
    Column("id", Integer, primary_key=True),
    required("notification_id", Integer, ForeignKey("notification.id")),
    required("channel", String(32)),
    required("status", String(16), default="pending"),  # pending | sent | failed
    required("attempts", Integer, default=0),
    required("next_attempt_at", INSTANT),
    required("last_error", String, default=""),
    Column("sent_at", INSTANT),
    Column("claimed_until", INSTANT),  # lease of the worker sending it
    UniqueConstraint("notification_id", "channel"),
    Index("ix_delivery_pending", "status", "next_attempt_at"),
)

# A dated review over a selection of items (the look-back, 回头看), per workflow and session.
campaign_t = Table(
    "campaign", metadata,
    Column("id", Integer, primary_key=True),
    required("name", NAME),
    required("workflow_id", NAME),
    required("session", NAME, default=""),
    required("label", String, default=""),
    required("opened_at", INSTANT),
    Column("due_at", INSTANT),
    required("opened_by", NAME),
    UniqueConstraint("name", "workflow_id", "session"),
)

# One selected item's part in a campaign: selected once, with its due date and outcome.
campaign_task_t = Table(
    "campaign_task", metadata,
    Column("id", Integer, primary_key=True),
    required("campaign_id", Integer, ForeignKey("campaign.id")),
    required("item_id", Integer, ForeignKey("item.id")),
    required("selected_at", INSTANT),
    Column("due_at", INSTANT),
    Column("outcome", NAME),
    Column("outcome_at", INSTANT),
    UniqueConstraint("campaign_id", "item_id"),
    Index("ix_campaign_task_item", "item_id"),
)


# The organisation's own settings from its org file (the issuer of its reports, …): one
# JSON value per key, replaced when the file is loaded again.
org_setting_t = Table(
    "org_setting", metadata,
    Column("key", NAME, primary_key=True),
    required("value", Text),  # canonical JSON
)


# -- web accounts (SPEC §9): every secret (password, session, API token, invitation code) is
# kept only as its hash --------------------------------------------------------------------------

# A person's password (argon2) and their recent failed sign-ins, which lock the account.
account_t = Table(
    "account", metadata,
    Column("user_id", NAME, ForeignKey("person.id"), primary_key=True),
    Column("password_hash", String(255)),  # argon2's own encoding; none until one is set
    Column("password_set_at", INSTANT),
    required("failures", Integer, default=0, server_default="0"),  # counted since failed_since
    Column("failed_since", INSTANT),
    Column("locked_until", INSTANT),
)

# A browser's sign-in: found by the SHA-256 of its cookie, ended by sign-out or idleness.
web_session_t = Table(
    "web_session", metadata,
    Column("id", Integer, primary_key=True),
    required("token_hash", HASH, unique=True),
    required("user_id", NAME, ForeignKey("person.id")),
    required("created_at", INSTANT),
    required("last_seen_at", INSTANT),
    Column("closed_at", INSTANT),
    Index("ix_web_session_user", "user_id"),
)

# An API token of another system acting as a person; a name is reused only once revoked.
api_token_t = Table(
    "api_token", metadata,
    Column("id", Integer, primary_key=True),
    required("token_hash", HASH, unique=True),
    required("user_id", NAME, ForeignKey("person.id")),
    required("name", NAME),
    required("created_at", INSTANT),
    Column("revoked_at", INSTANT),
    Index("uq_api_token_live_name", "user_id", "name", unique=True, sqlite_where=text("revoked_at IS NULL"),
          postgresql_where=text("revoked_at IS NULL")),
)

# A one-time sign-in link (`banli user invite`): it sets the person's password, once.
invitation_t = Table(
    "invitation", metadata,
    Column("id", Integer, primary_key=True),
    required("code_hash", HASH, unique=True),
    required("user_id", NAME, ForeignKey("person.id")),
    required("created_at", INSTANT),
    required("expires_at", INSTANT),
    Column("used_at", INSTANT),
    Index("ix_invitation_user", "user_id"),
)


# -- creating and upgrading (Alembic is imported only here: it is not needed to read) ----------

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection=None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema; a no-op when it is already there."""
    from alembic import command

    with engine.connect() as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
