"""The supervision office's and the auditors' pages: the ledger (filters, search, sort, the
台账.xlsx), the dashboard, the reports (annual report, bulletin, unit scores), the audit
(verification, checkpoint, an item's hash chain) and every workflow's diagram."""

from __future__ import annotations

from collections import Counter
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from banli.engine import access
from banli.i18n import N_, _
from banli.web import reading, views
from banli.web.auth import check_csrf, require
from banli.web.charts import COLOURS, bars
from banli.web.context import web
from banli.web.render import page

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SORTS = {"ref": N_("Number"), "deadline": N_("Deadline"), "state": N_("State"), "title": N_("Title")}


@router.get("/ledger")
def ledger(request: Request, session: str = "", unit: str = "", state: str = "", category: str = "", q: str = "",
           overdue: str = "", sort: str = "ref", desc: str = "", page_number: int = 1) -> Response:
    caller = require(request)
    context = web(request)
    sort = sort if sort in SORTS else "ref"
    found = reading.item_rows(context, caller, session=session or None, unit=unit or None, state=state or None,
                              category=category or None, q=q or None, overdue=bool(overdue), sort=sort,
                              descending=bool(desc))
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page_number = min(max(1, page_number), pages)
    units, _people = views.names(context)
    now = context.now()
    shown = reading.rows_json(context, found[(page_number - 1) * PAGE_SIZE:page_number * PAGE_SIZE])
    rows = [views.summary(context, item, units, now) for item in shown]
    workflow = context.latest("npc-suggestion")
    category_field = workflow.definition.fields.get("category")
    filters = {"session": session, "unit": unit, "state": state, "category": category, "q": q, "overdue": overdue,
               "sort": sort, "desc": desc}
    return page(request, "ledger.html", {
        "rows": rows, "total": len(found), "page_number": page_number, "pages": pages, "filters": filters,
        "query": lambda **changes: urlencode({**{k: v for k, v in filters.items() if v}, **changes}),
        "sessions": reading.sessions(context), "units": units, "sorts": {key: _(name) for key, name in SORTS.items()},
        "states": {name: str(state.label) for name, state in workflow.definition.states.items()},
        "categories": category_field.choices if category_field else (),
        "may_export": bool(caller.actor.roles & access.REPORT_ROLES)})


@router.get("/dashboard")
def dashboard(request: Request, session: str = "") -> Response:
    caller = require(request)
    access.check_roles(caller.actor, access.REPORT_ROLES, _("the dashboard"))
    context = web(request)
    units, _people = views.names(context)
    states, overdue, ratings, categories = Counter(), Counter(), Counter(), Counter()
    for group in reading.tally(context, caller, session or None):  # counted by the database
        workflow, count = context.store.workflows.by_id(group["definition_id"]), group["count"]
        states[workflow.label(group["state"])] += count
        if group["late"] and group["state"] not in workflow.final_states:
            overdue[units.get(group["lead_unit"], _("Not assigned yet"))] += count
        if group["rating"]:
            ratings[group["rating"]] += count
        categories[group["category"] or _("No category")] += count
    campaigns = []
    for entry in context.store.campaign_status(session=session or None):
        tasks = entry["tasks"]
        done = sum(1 for task in tasks if task["outcome"])
        campaigns.append({"label": entry["campaign"].get("label") or entry["campaign"]["name"],
                          "session": entry["campaign"].get("session"), "done": done, "total": len(tasks),
                          "outcomes": Counter(task["outcome"] for task in tasks if task["outcome"])})
    rated = sum(ratings.values())
    satisfied = ratings.get("满意", 0) + ratings.get("基本满意", 0)
    return page(request, "dashboard.html", {
        "session": session, "sessions": reading.sessions(context), "total": sum(states.values()),
        "overdue_total": sum(overdue.values()), "rated": rated,
        "satisfaction": f"{100 * satisfied / rated:.2f}%" if rated else "—",
        "charts": [bars(_("By state"), dict(states.most_common())),
                   bars(_("Overdue items (by lead unit)"), dict(overdue.most_common()), colour=COLOURS[1]),
                   bars(_("Deputies' ratings"), dict(ratings.most_common()), colour=COLOURS[2]),
                   bars(_("By category"), dict(categories.most_common()), colour=COLOURS[3])],
        "campaigns": campaigns})


@router.get("/reports")
def reports(request: Request, session: str = "", period: str = "") -> Response:
    caller = require(request)
    access.check_roles(caller.actor, access.REPORT_ROLES, _("the reports"))
    context = web(request)
    sessions = reading.sessions(context)
    session = session or (sessions[-1] if sessions else "")
    metrics = reading.annual(context, caller, session).metrics.to_json() if session else None
    from banli.reports.scores import build_scores

    scores = build_scores(context.store, session=session or None)
    return page(request, "reports.html", {"session": session, "sessions": sessions, "metrics": metrics,
                                          "scores": scores, "period": period, "quoted": quote(session)})


@router.get("/reports/annual.docx")
def annual_docx(request: Request, session: str) -> Response:
    caller = require(request)
    content = reading.annual_bytes(web(request), caller, session, ".docx")
    name = quote(_("Handling report-{session}").format(session=session) + ".docx")
    return Response(content, media_type=DOCX, headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})


@router.get("/reports/annual.html")
def annual_html(request: Request, session: str) -> Response:
    caller = require(request)
    return HTMLResponse(reading.annual_bytes(web(request), caller, session, ".html").decode("utf-8"))


@router.get("/reports/bulletin")
def bulletin(request: Request, period: str) -> Response:
    from banli.reports.bulletin import build_bulletin, document
    from banli.reports.render.html import html

    caller = require(request)
    access.check_roles(caller.actor, access.REPORT_ROLES, _("the bulletin"))
    context = web(request)
    return HTMLResponse(html(document(build_bulletin(context.store, period, now=context.now()))))


@router.get("/audit")
def audit(request: Request) -> Response:
    from banli.store.audit import verify

    caller = require(request)
    access.check_roles(caller.actor, access.AUDIT_ROLES, _("the audit"))
    result = verify(web(request).store)
    return page(request, "audit.html", {"result": result, "checkpoint": None})


@router.post("/audit/checkpoint")
async def checkpoint(request: Request) -> Response:
    from banli.store.audit import checkpoint as make, verify

    form = await request.form()
    caller = await run_in_threadpool(require, request)
    check_csrf(request, caller, str(form.get("csrf_token", "")))
    access.check_roles(caller.actor, access.AUDIT_ROLES, _("the audit"))
    store = web(request).store
    made = await run_in_threadpool(make, store)
    result = await run_in_threadpool(verify, store)
    return page(request, "audit.html", {"result": result, "checkpoint": made})


@router.get("/audit/items/{ref:path}")
def audit_item(request: Request, ref: str) -> Response:
    caller = require(request)
    access.check_roles(caller.actor, access.AUDIT_ROLES, _("the audit"))
    context = web(request)
    info = reading.item_info(context, caller, ref)
    workflow = views.pinned(context.store, ref)
    units, people = views.names(context)
    rows = [views.history_row(row, workflow, people, units) for row in info["trace"]]
    for before, row in zip([None] + rows[:-1], rows):
        row["linked"] = row["prev_hash"] == (before["hash"] if before else row["prev_hash"])
    return page(request, "audit_item.html", {"item": info, "rows": rows})


@router.get("/workflows")
def workflows(request: Request) -> Response:
    require(request)
    latest = sorted(web(request).store.workflows.latest(), key=lambda workflow: workflow.definition.id)
    return page(request, "workflows.html", {"workflows": latest})


@router.get("/workflows/{workflow_id}.svg")
def workflow_svg(request: Request, workflow_id: str) -> Response:
    from banli.web.diagram import svg

    require(request)
    workflow = web(request).store.workflows.get(workflow_id)
    return Response(svg(workflow.definition), media_type="image/svg+xml")


@router.get("/audit/lookup")
def audit_lookup(request: Request, ref: str) -> Response:
    from starlette.responses import RedirectResponse

    require(request)
    return RedirectResponse(f"/audit/items/{quote(ref.strip(), safe='/')}", status_code=303)
