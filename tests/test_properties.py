"""Property tests: generated HTML and Unicode through the reader and every writer.

Documents are generated as text: a header and YAML front matter (well-formed or not), then a
body of elements from a vocabulary that mixes what feeds carry with what attackers send
(scripts, event handlers, ``javascript:``/``data:``/``file:`` URLs, bogus spans, unclosed and
wrongly closed tags), around text drawn from all of Unicode plus the characters that mean
something to Markdown, HTML and XML. It is handed over as UTF-8, UTF-16, GB18030 or ``str``.

The properties: the reader raises nothing but a one-line ``ConversionError``; no writer raises
anything else; Markdown read back by a CommonMark parser gives the document's text; plain text
holds no control character; EPUB chapters (and every other XML file of the book) parse as XML
and hold nothing executable; JSON loads back to the same document.
"""

from __future__ import annotations

import html
import re
import warnings
from typing import Any

import lxml.html
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from test_hostile import PANDOC, check_epub, check_inert, check_markdown, check_text

import converter
from converter import ConversionError, load_json, parse, render
from converter import ast as A
from converter.labels import link_label
from converter.writers.markdown import _scripted as markdown_scripted

AVAILABLE = {info.name for info in converter.formats()}
MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------------------- generated documents

SPECIAL = ["&amp;", "&lt;", "&gt;", "&#0;", "&#xD800;", "&#x1F600;", "&nbsp;", "&bogus;", "]]>", "<!--", "-->",
           "*", "**", "_", "`", "```", "~~", "[", "](", "![", "#", "# ", "> ", "1. ", "- ", "+ ", "|", "---", "===",
           "\\", "\\*", "<", ">", "<x>", "\u3000", "\xa0", "\u200b", "\u202e", "\ufeff", "\u2028", "\r\n", "\r",
           "\t", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "中文", "汉字，。「」", "繁體", "word", "a b", "1)", "2020年",
           "https://x.example/a b?c=1&d=2", "e\u0301", "👍🏽", "\ufdd0", "\uffff"]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.text(st.sampled_from("中文汉字繁體，。！？「」：ab *_`[]<>&#!|~\\\n\t\u3000-+=.1;()"), min_size=1, max_size=12),
    st.sampled_from(SPECIAL),
)
TAGS = ["p", "div", "span", "b", "strong", "i", "em", "s", "del", "u", "a", "img", "br", "hr", "ul", "ol", "li",
        "blockquote", "pre", "code", "table", "tr", "td", "th", "thead", "tbody", "caption", "h1", "h2", "h3",
        "h6", "figure", "figcaption", "sup", "sub", "small", "font", "section", "dl", "dt", "dd", "noscript",
        "script", "style", "iframe", "svg", "math", "form", "input", "textarea", "button", "object", "embed",
        "video", "source", "picture", "template", "title", "meta", "base", "o:p", "x-custom", "center", "wbr"]
URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:x", "vbscript:x", "data:text/html,<script>",
        "data:image/png;base64," + "iVBORw0KGgo" * 100, "file:///etc/passwd", "/etc/passwd", "../x.png",
        "http://127.0.0.1/x.png", "http://169.254.169.254/", "https://ok.example/a.png", "https://例子.测试/路径 x",
        "#frag", "", "mailto:a@b.example", "http://[::1/", "//evil.example/x", "https://ok.example/a?b=1&amp;c=2"]
ATTRIBUTES = ["href", "src", "data-src", "srcset", "alt", "title", "class", "style", "onclick", "onerror",
              "colspan", "rowspan", "start", "width", "height", "srcdoc", "id", "lang", "data-lazy-placeholder"]
VALUES = st.one_of(st.sampled_from(URLS), TEXT,
                   st.sampled_from(["0", "1", "2", "3", "-1", "99999999999999999999", "1e9", "2x", "caption",
                                    "pic", "wp-caption-text", "https://ok.example/b.jpg 800w, x.jpg 2x"]))


GOOD_URLS = ["https://ok.example/a.png", "https://news.example.org/zh/a-1", "http://ok.example/ü?q=1#f",
             "https://img.example/photo.jpg", "mailto:editor@news.example.org"]
LINKS = st.sampled_from(URLS + GOOD_URLS * 3)


def _attributes(pairs: list[tuple[str, str]]) -> str:
    return "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in pairs)


@st.composite
def element(draw: Any, children: st.SearchStrategy[list[str]]) -> str:
    """An element: any tag with any attributes (closed properly, not at all, or by another tag),
    or one of the shapes the reader gives structure to: links, images, tables, lists, figures."""
    content = "".join(draw(children))
    shape = draw(st.sampled_from(["any"] * 5 + ["link", "image", "table", "list", "figure"]))
    if shape == "link":
        pairs = [("href", draw(LINKS))] + draw(st.lists(st.tuples(st.sampled_from(ATTRIBUTES), VALUES), max_size=1))
        return f"<a{_attributes(pairs)}>{content}</a>"
    if shape == "image":
        source = draw(st.sampled_from(["src", "data-src", "srcset", "data-original"]))
        pairs = [(source, draw(LINKS)), ("alt", draw(TEXT))]
        return f"<img{_attributes(pairs)}>" + (content if draw(st.booleans()) else "")
    if shape == "table":
        rows = draw(st.lists(st.lists(st.tuples(st.sampled_from(["td", "th"]), VALUES, VALUES, children),
                                      min_size=1, max_size=3), min_size=1, max_size=3))
        body = "".join("<tr>" + "".join(f'<{tag} colspan="{html.escape(span, quote=True)}" '
                                        f'rowspan="{html.escape(rows_, quote=True)}">{"".join(cell)}</{tag}>'
                                        for tag, span, rows_, cell in row) + "</tr>" for row in rows)
        caption = f"<caption>{content}</caption>" if draw(st.booleans()) else content
        return f"<table>{caption}{body}</table>"
    if shape == "list":
        tag = draw(st.sampled_from(["ul", "ol"]))
        items = draw(st.lists(children, min_size=1, max_size=3))
        start = f' start="{html.escape(draw(VALUES), quote=True)}"' if draw(st.booleans()) else ""
        return f"<{tag}{start}>" + "".join(f"<li>{''.join(item)}</li>" for item in items) + f"</{tag}>"
    if shape == "figure":
        image = f'<img src="{html.escape(draw(LINKS), quote=True)}" alt="{html.escape(draw(TEXT), quote=True)}">'
        return f"<figure>{image}<figcaption>{content}</figcaption></figure>"
    tag = draw(st.sampled_from(TAGS))
    markup = _attributes(draw(st.lists(st.tuples(st.sampled_from(ATTRIBUTES), VALUES), max_size=3)))
    ending = draw(st.sampled_from(["proper", "proper", "proper", "none", "wrong"]))
    close = {"proper": f"</{tag}>", "none": "", "wrong": f"</{draw(st.sampled_from(TAGS))}>"}[ending]
    return f"<{tag}{markup}>{content}{close}"


def _text_node(text: str) -> str:
    return text if "<" in text or "&" in text else html.escape(text, quote=False)


NODES = st.recursive(TEXT.map(_text_node), lambda children: element(st.lists(children, max_size=4)),
                     max_leaves=24)
BODIES = st.lists(NODES, max_size=6).map("".join)


@st.composite
def documents(draw: Any) -> str:
    parts = []
    kind = draw(st.sampled_from(["none", "yaml", "broken"]))
    if kind == "yaml":
        data = {"title": draw(TEXT), "tags": draw(st.lists(TEXT, max_size=3)), "author": draw(TEXT),
                draw(st.sampled_from(["from", "note", "date"])): draw(TEXT)}
        parts.append("---\n" + yaml.safe_dump(data, allow_unicode=True) + "---\n")
    elif kind == "broken":
        parts.append("---\n" + draw(st.sampled_from(["title: [a", "a: &x [1]\nb: *x", "- list", ": :", "!!binary x",
                                                      "date: 0001-01-01T00:00:00+05:00", "title: {x: 1}"]))
                     + "\n---\n")
    if draw(st.booleans()):
        stamp = draw(st.sampled_from(["1738414025000", "1606752000", "0", "99999999999999", "12"]))
        url = draw(LINKS)
        parts.append(f"<!--{stamp}-->\n[{draw(TEXT)}]({url})\n------\n")
    parts.append(draw(BODIES))
    return "".join(parts)


@st.composite
def sources(draw: Any) -> bytes | str:
    """A generated document as the bytes (or text) a caller might hand over."""
    text = draw(documents())
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-16", "gb18030", "str", "str+surrogates"]))
    if how == "str":
        return text
    if how == "str+surrogates":
        return text + draw(st.sampled_from(["\ud800", "a\udfffb", "\udbff\udc00"]))
    return text.encode(how)


def parsed(source: bytes | str) -> A.Document:
    """The document, or the test example is discarded when the input is (rightly) refused."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return parse(source, path="generated.txt")
    except ConversionError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("generated.txt: ")
        assume(False)
        raise


# ---------------------------------------------------------------------------- the reader


@settings(max_examples=300, **SETTINGS)
@given(sources())
def test_the_reader_raises_nothing_but_a_one_line_conversion_error(source: bytes | str) -> None:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            document = parse(source, path="generated.txt")
    except ConversionError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("generated.txt: ")
        return
    assert all("\n" not in str(w.message) for w in caught)
    assert isinstance(document, A.Document)
    texts = [document.meta.title, document.meta.url, document.meta.author, *document.meta.tags]
    texts += [n.text for n in A.walk(document.blocks) if isinstance(n, (A.Text, A.Code, A.CodeBlock))]
    texts += [n.alt for n in A.walk(document.blocks) if isinstance(n, A.Image)]
    controls = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
    assert not any(controls.search(t) for t in texts), "a control or unencodable character in the document"


# ---------------------------------------------------------------------------- Markdown


def _link_is_blank(content: list[A.Inline]) -> bool:
    return not A.plain_text(content).strip() and not any(isinstance(n, A.Image) for n in A.walk(content))


def inline_text(nodes: list[A.Inline], language: str) -> str:
    """The text a Markdown reader sees for inlines: an image is its alt text, a link without
    visible content the short label that stands for its URL."""
    out: list[str] = []
    stack: list[Any] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, (A.Text, A.Code)):
            out.append(node.text)
        elif isinstance(node, A.Image):
            out.append(node.alt)
        elif isinstance(node, A.Link) and _link_is_blank(node.content):
            out.append(link_label(node.url, language) if node.url else "")
        elif isinstance(node, (A.Superscript, A.Subscript)):  # shown as the writer shows them (¹⁷⁰, ^(x))
            before = out[-1][-1:] if out and out[-1] else ""
            stack.extend(reversed(markdown_scripted(node, before)))
        elif not isinstance(node, A.LineBreak):
            stack.extend(reversed(node.content))
    return "".join(out)


def document_text(document: A.Document) -> str:
    """The text of the title and every block, in reading order."""
    out = [document.meta.title]
    language = document.meta.language
    stack: list[Any] = list(reversed(document.blocks))
    while stack:
        node = stack.pop()
        if isinstance(node, (A.Paragraph, A.Heading)):
            out.append(inline_text(node.content, language))
        elif isinstance(node, A.Figure):
            # the caption once: an alt text it already holds is left out (an empty one too)
            caption = squash(A.plain_text(node.caption))
            alt = "" if caption and squash(node.image.alt) in caption else node.image.alt
            out += [alt, inline_text(node.caption, language)]
        elif isinstance(node, (A.BulletList, A.OrderedList)):
            stack.extend(reversed([block for item in node.items for block in item]))
        elif isinstance(node, (A.BlockQuote, A.Div)):
            stack.extend(reversed(node.content))
        elif isinstance(node, A.CodeBlock):
            out.append(node.text)
        elif isinstance(node, A.Table):
            out += [inline_text(cell.content, language) for row in node.head + node.body for cell in row]
            out.append(inline_text(node.caption, language))
    return "".join(out)


def markdown_text(markdown: str) -> str:
    """The text a CommonMark parser finds in ``markdown``, in reading order."""
    out: list[str] = []

    def visit(tokens: list[Any]) -> None:
        for token in tokens:
            if token.type in ("text", "code_inline", "code_block", "fence", "html_inline", "html_block"):
                out.append(token.content)
            elif token.children:
                visit(token.children)

    visit(MD.parse(markdown))
    return "".join(out)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=200, **SETTINGS)
@given(sources())
@example("<p><sup>0</sup></p>")
@example("<p>e<sup>2x</sup> and 10<sup>170</sup>, CO<sub>2</sub></p>")
@example('<caption><a href="/etc/passwd"><p></p></a></caption>')
def test_markdown_reads_back_as_the_documents_text(source: bytes | str) -> None:
    document = parsed(source)
    markdown = render(document, "markdown", front_matter=False)
    check_markdown(markdown)
    assert squash(markdown_text(markdown)) == squash(document_text(document)), markdown


# ---------------------------------------------------------------------------- plain text, JSON


@settings(max_examples=200, **SETTINGS)
@given(sources(), st.sampled_from([0, 1, 7, 80]), st.sampled_from(["end", "inline", "none"]))
def test_plain_text_holds_no_control_character(source: bytes | str, width: int, references: str) -> None:
    text = render(parsed(source), "text", width=width, references=references)
    check_text(text)
    text.encode("utf-8")


@settings(max_examples=150, **SETTINGS)
@given(sources())
@example(b'<!--1738414025000-->\n[](#frag)\n------\n<a href="../x.png">0</a>')
def test_json_loads_back_to_the_same_document(source: bytes | str) -> None:
    document = parsed(source)
    data = render(document, "json")
    assert load_json(data) == document
    assert load_json(data.encode("utf-8")) == document


# ---------------------------------------------------------------------------- EPUB and HTML


@settings(max_examples=100, **SETTINGS)
@given(sources(), st.sampled_from(["link", "none"]))
def test_epub_files_always_parse_as_xml_and_hold_nothing_executable(source: bytes | str, images: str) -> None:
    check_epub(render(parsed(source), "epub", images=images))


@pytest.mark.skipif("html" not in AVAILABLE, reason="the HTML writer is not there yet")
@settings(max_examples=150, **SETTINGS)
@given(sources())
def test_html_pages_hold_nothing_executable(source: bytes | str) -> None:
    page = render(parsed(source), "html")
    check_inert(lxml.html.document_fromstring(page), internal_images=False)


@pytest.mark.skipif(not PANDOC or not {"rst", "docx"} <= AVAILABLE, reason="pandoc's writers are not there")
@settings(max_examples=15, **SETTINGS)
@given(sources(), st.sampled_from(["rst", "docx"]))
def test_pandoc_formats_raise_nothing_but_conversion_errors(source: bytes | str, fmt: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = render(parsed(source), fmt)
        except ConversionError as exc:
            assert "\n" not in str(exc)
            return
    assert isinstance(out, bytes if fmt == "docx" else str)
