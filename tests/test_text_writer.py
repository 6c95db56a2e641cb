"""The plain-text writer, node type by node type, plus properties over random documents."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from converter.ast import (
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Div,
    Document,
    Emphasis,
    Figure,
    Heading,
    HorizontalRule,
    Image,
    Inline,
    LineBreak,
    Link,
    Meta,
    OrderedList,
    Paragraph,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    walk,
)
from converter.errors import OptionError
from converter.wrap import display_width, wrap
from converter.writers import get_writer_class, make_writer, writer_options
from converter.writers.text import TextWriter

UTC = dt.timezone.utc


def render(*blocks: Block, meta: Meta | None = None, **options: Any) -> str:
    return TextWriter(**options).write(Document(meta or Meta(), list(blocks)))


def para(*inlines: str | Inline) -> Paragraph:
    return Paragraph([Text(i) if isinstance(i, str) else i for i in inlines])


def cell(text: str, **spans: int) -> TableCell:
    return TableCell([Text(text)], **spans)


# ---------------------------------------------------------------------------- registry


def test_registered_under_name_aliases_and_extension() -> None:
    assert get_writer_class("Text") is TextWriter
    assert TextWriter.aliases == ("txt", "plain") and TextWriter.extension == "txt"
    assert writer_options(TextWriter) == ["width", "references"]


def test_negative_width_is_an_option_error() -> None:
    with pytest.raises(OptionError):
        make_writer("text", width=-1)


# ---------------------------------------------------------------------------- document


def test_header_layout() -> None:
    meta = Meta(title="春节 Travel", url="https://example.com/a", author="张三",
                published=dt.datetime(2025, 2, 1, 12, 47, 30, tzinfo=UTC))
    assert render(para("正文。"), meta=meta) == (
        "春节 Travel\n"
        "===========\n"
        "\n"
        "Author: 张三\n"
        "Published: 2025-02-01 12:47 UTC\n"
        "Source: https://example.com/a\n"
        "\n"
        "正文。\n"
    )


@pytest.mark.parametrize("language, lines", [
    ("zh-Hans", ["作者：张三", "日期：2025-02-01 12:47 UTC", "原文：https://example.com/a"]),
    ("zh-Hant", ["作者：张三", "日期：2025-02-01 12:47 UTC", "原文：https://example.com/a"]),
    ("zh-HK", ["作者：张三", "日期：2025-02-01 12:47 UTC", "原文：https://example.com/a"]),
    ("fr", ["Author: 张三", "Published: 2025-02-01 12:47 UTC", "Source: https://example.com/a"]),
])
def test_the_words_the_writer_adds_follow_the_document_language(language: str, lines: list[str]) -> None:
    meta = Meta(title="T", url="https://example.com/a", author="张三", language=language,
                published=dt.datetime(2025, 2, 1, 12, 47, 30, tzinfo=UTC))
    out = render(para(Link([Text("链")], "https://a.com/")), Figure(Image("x.png", "猫")), meta=meta)
    words = {"zh-Hans": ("链接：", "[图片：猫]"), "zh-Hant": ("連結：", "[圖片：猫]"),
             "zh-HK": ("連結：", "[圖片：猫]"), "fr": ("References:", "[Image: 猫]")}[language]
    assert out.split("\n")[3:6] == lines
    assert f"{words[1]}\n\n{words[0]}\n[1] https://a.com/\n" in out


def test_a_url_wider_than_a_line_stays_after_its_label() -> None:
    """Wrapping before it would leave "原文：" and "[1]" alone on their lines; the line is too
    wide because of the URL alone. A URL that fits a line of its own is wrapped as usual."""
    url = "https://example.com/" + "a" * 30
    out = render(para(Link([Text("x")], url)), meta=Meta(url=url, language="zh-Hans"), width=30)
    assert out == f"原文：{url}\n\nx\n\n链接：\n[1] {url}\n"
    url = "https://example.com/" + "a" * 8
    out = render(para(Link([Text("x")], url)), meta=Meta(url=url, language="zh-Hans"), width=30)
    assert out == f"原文：\n{url}\n\nx\n\n链接：\n[1]\n{url}\n"


def test_header_lines_only_when_present() -> None:
    assert render(para("x"), meta=Meta(title="T")) == "T\n=\n\nx\n"
    assert render(para("x"), meta=Meta(url="https://e.com/")) == "Source: https://e.com/\n\nx\n"
    assert render(para("x")) == "x\n"


@pytest.fixture
def local_time_far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time at UTC+8, so that treating a datetime as local time would show."""
    monkeypatch.setenv("TZ", "CST-8")  # POSIX form: needs no time zone database
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_far_from_utc")
def test_published_is_shown_in_utc() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    meta = Meta(published=dt.datetime(2025, 2, 1, 8, 0, tzinfo=beijing))
    assert "Published: 2025-02-01 00:00 UTC" in render(meta=meta)
    naive = Meta(published=dt.datetime(2025, 2, 1, 8, 0))  # taken as UTC, never local time
    assert "Published: 2025-02-01 08:00 UTC" in render(meta=naive)


def test_empty_document_is_one_newline() -> None:
    assert render() == "\n"
    assert render(para("  "), Div([])) == "\n"


def test_blocks_are_one_blank_line_apart() -> None:
    out = render(para("a"), para("b"), HorizontalRule(), para("c"))
    assert out == "a\n\nb\n\n----------\n\nc\n"


def test_writer_can_be_reused_and_is_deterministic() -> None:
    writer = TextWriter(references="inline")
    doc = Document(Meta(), [para(Link([Text("x")], "https://a.com/"))])
    other = Document(Meta(), [para(Link([Text("y")], "https://b.com/"))])
    first = writer.write(doc)
    assert writer.write(other) == "y[1]\n\nReferences:\n[1] https://b.com/\n"
    assert writer.write(doc) == first


# ---------------------------------------------------------------------------- paragraphs


def test_paragraph_whitespace_collapsed_and_stripped() -> None:
    assert render(para("  a \t b\n c  ")) == "a b c\n"


def test_source_line_break_between_chinese_adds_no_space() -> None:
    assert render(para("这是\n一段", Strong([Text("\n文字")]))) == "这是一段文字\n"


def test_paragraph_wraps_cjk_at_width() -> None:
    text = "这是一个很长的中文段落，用来测试自动换行。"
    out = render(para(text), width=10)
    # "。" may not start a line, so "行" goes down with it
    assert out == "这是一个很\n长的中文段\n落，用来测\n试自动换\n行。\n"
    assert all(display_width(line) <= 10 for line in out.splitlines())


def test_width_zero_keeps_each_paragraph_on_one_line() -> None:
    text = "word " * 50 + "中文" * 50
    assert render(para(text), width=0) == " ".join(text.split()) + "\n"


def test_line_break_forces_a_new_line() -> None:
    assert render(para("first ", LineBreak(), " second")) == "first\nsecond\n"
    assert render(para(LineBreak(), "only", LineBreak())) == "only\n"


def test_inline_formatting_leaves_only_text() -> None:
    inlines: list[Inline] = [Strong([Text("b")]), Emphasis([Text("i")]), Strikeout([Text("s")]),
               Text(" x"), Superscript([Text("2")]), Text(" H"), Subscript([Text("2")]),
               Text("O "), Code("a  = b")]
    assert render(Paragraph(inlines)) == "bis x² H₂O a = b\n"


@pytest.mark.parametrize("inlines, text", [
    ([Text("约10"), Superscript([Text("170")]), Text("种")], "约10¹⁷⁰种"),  # not 10170
    ([Text("e"), Superscript([Text("2x")])], "e^(2x)"),
    ([Text("x"), Subscript([Text("1a")])], "x_(1a)"),
    ([Text("文献"), Superscript([Text("［9］")])], "文献［9］"),
    ([Text("the 1"), Superscript([Text("st")])], "the 1st"),
    ([Text("a"), Superscript([Link([Text("3")], "https://a.com/n")])], "a³"),
])
def test_superscript_and_subscript_keep_their_meaning(inlines: list[Inline], text: str) -> None:
    assert render(Paragraph(inlines)).split("\n")[0] == text


def test_control_characters_are_removed() -> None:
    out = render(para("a\x00b\x0bc\td\x1b"), CodeBlock("x\x07y\tz\r\nw"),
                 meta=Meta(title="T\x00i", author="A\x85B"))
    assert out == "Ti\n==\n\nAuthor: A B\n\nab c d\n\n    xy  z\n    w\n"


# ---------------------------------------------------------------------------- links


def test_links_are_numbered_in_order_and_listed() -> None:
    out = render(
        para(Link([Text("one")], "https://a.com/1"), " and ",
             Link([Text("two")], "https://a.com/2"), " and ",
             Link([Text("one again")], "https://a.com/1")),
        para(Link([Emphasis([Text("链接")])], "mailto:x@y.com"), "。"),
        references="inline",
    )
    assert out == (
        "one[1] and two[2] and one again[1]\n"
        "\n"
        "链接[3]。\n"
        "\n"
        "References:\n"
        "[1] https://a.com/1\n"
        "[2] https://a.com/2\n"
        "[3] mailto:x@y.com\n"
    )


def test_default_lists_links_at_the_end_and_keeps_the_text_clean() -> None:
    out = render(para("我们和", Link([Text("志愿者协会")], "https://a.com/v"), "合作。"))
    assert out == "我们和志愿者协会合作。\n\nReferences:\n[1] https://a.com/v\n"


def test_unknown_reference_style_is_an_option_error() -> None:
    with pytest.raises(OptionError):
        make_writer("text", references="footnotes")


def test_link_showing_its_url_gets_no_number() -> None:
    out = render(para(Link([Text("https://a.com/x")], "https://a.com/x"), " ",
                      Link([Text("x@y.com")], "mailto:x@y.com")))
    assert out == "https://a.com/x x@y.com\n"


def test_links_to_nowhere_are_not_referenced() -> None:
    out = render(para(Link([Text("top")], "#top"), " ", Link([Text("run")], "javascript:go()"),
                      " ", Link([Text("rel")], "/path")))
    assert out == "top run rel\n"


def test_references_off_keeps_only_link_text() -> None:
    out = render(para(Link([Text("one")], "https://a.com/1")), references="none")
    assert out == "one\n"


def test_reference_number_follows_the_words_not_the_space() -> None:
    assert render(para(Link([Text("see ")], "https://a.com/"), "this"), references="inline") == (
        "see[1] this\n\nReferences:\n[1] https://a.com/\n")


def test_empty_link_shows_its_host_and_lists_its_url() -> None:
    assert render(para("at ", Link([], "https://www.a.com/x"))) == "at a.com\n\nReferences:\n[1] https://www.a.com/x\n"
    assert render(para("at ", Link([], "https://a.com/")), references="none") == "at https://a.com/\n"


def test_references_follow_document_order_across_blocks() -> None:
    out = render(Heading(2, [Link([Text("h")], "https://h.com/")]),
                 BulletList([[para(Link([Text("l")], "https://l.com/"))]]),
                 Table([], [[TableCell([Link([Text("t")], "https://t.com/")])]]))
    assert out.endswith("[1] https://h.com/\n[2] https://l.com/\n[3] https://t.com/\n")


# ---------------------------------------------------------------------------- images


def test_inline_image_placeholder() -> None:
    out = render(para("a ", Image("x.png", alt="猫"), " ", Image("y.png")))
    assert out == "a [Image: 猫]\n", "an image without alt text says nothing"


def test_figure_uses_caption_then_alt() -> None:
    assert render(Figure(Image("x.png", alt="alt"), [Text("图 1 ")])) == "[Image: 图 1]\n"
    assert render(Figure(Image("x.png", alt="alt"))) == "[Image: alt]\n"
    assert render(Figure(Image("x.png")), para("p")) == "p\n"


def test_figure_caption_wraps_like_a_paragraph() -> None:
    out = render(Figure(Image("x.png"), [Text("a long caption here")]), width=12)
    assert out == "[Image: a\nlong caption\nhere]\n"


# ---------------------------------------------------------------------------- headings


def test_heading_underlines_by_level_and_display_width() -> None:
    assert render(Heading(1, [Text("标题")])) == "标题\n====\n"
    assert render(Heading(2, [Text("小节 A")])) == "小节 A\n------\n"
    assert render(Heading(4, [Strong([Text("x")])])) == "x\n-\n"
    assert render(Heading(2, [Text(" ")])) == "\n"


def test_wrapped_heading_is_underlined_to_its_longest_line() -> None:
    assert render(Heading(2, [Text("aaa bbbbb")]), width=6) == "aaa\nbbbbb\n-----\n"


# ---------------------------------------------------------------------------- lists


def test_bullet_list() -> None:
    assert render(BulletList([[para("one")], [para("two")]])) == "- one\n- two\n"


def test_ordered_list_respects_start_and_aligns_text() -> None:
    items: list[list[Block]] = [[para(f"n{i}")] for i in range(3)]
    assert render(OrderedList(items, start=9)) == "9.  n0\n10. n1\n11. n2\n"
    assert render(OrderedList(items[:1])) == "1. n0\n"


def test_list_continuation_lines_hang_under_the_text() -> None:
    out = render(BulletList([[para("aaa bbb ccc")]]), width=9)
    assert out == "- aaa bbb\n  ccc\n"
    out = render(OrderedList([[para("中文中文中文")]]), width=9)
    assert out == "1. 中文中\n   文中文\n"


def test_nested_list_is_indented_further() -> None:
    nested = BulletList([[para("inner")]])
    out = render(OrderedList([[para("outer"), nested], [para("next")]]))
    assert out == "1. outer\n   - inner\n2. next\n"


def test_item_with_several_paragraphs_makes_a_loose_list() -> None:
    out = render(BulletList([[para("a"), para("b")], [para("c")]]))
    assert out == "- a\n\n  b\n\n- c\n"


def test_empty_list_item_keeps_its_marker() -> None:
    assert render(BulletList([[], [para("x")]])) == "-\n- x\n"


# ---------------------------------------------------------------------------- quotes, code, rule


def test_block_quote_is_indented_four_spaces_and_narrower() -> None:
    out = render(BlockQuote([para("aaa bbb"), para("ccc")]), width=8)
    assert out == "    aaa\n    bbb\n\n    ccc\n"


def test_nested_block_quote() -> None:
    assert render(BlockQuote([BlockQuote([para("x")])])) == "        x\n"


def test_code_block_is_verbatim_indented_and_never_wrapped() -> None:
    code = "\n\ndef f():\n\treturn 'a very long line that must not be wrapped at all'   \n\n"
    out = render(CodeBlock(code, "python"), width=20)
    assert out == ("    def f():\n"
                   "        return 'a very long line that must not be wrapped at all'\n")


def test_code_block_keeps_inner_blank_lines_empty() -> None:
    assert render(CodeBlock("a\n\n  b")) == "    a\n\n      b\n"


def test_horizontal_rule() -> None:
    assert render(HorizontalRule()) == "----------\n"


def test_div_renders_its_blocks() -> None:
    assert render(Div([para("a"), Div([para("b")])])) == "a\n\nb\n"


# ---------------------------------------------------------------------------- tables


def test_table_columns_align_by_display_width() -> None:
    table = Table([[cell("名称"), cell("Price")]],
                  [[cell("苹果"), cell("1")], [cell("banana"), cell("22")]],
                  [Text("表 1")])
    assert render(table) == (
        "名称    Price\n"
        "------  -----\n"
        "苹果    1\n"
        "banana  22\n"
        "表 1\n"
    )


def test_table_without_head_has_no_rule() -> None:
    out = render(Table([], [[cell("a"), cell("b")], [cell("ccc"), cell("d")]]))
    assert out == "a    b\nccc  d\n"


def test_table_cells_are_not_wrapped() -> None:
    assert render(Table([], [[cell("a long cell"), cell("x")]]), width=14) == "a long cell  x\n"


def test_a_table_wider_than_the_width_is_a_wrapped_line_per_row() -> None:
    table = Table([[cell("地区"), cell("人数")]], [[cell("公安系统"), cell("152")], [cell("法院"), cell("13")]])
    assert render(table, width=12) == "地区 | 人数\n-----------\n公安系统 |\n152\n法院 | 13\n"
    assert render(table, width=0) == "地区      人数\n--------  ----\n公安系统  152\n法院      13\n"


def test_table_colspan_and_rowspan() -> None:
    table = Table([[cell("a wide header", colspan=2)]],
                  [[cell("x", rowspan=2), cell("1")], [cell("2")]])
    assert render(table) == (
        "a wide header\n"
        "-  ----------\n"
        "x  1\n"
        "   2\n"
    )


def test_bogus_spans_are_clamped() -> None:
    """The spans stop at the table's last row and at the last column a cell begins in: no
    blank column is left between "a" and "b"."""
    out = render(Table([], [[cell("a", colspan=1000, rowspan=1000), cell("b")], [cell("c")]]))
    assert out == "a  b\n   c\n"


def test_line_break_in_a_cell_adds_no_space_between_cjk() -> None:
    table = Table([], [[TableCell([Text("中"), LineBreak(), Text("文")]),
                        TableCell([Text("a"), LineBreak(), Text("b")])]])
    assert render(table) == "中文  a b\n"


def test_empty_table_renders_only_its_caption() -> None:
    assert render(Table([], [], [Text("cap")])) == "cap\n"
    assert render(Table([[]], [[]])) == "\n"
    assert render(Table([[cell("")], [cell("h")]], [[cell("")], [cell("b")]])) == "h\n-\nb\n"


# ---------------------------------------------------------------------------- properties

WORDS = [*"中文汉字，。「」", "word", "https://example.com/x", " ", " ", "\n", "\t", "\x00", "\x0b"]
texts = st.lists(st.sampled_from(WORDS), max_size=20).map("".join)
inlines = st.recursive(
    st.one_of(st.builds(Text, texts), st.builds(Code, texts), st.just(LineBreak()),
              st.builds(Image, st.just("i.png"), texts)),
    lambda children: st.one_of(
        st.builds(Strong, st.lists(children, max_size=3)),
        st.builds(Link, st.lists(children, max_size=3),
                  st.sampled_from(["https://a.com/", "#x", "mailto:a@b.c", "https://a.com/\x00y"]))),
    max_leaves=8)
paragraphs = st.builds(Paragraph, st.lists(inlines, max_size=5))
cells = st.builds(TableCell, st.lists(inlines, max_size=2))
blocks = st.recursive(
    st.one_of(paragraphs, st.builds(CodeBlock, texts), st.just(HorizontalRule()),
              st.builds(Heading, st.integers(1, 3), st.lists(inlines, max_size=3)),
              st.builds(Table, st.just([]), st.lists(st.lists(cells, max_size=3), max_size=3))),
    lambda children: st.one_of(
        st.builds(BlockQuote, st.lists(children, max_size=3)),
        st.builds(BulletList, st.lists(st.lists(children, max_size=2), max_size=3)),
        st.builds(OrderedList, st.lists(st.lists(children, max_size=2), max_size=3)),
        st.builds(Div, st.lists(children, max_size=3))),
    max_leaves=10)
documents = st.builds(Document, st.builds(Meta, title=texts, author=texts, url=texts),
                      st.lists(blocks, max_size=5))


@settings(max_examples=200, deadline=None)
@given(documents, st.sampled_from([0, 1, 10, 40, 80]))
def test_output_is_clean(doc: Document, width: int) -> None:
    out = TextWriter(width=width).write(doc)
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert all(ch == "\n" or ch.isprintable() or ch == " " for ch in out), repr(out)
    assert all(line == line.rstrip() for line in out.split("\n")), repr(out)
    assert out == "\n" or not out.startswith("\n")
    if not any(isinstance(node, CodeBlock) for node in walk(doc.blocks)):  # code is verbatim
        assert "\n\n\n" not in out, repr(out)
    assert TextWriter(width=width).write(doc) == out


flat_blocks = st.one_of(
    paragraphs, st.just(HorizontalRule()), st.builds(Heading, st.integers(1, 3), st.lists(inlines, max_size=3)),
    st.builds(Table, st.lists(st.lists(cells, max_size=3), max_size=1), st.lists(st.lists(cells, max_size=3), max_size=3)),
    st.builds(Figure, st.builds(Image, st.just("i.png"), texts), st.lists(inlines, max_size=2)))
prose = st.lists(st.sampled_from([*WORDS[:-2], "2020", "年", "9", "月", "AI", "模型", "[", "]"]),
                 max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.builds(Document, st.builds(Meta, title=prose, author=prose, url=st.just("https://e.com/" + "x" * 30),
                                     language=st.sampled_from(["en", "zh-Hans"])),
                 st.lists(flat_blocks, max_size=5)),
       st.sampled_from([1, 10, 20, 40, 80]))
def test_no_line_is_wider_than_the_width_but_one_unbreakable_unit(doc: Document, width: int) -> None:
    """Outside code blocks and nesting (which indents): every line fits, or it is one unit
    that wrapping cannot break (a long URL or word), alone or after its label ("[1] ")."""
    for line in TextWriter(width=width).write(doc).split("\n"):
        if display_width(line) > width:
            parts = wrap(line, width)
            label = line[:len(line) - len(parts[-1])]
            labelled = line.endswith(parts[-1]) and display_width(parts[-1]) > width and display_width(label) <= 12
            assert parts == [line] or labelled, (line, width)


def test_line_breaks_leave_at_most_one_blank_line() -> None:
    assert render(para("a", LineBreak(), LineBreak(), LineBreak(), "b")) == "a\n\nb\n"


def test_reference_number_stays_before_a_trailing_line_break() -> None:
    out = render(para(Link([Text("x"), LineBreak()], "https://a.com/"), "y"), references="inline")
    assert out.startswith("x[1]\ny\n")

