"""Shell completion: `banli completion bash|zsh|fish` prints the script click makes, and the
completers the commands' parameters name: item refs, an item's events, people, units,
workflows and sessions, read from the database of --db (env BANLI_DB) without writing to it
(banli/store/lookup.py). A completer never fails: a database that is missing or cannot be
used completes nothing, and nothing is printed."""

from __future__ import annotations

import click

PROG = "banli"  # the console script; click's protocol variable is then _BANLI_COMPLETE
SHELLS = ("bash", "zsh", "fish")
DEFAULT_DB = "sqlite:///banli.db"  # as the global --db


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the script that makes SHELL complete banli's commands, options, item refs, an
    item's events, people (--as), units, workflows and sessions, read from the database of
    --db (env BANLI_DB) as it is when you press TAB.

    \b
    Examples:
      eval "$(banli completion bash)"       # add this line to ~/.bashrc
      eval "$(banli completion zsh)"        # add this line to ~/.zshrc
      banli completion fish > ~/.config/fish/completions/banli.fish
    """
    from click.shell_completion import get_completion_class

    script = get_completion_class(shell)(ctx.find_root().command, {}, PROG, f"_{PROG.upper()}_COMPLETE")
    click.echo(script.source())


def _completer(lookup):
    """A click `shell_complete` callback: `lookup(connection, ctx, incomplete)` → (value, help)
    pairs, asked of the database of --db; any failure completes nothing."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
        from click.shell_completion import CompletionItem

        try:
            from banli.store.lookup import reading

            with reading(ctx.find_root().params.get("db") or DEFAULT_DB) as connection:
                found = lookup(connection, ctx, incomplete) if connection is not None else []
        except Exception:  # noqa: BLE001 — a TAB must never print a traceback into the shell
            return []
        return [CompletionItem(value, help=help_text or None) for value, help_text in found]

    return complete


def _refs(connection, ctx, incomplete):
    from banli.store.lookup import refs

    return refs(connection, incomplete)


def _events(connection, ctx, incomplete):
    """The events of the item already typed (REF) that its current state allows, but for
    those only the system fires."""
    from banli.engine.model import SYSTEM
    from banli.engine.parse import parse_text
    from banli.store.lookup import item_definition

    ref = ctx.params.get("ref")
    found = item_definition(connection, ref) if isinstance(ref, str) else None
    if found is None:
        return []
    state, source = found
    return [(name, str(event.label)) for name, event in parse_text(source).events.items()
            if name.startswith(incomplete) and state in event.sources and set(event.roles) != {SYSTEM}]


def _people(connection, ctx, incomplete):
    from banli.store.lookup import people

    return people(connection, incomplete)


def _units(connection, ctx, incomplete):
    from banli.store.lookup import units

    return units(connection, incomplete)


def _workflows(connection, ctx, incomplete):
    from banli.store.lookup import workflows

    return workflows(connection, incomplete)


def _sessions(connection, ctx, incomplete):
    from banli.store.lookup import sessions

    return [(session, "") for session in sessions(connection, incomplete)]


complete_refs = _completer(_refs)
complete_events = _completer(_events)
complete_people = _completer(_people)
complete_units = _completer(_units)
complete_workflows = _completer(_workflows)
complete_sessions = _completer(_sessions)
