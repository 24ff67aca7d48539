"""The complete database as JSON lines: moved between SQLite and PostgreSQL, or restored, row
for row and table for table, ids kept.

Format 2, one JSON object a line (keys sorted, UTF-8):

    {"type": "banli-history", "format": 2, "schema": "0003", "tables": [...]}
    {"table": "workflow_definition", "row": {"id": 1, ...}}   every row of every table
    ...
    {"type": "end", "counts": {"campaign": 1, ...}}           a file without it was cut short

Every table of `schema.metadata` is carried (only Alembic's version table is not: the
importing banli creates the schema), in an order that satisfies the foreign keys, each
table's rows in primary-key order, every column as the database holds it — the texts that
were hashed are carried as those texts. A table added to the schema is carried without a
change here. The same database always makes the same file, whatever backend it was read from.

Format 1 (before campaigns were carried) is refused with a message: it lost the campaigns,
so importing it would silently drop the look-back; export the source again instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from sqlalchemy import Table, bindparam, func, insert, select, text, update

from banli.engine.chain import canonical_json
from banli.errors import InvalidInput
from banli.i18n import _
from banli.store.failures import DATABASE_ERRORS
from banli.store.schema import metadata

if TYPE_CHECKING:
    from banli.store.repo import SqlStore

FORMAT = 2
BATCH = 2000
_CARRIED_TYPES = (int, str, bool)  # what a column may hold to be written as JSON and read back exactly


def carried_tables() -> list[Table]:
    """Every table of the schema, each after the tables its foreign keys refer to."""
    return list(metadata.sorted_tables)


@dataclass(frozen=True)
class _Column:
    name: str
    kind: type
    nullable: bool
    defaulted: bool  # the database (or SQLAlchemy) gives a value when the row omits it
    length: int | None


def _columns(table: Table) -> dict[str, _Column]:
    columns = {}
    for column in table.columns:
        kind = column.type.python_type
        if kind not in _CARRIED_TYPES:
            raise TypeError(f"history cannot carry {table.name}.{column.name} of type {column.type}: "
                            "give its JSON form in banli/store/history.py")
        # a row may leave out a column the database fills, but never its key: other rows refer to it
        defaulted = not column.primary_key and (column.default is not None or column.server_default is not None)
        columns[column.name] = _Column(column.name, kind, column.nullable, defaulted,
                                       getattr(column.type, "length", None))
    return columns


# -- export -------------------------------------------------------------------------------------

def export_lines(store: SqlStore) -> Iterator[str]:
    """Every line of the history file, in order, read in one snapshot of the database."""
    from alembic.runtime.migration import MigrationContext

    tables = carried_tables()
    for table in tables:
        _columns(table)  # a column the format cannot carry fails before the first line
    counts = {table.name: 0 for table in tables}
    with store.engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # one snapshot for every table, so the rows agree with each other
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            revision = MigrationContext.configure(connection).get_current_revision()
            yield canonical_json({"type": "banli-history", "format": FORMAT, "schema": revision,
                                  "tables": [table.name for table in tables]})
            for table in tables:
                query = select(table).order_by(*_key_order(table, postgres))
                for row in connection.execution_options(yield_per=BATCH).execute(query):
                    counts[table.name] += 1
                    yield canonical_json({"table": table.name, "row": dict(row._mapping)})
    yield canonical_json({"type": "end", "counts": counts})


def _key_order(table: Table, postgres: bool) -> list:
    """The primary key, with text compared byte by byte on both backends (SQLite's default;
    PostgreSQL's "C" collation), so both give the rows in the same order."""
    columns = list(table.primary_key.columns) or list(table.columns)
    return [column.collate("C") if postgres and column.type.python_type is str else column for column in columns]


# -- import -------------------------------------------------------------------------------------

def import_lines(store: SqlStore, lines: Iterable[str], source: str = "<history>", progress=None) -> dict:
    """Load a history file into an empty database, in one transaction: all of it or nothing."""
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            _require_empty(connection)
            loader = _Loader(connection, source)
            for number, line in enumerate(lines, 1):
                if line.strip():
                    loader.take(number, line)
                    if progress and number % BATCH == 0:
                        progress(number)
            counts = loader.finish()
    store.workflows.forget()
    store.forget_actors()
    return counts


def _require_empty(connection) -> None:
    for table in carried_tables():
        if connection.execute(select(1).select_from(table).limit(1)).first():
            raise InvalidInput(_("import-history needs an empty database: it brings its own definitions, organisation "
                                 "and journal. Give a new database with --db (do not run 'banli init' on it first)"))


class _Loader:
    """Takes the lines in order, checks each row against its table, and inserts them in batches."""

    def __init__(self, connection, source: str) -> None:
        self.conn, self.source = connection, source
        self.tables = {table.name: table for table in carried_tables()}
        self.columns: dict[str, dict[str, _Column]] = {}
        self.header = False
        self.ended: dict | None = None
        self.counts: dict[str, int] = {}
        self.batch: list[tuple[int, dict]] = []  # (line number, row) of one table, one set of columns
        self.batch_key: tuple | None = None
        # a row naming a row of its own table that comes later in the file (a parent after its
        # child): inserted without the reference, which is set once every row is in
        self.deferred: list[tuple[int, Table, str, object, dict]] = []

    def fail(self, number: int, message: str) -> None:
        raise InvalidInput(_("{file}:{line}: {problem}; nothing was imported").format(
            file=self.source, line=number, problem=message))

    def take(self, number: int, line: str) -> None:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            self.fail(number, _("not valid JSON ({reason})").format(reason=exc.msg))
        if not isinstance(record, dict):
            self.fail(number, _("not a JSON object"))
        if not self.header:
            self.on_header(number, record)
        elif self.ended is not None:
            self.fail(number, _("lines after the end line"))
        elif record.get("type") == "end" and "table" not in record:
            self.flush()
            counts = record.get("counts")
            self.ended = counts if isinstance(counts, dict) else {}
        elif "table" in record:
            self.on_row(number, record.get("table"), record.get("row"))
        else:
            self.fail(number, _("neither a table row nor the end line"))

    def on_header(self, number: int, record: dict) -> None:
        if record.get("type") != "banli-history":
            self.fail(number, _("not a banli history file of format {format} (it must start with its header line)")
                      .format(format=FORMAT))
        if record.get("format") == 1:
            self.fail(number, _("a history of format 1, written by an older banli, which left out the campaigns and "
                                "their tasks; export the source database again with this banli (format 2)"))
        if record.get("format") != FORMAT:
            self.fail(number, _("a history of format {found}; this banli reads format {format} "
                                "(import it with the banli that wrote it)").format(
                found=repr(record.get("format")), format=FORMAT))
        if not _known_revision(record.get("schema")):
            self.fail(number, _("written at schema {schema}, which this banli does not know "
                                "(import it with a banli at least as new as the one that wrote it)").format(
                schema=repr(record.get("schema"))))
        tables = record.get("tables")
        if not isinstance(tables, list) or not tables:
            self.fail(number, _("the header line lacks its list of tables"))
        unknown = [name for name in tables if name not in self.tables]
        if unknown:
            self.fail(number, _("the file carries tables this banli does not know: {tables} "
                                "(import it with the banli that wrote it)").format(tables=", ".join(map(str, unknown))))
        self.counts = {name: 0 for name in tables}
        self.header = True

    def on_row(self, number: int, name: object, row: object) -> None:
        if name not in self.counts:
            self.fail(number, _("a row of table {table}, which the header does not list").format(table=repr(name)))
        if not isinstance(row, dict):
            self.fail(number, _("a {table} line without its row object").format(table=name))
        table = self.tables[name]
        columns = self.columns.get(name) or self.columns.setdefault(name, _columns(table))
        problem = _check_row(name, row, columns)
        if problem:
            self.fail(number, problem)
        row = dict(row)
        for column, target in _own_references(table):
            value = row.get(column)
            if value is not None and value >= row.get(target, value):
                self.deferred.append((number, table, column, value, {key: row[key] for key in _key(table)}))
                row[column] = None
        key = (name, tuple(sorted(row)))
        if key != self.batch_key:
            self.flush()
            self.batch_key = key
        self.batch.append((number, row))
        self.counts[name] += 1
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Insert the batch; when the database refuses it, find and name the line it refuses."""
        batch, self.batch = self.batch, []
        if not batch:
            return
        table = self.tables[self.batch_key[0]]
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(table), [row for _number, row in batch])
        except DATABASE_ERRORS as exc:
            for number, row in batch:
                try:
                    with self.conn.begin_nested():
                        self.conn.execute(insert(table), [row])
                except DATABASE_ERRORS as refused:
                    self.fail(number, _("the database refuses this {table} row ({reason})").format(
                        table=table.name, reason=_reason(refused)))
            self.fail(batch[0][0], _("the database refuses these {table} rows ({reason})").format(
                table=table.name, reason=_reason(exc)))

    def finish(self) -> dict:
        if self.ended is None:
            raise InvalidInput(_("{file}: the file ends without its end line (cut short?); nothing was imported")
                               .format(file=self.source))
        if self.ended != self.counts:
            raise InvalidInput(_("{file}: the end line counts {ended} but the file holds "
                                 "{counts}; nothing was imported").format(
                file=self.source, ended=self.ended, counts=self.counts))
        for number, table, column, value, key in self.deferred:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(update(table).where(*[table.c[k] == bindparam(f"key_{k}") for k in key])
                                      .values({column: value}), {f"key_{k}": v for k, v in key.items()})
            except DATABASE_ERRORS as refused:
                self.fail(number, _("the database refuses this {table} row's {column} ({reason})").format(
                    table=table.name, column=column, reason=_reason(refused)))
        if self.conn.dialect.name == "postgresql":
            _advance_sequences(self.conn)
        return dict(self.counts)


def _check_row(table: str, row: dict, columns: dict[str, _Column]) -> str | None:
    """What is wrong with a row of `table`, in words ("a TABLE row …"), or None. Checked here
    rather than left to the database, so that SQLite and PostgreSQL refuse the same rows."""
    unknown = sorted(set(row) - set(columns))
    if unknown:
        return _("a {table} row has columns its table lacks: {columns}").format(table=table, columns=", ".join(unknown))
    for column in columns.values():
        if column.name not in row:
            if not (column.nullable or column.defaulted):
                return _("a {table} row lacks its column {column}").format(table=table, column=column.name)
            continue
        value = row[column.name]
        if value is None:
            if not column.nullable:
                return _("a {table} row has no value for {column}, which needs one").format(
                    table=table, column=column.name)
        elif type(value) is not column.kind:
            return _("a {table} row has {column} = {value}, not a {kind}").format(
                table=table, column=column.name, value=repr(value), kind=column.kind.__name__)
        elif column.length is not None and len(value) > column.length:
            return _("a {table} row has a {column} longer than {length} characters").format(
                table=table, column=column.name, length=column.length)
    return None


def _own_references(table: Table) -> list[tuple[str, str]]:
    """(column, the column of the same table it refers to) for each self-reference."""
    return [(fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table]


def _key(table: Table) -> list[str]:
    return [column.name for column in table.primary_key.columns] or [column.name for column in table.columns]


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def _known_revision(revision: object) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from banli.store.schema import alembic_config

    if not isinstance(revision, str):
        return False
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _advance_sequences(connection) -> None:
    """Set each id sequence past the imported ids, so that the next row gets a fresh one
    (SQLite takes the next id from the table itself)."""
    for table in carried_tables():
        column = table.autoincrement_column
        if column is None:
            continue
        connection.execute(
            select(func.setval(func.pg_get_serial_sequence(table.name, column.name),
                               func.coalesce(func.max(column), 0) + 1, text("false"))).select_from(table))
