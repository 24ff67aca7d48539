"""The annual handling report (建议办理情况的报告) of one session, in the seed report's order:
basic facts, how the work was done (with the per-unit table), problems found and the next
steps, with charts, a closing word and the signature of the issuer the org file names;
written as Markdown, Word or HTML by banli/reports/render/.

Shares of all items are printed as whole percents, as the seed prints them (92%, 58%); rates
with two decimals (97.97%). The JSON (`AnnualMetrics.to_json`) carries two decimals throughout.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from banli.engine.org import IssuerSpec
from banli.engine.times import DEFAULT_ZONE
from banli.errors import NotFound
from banli.i18n import _
from banli.reports import charts
from banli.reports.document import Block, Chart, Document, Heading, Paragraph, Signature, Table
from banli.reports import leaders
from banli.reports.findings import Finding, findings
from banli.reports.lookback import follow_up_text
from banli.reports.metrics import AnnualMetrics, SessionFacts, collect, measure
from banli.reports.parts import PartsSummary, summarise
from banli.reports.rating_count import counting_text, rating_unit
from banli.reports.parts import text as parts_text
from banli.reports.promises import promise_text, tally
from banli.store import report_queries
from banli.store.operator import issuer as org_issuer

CLASS_MEANINGS = {"A": "所提问题已解决或基本解决", "B": "所提问题正在解决或列入计划解决",
                  "C": "因政策、条件限制等原因暂时不能解决，留作参考"}
CLASS_PHRASES = {"A": "建议所涉及问题已解决或基本解决的（A类）", "B": "正在解决或列入计划解决的（B类）",
                 "C": "涉及问题因现行政策、当前条件限制或其他原因暂时不能解决，留作参考的（C类）"}
ORDINALS = "一二三四五六七八九十"
TIMELINESS = ("按期答复", "逾期答复", "逾期未答复")
UNCLASSIFIED, UNASSIGNED = "未分类", "未交办"
NEXT_STEPS = (
    "针对以上问题，将认真总结，采取措施，切实提升建议办理工作水平。一是加强组织领导，强化办理责任，把办理建议变成承办单位的自觉行动；"
    "二是加大落实力度，定期开展“回头看”，重点围绕正在解决和列入计划解决的建议抓好落实；三是加大督导力度，对办理过程和办理结果定期督导、"
    "定期通报，发现的问题限期整改；四是加强队伍建设，组织开展培训，规范答复格式，提高经办人员素质。"
)


@dataclass(frozen=True, kw_only=True)
class AnnualReport:
    metrics: AnnualMetrics
    facts: SessionFacts
    findings: tuple[Finding, ...]
    document: Document
    parts: PartsSummary | None = None  # 会办 and 分办 (banli/reports/parts.py)
    leaders: leaders.LeadersSummary | None = None  # 重点建议 and 多次提议 (banli/reports/leaders.py)


def build_annual(store, session: str, as_of: datetime) -> AnnualReport:
    """The session's report, its figures judged as of `as_of`."""
    facts = collect(store, session, as_of)
    if not facts.items:
        report_queries.require_session(store, session)
        by = as_of.astimezone(DEFAULT_ZONE)
        raise NotFound(_("no items of session '{session}' were registered by {time}; "
                         "report as of a later --as-of").format(session=session, time=f"{by:%Y-%m-%d %H:%M}"))
    metrics = measure(facts)
    found = tuple(findings(facts))
    split, led = summarise(store, facts), leaders.summarise(store, facts)
    return AnnualReport(metrics=metrics, facts=facts, findings=found, parts=split, leaders=led,
                        document=compose(metrics, facts, found, issuer=org_issuer(store), parts=split, led=led))


def write_annual(store, session: str, out_path: str | Path, as_of: datetime) -> AnnualReport:
    """Build the report and write it to `out_path` (.md, .docx or .html)."""
    from banli.reports.render import write

    report = build_annual(store, session, as_of)
    write(report.document, Path(out_path))
    return report


# -- wording ------------------------------------------------------------------------------

def whole_percent(part: int, whole: int) -> str:
    """The seed's way: 139 of 151 → "92%" (half up)."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def chinese_number(number: int) -> str:
    if number <= 10:
        return "零一二三四五六七八九十"[number]
    tens, ones = divmod(number, 10)
    if number < 100:
        return ("" if tens == 1 else "零一二三四五六七八九"[tens]) + "十" + ("" if not ones else "零一二三四五六七八九"[ones])
    return str(number)


def session_name(session: str) -> str:
    """"16-1" (congress 16, session 1) → 人大十六届一次会议."""
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", session.strip())
    if match:
        return f"人大{chinese_number(int(match[1]))}届{chinese_number(int(match[2]))}次会议"
    return f"{session}会议"


def day_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def ordinal(index: int) -> str:
    return ORDINALS[index] if index < len(ORDINALS) else str(index + 1)


# -- the document ---------------------------------------------------------------------------

def compose(metrics: AnnualMetrics, facts: SessionFacts, found: tuple[Finding, ...],
            issuer: IssuerSpec | None = None, parts: PartsSummary | None = None,
            led: leaders.LeadersSummary | None = None) -> Document:
    """The report; `issuer` (from the org file) heads the title and signs it; `parts`, if
    given, adds what 会办 and 分办 did (co-units' opinions, the 分办 parts' replies and ratings)."""
    name = session_name(metrics.session)
    today = metrics.as_of.date()
    blocks: list[Block] = [Paragraph(text="各位代表：", indent=False),
                           Paragraph(text=f"现将{name}代表建议办理情况报告如下，请予审议。")]
    blocks += basic_facts(metrics, facts, name)
    blocks += the_work(metrics, facts, parts)
    blocks += leaders.blocks(led)  # key suggestions and suggestions made again, when there are any
    blocks += problems(found)
    blocks += [Paragraph(text=closing(issuer)),
               Signature(lines=(issuer.name, day_text(today)) if issuer else (day_text(today),))]
    heading = issuer.name if issuer else ""
    return Document(title=f"{heading}关于{name}代表建议办理情况的报告",
                    title_lines=(*((heading,) if heading else ()), f"关于{name}代表建议", "办理情况的报告"),
                    subtitle=f"（截至{day_text(today)}）",
                    blocks=tuple(blocks), created=metrics.as_of, keywords=("代表建议", "办理情况", metrics.session),
                    author=heading or "banli")


def closing(issuer: IssuerSpec | None) -> str:
    """The last word to the deputies, as a county's report ends."""
    place = issuer.short if issuer and issuer.short else "全县"
    return ("各位代表，办好代表建议是依法履职的重要内容，是密切联系群众、改进工作作风的重要抓手。我们将在县人大常委会和"
            "各位代表的监督支持下，以求真务实的作风、一抓到底的精神，对正在解决和列入计划解决的建议跟踪督办、逐件落实，"
            f"扎实做好代表建议办理工作，为推动{place}经济社会高质量发展作出新的更大贡献！")


def basic_facts(m: AnnualMetrics, facts: SessionFacts, name: str) -> list[Block]:
    total, items = m.total, facts.items
    opening = f"{name}上，代表提出的建议共{total}件，"
    if m.assigned == total:
        opening += "已全部转交承办单位办理，"
    else:
        states = Counter(item.row.state_label for item in items if not item.assigned)
        opening += f"其中转交承办单位办理{m.assigned}件（另有{'、'.join(f'{s}{n}件' for s, n in states.items())}），"
    opening += f"由政府系统承办的{m.government_handled}件，占建议总数的{whole_percent(m.government_handled, total)}。"
    answered = sum(item.assigned and item.replies > 0 for item in items)
    again = sum(item.replies > 0 and not item.replied for item in items)
    if answered == m.assigned and not again:
        opening += "目前，交办的建议已全部办理并答复完毕。"
    else:
        opening += f"目前，已答复{answered}件，尚未答复{m.assigned - answered}件"
        opening += f"，重新办理中{again}件" if again else ""
        opening += f"；已超过答复期限仍未答复的{m.open_overdue}件。" if m.open_overdue else "。"
    categories = "、".join(f"{category}方面{count}件" for category, count in m.by_category.items() if count)
    classes = "；".join(f"{CLASS_PHRASES.get(cls, f'{cls}类')}{share.count}件，占建议总数的{whole_percent(share.count, total)}"
                       for cls, share in m.by_result_class.items() if share.count)
    unclassified = sum(item.assigned and not item.row.result_class for item in items)
    shares = f"从涉及内容分类情况看，{categories}。" if categories else ""
    if classes:
        shares += f"从办理结果分类统计情况看，{classes}" + (f"；尚未答复、未分类的{unclassified}件。" if unclassified else "。")
    shares += f"从征询意见反馈情况看，代表满意率为{rate(m.satisfaction_rate)}。" if m.rated else "代表尚未反馈意见。"
    blocks: list[Block] = [Heading(text="一、建议办理基本情况"), Paragraph(text=opening), Paragraph(text=shares)]
    if m.rated:
        blocks.append(Paragraph(text=satisfaction_text(m, facts)))
    blocks += [key_figures(m), category_table(m), class_table(m)]
    if any(m.by_category.values()):
        labels = [c for c, n in m.by_category.items() if n]
        blocks.append(Chart(caption="图1  建议按内容分类", name="category", labels=tuple(labels),
                            series=(("件数", tuple(m.by_category[c] for c in labels)),),
                            png=charts.bar_chart("建议按内容分类（件）", labels, [m.by_category[c] for c in labels])))
    if any(share.count for share in m.by_result_class.values()):
        # the same base as the text and Table 3: all items of the session, the unclassified a share too
        labels, counts = zip(*((row[0], row[2]) for row in class_rows(m)))
        base = f"占建议总数{m.total}件的比例"
        blocks.append(Chart(caption=f"图2  建议按办理结果分类（{base}）", name="result-class", labels=labels,
                            series=(("件数", counts),),
                            png=charts.share_chart(f"办理结果分类（{base}）", list(labels), list(counts),
                                                   [whole_percent(count, m.total) for count in counts],
                                                   muted=(UNCLASSIFIED, UNASSIGNED))))
    return blocks


def satisfaction_text(m: AnnualMetrics, facts: SessionFacts) -> str:
    waiting = sum(item.replies > 0 and not item.latest_rating and not item.lapsed for item in facts.items)
    unit = rating_unit(facts.items)  # 份 when each deputy's rating counts
    text = (f"已征询代表意见的{m.rated}{unit}中，满意{m.satisfied}{unit}、基本满意{m.basically_satisfied}{unit}、"
            f"不满意{m.unsatisfied}{unit}")
    text += f"，另有{waiting}件尚待代表反馈。" if waiting else "。"
    text += (f"代表满意率按满意和基本满意件数占已评价件数计算；仅计满意的满意率为{rate(m.strict_satisfaction_rate)}，"
             f"首次征询意见的满意率为{rate(m.first_round_satisfaction_rate)}")
    first_unsatisfied = m.first_round["unsatisfied"]
    if first_unsatisfied:
        turned = first_unsatisfied - sum(item.first_rating == item.latest_rating == "unsatisfied" for item in facts.items)
        text += f"（{first_unsatisfied}件首次评价不满意，经重新办理后{turned}件转为满意或基本满意）"
    return text + "。" + counting_text(facts.rating_policy, facts.items, m.rated)


def key_figures(m: AnnualMetrics) -> Table:
    rows = (
        ("建议总数", f"{m.total}件", "本届次会议代表提出的建议"),
        ("政府系统承办", f"{m.government_handled}件（{rate(m.government_share)}）", "主办单位为政府部门的建议"),
        ("按期答复率", rate(m.replied_on_time_rate),
         f"按期答复{m.replied_on_time}件 ÷（已答复{m.replied}件 + 逾期未答复{m.open_overdue}件）"),
        ("面商率", rate(m.face_to_face_rate), f"与代表面对面沟通{m.face_to_face}件 ÷ 交办{m.assigned}件"),
        ("代表满意率", rate(m.satisfaction_rate),
         f"（满意{m.satisfied}件 + 基本满意{m.basically_satisfied}件）÷ 已评价{m.rated}件"),
        ("满意率（仅计满意）", rate(m.strict_satisfaction_rate), f"满意{m.satisfied}件 ÷ 已评价{m.rated}件"),
        ("首次征询满意率", rate(m.first_round_satisfaction_rate), f"首次评价满意或基本满意 ÷ 首次评价{m.first_round_rated}件"),
    )
    return Table(caption="表1  建议办理主要指标", headers=("指标", "数值", "计算方法"), rows=rows, unbroken=(0, 1))


def category_table(m: AnnualMetrics) -> Table:
    rows = tuple((category, count, whole_percent(count, m.total)) for category, count in m.by_category.items())
    return Table(caption="表2  建议按内容分类", headers=("类别", "件数", "占比"), rows=rows,
                 total=("合计", sum(m.by_category.values()), whole_percent(sum(m.by_category.values()), m.total)))


def class_rows(m: AnnualMetrics) -> list[tuple]:
    """A row per result class, and for the items without one (not yet replied, not assigned):
    together the whole session."""
    rows = [(f"{cls}类", CLASS_MEANINGS.get(cls, ""), share.count, whole_percent(share.count, m.total))
            for cls, share in m.by_result_class.items()]
    classified = sum(share.count for share in m.by_result_class.values())
    waiting = max(0, m.assigned - classified)
    for label, meaning, count in ((UNCLASSIFIED, "已交办，尚未答复", waiting),
                                  (UNASSIGNED, "未转交承办单位办理（不予立案、撤回等）", m.total - classified - waiting)):
        if count:
            rows.append((label, meaning, count, whole_percent(count, m.total)))
    return rows


def class_table(m: AnnualMetrics) -> Table:
    return Table(caption="表3  建议按办理结果分类", headers=("类别", "含义", "件数", "占比"),
                 rows=tuple(class_rows(m)), total=("合计", "", m.total, whole_percent(m.total, m.total)))


def the_work(m: AnnualMetrics, facts: SessionFacts, parts: PartsSummary | None = None) -> list[Block]:
    items = facts.items
    assigned = [item for item in items if item.assigned]
    first_day = min((item.row.assigned_on for item in assigned), default=None)
    modes = Counter(item.mode for item in assigned if item.mode)
    changes = sum(item.change_requests > 0 for item in items)
    government_units = sum(unit.government for unit in m.units)
    handing = (f"自{day_text(first_day)}起，" if first_day else "") + \
        f"共交办建议{m.assigned}件，涉及主办单位{len(m.units)}个，其中政府部门{government_units}个"
    handing += "；按办理方式分，" + "、".join(f"{mode}{count}件" for mode, count in modes.most_common()) if modes else ""
    handing += f"。承办单位申请改办{changes}件，均经督办部门审核后确定承办单位。" if changes else "。"
    contacts = sum(item.contacts for item in items)
    talking = (f"各承办单位在办理前、办理中、办理后与代表联系沟通{contacts}次，与代表面对面沟通的建议{m.face_to_face}件，"
               f"面商率为{rate(m.face_to_face_rate)}。")
    urges = sum(item.row.urges for item in items)
    supervised = sum(item.supervised for item in items)
    extended = sum(item.extensions > 0 for item in items)
    late = sum(item.replied_late for item in items)
    chasing = f"督办部门共催办{urges}次，列入督办{supervised}件，批准延期答复{extended}件。"
    chasing += (f"已答复的{m.replied}件中，按期答复{m.replied_on_time}件，逾期答复{late}件"
                + (f"，另有{m.open_overdue}件超过期限仍未答复" if m.open_overdue else "")
                + f"，按期答复率为{rate(m.replied_on_time_rate)}。")
    blocks: list[Block] = [
        Heading(text="二、办理工作的主要做法"),
        Heading(text="（一）精准交办，明确责任。", level=2), Paragraph(text=handing),
        *([Paragraph(text=parts_text(parts))] if parts and parts_text(parts) else []),
        Heading(text="（二）加强沟通，面商办理。", level=2), Paragraph(text=talking),
        Heading(text="（三）跟踪督办，按期答复。", level=2), Paragraph(text=chasing),
        unit_table(m),
    ]
    if m.units:
        shown = list(m.units)
        open_late = [sum(item.open_overdue for item in items if item.row.lead_unit == unit.unit) for unit in shown]
        late_replied = [unit.overdue - still for unit, still in zip(shown, open_late)]
        series = (tuple(unit.on_time for unit in shown), tuple(late_replied), tuple(open_late))
        blocks.append(Chart(caption="图3  各承办单位答复及时情况", name="timeliness",
                            labels=tuple(unit.name for unit in shown), series=tuple(zip(TIMELINESS, series)),
                            png=charts.timeliness_chart("各承办单位答复及时情况", [unit.name for unit in shown],
                                                        *map(list, series), names=TIMELINESS)))
    blocks += [Heading(text="（四）开展“回头看”，推动落实。", level=2), Paragraph(text=lookback_text(facts))]
    return blocks


def unit_table(m: AnnualMetrics) -> Table:
    def outcomes(counter: Counter) -> str:
        return "、".join(f"{outcome}{count}" for outcome, count in counter.most_common())

    rows = tuple((unit.name, unit.items, unit.on_time, unit.overdue, unit.urges, unit.face_to_face,
                  unit.ratings["satisfied"], unit.ratings["basically_satisfied"], unit.ratings["unsatisfied"],
                  outcomes(unit.lookback)) for unit in m.units)
    total = ("合计", *(sum(row[column] for row in rows) for column in range(1, 9)),
             outcomes(sum((unit.lookback for unit in m.units), Counter())))
    return Table(caption="表4  各承办单位办理情况",
                 headers=("承办单位", "件数", "按期答复", "逾期", "催办次数", "面商件数", "满意", "基本满意", "不满意", "回头看结果"),
                 rows=rows, total=total)


def lookback_text(facts: SessionFacts) -> str:
    selected = [item for item in facts.items if item.lookback is not None]
    fulfilled = sum(item.fulfilled for item in facts.items)
    if not selected:
        text = "本届次建议尚未开展“回头看”。"
    else:
        label = facts.lookback_label or "回头看"
        period = day_text(facts.lookback_opened) if facts.lookback_opened else ""
        if facts.lookback_due:
            period += f"至{day_text(facts.lookback_due)}"
        outcomes = Counter(item.lookback for item in selected if item.lookback)
        text = (f"{period}，对已办结的{len(selected)}件建议开展“{label}”，重点检查已承诺的事项是否落实到位。"
                f"各承办单位已报送结果{sum(outcomes.values())}件："
                + "、".join(f"{outcome}{count}件" for outcome, count in outcomes.most_common()))
        still = len(selected) - sum(outcomes.values())
        text += f"；尚未报送结果{still}件。" if still else "。"
        text += follow_up_text([item.lookback_mark for item in selected])
    promised = promise_text(tally(item.promise for item in facts.items))
    if promised:  # the promises followed: kept by their date, kept late, due, late
        text += promised
    elif fulfilled:
        text += f"答复中承诺的事项已确认落实{fulfilled}件。"
    return text


def problems(found: tuple[Finding, ...]) -> list[Block]:
    blocks: list[Block] = [Heading(text="三、存在问题及下步工作打算")]
    if not found:
        blocks.append(Paragraph(text="从办理数据看，本届次建议未出现逾期答复、答复退回、代表不满意和承诺落实滞后等问题。"))
    else:
        listed = "".join(f"{ordinal(index)}是{finding.text}" for index, finding in enumerate(found))
        blocks.append(Paragraph(text=f"对照办理数据，建议办理工作仍存在以下问题：{listed}"))
        rows = tuple((entry.ref, entry.title, entry.unit, entry.problem, entry.detail)
                     for finding in found for entry in finding.entries)
        blocks.append(Table(caption="表5  存在问题的建议", headers=("编号", "建议", "主办单位", "问题", "说明"), rows=rows,
                            unbroken=(0,)))
    blocks.append(Paragraph(text=NEXT_STEPS))
    return blocks
