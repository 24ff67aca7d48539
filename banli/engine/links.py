"""Links from an item to other items (a field of type `items`): the refs of earlier items, as a
suggestion made again in a later session names the ones it repeats (多次提议). Each ref must
name an item already registered; an event that links may not name the item itself (the
guard `not_itself`). What a link shows of the earlier item is read by `history`."""

from __future__ import annotations

import re

from banli.errors import InvalidInput
from banli.i18n import _

MAX_LINKS = 20  # a suggestion repeated in more sessions than this is not one suggestion
_SPLIT = re.compile(r"[,，、;；\s]+")


def refs(tx, value: object, key: str) -> list[str]:
    """`value` (a list, or text with refs separated by 、 , ; or spaces) as the refs it names,
    each once, in the order given; every one must be an item `tx` knows."""
    found = list(dict.fromkeys(str(part).strip() for part in value if str(part).strip())) \
        if isinstance(value, list) else split(str(value))
    if len(found) > MAX_LINKS:
        raise InvalidInput(_("'{key}' names {count} items; link at most {most}").format(
            key=key, count=len(found), most=MAX_LINKS))
    for ref in found:  # `tx` a transaction, or an import's lookup of the refs in the database
        if tx.item(ref) is None:
            raise InvalidInput(_("'{key}': there is no item {ref}; name items already registered (see 'banli item list')")
                               .format(key=key, ref=ref))
    return found


def split(text: str) -> list[str]:
    """The refs in `text`, separated by 、 , ; or spaces, each once, in order."""
    return list(dict.fromkeys(part for part in _SPLIT.split(text) if part))


def not_itself(ctx, field: str = "earlier") -> str | None:
    """A guard on the event's data: the items it links (`field`) do not include the item itself."""
    if ctx.item.ref in (ctx.data.get(field) or []):
        return _("'{field}' names {ref} itself; name other, earlier items").format(field=field, ref=ctx.item.ref)
    return None
