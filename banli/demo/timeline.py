"""The demo year's calendar: its key dates, and a cursor that places one suggestion's steps
on working days and office hours, each strictly after the one before."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from banli.engine.calendar import ChineseCalendar
from banli.engine.times import DEFAULT_ZONE

ZONE = DEFAULT_ZONE  # the demo's npc-suggestion workflow names no other

CONGRESS = (date(2022, 1, 6), date(2022, 1, 9))   # 县人大十六届一次会议: suggestions registered
SORTING = (date(2022, 2, 14), date(2022, 2, 25))  # 初分
REVIEW = (date(2022, 3, 1), date(2022, 3, 25))    # 初审
AUDIT = (date(2022, 4, 6), date(2022, 4, 28))     # 审核
APPROVAL = (date(2022, 5, 9), date(2022, 5, 19))  # 审定立案
ASSIGNED_ON = date(2022, 5, 27)                   # 交办会 (the seed report's date)
REPLY_DUE = date(2022, 8, 26)                     # last working day of the 3 months after assignment
YEAR_END = datetime(2023, 4, 30, 18, 0, tzinfo=ZONE)  # nothing in the demo happens later

_CALENDAR = ChineseCalendar()
_OFFICE_OPENS, _OFFICE_MINUTES = time(8, 30), 9 * 60
_DAY_OPENS, _DAY_MINUTES = time(7, 30), 13 * 60


def workday_from(day: date) -> date:
    """`day` if it is a working day, else the next one."""
    while not _CALENDAR.is_workday(day):
        day += timedelta(days=1)
    return day


def text(instant: datetime) -> str:
    """ISO text with the +08:00 offset, as the runtime's `at=` takes it."""
    return instant.astimezone(ZONE).isoformat(timespec="seconds")


class Cursor:
    """The latest business time of one item's story; every step it places lands after it."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.now = start

    def on(self, day: date, *, office: bool = True) -> datetime:
        """A moment on `day` (office hours, or any waking hour), or shortly after now."""
        if day <= self.now.date():
            instant = self.now + timedelta(minutes=self.rng.randint(5, 90))
        else:
            opens, minutes = (_OFFICE_OPENS, _OFFICE_MINUTES) if office else (_DAY_OPENS, _DAY_MINUTES)
            instant = datetime.combine(day, opens, ZONE) + timedelta(minutes=self.rng.randint(0, minutes))
        self.now = instant
        return instant

    def exactly(self, instant: datetime) -> datetime:
        """A fixed moment (a meeting); never before now."""
        self.now = max(instant, self.now + timedelta(minutes=1))
        return self.now

    def between(self, first: date, last: date, *, workday: bool = True, office: bool = True) -> datetime:
        """A moment on a day from `first` to `last` (not before today), on a working day if asked."""
        first = max(first, self.now.date())
        last = max(last, first)
        day = first + timedelta(days=self.rng.randint(0, (last - first).days))
        return self.on(workday_from(day) if workday else day, office=office)

    def after(self, low: int, high: int, *, workday: bool = True, office: bool = True) -> datetime:
        """A moment `low` to `high` days after today."""
        today = self.now.date()
        return self.between(today + timedelta(days=low), today + timedelta(days=high), workday=workday, office=office)
