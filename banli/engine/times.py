"""Instants as banli writes them: UTC text for what the database compares, local ISO text
(with its offset) for what the trace hashes, and `--at` / `--as-of` parsing."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from banli.errors import InvalidInput

# The zone a definition without `timezone:` uses, and the one the front-ends read dates in
# before they know a definition: the one place that names it.
DEFAULT_ZONE_NAME = "Asia/Shanghai"
DEFAULT_ZONE = ZoneInfo(DEFAULT_ZONE_NAME)


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
    """An ISO 8601 date or date-time; without an offset it is read in `zone`. A date is its 00:00."""
    try:
        if len(text.strip()) == 10:
            return datetime.combine(date.fromisoformat(text.strip()), time(0), tzinfo=zone)
        instant = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{option} {text!r} is not a date or date-time; write e.g. 2023-05-10 or 2023-05-10T09:30") from exc
    return instant if instant.tzinfo else instant.replace(tzinfo=zone)
