"""Web accounts (SPEC §9) on each database: passwords and sessions kept only as hashes, the
lockout after five failed sign-ins, idle sessions, API tokens and one-time invitations, and a
journal of it all without a secret in it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from banli.engine import accounts
from banli.errors import InvalidInput, LockedOut, NotFound, NotPermitted
from banli.store.schema import account_t, journal_t, metadata

IDLE = timedelta(minutes=30)
PASSWORD = "正确的密码-horse-battery"
CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
REAL_HASHER = accounts._hasher


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch):
    """argon2 at a low cost: these tests check what is hashed and when, not how slowly (on a
    busy machine the real cost is half a second a hash). The rehash test uses the real one."""
    monkeypatch.setattr(accounts, "_hasher", lambda: CHEAP)


@pytest.fixture
def li(store, clock):
    """Person li (a clerk of 县住建局) with the password PASSWORD."""
    accounts.set_password(store, "li", PASSWORD, by="os:admin", now=clock())
    return "li"


def sign_in(store, clock, password=PASSWORD, user="li"):
    return accounts.sign_in(store, user, password, now=clock(), idle=IDLE)


def database_text(store) -> str:
    """Every row of every table as text: what someone who copied the database could read."""
    with store.engine.connect() as connection:
        rows = [repr(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(select(table))]
    text = "\n".join(rows)
    if store.engine.dialect.name == "sqlite":  # and the files' bytes, pages not yet checkpointed too
        path = Path(store.engine.url.database)
        for file in (path, path.with_name(path.name + "-wal")):
            if file.exists():
                text += file.read_bytes().decode("utf-8", errors="replace")
    return text


def journal(store) -> list[tuple[str, str, dict]]:
    with store.engine.connect() as connection:
        return [(row.action, row.actor, json.loads(row.data)) for row in connection.execute(
            select(journal_t).order_by(journal_t.c.seq)) if row.action.startswith("user.")]


# -- passwords, sign-in and sessions ---------------------------------------------------------------


def test_a_person_signs_in_with_their_password_and_the_session_is_found_by_its_token(store, clock, li):
    session = sign_in(store, clock)
    assert session.user == "li" and session.token and session.csrf_token != session.token
    clock.advance(minutes=5)
    found = accounts.session(store, session.token, now=clock(), idle=IDLE)
    assert found.user == "li" and found.csrf_token == session.csrf_token and found.last_seen_at == clock()
    assert accounts.session(store, session.token + "x", now=clock(), idle=IDLE) is None


def test_a_wrong_password_and_an_unknown_person_are_refused_in_the_same_words(store, clock, li):
    with pytest.raises(NotPermitted) as wrong:
        sign_in(store, clock, password="not-the-password")
    with pytest.raises(NotPermitted) as unknown:
        sign_in(store, clock, user="nobody")
    with pytest.raises(NotPermitted) as no_password:  # zhao is a person, but has set no password
        sign_in(store, clock, user="zhao")
    assert wrong.value.message == unknown.value.message == no_password.value.message \
        == "the user name or the password is not right"


def test_passwords_sessions_tokens_and_codes_are_never_in_the_database_in_clear(store, clock, li):
    session = sign_in(store, clock)
    token = accounts.new_token(store, "li", "办公系统", now=clock())
    [(_user, code)] = accounts.invite(store, ["zhao"], now=clock(), valid_for=timedelta(days=7))
    accounts.redeem(store, code, "赵六的新密码-2026", now=clock())
    text = database_text(store)
    for secret in (PASSWORD, "赵六的新密码-2026", session.token, session.csrf_token, token, code):
        assert secret not in text
    assert "$argon2id$" in text  # the passwords are there, as argon2 hashes
    assert accounts.token_user(store, token, now=clock()) == "li"


def test_setting_a_password_checks_the_person_and_the_length(store, clock):
    with pytest.raises(NotFound):
        accounts.set_password(store, "nobody", PASSWORD, by="os:admin", now=clock())
    with pytest.raises(InvalidInput, match="8"):
        accounts.set_password(store, "li", "1234567", by="os:admin", now=clock())
    accounts.set_password(store, "li", "12345678", by="os:admin", now=clock())
    assert sign_in(store, clock, password="12345678").user == "li"


def test_a_new_password_ends_the_open_sessions(store, clock, li):
    session = sign_in(store, clock)
    accounts.set_password(store, "li", "another-password", by="os:admin", now=clock())
    assert accounts.session(store, session.token, now=clock(), idle=IDLE) is None
    with pytest.raises(NotPermitted):
        sign_in(store, clock)


def test_an_old_style_hash_is_replaced_on_sign_in(store, clock, li, monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", REAL_HASHER)
    weak = CHEAP.hash(PASSWORD)
    store.accounts.set_password("li", weak, at="2026-06-01T12:00:00.000000", note=None)
    sign_in(store, clock)
    with store.engine.connect() as connection:
        stored = connection.execute(select(account_t.c.password_hash).where(account_t.c.user_id == "li")).scalar()
    assert stored != weak and not PasswordHasher().check_needs_rehash(stored)
    assert sign_in(store, clock).user == "li"


# -- lockout ---------------------------------------------------------------------------------------


def test_five_failures_within_fifteen_minutes_lock_the_account_for_fifteen_minutes(store, clock, li):
    for _ in range(accounts.FAILURES):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
        clock.advance(minutes=3)
    with pytest.raises(LockedOut) as locked:  # 3 minutes after the fifth: even the right password
        sign_in(store, clock)
    assert locked.value.exit_code == 4 and "12 minutes" in locked.value.message
    clock.advance(minutes=11, seconds=59)
    with pytest.raises(LockedOut):
        sign_in(store, clock)
    clock.advance(seconds=2)
    assert sign_in(store, clock).user == "li"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(store, clock, li):
    for _ in range(4):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
    clock.advance(minutes=16)
    for _ in range(4):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
    assert sign_in(store, clock).user == "li"


def test_a_successful_sign_in_starts_the_count_again(store, clock, li):
    for _ in range(4):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
    sign_in(store, clock)
    for _ in range(4):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
    assert sign_in(store, clock).user == "li"


def test_guesses_made_at_once_cannot_pass_the_limit_together(store, clock, li):
    def guess(_):
        try:
            sign_in(store, clock, password="guess-guess")
        except BaseException as exc:  # noqa: BLE001 - the kind of refusal is the answer
            return type(exc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(16)))
    assert outcomes.count(NotPermitted) == accounts.FAILURES
    assert outcomes.count(LockedOut) == 16 - accounts.FAILURES


# -- idle sessions and signing out -------------------------------------------------------------------


def test_a_session_idle_too_long_is_over_and_one_in_use_goes_on(store, clock, li):
    token = sign_in(store, clock).token
    for _ in range(3):  # seen every 20 minutes: an hour later it is still open
        clock.advance(minutes=20)
        assert accounts.session(store, token, now=clock(), idle=IDLE) is not None
    clock.advance(minutes=31)
    assert accounts.session(store, token, now=clock(), idle=IDLE) is None
    clock.advance(minutes=1)
    assert accounts.session(store, token, now=clock(), idle=IDLE) is None


def test_signing_out_ends_the_session_only(store, clock, li):
    phone, desk = sign_in(store, clock), sign_in(store, clock)
    accounts.sign_out(store, phone.token, now=clock())
    accounts.sign_out(store, phone.token, now=clock())  # a second time: nothing more happens
    assert accounts.session(store, phone.token, now=clock(), idle=IDLE) is None
    assert accounts.session(store, desk.token, now=clock(), idle=IDLE).user == "li"
    assert [action for action, _actor, _data in journal(store)].count("user.sign_out") == 1


# -- API tokens ------------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_and_its_name_can_be_used_again(store, clock):
    token = accounts.new_token(store, "li", "办公系统", now=clock())
    assert accounts.token_user(store, token, now=clock()) == "li"
    with pytest.raises(InvalidInput, match="already has a token"):
        accounts.new_token(store, "li", "办公系统", now=clock())
    accounts.revoke_token(store, "li", "办公系统", now=clock())
    assert accounts.token_user(store, token, now=clock()) is None
    with pytest.raises(NotFound):
        accounts.revoke_token(store, "li", "办公系统", now=clock())
    again = accounts.new_token(store, "li", "办公系统", now=clock())
    assert again != token and accounts.token_user(store, again, now=clock()) == "li"
    assert accounts.token_user(store, "", now=clock()) is None


def test_a_token_for_an_unknown_person_is_not_made(store, clock):
    with pytest.raises(NotFound):
        accounts.new_token(store, "nobody", "x", now=clock())


# -- invitations -----------------------------------------------------------------------------------


def test_an_invitation_code_sets_the_password_once(store, clock):
    [(user, code)] = accounts.invite(store, ["zhang"], now=clock(), valid_for=timedelta(days=7))
    assert user == "zhang"
    with pytest.raises(InvalidInput):  # too short: the code is not used up
        accounts.redeem(store, code, "short", now=clock())
    assert accounts.redeem(store, code, "张三的密码-2026", now=clock()) == "zhang"
    assert sign_in(store, clock, user="zhang", password="张三的密码-2026").user == "zhang"
    with pytest.raises(NotFound):
        accounts.redeem(store, code, "someone-elses-password", now=clock())
    assert sign_in(store, clock, user="zhang", password="张三的密码-2026").user == "zhang"


def test_an_invitation_expires(store, clock):
    [(_user, code)] = accounts.invite(store, ["zhang"], now=clock(), valid_for=timedelta(days=7))
    clock.advance(days=7, seconds=1)
    with pytest.raises(NotFound, match="expired"):
        accounts.redeem(store, code, "张三的密码-2026", now=clock())


def test_a_forgotten_password_is_reset_by_a_new_invitation(store, clock, li):
    [(_user, first)] = accounts.invite(store, ["li"], now=clock(), valid_for=timedelta(days=7))
    [(_user, second)] = accounts.invite(store, ["li"], now=clock(), valid_for=timedelta(days=7))
    session = sign_in(store, clock)  # the old password works until the new link is used
    with pytest.raises(NotFound):  # the first link ended when the second was made
        accounts.redeem(store, first, "a-new-password", now=clock())
    accounts.redeem(store, second, "a-new-password", now=clock())
    with pytest.raises(NotPermitted):
        sign_in(store, clock)
    assert accounts.session(store, session.token, now=clock(), idle=IDLE) is None
    assert sign_in(store, clock, password="a-new-password").user == "li"


def test_inviting_an_unknown_person_invites_nobody(store, clock):
    with pytest.raises(NotFound, match="nobody"):
        accounts.invite(store, ["zhang", "nobody"], now=clock(), valid_for=timedelta(days=7))
    assert [action for action, _actor, _data in journal(store)] == []


def test_redeeming_a_code_unlocks_the_account(store, clock, li):
    for _ in range(accounts.FAILURES):
        with pytest.raises(NotPermitted):
            sign_in(store, clock, password="guess-guess")
    [(_user, code)] = accounts.invite(store, ["li"], now=clock(), valid_for=timedelta(days=1))
    accounts.redeem(store, code, "a-new-password", now=clock())
    assert sign_in(store, clock, password="a-new-password").user == "li"


# -- the journal -----------------------------------------------------------------------------------


def test_the_journal_records_each_change_without_a_secret(store, clock, li):
    session = sign_in(store, clock)
    with pytest.raises(NotPermitted):
        sign_in(store, clock, password="my-other-password")
    with pytest.raises(NotPermitted):
        sign_in(store, clock, user="li-typo", password="whatever-typed")
    accounts.sign_out(store, session.token, now=clock())
    token = accounts.new_token(store, "li", "办公系统", now=clock(), by="os:admin")
    accounts.revoke_token(store, "li", "办公系统", now=clock(), by="os:admin")
    [(_user, code)] = accounts.invite(store, ["zhang"], now=clock(), valid_for=timedelta(days=7), by="os:admin")
    accounts.redeem(store, code, "张三的密码-2026", now=clock())
    entries = journal(store)
    assert [(action, actor) for action, actor, _data in entries] == [
        ("user.set_password", "os:admin"), ("user.sign_in", "li"), ("user.sign_in_failed", "li"),
        ("user.sign_in_failed", "anonymous"), ("user.sign_out", "li"), ("user.token", "os:admin"),
        ("user.revoke", "os:admin"), ("user.invite", "os:admin"), ("user.redeem", "zhang")]
    assert entries[2][2] == {"reason": "wrong password"}
    assert entries[5][2] == {"user": "li", "name": "办公系统"}
    written = json.dumps(entries, ensure_ascii=False)
    # a name typed that is no one's may be someone's password: it is not kept either
    for secret in (PASSWORD, "my-other-password", "li-typo", "whatever-typed", session.token, token, code,
                   "张三的密码-2026"):
        assert secret not in written
