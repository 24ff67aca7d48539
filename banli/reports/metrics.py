"""The metrics of one session (SPEC §5) as of an instant, every one counted from the trace up
to it (banli/reports/replay.py): the ledger's rows and what else the events record.

- by category / by result class: counts, and percent of all top-level items of the session.
- government_handled: items whose lead unit is marked `government: true`.
- satisfaction_rate: (满意 + 基本满意) / rated, on each item's latest rating (a re-handled
  item's second rating); beside it the strict rate (满意 only) and the first-round rate
  (each item's first `rate`, before any re-handling).
- replied_on_time_rate: replied by the deadline / (replied + open and overdue). Each item is
  judged as its ledger row judges it (banli/reports/ledger.py), so the report and the 台账
  agree: on its latest reply round, extensions included. A re-handled item counts by its
  second reply; while its second reply is still due and not yet late it is neither replied
  nor overdue, and so outside the rate until it is one or the other.
- face_to_face_rate: assigned items with at least one event whose data has `method:
  face_to_face` / assigned items.

Percents are exact fractions rounded half up to two decimals (145/148 → 97.97), and None
where there is nothing to divide by (no item rated yet).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from banli.engine.times import from_utc_text, utc_text
from banli.reports.ledger import FACE_TO_FACE, LedgerRow, ledger_row
from banli.reports.rating_count import RatingPolicy, counted_figures, each_ratings, lapse, rating_policy
from banli.reports.lookback import LookbackMark, mark as lookback_mark
from banli.reports.promises import Promise, PromiseFigures, promise_of, tally
from banli.reports.replay import Replayed, replay
from banli.store import report_queries

SATISFIED, BASICALLY, UNSATISFIED = "satisfied", "basically_satisfied", "unsatisfied"
RATING_KINDS = {"满意": SATISFIED, SATISFIED: SATISFIED, "基本满意": BASICALLY, BASICALLY: BASICALLY,
                "不满意": UNSATISFIED, UNSATISFIED: UNSATISFIED}
RESULT_CLASSES = ("A", "B", "C")
FIRST_RATING = "rate"


def percent(part: int, whole: int, places: int = 2) -> float | None:
    """`part / whole` in percent, rounded half up; None when `whole` is 0."""
    if not whole:
        return None
    exact = Decimal(part) * 100 / Decimal(whole)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, kw_only=True)
class ItemFacts:
    """One top-level item as the report sees it: its ledger row and what else the trace says."""

    row: LedgerRow
    government: bool
    first_rating: str  # a rating kind (SATISFIED …) or "" when never rated
    latest_rating: str
    face_to_face: bool  # at least one face-to-face contact
    contacts: int
    replies: int = 0  # replies sent, every round (one sent back and sent again counts twice)
    returned: tuple[str, ...] = ()  # the reasons replies were sent back (退回重新答复)
    reclassified: tuple[str, str] | None = None  # (the unit's class, the class the reviewer set)
    extensions: int = 0
    change_requests: int = 0
    supervised: bool = False
    mode: str = ""
    fulfilled: bool = False
    lookback: str | None = None  # the look-back outcome; "" while its task is open; None: not selected
    lookback_late: bool = False  # its task is open past its due date
    lookback_mark: LookbackMark = LookbackMark()  # its look-back kind, and whether an outcome reopened it
    fields: dict = field(default_factory=dict, hash=False)  # as of the instant (a key suggestion's leader, earlier items)
    each_first: tuple[str, ...] = ()  # every deputy's rating kind, when a joint item's ratings count each …
    each_latest: tuple[str, ...] = ()  # … (banli/reports/rating_count.py): its first round and latest
    lapsed: str = ""  # its latest rating lapsed: "deemed" (视为满意) or "unrated"
    promise: Promise | None = None  # its B-class promise: kept, kept late, due or late (banli/reports/promises.py)

    @property
    def joint(self) -> bool:
        return len(self.row.deputies) > 1

    @property
    def rating_kinds(self) -> tuple[str, ...]:
        """The ratings the item counts in the rates: its own, or each deputy's."""
        return self.each_latest or ((self.latest_rating,) if self.latest_rating else ())

    @property
    def first_rating_kinds(self) -> tuple[str, ...]:
        return self.each_first or ((self.first_rating,) if self.first_rating else ())

    @property
    def assigned(self) -> bool:
        return self.row.assigned_on is not None

    @property
    def replied(self) -> bool:
        return self.row.replied_on is not None

    @property
    def on_time(self) -> bool:
        return self.replied and self.row.overdue_days == 0

    @property
    def replied_late(self) -> bool:
        return self.replied and bool(self.row.overdue_days)

    @property
    def open_overdue(self) -> bool:
        return not self.replied and bool(self.row.overdue_days)


@dataclass(frozen=True, kw_only=True)
class SessionFacts:
    session: str
    as_of: datetime
    items: tuple[ItemFacts, ...]
    categories: tuple[str, ...]  # the definitions' order of the category choices
    lookback_label: str = ""  # the campaign's label (回头看), when one was held
    lookback_opened: date | None = None
    lookback_due: date | None = None
    rating_policy: RatingPolicy | None = None  # whose rating counts, and lapsed ratings (the latest item's definition)


@dataclass(frozen=True, kw_only=True)
class Share:
    count: int
    percent: float | None

    def to_json(self) -> dict:
        return {"count": self.count, "percent": self.percent}


@dataclass(kw_only=True)
class UnitSummary:
    """One lead unit's year: a row of the report's per-unit table."""

    unit: str
    name: str
    government: bool
    items: int = 0
    replied: int = 0
    on_time: int = 0
    overdue: int = 0  # replied late, or open past the deadline
    urges: int = 0
    face_to_face: int = 0  # items with a face-to-face contact
    ratings: Counter = field(default_factory=Counter)  # by rating kind, latest rating
    lookback: Counter = field(default_factory=Counter)  # by outcome

    def add(self, item: ItemFacts) -> None:
        self.items += 1
        self.replied += item.replied
        self.on_time += item.on_time
        self.overdue += item.row.overdue
        self.urges += item.row.urges
        self.face_to_face += item.face_to_face
        self.ratings.update(item.rating_kinds)
        if item.lookback:
            self.lookback[item.lookback] += 1

    def to_json(self) -> dict:
        return {"unit": self.unit, "name": self.name, "government": self.government, "items": self.items,
                "replied": self.replied, "on_time": self.on_time, "overdue": self.overdue, "urges": self.urges,
                "face_to_face": self.face_to_face,
                **{kind: self.ratings[kind] for kind in (SATISFIED, BASICALLY, UNSATISFIED)},
                "lookback": dict(self.lookback)}


@dataclass(frozen=True, kw_only=True)
class AnnualMetrics:
    session: str
    as_of: datetime
    total: int
    by_category: dict[str, int]
    government_handled: int
    by_result_class: dict[str, Share]
    rated: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    first_round: dict[str, int]  # rating kind -> count, first ratings
    assigned: int
    replied: int
    replied_on_time: int
    open_overdue: int
    face_to_face: int
    units: tuple[UnitSummary, ...]
    promises: PromiseFigures = PromiseFigures()
    ratings_counted: dict = field(default_factory=dict)  # how (banli/reports/rating_count.py): rule, lapsed

    @property
    def government_share(self) -> float | None:
        return percent(self.government_handled, self.total)

    @property
    def satisfaction_rate(self) -> float | None:
        return percent(self.satisfied + self.basically_satisfied, self.rated)

    @property
    def strict_satisfaction_rate(self) -> float | None:
        return percent(self.satisfied, self.rated)

    @property
    def first_round_rated(self) -> int:
        return sum(self.first_round.values())

    @property
    def first_round_satisfaction_rate(self) -> float | None:
        return percent(self.first_round[SATISFIED] + self.first_round[BASICALLY], self.first_round_rated)

    @property
    def replied_on_time_rate(self) -> float | None:
        return percent(self.replied_on_time, self.replied + self.open_overdue)

    @property
    def face_to_face_rate(self) -> float | None:
        return percent(self.face_to_face, self.assigned)

    def to_json(self) -> dict:
        """SPEC §4's fixed keys, then the figures beside them."""
        return {
            "session": self.session, "total": self.total, "by_category": dict(self.by_category),
            "government_handled": self.government_handled,
            "by_result_class": {name: share.to_json() for name, share in self.by_result_class.items()},
            "rated": self.rated, "satisfaction_rate": self.satisfaction_rate, "satisfied": self.satisfied,
            "basically_satisfied": self.basically_satisfied, "unsatisfied": self.unsatisfied,
            "replied_on_time_rate": self.replied_on_time_rate, "face_to_face_rate": self.face_to_face_rate,
            "as_of": self.as_of.isoformat(timespec="seconds"),
            "government_share": self.government_share,
            "strict_satisfaction_rate": self.strict_satisfaction_rate,
            "first_round_satisfaction_rate": self.first_round_satisfaction_rate,
            "first_round": {"rated": self.first_round_rated, **self.first_round},
            "assigned": self.assigned, "replied": self.replied, "replied_on_time": self.replied_on_time,
            "open_overdue": self.open_overdue, "face_to_face": self.face_to_face,
            "units": [unit.to_json() for unit in self.units], "promises": {
                **self.promises.to_json(), "kept_on_time_rate": percent(self.promises.kept, self.promises.come)},
            "ratings_counted": self.ratings_counted,
        }


def measure(facts: SessionFacts) -> AnnualMetrics:
    """The metrics of the session's items (pure: no database)."""
    items = facts.items
    categories = Counter(item.row.category for item in items if item.row.category)
    by_category = {name: categories[name] for name in facts.categories}
    by_category.update({name: count for name, count in sorted(categories.items()) if name not in by_category})
    classes = Counter(item.row.result_class for item in items if item.row.result_class)
    class_names = list(RESULT_CLASSES) + sorted(name for name in classes if name not in RESULT_CLASSES)
    latest = Counter(kind for item in items for kind in item.rating_kinds)
    first = Counter(kind for item in items for kind in item.first_rating_kinds)
    return AnnualMetrics(
        session=facts.session, as_of=facts.as_of, total=len(items), by_category=by_category,
        government_handled=sum(item.government for item in items),
        by_result_class={name: Share(count=classes[name], percent=percent(classes[name], len(items)))
                         for name in class_names},
        rated=sum(latest.values()), satisfied=latest[SATISFIED], basically_satisfied=latest[BASICALLY],
        unsatisfied=latest[UNSATISFIED], first_round={kind: first[kind] for kind in (SATISFIED, BASICALLY, UNSATISFIED)},
        assigned=sum(item.assigned for item in items), replied=sum(item.replied for item in items),
        replied_on_time=sum(item.on_time for item in items), open_overdue=sum(item.open_overdue for item in items),
        face_to_face=sum(item.assigned and item.face_to_face for item in items),
        units=unit_summaries(items), promises=tally(item.promise for item in items),
        ratings_counted=counted_figures(facts.rating_policy, items),
    )


def unit_summaries(items: tuple[ItemFacts, ...]) -> tuple[UnitSummary, ...]:
    """Per lead unit, most items first."""
    units: dict[str, UnitSummary] = {}
    for item in items:
        if item.row.lead_unit:
            units.setdefault(item.row.lead_unit, UnitSummary(unit=item.row.lead_unit, name=item.row.lead_unit_name,
                                                             government=item.government)).add(item)
    return tuple(sorted(units.values(), key=lambda unit: (-unit.items, unit.unit)))


# -- reading the facts ----------------------------------------------------------------------

def collect(store, session: str, as_of: datetime) -> SessionFacts:
    """The session's top-level items as of `as_of`, each as its trace up to then establishes
    it (banli/reports/replay.py): its ledger row, and the ratings, contacts, returned
    replies and look-back outcome its trace records by then."""
    items = replay(store, as_of=as_of, session=session)
    units = report_queries.units(store)
    campaigns = [campaign for campaign in report_queries.campaigns(store, session)
                 if campaign.opened_at <= utc_text(as_of)]  # a campaign opened later is not there yet
    unit_names = {unit.id: unit.name for unit in units.values()}
    categories: dict[str, None] = {}
    contact_events: dict[str, set[str]] = {}  # per definition: its internal events that record a `method`
    facts = []
    for item in items:
        definition = item.workflow.definition
        category = definition.fields.get("category")
        categories.update(dict.fromkeys(category.choices if category else ()))
        face_events = contact_events.get(item.workflow.hash)
        if face_events is None:
            face_events = contact_events[item.workflow.hash] = {
                name for name, event in definition.events.items()
                if event.internal and event.data_spec("method") is not None}
        row = ledger_row(item, as_of, unit_names)
        events, fields = item.events, item.fields
        ratings = [RATING_KINDS.get(str(event.data.get("rating")), "") for event in events
                   if event.event == FIRST_RATING and event.data.get("rating")]
        lookback, due = _task(item, campaigns)
        each_first, each_latest = (tuple(RATING_KINDS.get(value, "") for value in round_)
                                   for round_ in each_ratings(events))
        facts.append(ItemFacts(
            row=row, government=bool(row.lead_unit in units and units[row.lead_unit].government),
            first_rating=ratings[0] if ratings else "",
            latest_rating=RATING_KINDS.get(str(fields.get("rating") or ""), ""),
            face_to_face=any(event.data.get("method") == FACE_TO_FACE for event in events if event.event in face_events),
            contacts=sum(event.event in face_events for event in events),
            replies=sum(event.event == "reply" for event in events),
            returned=tuple(str(event.data.get("reason", "")) for event in events if event.event == "return_reply"),
            reclassified=_reclassified(events),
            extensions=sum(event.event == "grant_extension" for event in events),
            change_requests=sum(event.event == "request_change" for event in events),
            supervised=bool(fields.get("supervised")), mode=str(fields.get("mode") or ""),
            lookback_mark=lookback_mark(item) if lookback is not None else LookbackMark(),
            fulfilled=bool(fields.get("fulfilled")), lookback=lookback, promise=promise_of(item, as_of),
            lookback_late=bool(lookback == "" and due and due < utc_text(as_of)), fields=fields,
            each_first=each_first, each_latest=each_latest, lapsed=lapse(events),
        ))
    latest = campaigns[-1] if campaigns and items else None
    zone = items[0].workflow.zone if items else None
    return SessionFacts(
        session=session, as_of=as_of, items=tuple(facts), categories=tuple(categories),
        lookback_label=latest.label if latest else "",
        lookback_opened=_day(latest.opened_at, zone) if latest else None,
        lookback_due=_day(latest.due_at, zone) if latest and latest.due_at else None,
        rating_policy=rating_policy(items[-1].workflow.definition) if items else None)


def _task(item: Replayed, campaigns: list[report_queries.CampaignRow]) -> tuple[str | None, str | None]:
    """The item's task in the latest campaign that selected it, as its trace records it: (its
    outcome, "" while none is recorded, or None if no campaign selected it; the task's due
    date, UTC text). A campaign selects an item by firing its event on it, and its `result`
    event records the outcome in its `outcome` field."""
    definition = item.workflow.definition
    fired = {campaign.fire: campaign for campaign in definition.campaigns.values()}
    outcome, chosen = None, None
    for step in item.steps:
        event = step.event.event
        if event in fired:
            outcome, chosen = "", fired[event]
        elif chosen is not None and event == chosen.result and step.fields.get(chosen.outcome) is not None:
            outcome = str(step.fields[chosen.outcome])
    if chosen is None:
        return None, None
    opened = [campaign for campaign in campaigns
              if campaign.name == chosen.name and campaign.workflow_id == definition.id]
    return outcome, opened[-1].due_at if opened else None


def _reclassified(events) -> tuple[str, str] | None:
    """The latest reply's class and the class the reviewer set on accepting it, if they differ."""
    replied = changed = None
    for event in events:
        if event.event == "reply":
            replied, changed = event.data.get("result_class"), None
        elif event.event == "accept_reply" and event.data.get("result_class") and replied:
            changed = (str(replied), str(event.data["result_class"]))
    return changed if changed and changed[0] != changed[1] else None


def _day(utc: str, zone) -> date:
    return from_utc_text(utc).astimezone(zone).date()
