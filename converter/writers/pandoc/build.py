"""A ``Document`` as pandoc's JSON AST: :class:`PandocAst`, one method per node type."""

from __future__ import annotations

import re
from typing import Any

from ... import ast as A
from ...chars import join_cjk_lines
from ...readers.rules import code_language
from ..article import IMAGE_LABELS, language_tag, localized
from ..dispatch import NodeDispatcher
from ..markup import drop_non_xml, safe_url
from ..tables import COVERED, PlacedCell, Slot, layout, row_inlines
from .process import api_version

#: A node of pandoc's JSON AST, and the pieces of it the dialects share with the builder.
Json = dict[str, Any]
NO_ATTR: list[Any] = ["", [], []]
SPACE: Json = {"t": "Space"}
SOFT_BREAK: Json = {"t": "SoftBreak"}
LINE_BREAK: Json = {"t": "LineBreak"}
_BREAKS = (SPACE, SOFT_BREAK, LINE_BREAK)
_SPACE_RUN = re.compile(r"([ \t\n\r\f]+)")
IMAGE_SCHEMES = ("http", "https")
#: The one metadata key that holds our own fields (url, site, tags) for pandoc: no default
#: template or writer of pandoc's reads it (a test checks every template).
_OWN_META = "converter"


def trim(inlines: list[Json]) -> list[Json]:
    """Block content without spaces or line breaks at its ends and with runs of line breaks
    as one: empty lines inside a paragraph exist in no format but HTML (LaTeX rejects them)."""
    out: list[Json] = []
    for node in inlines:
        if node in _BREAKS and (not out or out[-1] in _BREAKS):
            if node == LINE_BREAK and out:
                out[-1] = node
            continue
        out.append(node)
    while out and out[-1] in _BREAKS:
        out.pop()
    return out


class PandocAst(NodeDispatcher):
    """A ``Document`` as pandoc's JSON AST, one method per node type.

    Every method returns a list: text splits into ``Str``, ``Space`` and ``SoftBreak``, and a
    block may vanish (an empty paragraph) or unwrap (a figure whose image has no usable URL).
    With ``link_images`` an image is written as a link to it, labelled with its alt text: for
    the formats that would embed it, which pandoc cannot fetch in its sandbox.
    """

    def __init__(self, *, link_images: bool = False) -> None:
        self.link_images = link_images
        self.image_label = "[image]"
        self._in_link = False

    def writer_name(self) -> str:
        return f"pandoc's AST builder ({type(self).__name__})"

    def document(self, doc: A.Document) -> Json:
        if self.link_images:
            self.image_label = _image_label(doc.meta.language)
        return {"pandoc-api-version": api_version(), "meta": self.meta(doc.meta),
                "blocks": self.blocks(doc.blocks)}

    # ------------------------------------------------------------------ metadata

    def meta(self, meta: A.Meta) -> Json:
        """An allow-list: the title, author, date and language pandoc's templates show, and our
        own fields under ``_OWN_META``, a name no default template or writer reads. Never the
        document's front-matter keys, which pandoc's templates and writers would obey
        (``css``, ``header-includes``, ``revealjs-url``, ``description-meta`` …), and text
        only as ``MetaInlines``, which writers escape (a ``MetaString`` reaches a template raw).
        """
        out: Json = {}
        title = self.one_line(self.text(meta.title))
        if title:
            out["title"] = {"t": "MetaInlines", "c": title}
        author = self.one_line(self.text(meta.author))
        if author:
            out["author"] = {"t": "MetaList", "c": [{"t": "MetaInlines", "c": author}]}
        if meta.published is not None:
            out["date"] = {"t": "MetaString", "c": A.format_datetime(meta.published)}
        lang = language_tag(meta.language)
        if lang != "und":  # only a well-formed BCP 47 tag, which cannot close an attribute
            out["lang"] = {"t": "MetaString", "c": lang}
        own: Json = {}
        publisher = meta.extra.get("publisher")
        for key, text in (("url", safe_url(meta.url) or ""), ("site", meta.site),
                          ("publisher", publisher if isinstance(publisher, str) else "")):
            value = self._meta_text(text)
            if value is not None:
                own[key] = value
        tags = [tag for tag in map(self._meta_text, meta.tags) if tag is not None]
        if tags:
            own["tags"] = {"t": "MetaList", "c": tags}
        if own:
            out[_OWN_META] = {"t": "MetaMap", "c": own}
        return out

    def _meta_text(self, text: str) -> Json | None:
        """One line of text as ``MetaInlines``, or ``None`` for none."""
        inlines = self.one_line(self.text(text))
        return {"t": "MetaInlines", "c": inlines} if inlines else None

    def one_line(self, inlines: list[Json]) -> list[Json]:
        """The inlines of a title, heading or caption, which most formats write on one line:
        a soft break in them is a space (pandoc would keep it as a line break)."""
        return self.line_starts([SPACE if node == SOFT_BREAK else node for node in trim(inlines)])

    def line_starts(self, inlines: list[Json]) -> list[Json]:
        """Block content (a paragraph, heading, caption, table cell, title) whose first line and
        each line after a break start a line of the output: formats whose processors read a
        line's start as markup (rST's ``.. include::``) escape it here."""
        return inlines

    # ------------------------------------------------------------------ blocks

    def blocks(self, nodes: list[A.Block]) -> list[Json]:
        return [out for node in nodes for out in self.block(node)]

    def block_Paragraph(self, node: A.Paragraph) -> list[Json]:
        content = self.line_starts(trim(self.inlines(node.content)))
        return [{"t": "Para", "c": content}] if content else []

    def block_Heading(self, node: A.Heading) -> list[Json]:
        content = self.one_line(self.inlines(node.content))
        level = min(max(int(node.level), 1), 6)
        return [{"t": "Header", "c": [level, NO_ATTR, content]}] if content else []

    def block_Figure(self, node: A.Figure) -> list[Json]:
        """A ``Figure`` holding the image; an image without a usable URL leaves its caption
        (or alt text) as a paragraph."""
        if safe_url(node.image.url, IMAGE_SCHEMES) is None:
            return self.block_Paragraph(A.Paragraph(node.caption or [A.Text(node.image.alt)]))
        caption = self.one_line(self.inlines(node.caption))
        body = [{"t": "Plain", "c": caption}] if caption else []
        image = {"t": "Plain", "c": self.inline_Image(node.image)}
        return [{"t": "Figure", "c": [NO_ATTR, [None, body], [image]]}]

    def block_BulletList(self, node: A.BulletList) -> list[Json]:
        items = self._items(node.items)
        return [{"t": "BulletList", "c": items}] if items else []

    def block_OrderedList(self, node: A.OrderedList) -> list[Json]:
        items = self._items(node.items)
        attrs = [int(node.start), {"t": "Decimal"}, {"t": "Period"}]
        return [{"t": "OrderedList", "c": [attrs, items]}] if items else []

    def _items(self, items: list[list[A.Block]]) -> list[list[Json]]:
        """List items; a list in which no item holds two paragraphs is tight (its paragraphs
        are ``Plain``), as pandoc's HTML reader makes it, so that writers do not space it out."""
        out = [self.blocks(item) for item in items]
        if all(sum(b["t"] == "Para" for b in item) <= 1 for item in out):
            out = [[{"t": "Plain", "c": b["c"]} if b["t"] == "Para" else b for b in item] for item in out]
        return out

    def block_BlockQuote(self, node: A.BlockQuote) -> list[Json]:
        content = self.blocks(node.content)
        return [{"t": "BlockQuote", "c": content}] if content else []

    def block_Div(self, node: A.Div) -> list[Json]:
        content = self.blocks(node.content)
        return [{"t": "Div", "c": [NO_ATTR, content]}] if content else []

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
        language = code_language(node.language)
        attr = ["", [language] if language else [], []]
        return [{"t": "CodeBlock", "c": [attr, self.code(node.text)]}]

    def code(self, text: str) -> str:
        """The text of a code block, as pandoc is to write it."""
        return drop_non_xml(text).rstrip("\n")

    def block_HorizontalRule(self, node: A.HorizontalRule) -> list[Json]:
        return [{"t": "HorizontalRule"}]

    def block_Table(self, node: A.Table) -> list[Json]:
        """A ``Table`` laid out by :func:`~converter.writers.tables.layout`: one column spec
        per grid column and every row filling the grid (short rows padded with empty cells),
        as pandoc's writers expect (docx refuses short rows). A ``linear`` table becomes
        paragraphs instead."""
        table = layout(node)
        if not table.width:
            return self.block_Paragraph(A.Paragraph(node.caption))
        if table.linear:
            return self._rows_as_paragraphs(node.caption, table.rows)
        grid = table.grid()
        caption = self.one_line(self.inlines(node.caption))
        colspecs = [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}]] * table.width
        head, body = grid[:len(table.head)], grid[len(table.head):]
        return [{"t": "Table", "c": [
            NO_ATTR, [None, [{"t": "Plain", "c": caption}] if caption else []], colspecs,
            [NO_ATTR, self._rows(head)], [[NO_ATTR, 0, [], self._rows(body)]],
            [NO_ATTR, []]]}]

    def _rows_as_paragraphs(self, caption: list[A.Inline], rows: list[list[PlacedCell]]) -> list[Json]:
        """The caption, then each row as a paragraph of its cells separated by bars: what
        every format can write at a size linear in the table's (pandoc pads every row of a
        ``Table`` to its full width itself, and takes minutes over a 5000 × 5000 grid)."""
        out = self.block_Paragraph(A.Paragraph(caption))
        for row in rows:
            out += self.block_Paragraph(A.Paragraph(row_inlines(row)))
        return out

    def _rows(self, grid: list[list[Slot]]) -> list[Json]:
        """Rows of ``Cell`` s: a placed cell where one is anchored, an empty one where no
        cell reaches, nothing where a span covers the slot."""
        out: list[Any] = []
        for slots in grid:
            line: list[Any] = []
            for slot in slots:
                if slot is COVERED:
                    continue
                rowspan, colspan, cell = ((slot.rowspan, slot.colspan, slot.cell) if slot is not None
                                          else (1, 1, A.TableCell([])))
                content = self.line_starts(trim(self.inlines(cell.content)))
                line.append([NO_ATTR, {"t": "AlignDefault"}, rowspan, colspan,
                             [{"t": "Plain", "c": content}] if content else []])
            out.append([NO_ATTR, line])
        return out

    # ------------------------------------------------------------------ inlines

    def inlines(self, nodes: list[A.Inline]) -> list[Json]:
        return [out for node in nodes for out in self.inline(node)]

    def text(self, text: str) -> list[Json]:
        """``text`` as words and the spaces between them: a line break in it is a soft one, or
        nothing between two CJK characters (see :func:`converter.chars.join_cjk_lines`)."""
        text = join_cjk_lines(drop_non_xml(text))
        if len(text) > _LONG_TEXT:
            return _long_text(text)
        out: list[Json] = []
        for piece in _SPACE_RUN.split(text):
            if not piece:
                continue
            if piece[0] in " \t\n\r\f":
                out.append(SOFT_BREAK if "\n" in piece else SPACE)
            else:
                out.append({"t": "Str", "c": piece})
        return out

    def inline_Text(self, node: A.Text) -> list[Json]:
        return self.text(node.text)

    def inline_Strong(self, node: A.Strong) -> list[Json]:
        return _styled("Strong", self.inlines(node.content))

    def inline_Emphasis(self, node: A.Emphasis) -> list[Json]:
        return _styled("Emph", self.inlines(node.content))

    def inline_Strikeout(self, node: A.Strikeout) -> list[Json]:
        return _styled("Strikeout", self.inlines(node.content))

    def inline_Superscript(self, node: A.Superscript) -> list[Json]:
        return _styled("Superscript", self.inlines(node.content))

    def inline_Subscript(self, node: A.Subscript) -> list[Json]:
        return _styled("Subscript", self.inlines(node.content))

    def inline_Code(self, node: A.Code) -> list[Json]:
        return [{"t": "Code", "c": [NO_ATTR, drop_non_xml(node.text)]}]

    def inline_LineBreak(self, node: A.LineBreak) -> list[Json]:
        return [LINE_BREAK]

    def inline_Link(self, node: A.Link) -> list[Json]:
        url = safe_url(node.url)
        if url is None or self._in_link:  # links cannot nest: the outer one stays
            return self.inlines(node.content)
        self._in_link = True
        try:
            content = self.inlines(node.content)
        finally:
            self._in_link = False
        return [{"t": "Link", "c": [NO_ATTR, content or self.text(url), [url, drop_non_xml(node.title)]]}]

    def inline_Image(self, node: A.Image) -> list[Json]:
        """An ``Image`` (or a link to it), or its alt text when its URL is not ``http(s)``."""
        alt = self.text(node.alt)
        url = safe_url(node.url, IMAGE_SCHEMES)
        if url is None:
            return alt
        target = [url, drop_non_xml(node.title)]
        if self.shows_image(url):
            return [{"t": "Image", "c": [NO_ATTR, alt, target]}]
        label = alt or self.image_link_text(url)
        return label if self._in_link else [{"t": "Link", "c": [NO_ATTR, label, target]}]

    def image_link_text(self, url: str) -> list[Json]:
        """The text of a link to an image that is not shown and has no alt text."""
        return self.text(self.image_label)

    def shows_image(self, url: str) -> bool:
        """Whether the output shows the image at ``url`` as an image (else: a link to it)."""
        return not self.link_images


def _image_label(language: str) -> str:
    """The text of a link to an image without alt text, in the document's language (as in
    our HTML and EPUB)."""
    return localized(IMAGE_LABELS, language_tag(language), "[image]")


def _styled(kind: str, content: list[Json]) -> list[Json]:
    """``content`` in an inline of ``kind``, with the spaces and breaks at its ends moved out:
    lightweight markup (Markdown, AsciiDoc, Org, rST) cannot open or close a style next to one."""
    before, inner, after = hoisted(content)
    return [*before, {"t": kind, "c": inner}, *after] if inner else content


def hoisted(content: list[Json]) -> tuple[list[Json], list[Json], list[Json]]:
    """``content`` split into the spaces and breaks at its start, the rest, and those at its end."""
    start, end = 0, len(content)
    while start < end and content[start] in _BREAKS:
        start += 1
    while end > start and content[end - 1] in _BREAKS:
        end -= 1
    return content[:start], content[start:end], content[end:]


#: Text longer than this becomes one ``Str`` per line, spaces inside, instead of a node per
#: word: a hostile 15 MB paragraph would otherwise take ~19 times its size as Python objects
#: here, and far more in pandoc. (pandoc's writers run with ``--wrap=preserve``, so a space
#: inside a ``Str`` is written as a ``Space`` would be.)
_LONG_TEXT = 1 << 16
#: White space holding a line break. A match starts only where a run of white space starts:
#: tried from every position of a long run without a line break, it was quadratic.
_LINE_BREAK_RUN = re.compile(r"(?<![ \t\r\f])[ \t\r\f]*\n[ \t\n\r\f]*")
_BLANKS = re.compile(r"[ \t\r\f]+")


def _long_text(text: str) -> list[Json]:
    """Very long ``text`` as one ``Str`` per line, white space runs as single spaces."""
    out: list[Json] = []
    for line in _LINE_BREAK_RUN.split(text):
        if out:
            out.append(SOFT_BREAK)
        if line:
            out.append({"t": "Str", "c": _BLANKS.sub(" ", line)})
    return out
