"""A deadline on the day a date field holds (`deadline: {until: FIELD}`): the end of that day
in the workflow's zone, none while the field is empty, a clear error for a value that is not
a date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from banli.engine.due_dates import OnDate

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("value, expected", [
    ("2026-12-31", datetime(2027, 1, 1, 0, 0, tzinfo=SHANGHAI)),
    ("2026-02-28", datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI)),
    (None, None), ("", None),
], ids=["year-end", "month-end", "unset", "empty"])
def test_the_deadline_is_the_end_of_the_promised_day(value, expected):
    assert OnDate(field="promised_by").at({"promised_by": value}, SHANGHAI) == expected


def test_a_value_that_is_not_a_date_is_named():
    with pytest.raises(ValueError, match="field 'promised_by', whose value '年底前' is not a date such as 2025-12-31"):
        OnDate(field="promised_by").at({"promised_by": "年底前"}, SHANGHAI)


def test_a_paused_span_moves_it_by_calendar_days():
    assert OnDate(field="promised_by").unit == "days"
