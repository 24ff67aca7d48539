"""What the look-back (回头看) did to each item, as its trace records it: the kind the campaign
gave it (不满意, B类 …), whether its outcome reopened it (the campaign's `then`), and whether
it has ended again since; and the annual report's sentence that counts them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from banli.engine.campaign_keys import KIND_KEY
from banli.i18n import _, ngettext
from banli.reports.replay import Replayed


@dataclass(frozen=True, kw_only=True)
class LookbackMark:
    kind: str = ""  # the kind its selection named; "" when the campaign names none
    reopened_by: str = ""  # the outcome that reopened it, if one did
    ended_again: bool = False  # reopened, and in a final state again


def mark(item: Replayed) -> LookbackMark:
    """The item's part in the latest campaign that selected it, as its trace up to the report's
    instant records it."""
    definition = item.workflow.definition
    fired = {campaign.fire: campaign for campaign in definition.campaigns.values()}
    kind, reopened_by, chosen = "", "", None
    for step in item.steps:
        event = step.event.event
        if event in fired:
            chosen, kind, reopened_by = fired[event], str(step.event.data.get(KIND_KEY) or ""), ""
        elif chosen is not None and event == chosen.result and step.fields.get(chosen.outcome) is not None:
            outcome = str(step.fields[chosen.outcome])
            reopened_by = outcome if chosen.follow_up(outcome) else ""
    ended = bool(reopened_by) and item.state in item.workflow.final_states
    return LookbackMark(kind=kind, reopened_by=reopened_by, ended_again=ended)


def follow_up_text(marks: list[LookbackMark]) -> str:
    """The kinds looked at and the items the look-back reopened (责成重新办理, 再次沟通), for
    the report's 回头看 paragraph; empty when the campaign names no kinds and reopened nothing."""
    kinds = Counter(entry.kind for entry in marks if entry.kind)
    reopened = Counter(entry.reopened_by for entry in marks if entry.reopened_by)
    text = ""
    if kinds:
        text = _("By kind: {kinds}.").format(kinds=_(", ").join(
            _("{kind}: {count}").format(kind=kind, count=count) for kind, count in kinds.most_common()))
    if reopened:
        total, ended = sum(reopened.values()), sum(entry.ended_again for entry in marks)
        outcomes = _(", ").join(_("{outcome}: {count}").format(outcome=outcome, count=count)
                                for outcome, count in reopened.most_common())
        said = (ngettext("After the “look-back”, {total} suggestion was handled again or its deputy asked again "
                         "({outcomes}); {ended} of them has been concluded again and {still} is still being handled.",
                         "After the “look-back”, {total} suggestions were handled again or their deputies asked again "
                         "({outcomes}); {ended} of them have been concluded again and {still} are still being handled.",
                         total) if total > ended else
                ngettext("After the “look-back”, {total} suggestion was handled again or its deputy asked again "
                         "({outcomes}); {ended} of them has been concluded again.",
                         "After the “look-back”, {total} suggestions were handled again or their deputies asked again "
                         "({outcomes}); {ended} of them have been concluded again.", total))
        said = said.format(total=total, outcomes=outcomes, ended=ended, still=total - ended)
        text = _("{first} {then}").format(first=text, then=said) if text else said
    return text
