"""Opening a database for a command: whether it can be used, and if not why, in one line.

A database that cannot be used is exit 9 (SPEC §4): a SQLite file or folder that is missing,
a file that is not a database, a PostgreSQL server that refuses or a database that does not
exist, a database never initialised (say `banli init`), or one whose schema this program does
not know (newer) or has not yet brought up to date (older: `banli init` upgrades it). Reading
commands never create a database file by opening it.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from banli.errors import DatabaseUnusable
from banli.i18n import _
from banli.store.db import normalise_url
from banli.store.failures import DATABASE_ERRORS
from banli.store.repo import SqlStore
from banli.store.schema import MIGRATIONS

# the migrations' revision ids ("0005"), oldest first: the newest is the schema this program makes
REVISIONS = sorted(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
HEAD = REVISIONS[-1]


def open_store(url: str, *, creating: bool = False) -> SqlStore:
    """The store at `url`, checked usable. `creating` (init, import-history, demo): the database
    may be new or of an older schema, which the command then creates or upgrades."""
    url = normalise_url(url)
    _check_file(url, creating)
    store = SqlStore(url)
    try:
        revision = _revision(store)
    except DATABASE_ERRORS as exc:
        store.close()
        raise DatabaseUnusable(_("cannot use the database {database}: {reason}; check --db (env BANLI_DB)").format(
            database=_shown(store), reason=first_line(exc))) from exc
    problem = _schema_problem(store, revision, creating)
    if problem:
        store.close()
        raise DatabaseUnusable(problem)
    return store


def first_line(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's SQL and background link."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0].strip() if message else type(exc).__name__


def lost_database(exc: BaseException) -> DatabaseUnusable | None:
    """A database that stopped answering in the middle of a command (a server gone, a file
    removed, a disk full): exit 9, not a bug. None for anything else."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return DatabaseUnusable(_("the database stopped answering: {reason}; check it and run the command again").format(
            reason=first_line(exc)))
    return None


def _check_file(url: str, creating: bool) -> None:
    if not url.startswith("sqlite"):
        return
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if path.is_dir():
        raise DatabaseUnusable(_("{path} is a folder, not a database file: give a file, e.g. --db sqlite:///{path}/banli.db")
                               .format(path=path))
    if creating:
        if not path.parent.is_dir():
            raise DatabaseUnusable(_("the folder {folder} does not exist: create it first, or choose another --db").format(
                folder=path.parent))
    elif not path.exists():
        raise DatabaseUnusable(_("no database at {path}: create it with 'banli --db sqlite:///{path} init --org ORG.yaml', "
                                 "or check --db (env BANLI_DB)").format(path=path))


def _revision(store: SqlStore) -> str | None:
    with store.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _schema_problem(store: SqlStore, revision: str | None, creating: bool) -> str | None:
    shown = _shown(store)
    if revision is None:
        return None if creating else _("{database} is not initialised: run 'banli --db {database} init --org ORG.yaml' "
                                       "first (or check --db, env BANLI_DB)").format(database=shown)
    if revision not in REVISIONS:
        return _("{database} has schema {revision}, newer than this banli knows ({head}): "
                 "upgrade banli to a version that knows it").format(database=shown, revision=revision, head=HEAD)
    if revision != HEAD and not creating:
        return _("{database} has the older schema {revision}: run 'banli --db {database} init' to upgrade it to {head}")\
            .format(database=shown, revision=revision, head=HEAD)
    return None


def _shown(store: SqlStore) -> str:
    """The URL as a person gave it, never with a password."""
    return store.engine.url.render_as_string(hide_password=True).replace("+psycopg", "")
