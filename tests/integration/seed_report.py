"""Sessions for the report's tests. Session 16-1 is built to the seed report's numbers
(Xiping county, year 2022): 151 suggestions, 40/34/44/15/18 by category, 139 led by government units, A 88 / B 57 / C 6,
148 rated of which 145 satisfied or basically satisfied — and, to give the report's other
sections something to find, a few late replies, returned and reclassified replies,
re-handled items and look-back outcomes, all at fixed business times.

The suggestions are registered on 6 January 2022 (with their category and session), sorted,
reviewed and filed by 10 May, assigned on 27 May and met before 10 June; most replies come on
15 July and are rated ten days later; the late, extended and urged ones reply in August and
September, the re-handled ones again in August; the look-back opens on 20 October. Every
event goes through the runtime, in one transaction (`fire_in`), so the 151 items take a
second or two, not half a minute. Session 16-2 (`six_items`) is six items on the
test organisation, one of each case the on-time and face-to-face rates tell apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from banli.demo.cast import Cast
from banli.demo.year import COUNTY, prepare
from banli.engine.campaigns import open_campaign
from banli.engine.definitions import builtin_files, register_file
from banli.engine.org import read_org
from banli.engine.runtime import Runtime
from banli.store.repo import SqlStore
from banli.store.schema import upgrade
from tests.conftest import Clock, _pg_database

ZONE = ZoneInfo("Asia/Shanghai")
SESSION = "16-1"
REPORT_DAY = datetime(2023, 5, 10, 9, 0, tzinfo=ZONE)  # the seed report's date
CATEGORIES = {"科教文卫": 40, "工交财贸": 34, "农业农村": 44, "城市建设": 15, "社会建设": 18}
UNITS = {"科教文卫": ["jyj", "wjw", "wgl"], "工交财贸": ["jtj", "czj", "scj"], "农业农村": ["nyj", "slj", "zrj"],
         "城市建设": ["zjj", "cgj"], "社会建设": ["gaj", "mzj", "rsj"]}
NOT_GOVERNMENT = ["gdgs", "rd-xgw"]
C_CLASS = {10, 35, 60, 85, 110, 135}
UNSATISFIED_TWICE = {10, 35, 60}       # unsatisfied, re-handled, unsatisfied again
UNSATISFIED_THEN_BASICALLY = {85, 110}  # unsatisfied, re-handled, basically satisfied
NOT_RATED = {50, 100, 150}              # replied; the deputy has not rated yet
LATE = {3, 6, 76, 120}                  # replied after the deadline, urged and supervised
EXTENDED = {44, 90}                     # an extension of one month, replied within it
URGED = {12, 24, 48, 96, 140}           # urged before the deadline, replied in time
RETURNED = {7: "答复称谓有误，未列明全部领衔代表，请更正后重新答复", 130: "答复内容过于笼统，未针对所提问题逐项答复"}
RECLASSIFIED = {2, 52}                  # replied as A, set to B on review
BEHIND = {5, 29, 77}                    # look-back: the promised work is behind schedule
LOOKBACK_OPEN = {14, 16}                # look-back tasks without an outcome
LOOKBACK_AT = datetime(2022, 10, 20, 9, 0, tzinfo=ZONE)


@dataclass(frozen=True)
class Plan:
    number: int
    category: str
    lead: str
    result_class: str
    ratings: tuple[str, ...]  # first rating, then the second after re-handling
    face_to_face: bool

    @property
    def ref(self) -> str:
        return f"{SESSION}-{self.number:03d}"


PROMISE = {"promise": "列入年度计划，年底前完成", "promised_by": "2022-12-31"}  # every B-class reply's


def plans() -> list[Plan]:
    categories = [name for name, count in CATEGORIES.items() for _ in range(count)]
    non_government = [n for n in range(1, 152) if n % 12 == 5][:12]
    required = RECLASSIFIED | BEHIND
    spread = [n for rank, n in enumerate(n for n in range(1, 152) if n not in C_CLASS | required)
              if rank * 52 // 140 != (rank + 1) * 52 // 140]
    b_class = required | set(spread)
    special = UNSATISFIED_TWICE | UNSATISFIED_THEN_BASICALLY | NOT_RATED
    basically = set(sorted(n for n in b_class if n not in special)[::4][:13])
    result = []
    for number, category in enumerate(categories, 1):
        if number in non_government:
            lead = NOT_GOVERNMENT[non_government.index(number) % 2]
        else:
            lead = UNITS[category][number % len(UNITS[category])]
        result_class = "C" if number in C_CLASS else "B" if number in b_class else "A"
        if number in UNSATISFIED_TWICE:
            ratings = ("不满意", "不满意")
        elif number in UNSATISFIED_THEN_BASICALLY:
            ratings = ("不满意", "基本满意")
        elif number in NOT_RATED:
            ratings = ()
        elif number in basically:
            ratings = ("基本满意",)
        else:
            ratings = ("满意",)
        result.append(Plan(number, category, lead, result_class, ratings, face_to_face=number % 15 != 0))
    return result


def at(day: str, minutes: int = 0) -> datetime:
    return datetime.fromisoformat(f"2022-{day}T09:00").replace(tzinfo=ZONE) + timedelta(minutes=minutes)


def steps(plan: Plan, cast: Cast, deputies: list[str]) -> list[tuple[str, str, dict, datetime]]:
    """(event, actor, data, business time) from filing to the last rating."""
    n, staff = plan.number, cast.staff[plan.lead]
    deputy = cast.deputy_person[deputies[0]]
    reply_class = "A" if n in RECLASSIFIED else plan.result_class
    reply = {"result_class": reply_class, "text": f"{'、'.join(deputies)}代表：\n    现将办理情况答复如下……",
             "signer": staff.leader_name, "contact_person": staff.handler_name}
    if "B" in (reply_class, plan.result_class):  # a B-class reply states its promise, in its text too
        reply.update(PROMISE, text=reply["text"] + "该事项已列入年度计划，年底前完成。")
    out = [("sort", "reg-1", {"category": plan.category, "session": SESSION}, at("02-15", n)),
           ("review", "reg-1", {}, at("03-01", n)), ("audit", "sup-1", {}, at("04-06", n)),
           ("approve", "npc-1", {}, at("05-10", n)),
           ("assign", "sup-1", {"lead_unit": plan.lead, "mode": "单独办理"}, at("05-27", 60) + timedelta(seconds=20 * n)),
           ("sign_for", staff.handler, {"leader": staff.leader_name, "handler": staff.handler_name}, at("05-30", n)),
           ("contact", staff.handler, {"method": "face_to_face" if plan.face_to_face else "phone", "stage": "before"},
            at("06-10", n))]
    if n in EXTENDED:
        out += [("request_extension", staff.handler, {"reason": "涉及项目审批", "extend_by": "1 months"}, at("08-15", n)),
                ("grant_extension", "sup-1", {"extend_by": "1 months"}, at("08-16", n))]
        replied = at("09-15", n)
    elif n in LATE:
        out += [("urge", "sup-1", {"note": "已超过答复期限，请立即答复"}, at("08-29", n)),
                ("supervise", "sup-1", {"note": "逾期未答复，列入督办"}, at("09-13", n))]
        replied = at("09-20", n)
    elif n in URGED:
        out.append(("urge", "sup-1", {"note": "答复期限临近，请抓紧办理"}, at("08-10", n)))
        replied = at("08-20", n)
    else:
        replied = at("07-15", n)
    out.append(("reply", staff.handler, reply, replied))
    if n in RETURNED:
        out += [("return_reply", "sup-1", {"reason": RETURNED[n]}, replied + timedelta(days=2)),
                ("reply", staff.handler, reply, replied + timedelta(days=5))]
        replied += timedelta(days=5)
    accept = {"result_class": plan.result_class, **PROMISE} if n in RECLASSIFIED else {}
    out.append(("accept_reply", "sup-1", accept, replied + timedelta(days=2)))
    if plan.ratings:
        out.append(("rate", deputy, {"rating": plan.ratings[0]}, replied + timedelta(days=10)))
    if len(plan.ratings) == 2:
        out += [("contact", staff.handler, {"method": "face_to_face", "stage": "during"}, replied + timedelta(days=12)),
                ("reply", staff.handler, {**reply, "result_class": plan.result_class}, replied + timedelta(days=20)),
                ("accept_reply", "sup-1", {}, replied + timedelta(days=21)),
                ("rate_again", deputy, {"rating": plan.ratings[1]}, replied + timedelta(days=30))]
    return out


def lookback_outcome(plan: Plan) -> str:
    """An outcome the item's look-back kind allows (npc-suggestion's campaigns.lookback); the
    basically satisfied C-class items are met again, which sends them back to the deputy."""
    if plan.ratings and plan.ratings[-1] == "不满意":
        return "已解释到位"
    if plan.number in BEHIND:
        return "进度滞后"
    if plan.result_class == "B":
        return "按期推进"
    if plan.ratings and plan.ratings[-1] == "基本满意":
        return "已再次沟通"
    return "仍不具备条件" if plan.result_class == "C" else "已落实"


def build(store: SqlStore, runtime: Runtime) -> None:
    """The seed session on a prepared store (the demo county loaded)."""
    cast = Cast.from_org(read_org(COUNTY))
    workflow = store.workflows.get("npc-suggestion")
    registrar = runtime.actor("reg-1")
    all_plans = plans()
    with store.write() as tx:
        for plan in all_plans:
            deputies = [cast.deputies[plan.number % len(cast.deputies)]]
            runtime.create_in(tx, workflow=workflow, ref=plan.ref, title=f"关于第{plan.number}号事项的建议",
                              actor=registrar, deputies=deputies, fields={"category": plan.category, "session": SESSION},
                              at=at("01-06", plan.number))
            for event, actor, data, when in steps(plan, cast, deputies):
                runtime.fire_in(tx, plan.ref, event, actor, data, when)
    open_campaign(runtime, "lookback", session=SESSION, at=LOOKBACK_AT)
    with store.write() as tx:
        for plan in all_plans:
            if plan.number in LOOKBACK_OPEN or plan.number in NOT_RATED:
                continue
            runtime.fire_in(tx, plan.ref, "lookback_result", "sup-1", {"lookback_outcome": lookback_outcome(plan)},
                            LOOKBACK_AT + timedelta(days=12))


def seed_store(db_url: str, clock=None) -> SqlStore:
    """A fresh database with the built-in workflows, the demo county and the seed session."""
    store = SqlStore(db_url)
    upgrade(store.engine)
    for path in builtin_files():
        register_file(store, path, "test")
    prepare(store)
    build(store, Runtime(store, now=clock or Clock(REPORT_DAY)))
    return store


@contextmanager
def seed_database(backend: str, folder: Path) -> Iterator[SqlStore]:
    """The seed session on a database of `backend` (sqlite | postgresql), for a module's tests."""
    if backend == "sqlite":
        url, drop = f"sqlite:///{folder / 'seed.db'}", None
    else:
        url, drop = _pg_database()
    store = seed_store(url)
    try:
        yield store
    finally:
        store.close()
        if drop:
            drop()


# -- six items whose every case is known (the test organisation, tests/data/org.yaml) ------------

SIX_JUDGED = datetime(2026, 9, 30, 12, 0, tzinfo=ZONE)
REPLY = {"result_class": "A", "text": "张三代表：您好！", "signer": "王局长", "contact_person": "李科长"}
FILE = [("reg", "sort", {"category": "城市建设", "session": "16-2"}, "2026-01-06T09:00"),
        ("reg", "review", {}, "2026-01-07T09:00"), ("reg", "audit", {}, "2026-01-08T09:00"),
        ("npc", "approve", {}, "2026-01-09T09:00")]


def item(runtime: Runtime, number: int, steps: list[tuple]) -> None:
    """Register 16-2-NNN and fire (user, event, data, at) steps on it."""
    ref = f"16-2-{number:03d}"
    runtime.create(workflow_id="npc-suggestion", ref=ref, title=f"关于第{number}号事项的建议", actor="reg",
                   deputies=["张三"], fields={"category": "城市建设", "session": "16-2"}, at="2026-01-05T09:00")
    for user, event, data, at in steps:
        runtime.fire(ref, event, user, data, at=at)


def handled(lead: str, handler: str, assigned: str) -> list[tuple]:
    return FILE + [("wang", "assign", {"lead_unit": lead, "mode": "单独办理"}, f"{assigned}T09:00"),
                   (handler, "sign_for", {"leader": "王局长", "handler": "李科长"}, f"{assigned}T15:00")]


def six_items(runtime: Runtime) -> None:
    """Session 16-2, to be judged on 30 September 2026 (replies due three months after assignment):
    1 replied in time, face to face, satisfied; 2 replied eight days late, by phone, basically
    satisfied; 3 met face to face, urged, never replied (overdue); 4 assigned in August, not yet
    due; 5 led by a non-government unit that never signed for it (overdue all the same);
    6 not filed. The runtime's clock must be at SIX_JUDGED or later."""
    item(runtime, 1, handled("zjj", "li", "2026-02-02") + [
        ("li", "contact", {"method": "face_to_face"}, "2026-02-10T09:00"), ("li", "reply", REPLY, "2026-03-02T09:00"),
        ("wang", "accept_reply", {}, "2026-03-03T09:00"), ("zhang", "rate", {"rating": "满意"}, "2026-03-10T09:00")])
    item(runtime, 2, handled("czj", "zhao", "2026-02-02") + [
        ("zhao", "contact", {"method": "phone"}, "2026-02-10T09:00"),
        ("zhao", "reply", {**REPLY, "signer": "赵局长"}, "2026-05-10T09:00"),
        ("wang", "accept_reply", {}, "2026-05-11T09:00"), ("zhang", "rate", {"rating": "基本满意"}, "2026-05-20T09:00")])
    item(runtime, 3, handled("jyj", "sun", "2026-02-02") + [
        ("sun", "contact", {"method": "face_to_face"}, "2026-02-10T09:00"), ("wang", "urge", {}, "2026-05-06T09:00")])
    item(runtime, 4, handled("zjj", "li", "2026-08-03"))
    item(runtime, 5, FILE + [("wang", "assign", {"lead_unit": "rd-xgw", "mode": "单独办理"}, "2026-02-02T09:00")])
    item(runtime, 6, [("reg", "reject", {"reason": "不属于代表建议"}, "2026-01-06T09:00")])
