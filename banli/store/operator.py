"""What the operator changes: workflow definitions, the organisation (and its own settings,
such as the issuer of its reports), and the journal that records each such change in a hash
chain of its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

import json

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from banli.engine.chain import GENESIS, canonical_json, row_hash
from banli.engine.parse import MAX_VERSION
from banli.engine.times import DEFAULT_ZONE, from_utc_text, local_text
from banli.errors import InvalidInput
from banli.i18n import _
from banli.store.schema import definition_t, deputy_t, journal_t, org_setting_t, person_t, unit_t

if TYPE_CHECKING:
    from banli.engine.org import IssuerSpec
    from banli.store.repo import SqlStore


def journal(connection: Connection, action: str, actor: str, data: dict, at: str) -> None:
    """Append one operator action to the journal (same transaction as the action)."""
    head = connection.execute(select(journal_t.c.seq, journal_t.c.hash).order_by(journal_t.c.seq.desc()).limit(1)).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    text = canonical_json(data)
    digest = row_hash("@journal", seq, action, "", "", actor, at, at, text, "", prev)
    connection.execute(insert(journal_t).values(seq=seq, action=action, actor=actor, recorded_at=at, data=text,
                                                prev_hash=prev, hash=digest))


def save_definition(store: SqlStore, *, workflow_id: str, version: int | None, content_hash: str, title: str,
                    source: str, by: str, at: str) -> tuple[int, bool]:
    """Store a definition version; returns (version, created). Same content → the existing version."""
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            existing = connection.execute(select(definition_t.c.version).where(
                definition_t.c.workflow_id == workflow_id, definition_t.c.hash == content_hash)).scalar()
            if existing is not None:
                return existing, False
            latest = connection.execute(select(func.max(definition_t.c.version)).where(
                definition_t.c.workflow_id == workflow_id)).scalar() or 0
            if version is None:
                if latest >= MAX_VERSION:
                    raise InvalidInput(_("{workflow} is at version {version}, the last there can be: "
                                         "register it under a new id").format(workflow=workflow_id, version=latest))
                version = latest + 1
            elif version <= latest:
                raise InvalidInput(_("{workflow} version {version} is already registered with other content; "
                                   "raise 'version' to {next_version} or remove it to take the next one").format(
                    workflow=workflow_id, version=version, next_version=latest + 1))
            connection.execute(insert(definition_t).values(
                workflow_id=workflow_id, version=version, hash=content_hash, title=title, source=source,
                registered_at=at, registered_by=by))
            journal(connection, "workflow.register", by,
                    {"workflow": workflow_id, "version": version, "hash": content_hash}, at)
    return version, True


def list_definitions(store: SqlStore, workflow_id: str | None = None) -> list[dict]:
    query = select(definition_t.c.workflow_id, definition_t.c.version, definition_t.c.hash, definition_t.c.title,
                   definition_t.c.registered_at).order_by(definition_t.c.workflow_id, definition_t.c.version)
    if workflow_id:
        query = query.where(definition_t.c.workflow_id == workflow_id)
    with store.engine.connect() as connection:
        return [{"id": row.workflow_id, "version": row.version, "hash": row.hash, "title": row.title,
                 "registered_at": local_text(from_utc_text(row.registered_at), DEFAULT_ZONE)}
                for row in connection.execute(query)]


def apply_org(store: SqlStore, org, by: str, at: str) -> dict:
    """Insert or update units, people and deputies; nothing is deleted (items may refer to them)."""
    counts = {"units": 0, "people": 0, "deputies": 0}
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            for unit in org.units:
                values = {"name": unit.name, "government": unit.government}
                _upsert(connection, unit_t, unit_t.c.id, unit.id, values)
                counts["units"] += 1
            known_deputies = {name for (name,) in connection.execute(select(deputy_t.c.name))}
            for name in org.all_deputies():
                if name not in known_deputies:
                    connection.execute(insert(deputy_t).values(name=name))
                    known_deputies.add(name)
                    counts["deputies"] += 1
            for person in org.people:
                values = {"name": person.name, "roles": ",".join(person.roles), "unit_id": person.unit,
                          "deputy": person.deputy, "email": person.email}
                _upsert(connection, person_t, person_t.c.id, person.id, values)
                counts["people"] += 1
            loaded = {"units": [u.id for u in org.units], "people": [p.id for p in org.people],
                      "deputies": org.all_deputies()}
            # a file without an issuer leaves the one loaded before, as it leaves units and people
            if org.issuer is not None:
                issuer = org.issuer.model_dump(exclude_none=True)
                _upsert(connection, org_setting_t, org_setting_t.c.key, "issuer", {"value": canonical_json(issuer)})
                loaded["issuer"] = issuer
            journal(connection, "org.load", by, loaded, at)
    store.forget_actors()
    return counts


def _upsert(connection: Connection, table, key_column, key: str, values: dict) -> None:
    if connection.execute(select(key_column).where(key_column == key)).first():
        connection.execute(update(table).where(key_column == key).values(**values))
    else:
        connection.execute(insert(table).values({key_column.name: key, **values}))


def issuer(store: SqlStore) -> IssuerSpec | None:
    """Who issues the organisation's reports, as its org file last named it; None if it never did."""
    from banli.engine.org import IssuerSpec  # pydantic: only for the few commands that name the issuer

    with store.engine.connect() as connection:
        value = connection.execute(select(org_setting_t.c.value).where(org_setting_t.c.key == "issuer")).scalar()
    return IssuerSpec(**json.loads(value)) if value else None


def show_org(store: SqlStore) -> dict:
    with store.engine.connect() as connection:
        units = [dict(row._mapping) for row in connection.execute(select(unit_t).order_by(unit_t.c.id))]
        people = [{**row._mapping, "roles": [r for r in row.roles.split(",") if r]}
                  for row in connection.execute(select(person_t).order_by(person_t.c.id))]
        deputies = [name for (name,) in connection.execute(select(deputy_t.c.name).order_by(deputy_t.c.name))]
    found = issuer(store)
    shown = {"units": units, "people": people, "deputies": deputies}
    return {"issuer": found.model_dump(exclude_none=True), **shown} if found else shown
