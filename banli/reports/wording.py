"""How a report says its figures in the reader's language: whole percents and rates as the
seed report prints them (92%, 97.97%), dates, session names (人大十六届一次会议 / the 1st
session of the 16th People's Congress), and sentences one after another."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from banli.i18n import CHINESE, _, language

ORDINALS = "一二三四五六七八九十"


def whole_percent(part: int, whole: int) -> str:
    """The seed's way: 139 of 151 → "92%" (half up)."""
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


def rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def chinese_number(number: int) -> str:
    if number <= 10:
        return "零一二三四五六七八九十"[number]
    tens, ones = divmod(number, 10)
    if number < 100:
        return ("" if tens == 1 else "零一二三四五六七八九"[tens]) + "十" + ("" if not ones else "零一二三四五六七八九"[ones])
    return str(number)


def english_ordinal(number: int) -> str:
    """1 → 1st, 2 → 2nd, 11 → 11th, 23 → 23rd."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def session_name(session: str) -> str:
    """"16-1" (congress 16, session 1) → 人大十六届一次会议 (in English: the 1st session of the
    16th People's Congress)."""
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", session.strip())
    if match:
        number = chinese_number if language() == CHINESE else english_ordinal  # 十六届, 16th
        return _("the {session} session of the {congress} People's Congress").format(
            congress=number(int(match[1])), session=number(int(match[2])))
    return _("session {session}").format(session=session)


def day_text(day: date) -> str:
    return _("{year}-{month:02d}-{day:02d}").format(year=day.year, month=day.month, day=day.day)


def ordinal(index: int) -> str:
    return ORDINALS[index] if index < len(ORDINALS) else str(index + 1)


def sentences(*texts: str) -> str:
    """Sentences one after the other: in Chinese without a space between them, in English with one."""
    joined = ""
    for text in texts:
        if text:
            joined = _("{text} {more}").format(text=joined, more=text) if joined else text
    return joined
