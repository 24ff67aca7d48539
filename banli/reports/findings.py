"""The problems the annual report names (三、存在问题), found in the data rather than written by
hand: replies late or still missing, replies sent back or reclassified on review, deputies
not satisfied, and promises behind schedule or unreported at the look-back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from banli.i18n import N_, _, ngettext
from banli.reports.metrics import UNSATISFIED, ItemFacts, SessionFacts
from banli.reports.promises import LATE

# look-back outcomes (the npc-suggestion workflow's choices) that mean a promise is not kept
BEHIND_SCHEDULE = frozenset({"进度滞后"})
RATING_NAMES = {"satisfied": N_("satisfied"), "basically_satisfied": N_("basically satisfied"),
                "unsatisfied": N_("not satisfied")}


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


def _unit(item: ItemFacts) -> str:
    return item.row.lead_unit_name or _("(not handed to a unit)")


def _entry(item: ItemFacts, problem: str, detail: str) -> Entry:
    return Entry(ref=item.row.ref, title=item.row.title, unit=_unit(item), problem=problem, detail=detail)


def by_unit(items: list[ItemFacts]) -> str:
    """县教育局2件、县农业农村局1件: most first."""
    counts = Counter(_unit(item) for item in items)
    return _(", ").join(_("{count} from {unit}").format(unit=name, count=count)
                        for name, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))


def joined(parts: list[str]) -> str:
    """Clauses of one sentence, one after the other (；between them in Chinese)."""
    text = parts[0]
    for part in parts[1:]:
        text = _("{earlier}; {later}").format(earlier=text, later=part)
    return text


def late(facts: SessionFacts) -> Finding | None:
    items = [item for item in facts.items if item.replied_late or item.open_overdue]
    if not items:
        return None
    still = sum(item.open_overdue for item in items)
    text = (_("Some units did not reply in time: {units} went past the deadline; {still} of them had still not "
              "been answered at the time of this report.") if still else
            _("Some units did not reply in time: {units} went past the deadline.")).format(units=by_unit(items),
                                                                                             still=still)
    entries = tuple(_entry(item, _("replied late") if item.replied else _("overdue, not replied"), _late_detail(item))
                    for item in items)
    return Finding(key="late", text=text, entries=entries)


def _late_detail(item: ItemFacts) -> str:
    days = item.row.overdue_days
    if item.replied:
        return ngettext("replied {days} day after the deadline", "replied {days} days after the deadline",
                        days or 0).format(days=days)
    return ngettext("{days} day past the deadline, still not replied", "{days} days past the deadline, still not replied",
                    days or 0).format(days=days)


def quality(facts: SessionFacts) -> Finding | None:
    returned = [item for item in facts.items if item.returned]
    reclassified = [item for item in facts.items if item.reclassified]
    if not returned and not reclassified:
        return None
    parts = []
    if returned:
        count = sum(len(item.returned) for item in returned)
        parts.append(ngettext("{count} reply was found inadequate on review and sent back to be answered again ({units})",
                              "{count} replies were found inadequate on review and sent back to be answered again ({units})",
                              count).format(count=count, units=by_unit(returned)))
    if reclassified:
        parts.append(ngettext("{count} reply had its result class corrected on review ({units})",
                              "{count} replies had their result class corrected on review ({units})",
                              len(reclassified)).format(count=len(reclassified), units=by_unit(reclassified)))
    entries = [_entry(item, _("reply sent back"), reason) for item in returned for reason in item.returned]
    entries += [_entry(item, _("result class changed"), _("class {before} changed to class {after}").format(
                    before=item.reclassified[0], after=item.reclassified[1])) for item in reclassified]
    text = _("Some units' replies were not good enough: {problems}.").format(problems=joined(parts))
    return Finding(key="quality", text=text, entries=tuple(entries))


def unsatisfied(facts: SessionFacts) -> Finding | None:
    first = [item for item in facts.items if item.first_rating == UNSATISFIED]
    still = [item for item in facts.items if item.latest_rating == UNSATISFIED]
    if not first and not still:
        return None
    if first and still:
        text = ngettext("Deputies were not satisfied with some suggestions: {first} was first rated not satisfied "
                        "({units}); after being handled again, {still} still not satisfied.",
                        "Deputies were not satisfied with some suggestions: {first} were first rated not satisfied "
                        "({units}); after being handled again, {still} still not satisfied.", len(first))
    elif first:
        text = ngettext("Deputies were not satisfied with some suggestions: {first} was first rated not satisfied "
                        "({units}), and after being handled again it is satisfied or basically satisfied.",
                        "Deputies were not satisfied with some suggestions: {first} were first rated not satisfied "
                        "({units}), and after being handled again all are satisfied or basically satisfied.",
                        len(first))
    else:
        text = ngettext("Deputies were not satisfied with some suggestions: {still} is rated not satisfied ({units}).",
                        "Deputies were not satisfied with some suggestions: {still} are rated not satisfied ({units}).",
                        len(still))
    text = text.format(first=len(first), still=len(still), units=by_unit(first or still))
    entries = []
    for item in dict.fromkeys(first + still):
        if item.first_rating == UNSATISFIED:
            latest = _(RATING_NAMES[item.latest_rating]) if item.latest_rating in RATING_NAMES else _("not rated again yet")
            detail = _("first rated not satisfied, {latest} after being handled again").format(latest=latest)
        else:
            detail = _("rated not satisfied by the deputy")
        entries.append(_entry(item, _("deputy not satisfied"), detail))
    return Finding(key="unsatisfied", text=text, entries=tuple(entries))


def promises(facts: SessionFacts) -> Finding | None:
    behind = [item for item in facts.items if item.lookback in BEHIND_SCHEDULE]
    unreported = [item for item in facts.items if item.lookback_late]
    late = [item for item in facts.items if item.promise and item.promise.status == LATE]
    if not behind and not unreported and not late:
        return None
    label = facts.lookback_label or _("look-back")
    parts = []
    if late:
        parts.append(ngettext("{count} promise made in a reply is past its date and not yet kept ({units})",
                              "{count} promises made in replies are past their date and not yet kept ({units})",
                              len(late)).format(count=len(late), units=by_unit(late)))
    if behind:
        parts.append(ngettext("in the “{label}”, {count} promise made in a reply was behind schedule ({units})",
                              "in the “{label}”, {count} promises made in replies were behind schedule ({units})",
                              len(behind)).format(label=label, count=len(behind), units=by_unit(behind)))
    if unreported:
        parts.append(ngettext("{count} result of the “{label}” was not reported by its due date ({units})",
                              "{count} results of the “{label}” were not reported by their due date ({units})",
                              len(unreported)).format(label=label, count=len(unreported), units=by_unit(unreported)))
    entries = [_entry(item, _("promise overdue, not kept"), _promised(item)) for item in late if item not in behind]
    entries += [_entry(item, _("promise behind schedule"), _("{label}: {outcome}").format(label=label, outcome=item.lookback))
                for item in behind]
    entries += [_entry(item, _("{label} result not reported").format(label=label), _("task past its due date"))
                for item in unreported]
    text = _("Some units did not follow up the promises in their replies closely enough: {problems}.").format(
        problems=joined(parts))
    return Finding(key="promises", text=text, entries=tuple(entries))


def _promised(item: ItemFacts) -> str:
    day = item.promise.promised_by
    if not day:
        return _("past the promised date")
    return _("promised to be done by {year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)
