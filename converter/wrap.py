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
Lines are filled greedily, so wrapping is linear in the length of the text. Character
properties come from :mod:`unicodedata` (East Asian Width: Wide and Fullwidth are two
columns, Ambiguous is one), cached per distinct character.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterator

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


def char_width(ch: str) -> int:
    """Terminal columns taken by one character: 2 for East Asian Wide/Fullwidth, 0 for
    combining and format marks, 1 otherwise (Ambiguous included)."""
    return _PROPS[ch] & _WIDTH_BITS


def display_width(text: str) -> int:
    """Terminal columns taken by ``text`` (which should hold no control characters)."""
    if text.isascii():
        return len(text)
    props = _PROPS
    return sum(props[ch] & _WIDTH_BITS for ch in text)


# ---------------------------------------------------------------------------- wrapping


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` columns; ``"\\n".join`` gives the wrapped text.

    ``\\n`` forces a line break; any other whitespace run is one breakable space, and no
    line begins or ends with a space. A unit wider than ``width`` (a long URL) gets a line
    of its own instead of being cut. ``width <= 0`` turns wrapping off: one line per
    ``\\n``-separated part. An empty part gives an empty line, so ``wrap("", w) == [""]``.
    """
    limit = width if width > 0 else sys.maxsize
    lines: list[str] = []
    for part in text.split("\n"):
        lines.extend(_fill(_units(part), limit))
    return lines


def _units(line: str) -> Iterator[tuple[str, str, int]]:
    """``(separator, text, width)`` for each unbreakable unit of ``line``, in order.

    The separator (``" "`` or ``""``) goes between the unit and the one before it when
    both land on the same line. A space next to kinsoku punctuation is not a break
    opportunity, so it stays inside the unit. Inside a word, a break falls before and after
    each wide character, except where kinsoku or :func:`_numeric_pair` forbids it, and
    nowhere in a URL (from its scheme to the next space).
    """
    props = _PROPS
    parts: list[str] = []  # pieces of the unit being built
    width = 0
    sep = ""
    last = 0  # properties of the character before the current one
    for word in line.split():
        if parts:
            if last & _GLUE_AFTER or props[word[0]] & _GLUE_BEFORE:
                parts.append(" ")
                width += 1
            else:
                yield sep, "".join(parts), width
                parts, width, sep = [], 0, " "
        if word.isascii():  # no wide characters, hence no break inside
            parts.append(word)
            width += len(word)
            last = props[word[-1]]
            continue
        start = 0
        url = _url_start(word)
        for i, ch in enumerate(word):
            bits = props[ch]
            if (i and (last | bits) & _WIDE and i <= url
                    and not (last & _GLUE_AFTER or bits & _GLUE_BEFORE or _numeric_pair(last, bits))):
                if parts:  # rare: the unit began in an earlier word; usually a plain slice
                    parts.append(word[start:i])
                    yield sep, "".join(parts), width
                    parts = []
                else:
                    yield sep, word[start:i], width
                width, sep, start = 0, "", i
            width += bits & _WIDTH_BITS
            last = bits
        parts.append(word[start:])
    if parts:
        yield sep, "".join(parts), width


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


def _fill(units: Iterator[tuple[str, str, int]], limit: int) -> list[str]:
    """Greedy filling: each unit goes on the current line if it fits, else starts a new one."""
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for sep, text, width in units:
        if not line:
            line, used = [text], width
        elif used + len(sep) + width <= limit:
            line += (sep, text)
            used += len(sep) + width
        else:
            lines.append("".join(line))
            line, used = [text], width
    lines.append("".join(line))
    return lines
