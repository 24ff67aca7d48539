"""One suggestion's year: its plan (what happens to it) and its story (the events that
tell it, each with its actor, data and business time, in the order they happened)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from banli.demo.cast import Cast, Staff
from banli.demo.timeline import (
    APPROVAL,
    ASSIGNED_ON,
    AUDIT,
    REPLY_DUE,
    REVIEW,
    SORTING,
    ZONE,
    Cursor,
)
from banli.demo.topics import Topic
from banli.engine.records import SYSTEM_ACTOR

CREATE = "create"  # not an event of the workflow: the step that registers the item
SWEEP = "sweep"  # nor this: the scheduler's reminder sweep, come to this item at 07:30 that day
SESSION = "16-1"

SATISFIED, BASICALLY, UNSATISFIED = "满意", "基本满意", "不满意"
LAPSES_AFTER = timedelta(days=45)  # past the 20 workdays to rate and the 5 of grace, holidays and all
JOINT, SPLIT = "会办", "分办"

_BODIES = {
    "A": ("经认真研究，我单位已制定专项方案并组织实施，您所提问题已得到解决。",
          "我单位高度重视，主要领导专题研究，会同有关部门现场办公，所提问题已基本解决。"),
    "B": ("该事项已列入{year}年度工作计划，目前正在组织实施，预计年底前完成，我们将及时向您反馈进展。",
          "我单位已着手解决，因涉及资金筹措和项目审批，将分步实施，力争明年上半年全部完成。"),
    "C": ("因受现行政策和当前财力条件限制，该问题暂时难以解决，我们已将您的建议留作今后工作参考，待条件成熟后积极推进。",),
}


# A B-class reply's promise (承诺事项, 承诺完成时限), as its text states it: by the end of the
# year, or of the first half of the next; a promise kept after its date is kept late.
_PROMISES = {
    _BODIES["B"][0]: ("列入年度工作计划组织实施，年底前完成", "2022-12-31"),
    _BODIES["B"][1]: ("筹措资金、完成项目审批后分步实施，明年上半年全部完成", "2023-06-30"),
}
RECLASSIFIED_PROMISE = {"promise": "尚未解决的问题列入年度工作计划，年底前解决到位", "promised_by": "2022-12-31"}


@dataclass(frozen=True, kw_only=True)
class Step:
    at: datetime
    ref: str
    event: str
    actor: str
    data: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class Plan:
    """What happens to one suggestion; the year's planner fills it in, the story tells it."""

    number: int
    category: str
    registered_at: datetime
    deputies: list[str]
    title: str = ""
    topic: Topic | None = None
    lead: str = ""
    first_category: str = ""          # as registered, when 初分 corrects it
    fate: str = "handled"             # handled | rejected_review | rejected_approval | withdrawn
    co_units: list[str] = field(default_factory=list)
    mode: str = "单独办理"
    wrong_lead: str = ""              # assigned first to this unit, which asks for a change (改办)
    change_refused: bool = False      # the lead asks for a change and the supervisor refuses
    released: str = ""                # a co-unit that asks to be released, and is
    late_co: tuple[str, ...] = ()     # co-units whose opinion comes late (urged)
    result_class: str = "A"
    reply_class: str = ""             # the unit's own class, when the supervisor reclassifies
    key: bool = False                 # a key suggestion supervised from the start (重点督办)
    lateness: str = ""                # "" | extension | late
    urged: bool = False               # urged before the deadline, replied in time
    returned: bool = False            # the first reply goes back to the unit (退回重新答复)
    ratings: tuple[str, ...] = (SATISFIED,)  # the rating, and the second one after re-handling
    face_to_face: bool = True
    fulfilled: bool = False           # a B-class promise kept later (落实)
    co_signers_rate: bool = False     # a joint suggestion's co-signers rate too (before the first signer)
    rating_lapses: bool = False       # the deputy never rates: 逾期未评价, the system closes it (视为满意)
    earlier: tuple[str, ...] = ()     # refs of the same suggestion in earlier sessions (多次提议)

    @property
    def ref(self) -> str:
        return f"{SESSION}-{self.number:03d}"


def story(plan: Plan, cast: Cast, rng: random.Random) -> list[Step]:
    """Every step of the plan, parent and co-unit tasks merged in business-time order."""
    return _Story(plan, cast, rng).tell()


class _Story:
    def __init__(self, plan: Plan, cast: Cast, rng: random.Random) -> None:
        self.plan, self.cast, self.rng = plan, cast, rng
        self.cursor = Cursor(rng, plan.registered_at)
        self.steps: list[Step] = []

    def add(self, at: datetime, event: str, actor: str, data: dict | None = None, ref: str | None = None) -> None:
        self.steps.append(Step(at=at, ref=ref or self.plan.ref, event=event, actor=actor, data=data or {}))

    def supervisor(self) -> str:
        return self.rng.choice(self.cast.supervisors)

    def tell(self) -> list[Step]:
        if self.file() and self.plan.fate == "handled":
            self.handle()
        order = {id(step): index for index, step in enumerate(self.steps)}
        return sorted(self.steps, key=lambda step: (step.at, order[id(step)]))

    # -- registration and the four gates (初分, 初审, 审核, 审定) -----------------------------

    def file(self) -> bool:
        plan, cast, c = self.plan, self.cast, self.cursor
        fields = {"category": plan.first_category or plan.category, "session": SESSION}
        if plan.earlier:
            fields["earlier"] = list(plan.earlier)
        self.add(c.exactly(plan.registered_at), CREATE, cast.registrar,
                 {"title": plan.title, "deputies": list(plan.deputies), "fields": fields})
        self.add(c.between(*SORTING), "sort", cast.reviewer, {"category": plan.category})
        if plan.fate == "rejected_review":
            self.add(c.between(*REVIEW), "reject", cast.reviewer,
                     {"reason": "所提事项属于个人具体诉求，不宜作为代表建议立案，已向代表说明并建议通过信访渠道反映"})
            return False
        self.add(c.between(*REVIEW), "review", cast.reviewer)
        self.add(c.between(*AUDIT), "audit", self.supervisor())
        if plan.fate == "rejected_approval":
            self.add(c.between(*APPROVAL), "reject", cast.npc_office,
                     {"reason": "所提事项涉及诉讼，应依法通过司法途径解决，不予立案，已向代表说明"})
            return False
        self.add(c.between(*APPROVAL), "approve", cast.npc_office)
        if plan.fate == "withdrawn":
            self.add(c.between(date(2022, 5, 20), date(2022, 5, 26), workday=False, office=False), "withdraw",
                     self.deputy(), {"reason": "所提问题会后已由所在乡镇协调解决，申请撤回"})
            return False
        return True

    def deputy(self) -> str:
        return self.cast.deputy_person[self.plan.deputies[0]]

    # -- assignment to the end of the year ---------------------------------------------------

    def handle(self) -> None:
        plan, c = self.plan, self.cursor
        meeting = datetime(ASSIGNED_ON.year, ASSIGNED_ON.month, ASSIGNED_ON.day, 10, 0, tzinfo=ZONE)
        assign = {"lead_unit": plan.wrong_lead or plan.lead, "mode": plan.mode}
        if plan.co_units:
            assign["co_units"] = list(plan.co_units)
        assigned_at = c.exactly(meeting + timedelta(seconds=20 * plan.number))
        self.add(assigned_at, "assign", self.cast.supervisors[0], assign)
        if plan.mode == SPLIT:  # each unit answers the deputy on its own part; the lead does not wait
            for unit in plan.co_units:
                self.part(unit, assigned_at)
            opinions_in = assigned_at
        else:  # 会办: the lead unit's reply waits for every co-unit's opinion
            opinions_in = max([self.co_task(unit, assigned_at) for unit in plan.co_units], default=assigned_at)
        self.sign_for()
        lead = self.cast.staff[plan.lead]
        if plan.key:
            self.key_suggestion(lead)
        self.contacts(lead)
        c.now = max(c.now, opinions_in)
        self.reply_on_time_or_not(lead)
        self.review_and_rating(lead)

    def key_suggestion(self, lead: Staff) -> None:
        """重点建议: made key and given to a county leader, who instructs (批示) and supervises;
        the same draws of the random year as a supervision alone (the leader is not drawn)."""
        plan, c, leaders = self.plan, self.cursor, self.cast.leaders
        marked, by = c.after(2, 8), self.supervisor()
        if not leaders:
            self.add(marked, "supervise", by, {"note": "列为县政府领导领办的重点督办建议"})
            return
        leader = leaders[plan.number % len(leaders)]
        self.add(marked, "mark_key", by, {"lead_leader": leader, "note": "列为县政府领导领办的重点建议"})
        self.add(marked + timedelta(hours=1), "instruct", leader,
                 {"text": f"请{lead.unit_name}主要负责同志亲自研究部署，制定专项方案，明确时限，一抓到底，办理结果报县政府。"})
        self.add(marked + timedelta(hours=2), "supervise", leader, {"note": "县政府领导领办督办，实行“一把手”负责制"})

    def release(self, ref: str, staff: Staff, c: Cursor) -> None:
        """A unit the task is not for asks to be released from it, and is."""
        self.add(c.after(1, 3), "request_change", staff.handler, {"reason": "所涉事项不属于我单位职责范围，申请退回"}, ref)
        self.add(c.after(1, 2), "approve_change", self.supervisor(), {"note": "经核实，同意退回"}, ref)

    def co_task(self, unit: str, assigned_at: datetime) -> datetime:
        """A co-unit's task: sign for it and give the lead an opinion (or be released)."""
        plan, staff = self.plan, self.cast.staff[unit]
        ref, c = f"{plan.ref}/{unit}", Cursor(self.rng, assigned_at)
        if unit == plan.released:
            self.release(ref, staff, c)
            return c.now
        self.add(c.after(1, 4), "sign_for", staff.handler,
                 {"leader": staff.leader_name, "handler": staff.handler_name}, ref)
        if unit in plan.late_co:
            self.add(c.between(date(2022, 6, 28), date(2022, 6, 30)), "urge", self.supervisor(),
                     {"note": "协办意见已逾期，请于一周内提交"}, ref)
            opinion_days = (date(2022, 7, 1), date(2022, 7, 8))
        else:
            opinion_days = (date(2022, 6, 6), date(2022, 6, 24))
        self.add(c.between(*opinion_days), "submit_opinion", staff.handler,
                 {"text": f"{staff.unit_name}协办意见：同意主办单位办理方案，我单位将在职责范围内积极配合落实。"}, ref)
        return c.now

    def part(self, unit: str, assigned_at: datetime) -> None:
        """分办: a unit's own part. It signs for it (or is released), replies to the deputy on
        it (late, and urged, if the plan says its opinion comes late, or by chance), and the
        deputy rates it; an unsatisfied rating gives one more round."""
        plan, staff = self.plan, self.cast.staff[unit]
        ref, c = f"{plan.ref}/{unit}", Cursor(self.rng, assigned_at)
        if unit == plan.released:
            self.release(ref, staff, c)
            return
        self.add(c.after(1, 4), "sign_for", staff.handler,
                 {"leader": staff.leader_name, "handler": staff.handler_name}, ref)
        if unit in plan.late_co or self.rng.random() < 0.12:
            self.add(c.between(date(2022, 8, 29), date(2022, 9, 2)), "urge", self.supervisor(),
                     {"note": "分办件已超过答复期限，请立即答复"}, ref)
            days = (date(2022, 9, 5), date(2022, 9, 16))
        else:
            days = (date(2022, 7, 1), REPLY_DUE)
        self.add(c.between(*days), "reply", staff.handler, self.reply(staff, plan.result_class, promising=False), ref)
        rating = self.rng.choices((SATISFIED, BASICALLY, UNSATISFIED), (75, 15, 10))[0]
        self.add(c.after(3, 15, workday=False, office=False), "rate", self.deputy(), _rating(rating), ref)
        if rating == UNSATISFIED:  # one more round on the part, as on the suggestion
            self.add(c.after(2, 6), "contact", staff.handler,
                     {"method": "face_to_face", "stage": "during", "note": "重新办理分办事项，当面听取代表意见"}, ref)
            self.add(c.after(7, 20), "reply", staff.handler,
                     self.reply(staff, plan.result_class, again=True, promising=False), ref)
            self.add(c.after(3, 12, workday=False, office=False), "rate_again", self.deputy(),
                     _rating(self.rng.choice((SATISFIED, BASICALLY)), again=True), ref)

    def sign_for(self) -> None:
        plan, c, staff = self.plan, self.cursor, self.cast.staff
        lead = staff[plan.lead]
        if plan.wrong_lead:
            first = staff[plan.wrong_lead]
            self.add(c.after(1, 3), "request_change", first.handler,
                     {"reason": f"该建议所提问题属于{lead.unit_name}职责范围，申请改办"})
            self.add(c.after(1, 2), "approve_change", self.supervisor(),
                     {"lead_unit": plan.lead, "note": f"同意改由{lead.unit_name}主办"})
        elif plan.change_refused:
            self.add(c.after(1, 3), "request_change", lead.handler, {"reason": "该建议涉及多个部门职责，建议改由其他单位主办"})
            self.add(c.after(1, 2), "reject_change", self.supervisor(),
                     {"reason": "经研究，该建议主要涉及贵单位职责，请认真研究办理"})
        self.add(c.after(0 if plan.wrong_lead or plan.change_refused else 1, 3), "sign_for", lead.handler,
                 {"leader": lead.leader_name, "handler": lead.handler_name})

    def contacts(self, lead: Staff) -> None:
        """Before and during handling: at least one face-to-face meeting unless the plan says not."""
        plan, c, rng = self.plan, self.cursor, self.rng
        met = plan.face_to_face and rng.random() < 0.5
        self.add(c.after(2, 12), "contact", lead.handler,
                 {"method": "face_to_face" if met else "phone", "stage": "before", "note": "了解建议初衷，商议办理方案"})
        if plan.co_units and rng.random() < 0.3:
            helper = self.cast.staff[rng.choice(plan.co_units)]
            if helper.unit != plan.released:
                self.add(c.after(3, 15), "contact", helper.handler,
                         {"method": rng.choice(("phone", "face_to_face")) if plan.face_to_face else "phone", "stage": "during", "note": "就协办事项听取代表意见"})
        if plan.face_to_face and not met:
            method = "face_to_face"
        elif rng.random() < 0.6:
            method = rng.choice(("visit", "meeting", "phone", "face_to_face")) if plan.face_to_face else "phone"
        else:
            return
        self.add(c.between(date(2022, 6, 15), date(2022, 7, 20)), "contact", lead.handler,
                 {"method": method, "stage": "during", "note": "通报办理进展，征求代表对办理方案的意见"})

    def reply_on_time_or_not(self, lead: Staff) -> None:
        plan, c = self.plan, self.cursor
        if plan.lateness == "extension":  # told "due soon" a week before the deadline, again before the new one
            self.add(c.exactly(_sweep_time(date(2022, 8, 22))), SWEEP, SYSTEM_ACTOR.id)
            self.add(c.between(date(2022, 8, 22), date(2022, 8, 24)), "request_extension", lead.handler,
                     {"reason": "所提事项涉及资金筹措和项目审批，需延期答复", "extend_by": "1 months"})
            self.add(c.after(1, 2), "grant_extension", self.supervisor(), {"extend_by": "1 months", "note": "同意延期一个月"})
            self.add(c.exactly(_sweep_time(date(2022, 9, 21))), SWEEP, SYSTEM_ACTOR.id)
            days = (date(2022, 9, 21), date(2022, 9, 23))
        elif plan.lateness == "late":
            self.add(c.between(date(2022, 8, 29), date(2022, 9, 2)), "urge", self.supervisor(),
                     {"note": "已超过答复期限，请立即答复"})
            self.add(c.between(date(2022, 9, 13), date(2022, 9, 16)), "supervise", self.supervisor(),
                     {"note": "逾期十个工作日未答复，列入督办并通报"})
            days = (date(2022, 9, 19), date(2022, 9, 30))
        elif plan.urged:
            self.add(c.between(date(2022, 8, 10), date(2022, 8, 16)), "urge", self.supervisor(),
                     {"note": "答复期限临近，请抓紧办理"})
            days = (date(2022, 8, 17), REPLY_DUE)
        else:
            days = (date(2022, 7, 1), REPLY_DUE)
        self.add(c.between(*days), "reply", lead.handler, self.reply(lead, plan.reply_class or plan.result_class))
        if plan.returned:
            self.add(c.after(1, 3), "return_reply", self.supervisor(),
                     {"reason": "答复内容过于笼统，未针对代表所提问题逐项答复，请补充具体措施后重新答复"})
            self.add(c.after(3, 8), "reply", lead.handler, self.reply(lead, plan.reply_class or plan.result_class))

    def review_and_rating(self, lead: Staff) -> None:
        plan, c, rng = self.plan, self.cursor, self.rng
        accept = {"note": "答复规范，同意送达代表"}
        if plan.reply_class:
            accept = {"result_class": plan.result_class, "note": f"所提问题尚未完全解决，办理结果由{plan.reply_class}类调整为{plan.result_class}类"}
            if plan.result_class == "B":  # reclassified as B: the reviewer records what is still promised
                accept.update(RECLASSIFIED_PROMISE)
        self.add(c.after(1, 4), "accept_reply", self.supervisor(), accept)
        if rng.random() < 0.35:
            self.add(c.after(1, 5), "contact", lead.handler,
                     {"method": rng.choice(("phone", "visit")), "stage": "after", "note": "送达答复，听取代表对办理结果的意见"})
        first = plan.ratings[0]
        before, rated_at = c.now, c.after(3, 15, workday=False, office=False)
        if plan.co_signers_rate:
            self.co_signers(before, rated_at, first)
        if plan.rating_lapses:  # reminded at the deadline, then lapsed by the system (the same draws)
            self.add(c.exactly(rated_at + LAPSES_AFTER), "rating_lapsed", SYSTEM_ACTOR.id)
        else:
            self.add(rated_at, "rate", self.deputy(), _rating(first))
        if first == UNSATISFIED:
            self.add(c.after(2, 6), "contact", lead.handler,
                     {"method": "face_to_face", "stage": "during", "note": "重新办理，当面听取代表意见"})
            self.add(c.after(7, 20), "reply", lead.handler, self.reply(lead, plan.result_class, again=True))
            self.add(c.after(1, 3), "accept_reply", self.supervisor(), {"note": "重新办理答复，同意送达代表"})
            self.add(c.after(3, 12, workday=False, office=False), "rate_again", self.deputy(),
                     _rating(plan.ratings[1], again=True))
        if plan.fulfilled:
            self.add(c.between(date(2022, 10, 20), date(2023, 4, 20)), "contact", lead.handler,
                     {"method": "visit", "stage": "after", "note": "回访代表，通报承诺事项落实情况"})
            self.add(c.after(0, 3), "fulfil", lead.handler,
                     {"evidence": "答复中承诺的事项已落实到位，已回访代表并报送落实情况", "note": "承诺事项落实"})

    def co_signers(self, before: datetime, rated_at: datetime, first: str) -> None:
        """A joint suggestion's co-signers rate the reply before its first signer does, each
        once; the first signer's rating is the one that counts (`joint_rating: first_signer`)."""
        plan = self.plan
        for index, name in enumerate(plan.deputies[1:], 1):
            at = before + (rated_at - before) * index / len(plan.deputies)
            rating = BASICALLY if (plan.number + index) % 3 == 0 and first != UNSATISFIED else first
            self.add(at, "rate", self.cast.deputy_person[name], _rating(rating))

    def reply(self, lead: Staff, result_class: str, *, again: bool = False, promising: bool = True) -> dict:
        """The reply: the salutation names every deputy, then the answer, the unit and the date;
        a B-class one records its promise (not a 分办 part's: unit-part records none)."""
        plan = self.plan
        template = self.rng.choice(_BODIES[result_class])
        body = template.format(year=2022)
        opening = "针对您对前次答复提出的意见，我单位重新研究办理，现答复如下：" if again else "现将办理情况答复如下："
        text = (f"{'、'.join(plan.deputies)}代表：\n"
                f"    您提出的《{plan.title}》收悉，感谢您对我县工作的关心和支持。{opening}{body}\n"
                f"    {lead.unit_name}")
        data = {"result_class": result_class, "text": text, "signer": lead.leader_name,
                "contact_person": f"{lead.handler_name}（{lead.phone}）"}
        if promising and template in _PROMISES:  # B 类: the promise, as the text states it
            data["promise"], data["promised_by"] = _PROMISES[template]
        return data


def reply_again(plan: Plan, cast: Cast, rng: random.Random) -> dict:
    """The data of the lead unit's reply after handling the suggestion again (the look-back's
    责成重新办理), in its result class."""
    return _Story(plan, cast, rng).reply(cast.staff[plan.lead], plan.result_class, again=True)


def _rating(rating: str, *, again: bool = False) -> dict:
    comments = {SATISFIED: "承办单位态度诚恳，办理认真", BASICALLY: "希望加快推进，早日见到实效",
                UNSATISFIED: "答复未解决实际问题，希望重新办理"}
    if again:
        comments.update({BASICALLY: "重新办理态度积极，希望持续推进", UNSATISFIED: "重新办理后问题仍未解决"})
    return {"rating": rating, "comment": comments[rating]}


def _sweep_time(day: date) -> datetime:
    """The morning sweep's time on `day`, before office hours."""
    return datetime.combine(day, time(7, 30), ZONE)
