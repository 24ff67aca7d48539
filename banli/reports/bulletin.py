"""The monthly bulletin (通报): each lead unit's month — replies on time or late, items overdue
at the month's end, urges, the deputies' ratings — with the units praised and criticised,
as prose (Chinese, or English with BANLI_LANG=en) and a table — a document the report
renderers write as Markdown, Word or HTML (banli/reports/render/) — and the job the
scheduler runs for it.

The seed: "对工作台账实施跟踪督办、定期通报，办理好的通报表扬，办理差的通报批评". Praised: a unit
that replied in the month, every reply on time, no 不满意 rating in the month and nothing
overdue at its end. Criticised: a unit with a late reply in the month or an item overdue at
its end. Everything is attributed to the item's lead unit at the time (a reply to the unit
that replied, an item overdue at the month's end to the unit that held it then), and a
reply is on time as scores and the ledger judge it (banli.reports.ledger.deadlines_in_force).
An item is overdue at the month's end when it waits for its reply (it is in a state its
`reply` event leaves from) and the deadline then in force has passed.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from pathlib import Path
from zoneinfo import ZoneInfo

from banli.engine.times import DEFAULT_ZONE
from banli.errors import InvalidInput
from banli.i18n import N_, _
from banli.reports.document import Document, Heading, Paragraph, Table
from banli.reports.ledger import RATINGS, TOTAL, in_time
from banli.reports.replay import LEAD_UNIT, replay
from banli.store.ledger_queries import unit_names
from banli.store.report_queries import require_session
from banli.store.score_queries import definitions_in_use

log = logging.getLogger("banli.bulletin")

REPLY, URGE, RATING = "reply", "urge", "rating"
UNSATISFIED = ("不满意", "unsatisfied")
# the table's headers, then the rating values (data: the choices of the definitions' rating field)
HEADERS = (N_("Handling unit"), N_("Items led"), N_("Replied this month"), N_("Replied on time"), N_("Replied late"),
           N_("Overdue at the month's end"), N_("Urges this month"))
NOTE = N_("Note: a reply is on time when it came by the handling deadline in force when it was made (approved "
          "extensions included); an item is overdue without a reply when at the end of the period it still "
          "waits for its reply and its deadline has passed.")
MONTHS = (N_("January"), N_("February"), N_("March"), N_("April"), N_("May"), N_("June"), N_("July"),
          N_("August"), N_("September"), N_("October"), N_("November"), N_("December"))
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_INSTANT = timedelta(microseconds=1)


@dataclass(kw_only=True)
class UnitMonth:
    """One lead unit's figures for the month."""

    unit: str
    name: str
    items: int = 0  # items it leads at the month's end (assigned then or before)
    replied: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # items waiting for its reply past their deadline at the month's end
    urges: int = 0
    ratings: Counter = field(default_factory=Counter)

    @property
    def unsatisfied(self) -> int:
        return sum(self.ratings[value] for value in UNSATISFIED)

    @property
    def praised(self) -> bool:
        return self.replied > 0 and self.on_time == self.replied and not self.unsatisfied and not self.overdue

    @property
    def criticised(self) -> bool:
        return self.late > 0 or self.overdue > 0

    def add(self, other: UnitMonth) -> None:
        for name in ("items", "replied", "on_time", "late", "overdue", "urges"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.ratings.update(other.ratings)

    def cells(self) -> list:
        return [self.name, self.items, self.replied, self.on_time, self.late, self.overdue, self.urges,
                *(self.ratings[rating] for rating in RATINGS)]

    def as_json(self) -> dict:
        return {"unit": self.unit, "name": self.name, "items": self.items, "replied": self.replied,
                "on_time": self.on_time, "late": self.late, "overdue": self.overdue, "urges": self.urges,
                "ratings": {rating: self.ratings[rating] for rating in sorted(self.ratings, key=_rating_order)}}


@dataclass(frozen=True, kw_only=True)
class Bulletin:
    period: str  # YYYY-MM
    title: str  # 人大代表建议办理情况通报（2022年8月）, in the language it was built in
    start: datetime
    end: datetime  # the first instant of the next month
    until: datetime  # `end`, or the time of writing while the month is under way
    units: tuple[UnitMonth, ...]  # most items first
    session: str | None = None

    @property
    def complete(self) -> bool:
        return self.until == self.end

    @property
    def praised(self) -> list[UnitMonth]:
        return [unit for unit in self.units if unit.praised]

    @property
    def criticised(self) -> list[UnitMonth]:
        return [unit for unit in self.units if unit.criticised]

    def total(self) -> UnitMonth:
        total = UnitMonth(unit="", name=_(TOTAL))
        for unit in self.units:
            total.add(unit)
        return total

    def as_json(self) -> dict:
        return {"period": self.period, "title": self.title, "session": self.session,
                "from": self.start.isoformat(), "until": self.until.isoformat(),
                "units": [unit.as_json() for unit in self.units],
                "praised": [{"unit": unit.unit, "name": unit.name} for unit in self.praised],
                "criticised": [{"unit": unit.unit, "name": unit.name, "late": unit.late, "overdue": unit.overdue}
                               for unit in self.criticised],
                "total": {key: value for key, value in self.total().as_json().items() if key not in ("unit", "name")}}


def month_bounds(period: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of the month YYYY-MM and of the next, in `zone`."""
    match = _PERIOD.fullmatch(period or "")
    if not match or not 1 <= int(match[2]) <= 12:
        raise InvalidInput(_("--period {period} must be a month written YYYY-MM, e.g. 2022-08").format(period=repr(period)))
    year, month = int(match[1]), int(match[2])
    start = datetime(year, month, 1, tzinfo=zone)
    return start, datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)


def month_before(instant: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> str:
    """YYYY-MM of the month before the one `instant` falls in (the month just ended)."""
    local = instant.astimezone(zone)
    year, month = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def build_bulletin(store, period: str, *, now: datetime | None = None, session: str | None = None) -> Bulletin:
    """The bulletin of month `period` (YYYY-MM) over the top-level items (of `session`);
    a month still under way is judged as of `now`. The items are as their trace up to the
    month's end (or `now`) establishes them: nothing that happened later is counted."""
    workflows = [store.workflows.by_id(definition_id) for definition_id in definitions_in_use(store, session=session)]
    zones = {workflow.zone.key for workflow in workflows}
    zone = ZoneInfo(zones.pop()) if len(zones) == 1 else DEFAULT_ZONE
    start, end = month_bounds(period, zone)
    until = min(end, now.astimezone(zone)) if now is not None else end
    if until <= start:
        raise InvalidInput(_("{period} has not begun yet: a bulletin reports a month that has begun").format(period=period))
    names = unit_names(store)
    months: dict[str, UnitMonth] = {}

    def month_of(unit: str) -> UnitMonth:
        return months.setdefault(unit, UnitMonth(unit=unit, name=names.get(unit, unit)))

    items = replay(store, as_of=until - _INSTANT, session=session)  # the month ends at `until`, not after it
    if session is not None and not items:
        require_session(store, session)
    for item in items:
        reply = item.workflow.definition.events.get(REPLY)
        for step in item.steps:
            at = step.at
            if at < start or not step.unit:
                continue
            if step.event.event == REPLY:
                judged = in_time(step.deadline, at)
                counts = month_of(step.unit)
                counts.replied += 1
                counts.on_time += judged is True
                counts.late += judged is False
            elif step.event.event == URGE:
                month_of(step.unit).urges += 1
            if RATING in step.event.data and step.fields.get(RATING) is not None:
                month_of(step.unit).ratings[str(step.fields[RATING])] += 1
        unit = str(item.fields.get(LEAD_UNIT) or "")
        if unit:
            counts = month_of(unit)
            counts.items += 1
            waiting = reply is not None and item.state in reply.sources
            counts.overdue += waiting and item.deadline is not None and until > item.deadline
    titles = {str(workflow.definition.title) for workflow in workflows}
    subject = titles.pop() if len(titles) == 1 else ""
    if not subject:
        heading = _("Handling bulletin ({month})")
    elif subject.endswith("办理"):  # a title that already says "handling" (…办理): not said twice
        heading = _("{subject}: bulletin ({month})")
    else:  # 人大代表建议 → 人大代表建议办理情况通报
        heading = _("Bulletin on the handling of {subject} ({month})")
    heading = heading.format(subject=subject, month=_month(start))
    ordered = sorted(months.values(), key=lambda unit: (-unit.items, unit.unit))
    return Bulletin(period=period, title=heading, start=start, end=end, until=until, units=tuple(ordered),
                    session=session)


# -- the document ------------------------------------------------------------------------------


def _day(instant: datetime) -> str:
    return _("{year}-{month:02d}-{day:02d}").format(year=instant.year, month=instant.month, day=instant.day)


def _month(instant: datetime) -> str:
    """August 2022 (2022年8月)."""
    return _("{month} {year}").format(month=_(MONTHS[instant.month - 1]), year=instant.year)


def _rating_order(rating: str) -> tuple:
    return (RATINGS.index(rating) if rating in RATINGS else len(RATINGS), rating)


def _ratings_text(ratings: Counter) -> str:
    """满意4件、基本满意1件: each rating value (data) with its count."""
    return _(", ").join(_("{count} {rating}").format(rating=rating, count=ratings[rating])
                        for rating in sorted(ratings, key=_rating_order) if ratings[rating])


def _listed(entries: list[str]) -> str:
    """The units praised or criticised, one after another (A（…）；B（…）)."""
    return reduce(lambda earlier, entry: _("{earlier}; {entry}").format(earlier=earlier, entry=entry), entries)


def covered(bulletin: Bulletin) -> str:
    last = bulletin.until - timedelta(microseconds=1)  # the month's end is 24:00 of its last day
    return _("(Period covered: {start} to {end})").format(start=_day(bulletin.start), end=_day(last))


def document(bulletin: Bulletin) -> Document:
    """The bulletin as a document (banli/reports/document.py) the report renderers write."""
    total = bulletin.total()
    month = _month(bulletin.start)
    ends = _("the end of {month}").format(month=_(MONTHS[bulletin.start.month - 1])) if bulletin.complete \
        else _day(bulletin.until)
    rated = sum(total.ratings.values())
    figures = {"month": month, "units": len(bulletin.units), "items": total.items, "replied": total.replied,
               "on_time": total.on_time, "late": total.late, "ends": ends, "overdue": total.overdue,
               "urges": total.urges, "rated": rated}
    if rated:
        summary = _("{month}: lead units: {units}; suggestions they lead: {items}; replied this month: {replied} "
                    "(on time: {on_time}, late: {late}); overdue without a reply at {ends}: {overdue}; urges this "
                    "month: {urges}; rated by deputies: {rated} ({ratings}).").format(
                        **figures, ratings=_ratings_text(total.ratings))
    else:
        summary = _("{month}: lead units: {units}; suggestions they lead: {items}; replied this month: {replied} "
                    "(on time: {on_time}, late: {late}); overdue without a reply at {ends}: {overdue}; urges this "
                    "month: {urges}; rated by deputies: {rated}.").format(**figures)
    praised = [(_("{unit} (replied this month: {replied}, all on time; rated by deputies: {ratings})")
                if unit.ratings else _("{unit} (replied this month: {replied}, all on time)"))
               .format(unit=unit.name, replied=unit.replied, ratings=_ratings_text(unit.ratings))
               for unit in bulletin.praised]
    criticised = []
    for unit in bulletin.criticised:
        facts = [_("replied late: {late}").format(late=unit.late) if unit.late else "",
                 _("overdue without a reply at {ends}: {overdue}").format(ends=ends, overdue=unit.overdue)
                 if unit.overdue else "",
                 _("urged this month: {urges}").format(urges=unit.urges) if unit.urges else "",
                 _("rated unsatisfactory by deputies: {unsatisfied}").format(unsatisfied=unit.unsatisfied)
                 if unit.unsatisfied else ""]
        facts_text = _("; ").join(fact for fact in facts if fact)
        criticised.append(_("{unit} ({facts})").format(unit=unit.name, facts=facts_text))
    praise = (_("The following units replied on time to everything they answered this month, had no rating of "
                "unsatisfactory from deputies and nothing overdue without a reply, and are commended: {units}.")
              .format(units=_listed(praised)) if praised else _("No unit is commended this month."))
    criticism = (_("The following units replied late or have suggestions overdue without a reply, and are "
                   "criticised: {units}. These units should find the causes, keep in closer touch with the "
                   "deputies and reply to the overdue suggestions within a set time.").format(units=_listed(criticised))
                 if criticised else _("No unit is criticised this month."))
    table = Table(caption=_("Table 1  Handling by lead unit, {month}").format(month=month),
                  headers=(*map(_, HEADERS), *RATINGS),
                  rows=tuple(tuple(unit.cells()) for unit in bulletin.units), total=tuple(total.cells()))
    blocks = (Paragraph(text=summary), Heading(text=_("1. Commendations")), Paragraph(text=praise),
              Heading(text=_("2. Criticisms")), Paragraph(text=criticism),
              Heading(text=_("3. Handling by unit")), table, Paragraph(text=_(NOTE), indent=False))
    return Document(title=bulletin.title, title_lines=(bulletin.title,), subtitle=covered(bulletin), blocks=blocks,
                    created=bulletin.until, keywords=(_("Bulletin"), bulletin.period))


def render_markdown(bulletin: Bulletin) -> str:
    from banli.reports.render.markdown import markdown

    return markdown(document(bulletin))


def write_bulletin(bulletin: Bulletin, path: str | Path) -> Path:
    """Write the bulletin to `path`, .md, .docx or .html; replaced whole, never half-written."""
    from banli.reports.render import write

    write(document(bulletin), Path(path))
    return Path(path)


def bulletin_job(store, period_or_now: str | datetime, out_dir: str | Path) -> dict:
    """The scheduler's job: the bulletin of `period_or_now` (YYYY-MM), or of the month before
    the instant `period_or_now` (run on the 1st, it reports the month just ended), written to
    OUT_DIR/bulletin-YYYY-MM.md and .docx. Running it again rewrites the same files."""
    if isinstance(period_or_now, datetime):
        period, now = month_before(period_or_now), period_or_now
    else:
        period, now = period_or_now, None
    bulletin = build_bulletin(store, period, now=now)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [str(write_bulletin(bulletin, out / f"bulletin-{period}{suffix}")) for suffix in (".md", ".docx")]
    report = {"period": period, "files": files, "praised": [unit.unit for unit in bulletin.praised],
              "criticised": [unit.unit for unit in bulletin.criticised]}
    log.info(_("bulletin {period}: {praised} praised, {criticised} criticised, written to {files}").format(
        period=period, praised=len(report["praised"]), criticised=len(report["criticised"]), files=_(", ").join(files)))
    return report
