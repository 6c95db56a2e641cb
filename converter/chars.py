"""Character rules that the readers and the writers share, each defined once.

* **Control characters**: which the reader drops as it reads, and which a URL may not hold.
* **CJK spacing**: which characters belong to scripts written without spaces between words,
  so that a line break between two of them disappears instead of becoming a space.
* **White space**: how runs of it collapse, as HTML shows them (the reader) and as plain text
  shows them (the text writer), and a string made one line.

What XML forbids and how to escape for it are the markup writers' rules
(:mod:`converter.writers.markup`); how many columns a character takes is the wrapper's
(:mod:`converter.wrap`): Hangul is two columns wide, yet Korean separates its words with spaces.
"""

from __future__ import annotations

import re

from .patterns import lazy_compile

# ---------------------------------------------------------------------------- control characters

#: Every control character (general category Cc): C0, DEL and C1.
CONTROLS = "".join(map(chr, [*range(0x20), 0x7F, *range(0x80, 0xA0)]))
#: The control characters text keeps: tab, line feed and carriage return are white space in
#: every format, and XML allows them.
TEXT_CONTROLS = "\t\n\r"
#: Control characters that separate words (vertical tab, form feed, next line): read as a space.
SPACING_CONTROLS = "\v\f\x85"
#: What the reader drops: the control characters but ``TEXT_CONTROLS`` (no format can hold
#: them, and in a terminal they are commands: ESC …) and the non-characters U+FFFE/U+FFFF,
#: which mark byte-order mix-ups, never text.
_UNWANTED = lazy_compile("[" + "".join(c for c in CONTROLS if c not in TEXT_CONTROLS) + "\ufffe\uffff]")
#: Characters no writer could encode or hand on: lone surrogates (only in text handed over as
#: ``str``) and NUL (XML and C strings refuse it).
_UNENCODABLE = lazy_compile("[\ud800-\udfff\x00]")
_ALL_CONTROLS = lazy_compile(f"[{CONTROLS}]+")


def drop_controls(text: str) -> str:
    """``text`` without the characters the reader drops; ``SPACING_CONTROLS`` become spaces."""
    if _UNWANTED.search(text) is None:  # nearly always: one scan, no copy
        return text
    return _UNWANTED.sub(_unwanted_replacement, text)


def _unwanted_replacement(match: re.Match[str]) -> str:
    return " " if match.group() in SPACING_CONTROLS else ""


def replace_unencodable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD."""
    return _UNENCODABLE.sub("\ufffd", text)


def clean_input_text(text: str) -> str:
    """``text`` as the reader keeps any text it takes in (the body, front-matter values, JSON
    strings): NUL and lone surrogates as U+FFFD, without the control characters it drops."""
    return drop_controls(replace_unencodable(text))


def drop_all_controls(text: str) -> str:
    """``text`` without any control character, tab and line feed included: a URL, which
    browsers read with its tabs and line breaks removed."""
    return _ALL_CONTROLS.sub("", text)


# ---------------------------------------------------------------------------- CJK spacing

#: The Unicode blocks of the scripts written without spaces between words (Han with its
#: radicals, strokes and extensions, kana, Bopomofo, Yi) and of the punctuation and forms
#: written with them, as ``(first, last, name)``. A line break between two of their characters
#: is no word space: HTML source wraps Chinese and Japanese text anywhere.
#:
#: This is the "space-discarding character set" of CSS Text (segment break transformation),
#: which browsers follow, with two blocks added because in Chinese text they stand inside
#: words: Bopomofo (注音) and Enclosed CJK Letters and Months (㈠, ㊣). Blocks, not East Asian
#: Width: emoji and many symbols are Wide, yet a line break between two of them separates
#: words. Hangul is left out, as in CSS: it is wide, but Korean separates its words with
#: spaces, and a line break in Korean source text stands where a space does (halfwidth
#: Hangul, U+FFA0–U+FFDC, is cut out of its block for the same reason). The whole
#: Supplementary and Tertiary Ideographic Planes count, extensions not yet encoded included.
SPACE_DISCARDING_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x2E80, 0x2EFF, "CJK Radicals Supplement"),
    (0x2F00, 0x2FDF, "Kangxi Radicals"),
    (0x2FF0, 0x2FFF, "Ideographic Description Characters"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3040, 0x309F, "Hiragana"),
    (0x30A0, 0x30FF, "Katakana"),
    (0x3100, 0x312F, "Bopomofo"),
    (0x3190, 0x319F, "Kanbun"),
    (0x31A0, 0x31BF, "Bopomofo Extended"),
    (0x31C0, 0x31EF, "CJK Strokes"),
    (0x31F0, 0x31FF, "Katakana Phonetic Extensions"),
    (0x3200, 0x32FF, "Enclosed CJK Letters and Months"),
    (0x3300, 0x33FF, "CJK Compatibility"),
    (0x3400, 0x4DBF, "CJK Unified Ideographs Extension A"),
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0xA000, 0xA48F, "Yi Syllables"),
    (0xA490, 0xA4CF, "Yi Radicals"),
    (0xF900, 0xFAFF, "CJK Compatibility Ideographs"),
    (0xFE10, 0xFE1F, "Vertical Forms"),
    (0xFE30, 0xFE4F, "CJK Compatibility Forms"),
    (0xFE50, 0xFE6F, "Small Form Variants"),
    (0xFF00, 0xFF9F, "Halfwidth and Fullwidth Forms: fullwidth forms, halfwidth katakana"),
    (0xFFE0, 0xFFEF, "Halfwidth and Fullwidth Forms: fullwidth signs, halfwidth symbols"),
    (0x1AFF0, 0x1AFFF, "Kana Extended-B"),
    (0x1B000, 0x1B0FF, "Kana Supplement"),
    (0x1B100, 0x1B12F, "Kana Extended-A"),
    (0x1B130, 0x1B16F, "Small Kana Extension"),
    (0x20000, 0x2FFFF, "Supplementary Ideographic Plane: CJK Extensions B-F and I, compatibility"),
    (0x30000, 0x3FFFF, "Tertiary Ideographic Plane: CJK Extensions G and H"),
)


def _ranges(blocks: tuple[tuple[int, int, str], ...]) -> list[tuple[int, int]]:
    """The blocks as sorted ranges, adjacent ones merged."""
    merged: list[tuple[int, int]] = []
    for first, last, _ in sorted(blocks):
        if merged and first == merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], last)
        else:
            merged.append((first, last))
    return merged


def _bitmap(ranges: list[tuple[int, int]]) -> bytes:
    """One byte per code point up to the last range: 1 inside a range, 0 outside."""
    table = bytearray(ranges[-1][1] + 1)
    for first, last in ranges:
        table[first:last + 1] = b"\x01" * (last + 1 - first)
    return bytes(table)


_SPACE_DISCARDING_RANGES = _ranges(SPACE_DISCARDING_BLOCKS)
_SPACE_DISCARDING = _bitmap(_SPACE_DISCARDING_RANGES)
_TABLE_END = len(_SPACE_DISCARDING)
#: The same set as a regular-expression character class (the text between ``[`` and ``]``).
SPACE_DISCARDING_CLASS = "".join(f"{chr(first)}-{chr(last)}" for first, last in _SPACE_DISCARDING_RANGES)


def is_space_discarding(ch: str) -> bool:
    """Whether ``ch`` (one character) belongs to ``SPACE_DISCARDING_BLOCKS``.

    A table lookup, as the writers ask it about the two sides of every line break they
    collapse; the reader's regular expression holds the same set as ``SPACE_DISCARDING_CLASS``.
    """
    code = ord(ch)
    return code < _TABLE_END and _SPACE_DISCARDING[code] == 1


def joins_without_space(before: str, after: str) -> bool:
    """Whether a line break between the characters ``before`` and ``after`` vanishes rather
    than becoming a space: both are space-discarding. ``""`` (no character: the edge of the
    text, code, an image) never joins."""
    return bool(before) and bool(after) and is_space_discarding(before) and is_space_discarding(after)


#: A line break, with the white space around it, between two space-discarding characters.
#: A match starts only right after such a character (the look-behind comes first), so a long
#: run of white space is not tried from each of its positions. Its two character classes take
#: ~2 ms to compile, which a document with no line break in its text does not pay.
_CJK_BREAK = lazy_compile(f"(?<=[{SPACE_DISCARDING_CLASS}])[ \\t\\r\\f]*\\n\\s*(?=[{SPACE_DISCARDING_CLASS}])")


def join_cjk_lines(text: str) -> str:
    """``text`` without the line breaks (and the white space around them) that stand between
    two space-discarding characters; all other white space is left as it is."""
    return _CJK_BREAK.sub("", text) if "\n" in text else text


# ---------------------------------------------------------------------------- white space

#: HTML's white space (ASCII's but vertical tab), which CommonMark collapses alike; any other
#: space (no-break, ideographic …) is text to them.
HTML_SPACE = " \t\n\r\f"
#: White space as feed HTML uses it: HTML's own, plus what publishers indent and pad with
#: (vertical tab, no-break space, zero-width space, a stray BOM). The reader collapses it all.
FEED_SPACE = HTML_SPACE + "\v\xa0\u200b\ufeff"
_FEED_SPACE_RUN = lazy_compile(f"[{FEED_SPACE}]+")


def collapse_html_space(text: str) -> str:
    """HTML white-space collapsing for one text node, as the reader does it: each run of
    ``FEED_SPACE`` becomes one space, or nothing where it holds a line break between two
    space-discarding characters.

    The ends are kept, since text nodes are joined into paragraphs afterwards: as a line
    feed when the run there holds a line break, else as one space. Only the join sees the
    character on the other side of an element boundary, so only it can tell whether that
    line break vanishes (pretty-printed ``因为\\n <span>\\n 中国``; see
    :func:`joins_across_gap`)."""
    if not text.strip(FEED_SPACE):  # the white space between tags, most text nodes of many feeds
        return ("\n" if "\n" in text else " ") if text else ""
    if text.isprintable() and "  " not in text:  # no white space but single spaces (all of
        return text                              # ``FEED_SPACE`` but " " are unprintable)
    collapsed = _FEED_SPACE_RUN.sub(" ", join_cjk_lines(text))
    if text[0] in FEED_SPACE and "\n" in text[:len(text) - len(text.lstrip(FEED_SPACE))]:
        collapsed = "\n" + collapsed[1:]
    if text[-1] in FEED_SPACE and "\n" in text[len(text.rstrip(FEED_SPACE)):]:
        collapsed = collapsed[:-1] + "\n"
    return collapsed


def joins_across_gap(before: str, gap: str, after: str) -> bool:
    """Whether white space ``gap`` (as :func:`collapse_html_space` leaves it at the ends of
    text nodes) between the characters ``before`` and ``after`` vanishes: it holds a line
    break and both characters are space-discarding. A written space is always kept."""
    return "\n" in gap and joins_without_space(before, after)


#: Any white space (``str.isspace``), and the line breaks among it (``str.splitlines``').
_SPACE_RUN = lazy_compile(r"\s+")
_LINE_BREAK = lazy_compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def collapse_unicode_space(text: str) -> str:
    """``text`` with each run of white space, in Unicode's sense (the ideographic space too),
    made one space, or removed when it holds a line break between two space-discarding
    characters: plain text shows no other kind of space.

    The ends are not stripped, so pieces of one paragraph can be collapsed apart and joined.
    """
    if _LINE_BREAK.search(text) is None:
        return _SPACE_RUN.sub(" ", text)

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        if (start and end < len(text) and _LINE_BREAK.search(text, start, end) is not None
                and joins_without_space(text[start - 1], text[end])):
            return ""
        return " "

    return _SPACE_RUN.sub(replace, text)


def one_line(text: str) -> str:
    """``text`` as one line: white space collapsed as in plain text, none at the ends."""
    if _LINE_BREAK.search(text) is None:  # titles, attributes: nearly always
        return " ".join(text.split())
    return collapse_unicode_space(text).strip()


# ---------------------------------------------------------------------------- raised and lowered text

#: The characters that have a superscript (subscript) form in Unicode, and those forms: digits,
#: signs and parentheses, which fonts show well (the modifier letters many fonts lack are left
#: out, but for the ``n`` and ``i`` of exponents).
_SUPERSCRIPTS = dict(zip("0123456789+-\u2212=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUBSCRIPTS = dict(zip("0123456789+-\u2212=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎", strict=True))


def scripted(text: str, before: str, *, superscript: bool) -> str:
    """How text without markup shows ``text`` set as a superscript (or subscript) right after
    the character ``before``, so that its meaning survives: ``10`` + ``170`` must not read
    ``10170``.

    * Every character has a Unicode superscript (subscript) form: those (``10¹⁷⁰``, ``CO₂``,
      ``Ca²⁺``): they read right in any font and renderer and stay one token.
    * Else, when a number would run on from the word before it (``e`` + ``2x``): ``^(…)``
      (``_(…)``), the notation of calculators and of plain-text mathematics.
    * Else the text as it is: a note mark brings its brackets (``[1]``, ``［9］``), letters
      after a number are an ordinal (``1st``), and a superscript after a space or CJK text
      is a matter of size only.
    """
    forms = _SUPERSCRIPTS if superscript else _SUBSCRIPTS
    if text and all(ch in forms for ch in text):
        return "".join(forms[ch] for ch in text)
    if before.isalnum() and text[:1].isdecimal() and not is_space_discarding(before):
        return ("^(" if superscript else "_(") + text + ")"
    return text
