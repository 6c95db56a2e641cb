"""CJK-aware line wrapping, shared by the writers that produce wrapped text.

:mod:`textwrap` does not fit: it counts code points rather than terminal columns, breaks
only at spaces (so a Chinese paragraph is one unbreakable "word") and knows nothing of
kinsoku, the CJK rule that closing punctuation never starts a line and opening punctuation
never ends one.

The model: a line of text is cut into *units* that must stay whole (a Latin word, number
or URL; one CJK character; punctuation glued to its neighbour; a number with the unit
written after it, ``2020年``). Between two units there is either a space, which disappears
when the line breaks there, or nothing, because a break between CJK characters adds no
space. The break opportunities follow UAX #14 (Unicode line breaking) where it matters for
Chinese and Japanese text: at spaces, around every wide character (an ideograph and a
Latin word or number written next to it may part: ``AI`` | ``模型``), never inside a
narrow run (a word, a number, a URL up to the next space), and not where kinsoku or a
number and its unit forbid it. So no line is wider than the width unless it is one unit.
Lines are filled greedily: each ends at the last break opportunity that fits, found by
measuring the line's width and looking back from where it runs out, so wrapping is linear in
the length of the text and looks at the properties of a few characters per line. Character
properties come from :mod:`unicodedata` (East Asian Width: Wide and Fullwidth are two
columns, Ambiguous is one), cached per distinct character.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left, bisect_right
from itertools import accumulate

from .patterns import lazy_compile

#: Characters that must not begin a line: closing brackets and quotes, clause and sentence
#: punctuation, ellipsis and dash, iteration marks and small kana. The ASCII straight quotes
#: are left out because they do not say whether they open or close.
NO_LINE_START = frozenset(
    ")]},.;:!?%"
    "，。、；：？！」』）》〉】〕〗〙〛｝］｠｣”’…‥—％・·﹐﹑﹒﹔﹕﹖﹗｡､．"
    "ー々ゝゞヽヾ〻ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ"
)

#: Characters that must not end a line: opening brackets and quotes.
NO_LINE_END = frozenset("([{「『（《〈【〔〖〘〚“‘［｛｟｢")

#: Units that stay with the number written straight before them (``9月``, ``2020年``,
#: ``30万``, ``3人``): dates and times, ages, magnitudes, money, degrees and the commonest
#: counters. UAX #14 keeps only postfix signs (``%``, ``℃``) with a number; a Chinese reader
#: also expects a date or an amount not to be cut from its unit. One character each:
#: ``2020年`` | ``9月`` may still part.
NUMERIC_UNITS = frozenset(
    "年月日号號时時点點分秒周週天岁歲"
    "十百千万萬亿億兆元圆圓块塊角"
    "度℃℉‰％个個人名位次倍件家条條只种種"
)
#: Units of magnitude, which also stay with the digits written after them: ``8萬4871`` is one
#: number.
MAGNITUDES = frozenset("十百千万萬亿億兆")
#: Signs that stay with the number written straight after them (UAX #14's prefix numeric
#: class, in its wide forms: the narrow ones are never parted from a number anyway).
NUMERIC_PREFIXES = frozenset("￥＄￡￠￦")

# Per-character properties packed into one int: the column count (0, 1 or 2) in the two
# low bits, so ``bits & _WIDE`` tests for a wide character, plus the two kinsoku flags.
_WIDE = 2
_GLUE_BEFORE = 4  # no break before this character
_GLUE_AFTER = 8  # no break after this character
_WIDTH_BITS = 3
_DIGIT = 16  # a decimal digit
_UNIT = 32  # one of NUMERIC_UNITS
_PREFIX = 64  # one of NUMERIC_PREFIXES or MAGNITUDES: glued to a digit after it


def _properties(ch: str) -> int:
    """Width and break flags of one character.

    Combining marks stay with the character before them; format characters such as the
    zero width joiner also hold on to the one after (emoji sequences must not split).
    """
    category = unicodedata.category(ch)
    if category in ("Mn", "Me"):
        return _GLUE_BEFORE
    if category == "Cf":
        return _GLUE_BEFORE | _GLUE_AFTER
    bits = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    if ch.isdecimal():
        bits |= _DIGIT
    if ch in NUMERIC_UNITS:
        bits |= _UNIT
    if ch in NUMERIC_PREFIXES or ch in MAGNITUDES:
        bits |= _PREFIX
    if ch in NO_LINE_START:
        bits |= _GLUE_BEFORE
    if ch in NO_LINE_END:
        bits |= _GLUE_AFTER
    return bits


class _PropertyCache(dict[str, int]):
    """``cache[ch]`` is ``_properties(ch)``, computed once per distinct character."""

    def __missing__(self, ch: str) -> int:
        value = self[ch] = _properties(ch)
        return value


_PROPS = _PropertyCache()


class _WidthCache(dict[str, int]):
    """``cache[ch]`` is the column count of ``ch``, for summing widths at C speed."""

    def __missing__(self, ch: str) -> int:
        value = self[ch] = _PROPS[ch] & _WIDTH_BITS
        return value


_WIDTHS = _WidthCache()


def char_width(ch: str) -> int:
    """Terminal columns taken by one character: 2 for East Asian Wide/Fullwidth, 0 for
    combining and format marks, 1 otherwise (Ambiguous included)."""
    return _PROPS[ch] & _WIDTH_BITS


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (which should hold no control characters)."""
    if text.isascii():
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


# ---------------------------------------------------------------------------- wrapping


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` columns; ``"\\n".join`` gives the wrapped text.

    ``\\n`` forces a line break; any other whitespace run is one breakable space, and no
    line begins or ends with a space. A unit wider than ``width`` (a long URL) gets a line
    of its own instead of being cut. ``width <= 0`` turns wrapping off: one line per
    ``\\n``-separated part. An empty part gives an empty line, so ``wrap("", w) == [""]``.
    """
    parts = [" ".join(part.split()) for part in text.split("\n")]
    if width <= 0:
        return parts
    return [line for part in parts for line in _fill(part, width)]


def _numeric_pair(before: int, after: int) -> bool:
    """Whether two characters (their properties) belong to one number: digits, a digit and
    the unit after it (``2020年``), a currency sign or a unit of magnitude and the digit
    after it (``￥5``, ``8萬4871``)."""
    return bool((before & _DIGIT and after & (_DIGIT | _UNIT)) or (before & _PREFIX and after & _DIGIT))


def _url_start(word: str) -> int:
    """Where the URL in ``word`` begins (its scheme), or ``len(word)`` when there is none."""
    at = word.find("://")
    if at <= 0:
        return len(word)
    while at and ((word[at - 1].isascii() and word[at - 1].isalnum()) or word[at - 1] in "+.-"):
        at -= 1
    return at


def _fill(line: str, limit: int) -> list[str]:
    """Greedy filling of one normalised line (words one space apart): each line ends at the
    last break opportunity that keeps it within ``limit`` columns, or, when the unit it
    starts with is wider than that, at the first opportunity after it.

    This is the same as placing the units one by one, each on the current line if it fits,
    but it looks only at the characters around each line's end instead of at every unit.
    """
    lines: list[str] = []
    urls = _url_spans(line)
    start, n = 0, len(line)
    while (end := _fitting_end(line, start, limit)) < n:
        at = _last_break(line, start, end, urls) or _next_break(line, end + 1, urls)
        if at == n:
            break
        lines.append(line[start:at])
        start = at + 1 if line[at] == " " else at
    lines.append(line[start:])
    return lines


def _fitting_end(line: str, start: int, limit: int) -> int:
    """The largest ``end`` such that ``line[start:end]`` is at most ``limit`` columns wide."""
    room = limit
    while start < len(line):
        chunk = line[start:start + room + 1]
        if chunk.isascii():
            return start + min(len(chunk), room)
        # Sum widths a piece at a time, as few characters as could still overflow the room
        # (half of it if all are wide), so that a line is measured about once.
        chunk = chunk[:room // 2 + 1]
        widths = list(accumulate(map(_WIDTHS.__getitem__, chunk)))
        fits = bisect_right(widths, room)
        if fits < len(chunk):
            return start + fits
        start, room = start + fits, room - widths[-1]
    return len(line)


def _last_break(line: str, start: int, end: int, urls: list[tuple[int, int]]) -> int:
    """The last break opportunity in ``line[start + 1:end + 1]``, or 0 when there is none."""
    for at in range(end, start, -1):
        if _breaks_at(line, at, urls):
            return at
    return 0


def _next_break(line: str, at: int, urls: list[tuple[int, int]]) -> int:
    """The first break opportunity at or after ``at``, or ``len(line)`` when there is none.

    Only places next to a space or a character beyond ASCII can be one, and none inside a
    URL, so a long word or URL is passed over at once.
    """
    n = len(line)
    while at < n:
        end = _url_end(urls, at) if urls else 0
        if end:
            at = end
        elif _breaks_at(line, at, urls):
            return at
        elif line[at].isascii():
            found = _SPACE_OR_BEYOND_ASCII.search(line, at + 1)
            at = found.start() if found is not None else n
        else:
            at += 1
    return n


_SPACE_OR_BEYOND_ASCII = lazy_compile("[^!-~]")


def _breaks_at(line: str, at: int, urls: list[tuple[int, int]]) -> bool:
    """Whether a line may end right before ``line[at]`` (a space there is then dropped).

    At a space, unless kinsoku glues the words around it; right after a space, never (the
    break is at the space); inside a word, by :func:`_may_break`, and nowhere in a URL
    (from its scheme to the next space).
    """
    props = _PROPS
    ch, before = line[at], line[at - 1]
    if ch == " ":
        return not (props[before] & _GLUE_AFTER or props[line[at + 1]] & _GLUE_BEFORE)
    if before == " " or not _may_break(props[before], props[ch]):
        return False
    return not (urls and _url_end(urls, at))


def _may_break(before: int, after: int) -> bool:
    """Whether a word may break between two characters (their properties): around a wide
    character, unless kinsoku or :func:`_numeric_pair` forbids it."""
    return bool((before | after) & _WIDE
                and not (before & _GLUE_AFTER or after & _GLUE_BEFORE or _numeric_pair(before, after)))


def _url_spans(line: str) -> list[tuple[int, int]]:
    """Where the URLs of ``line`` are, in order: the start of each one's scheme, and the end
    of its word (found once per line: looking back for the word's start at every break
    would cost the length of a text without spaces, at every line)."""
    spans: list[tuple[int, int]] = []
    at = line.find("://")
    while at >= 0:
        first = line.rfind(" ", 0, at) + 1
        last = line.find(" ", at)
        last = len(line) if last < 0 else last
        url = _url_start(line[first:last])
        if url < last - first:
            spans.append((first + url, last))
        at = line.find("://", last)
    return spans


def _url_end(urls: list[tuple[int, int]], at: int) -> int:
    """Where the URL ends that ``line[at]`` is inside (after the start of its scheme, in the
    same word), or 0 when it is in none of ``urls`` (:func:`_url_spans`)."""
    k = bisect_left(urls, (at,)) - 1
    return urls[k][1] if k >= 0 and at < urls[k][1] else 0
