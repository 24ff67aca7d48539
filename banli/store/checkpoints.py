"""Checkpoints of the trace: the Merkle tree head of the log at a moment, {"size", "root",
"at"}, to be published where the database's administrators cannot rewrite it, and the proof
that today's log extends each published one (RFC 9162 §2.1.4 consistency proofs).

A checkpoint also carries the heads of its tree's aligned subtrees of `subtree` leaves
("heads", the last one over whatever leaves follow the last whole subtree): at most
MAX_HEADS of them (one per row up to 4,096 rows, one per 256 at 1M), so that when the proof
fails the first subtree whose rows differ, and so the rows to look at, can be named.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from banli.engine.merkle import EMPTY_ROOT, SubtreeLog, consistency_proof, root_of, verify_consistency
from banli.errors import InvalidInput
from banli.i18n import _
from banli.store import trace_scan
from banli.store.schema import trace_t
_HEX = re.compile(r"^[0-9a-f]{64}$")


def document(tree: SubtreeLog, at: datetime) -> dict:
    """The checkpoint of the log whose tree is `tree`, taken at `at`."""
    width = tree.width
    while -(-tree.size // width) > trace_scan.MAX_HEADS:
        width *= 2
    return {"size": tree.size, "root": tree.root().hex(), "at": at.astimezone(timezone.utc).isoformat(),
            "subtree": width, "heads": [head.hex() for head in tree.heads_at(width)]}


def summary(made: dict) -> dict:
    """What the journal and a printed line hold of a checkpoint: {"size", "root", "at"}."""
    return {key: made[key] for key in ("size", "root", "at")}


def journal_it(store, made: dict, actor: str) -> None:
    from banli.engine.times import utc_text
    from banli.store.operator import journal

    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            journal(connection, "audit.checkpoint", actor, summary(made),
                    utc_text(datetime.fromisoformat(made["at"])))


def write(path: str | Path, made: dict, *, append: bool = False) -> None:
    """The checkpoint as one JSON line: the file replaced, or a line added (a day's log)."""
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a" if append else "w", encoding="utf-8") as out:
            out.write(json.dumps(made, ensure_ascii=False, separators=(",", ":")) + "\n")
    except OSError as error:
        raise InvalidInput(_("cannot write the checkpoint to {path}: {reason}").format(
            path=path, reason=error.strerror or error)) from None


def read(path: str | Path) -> list[dict]:
    """The checkpoints in a file: one JSON object, or one per line (the scheduler's daily file).
    Each gets "file" and "line"; anything else is InvalidInput naming the line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(_("checkpoint file {path} not found").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(_("checkpoint file {path} cannot be read: {error}").format(
            path=path, error=error)) from None
    try:
        whole = json.loads(text)
        found = [(1, whole)] if isinstance(whole, dict) else None
    except ValueError:
        found = None
    if found is None:
        found = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    found.append((number, json.loads(line)))
                except ValueError:
                    raise InvalidInput(_("{path}:{number}: not a JSON checkpoint").format(
                        path=path, number=number)) from None
    if not found:
        raise InvalidInput(_("{path}: no checkpoint in it; make one with 'banli audit checkpoint --out FILE'").format(
            path=path))
    return [_checked(path, number, value) for number, value in found]


def _checked(path, number: int, value) -> dict:
    where = f"{path}:{number}"
    if not isinstance(value, dict):
        raise InvalidInput(_("{where}: a checkpoint is a JSON object with size, root and at").format(where=where))
    size, root = value.get("size"), value.get("root")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidInput(_("{where}: size must be a whole number of trace rows, not {size}").format(
            where=where, size=repr(size)))
    if not isinstance(root, str) or not _HEX.match(root):
        raise InvalidInput(_("{where}: root must be 64 hexadecimal digits (a SHA-256), not {root}").format(
            where=where, root=repr(root)))
    checked = {"file": str(path), "line": number, "size": size, "root": root, "at": str(value.get("at", "?"))}
    width, heads = value.get("subtree"), value.get("heads")
    if heads is not None:  # optional: without them the first differing row cannot be located
        if not (isinstance(width, int) and width >= 1 and width & (width - 1) == 0 and isinstance(heads, list)
                and len(heads) == -(-size // width) and all(isinstance(h, str) and _HEX.match(h) for h in heads)):
            raise InvalidInput(_("{where}: subtree must be a power of two and heads one SHA-256 per {width} rows "
                                 "(the last over the rest)").format(where=where, width=repr(width)))
        checked["subtree"], checked["heads"] = width, [bytes.fromhex(head) for head in heads]
    return checked


def subtrees_needed(checkpoints: list[dict], width: int) -> frozenset:
    """The `width`-leaf subtrees whose leaves a proof from each checkpoint's size needs (see
    merkle.SubtreeLog)."""
    return frozenset(item["size"] // width for item in checkpoints if item["size"] % width)


def prove(connection, tree: SubtreeLog, checkpoints: list[dict], row_failures: list) -> tuple[list, list]:
    """(failures, one summary per checkpoint): does the log whose tree is `tree` extend each?
    `row_failures` are verify's (row id, failure) of single rows, in row order."""
    failures, summaries = [], []
    root = tree.root()
    for item in checkpoints:
        size, old_root = item["size"], bytes.fromhex(item["root"])
        if size > tree.size:
            ok = False
        elif size == 0:
            ok = old_root == EMPTY_ROOT
        else:
            ok = verify_consistency(size, tree.size, old_root, root, consistency_proof(size, tree.size, tree.subtree))
        summaries.append({key: item[key] for key in ("file", "line", "size", "root", "at")} | {"ok": ok})
        if not ok:
            failures.append(_first_difference(connection, tree, item, row_failures))
    return failures, summaries


def _first_difference(connection, tree: SubtreeLog, item: dict, row_failures: list) -> dict:
    """The failure naming the first row that differs from the checkpoint, as precisely as can be."""
    size = item["size"]
    label = _("the log does not extend the checkpoint of {at} ({size} rows, {file}:{line})").format(
        at=item["at"], size=size, file=item["file"], line=item["line"])
    if size > tree.size:
        label = _("{label}: it holds {extra} row(s) more than the log has now ({rows}), so rows were deleted").format(
            label=label, extra=size - tree.size, rows=tree.size)
    last = _row_at(connection, min(size, tree.size) - 1)
    # the first row inside the checkpoint that fails its own checks (a changed row, a broken link)
    failing = row_failures[0] if row_failures and last is not None and row_failures[0][0] <= last[0] else None
    span, note = _located(tree, item)
    if span is not None and span[0] < tree.size:
        start, end = span[0], min(span[1], tree.size)
        first, final = _row_at(connection, start), _row_at(connection, end - 1)
        if failing is None or final[0] < failing[0]:  # the subtree ends before that row: it is nearer the start
            return {"ref": first[1], "seq": first[2],
                    "reason": _("{label}; the first difference is among rows {start}–{end} of the log "
                                "({first_ref} seq {first_seq} … {last_ref} seq {last_seq}): one of them was changed, "
                                "deleted, inserted or re-chained since").format(
                        label=label, start=start + 1, end=end, first_ref=first[1], first_seq=first[2],
                        last_ref=final[1], last_seq=final[2])}
    if failing is not None:
        failure = failing[1]
        return {"ref": failure["ref"], "seq": failure["seq"],
                "reason": _("{label}; the first row that differs is this one ({reason})").format(
                    label=label, reason=failure["reason"])}
    return {"ref": "@checkpoint", "seq": item["line"],
            "reason": _("{label}; {note}").format(label=label, note=note or _("rows were deleted from its end"))}


def _located(tree: SubtreeLog, item: dict) -> tuple[tuple[int, int] | None, str]:
    """[start, end): the first of the checkpoint's subtrees whose head the log no longer gives
    (at the coarser of its width and the log's), and why there is none when the heads cannot tell."""
    heads, width = item.get("heads"), item.get("subtree")
    if heads is None:
        return None, _("the checkpoint carries no subtree heads to locate the rows by")
    if root_of(heads) != bytes.fromhex(item["root"]):
        return None, _("its subtree heads do not give its root: the checkpoint file itself was altered")
    if width < tree.width:  # taken when the log was smaller: its heads, combined, at the log's width
        ratio = tree.width // width
        heads = [root_of(heads[index:index + ratio]) for index in range(0, len(heads), ratio)]
        width = tree.width
    now = tree.heads_at(width)
    whole = min(item["size"], tree.size) // width
    for number in range(whole):
        if now[number] != heads[number]:
            return (number * width, (number + 1) * width), ""
    return (whole * width, min((whole + 1) * width, item["size"])), ""


def _row_at(connection, position: int) -> tuple[int, str, int] | None:
    """(id, ref, seq) of the trace row at `position` of the log (0-based, in id order)."""
    if position < 0:
        return None
    row = connection.execute(select(trace_t.c.id, trace_t.c.ref, trace_t.c.seq).order_by(trace_t.c.id)
                             .limit(1).offset(position)).first()
    return None if row is None else tuple(row)
