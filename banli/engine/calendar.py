"""Workday calendars: `cn` (Chinese statutory holidays and adjusted workdays) and `plain`.

`cn` uses the operator's own schedule for a year when one was added (`banli calendar add`),
else `chinese-calendar`'s; for a year neither knows, it counts Monday–Friday, says so once
in the log, and reports the day's basis as `fallback` so that callers can record it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from banli.i18n import _

log = logging.getLogger("banli")
_warned_years: set[int] = set()

CN, PLAIN, OPERATOR, FALLBACK = "cn", "plain", "operator", "fallback"


@dataclass(frozen=True)
class YearSchedule:
    """One year's official schedule: holidays, and weekend days that are working days (调休)."""

    year: int
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_workday(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


class PlainCalendar:
    """Monday to Friday."""

    name = PLAIN

    def lookup(self, day: date) -> tuple[bool, str]:
        return day.weekday() < 5, PLAIN

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


class ChineseCalendar:
    """Statutory holidays and adjusted working days of the People's Republic of China."""

    name = CN

    def __init__(self, schedules: dict[int, YearSchedule] | None = None) -> None:
        self.schedules = schedules or {}
        self._known: dict[date, tuple[bool, str]] = {}  # chinese-calendar checks its range on every call
        self._unknown_years: set[int] = set()  # ones it raised for: not asked again, day after day

    def lookup(self, day: date) -> tuple[bool, str]:
        """Whether `day` is a workday, and on what basis: cn, operator or fallback."""
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._lookup(day)
        return known

    def _lookup(self, day: date) -> tuple[bool, str]:
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.is_workday(day), OPERATOR
        if day.year not in self._unknown_years:
            import chinese_calendar

            try:
                return chinese_calendar.is_workday(day), CN
            except NotImplementedError:
                self._unknown_years.add(day.year)
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(_("no official holiday schedule for {year}: counting Monday to Friday; "
                          "add the State Council's schedule with 'banli calendar add FILE'").format(year=day.year))
        return day.weekday() < 5, FALLBACK

    def is_workday(self, day: date) -> bool:
        return self.lookup(day)[0]


class Probe:
    """Wraps a calendar for one computation and remembers whether any day fell back."""

    def __init__(self, calendar) -> None:
        self.calendar = calendar
        self.basis = calendar.name

    def is_workday(self, day: date) -> bool:
        workday, basis = self.calendar.lookup(day)
        if basis == FALLBACK:
            self.basis = FALLBACK
        return workday


def calendar_for(name: str, schedules: dict[int, YearSchedule] | None = None):
    """The calendar a definition names, with the operator's schedules for `cn`."""
    return PlainCalendar() if name == PLAIN else ChineseCalendar(schedules)


def official_days(year: int, schedules: dict[int, YearSchedule] | None = None) -> YearSchedule | None:
    """The year's holidays (on weekdays and weekends alike) and adjusted workdays, if known."""
    if schedules and year in schedules:
        return schedules[year]
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return None
    holidays = frozenset(day for day in chinese_calendar.get_holidays(date(year, 1, 1), date(year, 12, 31), False)
                         if chinese_calendar.is_holiday(day))
    workdays = frozenset(day for day in chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31))
                         if day.weekday() >= 5)
    return YearSchedule(year, holidays, workdays)
