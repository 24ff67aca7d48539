"""Plain domain records the engine and the store exchange: no SQL, no rules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum


@dataclass(frozen=True, kw_only=True)
class Actor:
    id: str
    name: str
    roles: frozenset[str] = frozenset()
    unit: str | None = None
    deputy: str | None = None


SYSTEM_ACTOR = Actor(id="system", name="系统", roles=frozenset({"system"}))


class DeliveryStatus(str, Enum):
    """Where one notification's delivery through one channel stands; the values are stored
    and compared as text."""

    PENDING = "pending"  # not yet sent: new, or retrying after a failure
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent failure or `max_attempts` reached

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, kw_only=True)
class ItemRecord:
    id: int
    ref: str
    workflow_id: str
    definition_id: int
    parent_id: int | None
    title: str
    content: str
    state: str
    version: int
    seq: int
    head_hash: str
    fields: dict = field(default_factory=dict)
    created_at: str = ""
    entered_at: str = ""
    last_at: str = ""
    deadline: str | None = None
    deadline_basis: str | None = None
    entered_seq: int = 0
    next_due_at: str | None = None

    def evolve(self, **changes) -> "ItemRecord":
        return replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class Fired:
    """What applying one event did (the `fire --json` shape)."""

    ref: str
    event: str
    from_state: str
    to_state: str
    version: int
    seq: int
    hash: str
    occurred_at: str

    def as_json(self) -> dict:
        return {"ref": self.ref, "event": self.event, "from": self.from_state, "to": self.to_state,
                "version": self.version, "seq": self.seq, "hash": self.hash, "occurred_at": self.occurred_at}


@dataclass(frozen=True, kw_only=True)
class Person:
    """Someone of the organisation file, as notifications address them."""

    id: str
    name: str
    email: str | None = None
    roles: frozenset[str] = frozenset()
    unit: str | None = None
    deputy: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrgNames:
    """Who and what exists in the organisation: deputies, units and people (id → name)."""

    deputies: tuple[str, ...]
    units: dict[str, str]
    people: dict[str, str]


@dataclass(frozen=True)
class OpenTask:
    """A campaign task of an item still waiting for its outcome."""

    campaign_id: int
    name: str
    due_at: str


@dataclass(frozen=True, kw_only=True)
class DefinitionRow:
    """A registered version of a workflow definition, as stored."""

    id: int
    workflow_id: str
    version: int
    hash: str
    source: str
