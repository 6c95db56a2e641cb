"""Tests of the Markdown writer, checked by reading the output back with markdown-it-py."""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata

import lxml.html
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from converter.ast import (
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
    plain_text,
)
from converter.writers import get_writer_class, writer_options
from converter.writers.markdown import MarkdownWriter

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")

#: HTML elements that carry inline formatting, by the AST node they come from.
FORMATS = {"strong": "strong", "em": "emphasis", "s": "strikeout", "a": "link"}
NODE_FORMATS = {Strong: "strong", Emphasis: "emphasis", Strikeout: "strikeout", Link: "link"}

Chars = list[tuple[str, frozenset[str]]]


# ---------------------------------------------------------------------------- helpers


def markdown(*blocks, **meta) -> str:
    return MarkdownWriter(front_matter=False).write(Document(Meta(**meta), list(blocks)))


def html(text: str) -> lxml.html.HtmlElement:
    """The Markdown parsed by markdown-it, as an element wrapping the top-level blocks."""
    return lxml.html.fragment_fromstring(MD.render(text), create_parent="div")


def own_text(element: lxml.html.HtmlElement) -> str:
    """The text before an element's first child; an image's alt text."""
    return element.get("alt", "") if element.tag == "img" else element.text or ""


def text_of(element: lxml.html.HtmlElement) -> str:
    """Text content, with an image counting as its alt text."""
    parts = [own_text(element)]
    for child in element:
        parts += [text_of(child), child.tail or ""]
    return "".join(parts)


def rendered_text(text: str) -> str:
    """The text a reader sees, without the line breaks between HTML blocks."""
    return text_of(html(text)).strip("\n")


def squash(text: str) -> str:
    """``text`` without white space, superscript forms read as what they raise (see
    :func:`plain`)."""
    return re.sub(r"\s+", "", plain(text))


def plain(text: str) -> str:
    """``text`` with compatibility forms read as their characters: a superscript's digits and
    signs are written as superscript characters (``¹`` is ``1``, ``⁻`` is ``-``)."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-")


def html_chars(element: lxml.html.HtmlElement, formats: frozenset[str] = frozenset()) -> Chars:
    """Every non-space character of the parsed HTML with the formats around it."""
    if element.tag in FORMATS:
        formats = formats | {FORMATS[element.tag]}
    out = [(c, formats) for c in own_text(element)]
    for child in element:
        out += html_chars(child, formats) + [(c, formats) for c in child.tail or ""]
    return [(plain(c), f) for c, f in out if not c.isspace()]


def ast_chars(nodes: list[Inline], formats: frozenset[str] = frozenset()) -> Chars:
    """Every non-space character of the inlines with the formats around it."""
    out: Chars = []
    for node in nodes:
        if isinstance(node, (Text, Code)):
            out += [(plain(c), formats) for c in node.text if not c.isspace()]
        elif isinstance(node, Image):
            out += [(plain(c), formats) for c in node.alt if not c.isspace()]
        elif not isinstance(node, LineBreak):
            kind = NODE_FORMATS.get(type(node))
            out += ast_chars(node.content, formats | {kind} if kind else formats)
    return out


def only_paragraph(text: str) -> lxml.html.HtmlElement:
    """The single paragraph the Markdown must parse to, holding nothing but text and breaks."""
    root = html(text)
    assert [child.tag for child in root] == ["p"], MD.render(text)
    assert {el.tag for el in root[0].iter()} <= {"p", "br"}, MD.render(text)
    return root[0]


def strong_texts(text: str) -> list[str]:
    return [text_of(el) for el in html(text).iter("strong")]


# ---------------------------------------------------------------------------- registry


def test_registered_under_its_name():
    assert get_writer_class("markdown") is MarkdownWriter
    assert MarkdownWriter.aliases == ("md",) and MarkdownWriter.extension == "md"
    assert writer_options(MarkdownWriter) == ["front_matter", "extract_media", "offline", "cache_dir", "allow_private_hosts"]


# ---------------------------------------------------------------------------- escaping

LITERALS = [
    "2 * 3 * 4 = 24",
    "*not emphasis*",
    "**not strong**",
    "_not emphasis_ and __not strong__",
    "snake_case_name",
    "`not code`",
    "``double``",
    "[not a link](http://example.com)",
    "[label]: /not-a-definition",
    "a ] b [ c",
    "back\\slash \\* \\\\ end\\",
    "<b>not bold</b>",
    "<http://example.com> <me@example.com>",
    "a < b > c",
    "&amp; &copy; &#35; &#x23; stay literal",
    "~~not struck~~ ~single~",
    "!![not an image](x)",
    "* bullet",
    "+ plus item",
    "- dash item",
    "-",
    "1. first",
    "1) first",
    "2024. A year",
    "# not a heading",
    "###### six",
    "> not a quote",
    ">also not",
    "---",
    "***",
    "___",
    "- - -",
    "=",
    "===",
    "```",
    "~~~",
    "| a | b |",
]


@pytest.mark.parametrize("text", LITERALS)
def test_literal_text_stays_text(text):
    out = markdown(Paragraph([Text(text)]))
    assert rendered_text(out) == text
    only_paragraph(out)


@pytest.mark.parametrize("text", ["1. item", "# h", "> q", "- x", "+ y", "---", "===", "==",
                                  "|-|-|", "| --- | :-: |", "2) z", "<div>", "```"])
def test_block_prefix_after_line_break_stays_text(text):
    out = markdown(Paragraph([Text("first | col"), LineBreak(), Text(text), LineBreak(),
                              Text(text)]))
    paragraph = only_paragraph(out)
    assert squash(text_of(paragraph)) == squash("first | col" + text + text)
    assert len(paragraph.findall("br")) == 2


def test_leading_spaces_do_not_make_code():
    out = markdown(Paragraph([Text("        indented words")]))
    assert out == "indented words\n"


def test_only_what_needs_it_is_escaped():
    text = "Mr. Smith said: wow! #tag 3.5% (a+b)-c=d; 'q' \"q\" {x} ^ $ @ / a_b 中_文 1 * 2"
    assert markdown(Paragraph([Text(text)])) == text + "\n"


@pytest.mark.parametrize("text, written", [
    ("[注] 本文", "[注] 本文"),  # brackets make no link unless "(" or "[" follows the "]"
    ("the [pupils] said", "the [pupils] said"),
    ("文末[注]", "文末[注]"),  # the end of the paragraph: nothing follows
    ("[a](b) [c][d] [e]: f", "[a\\](b) [c\\][d] [e\\]: f"),  # a link, a reference, a definition
    ("[[wiki]]", "\\[[wiki]]"),  # a wiki link in Obsidian
    ("5 ** 3 and 2 * 3", "5 ** 3 and 2 * 3"),  # a run between spaces neither opens nor closes
    ("**not bold**", "\\*\\*not bold**"),  # the closing run has nothing left to close
    ("a**b**c", "a\\*\\*b\\*\\*c"),  # inside a word a run both opens and closes
    ("~~not struck~~", "\\~\\~not struck~~"),
])
def test_brackets_and_delimiter_runs_are_escaped_only_where_they_could_be_syntax(text, written):
    out = markdown(Paragraph([Text(text)]))
    assert out == written + "\n"
    assert rendered_text(out) == text
    only_paragraph(out)


def test_a_closing_run_inside_emphasis_is_escaped():
    """Inside a span a run that can close would close the span: only at the top level of a
    block may it stay unescaped."""
    out = markdown(Paragraph([Strong([Text("a** b")])]))
    assert strong_texts(out) == ["a** b"]


@pytest.mark.parametrize("text", ["[ ] todo", "[x] done", "[X] done"])
def test_a_task_list_marker_stays_text(text):
    """GitHub reads ``- [x] done`` as a checkbox (markdown-it's CommonMark does not)."""
    out = markdown(BulletList([[Paragraph([Text(text)])]]))
    assert out == f"- \\{text}\n"
    assert [text_of(li) for li in html(out).iter("li")] == [text]


def test_a_bracket_before_a_link_is_escaped():
    out = markdown(Paragraph([Text("see ]"), Link([Text("x")], "u"), Text(" [")]))
    assert out == "see \\][x](u) [\n"
    assert rendered_text(out) == "see ]x ["


def test_pipe_in_table_cell_stays_text():
    out = markdown(Table([[TableCell([Text("a|b")])]], [[TableCell([Code("x|y")])]]))
    root = html(out)
    assert [text_of(th) for th in root.iter("th")] == ["a|b"]
    assert [text_of(code) for code in root.iter("code")] == ["x|y"]


# ---------------------------------------------------------------------------- whitespace


def test_whitespace_collapses_and_strips():
    out = markdown(Paragraph([Text("  a \n\t b  "), Strong([Text(" c ")]), Text("  d ")]))
    assert rendered_text(out) == "a b c d"


def test_no_space_between_cjk_characters():
    out = markdown(Paragraph([Text("中文\n"), Strong([Text("粗体")]), Text("\n字")]))
    assert rendered_text(out) == "中文粗体字"
    assert out == "中文**粗体**字\n"


def test_space_between_latin_words_across_lines():
    assert rendered_text(markdown(Paragraph([Text("one\ntwo")]))) == "one two"


# ---------------------------------------------------------------------------- inlines


def test_strong_emphasis_strikeout():
    out = markdown(Paragraph([Strong([Text("b")]), Text(" "), Emphasis([Text("i")]), Text(" "),
                              Strikeout([Text("s")])]))
    assert out == "**b** *i* ~~s~~\n"


def test_nested_strong_is_flattened():
    out = markdown(Paragraph([Strong([Text("a "), Strong([Text("b")]), Text(" c")])]))
    assert out == "**a b c**\n"


def test_bold_italic():
    out = markdown(Paragraph([Text("x "), Strong([Emphasis([Text("both")]), Text(" bold")])]))
    root = html(out)
    assert text_of(root.find(".//strong/em")) == "both"
    assert rendered_text(out) == "x both bold"


def test_italic_inside_bold_italic_run():
    nodes = [Strong([Emphasis([Text("甲")]), Text("乙"), Emphasis([Text("丙")]), Text("丁")])]
    out = markdown(Paragraph(nodes))
    assert rendered_text(out) == "甲乙丙丁"
    pairs = zip(html_chars(html(out)), ast_chars(nodes), strict=True)
    assert all("strong" in got and got <= wanted for (_, got), (_, wanted) in pairs)


def test_adjacent_code_spans():
    out = markdown(Paragraph([Code("`"), Code("`")]))
    assert [el.text for el in html(out).iter("code")] == ["``"]


@pytest.mark.parametrize("node, digit", [(Superscript, "²"), (Subscript, "₂")])
def test_superscript_and_subscript_keep_their_text(node, digit):
    out = markdown(Paragraph([Text("x"), node([Text("2")]), Text(" H"), node([Text("*")])]))
    assert rendered_text(out) == f"x{digit} H*"


@pytest.mark.parametrize("nodes, shown", [
    ([Text("共有10"), Superscript([Text("170")]), Text("种")], "共有10¹⁷⁰种"),  # not 10170
    ([Text("CO"), Subscript([Text("2")]), Text(" and Ca"), Superscript([Text("2+")])], "CO₂ and Ca²⁺"),
    ([Text("e"), Superscript([Text("2x")])], "e^(2x)"),  # no Unicode form: a marked exponent
    ([Text("x"), Subscript([Text("1a")])], "x_(1a)"),
    ([Text("见文献"), Superscript([Text("［9］")]), Text("。")], "见文献［9］。"),  # a note brings its brackets
    ([Text("the 1"), Superscript([Text("st")])], "the 1st"),  # an ordinal
    ([Text("a"), Superscript([Link([Text("3")], "#fn3")])], "a³"),  # a note link stays a link
])
def test_superscript_and_subscript_keep_their_meaning(nodes, shown):
    """CommonMark has no syntax for them and raw <sup> would be raw HTML: Unicode superscript
    digits where every character has one, else ^(...) where a number would run on."""
    out = markdown(Paragraph(nodes))
    assert rendered_text(out) == shown
    assert "<" not in out
    assert [a.get("href") for a in html(out).iter("a")] == [
        n.url for node in nodes if isinstance(node, Superscript) for n in node.content if isinstance(n, Link)]


@pytest.mark.parametrize("code", ["x", "a`b", "``", "`x`", " a ", "  ", "x\ny"])
def test_code_span(code):
    out = markdown(Paragraph([Text("see "), Code(code)]))
    assert [el.text for el in html(out).iter("code")] == [code.replace("\n", " ")]


def test_code_span_exact():
    assert markdown(Paragraph([Code("a`b")])) == "``a`b``\n"


def test_line_break():
    out = markdown(Paragraph([Text("a"), LineBreak(), Text("b")]))
    assert out == "a\\\nb\n"
    assert len(only_paragraph(out).findall("br")) == 1


def test_line_breaks_at_edges_are_dropped():
    out = markdown(Paragraph([LineBreak(), Text("a "), LineBreak(), LineBreak()]))
    assert out == "a\n"


@pytest.mark.parametrize("nodes", [
    [Strong([Text("小标题"), LineBreak()]), LineBreak(), Text("正文")],  # <b>小标题<br></b><br>正文
    [Text("小标题"), LineBreak(), Text(" "), LineBreak(), LineBreak(), Text("正文")],
])
def test_two_line_breaks_in_a_row_make_a_new_paragraph(nodes):
    """Not lines holding a lone backslash: Markdown cannot show an empty line in a paragraph."""
    out = markdown(Paragraph(nodes))
    assert not any(line.strip() == "\\" for line in out.splitlines())
    assert [text_of(p) for p in html(out).iter("p")] == ["小标题", "正文"]


def test_a_link_of_line_breaks_is_not_cut_away():
    out = markdown(Paragraph([Link([LineBreak(), LineBreak()], "https://nei.st/a"), LineBreak(), LineBreak(),
                              Text("b")]))
    assert out == "[nei.st](https://nei.st/a)\n\nb\n"


def test_a_piece_of_a_cut_link_that_shows_no_text_is_no_link():
    """The link is shown by its piece with text; the other piece would get a label the
    document does not hold."""
    out = markdown(Paragraph([Link([Strong([Text("a"), LineBreak()]), LineBreak(), Code(" ")], "https://x.org/")]))
    assert out == "[**a**](https://x.org/)\n\n` `\n"
    out = markdown(Paragraph([Link([LineBreak(), LineBreak(), Text("b")], "https://x.org/")]))
    assert out == "[b](https://x.org/)\n"


def test_a_span_cut_by_a_blank_line_goes_on_after_it():
    out = markdown(Paragraph([Strong([Text("a"), LineBreak(), LineBreak(), Text("b")]), Text("c")]))
    assert out == "**a**\n\n**b**c\n"


def test_line_break_before_trailing_nbsp_is_dropped():
    out = markdown(Paragraph([Strong([Text("a"), LineBreak(), Text("\u00a0")])]))
    assert "\\" not in rendered_text(out)


@pytest.mark.parametrize("url", ["http://example.com/a_b*c", "http://x/a b", "http://x/(y)", "",
                                 "http://x/<y>", "a\\b", "http://x/?a=1&amp;b=2"])
def test_link_url_round_trips(url):
    out = markdown(Paragraph([Link([Text("text")], url, 'say "hi" \\')]))
    link = html(out).find(".//a")
    assert link.get("href") == MD.normalizeLink(url)
    assert link.get("title") == 'say "hi" \\'
    assert text_of(link) == "text"


def test_link_exact():
    assert markdown(Paragraph([Link([Text("a")], "http://x", "t")])) == '[a](http://x "t")\n'


def test_link_text_is_escaped():
    out = markdown(Paragraph([Link([Text("a] [b *c*")], "u")]))
    assert text_of(html(out).find(".//a")) == "a] [b *c*"


def test_link_without_text_shows_its_host_not_its_raw_url():
    out = markdown(Paragraph([Link([Text(" ")], "http://www.example.com/x_y?q=1")]))
    link = html(out).find(".//a")
    assert (text_of(link), link.get("href")) == ("example.com", "http://www.example.com/x_y?q=1")


@pytest.mark.parametrize("language, label", [("en", "link"), ("zh-Hans", "链接"), ("zh-TW", "連結")])
def test_link_without_text_or_host_shows_a_localised_label(language, label):
    out = markdown(Paragraph([Link([], "/relative/page")]), language=language)
    assert text_of(html(out).find(".//a")) == label


def test_exclamation_before_link_is_not_an_image():
    out = markdown(Paragraph([Text("wow!"), Link([Text("a")], "u")]))
    assert html(out).find(".//img") is None
    assert rendered_text(out) == "wow!a"


def test_link_in_link_is_flattened():
    out = markdown(Paragraph([Link([Text("a "), Link([Text("b")], "v")], "u")]))
    assert [a.get("href") for a in html(out).iter("a")] == ["u"]
    assert rendered_text(out) == "a b"


def test_image():
    out = markdown(Paragraph([Image("http://x/a.png", "alt *with* [brackets]", "t")]))
    img = html(out).find(".//img")
    assert (img.get("src"), img.get("alt"), img.get("title")) == (
        "http://x/a.png", "alt *with* [brackets]", "t")


# ---------------------------------------------------------------------------- CJK emphasis


@pytest.mark.parametrize("bold, after", [("德国之声：问题？", "我觉得"), ("注意：", "今天"),
                                         ("「引用」", "之后"), ("他说：“好”", "然后")])
def test_bold_ending_in_punctuation_before_cjk(bold, after):
    out = markdown(Paragraph([Strong([Text(bold)]), Text(after)]))
    assert rendered_text(out) == bold + after
    assert "*" not in rendered_text(out)
    [strong] = strong_texts(out)
    assert strong in bold and [c for c in strong if c.isalnum()] == [c for c in bold if c.isalnum()]
    assert not strong.endswith(("？", "：", "」", "”"))


def test_bold_starting_with_bracket_after_letter():
    out = markdown(Paragraph([Text("他说"), Strong([Text("「你好」")]), Text("我")]))
    assert rendered_text(out) == "他说「你好」我"
    assert strong_texts(out) == ["你好"]


def test_bold_of_only_punctuation_is_plain():
    out = markdown(Paragraph([Text("问"), Strong([Text("？！")]), Text("答")]))
    assert out == "问？！答\n"


def test_empty_bold_disappears():
    assert markdown(Paragraph([Text("a"), Strong([]), Emphasis([Text(" ")]), Text("b")])) == "a b\n"


def test_bold_around_link_after_cjk_moves_into_link():
    link = Link([Text("这里")], "http://x")
    out = markdown(Paragraph([Text("请看"), Strong([link]), Text("。")]))
    assert rendered_text(out) == "请看这里。"
    assert text_of(html(out).find(".//a/strong")) == "这里"


def test_emphasis_and_strikeout_are_repaired_too():
    out = markdown(Paragraph([Text("甲"), Emphasis([Text("（乙）")]), Text("丙"),
                              Strikeout([Text("「丁」")]), Text("戊")]))
    root = html(out)
    assert rendered_text(out) == "甲（乙）丙「丁」戊"
    assert [text_of(el) for el in root.iter("em", "s")] == ["乙", "丁"]


def test_bold_with_spaces_inside():
    out = markdown(Paragraph([Text("a"), Strong([Text(" b ")]), Text("c")]))
    assert rendered_text(out) == "a b c"
    assert strong_texts(out) == ["b"]


# ---------------------------------------------------------------------------- blocks


def test_heading():
    assert markdown(Heading(2, [Text("Hello "), Emphasis([Text("world")])])) == "## Hello *world*\n"


@pytest.mark.parametrize("level, tag", [(0, "h1"), (3, "h3"), (9, "h6")])
def test_heading_level_is_clamped(level, tag):
    assert html(markdown(Heading(level, [Text("x")])))[0].tag == tag


@pytest.mark.parametrize("text", ["C #", "#", "a ##  ", "# b"])
def test_heading_text_with_hashes(text):
    root = html(markdown(Heading(1, [Text(text)])))
    assert text_of(root[0]) == text.strip()


def test_heading_line_break_becomes_space():
    out = markdown(Heading(1, [Text("a"), LineBreak(), Text("b")]))
    assert out == "# a b\n"


def test_paragraphs_are_separated_by_blank_lines():
    assert markdown(Paragraph([Text("a")]), Paragraph([Text("b")])) == "a\n\nb\n"


def test_empty_paragraph_is_skipped():
    blank = Paragraph([Text(" "), LineBreak()])
    assert markdown(Paragraph([Text("a")]), blank, Paragraph([Text("b")])) == "a\n\nb\n"


def test_figure():
    out = markdown(Figure(Image("http://x/a.png"), [Text("A "), Strong([Text("caption")])]))
    assert out == "![](http://x/a.png)\n\nA **caption**\n"
    root = html(out)
    assert root.find(".//img").get("alt") == ""
    assert text_of(root[1]) == "A caption"


@pytest.mark.parametrize("alt, shown", [
    ("夜间的阅览室。", ""),  # the caption says it: shown once, under the picture
    ("阅览室", ""),  # part of the caption
    ("  夜间的\n阅览室。 ", ""),  # the same once white space is collapsed
    ("Photo: a reading room", "Photo: a reading room"),  # says something else: kept
])
def test_figure_caption_is_shown_once(alt, shown):
    out = markdown(Figure(Image("http://x/a.png", alt), [Text("夜间的阅览室。")]))
    root = html(out)
    assert root.find(".//img").get("alt") == shown
    assert rendered_text(out).count("夜间的阅览室。") == 1


def test_figure_keeps_its_alt_and_may_lack_a_caption():
    assert markdown(Figure(Image("a.png", "alt"))) == "![alt](a.png)\n"


def test_bullet_list():
    out = markdown(BulletList([[Paragraph([Text("a")])], [Paragraph([Text("- b")])]]))
    assert out == "- a\n- \\- b\n"


def test_nested_and_multi_paragraph_items():
    items = [[Paragraph([Text("one")]), Paragraph([Text("two")]),
              BulletList([[Paragraph([Text("inner")])]]), CodeBlock("code\n")],
             [Paragraph([Text("three"), LineBreak(), Text("# four")])]]
    root = html(markdown(OrderedList(items, start=9)))
    first, second = root.findall("ol/li")
    assert [text_of(p) for p in first.findall("p")] == ["one", "two"]
    assert text_of(first.find("ul/li")).strip() == "inner"
    assert first.find("pre/code").text == "code\n"
    assert squash(text_of(second)) == "three#four"
    assert root.find("ol").get("start") == "9"


def test_ordered_list_numbering():
    out = markdown(OrderedList([[Paragraph([Text("a")])]] * 10, start=3))
    assert out.splitlines()[0] == "3. a" and out.splitlines()[-1] == "12. a"
    assert len(html(out).findall("ol/li")) == 10


def test_rule_first_in_bullet_item():
    root = html(markdown(BulletList([[HorizontalRule()], [Paragraph([Text("b")])]])))
    assert [len(li.findall("hr")) for li in root.findall("ul/li")] == [1, 0]


def test_adjacent_lists_stay_apart():
    lists = [BulletList([[Paragraph([Text(str(k))])]]) for k in range(3)]
    ordered = [OrderedList([[Paragraph([Text(str(k))])]]) for k in range(2)]
    root = html(markdown(*lists, Div(ordered)))
    assert [child.tag for child in root] == ["ul", "ul", "ul", "ol", "ol"]


def test_block_quote():
    out = markdown(BlockQuote([Paragraph([Text("a")]), Paragraph([Text("> b")]),
                               BulletList([[Paragraph([Text("c")])]])]))
    assert out == "> a\n>\n> \\> b\n>\n> - c\n"
    quote = html(out).find("blockquote")
    assert [text_of(p) for p in quote.findall("p")] == ["a", "> b"]


def test_code_block():
    assert markdown(CodeBlock("print(1)", "python")) == "```python\nprint(1)\n```\n"


@pytest.mark.parametrize("text", ["a\n```\nb\n", "````x", "", "  indented\n\n\nblank\n"])
def test_code_block_content_round_trips(text):
    code = html(markdown(CodeBlock(text, "js"))).find("pre/code")
    assert (code.text or "") == (text if text.endswith("\n") or not text else text + "\n")
    assert code.get("class") == "language-js"


def test_horizontal_rule_after_paragraph():
    out = markdown(Paragraph([Text("a")]), HorizontalRule(), Paragraph([Text("b")]))
    assert out == "a\n\n---\n\nb\n"
    assert [child.tag for child in html(out)] == ["p", "hr", "p"]


def test_table():
    table = Table(head=[[TableCell([Text("h1")]), TableCell([Text("h|2")])]],
                  body=[[TableCell([Text("a"), LineBreak(), Text("b")])],
                        [TableCell([Strong([Text("x")])]), TableCell([Text("y")]),
                         TableCell([Text("z")])]],
                  caption=[Text("Table 1")])
    out = markdown(table)
    assert out.startswith("| h1 | h\\|2 |  |\n| --- | --- | --- |\n| a b |  |  |\n")
    root = html(out)
    assert [text_of(th) for th in root.iter("th")] == ["h1", "h|2", ""]
    assert [[text_of(td) for td in tr.iter("td")] for tr in root.find("table/tbody")] == [
        ["a b", "", ""], ["x", "y", "z"]]
    assert text_of(root[1]) == "Table 1"


def test_table_without_head_keeps_rows_in_body():
    root = html(markdown(Table([], [[TableCell([Text("a")]), TableCell([Text("b")])]])))
    assert [text_of(td) for td in root.iter("td")] == ["a", "b"]
    assert [text_of(th) for th in root.iter("th")] == ["", ""]


def test_table_spans_keep_columns_aligned():
    table = Table([], [[TableCell([Text("a")], rowspan=2), TableCell([Text("b")], colspan=2)],
                       [TableCell([Text("c")]), TableCell([Text("d")])]])
    rows = html(markdown(table)).find("table/tbody")
    assert [[text_of(td) for td in tr] for tr in rows] == [["a", "b", ""], ["", "c", "d"]]


def test_div_is_its_blocks():
    out = markdown(Div([Paragraph([Text("a")]), Div([Paragraph([Text("b")])])]))
    assert out == "a\n\nb\n"


# ---------------------------------------------------------------------------- document


META = Meta(title='Breaking: "quotes" # and more', url="https://example.com/a?b=1#c",
            published=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), author="作者",
            site="", language="zh", tags=["a", "b: c"], extra={"id": 7, "note": "", "x": [1]})


def front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    return yaml.safe_load(head)


def test_front_matter_round_trips():
    out = MarkdownWriter().write(Document(META, [Paragraph([Text("body")])]))
    assert front_matter(out) == {"title": META.title, "url": META.url,
                                 "published": "2024-05-06T07:08:09Z", "author": "作者",
                                 "language": "zh", "tags": ["a", "b: c"], "id": 7, "x": [1]}
    assert out.endswith('\n---\n\n# Breaking: "quotes" # and more\n\nbody\n')


@pytest.mark.parametrize("title", ["[draft] news", "a: b", "- x", "'q'", "yes", "1.0", "---",
                                   "中文：标题", "x" * 200, "@at", "null"])
def test_front_matter_title_round_trips(title):
    out = MarkdownWriter().write(Document(Meta(title=title), []))
    assert front_matter(out) == {"title": title}
    assert all(len(line) < 220 for line in out.splitlines())


def test_title_heading_is_escaped():
    out = markdown(title="*Not* #1 [x]")
    assert out == "# \\*Not* #1 [x]\n"  # the closing "*" has no opener left to close
    assert rendered_text(out) == "*Not* #1 [x]"


def test_without_front_matter():
    out = MarkdownWriter(front_matter=False).write(Document(META, [Paragraph([Text("body")])]))
    assert out == '# Breaking: "quotes" # and more\n\nbody\n'


def test_empty_metadata_has_no_front_matter():
    assert MarkdownWriter().write(Document(Meta(), [Paragraph([Text("a")])])) == "a\n"
    assert MarkdownWriter().write(Document(Meta(), [])) == "\n"


def test_deterministic_and_pure():
    blocks = [Paragraph([Text("a "), Strong([Text("「b」")]), Text("c")]),
              Table([], [[TableCell([Text("x")])]])]
    doc = Document(META, blocks)
    before = copy.deepcopy(doc)
    first = MarkdownWriter().write(doc)
    assert MarkdownWriter().write(doc) == first == MarkdownWriter().write(before)
    assert doc == before


# ---------------------------------------------------------------------------- properties

TEXT_CHARS = "ab 中文，。？！「」：*_`[]<>&#!|~\\\n\t\u00a0\u3000-+=.1;()"
texts = (st.text(st.sampled_from(TEXT_CHARS), min_size=1, max_size=6)
         | st.sampled_from(["&amp;", "1. ", "# ", "> ", "---", "<b>", "![x](y)", "***"])).map(Text)
urls = st.text(st.sampled_from("ab/:()<> \\&;#"), max_size=6)
leaves = (texts | st.builds(Code, st.text(st.sampled_from("a` |*\n"), min_size=1, max_size=4))
          | st.builds(Image, urls, st.text(st.sampled_from("ab*[]"), min_size=1, max_size=3))
          | st.just(LineBreak()))


def no_marked_number(node: Superscript) -> bool:
    """Whether a superscript is written without ``^(…)`` after any character: it starts with
    no digit (``test_superscript_and_subscript_keep_their_meaning`` has those)."""
    return not squash(plain_text(node.content))[:1].isdecimal()


def containers(children: st.SearchStrategy) -> st.SearchStrategy:
    content = st.lists(children, min_size=1, max_size=4)
    return (st.builds(Strong, content) | st.builds(Emphasis, content)
            | st.builds(Strikeout, content) | st.builds(Superscript, content).filter(no_marked_number)
            | st.builds(Link, content, urls).filter(lambda link: plain_text(link.content).strip()))


paragraphs = st.lists(st.recursive(leaves, containers, max_leaves=12), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(paragraphs)
def test_paragraph_text_round_trips(nodes):
    out = markdown(Paragraph(nodes))
    assert squash(rendered_text(out)) == squash(plain_text(nodes))
    # no formatting appears that the AST does not have
    pairs = zip(html_chars(html(out)), ast_chars(nodes), strict=True)
    for (char, got), (expected_char, wanted) in pairs:
        assert char == expected_char and got <= wanted, out


@settings(max_examples=300, deadline=None)
@given(texts, st.sampled_from([Strong, Emphasis, Strikeout]), texts, texts)
def test_emphasis_of_words_survives(before, kind, inside, after):
    nodes = [before, kind([inside]), after]
    out = markdown(Paragraph(nodes))
    assert squash(rendered_text(out)) == squash(plain_text(nodes))
    # every letter or CJK character keeps exactly its formatting
    for (char, got), (_, wanted) in zip(html_chars(html(out)), ast_chars(nodes), strict=True):
        assert char.isalnum() <= (got == wanted), out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(paragraphs.map(Paragraph), min_size=1, max_size=2), min_size=1,
                max_size=3))
def test_list_items_round_trip(items):
    out = markdown(BulletList(items))
    root = html(out)
    assert [child.tag for child in root] == ["ul"]
    expected = [squash("".join(plain_text(p.content) for p in item)) for item in items]
    assert [squash(text_of(li)) for li in root.findall("ul/li")] == expected


_run_text = st.text(st.sampled_from(list("ab 中文 *_~`[]<&\\\t\n.,!\u00a0\u3000")), min_size=0, max_size=8)
_run_node = st.builds(Text, _run_text) | st.builds(
    lambda text, url: Link([Text(text)], url), _run_text, st.sampled_from(["", "https://example.com/a"]))


@settings(max_examples=2000, deadline=None)
@given(st.lists(_run_node, max_size=5))
def test_plain_paragraph_fast_path_changes_nothing_the_rewrite_would(nodes: list) -> None:
    """Paragraphs that skip the whitespace/emphasis rewrite are exactly what it would make."""
    from converter.writers import markdown as M

    if M._is_plain_run(nodes):
        tokens = M._merge_text(M._collapse_whitespace(M._flatten(nodes, False)))
        assert M._unflatten(M._merge_text(M._repair_emphasis(tokens))) == nodes


def test_the_quick_look_for_syntax_finds_every_character_escaping_looks_at() -> None:
    """``escape_text`` returns a text unchanged when ``_ANY_SPECIAL`` finds nothing in it, so
    the two patterns must agree on which characters may start inline syntax."""
    from converter.writers import markdown

    chars = [chr(code) for code in range(0x3000)]
    assert [c for c in chars if markdown._ANY_SPECIAL.search(c)] == \
        [c for c in chars if markdown._INLINE_SPECIAL.search(c)]


@pytest.mark.parametrize("nodes, parts", [
    ([Text("a"), LineBreak(), Text("b")], 1),
    ([Strong([Text("a"), LineBreak()]), LineBreak(), Text("b")], 2),
    ([Link([Text("a"), LineBreak(), LineBreak()], "https://example.org/"), Text("b")], 2),
])
def test_a_paragraph_is_cut_only_where_two_breaks_meet(nodes: list[Inline], parts: int) -> None:
    """The count that skips the cut (fewer than two breaks anywhere) and the cut agree."""
    from converter.writers.markdown import _split_at_blank_lines

    assert len(_split_at_blank_lines(nodes)) == parts
