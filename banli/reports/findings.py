"""The problems the annual report names (三、存在问题), found in the data rather than written by
hand: replies late or still missing, replies sent back or reclassified on review, deputies
not satisfied, and promises behind schedule or unreported at the look-back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from banli.reports.metrics import UNSATISFIED, ItemFacts, SessionFacts
from banli.reports.promises import LATE

# look-back outcomes (the npc-suggestion workflow's choices) that mean a promise is not kept
BEHIND_SCHEDULE = frozenset({"进度滞后"})
RATING_NAMES = {"satisfied": "满意", "basically_satisfied": "基本满意", "unsatisfied": "不满意"}


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One item a finding is about: a row of the report's list of problems."""

    ref: str
    title: str
    unit: str  # the lead unit's name
    problem: str
    detail: str


@dataclass(frozen=True, kw_only=True)
class Finding:
    key: str  # late | quality | unsatisfied | promises
    text: str  # one sentence, without its ordinal (一是 …)
    entries: tuple[Entry, ...]


def findings(facts: SessionFacts) -> list[Finding]:
    found = [late(facts), quality(facts), unsatisfied(facts), promises(facts)]
    return [finding for finding in found if finding is not None]


def _entry(item: ItemFacts, problem: str, detail: str) -> Entry:
    return Entry(ref=item.row.ref, title=item.row.title, unit=item.row.lead_unit_name or "（未交办）",
                 problem=problem, detail=detail)


def by_unit(items: list[ItemFacts]) -> str:
    """县教育局2件、县农业农村局1件: most first."""
    counts = Counter(item.row.lead_unit_name or "（未交办）" for item in items)
    return "、".join(f"{name}{count}件" for name, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def late(facts: SessionFacts) -> Finding | None:
    items = [item for item in facts.items if item.replied_late or item.open_overdue]
    if not items:
        return None
    still = sum(item.open_overdue for item in items)
    text = f"个别单位答复不及时，{by_unit(items)}超过办理期限答复"
    if still:
        text += f"，其中{still}件截至报告时仍未答复"
    entries = tuple(_entry(item, "逾期答复" if item.replied else "逾期未答复",
                           f"超过期限{item.row.overdue_days}天" + ("答复" if item.replied else "仍未答复"))
                    for item in items)
    return Finding(key="late", text=text + "。", entries=entries)


def quality(facts: SessionFacts) -> Finding | None:
    returned = [item for item in facts.items if item.returned]
    reclassified = [item for item in facts.items if item.reclassified]
    if not returned and not reclassified:
        return None
    parts = []
    if returned:
        parts.append(f"{sum(len(item.returned) for item in returned)}份答复经审核不合格被退回重新答复（{by_unit(returned)}）")
    if reclassified:
        parts.append(f"{len(reclassified)}件答复的办理结果分类不准、经审核调整（{by_unit(reclassified)}）")
    entries = [_entry(item, "答复被退回", reason) for item in returned for reason in item.returned]
    entries += [_entry(item, "办理结果调整", f"由{item.reclassified[0]}类调整为{item.reclassified[1]}类")
                for item in reclassified]
    return Finding(key="quality", text=f"个别单位答复质量不高，{'；'.join(parts)}。", entries=tuple(entries))


def unsatisfied(facts: SessionFacts) -> Finding | None:
    first = [item for item in facts.items if item.first_rating == UNSATISFIED]
    still = [item for item in facts.items if item.latest_rating == UNSATISFIED]
    if not first and not still:
        return None
    text = f"部分建议代表不满意，{len(first)}件首次征询意见为不满意（{by_unit(first)}）" if first else ""
    if first:
        text += f"，经重新办理后仍有{len(still)}件不满意" if still else "，经重新办理后均已转为满意或基本满意"
    else:
        text = f"部分建议代表不满意，{len(still)}件代表评价为不满意（{by_unit(still)}）"
    entries = []
    for item in dict.fromkeys(first + still):
        latest = RATING_NAMES.get(item.latest_rating, "尚未再次评价")
        detail = f"首次评价不满意，重新办理后{latest}" if item.first_rating == UNSATISFIED else "代表评价不满意"
        entries.append(_entry(item, "代表不满意", detail))
    return Finding(key="unsatisfied", text=text + "。", entries=tuple(entries))


def promises(facts: SessionFacts) -> Finding | None:
    behind = [item for item in facts.items if item.lookback in BEHIND_SCHEDULE]
    unreported = [item for item in facts.items if item.lookback_late]
    late = [item for item in facts.items if item.promise and item.promise.status == LATE]
    if not behind and not unreported and not late:
        return None
    label = facts.lookback_label or "回头看"
    parts = []
    if late:
        parts.append(f"{len(late)}件答复承诺事项已过承诺时限仍未落实（{by_unit(late)}）")
    if behind:
        parts.append(f"“{label}”中{len(behind)}件答复承诺事项进度滞后（{by_unit(behind)}）")
    if unreported:
        parts.append(f"{len(unreported)}件逾期未报送“{label}”结果（{by_unit(unreported)}）")
    entries = [_entry(item, "承诺逾期未落实", _promised(item)) for item in late if item not in behind]
    entries += [_entry(item, "承诺落实滞后", f"{label}：{item.lookback}") for item in behind]
    entries += [_entry(item, f"未报送{label}结果", "任务已过期限") for item in unreported]
    return Finding(key="promises", text=f"个别单位对答复承诺跟踪落实不够，{'；'.join(parts)}。", entries=tuple(entries))


def _promised(item: ItemFacts) -> str:
    day = item.promise.promised_by
    return f"承诺{day.year}年{day.month}月{day.day}日前完成" if day else "已过承诺时限"
