"""Pathological inputs for the regular expressions that run on document text.

Each case is one pattern (or a few that one function runs in turn) and an input of about
100 KB, built of runs of 100,000 characters to make that pattern backtrack as much as it
can: long runs of what one part of the pattern takes, before what makes the match fail. The
input goes through the public function that uses the pattern, and the case knows what that
function must return on it. Some cases are inputs that must still match, in the same shape.

A linear pattern takes milliseconds on these inputs; a quadratic one half a minute or more,
a cubic one days. ``tests/test_redos.py`` runs each case in a child process with a limit of
a few seconds and checks the result; ``benchmarks/bench_redos.py`` times them. Both use
:func:`run_in_child`, so a case that hangs costs the limit, not the time it would take.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from lxml import etree

import converter
from converter import ast as A
from converter import simple_yaml
from converter.chars import collapse_html_space, collapse_unicode_space
from converter.images import clean_svg
from converter.readers import bylines, cleanup, dates, header, language, rules
from converter.wrap import wrap
from converter.writers import markdown, markup
from converter.writers.article import language_tag
from converter.writers.pandoc import to_pandoc_json
from converter.writers.pandoc.dialects import OrgAst

#: The length of the runs the inputs are built of, in characters.
SIZE = 100_000
HALF = SIZE // 2
HEAD = "<!--1738414025000-->\n[Title](https://news.example.org/a)\n------\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg">{}</svg>'


@dataclass(frozen=True)
class Case:
    """One pathological input for ``pattern``: ``run(*build())`` must return ``expected(*build())``."""

    name: str
    pattern: str
    build: Callable[[], tuple[Any, ...]]
    run: Callable[..., Any]
    expected: Callable[..., Any]


@dataclass(frozen=True)
class Measurement:
    """Seconds each run of a case took, whether its result was the expected one, and the result."""

    seconds: list[float]
    correct: bool
    result: str

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _summary(doc: A.Document) -> tuple[str, str, str, list[str]]:
    """Title, URL, author and the text of each block of a parsed document."""
    texts = [A.plain_text(b.content) if isinstance(b, (A.Paragraph, A.Heading)) else type(b).__name__
             for b in doc.blocks]
    return doc.meta.title, doc.meta.url, doc.meta.author, texts


def _doc(*blocks: A.Block) -> A.Document:
    return A.Document(A.Meta(), list(blocks))


def _para(*inlines: A.Inline) -> A.Paragraph:
    return A.Paragraph(list(inlines))


def _img(**attributes: str) -> etree._Element:
    return etree.Element("img", attributes)


def _element(tag: str, **attributes: str) -> etree._Element:
    return etree.Element(tag, attributes)


def _time(datetime: str, text: str) -> etree._Element:
    el = etree.Element("time", {"datetime": datetime})
    el.text = text
    return el


def _svg_style(style: str) -> bytes:
    return SVG.format(f'<rect width="1" height="1" style="{style}"/>').encode()


def _has_style(svg: bytes | None) -> bool:
    return svg is not None and b"style=" in svg


def _pandoc_blocks(doc: A.Document, fmt: str | None = None) -> Any:
    return to_pandoc_json(doc, fmt)["blocks"]


def _str_para(text: str) -> list[Any]:
    return [{"t": "Para", "c": [{"t": "Str", "c": text}]}]


def _json_with_escapes(count: int) -> str:
    """A document of the JSON writer whose text is ``count`` times ``\\u0001x``."""
    source = converter.render(_doc(_para(A.Text("@" * count))), "json")
    assert isinstance(source, str)
    return source.replace("@", "\\u0001x")


CASES: list[Case] = [
    # ------------------------------------------------------------ readers/header.py
    Case("title recipe, whole document", "header.py: title line",
         lambda: (f"<!--1738414025000-->\n[{'](' * HALF}\n------\n<p>x</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("", "", "", ["[" + "](" * HALF + " ------", "x"])),
    Case("title holding ]( many times", "header.py: title line",
         lambda: ("[" + "](" * HALF + ")\n------\n<p>x</p>",),
         header.split,
         lambda text: header.Parts(title="](" * (HALF - 1), body="<p>x</p>", has_header=True)),
    Case("title line without )", "header.py: title line",
         lambda: ("[" + "](x" * (SIZE // 3) + "\n======\n",),
         header.split,
         lambda text: header.Parts(body=text)),
    Case("white space before the title", "header.py: title line",
         lambda: (" \t" * HALF + "x",),
         header.split,
         lambda text: header.Parts(body=text)),
    Case("title with long character references", "header.py: title line",
         lambda: (f"[&#{'0' * HALF}65;&#{'9' * HALF};](https://example.org/)\n---\n",),
         header.split,
         lambda text: header.Parts(title="A\ufffd", url="https://example.org/", has_header=True)),
    Case("unclosed front matter", "header.py: _FRONT_MATTER",
         lambda: ("---\n" + "--- \t x\n" * (SIZE // 9),),
         header.split,
         lambda text: header.Parts(body=text)),
    Case("front matter value: digit, then ASCII, then a space", "simple_yaml.py: _PLAIN",
         lambda: ("k: 1" + "a " * HALF + "\n",),
         simple_yaml.load,
         lambda text: None),
    Case("front matter flow list of many items", "simple_yaml.py: load, _flow_list",
         lambda: ("tags: [" + "a, " * (SIZE // 3) + "b]\n",),
         simple_yaml.load,
         lambda text: {"tags": ["a"] * (SIZE // 3) + ["b"]}),
    Case("stamp between long white space", "header.py: _STAMP",
         lambda: ("\n" * HALF + "<!--" + " " * HALF + "1738414025000" + " " * HALF + "x",),
         header.split,
         lambda text: header.Parts(body=text)),
    # ------------------------------------------------------------ readers/rules.py
    Case("byline recipe, whole document", "rules.py: _BYLINE",
         lambda: (HEAD + "<div><i>" + " " * HALF + "a" + " " * HALF + "<p>x</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("Title", "https://news.example.org/a", "", ["a", "x"])),
    Case("byline that is not one", "rules.py: _BYLINE",
         lambda: ("<div><i>" + " " * HALF + "a" + " " * HALF + "<p>x</p>",),
         rules.extract_byline,
         lambda body: ("", body)),
    Case("byline in long white space", "rules.py: _BYLINE",
         lambda: ("<div><i>" + " " * HALF + "林晓" + " " * HALF + "<br>2025-02-01T12:20:12Z</i></div><p>x</p>",),
         rules.extract_byline,
         lambda body: ("林晓", "<p>x</p>")),
    Case("promo footer after many <br>", "rules.py: _FOOTER_LEAD",
         lambda: ("<p>x</p>" + "<br>" * (SIZE // 4) + '获取更多RSS：<a href="https://feedx.net">feedx</a>',),
         rules.strip_promo_footer,
         lambda body: "<p>x</p>" + "<br>" * (SIZE // 4 - 100)),  # it looks 400 characters back
    Case("promo footer mark without colon", "rules.py: _FEEDX",
         lambda: ("<p>x</p>获取更多" + " " * HALF + "RSS" + " " * HALF + "x",),
         rules.strip_promo_footer,
         lambda body: body),
    Case("placeholder URL, no placeholder", "rules.py: _PLACEHOLDER",
         lambda: ("https://例子.example/" + "-_" * HALF + "spacer.gifx",),
         rules.is_placeholder_url,
         lambda url: False),
    Case("placeholder URL, placeholder", "rules.py: _PLACEHOLDER",
         lambda: ("https://例子.example/" + "a-" * HALF + "spacer.gif",),
         rules.is_placeholder_url,
         lambda url: True),
    Case("srcset with long white space", "rules.py: srcset split",
         lambda: ("a.jpg 100w," + " " * HALF + "," + " " * HALF + "b.jpg 200w",),
         rules.largest_srcset,
         lambda srcset: "b.jpg"),
    Case("width that is not a number", "rules.py: _PIXELS",
         lambda: (_img(width="1" + " " * SIZE + "x"),),
         rules.is_tracking_pixel,
         lambda img: False),
    Case("width of 2 px after long white space", "rules.py: _PIXELS",
         lambda: (_img(height=" " * HALF + "2" + " " * HALF + "px "),),
         rules.is_tracking_pixel,
         lambda img: True),
    Case("width with many digits", "rules.py: _PIXELS",
         lambda: (_img(width="0" * SIZE + "1"),),
         rules.is_tracking_pixel,
         lambda img: True),
    Case("player query of many parameters, no video", "rules.py: _PLAYERS",
         lambda: ("https://player.bilibili.com/player.html?" + "a=1&" * (SIZE // 4) + "bvid=BV1",),
         rules.embedded_page,
         lambda url: None),
    Case("player query of many parameters, video last", "rules.py: _PLAYERS",
         lambda: ("https://player.bilibili.com/player.html?" + "a=1&" * (SIZE // 4) + "bvid=BV1GJ411x7h7",),
         rules.embedded_page,
         lambda url: ("video", "https://www.bilibili.com/video/BV1GJ411x7h7")),
    Case("player path of a long id", "rules.py: _PLAYERS",
         lambda: ("https://www.youtube.com/embed/" + "a" * SIZE,),
         rules.embedded_page,
         lambda url: None),
    Case("scheme after long white space", "rules.py: _UNSAFE_SCHEME",
         lambda: ("javascript" + "\u3000" * HALF + ":alert(1)",),
         rules.clean_url,
         lambda url: ""),
    Case("caption class", "rules.py: _CAPTION_CLASS",
         lambda: (_element("div", **{"class": "pic-in" * (SIZE // 6)}),),
         rules.has_caption_class,
         lambda el: False),
    Case("figure class", "rules.py: _FIGURE_CLASS",
         lambda: (_element("div", **{"class": "x" + "pic" * (SIZE // 3)}),),
         rules.has_figure_class,
         lambda el: False),
    Case("byline with a plain date before long white space", "rules.py: _BYLINE",
         lambda: ("<div><i>JANE DOE,JANE DOE<br>2020-12-11 " + " " * SIZE + "14:02:26</i></div><p>x</p>",),
         rules.extract_byline,
         lambda body: ("", body)),
    Case("class name of many words", "rules.py: _CLASS_WORD",
         lambda: (_element("div", **{"class": "aD" * HALF}),),
         rules.furniture_kind,
         lambda el: ""),
    Case("relative time with a long datetime", "rules.py: _DATETIME",
         lambda: (_time("2020-12-21" + " " * SIZE, "3 hours ago"),),
         rules.time_text,
         lambda el: None),
    # ------------------------------------------------------------ readers/dates.py, bylines.py, cleanup.py
    Case("date stamp that goes on", "dates.py: _PATTERNS",
         lambda: ("2020-12-11 14:02" + ":0" * HALF,),
         dates.parse_stamp,
         lambda text: None),
    Case("credit line that goes on", "bylines.py: _ROLE, _names",
         lambda: ("记者 " + "张三 " * HALF,),
         bylines.credit_line,
         lambda text: None),
    Case("dateline that goes on", "bylines.py: _DATELINE",
         lambda: ("（中央社記者" + "陳" * SIZE + "）",),
         bylines.dateline_reporter,
         lambda text: ""),
    Case("link bar with long separators", "cleanup.py: _BAR_SEPARATORS",
         lambda: (A.Paragraph([A.Link([A.Text("a")], "https://news.example.org/a"), A.Text(" |" * HALF),
                               A.Link([A.Text("b")], "https://news.example.org/b")]),),
         lambda para: cleanup.is_link_bar(para, "https://news.example.org/x", True),
         lambda para: True),
    Case("related label of many near-words", "cleanup.py: _RELATED_LABEL",
         lambda: ("relate " * (SIZE // 7),),
         lambda text: cleanup._RELATED_LABEL.search(text) is not None,
         lambda text: False),
    # ------------------------------------------------------------ readers/feed.py, language.py, json.py, chars.py
    Case("control characters and surrogates", "chars.py: _UNENCODABLE, _UNWANTED",
         lambda: ("<p>" + "x\x01\ud800" * (SIZE // 3) + "</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("", "", "", ["x\ufffd" * (SIZE // 3)])),
    Case("character reference with many zeros", "feed.py: _CONTROL_REFERENCE",
         lambda: ("<p>x&#x" + "0" * HALF + "41;y&#" + "0" * HALF + "1z</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("", "", "", ["xAyz"])),
    Case("heading that repeats the title", "feed.py: _squash",
         lambda: ("<!--1738414025000-->\n[标题](https://news.example.org/a)\n------\n"
                  "<h1>标" + " \u3000" * (SIZE // 4) + "题</h1><p>正文</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("标题", "https://news.example.org/a", "", ["正文"])),
    Case("white space after CJK", "chars.py: _CJK_BREAK, _FEED_SPACE_RUN",
         lambda: ("中" + " " * SIZE + "x\n",),
         collapse_html_space,
         lambda text: "中 x\n"),
    Case("line break in white space between CJK", "chars.py: _CJK_BREAK, _FEED_SPACE_RUN",
         lambda: ("中" + " \t" * (SIZE // 4) + "\n" + " \u3000" * (SIZE // 4) + "文",),
         collapse_html_space,
         lambda text: "中文"),
    Case("language hint", "language.py: script hint",
         lambda: (1, 1, "https://example.org/" + "tw" * HALF),
         language.chinese_script,
         lambda simplified, traditional, hint: "zh-Hans"),
    Case("English words", "language.py: _WORD",
         lambda: ("the " * (SIZE // 4),),
         language.latin_language,
         lambda text: "en"),
    Case("JSON document with escapes", "json.py: _UNCLEAN",
         lambda: (_json_with_escapes(SIZE // 7),),
         lambda source: [A.plain_text(b.content) for b in converter.load_json(source).blocks],
         lambda source: ["x" * (SIZE // 7)]),
    # ------------------------------------------------------------ writers/markdown.py
    Case("ampersands without entity", "markdown.py: _ENTITY, _INLINE_SPECIAL",
         lambda: ("&" + "a" * HALF + "&#" + "1" * HALF + ";",),
         markdown.escape_text,
         lambda text: text),
    Case("bracketed notes", "markdown.py: _INLINE_SPECIAL, _needs_escape",
         lambda: ("[注] " * (SIZE // 4),),
         markdown.escape_text,
         lambda text: text),
    Case("literal double asterisks", "markdown.py: _INLINE_SPECIAL, _needs_escape",
         lambda: ("a ** b " * (SIZE // 7),),
         markdown.escape_text,
         lambda text: text),
    Case("runs of emphasis marks", "markdown.py: _INLINE_SPECIAL",
         lambda: ("a" + "*" * HALF + " " + "_" * HALF + "a",),
         markdown.escape_text,
         lambda text: "a" + "\\*" * HALF + " " + "\\_" * HALF + "a"),
    Case("many empty superscripts", "markdown.py: _flatten, the character before a superscript",
         lambda: (_doc(_para(*[A.Superscript([A.Text("")]) for _ in range(SIZE // 4)], A.Text("x"))),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "x\n"),
    Case("line start of colons and spaces", "markdown.py: _BLOCK_START",
         lambda: (": " * HALF + "-x",),
         markdown.escape_line_start,
         lambda line: line),
    Case("list item of emphasis marks", "markdown.py: _THEMATIC_BREAK",
         lambda: (_doc(A.BulletList([[_para(A.Text("* " * HALF + "x"))]])),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "- \\* " + "* " * (HALF - 1) + "x\n"),
    Case("heading ending in hashes", "markdown.py: _CLOSING_HASHES",
         lambda: (_doc(A.Heading(1, [A.Text("a" + " #" * HALF)])),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "# a" + " #" * (HALF - 1) + " \\#\n"),
    Case("heading with a long hash run", "markdown.py: _CLOSING_HASHES",
         lambda: (_doc(A.Heading(1, [A.Text("a " + "#" * SIZE + "x")])),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "# a " + "#" * SIZE + "x\n"),
    Case("link title and destination", "markdown.py: _collapse, _ENTITY, link destination",
         lambda: (_doc(_para(A.Link([A.Text("a")], "https://example.org/?" + "&a=1" * (SIZE // 8),
                                    "t" + " \t" * (SIZE // 4) + "u"))),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "[a](https://example.org/?" + "&a=1" * (SIZE // 8) + ' "t u")\n'),
    Case("backtick runs in code", "markdown.py: code fences",
         lambda: (_doc(_para(A.Code("`" * HALF)), A.CodeBlock("`" * HALF)),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "`" * (HALF + 1) + " " + "`" * HALF + " " + "`" * (HALF + 1)
         + "\n\n" + "`" * (HALF + 1) + "\n" + "`" * HALF + "\n" + "`" * (HALF + 1) + "\n"),
    Case("title ending in white space", "markdown.py: _PLAIN_YAML",
         lambda: (A.Document(A.Meta(title="a" + " " * SIZE), [_para(A.Text("x"))]),),
         lambda doc: converter.render(doc, "markdown"),
         lambda doc: "---\ntitle: 'a" + " " * SIZE + "'\n---\n\n# a\n\nx\n"),
    # ------------------------------------------------------------ writers/text.py, chars.py
    Case("link of many line breaks", "text.py: _TRAILING_GAP, _BLANK_LINES",
         lambda: (converter.parse('<p><a href="https://example.org/">a' + "<br>" * SIZE + "b</a></p>"),),
         lambda doc: converter.render(doc, "text", references="inline"),
         lambda doc: "a\n\nb[1]\n\nReferences:\n[1] https://example.org/\n"),
    Case("link of ideographic spaces", "text.py: _TRAILING_GAP",
         lambda: (converter.parse('<p><a href="https://example.org/">a' + "\u3000" * SIZE + "b</a></p>"),),
         lambda doc: converter.render(doc, "text", references="inline"),
         lambda doc: "a b[1]\n\nReferences:\n[1] https://example.org/\n"),
    Case("many empty superscripts in text", "text.py: _inlines, the character before a superscript",
         lambda: (_doc(_para(*[A.Superscript([A.Text("")]) for _ in range(SIZE // 4)], A.Text("x"))),),
         lambda doc: converter.render(doc, "text"),
         lambda doc: "x\n"),
    Case("superscript of many digits", "chars.py: scripted",
         lambda: (_doc(_para(A.Text("10"), A.Superscript([A.Text("1" * SIZE)]))),),
         lambda doc: converter.render(doc, "text", width=0),
         lambda doc: "10" + "\u00b9" * SIZE + "\n"),
    Case("number before ideographs", "wrap.py: _fitting_end, _last_break, _numeric_pair",
         lambda: ("2" * HALF + "年" * HALF, 80),
         wrap,
         lambda text, width: ["2" * HALF + "年", *["年" * 40] * ((HALF - 1) // 40), "年" * ((HALF - 1) % 40)]),
    Case("URL scheme after a long word", "wrap.py: _url_start",
         lambda: ("a" * HALF + "://" + "中" * HALF, 80),
         wrap,
         lambda text, width: [text]),
    Case("URL in a text without spaces", "wrap.py: _url_spans, _next_break",
         lambda: ("中" * HALF + "https://a.b/" + "中" * HALF, 80),
         wrap,
         lambda text, width: [*["中" * 40] * (HALF // 40), "https://a.b/" + "中" * HALF]),
    Case("white space with line breaks at both ends", "chars.py: collapse_html_space",
         lambda: (" \n" * (SIZE // 4) + "中" + "\n " * (SIZE // 4),),
         collapse_html_space,
         lambda text: "\n中\n"),
    Case("pretty-printed spans of ideographs", "inlines.py: _collapse_spaces, chars.py: joins_across_gap",
         lambda: (HEAD + "<p>" + "<span>\n 中\n </span>" * (SIZE // 16) + "</p>",),
         lambda text: _summary(converter.parse(text)),
         lambda text: ("Title", "https://news.example.org/a", "", ["中" * (SIZE // 16)])),
    Case("line breaks between CJK", "chars.py: _SPACE_RUN",
         lambda: ("中" + "\n " * HALF + "文",),
         collapse_unicode_space,
         lambda text: "中文"),
    # ------------------------------------------------------------ writers/markup.py, article.py
    Case("URL of percent signs", "markup.py: _BAD_PERCENT, _NOT_XML",
         lambda: ("https://example.org/" + "%" * SIZE,),
         markup.safe_url,
         lambda url: "https://example.org/" + "%25" * SIZE),
    Case("host of many labels", "markup.py: _HOST",
         lambda: ("https://" + "a-b." * (SIZE // 4) + "example/",),
         markup.safe_url,
         lambda url: url),
    Case("language tag of many extensions", "article.py: _BCP47",
         lambda: ("en-" + "a-bb-" * (SIZE // 5) + "!",),
         language_tag,
         lambda tag: "und"),
    # ------------------------------------------------------------ writers/pandoc/
    Case("long text with a long space run", "pandoc/build.py: _LINE_BREAK_RUN, _BLANKS",
         lambda: (_doc(_para(A.Text("a" + " " * SIZE + "b"))),),
         _pandoc_blocks,
         lambda doc: _str_para("a b")),
    Case("rST field-like line", "pandoc/dialects.py: _RST_BLOCK_LINE",
         lambda: (_doc(_para(A.Text(":a" + "b" * SIZE))), "rst"),
         _pandoc_blocks,
         lambda doc, fmt: _str_para(":a" + "b" * SIZE)),
    Case("AsciiDoc macro-like line", "pandoc/dialects.py: _ADOC_BLOCK_LINE",
         lambda: (_doc(_para(A.Text("a" * HALF + "::" + "x" * HALF))), "asciidoc"),
         _pandoc_blocks,
         lambda doc, fmt: _str_para("a" * HALF + "::" + "x" * HALF)),
    Case("AsciiDoc link text and URL", "pandoc/dialects.py: _ADOC_SHORTHAND, _ADOC_URL_MARKUP",
         lambda: (_doc(_para(A.Link([A.Text("a" * HALF + "\u3000x")], "https://example.org/" + "-." * (SIZE // 4)))),
                  "asciidoc"),
         _pandoc_blocks,
         lambda doc, fmt: [{"t": "Para", "c": [
             {"t": "RawInline", "c": ["asciidoc", "link:https://example.org/" + "-." * (SIZE // 4) + "["]},
             {"t": "Str", "c": "a" * HALF + "\u3000x"}, {"t": "RawInline", "c": ["asciidoc", "]"]}]}]),
    Case("Org image URL", "pandoc/dialects.py: _ORG_IMAGE_URL",
         lambda: ("https://example.org/" + ".jpg" * (SIZE // 4) + "x",),
         lambda url: OrgAst().shows_image(url),
         lambda url: False),
    # ------------------------------------------------------------ images.py
    Case("SVG style with white space", "images.py: _CSS_URL",
         lambda: (_svg_style("fill:url(" + " " * SIZE + "#a)"),),
         lambda data: _has_style(clean_svg(data)),
         lambda data: True),  # white space inside url( ) is allowed: still a local reference
    Case("SVG style with local references", "images.py: _CSS_URL",
         lambda: (_svg_style("fill:url(#a)" * (SIZE // 12)),),
         lambda data: _has_style(clean_svg(data)),
         lambda data: True),
    Case("SVG style with an unclosed comment", "images.py: _CSS_COMMENT",
         lambda: (_svg_style("fill:red/*" + "/*" * (SIZE // 2)),),
         lambda data: _has_style(clean_svg(data)),
         lambda data: True),
    Case("SVG style of escapes", "images.py: _CSS_ESCAPE",
         lambda: (_svg_style("fill:" + "\\75 " * (SIZE // 4)),),
         lambda data: _has_style(clean_svg(data)),
         lambda data: True),
]
BY_NAME = {case.name: case for case in CASES}


def warm_up() -> None:
    """Load what the first use of each function loads (the language model, lazy imports), so
    that no case is charged for it."""
    for body in ("<p>The dog sleeps on the mat.</p>", "<p>Le chat dort sur le canapé.</p>", "<p>这是简体中文。</p>"):
        doc = converter.parse(HEAD + body)  # English by its words, French by the model, Chinese
        for fmt in ("markdown", "text", "json", "html"):
            converter.render(doc, fmt)
        json.dumps(to_pandoc_json(doc, "asciidoc"))


def measure(case: Case, rounds: int = 1) -> Measurement:
    """Run ``case`` ``rounds`` times; an exception is a result, and a wrong one."""
    arguments = case.build()
    seconds = []
    for _ in range(rounds):
        started = time.perf_counter()
        try:
            result: Any = case.run(*arguments)
        except Exception as exc:
            result = exc
        seconds.append(time.perf_counter() - started)
    expected = case.expected(*arguments)
    shown = repr(result)
    return Measurement(seconds, result == expected, shown if len(shown) < 300 else shown[:300] + "…")


def _report(name: str, rounds: int, sender: Connection) -> None:
    warm_up()
    sender.send(measure(BY_NAME[name], rounds))


def run_in_child(name: str, rounds: int, limit: float) -> Measurement | None:
    """:func:`measure` the case ``name`` in a child process; ``None`` when it has not finished
    within ``limit`` seconds (the child is then killed).

    A process, not a thread: the regular expression engine holds the GIL while it matches,
    so a hung match could be neither interrupted nor waited for with a timeout in a thread.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_report, args=(name, rounds, sender), daemon=True)
    child.start()
    sender.close()
    try:
        return receiver.recv() if receiver.poll(limit) else None
    finally:
        child.kill()
        child.join()
        receiver.close()
