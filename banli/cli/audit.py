"""`banli audit log|verify|checkpoint`: the trace, its verification, its checkpoints."""

from __future__ import annotations

import click

from banli.cli.completion import complete_refs
from banli.cli.render import emit_json, json_option, table
from banli.i18n import _


@click.group()
def audit() -> None:
    """The append-only, hash-chained trace of every event (what it proves: docs/audit.md).

    \b
    Examples:
      banli audit verify
      banli audit log 16-1-001
    """


@audit.command("log")
@click.argument("ref", required=False, shell_complete=complete_refs)
@json_option
@click.pass_obj
def log(settings, ref: str | None, as_json: bool) -> None:
    """The trace of REF (or of every item), in sequence order.

    \b
    Examples:
      banli audit log 16-1-001
      banli audit log --json > trace.json
    """
    from banli.engine.limits import shown
    from banli.errors import NotFound
    from banli.store.audit import log as read_log

    rows = read_log(settings.store, ref)
    if ref and not rows:
        raise NotFound(_("no item {ref} (or it has no trace); see 'banli item list'").format(ref=shown(ref)), ref=ref)
    if as_json:
        emit_json(rows)
        return
    table([_("ref"), _("seq"), _("occurred"), _("event"), _("from → to"), _("actor"), _("hash")],
          [[r["ref"], r["seq"], r["occurred_at"][:16], r["event"], f"{r['from']} → {r['to']}", r["actor"], r["hash"][:12]]
           for r in rows])


@audit.command("verify")
@click.option("--against", "against_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also prove that the log extends the checkpoint(s) in FILE (one, or one per line).")
@json_option
@click.pass_obj
def verify(settings, against_file: str | None, as_json: bool) -> None:
    """Recompute every hash chain and every item from its trace; exit 8 naming each changed,
    deleted or reordered row and each item its trace does not establish. With --against, also
    exit 8 when the log no longer extends a checkpoint taken before, naming the first row that differs.

    \b
    Examples:
      banli audit verify
      banli audit verify --against checkpoint.json
    """
    from banli.errors import AuditFailed
    from banli.store.audit import verify as run_verify
    from banli.store.checkpoints import read

    against = read(against_file) if against_file else None
    result = run_verify(settings.store, against=against)
    if as_json:
        emit_json(result)
    else:
        for failure in result["failures"]:
            click.echo(_("{ref} seq {seq}: {reason}").format(ref=failure["ref"], seq=failure["seq"],
                                                            reason=failure["reason"]), err=True)
        if result["ok"]:
            facts = {"rows": result["rows"], "items": result["items"], "root": result["root"]}
            if against:
                click.echo(_("ok: {rows} trace rows of {items} items verify, each item is what its trace establishes; "
                             "it extends the {count} checkpoint(s) of {file} (root {root})").format(
                    **facts, count=len(against), file=against_file))
            else:
                click.echo(_("ok: {rows} trace rows of {items} items verify, each item is what its trace "
                             "establishes (root {root})").format(**facts))
    if not result["ok"]:  # with --json the document above is the whole answer
        raise AuditFailed(_("the trace does not verify: {count} problem(s) listed above; restore from a backup or "
                            "an export and investigate who wrote to the database").format(
                              count=len(result["failures"])), reported=as_json)


@audit.command("checkpoint")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Also write the checkpoint, with its subtree heads, to FILE (replaced).")
@json_option
@click.pass_obj
def checkpoint(settings, out_file: str | None, as_json: bool) -> None:
    """Verify the trace, then print and journal its checkpoint {"size", "root", "at"}: the
    Merkle tree head of every trace row. Publish it where the database's administrators cannot
    rewrite it; 'banli audit verify --against FILE' proves later that the log only grew.

    \b
    Example:
      banli audit checkpoint --out checkpoint.json
    """
    import json

    from banli.cli.setup import operator
    from banli.store.audit import checkpoint as make
    from banli.store.checkpoints import summary, write

    made = make(settings.store, actor=operator())
    if out_file:
        write(out_file, made)
    if as_json:
        emit_json(made)
    else:
        click.echo(json.dumps(summary(made), ensure_ascii=False))
