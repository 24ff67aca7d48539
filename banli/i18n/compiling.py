"""A catalog's .po compiled to the bytes of its .mo (Babel): by the build, and at run time
for a catalog the build has not compiled."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path


def compiled(po: Path) -> bytes:
    """The .mo bytes of the catalog at `po`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle)
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()
