"""The operator's calendar years (`banli calendar add`): stored, journalled, read back."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import delete, insert, select

from banli.engine.calendar import YearSchedule
from banli.store.operator import journal
from banli.store.schema import calendar_t


def save_year(store, schedule: YearSchedule, *, source: str, by: str, at: str) -> bool:
    """Store (or replace) a year's schedule; returns True when it replaced an earlier one."""
    with store.engine.connect() as connection:
        with connection.execution_options(banli_write=True).begin():
            replaced = connection.execute(delete(calendar_t).where(calendar_t.c.year == schedule.year)).rowcount > 0
            holidays = sorted(day.isoformat() for day in schedule.holidays)
            workdays = sorted(day.isoformat() for day in schedule.workdays)
            connection.execute(insert(calendar_t).values(
                year=schedule.year, holidays=json.dumps(holidays), workdays=json.dumps(workdays), source=source,
                added_at=at, added_by=by))
            journal(connection, "calendar.add", by, {"year": schedule.year, "holidays": holidays,
                                                      "workdays": workdays, "source": source}, at)
    store.workflows.forget()
    return replaced


def load_years(connection) -> dict[int, YearSchedule]:
    schedules = {}
    for row in connection.execute(select(calendar_t)):
        schedules[row.year] = YearSchedule(
            row.year, frozenset(date.fromisoformat(d) for d in json.loads(row.holidays)),
            frozenset(date.fromisoformat(d) for d in json.loads(row.workdays)))
    return schedules


def year_source(store, year: int) -> str | None:
    with store.engine.connect() as connection:
        return connection.execute(select(calendar_t.c.source).where(calendar_t.c.year == year)).scalar()
