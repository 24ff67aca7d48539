"""The same suggestion made again (多次提议), as the seed's 73号建议 on electric bikes was made
year after year: one suggestion of the demo year was made in two earlier sessions (15-4 in
2020, 15-5 in 2021) by its first deputy, each time answered as not yet solvable (C). Those earlier items are registered and handled
here through the runtime, each to its reply and the deputy's rating; the year's item then
names them in its field `earlier`, and its page and the report show their history."""

from __future__ import annotations

from datetime import datetime

from banli.demo.cast import Cast
from banli.demo.suggestion import BASICALLY, Plan
from banli.demo.timeline import ZONE, text
from banli.engine.runtime import Runtime

# session, year: each time the problem was too large to solve at once (C, 留作参考)
EARLIER = (("15-4", 2020), ("15-5", 2021))
_REPLY = "因受现行政策和当前财力条件限制，该问题暂时难以解决，我们已将您的建议留作今后工作参考，待条件成熟后积极推进。"


def made_again(plans: list[Plan]) -> Plan | None:
    """The suggestion of the year that repeats earlier ones: the first one handled and not key."""
    return next((plan for plan in plans if plan.fate == "handled" and not plan.key), None)


def play_earlier(runtime: Runtime, plans: list[Plan], cast: Cast, workflow: str = "npc-suggestion") -> dict:
    """Register and handle the earlier items of the suggestion `made_again` picks, and name
    them in its plan (`plan.earlier`); returns their refs and the events fired."""
    plan = made_again(plans)
    if plan is None:
        return {"refs": [], "events": 0}
    refs: list[str] = []
    events = 0
    lead = cast.staff[plan.lead]
    supervisor, deputy = cast.supervisors[0], cast.deputy_person[plan.deputies[0]]
    for session, year in EARLIER:
        ref = f"{session}-{plan.number:03d}"
        fields = {"category": plan.category, "session": session, **({"earlier": refs[-1:]} if refs else {})}
        runtime.create(workflow_id=workflow, ref=ref, title=plan.title, actor=cast.registrar,
                       deputies=plan.deputies[:1], fields=fields, at=_at(year, 1, 12))
        text_of_reply = f"{plan.deputies[0]}代表：\n    您提出的《{plan.title}》收悉。{_REPLY}\n    {lead.unit_name}"
        for actor, event, data, when in (
                (cast.reviewer, "sort", {"category": plan.category}, _at(year, 1, 18)),
                (cast.reviewer, "review", {}, _at(year, 1, 20)), (supervisor, "audit", {}, _at(year, 1, 22)),
                (cast.npc_office, "approve", {}, _at(year, 1, 26)),
                (supervisor, "assign", {"lead_unit": plan.lead, "mode": "单独办理"}, _at(year, 3, 1)),
                (lead.handler, "sign_for", {"leader": lead.leader_name, "handler": lead.handler_name}, _at(year, 3, 2)),
                (lead.handler, "reply", {"result_class": "C", "text": text_of_reply, "signer": lead.leader_name,
                                         "contact_person": f"{lead.handler_name}（{lead.phone}）"}, _at(year, 5, 20)),
                (supervisor, "accept_reply", {"note": "答复规范，同意送达代表"}, _at(year, 5, 24)),
                (deputy, "rate", {"rating": BASICALLY, "comment": "希望继续推进，早日解决"}, _at(year, 6, 1))):
            runtime.fire(ref, event, actor, data, at=when)
        refs.append(ref)
        events += 10  # its registration and nine events
    plan.earlier = (refs[-1],)  # the latest; the history follows its own link to the one before
    return {"refs": refs, "events": events, "made_again": plan.ref}


def _at(year: int, month: int, day: int) -> str:
    return text(datetime(year, month, day, 10, 0, tzinfo=ZONE))
