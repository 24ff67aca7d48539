"""`banli can`, `banli fire`, `banli replay`: acting on items."""

from __future__ import annotations

import click

from banli.cli.completion import complete_events, complete_refs
from banli.cli.options import TEXT, data_file, pairs
from banli.cli.render import emit_json, json_option
from banli.i18n import _


@click.command()
@click.argument("ref", type=TEXT, shell_complete=complete_refs)
@json_option
@click.pass_obj
def can(settings, ref: str, as_json: bool) -> None:
    """Events the acting user (--as) may fire on REF now, and why the others are blocked.

    \b
    Examples:
      banli --as reg-1 can 16-1-152
      banli --as zjj-2 can 16-1-152 --json
    """
    answers = settings.runtime().can(ref, settings.user)
    if as_json:
        emit_json(answers)
        return
    allowed = [a for a in answers if a["allowed"]]
    heading = _("{user} may now, on {ref}:") if allowed else _("{user} may do nothing on {ref} now.")
    click.echo(heading.format(user=settings.user, ref=ref))
    for a in allowed:
        data = "   " + _("data: {keys}").format(keys=", ".join(a["data"])) if a["data"] else ""
        click.echo(f"  {a['event']:<18} {a['label']}{data}")
    blocked = [a for a in answers if not a["allowed"] and a["blocked"] != "role"]
    if blocked:
        click.echo(_("not now:"))
        for a in blocked:
            click.echo(f"  {a['event']:<18} {a['reason']}")


@click.command()
@click.argument("ref", type=TEXT, shell_complete=complete_refs)
@click.argument("event", type=TEXT, shell_complete=complete_events)
@click.option("--data", "data", multiple=True, metavar="K=V", help="Event data, e.g. --data rating=满意 (repeatable).")
@click.option("--data-file", "data_path", type=click.Path(dir_okay=False), help="Event data as a JSON object.")
@click.option("--at", type=TEXT, help="When it happened (ISO date or date-time); default now. Never in the future.")
@click.option("--expect-version", type=int, help="Refuse (exit 6) if the item is no longer at this version.")
@json_option
@click.pass_obj
def fire(settings, ref, event, data, data_path, at, expect_version, as_json) -> None:
    """Apply EVENT to REF as the acting user (--as).

    \b
    Examples (16-1-152 signed for by 县住建局, zjj):
      banli --as zjj-2 fire 16-1-152 contact --data method=phone --data stage=before
      banli --as zjj-2 fire 16-1-152 reply --data result_class=A --data signer=张建华 \\
            --data contact_person=李晓东 --data text='王建国代表：您好！…'
      banli --as sup-1 fire 16-1-152 accept_reply --expect-version 9 --json
    """
    values = {**data_file(data_path), **pairs(data, "--data")}
    fired = settings.runtime().fire(ref, event, settings.user, values, at=at, expect_version=expect_version)
    if as_json:
        emit_json(fired.as_json())
    else:
        done = _("{ref} {event}: {from_state} → {to_state} (version {version}, seq {seq})") \
            if fired.from_state != fired.to_state else _("{ref} {event}: stays {to_state} (version {version}, seq {seq})")
        workflow = settings.item_workflow(fired.ref)  # states and the event by their labels; ids in --json
        click.echo(done.format(ref=fired.ref, event=workflow.label(event), from_state=workflow.label(fired.from_state),
                               to_state=workflow.label(fired.to_state), version=fired.version, seq=fired.seq))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--atomic", is_flag=True, help="All lines in one transaction: every event or none.")
@json_option
@click.pass_obj
def replay(settings, file: str, atomic: bool, as_json: bool) -> None:
    """Apply events from FILE, one JSON object a line: {"ref", "event", "as", "at", "data"}.

    Without --atomic each line is its own transaction and the replay stops at the first bad
    line, naming it; with --atomic a bad line leaves the database as it was.

    \b
    Example:
      echo '{"ref": "16-1-152", "event": "urge", "as": "sup-1", "data": {"note": "请抓紧"}}' > events.jsonl
      banli replay events.jsonl --atomic
    """
    from banli.engine.replay import read_events, replay as apply_events

    applied = apply_events(settings.runtime(), read_events(file), source=file, actor=settings.user, atomic=atomic)
    if as_json:
        emit_json({"applied": applied, "atomic": atomic})
    else:
        done = _("applied {count} event(s) in one transaction") if atomic else _("applied {count} event(s)")
        click.echo(done.format(count=applied))
