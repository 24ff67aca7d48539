"""A year's official holiday schedule as the operator writes it (`banli calendar add FILE`).

    year: 2027
    source: 国务院办公厅关于2027年部分节假日安排的通知
    holidays:
      - 2027-01-01
      - {from: 2027-02-06, to: 2027-02-12, name: 春节}
    workdays: [2027-02-14, 2027-02-20]     # weekend days worked (调休上班)
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from banli.engine.calendar import YearSchedule
from banli.engine.times import year_problem
from banli.files import read_yaml_model
from banli.i18n import _


class _Range(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: date
    end: date
    name: str = ""

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, value):
        if isinstance(value, dict):
            value = dict(value)
            value["start"], value["end"] = value.pop("from", None), value.pop("to", None)
        return value

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


class ScheduleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int
    source: str = ""
    holidays: list[date | _Range] = []
    workdays: list[date] = []

    @model_validator(mode="after")
    def _consistent(self) -> "ScheduleFile":
        problem = year_problem(self.year)
        if problem:
            raise ValueError(_("year {year} {problem}").format(year=self.year, problem=problem))
        for entry in self.holidays:  # before listing a range's days: 2030-01-01 to 9999-12-31 is 3 million
            if isinstance(entry, _Range) and (entry.start.year != self.year or entry.end.year != self.year):
                raise ValueError(_("{start} to {end} is not within {year}").format(
                    start=entry.start, end=entry.end, year=self.year))
        holidays = self.holiday_days()
        for day in sorted(holidays | set(self.workdays)):
            if day.year != self.year:
                raise ValueError(_("{day} is not in {year}").format(day=day, year=self.year))
        both = holidays & set(self.workdays)
        if both:
            raise ValueError(_("{day} is listed both as a holiday and as a workday").format(day=min(both)))
        for day in self.workdays:
            if day.weekday() < 5:
                raise ValueError(_("workday {day} is a weekday already; list only weekend days worked (调休)").format(day=day))
        return self

    def holiday_days(self) -> set[date]:
        days: set[date] = set()
        for entry in self.holidays:
            days.update(entry.days() if isinstance(entry, _Range) else [entry])
        return days

    def schedule(self) -> YearSchedule:
        return YearSchedule(self.year, frozenset(self.holiday_days()), frozenset(self.workdays))


def read_schedule(path: str | Path) -> ScheduleFile:
    return read_yaml_model(path, ScheduleFile, _("calendar file"))
