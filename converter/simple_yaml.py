"""YAML front matter in its common shapes without PyYAML: exactly what PyYAML would write or
read, or ``None``, which leaves the document to PyYAML.

Front matter is nearly always a map of strings, dates and lists of strings (a Jekyll archive's
``title: "…"``, ``date: 2020-08-03T23:58:02.000Z``, ``tags: [ … ]``). PyYAML's constructors and
representers are Python and cost more than the rest of a short document's header or Markdown,
and importing PyYAML costs ~10 ms at the start of a one-file conversion (its reader compiles a
pattern of every printable character). Those shapes are handled here; tests compare both sides
with PyYAML (and libyaml) on generated data.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .patterns import lazy_compile

#: Characters a plain scalar may not hold: those YAML escapes or breaks lines at, and astral
#: characters (which libyaml escapes).
_NOT_PLAIN = "\x00-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff\u2028\u2029\U00010000-\U0010ffff"
#: What a plain scalar cannot start with: YAML's indicators (``?``, ``:`` and ``-`` only before
#: a space, but taken as indicators always), and the first characters of what YAML reads as a
#: number, a date, null or a merge key. A digit may start a string that holds a non-ASCII
#: character, which none of those patterns (all ASCII) can match: "2020年…".
_NOT_PLAIN_FIRST = re.escape("#,[]{}&*!|>'\"%@`?:-+.<=~0123456789")
#: Strings written and read as plain scalars: printable, no line break, no space or colon at
#: either end (with no ``: `` or `` #``, and not a word of :data:`_WORDS`: see :func:`is_plain`).
_PLAIN = lazy_compile(f"(?:[^\\s{_NOT_PLAIN_FIRST}{_NOT_PLAIN}]|[0-9](?=.*[^\\x00-\\x7f]))"
                      f"(?:[^{_NOT_PLAIN}]*[^\\s:{_NOT_PLAIN}])?")
#: Plain words YAML 1.1 reads as booleans or null.
_WORDS = frozenset(["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                    "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"])
#: A timestamp as front matter and ``format_datetime`` write it: YAML reads it as a date (a
#: ``datetime``), so it is written quoted and read here as PyYAML reads it.
_TIMESTAMP = lazy_compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
                          r"(?:(Z)|([-+])([0-9]{2}):([0-9]{2}))")
#: The longest key handled here, in UTF-8 bytes: both emitters write a longer one as ``? key``
#: (PyYAML's from 123 characters, libyaml's from 129 bytes).
_LONGEST_KEY = 122


def is_plain(text: str) -> bool:
    """Whether PyYAML writes ``text`` as a plain scalar in block context, and reads it back as
    this string."""
    return _PLAIN.fullmatch(text) is not None and ": " not in text and " #" not in text and text not in _WORDS


def _simple_key(key: object) -> bool:
    """A key written and read here: a plain string short enough to stand before ``": "``."""
    return isinstance(key, str) and is_plain(key) and len(key.encode("utf-8")) <= _LONGEST_KEY


# ---------------------------------------------------------------------------- writing


def dump(data: dict[str, Any]) -> str | None:
    """What ``yaml.dump(data, allow_unicode=True, sort_keys=False, default_flow_style=False)``
    makes of a map of strings and lists of strings when all are plain (or dates, which it
    single-quotes), else None."""
    lines = []
    for key, value in data.items():
        if not _simple_key(key):
            return None
        if isinstance(value, str):
            if is_plain(value):
                lines.append(f"{key}: {value}")
            elif _TIMESTAMP.fullmatch(value):
                lines.append(f"{key}: '{value}'")
            else:
                return None
        elif isinstance(value, list) and value and all(isinstance(v, str) and is_plain(v) for v in value):
            lines.append(f"{key}:")
            lines.extend(f"- {v}" for v in value)
        else:
            return None
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- reading

#: Characters that send a source to PyYAML: what it refuses or escapes, YAML's other line
#: breaks (NEL, U+2028/9), tabs and carriage returns, astral characters. (Listed, not as the
#: complement of what is let through: ``re`` compiles a range by visiting each of its code
#: points, ~6 ms for the complement.)
_UNSAFE = lazy_compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
                       "\U00010000-\U0010ffff]")
#: What ends a plain item of a flow list, or may: the flow indicators, ``?`` and ``:``.
_FLOW = frozenset("[]{},?:")


class _NotSimple(Exception):
    """A value this module does not read: the source goes to PyYAML."""


def load(source: str) -> dict[str, Any] | None:
    """What ``yaml.safe_load(source)`` reads from ``key: value`` lines, each value a plain,
    double- or single-quoted string, a timestamp, or a flow list of plain strings (``[ a, b ]``);
    None for any other source (or an empty one)."""
    if _UNSAFE.search(source) is not None:
        return None
    data: dict[str, Any] = {}
    try:
        for line in source.split("\n"):
            if not line:
                continue
            key, separator, value = line.partition(": ")
            if not separator or not _simple_key(key):
                return None
            data[key] = _value(value)
    except _NotSimple:
        return None
    return data or None


def _value(text: str) -> Any:
    """The value of a ``key: value`` line (its text after ``": "``)."""
    first = text[:1]
    if first == '"':
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inner or "\\" in inner:
            raise _NotSimple
        return inner
    if first == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotSimple
        return inner.replace("''", "'")
    if first == "[":
        return _flow_list(text)
    stamp = _TIMESTAMP.fullmatch(text)
    if stamp is not None:
        return _timestamp(stamp)
    if is_plain(text):
        return text
    raise _NotSimple


def _flow_list(text: str) -> list[str]:
    """``[ a, b ]`` of plain strings."""
    if text[-1] != "]":
        raise _NotSimple
    inner = text[1:-1]
    if not inner.strip(" "):
        return []
    items = [item.strip(" ") for item in inner.split(",")]
    if not all(item and is_plain(item) and _FLOW.isdisjoint(item) for item in items):
        raise _NotSimple
    return items


def _timestamp(match: re.Match[str]) -> dt.datetime:
    """The ``datetime`` PyYAML makes of a timestamp: microseconds from the first six digits of
    the fraction, UTC for ``Z``, a fixed offset otherwise."""
    year, month, day, hour, minute, second, fraction, utc, sign, tz_hour, tz_minute = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        tzinfo = dt.timezone.utc
        if not utc:
            offset = dt.timedelta(hours=int(tz_hour), minutes=int(tz_minute))
            tzinfo = dt.timezone(-offset if sign == "-" else offset)
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tzinfo)
    except ValueError:  # month 13, an offset of a day or more: PyYAML raises, and says so
        raise _NotSimple from None
