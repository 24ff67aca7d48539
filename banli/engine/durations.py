"""Durations of the definition language (`3 months`, `5 workdays`) and the arithmetic on them.

A duration counted in days, workdays, weeks or months ends at the end of its last day
(24:00 local time); one counted in hours, or in workhours (office time on workdays: see
`banli.engine.workhours`), ends at the exact instant (SPEC §4). Counting on from a deadline
(`overdue: 2 workdays`) starts from the deadline's own last day: see `from_deadline`.
A deadline may also take its duration from an item's field (`Lookup`).

A duration is at most ten years' worth of its unit (`CAPS`), checked as it is parsed, before
anything is counted: a deadline then always falls inside what a date can hold, and counting
workdays never walks through millennia of calendars nobody has published.
"""

from __future__ import annotations

import calendar as _monthcal
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from banli.i18n import _

UNITS = ("hours", "workhours", "days", "workdays", "weeks", "months")
EXACT_UNITS = ("hours", "workhours")  # counted to the instant, not to the end of a day
_PATTERN = re.compile(r"^\s*(\d+)\s*(hour|workhour|day|workday|week|month)s?\s*$")

# Ten years' worth of each unit (about 250 workdays a year on the statutory calendar).
CAPS = {"hours": 87_600, "days": 3_650, "workdays": 2_600, "weeks": 520, "months": 120}
# Workhours: ten years of workdays were the office open all day; a definition's own office day
# caps them lower (`workhours.OfficeHours.cap`), checked where its office hours are known.
WORKHOURS_CAP = CAPS["workdays"] * 24


class Workdays(Protocol):
    """What duration arithmetic needs from a calendar."""

    def is_workday(self, day: date) -> bool: ...


class Office(Protocol):
    """What counting `workhours` needs: office time added to an instant (`workhours.OfficeHours`)."""

    cap: int  # the most workhours counted: ten years of office days

    def add(self, instant: datetime, amount: timedelta, workdays: Workdays, zone: ZoneInfo,
            sign: int = 1) -> datetime: ...


@dataclass(frozen=True, kw_only=True)
class Duration:
    """`amount` units, e.g. Duration(amount=3, unit="months")."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """A duration taken from an item's field: the field's own text (`3 workdays`), or the entry
    of `table` for the field's value; `default` when the field is empty or has no entry."""

    field: str
    table: tuple[tuple[str, Duration], ...] = ()
    default: Duration | None = None

    def resolve(self, fields: dict) -> Duration | None:
        """The duration for these fields, or None (no deadline); a field's text that is not a
        duration raises ValueError."""
        value = fields.get(self.field)
        if value in (None, "", []):
            return self.default
        if self.table:
            return dict(self.table).get(str(value), self.default)
        try:
            return parse_duration(value)
        except ValueError as exc:
            raise ValueError(_("the deadline is taken from field '{field}', whose value is not one: {reason}").format(
                field=self.field, reason=exc)) from None

    def __str__(self) -> str:
        entries = [f"{key}: {duration}" for key, duration in self.table]
        if self.default is not None:
            entries.append(f"default: {self.default}")
        return f"field {self.field}" + (f" ({', '.join(entries)})" if entries else "")


def parse_duration(text: object, *, capped: bool = True) -> Duration:
    """Parse `N hours|workhours|days|workdays|weeks|months` of at most `CAPS[unit]` (any, if not `capped`:
    what the trace already records); raises ValueError with a readable reason."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if not match:
        shown = text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…"
        raise ValueError(_("bad duration {value}: write it as 'N hours|days|workdays|weeks|months', e.g. '5 workdays' "
                           "(or 'N workhours': office hours)").format(value=repr(shown)))
    digits, unit = match.group(1), match.group(2) + "s"
    amount = int(digits) if len(digits) <= 20 else None  # not a 5,000-digit int: Python refuses those
    cap = CAPS.get(unit, WORKHOURS_CAP)
    if amount is None or (capped and amount > cap):
        if amount is None:
            raise ValueError(_("a duration of a {digits}-digit number of {unit} is too long: at most {cap} {unit} "
                               "(ten years)").format(digits=len(digits), unit=unit, cap=f"{cap:,}"))
        raise ValueError(_("a duration of {amount} {unit} is too long: at most {cap} {unit} (ten years)").format(
            amount=amount, unit=unit, cap=f"{cap:,}"))
    return Duration(amount=amount, unit=unit)


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _monthcal.monthrange(year, month)[1]))


def _add_workdays(day: date, count: int, workdays: Workdays) -> date:
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if workdays.is_workday(day):
            remaining -= 1
    return day


def shift(instant: datetime, duration: Duration, workdays: Workdays, zone: ZoneInfo, sign: int = 1,
          office: Office | None = None) -> datetime:
    """The instant `duration` after (sign=1) or before (sign=-1) `instant`; `workhours` need
    the definition's `office` hours (ValueError without them)."""
    if duration.unit == "hours":
        return instant + sign * timedelta(hours=duration.amount)
    if duration.unit == "workhours":
        if office is None:
            raise ValueError(_("'{duration}' cannot be counted: the workflow has no office_hours; "
                               "use hours or workdays, or give the definition its office_hours").format(duration=duration))
        if duration.amount > office.cap:
            raise ValueError(_("a duration of {duration} is too long: at most {cap} workhours "
                               "(ten years of office days)").format(duration=duration, cap=f"{office.cap:,}"))
        return office.add(instant, timedelta(hours=duration.amount), workdays, zone, sign)
    day = instant.astimezone(zone).date()
    amount = sign * duration.amount
    if duration.unit == "days":
        day += timedelta(days=amount)
    elif duration.unit == "weeks":
        day += timedelta(weeks=amount)
    elif duration.unit == "months":
        day = _add_months(day, amount)
    else:
        day = _add_workdays(day, amount, workdays)
    return _end_of(day, zone)


def from_deadline(deadline: datetime, duration: Duration, workdays: Workdays, zone: ZoneInfo, sign: int = 1,
                  office: Office | None = None) -> datetime:
    """`duration` after (or before) a deadline; a deadline at 24:00 belongs to the day it ends."""
    if duration.unit in EXACT_UNITS:
        return shift(deadline, duration, workdays, zone, sign, office)
    return shift(deadline - timedelta(microseconds=1), duration, workdays, zone, sign, office)
