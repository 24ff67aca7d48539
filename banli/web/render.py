"""Rendering pages: one Jinja2 environment (autoescaped), the navigation a person's roles
give them, and the words and numbers pages share (labels, deadlines in workdays)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import HTMLResponse

from banli.engine.access import AUDIT_ROLES, REPORT_ROLES, SEE_EVERYTHING
from banli.engine.wording import role_names
from banli.i18n import N_, _, ngettext
from banli.web.auth import identify
from banli.web.context import web

# event-only data keys and internal choice values, in the words of the people who read them
KEY_LABELS = {"note": N_("Note"), "reason": N_("Reason"), "text": N_("Text"), "signer": N_("Signing leader"),
              "contact_person": N_("Contact person"), "extend_by": N_("Extended by"), "comment": N_("Comment"),
              "method": N_("Method"), "stage": N_("Stage")}
VALUE_LABELS = {"phone": N_("Phone"), "face_to_face": N_("Face to face"), "visit": N_("Visit"), "letter": N_("Letter"),
                "meeting": N_("Meeting"), "before": N_("Before handling"), "during": N_("During handling"),
                "after": N_("After handling"), True: N_("Yes"), False: N_("No")}


def key_label(key: str) -> str:
    """An event-only data key's name for people, or the key itself when we have none."""
    return _(KEY_LABELS[key]) if key in KEY_LABELS else key


def value_label(value) -> str | None:
    """An internal choice value's (or a boolean's) word for people, or None when it has none."""
    if isinstance(value, bool) or value in VALUE_LABELS:
        return _(VALUE_LABELS[value])
    return None


def nav(actor) -> list[tuple[str, str]]:
    """The links of the top bar: (path, label), by role."""
    links = [("/", _("Home"))]
    if actor.roles & SEE_EVERYTHING or "unit" in actor.roles:
        links.append(("/ledger", _("Ledger") if actor.roles & SEE_EVERYTHING else _("My items")))
    if actor.roles & REPORT_ROLES:
        links += [("/dashboard", _("Statistics")), ("/reports", _("Reports"))]
    if actor.roles & AUDIT_ROLES:
        links.append(("/audit", _("Audit")))
    links.append(("/workflows", _("Workflows")))
    return links


def page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    caller = identify(request) if hasattr(request.app.state, "web") else None
    values = {"caller": caller, "nav": nav(caller.actor) if caller else [], "path": request.url.path,
              "csrf_token": caller.csrf_token if caller else "", "role_names": role_names(),
              "value_text": value_text, **context}
    html = web(request).templates.get_template(template).render(values)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def value_text(value, units: dict[str, str] | None = None) -> str:
    """A field's value for people: unit ids as names, lists joined, booleans as yes or no."""
    units = units or {}
    if isinstance(value, list):
        return _(", ").join(value_text(part, units) for part in value)
    if isinstance(value, bool):
        return value_label(value)
    if value is None:
        return ""
    text = str(value)
    if text in units:
        return units[text]
    return value_label(text) or text


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
    """A deadline in workdays, as a clerk says it: overdue by some, due today, due in some."""
    if days is None:
        return ""
    if overdue or days < 0:
        if not days:
            return _("Overdue")
        return ngettext("Overdue by {count} workday", "Overdue by {count} workdays", abs(days)).format(count=abs(days))
    if days == 0:
        return _("Due today")
    return ngettext("Due in {count} workday", "Due in {count} workdays", days).format(count=days)
