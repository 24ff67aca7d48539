"""Office hours (`office_hours: ["08:30-12:00", "14:30-18:00"]`) and counting working hours in
them: a duration in `workhours` counts only office time on the workdays of the definition's
calendar, and falls at the exact instant its last minute ends (as `hours` do).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from banli.engine.durations import CAPS, Workdays
from banli.i18n import _

_PERIOD = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAY = 24 * 60


def parse_period(text: object) -> tuple[int, int]:
    """`"08:30-12:00"` → (510, 720), minutes since midnight; raises ValueError with a reason."""
    match = _PERIOD.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(_("'{period}' is not a period of office hours; write it as 'HH:MM-HH:MM', "
                           "e.g. '08:30-12:00'").format(period=str(text)[:40]))
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if start_m > 59 or end_m > 59 or start >= _DAY or end > _DAY:
        raise ValueError(_("'{period}' is not a time of day: hours run 00–23 (24:00 only as an end), "
                           "minutes 00–59").format(period=text))
    if start >= end:
        raise ValueError(_("'{period}' ends before it begins; a period is 'FROM-TO' within one day").format(period=text))
    return start, end


def check_periods(periods: list[tuple[int, int]]) -> str | None:
    """Why periods in this order cannot be a day's office hours (unordered, overlapping), or None."""
    for index in range(1, len(periods)):
        if periods[index][0] < periods[index - 1][1]:
            return _("period {number} begins before period {previous} ends; list the periods in the order of the day, "
                     "without overlaps").format(number=index + 1, previous=index)
    return None


@dataclass(frozen=True)
class OfficeHours:
    """A workday's office periods, as minutes since midnight: ((510, 720), (870, 1080))."""

    periods: tuple[tuple[int, int], ...]

    @property
    def cap(self) -> int:
        """The most workhours a duration may count: ten years of office days (as `CAPS`)."""
        return max(1, CAPS["workdays"] * sum(end - start for start, end in self.periods) // 60)

    def _day_periods(self, day, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time(0), tzinfo=zone)
        return [(midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)) for start, end in self.periods]

    def add(self, instant: datetime, amount: timedelta, workdays: Workdays, zone: ZoneInfo, sign: int = 1) -> datetime:
        """The instant `amount` of office time after (sign 1) or before (sign -1) `instant`."""
        if not amount or not self.periods:
            return instant
        remaining = amount
        local = instant.astimezone(zone)
        day = local.date()
        while True:
            if workdays.is_workday(day):
                periods = self._day_periods(day, zone)
                for start, end in (periods if sign > 0 else reversed(periods)):
                    if sign > 0:
                        begin = max(start, local)
                        if begin >= end:
                            continue
                        if remaining <= end - begin:
                            return begin + remaining
                        remaining -= end - begin
                    else:
                        finish = min(end, local)
                        if finish <= start:
                            continue
                        if remaining <= finish - start:
                            return finish - remaining
                        remaining -= finish - start
            day += timedelta(days=sign)

    def between(self, start: datetime, end: datetime, workdays: Workdays, zone: ZoneInfo) -> timedelta:
        """The office time from `start` to `end` (none if `end` is not later)."""
        total = timedelta(0)
        if end <= start:
            return total
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        while day <= last:
            if workdays.is_workday(day):
                for begin, finish in self._day_periods(day, zone):
                    overlap = min(finish, end) - max(begin, start)
                    if overlap > timedelta(0):
                        total += overlap
            day += timedelta(days=1)
        return total

    def __str__(self) -> str:
        return ", ".join(f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
                         for start, end in self.periods)
