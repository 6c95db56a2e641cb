"""CJK-aware wrapping: widths, break opportunities, kinsoku, and properties over random text."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import FEEDS, needs_corpus

from converter import render
from converter.readers.feed import read
from converter.wrap import (
    _GLUE_AFTER,
    _GLUE_BEFORE,
    _PROPS,
    MAGNITUDES,
    NO_LINE_END,
    NO_LINE_START,
    NUMERIC_PREFIXES,
    NUMERIC_UNITS,
    _may_break,
    _url_start,
    char_width,
    display_width,
    wrap,
)


def wide(ch: str) -> bool:
    return char_width(ch) == 2


# ---------------------------------------------------------------------------- widths


@pytest.mark.parametrize("ch, width", [
    ("a", 1), ("1", 1), (" ", 1),
    ("中", 2), ("，", 2), ("。", 2), ("「", 2), ("Ａ", 2), ("한", 2), ("あ", 2),
    ("…", 1), ("—", 1), ("“", 1), ("é", 1),  # East Asian Ambiguous counts as one
    ("\u0301", 0), ("\u200b", 0),  # combining and format marks take no column
])
def test_char_width(ch: str, width: int) -> None:
    assert char_width(ch) == width


def test_display_width_counts_cjk_as_two() -> None:
    assert display_width("") == 0
    assert display_width("abc") == 3
    assert display_width("中文abc") == 7
    assert display_width("e\u0301中") == 3


# ---------------------------------------------------------------------------- breaking


def test_breaks_at_spaces_and_consumes_them() -> None:
    assert wrap("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert wrap("aaa bbb", 3) == ["aaa", "bbb"]


def test_whitespace_collapses_and_never_trails() -> None:
    assert wrap("  a \t  b  ", 80) == ["a b"]
    assert wrap("aaa    bbb", 5) == ["aaa", "bbb"]


def test_never_breaks_inside_latin_word_or_number() -> None:
    assert wrap("internationalization is long", 10) == ["internationalization", "is long"]
    assert wrap("pay 1,234,567.89 now", 8) == ["pay", "1,234,567.89", "now"]


def test_long_url_stays_whole_on_its_own_line() -> None:
    url = "https://example.com/a/very/long/path?q=1&r=2"
    assert wrap(f"see {url} ok", 20) == ["see", url, "ok"]
    assert wrap(f"请看{url}。", 20) == ["请看", url + "。"]


def test_breaks_between_cjk_without_adding_space() -> None:
    assert wrap("中文中文中文", 4) == ["中文", "中文", "中文"]
    assert wrap("中文中文中文", 5) == ["中文", "中文", "中文"]


def test_keeps_spaces_written_between_cjk() -> None:
    assert wrap("中文 中文", 80) == ["中文 中文"]


def test_mixed_cjk_and_latin() -> None:
    # a break may fall between a CJK character and a Latin word on either side (UAX #14),
    # never inside the word
    assert wrap("我在用Python写代码", 10) == ["我在用", "Python写代", "码"]
    assert wrap("我在用Python写代码，然后测试", 14) == ["我在用Python写", "代码，然后测试"]
    assert wrap("我在用 Python 写代码", 10) == ["我在用", "Python 写", "代码"]
    assert wrap("AI模型和3D打印", 4) == ["AI模", "型和", "3D打", "印"]


def test_a_number_or_word_does_not_glue_the_ideographs_after_it() -> None:
    """A line that starts with a number or a Latin word fills up to the width (it used to
    run on to the next space or punctuation, or to break early before the whole run)."""
    text = "60多岁的陈峰曾帮助把一家总部设在海南省的中国区域性航空公司转变为一家全球大型企业。"
    assert wrap(text, 80) == [text[:-2], text[-2:]]
    assert wrap("前文" * 15 + "F类非移民制定明确的标准", 40) == [
        "前文" * 10, "前文" * 5 + "F类非移民制定明确的", "标准"]


@pytest.mark.parametrize("text, width, lines", [
    ("2020年9月", 6, ["2020年", "9月"]),  # a number keeps its unit; two dates may part
    ("共30万人", 6, ["共30万", "人"]),
    ("累计8萬4871例", 9, ["累计", "8萬4871例"]),  # one number
    ("气温３５℃", 4, ["气温", "３５℃"]),  # fullwidth digits hold together as a number
    ("售价￥100元", 6, ["售价", "￥100元"]),
    ("COVID-19疫情", 8, ["COVID-19", "疫情"]),  # not a unit: parts like any word
])
def test_a_number_keeps_the_unit_written_after_it(text: str, width: int, lines: list[str]) -> None:
    assert wrap(text, width) == lines


def test_a_url_is_one_unit_up_to_the_next_space() -> None:
    url = "https://zh.wikipedia.org/wiki/中文维基百科"
    assert wrap(f"见{url} 其他", 10) == ["见", url, "其他"]


@pytest.mark.parametrize("text, width, lines", [
    ("abcde fghij", 11, ["abcde fghij"]),
    ("abcde fghij", 10, ["abcde", "fghij"]),
    ("中文中文中", 10, ["中文中文中"]),
    ("中文中文中", 9, ["中文中文", "中"]),
    ("中文", 3, ["中", "文"]),
    ("中文", 1, ["中", "文"]),  # a unit wider than the line still gets a line
    ("ab中", 4, ["ab中"]),
    ("ab中", 3, ["ab", "中"]),
    ("2020年12月", 4, ["2020年", "12月"]),
    ("中 2020年", 4, ["中", "2020年"]),
])
def test_exact_width_boundaries(text: str, width: int, lines: list[str]) -> None:
    assert wrap(text, width) == lines


def test_width_zero_means_no_wrapping() -> None:
    text = "中文 " * 100 + "word " * 100
    assert wrap(text, 0) == [" ".join(text.split())]
    assert wrap("a  b\nc", 0) == ["a b", "c"]


def test_newline_forces_a_break() -> None:
    assert wrap("a\nb", 80) == ["a", "b"]
    assert wrap("a\n\nb", 80) == ["a", "", "b"]
    assert wrap("", 80) == [""]


# ---------------------------------------------------------------------------- kinsoku


def test_cjk_closing_punctuation_takes_previous_character_down() -> None:
    assert wrap("中文中文，中文", 8) == ["中文中", "文，中文"]
    assert wrap("中文中文。」中", 8) == ["中文中", "文。」中"]
    assert wrap("他说中文……好", 8) == ["他说中", "文……好"]


def test_ascii_closing_punctuation_never_starts_a_line() -> None:
    assert wrap("中文中文,中文", 8) == ["中文中", "文,中文"]
    assert wrap("中文中文)中文", 8) == ["中文中", "文)中文"]
    assert wrap("aaaa bbbb !", 9) == ["aaaa", "bbbb !"]


def test_cjk_opening_punctuation_never_ends_a_line() -> None:
    assert wrap("中文中「文」", 8) == ["中文中", "「文」"]
    assert wrap("他说：“你好”", 8) == ["他说：", "“你好”"]


def test_ascii_opening_punctuation_never_ends_a_line() -> None:
    assert wrap("aaa ( bbb", 5) == ["aaa", "( bbb"]
    assert wrap("中文(中文)", 4) == ["中文", "(中", "文)"]


def test_combining_mark_stays_with_its_base() -> None:
    assert wrap("中e\u0301中", 2) == ["中", "e\u0301", "中"]
    assert wrap("中中\u0301", 2) == ["中", "中\u0301"]
    assert wrap("👍\u200d👍", 2) == ["👍\u200d👍"]  # a joined emoji sequence is one unit


# ---------------------------------------------------------------------------- properties

# Random text is built from tokens rather than single characters so that words, runs of
# CJK and punctuation next to spaces all turn up often.
TOKENS = [
    *"中文字词语汉和的", "ab", "xyz", "019", "7", "http://a.b/c", "https://a.b/中文", " ", " ", " ", "  ",
    *"年月万人萬", "AI", "3D", "２０", "￥",
    *"，。、！？：」』）》…—％",  # CJK closing
    *"「『（《“",  # CJK opening
    *",.;:!?)]}", *"([{", *"/-_=&",
]
texts = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)
widths = st.integers(min_value=1, max_value=30)


def gaps(text: str) -> tuple[list[str], dict[int, str]]:
    """The non-whitespace characters of ``text``, and what separates them: index i maps to
    the whitespace before the i-th character (``"\\n"`` if it holds a line break)."""
    chars: list[str] = []
    seps: dict[int, str] = {}
    pending = ""
    for ch in text:
        if ch.isspace():
            pending = "\n" if ch == "\n" or pending == "\n" else " "
            continue
        if pending and chars:
            seps[len(chars)] = pending
        pending = ""
        chars.append(ch)
    return chars, seps


def has_legal_break(line: str) -> bool:
    """Whether ``line`` could be broken somewhere under the rules (an independent restatement)."""
    for i in range(1, len(line)):
        before, after = line[i - 1], line[i]
        if after == " ":
            continue
        if before == " ":  # break at the space between line[i - 2] and line[i]
            if line[i - 2] not in NO_LINE_END and after not in NO_LINE_START:
                return True
        elif ((wide(before) or wide(after)) and not in_url(line, i)
              and not (before.isdecimal() and (after.isdecimal() or after in NUMERIC_UNITS))
              and not ((before in NUMERIC_PREFIXES or before in MAGNITUDES) and after.isdecimal())
              and before not in NO_LINE_END and after not in NO_LINE_START):
            return True
    return False


def in_url(line: str, i: int) -> bool:
    """Whether line[i] follows the start of a URL's scheme with no space in between."""
    word = line[:i].rsplit(" ", 1)[-1]
    at = word.find("://")
    return at > 0 and word[at - 1].isalnum()


@settings(max_examples=300)
@given(texts, widths)
def test_wrapping_keeps_every_non_space_character(text: str, width: int) -> None:
    assert "".join("\n".join(wrap(text, width)).split()) == "".join(text.split())


@settings(max_examples=500)
@given(texts, widths)
@example("60多岁的陈峰曾帮助", 8)
@example("请看https://a.b/中文 后面", 6)
def test_lines_fit_unless_unbreakable(text: str, width: int) -> None:
    """No line is wider than the width unless it is a single unbreakable token."""
    for line in wrap(text, width):
        assert line == line.strip()
        if display_width(line) > width:
            assert not has_legal_break(line), (line, width)


@settings(max_examples=500)
@given(texts, widths)
@example("aaa ( bbb", 5)
@example("中文中文，中文", 8)
def test_kinsoku_holds_at_every_soft_break(text: str, width: int) -> None:
    lines = wrap(text, width)
    for before, after in pairwise(lines):
        assert after[0] not in NO_LINE_START, lines
        assert before[-1] not in NO_LINE_END, lines


@settings(max_examples=300)
@given(texts, widths)
def test_wrapping_adds_no_space_and_loses_none(text: str, width: int) -> None:
    """In particular no space appears between two CJK characters unless one was written."""
    chars, before = gaps(text)
    out_chars, after = gaps("\n".join(wrap(text, width)))
    assert out_chars == chars
    for i, sep in after.items():
        if sep == " ":  # a space is only ever one that was written
            assert i in before, (i, text)
        elif i not in before:  # a break where none was written is between CJK
            assert wide(chars[i - 1]) or wide(chars[i]), (i, text)
    assert set(before) <= set(after), "a written space was lost"


@given(st.lists(texts, max_size=4), widths)
def test_hard_breaks_survive(parts: list[str], width: int) -> None:
    text = "\n".join(p.replace("\n", "") for p in parts)
    assert len(wrap(text, 0)) == text.count("\n") + 1
    assert len(wrap(text, width)) >= text.count("\n") + 1



# ---------------------------------------------------------------------------- the plain rule

def plain_wrap(text: str, width: int) -> list[str]:
    """Wrapping as the plain rule states it, unit by unit: cut each line into the units that
    must stay whole, then put each unit on the current line if it fits, else on a new one.
    :func:`wrap` finds the same lines looking only around each line's end."""
    limit = width if width > 0 else 1 << 62
    lines: list[str] = []
    for part in text.split("\n"):
        line: list[str] = []
        used = 0
        for sep, unit, unit_width in plain_units(part):
            if not line:
                line, used = [unit], unit_width
            elif used + len(sep) + unit_width <= limit:
                line += (sep, unit)
                used += len(sep) + unit_width
            else:
                lines.append("".join(line))
                line, used = [unit], unit_width
        lines.append("".join(line))
    return lines


def plain_units(line: str) -> list[tuple[str, str, int]]:
    """``(separator, unit, width)`` for each unbreakable unit of ``line``: words split at
    spaces (a space glued by kinsoku stays inside the unit), and inside a word at every
    place :func:`converter.wrap._may_break` allows, except after a URL's scheme."""
    units: list[tuple[str, str, int]] = []
    unit, sep, last = "", "", 0
    for word in line.split():
        if unit:
            if last & _GLUE_AFTER or _PROPS[word[0]] & _GLUE_BEFORE:
                unit += " "
            else:
                units.append((sep, unit, display_width(unit)))
                unit, sep = "", " "
        url = _url_start(word)
        for i, ch in enumerate(word):
            bits = _PROPS[ch]
            if i and i <= url and _may_break(last, bits):
                units.append((sep, unit, display_width(unit)))
                unit, sep = "", ""
            unit += ch
            last = bits
    if unit:
        units.append((sep, unit, display_width(unit)))
    return units


#: The tokens above and marks that take no column (a combining accent, a zero width space and
#: joiner), which let more characters than columns fit on a line.
marked_texts = st.lists(st.sampled_from([*TOKENS, "\u0301", "\u200b", "\u200d"]), max_size=40).map("".join)


@settings(max_examples=1000)
@given(marked_texts, st.integers(min_value=0, max_value=30))
@example("中\u0301\u0301\u0301\u0301文字", 3)
@example("(中文 )", 2)
@example("中文" * 30 + "见https://a.b/c" + "中文" * 30 + " x https://d.e/f。", 8)  # a URL runs on to the space
@example("a" * 100 + "中 " + "b" * 50 + " (c)", 9)  # words wider than the line
def test_wrap_equals_the_plain_rule(text: str, width: int) -> None:
    assert wrap(text, width) == plain_wrap(text, width)


@settings(max_examples=300)
@given(st.text(), st.integers(min_value=0, max_value=12))
def test_wrap_equals_the_plain_rule_on_any_text(text: str, width: int) -> None:
    assert wrap(text, width) == plain_wrap(text, width)


@needs_corpus
def test_wrap_equals_the_plain_rule_on_the_corpus() -> None:
    """Every seventh corpus document's unwrapped plain text, wrapped at a few widths."""
    for path in FEEDS[::7]:
        text = render(read(path.read_bytes()), "text", width=0)
        assert isinstance(text, str)
        for width in (9, 40, 80):
            assert wrap(text, width) == plain_wrap(text, width), path.name
