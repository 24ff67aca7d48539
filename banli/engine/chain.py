"""The trace's hash chain: canonical bytes of a row and the SHA-256 that links rows.

The hash input is the row's fields as text joined by U+001F, with `data` as canonical JSON
(sorted keys, no spaces, UTF-8). That text is exactly what the store keeps, so verifying a
row is a fetch and one SHA-256. This format is baked into stored data: never change it.
"""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64
SEPARATOR = "\x1f"
HASHED_FIELDS = (
    "ref", "seq", "event", "from_state", "to_state", "actor",
    "occurred_at", "recorded_at", "data", "def_hash", "prev_hash",
)


def canonical_json(value: object) -> str:
    """The one JSON text of a value: sorted keys, no whitespace, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def row_hash(ref: str, seq: int, event: str, from_state: str, to_state: str, actor: str,
             occurred_at: str, recorded_at: str, data: str, def_hash: str, prev_hash: str) -> str:
    text = SEPARATOR.join(
        (ref, str(seq), event, from_state, to_state, actor, occurred_at, recorded_at, data, def_hash, prev_hash)
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
