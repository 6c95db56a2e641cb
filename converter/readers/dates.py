"""Dates written out in feed items: "Fri, 28 Aug 2020 08:25:28 GMT", "2020-08-20T01:08:48",
"09/08/2020 - 03:05", "Oct 31st 2020", "2020年10月29日".

A feed often starts an item's body with its publication time, in whatever shape its CMS
writes dates. :func:`parse_stamp` reads a text that is nothing but such a date; a stamp that
repeats the publication time (:func:`repeats`) is metadata, not article text. Only short
texts are read (``MAX_STAMP`` characters), so the patterns never run on a long one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..patterns import lazy_compile

#: Texts longer than this are not dates.
MAX_STAMP = 64
#: How far a stamp with a time may be from the publication time: a feed may write the time
#: in any zone, and a stamp may be the update time.
TOLERANCE = dt.timedelta(hours=36)
#: How far a date alone may be from the publication date: time zones, and a weekly's issue
#: date, which follows its publication online by a few days.
DATE_TOLERANCE = dt.timedelta(days=3)

_MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
_TIME = r"(?:,?\s*(?:at\s+)?(\d{1,2})[:：](\d\d)(?::\d\d(?:\.\d{1,9})?)?\s*(?:z|gmt|utc|[+-]\d\d:?\d\d)?)?"
#: Each pattern with the order of its day, month and year; ``M``, a month written as a name.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Fri, 28 Aug 2020 08:25:28 GMT
    (lazy_compile(r"(?:[a-z]{3,9},?\s+)?(\d{1,2})\s+" + _MONTH + r",?\s+(\d{4})" + _TIME), "dMy"),
    # Oct 31st 2020, October 31, 2020 10:00
    (lazy_compile(r"(?:[a-z]{3,9},?\s+)?" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME), "Mdy"),
    # 2020-08-20T01:08:48Z, 2020-12-11 14:02:26, 2020/08/20 01:08
    (lazy_compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:t|\s+)?" + _TIME), "ymd"),
    # 09/08/2020 - 03:05 (day first, or month first when the day would be past 12)
    (lazy_compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:\s*-\s*|\s+)?" + _TIME), "dmy"),
    # 2020年10月29日 08:25
    (lazy_compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日" + _TIME), "ymd"),
]


@dataclass(frozen=True, slots=True)
class Stamp:
    """A date read from a text; ``has_time`` when the text gave the time of day too."""

    when: dt.datetime
    has_time: bool


def parse_stamp(text: str) -> Stamp | None:
    """The date ``text`` consists of (white space aside), read as UTC; ``None`` otherwise."""
    text = text.strip().lower()
    if not text or len(text) > MAX_STAMP or not text[:1].isalnum() or not _may_be_date(text):
        return None
    named = any(month in text for month in _MONTH_NAMES)
    for pattern, order in _PATTERNS:
        if "M" in order and not named:
            continue
        match = pattern.fullmatch(text)
        if match:
            return _stamp(match.groups(), order)
    return None


def _may_be_date(text: str) -> bool:
    """Whether ``text`` has the four digits of a year, which every pattern needs: most short
    texts have not, and are then turned away without compiling or trying a pattern."""
    return sum(map(str.isdigit, text)) >= 4


def _stamp(groups: tuple[str | None, ...], order: str) -> Stamp | None:
    a, b, c, hour, minute = groups
    if order == "dMy":
        day, month, year = int(a or 0), _MONTHS[(b or "")[:3]], int(c or 0)
    elif order == "Mdy":
        month, day, year = _MONTHS[(a or "")[:3]], int(b or 0), int(c or 0)
    elif order == "ymd":
        year, month, day = int(a or 0), int(b or 0), int(c or 0)
    else:
        day, month, year = int(a or 0), int(b or 0), int(c or 0)
        if month > 12 >= day:
            day, month = month, day
    try:
        when = dt.datetime(year, month, day, int(hour or 0), int(minute or 0), tzinfo=dt.timezone.utc)
    except ValueError:
        return None
    return Stamp(when, hour is not None)


def repeats(stamp: Stamp, published: dt.datetime) -> bool:
    """Whether a stamp says the same as the publication time: the same moment within
    ``TOLERANCE``, or, for a date alone, a date within ``DATE_TOLERANCE``."""
    if stamp.has_time:
        return abs(stamp.when - published) <= TOLERANCE
    return abs(stamp.when.date() - published.date()) <= DATE_TOLERANCE
