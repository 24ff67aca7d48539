"""The SQL side of web accounts (`banli.engine.accounts.Accounts`): passwords, sessions, API
tokens and invitations, each secret only as its hash, each change journaled in its transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, TypeVar

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection

from banli.engine.accounts import Attempt, Note, SessionRow
from banli.errors import Busy, UniqueViolation
from banli.store.failures import is_clash, wrap_exceptions
from banli.store.operator import journal
from banli.store.schema import account_t, api_token_t, invitation_t, person_t, web_session_t

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

T = TypeVar("T")
ATTEMPTS = 5  # a transaction that met another's journal row (PostgreSQL) runs again, this often
# clashes another transaction caused (a journal row, a new account row): run again and see its row
CLASHES = ("journal_seq_key", "account_pkey")
JOURNAL_LOCK = 0x62616E6C69  # "banli": the advisory lock of the journal's head (PostgreSQL)


class SqlAccounts:
    """`store.accounts` of a `SqlStore`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a writing transaction. Two sign-ins at once both append to the journal's
        chain; on PostgreSQL the second meets the first's row and runs again on the new head."""
        for attempt in range(ATTEMPTS):
            try:
                with wrap_exceptions(), self.engine.connect() as connection:
                    with connection.execution_options(banli_write=True).begin():
                        return work(connection)
            except (Busy, UniqueViolation) as exc:
                clash = isinstance(exc, Busy) or any(is_clash(exc, name) for name in CLASHES)
                if not clash or attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _read(self, query):
        with self.engine.connect() as connection:
            return connection.execute(query).first()

    # -- passwords and sign-in -----------------------------------------------------------------

    def attempt(self, user: str, *, at: str, window_start: str, limit: int, lock_until: str) -> Attempt | None:
        def work(connection: Connection) -> Attempt | None:
            if connection.execute(select(person_t.c.id).where(person_t.c.id == user)).first() is None:
                return None
            row = _account_for_update(connection, user)
            if row.locked_until is not None and row.locked_until > at:
                return Attempt(password_hash=row.password_hash, locked_until=row.locked_until)
            counting = row.failed_since is not None and row.failed_since >= window_start
            failures = row.failures + 1 if counting else 1
            values = {"failures": failures, "failed_since": row.failed_since if counting else at,
                      "locked_until": None}
            if failures >= limit:  # locked from this attempt on; the attempt itself goes on
                values.update(failures=0, failed_since=None, locked_until=lock_until)
            connection.execute(update(account_t).where(account_t.c.user_id == user).values(**values))
            return Attempt(password_hash=row.password_hash)

        return self._write(work)

    def set_password(self, user: str, password_hash: str, *, at: str, note: Note | None) -> None:
        def work(connection: Connection) -> None:
            _set_password(connection, user, password_hash, at)
            if note is not None:
                _journal(connection, note, at)

        self._write(work)

    def journal(self, note: Note, *, at: str) -> None:
        self._write(lambda connection: _journal(connection, note, at))

    # -- sessions ------------------------------------------------------------------------------

    def open_session(self, user: str, token_hash: str, *, at: str, idle_before: str, rehash: str | None,
                     note: Note) -> None:
        def work(connection: Connection) -> None:
            values = {"failures": 0, "failed_since": None, "locked_until": None}
            if rehash is not None:
                values["password_hash"] = rehash
            connection.execute(update(account_t).where(account_t.c.user_id == user).values(**values))
            connection.execute(update(web_session_t).where(
                web_session_t.c.user_id == user, web_session_t.c.closed_at.is_(None),
                web_session_t.c.last_seen_at < idle_before).values(closed_at=at))
            connection.execute(insert(web_session_t).values(token_hash=token_hash, user_id=user, created_at=at,
                                                            last_seen_at=at))
            _journal(connection, note, at)

        self._write(work)

    def find_session(self, token_hash: str) -> SessionRow | None:
        row = self._read(select(web_session_t.c.user_id, web_session_t.c.created_at, web_session_t.c.last_seen_at,
                                web_session_t.c.closed_at).where(web_session_t.c.token_hash == token_hash))
        if row is None:
            return None
        return SessionRow(user=row.user_id, created_at=row.created_at, last_seen_at=row.last_seen_at,
                          closed=row.closed_at is not None)

    def touch_session(self, token_hash: str, *, at: str) -> None:
        # a short plain write, no journal: the later of two touches wins, and either is right
        with wrap_exceptions(), self.engine.connect() as connection:
            with connection.execution_options(banli_write=True).begin():
                connection.execute(update(web_session_t).where(
                    web_session_t.c.token_hash == token_hash, web_session_t.c.closed_at.is_(None),
                    web_session_t.c.last_seen_at < at).values(last_seen_at=at))

    def close_session(self, token_hash: str, *, at: str, note: Note) -> bool:
        def work(connection: Connection) -> bool:
            closed = connection.execute(update(web_session_t).where(
                web_session_t.c.token_hash == token_hash, web_session_t.c.closed_at.is_(None)).values(closed_at=at))
            if closed.rowcount != 1:
                return False
            _journal(connection, note, at)
            return True

        return self._write(work)

    # -- API tokens ----------------------------------------------------------------------------

    def add_token(self, user: str, name: str, token_hash: str, *, at: str, note: Note) -> bool:
        def work(connection: Connection) -> bool:
            if connection.execute(select(api_token_t.c.id).where(_live_token(user, name))).first() is not None:
                return False
            connection.execute(insert(api_token_t).values(token_hash=token_hash, user_id=user, name=name,
                                                          created_at=at))
            _journal(connection, note, at)
            return True

        try:
            return self._write(work)
        except UniqueViolation:  # the same name given at the same time by another command
            return False

    def revoke_token(self, user: str, name: str, *, at: str, note: Note) -> bool:
        def work(connection: Connection) -> bool:
            revoked = connection.execute(update(api_token_t).where(_live_token(user, name)).values(revoked_at=at))
            if revoked.rowcount != 1:
                return False
            _journal(connection, note, at)
            return True

        return self._write(work)

    def token_user(self, token_hash: str) -> str | None:
        row = self._read(select(api_token_t.c.user_id).where(api_token_t.c.token_hash == token_hash,
                                                             api_token_t.c.revoked_at.is_(None)))
        return None if row is None else row.user_id

    # -- invitations ---------------------------------------------------------------------------

    def add_invitations(self, codes: list[tuple[str, str]], *, at: str, expires_at: str, note: Note) -> None:
        def work(connection: Connection) -> None:
            users = [user for user, _code in codes]
            connection.execute(update(invitation_t).where(
                invitation_t.c.user_id.in_(users), invitation_t.c.used_at.is_(None),
                invitation_t.c.expires_at > at).values(expires_at=at))
            connection.execute(insert(invitation_t), [
                {"code_hash": code_hash, "user_id": user, "created_at": at, "expires_at": expires_at}
                for user, code_hash in codes])
            _journal(connection, note, at)

        self._write(work)

    def invitation_user(self, code_hash: str, *, at: str) -> str | None:
        row = self._read(select(invitation_t.c.user_id).where(_live_code(code_hash, at)))
        return None if row is None else row.user_id

    def redeem(self, code_hash: str, user: str, password_hash: str, *, at: str, note: Note) -> bool:
        def work(connection: Connection) -> bool:
            # the conditional update is the one-time check: of two redemptions at once, one uses the code
            used = connection.execute(update(invitation_t).where(
                _live_code(code_hash, at), invitation_t.c.user_id == user).values(used_at=at))
            if used.rowcount != 1:
                return False
            _set_password(connection, user, password_hash, at)
            _journal(connection, note, at)
            return True

        return self._write(work)


def _journal(connection: Connection, note: Note, at: str) -> None:
    """Journal `note`. On PostgreSQL the sign-ins of many people at once would each meet the
    others' new journal rows and run again, and again: they take their turn at the journal's
    head instead (a lock held until the transaction ends)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(JOURNAL_LOCK)))
    journal(connection, note.action, note.actor, note.data, at)


def _account_for_update(connection: Connection, user: str):
    """The person's account row, made if missing, held until the transaction ends (PostgreSQL;
    a writing SQLite transaction holds the whole database already)."""
    query = select(account_t).where(account_t.c.user_id == user).with_for_update()
    row = connection.execute(query).first()
    if row is None:
        connection.execute(insert(account_t).values(user_id=user, failures=0))
        row = connection.execute(query).first()
    return row


def _set_password(connection: Connection, user: str, password_hash: str, at: str) -> None:
    _account_for_update(connection, user)
    connection.execute(update(account_t).where(account_t.c.user_id == user).values(
        password_hash=password_hash, password_set_at=at, failures=0, failed_since=None, locked_until=None))
    connection.execute(update(web_session_t).where(web_session_t.c.user_id == user,
                                                   web_session_t.c.closed_at.is_(None)).values(closed_at=at))


def _live_token(user: str, name: str):
    return and_(api_token_t.c.user_id == user, api_token_t.c.name == name, api_token_t.c.revoked_at.is_(None))


def _live_code(code_hash: str, at: str):
    return and_(invitation_t.c.code_hash == code_hash, invitation_t.c.used_at.is_(None), invitation_t.c.expires_at > at)
