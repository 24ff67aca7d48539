"""`banli audit log|verify|checkpoint`: the trace, its verification, a root hash."""

from __future__ import annotations

import click

from banli.cli.render import emit_json, json_option, table


@click.group()
def audit() -> None:
    """The append-only, hash-chained trace of every event."""


@audit.command("log")
@click.argument("ref", required=False)
@json_option
@click.pass_obj
def log(settings, ref: str | None, as_json: bool) -> None:
    """The trace of REF (or of every item), in sequence order."""
    from banli.errors import NotFound
    from banli.store.audit import log as read_log

    rows = read_log(settings.store, ref)
    if ref and not rows:
        raise NotFound(f"no item {ref} (or it has no trace); see 'banli item list'", ref=ref)
    if as_json:
        emit_json(rows)
        return
    table(["ref", "seq", "occurred", "event", "from → to", "actor", "hash"],
          [[r["ref"], r["seq"], r["occurred_at"][:16], r["event"], f"{r['from']} → {r['to']}", r["actor"], r["hash"][:12]]
           for r in rows])


@audit.command("verify")
@json_option
@click.pass_obj
def verify(settings, as_json: bool) -> None:
    """Recompute every hash chain; exit 8 naming each changed, deleted or reordered row."""
    from banli.errors import AuditFailed
    from banli.store.audit import verify as run_verify

    result = run_verify(settings.store)
    if as_json:
        emit_json(result)
    else:
        for failure in result["failures"]:
            click.echo(f"{failure['ref']} seq {failure['seq']}: {failure['reason']}", err=True)
        if result["ok"]:
            click.echo(f"ok: {result['rows']} trace rows of {result['items']} items verify")
    if not result["ok"]:  # with --json the document above is the whole answer
        raise AuditFailed(f"the trace does not verify: {len(result['failures'])} problem(s) listed above; "
                          "restore from a backup or an export and investigate who wrote to the database",
                          reported=as_json)


@audit.command("checkpoint")
@json_option
@click.pass_obj
def checkpoint(settings, as_json: bool) -> None:
    """One root hash over every item's chain head; publish it so later tampering shows."""
    from banli.store.audit import checkpoint as make

    result = make(settings.store)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"{result['root']}  ({result['items']} items)")
