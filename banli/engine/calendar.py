"""Workday calendars: `cn` (Chinese statutory holidays and adjusted workdays) and `plain`.

`cn` asks `chinese-calendar`; for a year it does not know, the operator's own schedule
(added with `banli calendar add`) is used, and failing that Monday–Friday, noting the
fallback so callers can record it.
"""

from __future__ import annotations

from datetime import date


class PlainCalendar:
    """Monday to Friday."""

    name = "plain"

    def is_workday(self, day: date) -> bool:
        return day.weekday() < 5


class ChineseCalendar:
    """Statutory holidays and adjusted working days of the People's Republic of China."""

    name = "cn"

    def __init__(self, extra_years: dict[int, tuple[set[date], set[date]]] | None = None) -> None:
        # year -> (holidays, adjusted workdays) from operator-supplied schedules
        self.extra_years = extra_years or {}
        self.fallback_years: set[int] = set()

    def is_workday(self, day: date) -> bool:
        if day.year in self.extra_years:
            holidays, workdays = self.extra_years[day.year]
            if day in holidays:
                return False
            return day in workdays or day.weekday() < 5
        import chinese_calendar

        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.fallback_years.add(day.year)
            return day.weekday() < 5


def calendar_for(name: str):
    """The calendar a definition names."""
    return PlainCalendar() if name == "plain" else ChineseCalendar()
