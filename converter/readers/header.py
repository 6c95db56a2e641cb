"""Split a feed-HTML document into front matter, header and body HTML.

::

    ---                       optional YAML front matter (Jekyll archives)
    title: "…"
    ---
    <!--1738414025000-->      publication time, epoch milliseconds or seconds
    [Title [with brackets]](https://source.example/article)
    ------                    setext underline (--- or ===)
    <body html>
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import simple_yaml
from ..chars import one_line
from ..patterns import lazy_compile

#: Front matter larger than this is not front matter we want to parse (and is kept as body).
MAX_FRONT_MATTER = 64 * 1024
#: Front matter nested deeper than this (lists in maps in lists …) is ignored: real front matter
#: nests two or three levels, and everything that handles metadata recurses through it.
MAX_FRONT_MATTER_DEPTH = 32

_FRONT_MATTER = lazy_compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_STAMP = lazy_compile(r"\A\s*<!--\s*(\d{1,30})\s*-->[ \t]*\n?")  # implausible stamps give no date
#: What comes before the title's ``[``: white space, and at most one line break. (The line
#: break is not optional between two runs of the same white space, which would make refusing
#: a long run quadratic.)
_TITLE_START = lazy_compile(r"[ \t]*(?:\n[ \t]*)?\[")
#: The setext underline below the title line.
_UNDERLINE = lazy_compile(r"[ \t]*(?:-{3,}|={3,})[ \t]*(?:\n|\Z)")
_WHITE_SPACE = lazy_compile(r"\s")
#: A decimal character reference of eight digits or more: with its leading zeros it may be
#: longer than ``int()`` takes; without them, if still eight digits long, it is beyond Unicode.
_LONG_DECIMAL_REFERENCE = lazy_compile(r"&#([0-9]{8,})")
#: Earliest and latest plausible publication times; outside them a stamp is an error.
_EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.timezone.utc)
_LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(slots=True)
class Parts:
    """The pieces of a document before its HTML is read."""

    front_matter: dict[str, Any] = field(default_factory=dict)
    title: str = ""
    url: str = ""
    published: dt.datetime | None = None
    body: str = ""
    has_header: bool = False


@cache
def _loaders() -> tuple[Any, Any]:
    """PyYAML's loaders for front matter: one that refuses anchors and aliases (so no "billion
    laughs" expansion), and libyaml's safe loader where there is one. PyYAML is imported here,
    when a document has front matter, not by every command."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases are not allowed in front matter",
                                                  event.start_mark)
            return super().compose_node(parent, index)

    return NoAliasLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def split(text: str) -> Parts:
    """Split ``text`` (already decoded) into its parts. Never raises for odd input."""
    parts = Parts()
    rest = text.lstrip("\ufeff")
    match = _FRONT_MATTER.match(rest)
    if match and match.end() <= MAX_FRONT_MATTER:
        parts.front_matter = parse_front_matter(match.group(1) or "")
        rest = rest[match.end():]
    stamp = _STAMP.match(rest)
    if stamp:
        parts.published = epoch_to_datetime(stamp.group(1))
        rest = rest[stamp.end():]
    title = title_line(rest)
    if title:
        raw_title, url, end = title
        parts.title = one_line(unescape(raw_title))
        parts.url = url.strip()
        parts.has_header = True
        rest = rest[end:]
    parts.body = rest
    return parts


def title_line(text: str) -> tuple[str, str, int] | None:
    """The ``[title](url)`` line and its setext underline at the start of ``text`` (after at
    most one line break): the title as written, the URL, and where the underline ends.

    The title may hold brackets and ``](``: it runs to the last ``](`` of its line, and the URL,
    which holds no white space, from there to the ``)`` that ends the line (spaces and tabs
    aside). Found with string searches, not with one regular expression, which would try each
    ``](`` against each character after it: quadratic in the length of the line.
    """
    start = _TITLE_START.match(text)
    if start is None:
        return None
    line_end = text.find("\n", start.end())
    underline = _UNDERLINE.match(text, line_end + 1) if line_end >= 0 else None
    if underline is None:
        return None
    line = text[start.end():line_end].rstrip(" \t")
    middle = line.rfind("](", 0, len(line) - 1)
    if not line.endswith(")") or middle < 0:
        return None
    url = line[middle + 2:-1]
    if _WHITE_SPACE.search(url):
        return None
    return line[:middle], url, underline.end()


def unescape(text: str) -> str:
    """``html.unescape``, also where a decimal character reference has more digits than
    ``int()`` takes (4,300): it is read without its leading zeros, and a number beyond Unicode
    gives U+FFFD, however long."""
    if "&" not in text:  # most titles: html (its table of entities) is then not imported
        return text
    import html

    return html.unescape(_LONG_DECIMAL_REFERENCE.sub(_shortened_reference, text))


def _shortened_reference(match: re.Match[str]) -> str:
    digits = match.group(1).lstrip("0") or "0"
    return f"&#{0x110000}" if len(digits) > 7 else "&#" + digits


def parse_front_matter(source: str) -> dict[str, Any]:
    """YAML front matter as a dict; broken or hostile YAML warns and gives ``{}``. The common
    shapes are read without PyYAML (:mod:`converter.simple_yaml`)."""
    simple = simple_yaml.load(source)
    if simple is not None:
        return simple
    import yaml

    # libyaml is much faster; it is only safe from alias bombs when there can be no aliases.
    no_alias, fast = _loaders()
    loader = no_alias if ("&" in source or "*" in source) else fast
    try:
        data = yaml.load(source, Loader=loader)  # safe loaders only
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date PyYAML reads but cannot make (month 13)
        warnings.warn(f"front matter ignored: {' '.join(str(exc).split())}", stacklevel=3)
        return {}
    except RecursionError:
        data = _TOO_DEEP
    if data is _TOO_DEEP or (isinstance(data, dict) and nesting_depth(data) > MAX_FRONT_MATTER_DEPTH):
        warnings.warn(f"front matter ignored: nested more than {MAX_FRONT_MATTER_DEPTH} levels deep",
                      stacklevel=3)
        return {}
    return data if isinstance(data, dict) else {}


_TOO_DEEP = object()


def nesting_depth(data: Any) -> int:
    """How deeply lists and maps nest in ``data``, found without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            values: Any = value.values()
        elif isinstance(value, (list, tuple, set)):
            values = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_FRONT_MATTER_DEPTH:
            break
        stack.extend((v, depth + 1) for v in values)
    return deepest


def epoch_to_datetime(digits: str) -> dt.datetime | None:
    """``<!--…-->`` stamp to aware UTC; 13 digits are milliseconds, fewer are seconds."""
    value = int(digits)
    seconds = value / 1000 if len(digits) >= 12 else value
    try:
        stamp = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return stamp if _EARLIEST <= stamp < _LATEST else None
