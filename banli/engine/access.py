"""Who sees which item (SPEC §9 "Who sees what"): one rule, asked by the web pages, the JSON
API and the lists alike; a list query translates the same `Scope` into its filter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from banli.engine.records import Actor, ItemRecord
from banli.errors import NotPermitted
from banli.i18n import _, either

SEE_EVERYTHING = frozenset({"admin", "supervisor", "npc_office", "auditor", "registrar", "leader"})  # a county leader oversees
CHILD_SEPARATOR = "/"  # a child item's ref is its parent's ref, "/", and its unit


@dataclass(frozen=True, kw_only=True)
class Scope:
    """What one person sees: every item, or the items of their unit (lead or co-handling,
    and those items' child items), or the items they are a deputy of."""

    everything: bool = False
    unit: str | None = None
    deputy: str | None = None

    def admits(self, *, units: Iterable[str], parent_units: Iterable[str] = (), deputies: Iterable[str] = ()) -> bool:
        """Whether an item assigned to `units`, whose parent (if any) is assigned to
        `parent_units`, with `deputies`, is seen."""
        if self.everything:
            return True
        if self.unit and (self.unit in set(units) or self.unit in set(parent_units)):
            return True
        return bool(self.deputy) and self.deputy in set(deputies)


def scope(actor: Actor) -> Scope:
    """The items `actor` sees, by their roles of the organisation file."""
    if actor.roles & SEE_EVERYTHING:
        return Scope(everything=True)
    return Scope(unit=actor.unit if "unit" in actor.roles else None,
                 deputy=actor.deputy if "deputy" in actor.roles else None)


def item_units(fields: dict) -> list[str]:
    """The units an item is assigned to: its lead unit and co-units."""
    lead = [fields["lead_unit"]] if fields.get("lead_unit") else []
    return lead + [unit for unit in fields.get("co_units") or [] if unit not in lead]


def parent_ref(ref: str) -> str | None:
    return ref.rsplit(CHILD_SEPARATOR, 1)[0] if CHILD_SEPARATOR in ref else None


def may_see(tx, actor: Actor, item: ItemRecord) -> bool:
    """Whether `actor` sees `item`, read through the transaction `tx` (a `ports.Tx`)."""
    seen = scope(actor)
    if seen.everything:
        return True
    parent_units: list[str] = []
    if item.parent_id is not None and (parent := parent_ref(item.ref)):
        parent_item = tx.item(parent)
        parent_units = item_units(parent_item.fields) if parent_item else []
    deputies = tx.deputies(item.id) if seen.deputy else ()
    return seen.admits(units=item_units(item.fields), parent_units=parent_units, deputies=deputies)


def check_sees(tx, actor: Actor, item: ItemRecord) -> None:
    """NotPermitted, naming nothing of the item, when `actor` may not see it."""
    if not may_see(tx, actor, item):
        raise NotPermitted(_("item {ref} is not one of yours: it is not shown to you").format(ref=item.ref), ref=item.ref)


# -- the documents of the whole year ------------------------------------------------------------

REPORT_ROLES = SEE_EVERYTHING  # the ledger, the dashboard, the annual report: every item's figures
AUDIT_ROLES = frozenset({"auditor", "supervisor", "admin"})  # the whole trace's verification (SPEC §9)


def check_roles(actor: Actor, roles: frozenset[str], what: str) -> None:
    """NotPermitted unless `actor` holds one of `roles` for `what` (e.g. "the ledger", in the
    language of the moment)."""
    if not actor.roles & roles:
        raise NotPermitted(_("{what} is for the role {roles}; user '{user}' has none of them").format(
            what=what, roles=either(sorted(roles)), user=actor.id))
