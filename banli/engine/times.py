"""Instants as banli writes them: UTC text for what the database compares, local ISO text
(with its offset) for what the trace hashes, `--at` / `--as-of` parsing, and the range of
dates banli accepts."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from banli.engine.naming import iso_text
from banli.errors import InvalidInput
from banli.i18n import _

# The zone a definition without `timezone:` uses, and the one the front-ends read dates in
# before they know a definition: the one place that names it.
DEFAULT_ZONE_NAME = "Asia/Shanghai"
DEFAULT_ZONE = ZoneInfo(DEFAULT_ZONE_NAME)

# The dates people may give (--at, --as-of, --period, `calendar show`, import and field dates).
# Deadlines count at most ten years on (banli.engine.durations), so every date banli computes
# stays far inside what datetime and the UTC text of the database can hold.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)
RANGE_TEXT = f"{FIRST_DAY.isoformat()} … {LAST_DAY.isoformat()}"


def year_problem(year: int) -> str | None:
    """Why banli does not take dates in `year`, or None."""
    if FIRST_DAY.year <= year <= LAST_DAY.year:
        return None
    return _("is outside the dates banli takes ({range})").format(range=RANGE_TEXT)


def check_year(year: int, what: str) -> None:
    """Raise InvalidInput naming `what` (e.g. "--period 2101-01") if `year` is out of range."""
    problem = year_problem(year)
    if problem:
        raise InvalidInput(f"{what} {problem}", out_of_range=problem)


def utc_now() -> datetime:
    """The one clock; logic takes `now` as an argument and never calls this itself."""
    return datetime.now(timezone.utc)


def utc_text(instant: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")


def from_utc_text(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def local_text(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat()


def parse_instant(text: str, zone: ZoneInfo, option: str = "--at") -> datetime:
    """An ISO 8601 date or date-time from FIRST_DAY to LAST_DAY; without an offset it is read in
    `zone`. A date is its 00:00."""
    iso = iso_text(text)
    try:
        if len(iso) == 10:
            instant = datetime.combine(date.fromisoformat(iso), time(0))
        else:
            instant = datetime.fromisoformat(iso)
    except ValueError as exc:
        raise InvalidInput(_("{option} {text} is not a date or date-time; write e.g. 2023-05-10, 2023/5/10 "
                             "or 2023-05-10T09:30").format(option=option, text=repr(text))) from exc
    check_year(instant.year, f"{option} {text.strip()!r}")  # as written, before any zone moves it
    return instant if instant.tzinfo else instant.replace(tzinfo=zone)
