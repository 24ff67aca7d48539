"""Rendering pages: one Jinja2 environment (autoescaped), the navigation a person's roles
give them, and the words and numbers pages share (labels, deadlines in workdays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import HTMLResponse

from banli.engine.access import AUDIT_ROLES, REPORT_ROLES, SEE_EVERYTHING
from banli.web.auth import identify
from banli.web.context import web

ROLE_NAMES = {"registrar": "登记", "reviewer": "审核", "supervisor": "督查室", "unit": "承办单位", "deputy": "代表",
              "npc_office": "人大选工委", "auditor": "审计", "admin": "管理员", "leader": "县领导"}
# event-only data keys and internal choice values, in the words of the people who read them
KEY_LABELS = {"note": "备注", "reason": "理由", "text": "内容", "signer": "签发领导", "contact_person": "联系人",
              "extend_by": "延期时长", "comment": "意见", "method": "方式", "stage": "阶段"}
VALUE_LABELS = {"phone": "电话", "face_to_face": "面对面", "visit": "走访", "letter": "信函", "meeting": "座谈",
                "before": "办理前", "during": "办理中", "after": "办理后", True: "是", False: "否"}


def nav(actor) -> list[tuple[str, str]]:
    """The links of the top bar: (path, label), by role."""
    links = [("/", "首页")]
    if actor.roles & SEE_EVERYTHING or "unit" in actor.roles:
        links.append(("/ledger", "台账" if actor.roles & SEE_EVERYTHING else "我的事项"))
    if actor.roles & REPORT_ROLES:
        links += [("/dashboard", "统计"), ("/reports", "报告")]
    if actor.roles & AUDIT_ROLES:
        links.append(("/audit", "审计"))
    links.append(("/workflows", "流程图"))
    return links


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    caller = identify(request) if hasattr(request.app.state, "web") else None
    values = {"caller": caller, "nav": nav(caller.actor) if caller else [], "path": request.url.path,
              "csrf_token": caller.csrf_token if caller else "", "role_names": ROLE_NAMES,
              "value_text": value_text, **context}
    html = web(request).templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def value_text(value, units: dict[str, str] | None = None) -> str:
    """A field's value for people: unit ids as names, lists joined, booleans 是/否."""
    units = units or {}
    if isinstance(value, list):
        return "、".join(value_text(part, units) for part in value)
    if isinstance(value, bool):
        return VALUE_LABELS[value]
    if value is None:
        return ""
    text = str(value)
    return units.get(text, VALUE_LABELS.get(text, text))


def local_day(text: str | None) -> str:
    """A deadline (local ISO text) as its last day: one at 24:00 belongs to the day before."""
    if not text:
        return ""
    instant = datetime.fromisoformat(text)
    if (instant.hour, instant.minute, instant.second) == (0, 0, 0):
        return (instant - timedelta(days=1)).strftime("%Y-%m-%d")
    return instant.strftime("%Y-%m-%d %H:%M")


def workdays_left(workflow, deadline: str | None, now: datetime) -> int | None:
    """Workdays from today to the deadline's last day, on the workflow's calendar: 0 when it
    is today, negative when it has passed (workdays overdue)."""
    if not deadline:
        return None
    instant = datetime.fromisoformat(deadline)
    today = now.astimezone(workflow.zone).date()
    last = instant.astimezone(workflow.zone)
    last_day = (last - timedelta(days=1)).date() if (last.hour, last.minute, last.second) == (0, 0, 0) else last.date()
    if last_day >= today:
        return _workdays(workflow, today + timedelta(days=1), last_day)
    return -_workdays(workflow, last_day + timedelta(days=1), today)


def _workdays(workflow, first: date, last: date) -> int:
    return _count_workdays(workflow.calendar, first, last)


@lru_cache(maxsize=4096)
def _count_workdays(calendar, first: date, last: date) -> int:
    """Workdays from `first` to `last`, both counted; a list of a year's items asks the same
    few hundred spans again and again."""
    count, day = 0, first
    while day <= last and count < 1000:
        count += calendar.is_workday(day)
        day += timedelta(days=1)
    return count


def due_text(days: int | None, overdue: bool) -> str:
    if days is None:
        return ""
    if overdue or days < 0:
        return f"已逾期 {abs(days)} 个工作日" if days else "已逾期"
    return "今日到期" if days == 0 else f"还剩 {days} 个工作日"
