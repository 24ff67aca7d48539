"""`banli item add|import|list|show`: register items and look at them."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from banli.cli.completion import complete_refs, complete_units, complete_workflows
from banli.cli.options import as_of, pairs
from banli.cli.render import deadline_text, emit_json, json_option, table
from banli.i18n import _


@click.group()
def item() -> None:
    """Items: one tracked case each (a suggestion, a proposal, a work order).

    \b
    Examples:
      banli item list --overdue
      banli item show 16-1-001
    """


@item.command("add")
@click.option("--workflow", "workflow_id", required=True, shell_complete=complete_workflows,
              help="Workflow id, e.g. npc-suggestion.")
@click.option("--ref", required=True, help="Reference, e.g. 16-1-073 (congress-session-number).")
@click.option("--title", required=True, help="Title of the suggestion.")
@click.option("--deputy", "deputies", multiple=True, help="A deputy's name (repeat for several).")
@click.option("--field", "fields", multiple=True, metavar="K=V", help="A field value, e.g. category=城市建设.")
@click.option("--content", default="", help="The text of the suggestion.")
@click.option("--at", help="Registration time (ISO date or date-time); default now.")
@json_option
@click.pass_obj
def add(settings, workflow_id, ref, title, deputies, fields, content, at, as_json) -> None:
    """Register one item (needs the role registrar, supervisor or admin).

    \b
    Example:
      banli --as reg-1 item add --workflow npc-suggestion --ref 16-1-152 --title 关于增设公交站点的建议 \\
            --deputy 王建国 --deputy 李秀英 --field category=城市建设 --field session=16-1
    """
    fired = settings.runtime().create(workflow_id=workflow_id, ref=ref, title=title, actor=settings.user,
                                      deputies=list(deputies), fields=pairs(fields, "--field"), content=content, at=at)
    if as_json:
        emit_json(fired.as_json())
    else:
        state = settings.item_workflow(fired.ref).label(fired.to_state)
        click.echo(_("{ref} registered: {state} (seq {seq})").format(ref=fired.ref, state=state, seq=fired.seq))


@item.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--workflow", "workflow_id", default="npc-suggestion", show_default=True,
              shell_complete=complete_workflows, help="Workflow of the items.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; import nothing.")
@json_option
@click.pass_obj
def import_(settings, file, workflow_id, dry_run, as_json) -> None:
    """Register every row of FILE (CSV or XLSX), or none: each problem is listed as FILE:ROW: message.

    \b
    The header row names the columns: ref (编号) and title (标题) are required; deputies (代表,
    several separated by 、，,;), content (内容) and submitted_on (提交日期) are optional; any
    other column is a field of the workflow, by name or label (category or 类别).
    CSV may be UTF-8, UTF-8 with BOM or GB18030; of an XLSX workbook the first sheet is read.

    \b
    Examples:
      banli --as reg-1 item import 建议.xlsx --dry-run
      banli --as reg-1 item import 建议.csv
    """
    from banli.engine.importer import ImportRefused, import_sheet
    from banli.sheets.reading import read_sheet

    try:
        report = import_sheet(settings.runtime(), lambda: read_sheet(file), actor=settings.user,
                              workflow_id=workflow_id, dry_run=dry_run, progress=None if as_json else _progress_bar)
    except ImportRefused as exc:
        if as_json:
            emit_json(exc.report.as_json())
        else:
            for problem in exc.problems:
                click.echo(problem.render(file), err=True)
        raise  # the summary line and exit 3
    if as_json:
        emit_json(report.as_json())
    elif dry_run:
        click.echo(_("{file}: {rows} row(s) checked, no errors; dry run: nothing was imported")
                   .format(file=file, rows=report.rows))
    else:
        click.echo(_("{file}: {count} item(s) imported into {workflow}")
                   .format(file=file, count=report.imported, workflow=report.workflow))


@contextmanager
def _progress_bar(label: str, total: int):
    """A bar on stderr for large files, only when stderr is a terminal."""
    stream = sys.stderr
    if total < 1000 or not stream.isatty():
        yield lambda _steps: None
        return
    with click.progressbar(length=total, label=label, file=stream) as bar:
        yield bar.update


@item.command("list")
@click.option("--state", help="Only items in this state.")
@click.option("--unit", shell_complete=complete_units, help="Only items assigned to this unit (lead or co).")
@click.option("--workflow", "workflow_id", shell_complete=complete_workflows, help="Only items of this workflow.")
@click.option("--overdue", is_flag=True, help="Only open items past their deadline.")
@click.option("--as-of", "as_of_text", metavar="T", help="Judge deadlines as of this time (default now).")
@click.option("--children", is_flag=True, help="Include co-unit tasks (child items).")
@json_option
@click.pass_obj
def list_(settings, state, unit, workflow_id, overdue, as_of_text, children, as_json) -> None:
    """The ledger view: every item with its state and deadline.

    \b
    Examples:
      banli item list --unit zjj
      banli item list --state closed --workflow npc-suggestion --json
      banli item list --overdue --as-of 2022-08-01
    """
    from banli.store.queries import list_items

    items = list_items(settings.store, as_of=as_of(as_of_text), state=state, unit=unit, workflow=workflow_id,
                       overdue=overdue, children=children)
    if as_json:
        emit_json(items)
        return
    with settings.store.read() as tx:
        units = tx.org_names().units
    table([_("ref"), _("title"), _("state"), _("lead unit"), _("deadline"), _("overdue")],
          [[i["ref"], i["title"][:24], i["state_label"], units.get(i["fields"].get("lead_unit", ""), i["fields"].get("lead_unit", "")),
            deadline_text(i["deadline"]), "逾期" if i["overdue"] else ""] for i in items])
    click.echo(_("{count} item(s)").format(count=len(items)))


@item.command("show")
@click.argument("ref", shell_complete=complete_refs)
@click.option("--as-of", "as_of_text", metavar="T", help="Judge the deadline as of this time (default now).")
@json_option
@click.pass_obj
def show(settings, ref, as_of_text, as_json) -> None:
    """Fields, deputies, assignments, deadline, co-unit tasks and the full history of REF.

    \b
    Examples:
      banli item show 16-1-001
      banli item show 16-1-001 --as-of 2022-06-30 --json
    """
    from banli.engine.limits import shown
    from banli.engine.related import related
    from banli.engine.wording import event_text, field_text, person_text
    from banli.errors import NotFound
    from banli.store.queries import show_item

    info = show_item(settings.store, ref, as_of=as_of(as_of_text))
    if info is None:
        raise NotFound(_("no item {ref}; see 'banli item list'").format(ref=shown(ref)), ref=ref)
    info.update(related(settings.store, ref))  # the leader of a key suggestion, earlier items (多次提议)
    if as_json:
        emit_json(info)
        return
    # the text shows names and labels (ids are in --json)
    with settings.store.read() as tx:
        names = tx.org_names()
    workflow = settings.item_workflow(ref)
    click.echo(f"{info['ref']}  {info['title']}")
    click.echo("  " + _("workflow {workflow}, state {label}, version {version}").format(
        workflow=info["workflow"], label=info["state_label"], version=info["version"]))
    if info["deadline"]:
        deadline = _("deadline {deadline}  逾期 overdue") if info["overdue"] else _("deadline {deadline}")
        click.echo("  " + deadline.format(deadline=deadline_text(info["deadline"])))
    if info.get("paused"):
        pause = info["paused"]
        since = (pause["since"] or "?")[:16].replace("T", " ")
        click.echo("  " + _("deadline paused (挂起) since {since} by {event} (seq {seq}); was due {was}, "
                            "later by the pause").format(since=since, event=pause["event_label"], seq=pause["seq"],
                                                         was=deadline_text(pause["deadline_was"]) or "-"))
    if info["deputies"]:
        click.echo("  " + _("deputies {names}").format(names="、".join(info["deputies"])))
    fields = workflow.definition.fields
    for name, value in info["fields"].items():
        field = fields.get(name)
        click.echo(f"  {field.label if field else name}: {field_text(field, value, names)}")
    for a in info["assignments"]:
        click.echo(f"  {'主办' if a['role'] == 'lead' else '协办'} {a['name']}" + (f" → {a['child']}" if a["child"] else ""))
    for child in info["children"]:
        click.echo("  " + _("task {ref}: {state}").format(ref=child["ref"], state=child["state_label"]))
    for holder in info["role_holders"]:
        click.echo(f"  {holder['label']} {holder['name']}")
    if info["earlier"]:
        click.echo("  " + _("多次提议: also made {count} time(s) before").format(count=len(info["earlier"])))
    for e in info["earlier"]:
        ended = "、".join(part for part in (e["result_class"] and e["result_class"] + "类", e["rating"]) if part)
        click.echo(f"    {e['ref']} ({e['session'] or '-'}) {e['title']}: {e['state_label']}" + (f", {ended}" if ended else ""))
    click.echo()
    table([_("seq"), _("time"), _("event"), _("from → to"), _("actor")],
          [[t["seq"], t["occurred_at"][:16].replace("T", " "), event_text(workflow, t["event"]),
            f"{workflow.label(t['from']) if t['from'] else ''} → {workflow.label(t['to'])}",
            person_text(t["actor"], names)] for t in info["trace"]])
