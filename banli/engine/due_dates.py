"""A state's deadline on the day an item's date field names (`deadline: {until: promised_by}`):
the end of that day (24:00) in the workflow's zone, as a deadline counted in days ends.

It stands where a rule's duration stands (`Rule.after`): counting it from a start gives the
day's end whatever the start, so entering the state, counting it again after a calendar
change, and a migration all read the field as it is then. An empty field means no deadline.
A span the clock is paused moves it by calendar days (`unit`), and an extension moves it as
it moves any deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from banli.i18n import _


@dataclass(frozen=True, kw_only=True)
class OnDate:
    """The deadline is the end of the day held by the date field `field`."""

    field: str
    unit: str = "days"  # what a paused span is counted in (banli.engine.clock)

    def at(self, fields: dict, zone: ZoneInfo) -> datetime | None:
        """The end of the field's day in `zone`, or None when the field is empty; a value that
        is not a date raises ValueError."""
        value = fields.get(self.field)
        if value in (None, ""):
            return None
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(_("the deadline is the day in field '{field}', whose value '{value}' is not a date "
                               "such as 2025-12-31").format(field=self.field, value=str(value)[:40])) from None
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)

    def __str__(self) -> str:
        return f"the day in field {self.field}"  # as a Duration shows itself, in --json output too
