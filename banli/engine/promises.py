"""The guard that a promising reply carries its promise (B 类: 正在解决或列入计划逐步解决): the
plan and the date it is promised by are recorded, the date is not already past, and, if
asked, the reply's text itself states a plan and a time, so the class fits the text.

Registered as `promise_given` (banli.engine.builtins). It judges the item's fields as the
event leaves them, so it holds both for the unit's reply and for a reviewer who reclassifies
a reply as B (`accept_reply` with `result_class: B`).
"""

from __future__ import annotations

import re
from datetime import date

from banli.i18n import N_, _

# What a text that promises says: a time (a year, a month, the end of the year, a quarter, a
# half-year, a date) and a plan (planned, to be done, striven for, in steps).
_WHEN_WORDS = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|\d{4}-\d{1,2}-\d{1,2}|年底|年内|年末|月底|月末|季度|上半年|下半年"
                         r"|明年|今年|近期内")
_PLAN_WORDS = re.compile(r"计划|方案|将|拟|预计|力争|争取|安排|分步|逐步|推进|实施")
_LACKING = {  # what the text of a promising reply does not state → the refusal
    ("time",): N_("the reply is {promising}-class but its text states no time; say in the text what will be done and "
                  "by when (e.g. 计划于2025年12月底前完成), or choose the class that fits"),
    ("plan",): N_("the reply is {promising}-class but its text states no plan; say in the text what will be done and "
                  "by when (e.g. 计划于2025年12月底前完成), or choose the class that fits"),
    ("time", "plan"): N_("the reply is {promising}-class but its text states no time and no plan; say in the text what "
                         "will be done and by when (e.g. 计划于2025年12月底前完成), or choose the class that fits"),
}


def promise_given(ctx, class_field: str = "result_class", promising: str = "B", plan: str = "promise",
                  by: str = "promised_by", text: str = "text", in_text: bool = False) -> str | None:
    """An item of the `promising` class records its plan (`plan`) and the date it is promised
    by (`by`, not before the event's day); with `in_text`, the event's reply `text` (when the
    event carries one) names a time and a plan."""
    if str(ctx.fields.get(class_field) or "") != promising:
        return None
    missing = [key for key in (plan, by) if ctx.fields.get(key) in (None, "")]
    if missing:
        options = " ".join(f"--data {key}=…" for key in missing)
        if by in missing:
            return _("a {promising}-class reply records the promise: what will be done and by when; pass {options} "
                     "({by} a date such as 2025-12-31)").format(promising=promising, options=options, by=by)
        return _("a {promising}-class reply records the promise: what will be done and by when; pass {options}").format(
            promising=promising, options=options)
    promised = date.fromisoformat(str(ctx.fields[by]))
    today = ctx.at.astimezone(ctx.workflow.zone).date()
    if promised < today:
        return _("the promised date {promised} ({by}) is before {today}; promise a date to come").format(
            promised=promised.isoformat(), by=by, today=today.isoformat())
    body = str(ctx.data.get(text) or "") if in_text else ""
    if body:
        lacking = [what for what, words in (("time", _WHEN_WORDS), ("plan", _PLAN_WORDS)) if not words.search(body)]
        if lacking:
            return _(_LACKING[tuple(lacking)]).format(promising=promising)
    return None
