"""Corpus tests over ../shared/corpus (skipped when it is absent).

The metadata expected of each document is read from its header with a separate, simple
regular expression, not with the reader under test.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import cache
from pathlib import Path

import lxml.html
import pytest
from markdown_it import MarkdownIt
from support import FEEDS, SEEDS, needs_corpus, needs_seed

from converter import ast as A
from converter import load_json, parse, render

_HEADER = re.compile(r"<!--(\d{10,13})-->\n\[(.*)\]\((\S+)\)\n-{3,}\n")


@cache
def _parsed(path: Path) -> A.Document:
    return parse(path.read_bytes(), path=str(path))


@needs_corpus
@pytest.mark.parametrize("path", FEEDS, ids=lambda p: p.name)
def test_header_metadata(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    doc = _parsed(path)
    header = _HEADER.search(text)
    if header is None:
        assert doc.meta.title, "a document without header still gets a title"
        return
    stamp = int(header.group(1))
    expected = dt.datetime.fromtimestamp(stamp / 1000 if len(header.group(1)) == 13 else stamp, dt.timezone.utc)
    assert doc.meta.published == expected
    assert doc.meta.url == header.group(3)
    assert " ".join(doc.meta.title.split()) == " ".join(html.unescape(header.group(2)).split())
    assert doc.meta.language in {"zh-Hans", "zh-Hant", "en"}


@needs_corpus
def test_the_first_look_at_the_language_never_changes_it() -> None:
    """Every corpus document gets the language a look at the whole sample would give it."""
    from converter.readers.feed import _language, _text_of
    from converter.readers.language import detect_language

    for path in FEEDS:
        doc = _parsed(path)
        full = detect_language(doc.meta.title + "\n" + _text_of(doc.blocks), doc.meta.url)
        assert _language(doc.meta.title, doc.blocks, doc.meta.url) == full, path.name


def _markdown_text(markdown: str) -> str:
    """What a CommonMark reader shows of our Markdown (GFM tables on)."""
    html = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    return lxml.html.fromstring(f"<div>{html}</div>").text_content() if html.strip() else ""


def _comparable(doc: A.Document) -> A.Document:
    """The document without what the two formats show differently by design: figures become
    their caption paragraphs and inline images are dropped (``![alt](url)`` plus caption vs
    ``[Image: caption]``), so are links left without text (``[host](url)`` vs the URL in text
    without references), list items become plain blocks (``- ``/``1.`` markers are layout in
    plain text, syntax in Markdown). Everything else is kept."""
    def fix_inlines(nodes: list[A.Inline]) -> list[A.Inline]:
        out: list[A.Inline] = []
        for node in nodes:
            if isinstance(node, A.Image):
                continue
            if hasattr(node, "content"):
                node.content = fix_inlines(node.content)  # type: ignore[union-attr]
                if isinstance(node, A.Link) and not A.plain_text(node.content).strip():
                    continue
            out.append(node)
        return out

    def fix_blocks(blocks: list[A.Block]) -> list[A.Block]:
        out: list[A.Block] = []
        for block in blocks:
            if isinstance(block, A.Figure):
                if block.caption:
                    out.append(A.Paragraph(fix_inlines(block.caption)))
                continue
            if isinstance(block, (A.BulletList, A.OrderedList)):
                out.extend(fix_blocks([b for item in block.items for b in item]))
                continue
            if isinstance(block, (A.BlockQuote, A.Div)):
                block.content = fix_blocks(block.content)
            elif isinstance(block, A.Table):
                for row in block.head + block.body:
                    for cell in row:
                        cell.content = fix_inlines(cell.content)
                block.caption = fix_inlines(block.caption)
            elif isinstance(block, (A.Paragraph, A.Heading)):
                block.content = fix_inlines(block.content)
            out.append(block)
        return out

    copy = load_json(render(doc, "json"))
    return A.Document(A.Meta(), fix_blocks(copy.blocks))


def _squash(text: str) -> str:
    """Text without white space and without rules (``---``, ``===``: underlines, table rules)."""
    return re.sub(r"[-=]{3,}", "", re.sub(r"\s+", "", text))


@needs_corpus
@pytest.mark.parametrize("path", FEEDS + SEEDS, ids=lambda p: p.name)
def test_markdown_reads_back_as_the_plain_text(path: Path) -> None:
    """Escaping is right: a CommonMark parser gives back exactly the text of our text writer."""
    doc = _comparable(_parsed(path))
    markdown = render(doc, "markdown", front_matter=False)
    text = render(doc, "text", width=0, references="none")
    assert _squash(_markdown_text(markdown)) == _squash(text)


@needs_corpus
@pytest.mark.parametrize("path", FEEDS[::10], ids=lambda p: p.name)
def test_json_round_trip_renders_identically(path: Path) -> None:
    doc = _parsed(path)
    again = load_json(render(doc, "json"))
    for fmt in ("markdown", "text", "json"):
        assert render(again, fmt) == render(doc, fmt)


@needs_seed
def test_seed_document_in_every_format() -> None:
    doc = _parsed(SEEDS[0])
    m = doc.meta
    assert m.title == "专访：DeepSeek为何能在AI大模型中脱颖而出"
    assert m.author == "德才" and m.language == "zh-Hans"
    assert m.published == dt.datetime(2025, 2, 1, 12, 47, 5, tzinfo=dt.timezone.utc)
    assert m.url.startswith("https://www.dw.com/zh/") and m.url.endswith("/a-71481279")
    lead = doc.blocks[0]
    assert isinstance(lead, A.Figure) and lead.image.url.endswith("71433756_303.jpg")
    assert A.plain_text(lead.caption).startswith("中国AI初创公司深度求索")
    questions = [b for b in doc.blocks if isinstance(b, A.Paragraph) and isinstance(b.content[0], A.Strong)]
    assert len(questions) >= 5 and A.plain_text(questions[0].content).startswith("德国之声：")
    links = [n.url for n in A.walk(doc.blocks) if isinstance(n, A.Link)]
    assert "https://api.dw.com/api/detail/article/71430832" in links

    markdown = render(doc, "markdown")
    text = render(doc, "text")
    as_json = render(doc, "json")
    for out in (markdown, text, as_json):
        assert "feedx" not in out and "获取更多" not in out and "德才" in out
    assert "71433756_303.jpg" in markdown and "71433756_303.jpg" in as_json
    assert "**德国之声：DeepSeek被不少人称为" in markdown
    assert "[非常好的战略](https://api.dw.com/api/detail/article/71430832)" in markdown
    assert "![" in markdown and "[图片：中国AI初创公司深度求索" in text  # labels in the document's language
    assert "https://api.dw.com/api/detail/article/71430832" in text
