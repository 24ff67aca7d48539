"""What an item's page shows besides the item's own row: who holds the roles its person fields
declare (the county leader of a key suggestion, 分管县领导) and the earlier items it links
(多次提议) with where each ended, read through the store for `banli item show` and the web."""

from __future__ import annotations

from collections import deque
from typing import Callable

MAX_HISTORY = 50  # earlier items followed, links of links included


def related(store, ref: str, sees: Callable | None = None) -> dict:
    """`{"role_holders": [...], "earlier": [...]}` of the item `ref` (empty lists if it has
    neither; an empty dict if there is no such item). With `sees(tx, item)`, an earlier item
    it refuses is left out, and so are the ones only it links."""
    with store.read() as tx:
        item = tx.item(ref)
        if item is None:
            return {}
        definition = store.workflows.by_id(item.definition_id).definition
        roles = [(name, spec) for name, spec in definition.fields.items() if spec.role and item.fields.get(name)]
        names = {person.id: person.name for person in tx.people()} if roles else {}
        holders = [{"role": name, "label": str(spec.label), "id": str(item.fields[name]),
                    "name": names.get(str(item.fields[name]), str(item.fields[name]))} for name, spec in roles]
        return {"role_holders": holders, "earlier": history(tx, store.workflows, linked(definition, item.fields),
                                                            item.ref, sees)}


def linked(definition, fields: dict) -> list[str]:
    """The refs an item with `fields` links through its fields of type `items`, in field order."""
    return [str(ref) for name, spec in definition.fields.items() if spec.type == "items"
            for ref in fields.get(name) or []]


def history(tx, workflows, refs: list[str], own: str, sees: Callable | None = None) -> list[dict]:
    """The earlier items `refs` (linked by the item `own`), then the ones those link, each once,
    nearest first: ref, title, session, state, and how each ended (result class, rating)."""
    seen, found = {own}, []
    queue = deque(refs)
    while queue and len(found) < MAX_HISTORY:
        ref = queue.popleft()
        if ref in seen:
            continue
        seen.add(ref)
        other = tx.item(ref)
        if other is None or (sees is not None and not sees(tx, other)):
            continue
        workflow = workflows.by_id(other.definition_id)
        fields = other.fields
        found.append({"ref": other.ref, "title": other.title, "session": fields.get("session") or "",
                      "state": other.state, "state_label": workflow.label(other.state),
                      "result_class": fields.get("result_class") or "", "rating": fields.get("rating") or ""})
        queue.extend(linked(workflow.definition, fields))
    return found
