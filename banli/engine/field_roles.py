"""Item-relative roles a definition declares itself (`fields.NAME.role: true`): the person a
person field names holds, on that item, the role of the field's name (a county leader named
in `lead_leader` holds `lead_leader`). Read from the definition here, and resolved against
an item's fields here; `banli.engine.roles` asks when a role is none of banli's own."""

from __future__ import annotations

from banli.engine.load import Located, Position
from banli.engine.model import GLOBAL_ROLES, ITEM_ROLES, SYSTEM, Field
from banli.engine.readers import Context, boolean
from banli.i18n import _

BUILT_IN = GLOBAL_ROLES + ITEM_ROLES + (SYSTEM,)  # roles banli knows without a definition


def read(ctx: Context, spec: Located, field_name: str, kind: str, at: Position, where: str) -> bool:
    """A field's `role`: only a person field holds one, and its name must not be a role banli
    already has (`at`: where the field's name stands)."""
    if not boolean(ctx, spec, "role", where):
        return False
    if kind != "person":
        ctx.error(spec.value_at("role"), _("{where}: only a person field names the holder of a role, not a field "
                                           "of type {type}; make it 'type: person' or drop 'role'").format(
            where=where, type=kind))
        return False
    if field_name in BUILT_IN:
        kind_of_role = _("the scheduler's actor") if field_name == SYSTEM else (
            _("an item-relative role") if field_name in ITEM_ROLES else _("a global role"))
        ctx.error(at, _("{where}: '{field}' is already {kind} of banli, so a field holding a role "
                        "cannot be named so; rename the field (e.g. lead_leader)").format(
            where=where, field=field_name, kind=kind_of_role))
        return False
    return True


def names(fields: dict[str, Field]) -> tuple[str, ...]:
    """The roles the definition's person fields declare, in the order of the fields."""
    return tuple(name for name, field in fields.items() if field.role)


def holder(role: str, fields: dict) -> str | None:
    """The id of the person holding the declared role `role` on an item with `fields`, or None
    (banli's own roles are not held through a field)."""
    if role in BUILT_IN:
        return None
    value = fields.get(role)
    return str(value) if value not in (None, "") else None
