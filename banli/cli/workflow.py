"""`banli workflow …`: list, show, validate, register and draw definitions."""

from __future__ import annotations

import click

from banli.cli.completion import complete_workflows
from banli.cli.render import emit_json, json_option, table
from banli.cli.setup import operator
from banli.i18n import _


@click.group()
def workflow() -> None:
    """Workflow definitions (YAML; the language: docs/definitions.md): one per handling procedure.

    \b
    Examples:
      banli workflow list
      banli workflow show npc-suggestion
    """


@workflow.command("list")
@json_option
@click.pass_obj
def list_(settings, as_json: bool) -> None:
    """Registered definitions, every version.

    \b
    Examples:
      banli workflow list
      banli workflow list --json
    """
    from banli.store.operator import list_definitions

    rows = list_definitions(settings.store)
    if as_json:
        emit_json(rows)
        return
    table([_("id"), _("version"), _("title"), _("hash"), _("registered")],
          [[r["id"], r["version"], r["title"], r["hash"][:12], r["registered_at"][:16]] for r in rows])


def _describe(compiled) -> dict:
    definition = compiled.definition
    return {
        "id": definition.id, "version": compiled.version, "hash": compiled.hash, "title": str(definition.title),
        "timezone": definition.timezone, "calendar": definition.calendar, "settings": dict(definition.settings),
        "fields": {name: {"type": f.type, "label": str(f.label), "choices": list(f.choices), "required": f.required}
                   for name, f in definition.fields.items()},
        "states": [{"name": name, "label": str(s.label), "initial": s.initial, "final": s.final,
                    "deadline": f"{s.deadline.after} from {s.deadline.start}" if s.deadline else None}
                   for name, s in definition.states.items()],
        "events": [{"name": name, "label": str(e.label), "from": list(e.sources),
                    "to": [{"to": b.to, "when": {k: list(v) for k, v in b.when}} for b in e.branches],
                    "internal": e.internal, "roles": list(e.roles),
                    "data": [{"key": d.key, "type": d.type, "required": d.required} for d in e.data]}
                   for name, e in definition.events.items()],
    }


@workflow.command("show")
@click.argument("workflow_id", shell_complete=complete_workflows)
@click.option("--version", "version", type=int, help="A given version (default: the latest).")
@json_option
@click.pass_obj
def show(settings, workflow_id: str, version: int | None, as_json: bool) -> None:
    """States and events of a workflow, with labels, roles and data.

    \b
    Examples:
      banli workflow show npc-suggestion
      banli workflow show unit-task --version 1 --json
    """
    compiled = settings.store.workflows.get(workflow_id, version)
    info = _describe(compiled)
    if as_json:
        emit_json(info)
        return
    click.echo(f"{info['id']} v{info['version']}: {info['title']}  ({info['hash'][:12]})")
    click.echo()

    def deadline(name):  # the JSON keeps its English "15 workdays from received"; people read their language
        rule = compiled.definition.states[name].deadline
        return _("{period} from {start}").format(period=rule.after, start=rule.start) if rule else ""

    table([_("state"), _("label"), "", _("deadline")],
          [[s["name"], s["label"], _("initial") if s["initial"] else _("final") if s["final"] else "", deadline(s["name"])]
           for s in info["states"]])
    click.echo()

    def target(event):
        if event["internal"]:
            return _("(internal)")
        return " | ".join(_("{state} if {condition}").format(state=b["to"], condition=b["when"]) if b["when"] else b["to"]
                          for b in event["to"])

    table([_("event"), _("label"), _("from"), _("to"), _("roles"), _("data (* required)")],
          [[e["name"], e["label"], ",".join(e["from"]), target(e), ",".join(e["roles"]),
            ",".join(d["key"] + ("*" if d["required"] else "") for d in e["data"])] for e in info["events"]])


SHOWN_PROBLEMS = 100  # per file: a broken file may have thousands, and the first ones are what to fix


@workflow.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def validate(files: tuple[str, ...], as_json: bool) -> None:
    """Check definition FILES; print every error as FILE:LINE:COL: message (exit 3 if any;
    the first 100 of a file, then how many more). The language: docs/definitions.md.

    \b
    Example:
      banli workflow validate my-suggestion.yaml my-proposal.yaml
    """
    from banli.engine.parse import parse_file
    from banli.errors import DefinitionErrors

    problems, report = [], []
    for file in files:
        try:
            definition, _text = parse_file(file)
            report.append({"file": file, "ok": True, "id": definition.id, "errors": [], "more": 0})
        except DefinitionErrors as exc:
            problems.extend(exc.problems)
            shown = [problem.render() for problem in exc.problems[:SHOWN_PROBLEMS]]
            report.append({"file": file, "ok": False, "errors": shown, "more": len(exc.problems) - len(shown)})
    if as_json:
        emit_json(report)
    else:
        for entry in report:
            for line in entry["errors"]:
                click.echo(line, err=True)
            if entry["more"]:
                click.echo(_("{file}: … and {count} more problems; fix these first")
                           .format(file=entry["file"], count=entry["more"]), err=True)
        for entry in report:
            if entry["ok"]:
                click.echo(_("{file}: ok ({workflow})").format(file=entry["file"], workflow=entry["id"]))
    if problems:
        raise DefinitionErrors(problems, reported=True)


@workflow.command("schema")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the schema to this file instead of stdout.")
def schema(out: str | None) -> None:
    """Print the JSON Schema of the definition language, for editors (yaml-language-server):
    it completes and checks keys; `banli workflow validate` still checks the values.

    \b
    Examples:
      banli workflow schema --out banli-definition.schema.json
      # then, as the first line of a definition:
      # yaml-language-server: $schema=banli-definition.schema.json
    """
    import json

    from banli.engine.schema import definition_schema
    from banli.errors import InvalidInput

    text = json.dumps(definition_schema(), ensure_ascii=False, indent=2)
    if out is None:
        click.echo(text)
        return
    try:
        with open(out, "w", encoding="utf-8") as file:
            file.write(text + "\n")
    except OSError as exc:
        raise InvalidInput(_("cannot write the schema to {file}: {reason}; choose a writable file")
                           .format(file=out, reason=exc.strerror)) from exc
    click.echo(_("wrote the definition schema to {file}").format(file=out))


@workflow.command("register")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@click.pass_obj
def register(settings, file: str, as_json: bool) -> None:
    """Validate FILE and store it as a new version (unchanged content keeps its version).

    \b
    Example:
      banli workflow register my-suggestion.yaml
    """
    from banli.engine.definitions import register_file

    result = register_file(settings.store, file, operator())
    if as_json:
        emit_json(result)
    else:
        done = _("{workflow} registered as version {version} ({hash})") if result["created"] \
            else _("{workflow} unchanged, already version {version} ({hash})")
        click.echo(done.format(workflow=result["id"], version=result["version"], hash=result["hash"][:12]))


@workflow.command("graph")
@click.argument("workflow_id", shell_complete=complete_workflows)
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid", show_default=True)
@click.option("--version", "version", type=int, help="A given version (default: the latest).")
@json_option
@click.pass_obj
def graph(settings, workflow_id: str, fmt: str, version: int | None, as_json: bool) -> None:
    """Print the state diagram (Mermaid or Graphviz dot), e.g. for `dot -Tsvg`.

    \b
    Examples:
      banli workflow graph npc-suggestion > npc-suggestion.mmd
      banli workflow graph npc-suggestion --format dot | dot -Tsvg > npc-suggestion.svg
    """
    from banli.engine.graph import dot, mermaid

    definition = settings.store.workflows.get(workflow_id, version).definition
    diagram = (mermaid if fmt == "mermaid" else dot)(definition)
    if as_json:
        emit_json({"id": definition.id, "format": fmt, "diagram": diagram})
    else:
        click.echo(diagram, nl=False)


@workflow.command("migrate")
@click.argument("workflow_id", shell_complete=complete_workflows)
@click.option("--to", "to_version", type=int, required=True, help="The version to move running items to.")
@click.option("--map", "mappings", multiple=True, metavar="OLD=NEW",
              help="Where items in a state the new version lacks go (repeatable).")
@click.option("--dry-run", is_flag=True, help="List every item's move without making it.")
@json_option
@click.pass_obj
def migrate(settings, workflow_id: str, to_version: int, mappings: tuple[str, ...], dry_run: bool, as_json: bool) -> None:
    """Move running items of WORKFLOW_ID onto version --to. A state that keeps its name maps
    to itself; every other occupied state needs --map OLD=NEW. One `migrated` trace row per item.

    \b
    Examples:
      banli workflow migrate npc-suggestion --to 2 --dry-run
      banli workflow migrate npc-suggestion --to 2 --map reviewed=sorted
    """
    from banli.cli.options import pairs
    from banli.engine.migrate import migrate as run_migration
    from banli.engine.records import Actor
    from banli.errors import InvalidInput

    actor = Actor(id=operator(), name=operator(), roles=frozenset({"admin"}))
    try:
        report = run_migration(settings.runtime(), workflow_id, to_version, pairs(mappings, "--map"), actor, dry_run)
    except InvalidInput as exc:
        if as_json and "report" in exc.facts:
            emit_json({**exc.facts["report"], "error": exc.message})
        raise
    if as_json:
        emit_json(report)
        return
    if report["moves"]:
        table([_("ref"), _("from"), _("to")], [[m["ref"], f"v{m['from_version']} {m['from_state']}",
                                       f"v{m['to_version']} {m['to_state']}"] for m in report["moves"]])
    done = _("would move {count} running item(s) of {workflow} to version {version}") if dry_run \
        else _("moved {count} running item(s) of {workflow} to version {version}")
    click.echo(done.format(count=len(report["moves"]), workflow=workflow_id, version=to_version))


@workflow.command("diff")
@click.argument("workflow_id", shell_complete=complete_workflows)
@click.argument("version_a", type=int)
@click.argument("version_b", type=int)
@json_option
@click.pass_obj
def diff(settings, workflow_id: str, version_a: int, version_b: int, as_json: bool) -> None:
    """What changed from version A to version B of WORKFLOW_ID.

    \b
    Example:
      banli workflow diff npc-suggestion 1 2
    """
    from banli.engine.diff import diff as compare

    old = settings.store.workflows.get(workflow_id, version_a).definition
    new = settings.store.workflows.get(workflow_id, version_b).definition
    changes = compare(old, new)
    if as_json:
        emit_json({"id": workflow_id, "from": version_a, "to": version_b, "changes": changes})
        return
    if not changes:
        click.echo(_("{workflow} v{version_a} and v{version_b} do the same")
                   .format(workflow=workflow_id, version_a=version_a, version_b=version_b))
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for change in changes:
        click.echo(f"{marks[change['change']]} {change['section']} {change['name']}")
        for key, (before, after) in change["details"].items():
            click.echo(f"    {key}: {before} → {after}")
