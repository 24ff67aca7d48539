"""The tables of the annual handling report (banli/reports/annual.py): its key figures, the
suggestions by subject and by result class, and the handling by each unit."""

from __future__ import annotations

from collections import Counter

from banli.i18n import N_, _
from banli.reports.document import Table
from banli.reports.metrics import AnnualMetrics
from banli.reports.wording import rate, whole_percent

CLASS_MEANINGS = {"A": N_("the problem raised is solved or mostly solved"),
                  "B": N_("the problem raised is being solved or is planned to be"),
                  "C": N_("cannot be solved for now (policy, conditions); kept for reference")}
UNCLASSIFIED, UNASSIGNED = N_("Unclassified"), N_("Not assigned")


def key_figures(m: AnnualMetrics) -> Table:
    rows = (
        (_("All suggestions"), _("{count} suggestions").format(count=m.total),
         _("the suggestions deputies made at this session")),
        (_("Handled by the government"),
         _("{count} suggestions ({share})").format(count=m.government_handled, share=rate(m.government_share)),
         _("suggestions whose lead unit is a government department")),
        (_("Rate of replies on time"), rate(m.replied_on_time_rate),
         _("replied on time {on_time} ÷ (replied {replied} + late, not replied {overdue})")
         .format(on_time=m.replied_on_time, replied=m.replied, overdue=m.open_overdue)),
        (_("Face-to-face rate"), rate(m.face_to_face_rate),
         _("talked over with the deputy face to face {met} ÷ handed over {assigned}")
         .format(met=m.face_to_face, assigned=m.assigned)),
        (_("Deputies' satisfaction rate"), rate(m.satisfaction_rate),
         _("(satisfied {satisfied} + basically satisfied {basically}) ÷ rated {rated}")
         .format(satisfied=m.satisfied, basically=m.basically_satisfied, rated=m.rated)),
        (_("Satisfaction rate (satisfied only)"), rate(m.strict_satisfaction_rate),
         _("satisfied {satisfied} ÷ rated {rated}").format(satisfied=m.satisfied, rated=m.rated)),
        (_("Satisfaction at the first asking"), rate(m.first_round_satisfaction_rate),
         _("first rated satisfied or basically satisfied ÷ first rated {rated}").format(rated=m.first_round_rated)),
    )
    return Table(caption=_("Table 1  Key figures of the handling"),
                 headers=(_("Measure"), _("Value"), _("How it is counted")), rows=rows, unbroken=(0, 1))


def category_table(m: AnnualMetrics) -> Table:
    rows = tuple((category, count, whole_percent(count, m.total)) for category, count in m.by_category.items())
    return Table(caption=_("Table 2  Suggestions by subject"),
                 headers=(_("Subject"), _("Suggestions"), _("Share")), rows=rows,
                 total=(_("Total"), sum(m.by_category.values()), whole_percent(sum(m.by_category.values()), m.total)))


def class_rows(m: AnnualMetrics) -> list[tuple]:
    """A row per result class, and for the items without one (not yet replied, not assigned):
    together the whole session."""
    rows = [(_("Class {cls}").format(cls=cls), _(CLASS_MEANINGS[cls]) if cls in CLASS_MEANINGS else "",
             share.count, whole_percent(share.count, m.total))
            for cls, share in m.by_result_class.items()]
    classified = sum(share.count for share in m.by_result_class.values())
    waiting = max(0, m.assigned - classified)
    for label, meaning, count in (
            (UNCLASSIFIED, N_("handed over, not yet answered"), waiting),
            (UNASSIGNED, N_("not handed to a unit (not accepted, withdrawn …)"), m.total - classified - waiting)):
        if count:
            rows.append((_(label), _(meaning), count, whole_percent(count, m.total)))
    return rows


def class_table(m: AnnualMetrics) -> Table:
    return Table(caption=_("Table 3  Suggestions by the results of the handling"),
                 headers=(_("Class"), _("Meaning"), _("Suggestions"), _("Share")),
                 rows=tuple(class_rows(m)), total=(_("Total"), "", m.total, whole_percent(m.total, m.total)))


def unit_table(m: AnnualMetrics) -> Table:
    def outcomes(counter: Counter) -> str:
        return _(", ").join(_("{outcome} {count}").format(outcome=outcome, count=count) for outcome, count in counter.most_common())

    rows = tuple((unit.name, unit.items, unit.on_time, unit.overdue, unit.urges, unit.face_to_face,
                  unit.ratings["satisfied"], unit.ratings["basically_satisfied"], unit.ratings["unsatisfied"],
                  outcomes(unit.lookback)) for unit in m.units)
    total = (_("Total"), *(sum(row[column] for row in rows) for column in range(1, 9)),
             outcomes(sum((unit.lookback for unit in m.units), Counter())))
    return Table(caption=_("Table 4  The handling by each unit"),
                 headers=(_("Handling unit"), _("Suggestions"), _("On time"), _("Late"), _("Reminders"),
                          _("Met face to face"), _("Satisfied"), _("Basically satisfied"), _("Unsatisfied"),
                          _("Looking back: results")),
                 rows=rows, total=total)
