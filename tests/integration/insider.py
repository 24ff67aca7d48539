"""What an insider with the database can do, as the issue's attacks do it: statements run with
the trace's append-only triggers and the foreign keys off (SQLite: triggers dropped and put
back; PostgreSQL: `session_replication_role = replica`), and an item's chain rewritten with
recomputed hashes, its item row fixed to match, so that only a checkpoint can tell."""

from __future__ import annotations

import json
from typing import Callable

from sqlalchemy import create_engine, text

from banli.engine.chain import GENESIS, HASHED_FIELDS, canonical_json, row_hash
from banli.engine.projection import Projection, Projector
from banli.store.db import normalise_url
from tests.integration.tamper import SQLITE_TRIGGERS

# what refers to an item, child tables first: an insider removing an item removes these too
DEPENDENTS = ["DELETE FROM delivery WHERE notification_id IN (SELECT id FROM notification WHERE item_id = {id})",
              "DELETE FROM notification WHERE item_id = {id}", "DELETE FROM reminder WHERE item_id = {id}",
              "DELETE FROM campaign_task WHERE item_id = {id}", "DELETE FROM assignment WHERE item_id = {id}",
              "DELETE FROM item_deputy WHERE item_id = {id}"]


def insider(db_url: str, *statements) -> None:
    """Run `statements` (SQL, or (SQL, parameters)) in one transaction, past the triggers and the
    foreign keys."""
    engine = create_engine(normalise_url(db_url))  # a plain connection: SQLite's foreign keys are off
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as connection:
        if sqlite:
            for name in SQLITE_TRIGGERS:
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            sql, parameters = (statement, {}) if isinstance(statement, str) else statement
            connection.execute(text(sql), parameters)
        if sqlite:
            for create in SQLITE_TRIGGERS.values():
                connection.execute(text(create))
    engine.dispose()


def item_id(db_url: str, ref: str) -> int:
    engine = create_engine(normalise_url(db_url))
    with engine.connect() as connection:
        found = connection.execute(text("SELECT id FROM item WHERE ref = :ref"), {"ref": ref}).scalar_one()
    engine.dispose()
    return found


def remove_item(db_url: str, ref: str) -> None:
    """The item, its trace and everything that refers to it, gone."""
    number = item_id(db_url, ref)
    insider(db_url, *[statement.format(id=number) for statement in DEPENDENTS],
            f"DELETE FROM trace WHERE item_id = {number}", f"DELETE FROM item WHERE id = {number}")


def rewrite(store, db_url: str, ref: str, change: Callable[[dict], None] = lambda row: None,
            keep: int | None = None) -> None:
    """The item's first `keep` trace rows (all by default), each passed to `change` (which may
    edit its fields), hashed and chained anew; the item row set to what they establish."""
    engine = create_engine(normalise_url(db_url))
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(
            text(f"SELECT id, item_id, {', '.join(HASHED_FIELDS)} FROM trace WHERE ref = :ref ORDER BY seq"),
            {"ref": ref})]
    engine.dispose()
    statements = [f"DELETE FROM trace WHERE id = {row['id']}" for row in rows[keep:]] if keep is not None else []
    rows = rows[:keep] if keep is not None else rows
    projector = Projector(lambda def_hash: store.workflows.by_hash(def_hash).definition)
    projection, prev = Projection(), GENESIS
    for row in rows:
        change(row)
        row["prev_hash"] = prev
        prev = row_hash(*(row[name] for name in HASHED_FIELDS))
        statements.append((f"UPDATE trace SET {', '.join(f'{name} = :{name}' for name in HASHED_FIELDS)}, hash = :hash "
                           "WHERE id = :id", dict(row, hash=prev)))
        projector.apply(projection, row["seq"], row["event"], row["to_state"], row["data"], row["def_hash"])
    statements.append(("UPDATE item SET seq = :seq, version = :seq, head_hash = :head, state = :state, "
                       "fields = :fields WHERE ref = :ref",
                       {"seq": projection.version, "head": prev, "state": projection.state,
                        "fields": canonical_json(projection.fields), "ref": ref}))
    insider(db_url, *statements)


def set_data(seq: int, **values) -> Callable[[dict], None]:
    """A `change` for rewrite: row `seq`'s data with `values` in it."""
    def change(row: dict) -> None:
        if row["seq"] == seq:
            row["data"] = canonical_json({**json.loads(row["data"]), **values})
    return change
