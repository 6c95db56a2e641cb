"""Detect a document's language as a BCP 47 tag from its text.

Chinese is told apart by script (``zh-Hans``/``zh-Hant``) by counting characters that exist
only in one of the two systems (CC-CEDICT's lists, via ``hanzidentifier``). Kana means
Japanese, Hangul Korean. Latin-script text goes to ``py3langid``, loaded only when needed
because its model takes a moment to load.
"""

from __future__ import annotations

import re
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
#: How much of the text to look at: enough to decide, cheap on huge documents.
_SAMPLE = 20_000


@lru_cache(maxsize=1)
def _script_sets() -> tuple[frozenset[str], frozenset[str]]:
    from hanzidentifier import helpers

    shared = helpers.SHARED_CHARACTERS
    return (frozenset(helpers.SIMPLIFIED_CHARACTERS - shared),
            frozenset(helpers.TRADITIONAL_CHARACTERS - shared))


def detect_language(text: str, hint: str = "") -> str:
    """A BCP 47 tag for ``text``, or ``""`` when there is too little text to tell.

    ``hint`` (e.g. the article URL) breaks a tie between simplified and traditional.
    """
    sample = text[:_SAMPLE]
    han = _HAN.findall(sample)
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    cjk = len(han) + kana + hangul
    if cjk and cjk >= latin * 0.2:
        if kana > len(han) * 0.05 + 5:
            return "ja"
        if hangul > len(han):
            return "ko"
        return chinese_script(han, hint)
    if latin >= 3:
        return latin_language(sample)
    return ""


def chinese_script(chars: list[str], hint: str = "") -> str:
    """``zh-Hant`` when traditional-only characters outnumber simplified-only ones."""
    simplified, traditional = _script_sets()
    simp = sum(1 for c in chars if c in simplified)
    trad = sum(1 for c in chars if c in traditional)
    if simp == trad:
        return "zh-Hant" if re.search(r"(?i)\b(tw|hk|big5|trad|hant|zh-hant)\b", hint) else "zh-Hans"
    return "zh-Hant" if trad > simp else "zh-Hans"


def latin_language(text: str) -> str:
    """ISO 639-1 code for Latin-script text; English when the model is unsure."""
    import py3langid

    code, _score = py3langid.classify(text[:5000])
    return code if code in _LATIN_LANGUAGES else "en"


#: Languages written in Latin script that we report; anything else is more likely noise.
_LATIN_LANGUAGES = frozenset(
    "en fr de es it pt nl sv da no nb nn fi pl cs sk sl hr hu ro tr id ms vi tl ca eu gl et lv lt".split())
