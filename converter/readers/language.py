"""Detect a document's language as a BCP 47 tag from its text.

Chinese is told apart by script (``zh-Hans``/``zh-Hant``) by counting characters that exist
only in one of the two systems (CC-CEDICT's lists, as ``zhon`` ships them). Kana means
Japanese, Hangul Korean. Latin-script text goes to ``py3langid``, loaded only when needed
because its model takes a moment to load.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..patterns import lazy_compile

#: The classes counted, as (first, last code point, letter); Han is split further by script.
_RANGES = (
    (0x3400, 0x4DBF, "H"), (0x4E00, 0x9FFF, "H"), (0xF900, 0xFAFF, "H"),  # Han
    (0x3040, 0x30FF, "K"),  # kana
    (0xAC00, 0xD7AF, "G"),  # Hangul
    (0x41, 0x5A, "L"), (0x61, 0x7A, "L"), (0xC0, 0x24F, "L"),  # Latin
)
#: How much of the text to look at: enough to decide (the corpus's languages are the same
#: from 2,000 characters on), cheap on long documents.
SAMPLE = 4_000
#: A first look, which settles most Chinese documents at a quarter of the cost (counting
#: is most of the time language detection takes): see :func:`settled_chinese`.
FIRST_LOOK = 1_000


def _script_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Han characters only in simplified script, and only in traditional: the sets
    ``hanzidentifier`` makes of the same lists, without importing it (~20 ms, most of it a
    regular expression of every character that we do not use). Two set differences: an
    intersection first, and copies of the results, cost twice as much (~6 ms against 3 at a
    process's first Chinese document)."""
    from zhon import cedict

    simplified, traditional = frozenset(cedict.simplified), frozenset(cedict.traditional)
    return simplified - traditional, traditional - simplified


@lru_cache(maxsize=1)
def _class_letters() -> str:
    """A ``str.translate`` table putting each character's class letter in its place.

    ``H`` for Han, ``K`` kana, ``G`` Hangul, ``L`` Latin, a space for the rest of the BMP;
    characters beyond it stay as they are (and are none of these letters). Counting a class
    is then counting its letter, in C, instead of looking at every character in Python.
    """
    table = bytearray(b" ") * 0x10000  # one byte a character: half the time of a list of str
    for first, last, letter in _RANGES:
        table[first:last + 1] = letter.encode() * (last - first + 1)
    return table.decode("latin-1")


@lru_cache(maxsize=1)
def _script_letters() -> str:
    """:func:`_class_letters` with ``S``/``T`` for the Han characters only in simplified/only
    in traditional script. Built at the first text with Han in it: the two scripts' lists cost
    most of what language detection costs a process (~6 ms), which other languages never need."""
    table = bytearray(_class_letters().encode("latin-1"))
    han = ord("H")
    for chars, script in zip(_script_sets(), b"ST", strict=True):
        for code in map(ord, chars):
            if code < 0x10000 and table[code] == han:  # script counts only within the Han ranges
                table[code] = script
    return table.decode("latin-1")


def _letters(text: str) -> str:
    """``text`` as class letters: with the Han scripts told apart once a text has held Han
    (one ``translate`` a text from then on), and without until then."""
    if _script_letters.cache_info().currsize:
        return text.translate(_script_letters())
    letters = text.translate(_class_letters())
    return text.translate(_script_letters()) if "H" in letters else letters


def detect_language(text: str, hint: str = "") -> str:
    """A BCP 47 tag for ``text``, or ``""`` when there is too little text to tell.

    ``hint`` (e.g. the article URL) breaks a tie between simplified and traditional.
    """
    sample = text[:SAMPLE]
    simplified, traditional, han, kana, hangul, latin = _counts(sample)
    cjk = han + kana + hangul
    if cjk and cjk >= latin * 0.2:
        if kana > han * 0.05 + 5:
            return "ja"
        if hangul > han:
            return "ko"
        return chinese_script(simplified, traditional, hint)
    if latin >= 3:
        return latin_language(sample)
    return ""


def settled_chinese(text: str) -> str:
    """``zh-Hans`` or ``zh-Hant`` when ``text`` (a first look) is plainly Chinese in one
    script, else ``""``: Han and no kana or Hangul, little Latin, and one script's own
    characters four times the other's. :func:`detect_language` on more of the text then says
    the same unless the rest of it is written differently, which news items are not.
    """
    simplified, traditional, han, kana, hangul, latin = _counts(text)
    if kana or hangul or han < 200 or latin > han:
        return ""
    if simplified >= 4 * traditional + 20:
        return "zh-Hans"
    if traditional >= 4 * simplified + 20:
        return "zh-Hant"
    return ""


def _counts(text: str) -> tuple[int, int, int, int, int, int]:
    """Characters of ``text`` only in simplified script, only in traditional, Han in all
    (those two included), kana, Hangul, Latin letters."""
    letters = _letters(text)
    simplified, traditional = letters.count("S"), letters.count("T")
    han = simplified + traditional + letters.count("H")
    return simplified, traditional, han, letters.count("K"), letters.count("G"), letters.count("L")


def chinese_script(simplified: int, traditional: int, hint: str = "") -> str:
    """``zh-Hant`` when traditional-only characters outnumber simplified-only ones."""
    if simplified == traditional:
        return "zh-Hant" if re.search(r"(?i)\b(tw|hk|big5|trad|hant|zh-hant)\b", hint) else "zh-Hans"
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def latin_language(text: str) -> str:
    """ISO 639-1 code for Latin-script text; English when the model is unsure.

    Text whose words are plainly English (its commonest function words make up a tenth of it)
    is English without consulting the model, which costs ~10 ms a document.
    """
    words = _WORD.findall(text[:5000].lower())
    if words and sum(w in _ENGLISH_FUNCTION_WORDS for w in words) >= len(words) * 0.1:
        return "en"
    import py3langid

    code, _score = py3langid.classify(text[:5000])
    return code if code in _LATIN_LANGUAGES else "en"


_WORD = lazy_compile(r"[a-z]+")
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the and of to in is that for it was on with as be by at are this from has have had not but "
    "an or were which their they he she his her its been will would said".split())


#: Languages written in Latin script that we report; anything else is more likely noise.
_LATIN_LANGUAGES = frozenset(
    "en fr de es it pt nl sv da no nb nn fi pl cs sk sl hr hu ro tr id ms vi tl ca eu gl et lv lt".split())
