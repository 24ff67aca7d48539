"""The annual handling report (建议办理情况的报告) of one session, in the seed report's order:
basic facts, how the work was done (with the per-unit table), problems found and the next
steps, with charts, a closing word and the signature of the issuer the org file names;
written as Markdown, Word or HTML by banli/reports/render/; its tables are made in
banli/reports/annual_tables.py.

Shares of all items are printed as whole percents, as the seed prints them (92%, 58%); rates
with two decimals (97.97%) (banli/reports/wording.py). The JSON (`AnnualMetrics.to_json`)
carries two decimals throughout.

The words are English messages in the reader's language (banli/i18n); in Chinese they are the
seed's words, so a Chinese report reads as the county's own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from banli.engine.org import IssuerSpec
from banli.engine.times import DEFAULT_ZONE
from banli.errors import NotFound
from banli.i18n import CHINESE, N_, _, language, ngettext
from banli.reports import charts, leaders
from banli.reports.annual_tables import (UNASSIGNED, UNCLASSIFIED, category_table, class_rows, class_table,
                                         key_figures, unit_table)
from banli.reports.document import Block, Chart, Document, Heading, Paragraph, Signature, Table
from banli.reports.findings import Finding, findings
from banli.reports.lookback import follow_up_text
from banli.reports.metrics import AnnualMetrics, SessionFacts, collect, measure
from banli.reports.parts import PartsSummary, summarise
from banli.reports.rating_count import counting_text, rating_unit
from banli.reports.parts import text as parts_text
from banli.reports.promises import promise_text, tally
from banli.reports.wording import day_text, ordinal, rate, session_name, sentences, whole_percent
from banli.store import report_queries
from banli.store.operator import issuer as org_issuer

CLASS_SHARES = {  # a result class's share of the session, in the sentence that lists them
    "A": N_("{count} whose problems are solved or mostly solved (class A), {share} of all suggestions"),
    "B": N_("{count} being solved or planned to be (class B), {share} of all suggestions"),
    "C": N_("{count} that cannot be solved for now because of current policy, conditions or other reasons "
            "and are kept for reference (class C), {share} of all suggestions"),
}
TIMELINESS = (N_("Replied on time"), N_("Replied late"), N_("Late, not replied"))
NEXT_STEPS = N_(
    "To address these problems we will sum up the work carefully, take measures and raise the standard of "
    "handling suggestions. First, strengthen leadership and responsibility for the handling, so that the units "
    "handle suggestions of their own accord. Second, push harder for results: look back at the replies regularly, "
    "concentrating on the suggestions being solved or planned to be. Third, supervise more: check the handling and "
    "its results regularly, report on them regularly, and have the problems found corrected within a set time. "
    "Fourth, build up the staff: train them, standardise the format of replies and raise their skills."
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


# -- the document ---------------------------------------------------------------------------

def compose(metrics: AnnualMetrics, facts: SessionFacts, found: tuple[Finding, ...],
            issuer: IssuerSpec | None = None, parts: PartsSummary | None = None,
            led: leaders.LeadersSummary | None = None) -> Document:
    """The report; `issuer` (from the org file) heads the title and signs it; `parts`, if
    given, adds what 会办 and 分办 did (co-units' opinions, the 分办 parts' replies and ratings)."""
    name = session_name(metrics.session)
    today = metrics.as_of.date()
    blocks: list[Block] = [
        Paragraph(text=_("To the deputies:"), indent=False),
        Paragraph(text=_("Here is our report on how the deputies' suggestions made at {name} were handled, "
                         "for your review.").format(name=name))]
    blocks += basic_facts(metrics, facts, name)
    blocks += the_work(metrics, facts, parts)
    blocks += leaders.blocks(led)  # key suggestions and suggestions made again, when there are any
    blocks += problems(found)
    blocks += [Paragraph(text=closing(issuer)),
               Signature(lines=(issuer.name, day_text(today)) if issuer else (day_text(today),))]
    heading = issuer.name if issuer else ""
    title = (_("{issuer}: report on the handling of the deputies' suggestions made at {name}") if heading
             else _("Report on the handling of the deputies' suggestions made at {name}"))
    return Document(title=title.format(issuer=heading, name=name),
                    title_lines=(*((heading,) if heading else ()),
                                 _("Report on the deputies' suggestions made at {name}").format(name=name),
                                 _("and on how they were handled")),
                    subtitle=_("(as of {date})").format(date=day_text(today)),
                    blocks=tuple(blocks), created=metrics.as_of,
                    keywords=(_("deputies' suggestions"), _("handling"), metrics.session),
                    author=heading or "banli")


def closing(issuer: IssuerSpec | None) -> str:
    """The last word to the deputies, as a county's report ends."""
    place = issuer.short if issuer and issuer.short else _("the county")
    return _("Deputies, handling your suggestions well is an important part of performing our duties under the "
             "law, and an important means of staying close to the people and improving how we work. Under the "
             "supervision and with the support of the Standing Committee of the County People's Congress and of "
             "every deputy, we will follow up the suggestions being solved or planned to be one by one, in a "
             "realistic and practical spirit and to the very end, do the handling of deputies' suggestions well, "
             "and contribute more to the high-quality economic and social development of {place}!").format(place=place)


def basic_facts(m: AnnualMetrics, facts: SessionFacts, name: str) -> list[Block]:
    total, items = m.total, facts.items
    figures = {"name": name, "total": total, "assigned": m.assigned, "government": m.government_handled,
               "share": whole_percent(m.government_handled, total)}
    if m.assigned == total:
        made = ngettext("At {name}, deputies made {total} suggestion, handed to the unit that handles it; "
                        "the government's departments handle {government} ({share} of all suggestions).",
                        "At {name}, deputies made {total} suggestions, all handed to the units that handle them; "
                        "the government's departments handle {government} ({share} of all suggestions).", total)
    else:
        states = Counter(item.row.state_label for item in items if not item.assigned)
        figures["others"] = _(", ").join(_("{state}: {count}").format(state=state, count=count) for state, count in states.items())
        made = ngettext("At {name}, deputies made {total} suggestion, {assigned} of them handed to the units that "
                        "handle them (besides, {others}); the government's departments handle {government} "
                        "({share} of all suggestions).",
                        "At {name}, deputies made {total} suggestions, {assigned} of them handed to the units that "
                        "handle them (besides, {others}); the government's departments handle {government} "
                        "({share} of all suggestions).", total)
    answered = sum(item.assigned and item.replies > 0 for item in items)
    again = sum(item.replies > 0 and not item.replied for item in items)
    if answered == m.assigned and not again:
        now = _("All the suggestions handed over have now been handled and answered.")
    elif again and m.open_overdue:
        now = _("So far {answered} have been answered, {waiting} not yet and {again} are being handled again; "
                "{overdue} are past their reply deadline and still not answered.")
    elif again:
        now = _("So far {answered} have been answered, {waiting} not yet and {again} are being handled again.")
    elif m.open_overdue:
        now = _("So far {answered} have been answered and {waiting} not yet; "
                "{overdue} are past their reply deadline and still not answered.")
    else:
        now = _("So far {answered} have been answered and {waiting} not yet.")
    opening = sentences(made.format(**figures), now.format(answered=answered, waiting=m.assigned - answered,
                                                           again=again, overdue=m.open_overdue))
    categories = _(", ").join(_("{subject}: {count}").format(subject=category, count=count)
                              for category, count in m.by_category.items() if count)
    classes = ""
    for cls, share in m.by_result_class.items():
        if share.count:
            said = (_(CLASS_SHARES[cls]) if cls in CLASS_SHARES else _("{count} of class {cls}, {share} of all suggestions")) \
                .format(cls=cls, count=share.count, share=whole_percent(share.count, total))
            classes = _("{text}; {more}").format(text=classes, more=said) if classes else said
    unclassified = sum(item.assigned and not item.row.result_class for item in items)
    by_class = ""
    if classes:
        by_class = (_("By the results of the handling: {classes}; {unclassified} not yet answered and unclassified.")
                    if unclassified else _("By the results of the handling: {classes}.")) \
            .format(classes=classes, unclassified=unclassified)
    shares = sentences(_("By subject: {categories}.").format(categories=categories) if categories else "", by_class,
                       _("From the deputies' opinions: a satisfaction rate of {rate}.").format(rate=rate(m.satisfaction_rate))
                       if m.rated else _("The deputies have not yet given their opinions."))
    blocks: list[Block] = [Heading(text=_("1. The suggestions and their handling")), Paragraph(text=opening),
                           Paragraph(text=shares)]
    if m.rated:
        blocks.append(Paragraph(text=satisfaction_text(m, facts)))
    blocks += [key_figures(m), category_table(m), class_table(m)]
    if any(m.by_category.values()):
        labels = [c for c, n in m.by_category.items() if n]
        blocks.append(Chart(caption=_("Figure 1  Suggestions by subject"), name="category", labels=tuple(labels),
                            series=((_("Suggestions"), tuple(m.by_category[c] for c in labels)),),
                            png=charts.bar_chart(_("Suggestions by subject (number)"), labels,
                                                 [m.by_category[c] for c in labels])))
    if any(share.count for share in m.by_result_class.values()):
        # the same base as the text and Table 3: all items of the session, the unclassified a share too
        labels, counts = zip(*((row[0], row[2]) for row in class_rows(m)))
        blocks.append(Chart(caption=_("Figure 2  Suggestions by the results of the handling (shares of all {total})")
                            .format(total=m.total), name="result-class", labels=labels,
                            series=((_("Suggestions"), counts),),
                            png=charts.share_chart(_("Results of the handling (shares of all {total})").format(total=m.total),
                                                   list(labels), list(counts),
                                                   [whole_percent(count, m.total) for count in counts],
                                                   muted=(_(UNCLASSIFIED), _(UNASSIGNED)))))
    return blocks


def satisfaction_text(m: AnnualMetrics, facts: SessionFacts) -> str:
    waiting = sum(item.replies > 0 and not item.latest_rating and not item.lapsed for item in facts.items)
    unit = rating_unit(facts.items)  # 份 when each deputy's rating counts
    figures = {"rated": m.rated, "unit": unit, "satisfied": m.satisfied, "basically": m.basically_satisfied,
               "unsatisfied": m.unsatisfied, "waiting": waiting}
    asked = (_("Of the {rated} opinions asked of the deputies ({unit}), {satisfied} are satisfied, {basically} "
               "basically satisfied and {unsatisfied} unsatisfied; {waiting} more await the deputies' opinion.")
             if waiting else
             _("Of the {rated} opinions asked of the deputies ({unit}), {satisfied} are satisfied, {basically} "
               "basically satisfied and {unsatisfied} unsatisfied.")).format(**figures)
    first_unsatisfied = m.first_round["unsatisfied"]
    rates = {"strict": rate(m.strict_satisfaction_rate), "first": rate(m.first_round_satisfaction_rate),
             "unsatisfied": first_unsatisfied}
    if first_unsatisfied:
        rates["turned"] = first_unsatisfied - sum(item.first_rating == item.latest_rating == "unsatisfied"
                                                  for item in facts.items)
        how = _("The satisfaction rate counts the satisfied and basically satisfied among those rated; counting "
                "the satisfied only, it is {strict}, and at the first asking {first} ({unsatisfied} first rated "
                "unsatisfied, of which {turned} turned satisfied or basically satisfied after being handled again).")
    else:
        how = _("The satisfaction rate counts the satisfied and basically satisfied among those rated; counting "
                "the satisfied only, it is {strict}, and at the first asking {first}.")
    return sentences(asked, how.format(**rates), counting_text(facts.rating_policy, facts.items, m.rated))


def the_work(m: AnnualMetrics, facts: SessionFacts, parts: PartsSummary | None = None) -> list[Block]:
    items = facts.items
    assigned = [item for item in items if item.assigned]
    first_day = min((item.row.assigned_on for item in assigned), default=None)
    modes = Counter(item.mode for item in assigned if item.mode)
    changes = sum(item.change_requests > 0 for item in items)
    government_units = sum(unit.government for unit in m.units)
    figures = {"date": day_text(first_day) if first_day else "", "assigned": m.assigned, "units": len(m.units),
               "government": government_units, "changes": changes,
               "modes": _(", ").join(_("{mode}: {count}").format(mode=mode, count=count) for mode, count in modes.most_common())}
    handing = (_("From {date}, {assigned} suggestions were handed over, to {units} lead units, {government} of "
                 "them government departments") if first_day else
               _("{assigned} suggestions were handed over, to {units} lead units, {government} of them government "
                 "departments")).format(**figures)
    if modes:
        handing = _("{text}; by how they are handled: {modes}").format(text=handing, modes=figures["modes"])
    handing = (_("{text}. The units asked for {changes} to be handed to another unit; the supervising office "
                 "decided each after review.") if changes else _("{text}.")).format(text=handing, changes=changes)
    contacts = sum(item.contacts for item in items)
    talking = _("Before, during and after the handling, the units got in touch with the deputies {contacts} times, "
                "and talked {met} suggestions over with the deputies face to face: a rate of {rate}.") \
        .format(contacts=contacts, met=m.face_to_face, rate=rate(m.face_to_face_rate))
    urges = sum(item.row.urges for item in items)
    supervised = sum(item.supervised for item in items)
    extended = sum(item.extensions > 0 for item in items)
    late = sum(item.replied_late for item in items)
    chasing = _("The supervising office sent {urges} reminders, put {supervised} suggestions under supervision and "
                "granted {extended} extensions of the reply deadline.") \
        .format(urges=urges, supervised=supervised, extended=extended)
    replies = {"replied": m.replied, "on_time": m.replied_on_time, "late": late, "overdue": m.open_overdue,
               "rate": rate(m.replied_on_time_rate)}
    chasing = sentences(chasing, (
        _("Of the {replied} answered, {on_time} were answered on time and {late} late, and {overdue} more are past "
          "their deadline and still not answered: a rate of replies on time of {rate}.") if m.open_overdue else
        _("Of the {replied} answered, {on_time} were answered on time and {late} late: a rate of replies on time "
          "of {rate}.")).format(**replies))
    blocks: list[Block] = [
        Heading(text=_("2. How the work was done")),
        Heading(text=_("(1) Handing over precisely, with clear responsibilities."), level=2), Paragraph(text=handing),
        *([Paragraph(text=parts_text(parts))] if parts and parts_text(parts) else []),
        Heading(text=_("(2) Talking with the deputies, handling face to face."), level=2), Paragraph(text=talking),
        Heading(text=_("(3) Following up, replying on time."), level=2), Paragraph(text=chasing),
        unit_table(m),
    ]
    if m.units:
        shown = list(m.units)
        open_late = [sum(item.open_overdue for item in items if item.row.lead_unit == unit.unit) for unit in shown]
        late_replied = [unit.overdue - still for unit, still in zip(shown, open_late)]
        series = (tuple(unit.on_time for unit in shown), tuple(late_replied), tuple(open_late))
        names = tuple(_(name) for name in TIMELINESS)
        blocks.append(Chart(caption=_("Figure 3  How promptly each unit replied"), name="timeliness",
                            labels=tuple(unit.name for unit in shown), series=tuple(zip(names, series)),
                            png=charts.timeliness_chart(_("How promptly each unit replied"), [unit.name for unit in shown],
                                                        *map(list, series), names=names)))
    blocks += [Heading(text=_("(4) Looking back, pushing for results."), level=2), Paragraph(text=lookback_text(facts))]
    return blocks


def lookback_text(facts: SessionFacts) -> str:
    selected = [item for item in facts.items if item.lookback is not None]
    fulfilled = sum(item.fulfilled for item in facts.items)
    if not selected:
        text = _("The suggestions of this session have not yet been looked back at.")
    else:
        label = facts.lookback_label or _("looking back")
        figures = {"label": label, "selected": len(selected),
                   "start": day_text(facts.lookback_opened) if facts.lookback_opened else "",
                   "end": day_text(facts.lookback_due) if facts.lookback_due else ""}
        if facts.lookback_opened and facts.lookback_due:
            done = _("From {start} to {end}, the {selected} suggestions handled were looked back at (“{label}”), "
                     "chiefly to check that what was promised has been done.")
        elif facts.lookback_opened:
            done = _("From {start}, the {selected} suggestions handled were looked back at (“{label}”), chiefly to "
                     "check that what was promised has been done.")
        elif facts.lookback_due:
            done = _("Until {end}, the {selected} suggestions handled were looked back at (“{label}”), chiefly to "
                     "check that what was promised has been done.")
        else:
            done = _("The {selected} suggestions handled were looked back at (“{label}”), chiefly to check that "
                     "what was promised has been done.")
        outcomes = Counter(item.lookback for item in selected if item.lookback)
        still = len(selected) - sum(outcomes.values())
        results = {"reported": sum(outcomes.values()), "still": still,
                   "outcomes": _(", ").join(_("{outcome}: {count}").format(outcome=outcome, count=count)
                                            for outcome, count in outcomes.most_common())}
        reported = (_("The units have reported {reported} results: {outcomes}; {still} are not reported yet.") if still
                    else _("The units have reported {reported} results: {outcomes}.")).format(**results)
        text = sentences(done.format(**figures), reported,
                         follow_up_text([item.lookback_mark for item in selected]))
    promised = promise_text(tally(item.promise for item in facts.items))
    if promised:  # the promises followed: kept by their date, kept late, due, late
        text = sentences(text, promised)
    elif fulfilled:
        text = sentences(text, _("What the replies promised is confirmed done for {count} suggestions.")
                         .format(count=fulfilled))
    return text


def problems(found: tuple[Finding, ...]) -> list[Block]:
    blocks: list[Block] = [Heading(text=_("3. Problems and the next steps"))]
    if not found:
        blocks.append(Paragraph(text=_("The figures show none of this session's suggestions replied late, sent back, "
                                       "rated unsatisfied or with a promise behind time.")))
    else:
        number = ordinal if language() == CHINESE else (lambda index: str(index + 1))  # 一是…二是…, (1) … (2) …
        listed = sentences(*(_("({ordinal}) {problem}").format(ordinal=number(index), problem=finding.text)
                             for index, finding in enumerate(found)))
        blocks.append(Paragraph(text=_("The figures show these problems in the handling: {problems}")
                                .format(problems=listed)))
        rows = tuple((entry.ref, entry.title, entry.unit, entry.problem, entry.detail)
                     for finding in found for entry in finding.entries)
        blocks.append(Table(caption=_("Table 5  Suggestions with problems"),
                            headers=(_("Ref"), _("Suggestion"), _("Lead unit"), _("Problem"), _("Details")), rows=rows,
                            unbroken=(0,)))
    blocks.append(Paragraph(text=_(NEXT_STEPS)))
    return blocks
