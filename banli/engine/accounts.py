"""Web accounts (SPEC §9): passwords, sign-in with lockout, browser sessions, API tokens and
one-time invitations. The rules are here; the store behind `store.accounts` keeps only hashes."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from banli.engine.limits import MAX_ID
from banli.engine.times import from_utc_text, utc_text
from banli.errors import InvalidInput, LockedOut, NotFound, NotPermitted
from banli.i18n import N_, _, ngettext

MIN_PASSWORD = 8
FAILURES = 5
WINDOW = LOCKOUT = timedelta(minutes=15)
# A session's last_seen_at is written at most this often, so that a page view is a read; a
# session may therefore end up to this much before its idle time as the browser saw it.
TOUCH_EVERY = timedelta(minutes=1)
MAX_NAME = MAX_ID  # a token's name: the width of its column

# the same words for an unknown person and a wrong password: a sign-in page tells no one who has an account
WRONG_SIGN_IN = N_("the user name or the password is not right")
BAD_INVITATION = N_("this sign-in link is not valid, used up or expired; ask the supervision office for a new one")
SHORT_PASSWORD = N_("the password must have at least {minimum} characters")


@dataclass(frozen=True, kw_only=True)
class Session:
    """A signed-in browser. `token` is in clear only here, for the cookie; the store keeps its hash."""

    token: str
    user: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, kw_only=True)
class Note:
    """What the store journals in the transaction of a change: never a secret."""

    action: str
    actor: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """A counted sign-in attempt: the account's password hash (None: no password set), or the
    instant the account is locked until, when it was locked and the attempt was not counted."""

    password_hash: str | None = None
    locked_until: str | None = None


@dataclass(frozen=True, kw_only=True)
class SessionRow:
    user: str
    created_at: str
    last_seen_at: str
    closed: bool = False


class Accounts(Protocol):
    """The port `store.accounts`. Times are UTC text; each method is one transaction, and
    journals its `note` in it."""

    def attempt(self, user: str, *, at: str, window_start: str, limit: int, lock_until: str) -> Attempt | None:
        """Count one sign-in attempt as failed until it succeeds: failures counted since before
        `window_start` start again at one; the `limit`-th locks the account until `lock_until`.
        A locked account's attempt is not counted. None when `user` is no person."""

    def set_password(self, user: str, password_hash: str, *, at: str, note: Note | None) -> None:
        """Store the hash, clear the failures and the lock, end the person's sessions."""

    def journal(self, note: Note, *, at: str) -> None:
        """Journal an attempt that changed nothing (a failed sign-in)."""

    def open_session(self, user: str, token_hash: str, *, at: str, idle_before: str, rehash: str | None,
                     note: Note) -> None:
        """A new session; clears the failures and the lock, ends the person's sessions last seen
        before `idle_before`, and replaces the password hash by `rehash` if given."""

    def find_session(self, token_hash: str) -> SessionRow | None: ...

    def touch_session(self, token_hash: str, *, at: str) -> None: ...

    def close_session(self, token_hash: str, *, at: str, note: Note) -> bool:
        """End an open session; False (nothing journaled) if it was not open."""

    def add_token(self, user: str, name: str, token_hash: str, *, at: str, note: Note) -> bool:
        """A new API token; False (nothing written) if the person has a live one of that name."""

    def revoke_token(self, user: str, name: str, *, at: str, note: Note) -> bool:
        """End the person's live token of that name; False if there is none."""

    def token_user(self, token_hash: str) -> str | None: ...

    def add_invitations(self, codes: list[tuple[str, str]], *, at: str, expires_at: str, note: Note) -> None:
        """(user, code hash) pairs, valid until `expires_at`; each person's older unused ones end."""

    def invitation_user(self, code_hash: str, *, at: str) -> str | None:
        """The person of a code that is unused and unexpired at `at`."""

    def redeem(self, code_hash: str, user: str, password_hash: str, *, at: str, note: Note) -> bool:
        """Use the code (if still unused and unexpired, and the person's) and set the password as
        `set_password` does; False if the code no longer works."""


def digest(secret: str) -> str:
    """How a high-entropy secret is stored and looked up: SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def csrf_for(token: str) -> str:
    """A session's CSRF token, derived from its token so that nothing more is stored; one
    cannot go back from it to the session token."""
    return hashlib.sha256(b"banli-csrf\0" + token.encode("utf-8")).hexdigest()


def password_problem(password: str) -> bool:
    return len(password) < MIN_PASSWORD


# -- passwords and sign-in -----------------------------------------------------------------


def set_password(store, user: str, password: str, *, by: str, now: datetime) -> None:
    """Set a person's password; their sessions end and a lock is lifted."""
    _person(store, user)
    if password_problem(password):
        raise InvalidInput(_(SHORT_PASSWORD).format(minimum=MIN_PASSWORD))
    store.accounts.set_password(user, _hasher().hash(password), at=utc_text(now),
                                note=Note(action="user.set_password", actor=by, data={"user": user}))


def sign_in(store, user: str, password: str, *, now: datetime, idle: timedelta) -> Session:
    """A new session for the person if the password is theirs. Every attempt is counted before
    the password is checked, so that attempts made at once cannot pass the limit together."""
    at = utc_text(now)
    attempt = None
    if user and len(user) <= MAX_NAME:
        attempt = store.accounts.attempt(user, at=at, window_start=utc_text(now - WINDOW), limit=FAILURES,
                                         lock_until=utc_text(now + LOCKOUT))
    if attempt is None:
        _verify(_dummy_hash(), password)  # the time a known person's check takes
        store.accounts.journal(Note(action="user.sign_in_failed", actor="anonymous",
                                    data={"reason": "unknown user"}), at=at)
        raise NotPermitted(_(WRONG_SIGN_IN))
    if attempt.locked_until is not None:
        until = from_utc_text(attempt.locked_until)
        store.accounts.journal(Note(action="user.sign_in_failed", actor=user, data={"reason": "locked"}), at=at)
        minutes = max(1, math.ceil((until - now).total_seconds() / 60))
        raise LockedOut(ngettext("too many failed sign-ins: the account is locked for now; try again in {minutes} minute",
                                 "too many failed sign-ins: the account is locked for now; try again in {minutes} minutes",
                                 minutes).format(minutes=minutes), user=user, until=until)
    if attempt.password_hash is None or not _verify(attempt.password_hash, password):
        if attempt.password_hash is None:
            _verify(_dummy_hash(), password)
        reason = "no password" if attempt.password_hash is None else "wrong password"
        store.accounts.journal(Note(action="user.sign_in_failed", actor=user, data={"reason": reason}), at=at)
        raise NotPermitted(_(WRONG_SIGN_IN))
    rehash = _hasher().hash(password) if _hasher().check_needs_rehash(attempt.password_hash) else None
    token = secrets.token_urlsafe(32)
    store.accounts.open_session(user, digest(token), at=at, idle_before=utc_text(now - idle), rehash=rehash,
                                note=Note(action="user.sign_in", actor=user, data={"user": user}))
    return Session(token=token, user=user, csrf_token=csrf_for(token), created_at=now, last_seen_at=now)


def session(store, token: str, *, now: datetime, idle: timedelta) -> Session | None:
    """The open session of a cookie, unless it has been idle longer than `idle`."""
    if not token:
        return None
    token_hash = digest(token)
    row = store.accounts.find_session(token_hash)
    if row is None or row.closed:
        return None
    last_seen = from_utc_text(row.last_seen_at)
    if now - last_seen > idle:
        return None
    if now - last_seen >= TOUCH_EVERY:
        store.accounts.touch_session(token_hash, at=utc_text(now))
    return Session(token=token, user=row.user, csrf_token=csrf_for(token), created_at=from_utc_text(row.created_at),
                   last_seen_at=now)


def sign_out(store, token: str, *, now: datetime) -> None:
    """End the session of a cookie; an unknown or ended one is left as it is."""
    if not token:
        return
    token_hash = digest(token)
    row = store.accounts.find_session(token_hash)
    if row is not None and not row.closed:
        store.accounts.close_session(token_hash, at=utc_text(now),
                                     note=Note(action="user.sign_out", actor=row.user, data={"user": row.user}))


# -- API tokens ------------------------------------------------------------------------------


def new_token(store, user: str, name: str, *, now: datetime, by: str | None = None) -> str:
    """A new API token for the person, returned in clear this once."""
    _person(store, user)
    if not name or len(name) > MAX_NAME or name != name.strip():
        raise InvalidInput(_("a token name has 1 to {maximum} characters and no surrounding spaces, not {name}").format(
            maximum=MAX_NAME, name=repr(name)))
    token = secrets.token_urlsafe(32)
    note = Note(action="user.token", actor=by or user, data={"user": user, "name": name})
    if not store.accounts.add_token(user, name, digest(token), at=utc_text(now), note=note):
        raise InvalidInput(_("{user} already has a token named {quoted}: revoke it first (banli user revoke {user} "
                             "{name}) or choose another --name").format(user=user, quoted=repr(name), name=name))
    return token


def revoke_token(store, user: str, name: str, *, now: datetime, by: str | None = None) -> None:
    note = Note(action="user.revoke", actor=by or user, data={"user": user, "name": name})
    if not store.accounts.revoke_token(user, name, at=utc_text(now), note=note):
        raise NotFound(_("{user} has no live token named {name}").format(user=user, name=repr(name)))


def token_user(store, token: str, *, now: datetime) -> str | None:
    """The person a live API token acts for."""
    return store.accounts.token_user(digest(token)) if token else None


# -- invitations -------------------------------------------------------------------------------


def invite(store, users: list[str], *, now: datetime, valid_for: timedelta,
           by: str = "system") -> list[tuple[str, str]]:
    """A one-time sign-in code for each person, in order; a person's earlier unused codes end.
    Their password, if any, works until the code is redeemed."""
    users = list(dict.fromkeys(users))
    if not users:
        raise InvalidInput(_("name at least one person to invite"))
    if valid_for <= timedelta(0):
        raise InvalidInput(_("an invitation must be valid for some time"))
    unknown = [user for user in users if store.actor(user) is None]
    if unknown:
        raise NotFound(_("no such person: {users} (see banli org show)").format(users=", ".join(unknown)))
    codes = [(user, secrets.token_urlsafe(32)) for user in users]
    expires_at = utc_text(now + valid_for)
    store.accounts.add_invitations([(user, digest(code)) for user, code in codes], at=utc_text(now),
                                   expires_at=expires_at,
                                   note=Note(action="user.invite", actor=by, data={"users": users, "expires_at": expires_at}))
    return codes


def redeem(store, code: str, new_password: str, *, now: datetime) -> str:
    """Set the password of the code's person and use the code up; returns the person."""
    at = utc_text(now)
    code_hash = digest(code) if code else ""
    user = store.accounts.invitation_user(code_hash, at=at) if code else None
    if user is None:
        raise NotFound(_(BAD_INVITATION))
    if password_problem(new_password):
        raise InvalidInput(_(SHORT_PASSWORD).format(minimum=MIN_PASSWORD))
    note = Note(action="user.redeem", actor=user, data={"user": user})
    if not store.accounts.redeem(code_hash, user, _hasher().hash(new_password), at=at, note=note):
        raise NotFound(_(BAD_INVITATION))
    return user


# -- helpers -----------------------------------------------------------------------------------


def _person(store, user: str) -> None:
    if store.actor(user) is None:
        raise NotFound(_("no such person: {users} (see banli org show)").format(users=user))


@cache
def _hasher():
    # argon2 (cffi) takes ~30 ms to import: only commands that hash passwords pay for it
    from argon2 import PasswordHasher

    return PasswordHasher()


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))
