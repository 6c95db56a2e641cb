"""The character rules of ``converter/chars.py`` and ``converter/writers/markup.py``, one test
per rule, and the CJK line-break rule through every output format (issue #12)."""

from __future__ import annotations

import io
import json
import re
import sys
import unicodedata
import zipfile
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from converter import ast as A
from converter import parse, render
from converter.chars import (
    CONTROLS,
    FEED_SPACE,
    SPACE_DISCARDING_BLOCKS,
    SPACE_DISCARDING_CLASS,
    SPACING_CONTROLS,
    TEXT_CONTROLS,
    clean_input_text,
    collapse_html_space,
    collapse_unicode_space,
    drop_all_controls,
    drop_controls,
    is_space_discarding,
    join_cjk_lines,
    joins_across_gap,
    joins_without_space,
    one_line,
    replace_unencodable,
    scripted,
)
from converter.wrap import char_width
from converter.writers.markup import drop_non_xml, escape_xml

#: Every code point, surrogates included, as one string: rules are checked on all of them.
EVERY_CHARACTER = "".join(map(chr, range(sys.maxunicode + 1)))


# ---------------------------------------------------------------------------- control characters


def test_controls_are_the_characters_of_category_cc() -> None:
    assert "".join(c for c in EVERY_CHARACTER if unicodedata.category(c) == "Cc") == CONTROLS


def test_drop_controls_keeps_tab_and_line_ends_and_spaces_the_word_separators() -> None:
    for c in CONTROLS:
        expected = "a" + c + "b" if c in TEXT_CONTROLS else "a b" if c in SPACING_CONTROLS else "ab"
        assert drop_controls("a" + c + "b") == expected, hex(ord(c))
    assert drop_controls("a\ufffe\uffffb") == "ab"  # byte-order marks read the wrong way round
    assert drop_controls("中文 \u00a0\u200b\ufeff\U0001f600") == "中文 \u00a0\u200b\ufeff\U0001f600"


def test_unencodable_characters_become_the_replacement_character() -> None:
    assert replace_unencodable("a\x00b\ud800c\udfffd") == "a\ufffdb\ufffdc\ufffdd"
    assert clean_input_text("a\x00b\x1b[31mc\x0bd") == "a\ufffdb[31mc d"  # NUL first, then controls


def test_drop_all_controls_leaves_no_control_character() -> None:
    assert drop_all_controls("https://a.example/\t\n\r" + CONTROLS + "b c") == "https://a.example/b c"


def test_the_reader_drops_controls_however_they_are_written() -> None:
    doc = parse('<p>a\x1bb&#x1b;c\x0bd\x85e&#x7f;f</p><p><a href="https://a.example/&#x1b;x">l</a></p>')
    assert A.plain_text(doc.blocks[0].content) == "abc d ef"  # type: ignore[attr-defined]
    link = doc.blocks[1].content[0]  # type: ignore[attr-defined]
    assert isinstance(link, A.Link) and link.url == "https://a.example/x"


def test_plain_text_holds_no_control_character_but_line_feed() -> None:
    doc = A.Document(A.Meta(title="t\x1b[2J"), [
        A.Paragraph([A.Text("a" + CONTROLS + "b"), A.Code("c\x07d")]),
        A.CodeBlock("e\x1b[0m\tf\x00"),
        A.Paragraph([A.Link([A.Text("l")], "https://a.example/\x1b[0m")]),
    ])
    text = render(doc, "text")
    assert set(text) & set(CONTROLS) == {"\n"}
    # the white space among the controls (tab, line ends, VT, FF, NEL) is one space
    assert "\na bcd\n" in text and "e[0m    f" in text and "https://a.example/[0m" in text


def _is_xml_char(c: str) -> bool:
    """XML 1.0's ``Char`` production."""
    code = ord(c)
    return (c in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def _is_noncharacter(c: str) -> bool:
    code = ord(c)
    return 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE


def test_drop_non_xml_leaves_what_xml_and_html_accept() -> None:
    """XML's characters, less the controls and non-characters HTML validators reject."""
    kept = [c for c in EVERY_CHARACTER
            if _is_xml_char(c) and not (c in CONTROLS and c not in TEXT_CONTROLS) and not _is_noncharacter(c)]
    assert drop_non_xml(EVERY_CHARACTER) == "".join(kept)


def test_escape_xml_escapes_markup_and_drops_what_xml_forbids() -> None:
    assert escape_xml("<a href=\"x\" title='y'>&amp;\x00\x0c</a>") == \
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"


# ---------------------------------------------------------------------------- CJK spacing


def test_the_blocks_are_ordered_disjoint_and_within_unicode() -> None:
    ranges = [(first, last) for first, last, _ in SPACE_DISCARDING_BLOCKS]
    assert ranges == sorted(ranges)
    assert all(first <= last for first, last in ranges)
    assert all(last < next_first for (_, last), (next_first, _) in pairwise(ranges))
    assert ranges[-1][1] <= sys.maxunicode


def test_the_lookup_table_and_the_character_class_agree_everywhere() -> None:
    """The reader's regular expression and the writers' table are built from one list."""
    in_class = re.sub(f"[^{SPACE_DISCARDING_CLASS}]", "", EVERY_CHARACTER)
    assert in_class == "".join(filter(is_space_discarding, EVERY_CHARACTER))
    assert len(in_class) == sum(last - first + 1 for first, last, _ in SPACE_DISCARDING_BLOCKS)


@pytest.mark.parametrize("ch", [
    "中", "\u3400", "\U00020000", "\U0002a700", "\U0002b740", "\U0002b820", "\U0002ceb0",
    "\U0002ebf0", "\U00030000", "\U00031350",  # Han: URO, extensions A-I
    "\uf900", "\U0002f800",  # compatibility ideographs and their supplement
    "\u2e80", "\u2f00", "\u31c0",  # radicals, Kangxi radicals, strokes
    "あ", "ア", "ｱ", "ﾟ", "\u31f0", "\U0001b000", "\U0001b150",  # kana, halfwidth too, supplements
    "。", "、", "「", "\u3000", "！", "Ａ", "｡", "｣", "￥",  # CJK and fullwidth punctuation, forms
    "\ufe10", "\ufe30", "\ufe50",  # vertical, compatibility and small forms
    "ㄅ", "\u31a0", "ꀀ", "\ua490", "㈠", "㊣", "㎡",  # Bopomofo, Yi, enclosed, compatibility
])
def test_space_discarding_characters(ch: str) -> None:
    assert is_space_discarding(ch)


@pytest.mark.parametrize("ch", [
    "한", "\u1100", "\u3131", "\ua960", "\ud7b0", "\uffa1", "\uffdc",  # Hangul, halfwidth too
    "a", "1", " ", "\u00e9", "\u0e01", "\u05d0",  # Latin, digits, Thai, Hebrew
    "\U0001f600", "\u2615", "\u231a", "\U0001f201",  # emoji and other wide symbols
    "\u4dc0", "\u2460", "\ufffd",  # Yijing hexagram, circled digit, replacement character
])
def test_characters_that_keep_a_space(ch: str) -> None:
    assert not is_space_discarding(ch)


def test_hangul_is_wide_yet_keeps_its_spaces() -> None:
    """Column width and spacing are different questions (see the module's docstring)."""
    assert char_width("한") == 2 and not is_space_discarding("한")
    assert char_width("ｱ") == 1 and is_space_discarding("ｱ")


def test_joins_without_space_needs_a_space_discarding_character_on_both_sides() -> None:
    assert joins_without_space("中", "\U00020001")
    assert not joins_without_space("中", "a") and not joins_without_space("a", "中")
    assert not joins_without_space("中", "") and not joins_without_space("", "中")


def test_a_gap_between_text_nodes_vanishes_only_for_a_line_break_between_cjk() -> None:
    assert joins_across_gap("为", "\n", "中") and joins_across_gap("，", " \n", "城")
    assert not joins_across_gap("为", " ", "中")  # a written space separates
    assert not joins_across_gap("为", "\n", "C") and not joins_across_gap("한", "\n", "국")
    assert not joins_across_gap("", "\n", "中")  # after an image or code


@pytest.mark.parametrize("text, expected", [
    ("\U00020000\n\U00020001", "\U00020000\U00020001"),
    ("ｱ \n ｲ", "ｱｲ"),
    ("中 \t\r\n \u3000文", "中文"),  # the white space around the break goes with it
    ("中\n\n文", "中文"),
    ("中 文", "中 文"),  # a written space is no line break: it stays
    ("한국\n어", "한국\n어"),
    ("\U0001f600\n\U0001f600", "\U0001f600\n\U0001f600"),
    ("中\na", "中\na"),
    ("\n中\n", "\n中\n"),
])
def test_join_cjk_lines(text: str, expected: str) -> None:
    assert join_cjk_lines(text) == expected


# ---------------------------------------------------------------------------- white space


@pytest.mark.parametrize("text, expected", [
    ("a \t\r\f\v\xa0\u200b\ufeff b", "a b"),  # HTML's white space and what feeds pad with
    (" \n ", "\n"),  # a line break at an end stays one, for the join to judge
    ("  ", " "),
    ("\n 中文 ", "\n中文 "),
    ("  中文 \t\n", " 中文\n"),
    ("中\n\U00020000", "中\U00020000"),
    ("ｶﾀｶﾅ\nｶﾀｶﾅ", "ｶﾀｶﾅｶﾀｶﾅ"),
    ("한국\n어", "한국 어"),
    ("中\u3000文", "中\u3000文"),  # the ideographic space is text in HTML
])
def test_collapse_html_space(text: str, expected: str) -> None:
    assert collapse_html_space(text) == expected


@settings(max_examples=500, deadline=None)
@given(st.text(st.sampled_from(" \t\n\r\f\v\xa0\u200b\ufeff\u3000\u2028\x85中文ab，𠀀ｱ한"), max_size=30)
       | st.text(max_size=30))
def test_collapse_html_space_is_the_two_substitutions(text: str) -> None:
    """``collapse_html_space`` skips work when there is nothing to collapse; the result is
    always what joining CJK lines, then collapsing each run, gives, with a line feed for a
    run at an end that holds a line break."""
    def edge(run: str) -> str:
        return "\n" if "\n" in run else " "

    if not text.strip(FEED_SPACE):
        expected = edge(text) if text else ""
    else:
        lead = text[:len(text) - len(text.lstrip(FEED_SPACE))]
        trail = text[len(text.rstrip(FEED_SPACE)):]
        inner = re.sub(f"[{FEED_SPACE}]+", " ", join_cjk_lines(text.strip(FEED_SPACE)))
        expected = (edge(lead) if lead else "") + inner + (edge(trail) if trail else "")
    assert collapse_html_space(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("a  \t b", "a b"),
    (" a ", " a "),  # ends kept, so pieces of a paragraph can be joined
    ("中文\n中文", "中文中文"),  # a source line break between CJK is no word space
    ("中文 \n  中文", "中文中文"),
    ("中文 中文", "中文 中文"),  # a written space is kept
    ("中文\u3000中文", "中文 中文"),  # plain text has one kind of space
    ("abc\ndef", "abc def"),
    ("中文\nabc", "中文 abc"),
    ("\U00020000\u2028\U00020001", "\U00020000\U00020001"),
    ("ｱ\nｲ", "ｱｲ"),
    ("한국\n어", "한국 어"),  # Korean separates words with spaces
    ("\U0001f600\n\U0001f600", "\U0001f600 \U0001f600"),
    ("\n中文\n", " 中文 "),
])
def test_collapse_unicode_space(text: str, expected: str) -> None:
    assert collapse_unicode_space(text) == expected


def test_one_line() -> None:
    assert one_line(" 标题\n第二行 \u3000") == "标题第二行"
    assert one_line("Title\non two lines\t") == "Title on two lines"


def test_titles_and_alt_texts_are_one_line_without_spaces_between_cjk() -> None:
    doc = parse("---\ntitle: |\n  \U00020000\n  \U00020001\n---\n<p><img src='https://a.example/i.jpg' alt='图片\n说明'></p>")
    assert doc.meta.title == "\U00020000\U00020001"
    figure = doc.blocks[0]
    assert isinstance(figure, A.Figure) and figure.image.alt == "图片说明"


# ---------------------------------------------------------------------------- every format

#: Two words across a line break, and what every format must show of them.
PAIRS = [
    pytest.param("\U00020000", "\U00020001", "\U00020000\U00020001", id="cjk-extension-b"),
    pytest.param("ｶﾀｶﾅ", "ｶﾅ", "ｶﾀｶﾅｶﾅ", id="halfwidth-katakana"),
    pytest.param("한국어", "문장", "한국어 문장", id="hangul-keeps-its-space"),
    pytest.param("ㅋㅋ", "ㅎㅎ", "ㅋㅋ ㅎㅎ", id="hangul-jamo-keep-their-space"),
    pytest.param("\U0001f600", "\U0001f44d", "\U0001f600 \U0001f44d", id="emoji-keep-their-space"),
]
FORMATS = ("md", "txt", "json", "html", "epub", "rst", "docx")


def _shown(fmt: str, output: str | bytes) -> str:
    """The text of the last paragraph of ``output`` as its format shows it: a line end inside
    a paragraph of Markdown, rST or HTML reads as a space, and HTML white space collapses."""
    if fmt == "json":
        doc = json.loads(output)
        return "".join(node["text"] for node in doc["blocks"][0]["content"])
    if fmt in ("html", "epub"):
        if isinstance(output, bytes):
            with zipfile.ZipFile(io.BytesIO(output)) as book:
                output = book.read(next(n for n in book.namelist() if n.endswith("ch1.xhtml")))
        root = etree.fromstring(output.encode() if isinstance(output, str) else output, etree.HTMLParser())
        return " ".join("".join(root.find(".//article//p").itertext()).split())  # type: ignore[union-attr]
    if fmt == "docx":
        with zipfile.ZipFile(io.BytesIO(output)) as document:  # type: ignore[arg-type]
            root = etree.fromstring(document.read("word/document.xml"))
        w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
        return "".join(t.text or "" for t in list(root.iter(w + "p"))[-1].iter(w + "t"))
    assert isinstance(output, str)
    return " ".join(output.rstrip("\n").rsplit("\n\n", 1)[-1].split("\n"))  # a line end reads as a space


def _epub_offline(doc: A.Document) -> bytes:
    return render(doc, "epub", images="none")  # type: ignore[return-value]


def _render(doc: A.Document, fmt: str) -> str | bytes:
    return _epub_offline(doc) if fmt == "epub" else render(doc, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("before, after, expected", PAIRS)
def test_a_line_break_in_the_html_shows_as_the_script_wants(before: str, after: str, expected: str,
                                                          fmt: str) -> None:
    doc = parse(f"<p>{before}\n{after}</p>")
    assert _shown(fmt, _render(doc, fmt)) == expected


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])  # JSON keeps the AST as it is
@pytest.mark.parametrize("before, after, expected", PAIRS)
def test_a_line_break_in_the_document_shows_as_the_script_wants(before: str, after: str, expected: str,
                                                               fmt: str) -> None:
    """Documents that do not come from HTML (our JSON, the library) may hold line breaks in
    their text: every writer applies the same rule to them."""
    doc = A.Document(A.Meta(title="t"), [A.Paragraph([A.Text(f"{before}\n{after}")])])
    assert _shown(fmt, _render(doc, fmt)) == expected


@pytest.mark.parametrize("fmt, expected", [("md", "\U00020000**\U00020001**"), ("txt", "\U00020000\U00020001")])
def test_a_line_break_between_two_nodes_vanishes_too(fmt: str, expected: str) -> None:
    doc = A.Document(A.Meta(title="t"), [A.Paragraph([A.Text("\U00020000\n"), A.Strong([A.Text("\U00020001")])])])
    assert _shown(fmt, render(doc, fmt)) == expected


# ---------------------------------------------------------------------------- raised and lowered text


@pytest.mark.parametrize("text, before, superscript, shown", [
    ("170", "0", True, "¹⁷⁰"),  # 10¹⁷⁰, not 10170
    ("-3", "0", True, "⁻³"),
    ("\u22123", "0", True, "⁻³"),  # a minus sign too
    ("2+", "a", True, "²⁺"),
    ("n", "x", True, "ⁿ"),
    ("2", "O", False, "₂"),
    ("2x", "e", True, "^(2x)"),  # no superscript form: a marked exponent where digits would run on
    ("1a", "x", False, "_(1a)"),
    ("2x", " ", True, "2x"),  # after a space nothing runs on
    ("2x", "年", True, "2x"),  # nor after CJK text, which no reader takes for one number
    ("st", "1", True, "st"),  # an ordinal
    ("[1]", "a", True, "[1]"),  # a note mark brings its brackets
    ("［9］", "中", True, "［9］"),
    ("", "a", True, ""),
])
def test_scripted_text_keeps_its_meaning(text: str, before: str, superscript: bool, shown: str) -> None:
    assert scripted(text, before, superscript=superscript) == shown
