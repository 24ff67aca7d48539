"""Registering definitions: validate, hash the content, store a new version if it changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from banli.engine.load import load_file, load_text
from banli.engine.parse import parse
from banli.engine.times import utc_now, utc_text

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "workflows"


def content_hash(document: dict) -> str:
    """SHA-256 of the definition's content (not its formatting or comments)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def register_text(store, text: str, file: str, by: str, now=utc_now) -> dict:
    """Store `text` as a new version of its workflow in `store` (`ports.Store`), unless that
    content is stored already."""
    document = load_text(text, file)
    builtin = {path.stem for path in builtin_files()}  # `banli init` registers them together, in any order

    def workflow_exists(workflow_id: str) -> bool:
        return workflow_id in builtin or workflow_id == document.get("id") or store.definition_id(workflow_id) is not None

    definition = parse(document, file, workflow_exists=workflow_exists)
    version, created = store.save_definition(
        workflow_id=definition.id, version=definition.version, content_hash=content_hash(document),
        title=str(definition.title), source=text, by=by, at=utc_text(now()))
    return {"id": definition.id, "version": version, "hash": content_hash(document), "created": created,
            "title": str(definition.title)}


def register_file(store, path: str | Path, by: str, now=utc_now) -> dict:
    _document, text = load_file(path)
    return register_text(store, text, str(path), by, now)


def builtin_files() -> list[Path]:
    return sorted(BUILTIN_DIR.glob("*.yaml"))
