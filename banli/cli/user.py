"""`banli user set-password|token|revoke|invite`: the web's accounts, kept by the operator (docs/web.md)."""

from __future__ import annotations

import sys

import click

from banli.cli.completion import complete_people
from banli.cli.render import emit_json, json_option
from banli.cli.setup import operator
from banli.i18n import _

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@click.group()
def user() -> None:
    """Web accounts of the people of the organisation file: passwords, API tokens and
    one-time sign-in links. Passwords, tokens and links are stored only as hashes and never
    written to the journal, which records each change.

    \b
    Examples:
      echo 'a-long-password' | banli user set-password zjj-2
      banli user token zjj-2 --name 办公系统
      banli user invite --role deputy --out 代表账号.xlsx --base-url https://banli.example.gov.cn
    """


@user.command("set-password")
@click.argument("person", metavar="USER", shell_complete=complete_people)
@json_option
@click.pass_obj
def set_password(settings, person: str, as_json: bool) -> None:
    """Set USER's password, read as one line from standard input (typed twice, unseen, at a
    terminal); at least 8 characters. USER's open web sessions end.

    \b
    Example:
      printf '%s\\n' "$NEW_PASSWORD" | banli user set-password zjj-2
    """
    from banli.engine import accounts
    from banli.engine.times import utc_now

    password = _read_password()
    accounts.set_password(settings.store, person, password, by=operator(), now=utc_now())
    if as_json:
        emit_json({"user": person, "password_set": True})
    else:
        click.echo(_("password set for {user}; their open sessions were ended").format(user=_who(settings, person)))


@user.command("token")
@click.argument("person", metavar="USER", shell_complete=complete_people)
@click.option("--name", default="default", show_default=True, help="What the token is for; revoke it by this name.")
@json_option
@click.pass_obj
def token(settings, person: str, name: str, as_json: bool) -> None:
    """Print a new API token for USER, shown this once (only its hash is stored). Another
    system sends it as `Authorization: Bearer TOKEN` and acts as USER.

    \b
    Example:
      banli user token zjj-2 --name 办公系统
    """
    from banli.engine import accounts
    from banli.engine.times import utc_now

    _check_token_name(name)
    secret = accounts.new_token(settings.store, person, name, now=utc_now(), by=operator())
    if as_json:
        emit_json({"user": person, "name": name, "token": secret})
        return
    click.echo(secret)
    click.echo(_("API token {name} for {user}: shown this once; end it with: {command}").format(
        name=repr(name), user=_who(settings, person), command=f"banli user revoke {person} {name}"), err=True)


@user.command("revoke")
@click.argument("person", metavar="USER", shell_complete=complete_people)
@click.argument("name", metavar="NAME")
@json_option
@click.pass_obj
def revoke(settings, person: str, name: str, as_json: bool) -> None:
    """End USER's API token NAME: requests that send it are refused from now on.

    \b
    Example:
      banli user revoke zjj-2 办公系统
    """
    from banli.engine import accounts
    from banli.engine.times import utc_now

    _check_token_name(name)
    accounts.revoke_token(settings.store, person, name, now=utc_now(), by=operator())
    if as_json:
        emit_json({"user": person, "name": name, "revoked": True})
    else:
        click.echo(_("revoked token {name} of {user}").format(name=repr(name), user=_who(settings, person)))


@user.command("invite")
@click.argument("people", metavar="[USER]...", nargs=-1, shell_complete=complete_people)
@click.option("--role", "roles", multiple=True, metavar="ROLE", help="Everyone with this role (repeatable), e.g. deputy, unit.")
@click.option("--all", "everyone", is_flag=True, help="Everyone in the organisation file.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), metavar="FILE.xlsx",
              help="The sheet of links to hand out (账号, 姓名, 单位, 角色, 登录链接, 有效期至).")
@click.option("--base-url", default=DEFAULT_BASE_URL, show_default=True, metavar="URL",
              help="The address people reach `banli serve` at; links are URL/invite/CODE.")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 90), help="How long the links work.")
@json_option
@click.pass_obj
def invite(settings, people: tuple[str, ...], roles: tuple[str, ...], everyone: bool, out: str, base_url: str,
           days: int, as_json: bool) -> None:
    """One-time sign-in links for many people at once, written to an XLSX the office hands
    out. Opening a link, a person chooses their password; the link then no longer works.
    A person's earlier unused links stop working when they are invited again.

    A forgotten password is reset the same way: invite the person again. Their old password
    keeps working until they open the new link and choose a new one; from then on it does
    not, and their open sessions end.

    The file holds live links: hand each person their own row, and delete it afterwards.

    \b
    Examples:
      banli user invite --role deputy --out 代表账号.xlsx --base-url https://banli.example.gov.cn
      banli user invite zjj-2 jyj-1 --out 重置.xlsx --days 3
      banli user invite --all --out 账号.xlsx
    """
    from datetime import timedelta

    from banli.engine import accounts
    from banli.engine.times import DEFAULT_ZONE, utc_now
    from banli.errors import InvalidInput
    from banli.sheets.invitations import InvitationRow, check_path, write_invitations
    from banli.store.operator import show_org

    check_path(out)
    if not base_url.startswith(("http://", "https://")):
        raise InvalidInput(_("--base-url {url} must start with http:// or https://").format(url=repr(base_url)))
    org = show_org(settings.store)
    chosen = _chosen(org["people"], people, roles, everyone)
    now = utc_now()
    codes = accounts.invite(settings.store, chosen, now=now, valid_for=timedelta(days=days), by=operator())
    until = (now + timedelta(days=days)).astimezone(DEFAULT_ZONE)
    persons = {person["id"]: person for person in org["people"]}
    units = {unit["id"]: unit["name"] for unit in org["units"]}
    rows = [InvitationRow(user=person, name=persons[person]["name"],
                          unit=units.get(persons[person]["unit_id"] or "", persons[person]["unit_id"] or ""),
                          roles=tuple(persons[person]["roles"]), link=f"{base_url.rstrip('/')}/invite/{code}",
                          valid_until=until.strftime("%Y-%m-%d %H:%M")) for person, code in codes]
    write_invitations(rows, out)
    if as_json:
        emit_json({"file": out, "count": len(rows), "users": [row.user for row in rows],
                   "valid_until": until.isoformat(timespec="seconds"), "base_url": base_url})
        return
    click.echo(_("{file}: one-time sign-in links for {count} people, valid until {until}; hand each person "
                 "their row, then delete the file").format(
        file=out, count=len(rows), until=until.strftime("%Y-%m-%d %H:%M")))


def _chosen(people: list[dict], named: tuple[str, ...], roles: tuple[str, ...], everyone: bool) -> list[str]:
    """The ids to invite, in the order named, then those of each role in id order."""
    from banli.errors import InvalidInput

    if everyone and (named or roles):
        raise click.UsageError(_("--all invites everyone: give no USER or --role with it"))
    if everyone:
        return [person["id"] for person in people]
    if not named and not roles:
        raise click.UsageError(_("say whom to invite: USER…, --role ROLE or --all"))
    chosen = list(named)
    for role in roles:
        holders = [person["id"] for person in people if role in person["roles"]]
        if not holders:
            raise InvalidInput(_("nobody in the organisation file has the role {role}").format(role=repr(role)))
        chosen += holders
    return list(dict.fromkeys(chosen))


def _check_token_name(name: str) -> None:
    """A token's name is one line of text: it is shown in listings and typed to revoke it."""
    from banli.engine.limits import shown, text_problem
    from banli.errors import InvalidInput

    problem = text_problem(name)
    if problem:
        raise InvalidInput(_("the token name '{name}' {problem}").format(name=shown(name), problem=problem))


def _read_password() -> str:
    """One line from standard input; at a terminal, typed twice without echo."""
    if sys.stdin.isatty():
        return click.prompt(_("new password"), hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


def _who(settings, person: str) -> str:
    actor = settings.store.actor(person)
    return f"{person} ({actor.name})" if actor else person
