"""Durations of the definition language (`3 months`, `5 workdays`) and the arithmetic on them.

A duration counted in days, workdays, weeks or months ends at the end of its last day
(24:00 local time); one counted in hours ends at the exact instant (SPEC §4). Counting on
from a deadline (`overdue: 2 workdays`) starts from the deadline's own last day: see
`from_deadline`.

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

UNITS = ("hours", "days", "workdays", "weeks", "months")
_PATTERN = re.compile(r"^\s*(\d+)\s*(hour|day|workday|week|month)s?\s*$")

# Ten years' worth of each unit (about 250 workdays a year on the statutory calendar).
CAPS = {"hours": 87_600, "days": 3_650, "workdays": 2_600, "weeks": 520, "months": 120}


class Workdays(Protocol):
    """What duration arithmetic needs from a calendar."""

    def is_workday(self, day: date) -> bool: ...


@dataclass(frozen=True, kw_only=True)
class Duration:
    """`amount` units, e.g. Duration(amount=3, unit="months")."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount} {self.unit}"


def parse_duration(text: object, *, capped: bool = True) -> Duration:
    """Parse `N hours|days|workdays|weeks|months` of at most `CAPS[unit]` (any, if not `capped`:
    what the trace already records); raises ValueError with a readable reason."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if not match:
        shown = text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…"
        raise ValueError(f"bad duration {shown!r}: write it as 'N hours|days|workdays|weeks|months', e.g. '5 workdays'")
    digits, unit = match.group(1), match.group(2) + "s"
    amount = int(digits) if len(digits) <= 20 else None  # not a 5,000-digit int: Python refuses those
    if amount is None or (capped and amount > CAPS[unit]):
        shown = amount if amount is not None else f"a {len(digits)}-digit number of"
        raise ValueError(f"a duration of {shown} {unit} is too long: at most {CAPS[unit]:,} {unit} (ten years)")
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


def shift(instant: datetime, duration: Duration, workdays: Workdays, zone: ZoneInfo, sign: int = 1) -> datetime:
    """The instant `duration` after (sign=1) or before (sign=-1) `instant`."""
    if duration.unit == "hours":
        return instant + sign * timedelta(hours=duration.amount)
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


def from_deadline(deadline: datetime, duration: Duration, workdays: Workdays, zone: ZoneInfo, sign: int = 1) -> datetime:
    """`duration` after (or before) a deadline; a deadline at 24:00 belongs to the day it ends."""
    if duration.unit == "hours":
        return shift(deadline, duration, workdays, zone, sign)
    return shift(deadline - timedelta(microseconds=1), duration, workdays, zone, sign)
