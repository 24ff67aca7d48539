"""The `banli` command: global options, lazily loaded command groups, one-line errors.

Command modules are imported only when their command runs, so `banli --help` does not pay
for SQLAlchemy (PERFORMANCE.md: ~0.25 s for SQLModel alone).
"""

from __future__ import annotations

import getpass
import importlib
import logging
import os
import sys

import click

from banli.cli.completion import complete_people
from banli.cli.localized import localized
from banli.errors import BanliError
from banli.i18n import N_, _

# command name -> (module, attribute, one-line help shown by `banli --help`)
COMMANDS = {
    "init": ("banli.cli.setup", "init", N_("Create or upgrade the database, register built-in workflows, load the org file.")),
    "org": ("banli.cli.org", "org", N_("Load or show the organisation: units, people, deputies.")),
    "workflow": ("banli.cli.workflow", "workflow", N_("List, show, validate, register and draw workflow definitions.")),
    "item": ("banli.cli.item", "item", N_("Register, list and show items (suggestions, proposals, work orders).")),
    "can": ("banli.cli.fire", "can", N_("Which events the acting user may fire on an item now, and why not the others.")),
    "fire": ("banli.cli.fire", "fire", N_("Apply one event to an item (sign for, reply, rate …).")),
    "replay": ("banli.cli.fire", "replay", N_("Apply events from a JSON-lines file, in order.")),
    "calendar": ("banli.cli.calendar", "calendar", N_("Add or show a year's official holidays and adjusted workdays.")),
    "remind": ("banli.cli.remind", "remind", N_("One sweep: due reminders, escalations and timer events.")),
    "notify": ("banli.cli.notify", "notify", N_("Deliver pending notifications (channels in banli.toml) and list deliveries.")),
    "campaign": ("banli.cli.campaign", "campaign", N_("Open campaigns such as the look-back (回头看) and follow their progress.")),
    "scheduler": ("banli.cli.scheduler", "scheduler", N_("Run the sweep, delivery, campaigns and bulletins on their schedules.")),
    "ledger": ("banli.cli.ledger", "ledger", N_("Export the ledger (台账) to Excel or CSV.")),
    "export": ("banli.cli.history", "export", N_("Write the complete history (definitions, org, items, trace) to JSON lines.")),
    "import-history": ("banli.cli.history", "import_history", N_("Restore a complete history written by 'banli export'.")),
    "report": ("banli.cli.report", "report", N_("Reports: the annual handling report (办理情况的报告), bulletins (通报), per-unit scores.")),
    "audit": ("banli.cli.audit", "audit", N_("Read the trace, verify its hash chains, publish a root hash.")),
    "user": ("banli.cli.user", "user", N_("Web accounts: passwords, API tokens and one-time sign-in links (invitations).")),
    "demo": ("banli.cli.demo", "demo", N_("Play a county's handling year on a fresh database and print the summary.")),
    "serve": ("banli.cli.serve", "serve", N_("Serve the web interface and the JSON API (uvicorn).")),
    "completion": ("banli.cli.completion", "completion", N_("Print the script for completing banli in bash, zsh or fish.")),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        from banli.cli.options import text_params

        module, attribute, _summary = COMMANDS[name]
        return localized(text_params(getattr(importlib.import_module(module), attribute)))

    def main(self, *args, **kwargs):
        localized(self)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        """Run the command; a BanliError becomes one line on stderr and its exit code."""
        try:
            return super().invoke(ctx)
        except BanliError as exc:
            if _debug(ctx):
                raise
            if not exc.reported:
                click.echo(f"banli: {one_line(exc.message)}", err=True)
            raise click.exceptions.Exit(exc.exit_code) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader stopped reading (`banli audit log | head -1`)
            _silence_stdout()
            raise click.exceptions.Exit(0) from None
        except Exception as exc:  # a bug: say so in one line; the traceback with --debug
            if _debug(ctx):
                raise
            lost = _lost_database(exc)
            if lost is not None:
                click.echo(f"banli: {one_line(lost.message)}", err=True)
                raise click.exceptions.Exit(lost.exit_code) from exc
            click.echo("banli: " + _("internal error ({kind}: {detail}); run again with --debug and report it")
                       .format(kind=type(exc).__name__, detail=one_line(str(exc))), err=True)
            raise click.exceptions.Exit(1) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section(_("Commands")):
            formatter.write_dl([(name, _(summary)) for name, (_module, _attribute, summary) in COMMANDS.items()])


class Settings:
    """The global options, and the store opened on first use."""

    def __init__(self, db: str, user: str | None, debug: bool) -> None:
        self.db, self.user, self.debug = db, user, debug
        self._store = None

    @property
    def store(self):
        """The database of --db, which must be an initialised banli database (else exit 9)."""
        if self._store is None:
            from banli.store.opening import open_store

            self._store = open_store(self.db)
        return self._store

    def create_store(self):
        """The database of --db for a command that creates or upgrades it (init, import-history)."""
        from banli.store.opening import open_store

        self._store = open_store(self.db, creating=True)
        return self._store

    def item_workflow(self, ref: str):
        """The version of its workflow item `ref` runs on, to name its states and events by label."""
        with self.store.read() as tx:
            definition_id = tx.item(ref).definition_id
        return self.store.workflows.by_id(definition_id)

    def runtime(self):
        """The runtime for events fired from the command line: each carries the operating-system
        user beside --as (which the CLI cannot check), and --as may not name `system`."""
        from banli.engine.runtime import Runtime

        return Runtime(self.store, origin={"@os_user": os_user()})


def os_user() -> str:
    """Who is logged in to the machine running the command."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="BANLI_DB", default="sqlite:///banli.db", show_default=True, metavar="URL",
              help="Database: sqlite:///FILE or postgresql://HOST/DB (env BANLI_DB).")
@click.option("--as", "user", envvar="BANLI_USER", metavar="USER", shell_complete=complete_people,
              help="Who is acting: a person id from the organisation file (env BANLI_USER).")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(package_name="banli")
@click.pass_context
def cli(ctx: click.Context, db: str, user: str | None, debug: bool) -> None:
    """banli (办理): handle deputies' suggestions and other procedures, from registration to report.

    \b
    Examples:
      banli demo                       # try it: a county's handling year in banli-demo.db
      banli init --org org.yaml        # create the database and load your organisation
      banli --as reg-1 item add --workflow npc-suggestion --ref 16-1-152 --title 关于增设公交站点的建议 \\
            --deputy 王建国 --field category=城市建设
      banli --as reg-1 can 16-1-152    # what may I do with it now?
      banli --as reg-1 fire 16-1-152 sort --data category=城市建设
      banli audit verify               # is the record intact?

    \b
    Manual: docs/index.md in banli's source (read it as a site: python -m mkdocs serve);
    every command's help: docs/cli.md. Completion: eval "$(banli completion bash)".
    """
    from banli.cli.options import check_text

    check_text("--as", user)
    ctx.obj = Settings(db, user, debug)
    _log_to_stderr()


def _log_to_stderr() -> None:
    """banli's warnings (a calendar year missing, say) and the scheduler's log go to stderr."""
    logger = logging.getLogger("banli")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s banli: %(levelname)s: %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


def one_line(message: str) -> str:
    """The message as one line: control characters it quotes from its input (a ref typed with
    a newline in it) shown escaped, as every error line shows them (`limits.shown`)."""
    from banli.engine.limits import shown

    return shown(message, width=None)


def _lost_database(exc: Exception):
    if "sqlalchemy" not in sys.modules:  # no database was opened
        return None
    from banli.store.opening import lost_database

    return lost_database(exc)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not complain either."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test runner's buffer)
        pass
    finally:
        os.close(devnull)


def _debug(ctx: click.Context) -> bool:
    settings = ctx.find_object(Settings)
    return bool((settings and settings.debug) or os.environ.get("BANLI_DEBUG"))


def main() -> None:
    try:
        cli(prog_name="banli")
    except BrokenPipeError:  # raised while click flushed the last output
        _silence_stdout()
