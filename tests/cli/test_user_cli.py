"""`banli user`: passwords from standard input, API tokens, and one-time sign-in links for many
people written to a sheet the office hands out (SPEC §9), with the CLI's exit codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from banli.engine import accounts
from banli.store.repo import SqlStore

IDLE = timedelta(minutes=30)


@pytest.fixture
def opened(db_url):
    """The test's database, as the web server would open it."""
    store = SqlStore(db_url)
    yield store
    store.close()


def now() -> datetime:
    return datetime.now(timezone.utc)


def test_set_password_reads_one_line_from_stdin_and_the_person_can_sign_in(banli, opened):
    result = banli("user", "set-password", "li", input="李华的密码-2026\nnext line is not read\n")
    assert result.exit_code == 0, result.stderr
    assert "李华" in result.stdout and "李华的密码-2026" not in result.stdout + result.stderr
    assert accounts.sign_in(opened, "li", "李华的密码-2026", now=now(), idle=IDLE).user == "li"


@pytest.mark.parametrize("person, line, code", [
    ("li", "1234567\n", 3),
    ("li", "\n", 3),
    ("nobody", "a-long-enough-password\n", 7),
], ids=["seven characters", "empty line", "unknown person"])
def test_set_password_refuses_a_short_password_or_an_unknown_person(banli, person, line, code):
    result = banli("user", "set-password", person, input=line)
    assert result.exit_code == code
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("banli: ")


def test_a_token_is_printed_once_works_and_ends_when_revoked(banli, opened):
    made = banli("user", "token", "li", "--name", "办公系统", "--json")
    assert made.exit_code == 0, made.stderr
    answer = made.json()
    assert set(answer) == {"user", "name", "token"} and answer["user"] == "li" and answer["name"] == "办公系统"
    assert accounts.token_user(opened, answer["token"], now=now()) == "li"
    assert banli("user", "token", "li", "--name", "办公系统").exit_code == 3  # that name is taken

    plain = banli("user", "token", "li")  # the default name; the token alone on stdout, for scripts
    assert plain.exit_code == 0 and len(plain.stdout.split()) == 1
    assert accounts.token_user(opened, plain.stdout.strip(), now=now()) == "li"

    assert banli("user", "revoke", "li", "办公系统").exit_code == 0
    assert accounts.token_user(opened, answer["token"], now=now()) is None
    assert accounts.token_user(opened, plain.stdout.strip(), now=now()) == "li"
    assert banli("user", "revoke", "li", "办公系统").exit_code == 7
    assert banli("user", "token", "nobody").exit_code == 7


def test_invite_writes_one_time_links_for_a_role_to_a_sheet(banli, opened, tmp_path):
    out = tmp_path / "代表账号.xlsx"
    result = banli("user", "invite", "--role", "deputy", "--out", str(out), "--base-url", "https://banli.example.cn/",
                   "--days", "3", "--json")
    assert result.exit_code == 0, result.stderr
    summary = result.json()
    assert summary["count"] == 2 and summary["users"] == ["lisi", "zhang"]
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("账号", "姓名", "单位", "角色", "登录链接", "有效期至")
    assert [row[:4] for row in rows[1:]] == [("lisi", "李四", None, "人大代表"), ("zhang", "张三", None, "人大代表")]
    assert all(isinstance(cell, str) for row in rows[1:] for cell in row if cell is not None)
    links = {row[0]: row[4] for row in rows[1:]}
    assert all(link.startswith("https://banli.example.cn/invite/") for link in links.values())
    code = links["zhang"].rsplit("/", 1)[1]
    assert code not in result.stdout  # the links are in the sheet only
    assert datetime.strptime(rows[1][5], "%Y-%m-%d %H:%M")  # a time people read

    assert accounts.redeem(opened, code, "张三的新密码-2026", now=now()) == "zhang"
    assert accounts.sign_in(opened, "zhang", "张三的新密码-2026", now=now(), idle=IDLE).user == "zhang"
    with pytest.raises(Exception):  # used once: no more
        accounts.redeem(opened, code, "another-password", now=now())


def test_invite_names_people_units_and_everyone(banli, tmp_path):
    named = tmp_path / "重置.xlsx"
    assert banli("user", "invite", "zhao", "li", "--out", str(named)).exit_code == 0
    rows = list(load_workbook(named).active.iter_rows(values_only=True))[1:]
    assert [row[:4] for row in rows] == [("zhao", "赵六", "县财政局", "承办单位"), ("li", "李华", "县住建局", "承办单位")]

    everyone = tmp_path / "账号.xlsx"
    result = banli("user", "invite", "--all", "--out", str(everyone), "--json")
    assert result.exit_code == 0 and result.json()["count"] == 9


@pytest.mark.parametrize("args, code", [
    (["li", "nobody"], 7),
    (["--role", "mayor"], 3),
    ([], 2),
    (["--all", "li"], 2),
    (["li", "--base-url", "banli.example.cn"], 3),
], ids=["unknown person", "role nobody has", "nobody named", "all and a name", "address without http"])
def test_invite_refuses_and_writes_no_file(banli, tmp_path, args, code):
    out = tmp_path / "账号.xlsx"
    result = banli("user", "invite", *args, "--out", str(out))
    assert result.exit_code == code
    assert not out.exists()


def test_invite_refuses_a_file_that_is_not_xlsx(banli, tmp_path):
    result = banli("user", "invite", "li", "--out", str(tmp_path / "账号.csv"))
    assert result.exit_code == 3 and "xlsx" in result.stderr


@pytest.mark.parametrize("command", ["set-password", "token", "revoke", "invite"])
def test_every_user_command_shows_an_example(banli, command):
    result = banli("user", command, "--help")
    assert result.exit_code == 0 and "banli user " + command in result.stdout


def test_invite_help_says_how_a_forgotten_password_is_reset(banli):
    text = " ".join(banli("user", "invite", "--help").stdout.split())
    assert "forgotten password" in text and "old password" in text
