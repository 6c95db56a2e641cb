"""AST blocks to an XHTML body fragment: well-formed XML in the HTML5 vocabulary.

Used by the EPUB writer for its chapters and meant for a standalone HTML writer too, so it
knows nothing about packaging: how an image is shown is decided by a callback.

Safety comes from construction, not from filtering: only the elements and attributes listed
in the methods below are ever written, every string goes through
:func:`~converter.writers.markup.escape_xml` (which also drops characters XML forbids) and every
URL through :func:`~converter.writers.markup.safe_url`. Hence no script, no event handlers, no
``javascript:`` URL and no malformed XML, whatever the document holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import ast as A
from ..chars import join_cjk_lines
from .dispatch import NodeDispatcher
from .markup import escape_xml, safe_url
from .tables import PlacedCell, layout, row_inlines

#: Blocks (and inlines) nested deeper than this are flattened (their content is kept), so that
#: hostile nesting can neither exhaust the stack nor exceed XML parsers' depth limits.
MAX_DEPTH = 48

_CLASS_NAME = re.compile(r"[^A-Za-z0-9_+-]")

ImageSource = Callable[[A.Image], "str | None"]


def _remote_source(image: A.Image) -> str | None:
    return safe_url(image.url, ("http", "https"))


def _leaf_blocks(blocks: list[A.Block]) -> list[A.Block]:
    """The blocks under ``blocks`` that contain no blocks, in order, found without recursion."""
    out: list[A.Block] = []
    stack = list(reversed(blocks))
    while stack:
        node = stack.pop()
        if isinstance(node, (A.BlockQuote, A.Div)):
            stack.extend(reversed(node.content))
        elif isinstance(node, (A.BulletList, A.OrderedList)):
            stack.extend(reversed([block for item in node.items for block in item]))
        else:
            out.append(node)
    return out


class XhtmlRenderer(NodeDispatcher):
    """Renders blocks to an XHTML fragment, one method per node type.

    ``image_source`` maps an image to the ``src`` to use, or ``None`` when it cannot be shown;
    such an image becomes its alt text (figures: their caption too), linked to its URL when
    ``link_missing_images`` is true (``image_label`` is the link text when there is no alt
    text). ``heading_offset`` shifts heading levels, so that body headings sit below a title
    the caller writes as ``<h1>``.
    """

    def __init__(self, *, image_source: ImageSource | None = None, link_missing_images: bool = True,
                 image_label: str = "[image]", heading_offset: int = 0, heading_ids: bool = False) -> None:
        self.image_source = image_source or _remote_source
        self.link_missing_images = link_missing_images
        self.image_label = image_label
        self.heading_offset = heading_offset
        self.heading_ids = heading_ids
        #: With ``heading_ids``: each heading rendered, as (its level in the document, its text,
        #: its id ``sec-N``), in order, for a table of contents.
        self.headings: list[tuple[int, str, str]] = []
        self._depth = 0
        self._inline_depth = 0
        self._in_link = False

    # ------------------------------------------------------------------ entry points

    def render(self, blocks: list[A.Block]) -> str:
        """The fragment for ``blocks``."""
        return "".join(self.block(b) for b in blocks)

    def writer_name(self) -> str:
        return "the XHTML renderer of the html and epub writers"

    def inlines(self, nodes: list[A.Inline]) -> str:
        if self._inline_depth >= MAX_DEPTH:  # too deep to nest further: the text only
            return escape_xml(A.plain_text(nodes))
        self._inline_depth += 1
        try:
            return "".join(self.inline(n) for n in nodes)
        finally:
            self._inline_depth -= 1

    # ------------------------------------------------------------------ blocks

    def block_Paragraph(self, node: A.Paragraph) -> str:
        body = self.inlines(node.content)
        return f"<p>{body}</p>\n" if body.strip() else ""

    def block_Heading(self, node: A.Heading) -> str:
        body = self.inlines(node.content)
        if not body.strip():
            return ""
        level = min(max(node.level + self.heading_offset, 1), 6)
        if self.heading_ids:
            anchor = f"sec-{len(self.headings) + 1}"
            self.headings.append((node.level, " ".join(A.plain_text(node.content).split()) or "…", anchor))
            return f'<h{level} id="{anchor}">{body}</h{level}>\n'
        return f"<h{level}>{body}</h{level}>\n"

    def block_Figure(self, node: A.Figure) -> str:
        src = self.image_source(node.image)
        caption = self.inlines(node.caption)
        if src is None:
            return self._missing_figure(node.image, caption)
        figcaption = f"<figcaption>{caption}</figcaption>" if caption.strip() else ""
        return f"<figure>{self._img(node.image, src)}{figcaption}</figure>\n"

    def _missing_figure(self, image: A.Image, caption: str) -> str:
        """A figure whose image cannot be shown: its caption (else alt text) and its link."""
        link = self._image_link(image, image.alt)
        if caption.strip():
            body = f"{caption} {link}" if link else caption
        else:
            body = link or escape_xml(image.alt.strip())
        return f'<p class="image-missing">{body}</p>\n' if body else ""

    def block_BulletList(self, node: A.BulletList) -> str:
        return self._list("ul", "", node.items)

    def block_OrderedList(self, node: A.OrderedList) -> str:
        start = f' start="{int(node.start)}"' if int(node.start) != 1 else ""
        return self._list("ol", start, node.items)

    def _list(self, tag: str, attrs: str, items: list[list[A.Block]]) -> str:
        if self._depth >= MAX_DEPTH:
            return self._flat([block for item in items for block in item])
        body = "".join(f"<li>{self._nested(item)}</li>\n" for item in items)
        return f"<{tag}{attrs}>\n{body}</{tag}>\n" if body else ""

    def block_BlockQuote(self, node: A.BlockQuote) -> str:
        return self._container("blockquote", node.content)

    def block_Div(self, node: A.Div) -> str:
        return self._container("div", node.content)

    def _container(self, tag: str, blocks: list[A.Block]) -> str:
        if self._depth >= MAX_DEPTH:
            return self._flat(blocks)
        body = self._nested(blocks)
        return f"<{tag}>\n{body}</{tag}>\n" if body else ""

    def _nested(self, blocks: list[A.Block]) -> str:
        self._depth += 1
        try:
            return self.render(blocks)
        finally:
            self._depth -= 1

    def _flat(self, blocks: list[A.Block]) -> str:
        """Too deep to nest further: the leaf blocks below, without their containers."""
        return "".join(self.block(b) for b in _leaf_blocks(blocks))

    def block_CodeBlock(self, node: A.CodeBlock) -> str:
        language = _CLASS_NAME.sub("", node.language)
        attrs = f' class="language-{language}"' if language else ""
        return f"<pre><code{attrs}>{escape_xml(node.text)}</code></pre>\n"

    def block_HorizontalRule(self, node: A.HorizontalRule) -> str:
        return "<hr/>\n"

    def block_Table(self, node: A.Table) -> str:
        """A table laid out by :func:`~converter.writers.tables.layout`, spans as attributes;
        a ``linear`` one as a paragraph per row (an e-reader pads a table to its full grid)."""
        table = layout(node)
        caption = self.inlines(node.caption)
        if table.linear:
            rows = "".join(self.block_Paragraph(A.Paragraph(row_inlines(row))) for row in table.rows)
            return (f"<p>{caption}</p>\n" if caption.strip() else "") + rows
        head_rows = "".join(self._row(row, "th") for row in table.head)
        body_rows = "".join(self._row(row, "td") for row in table.body)
        if not head_rows and not body_rows:
            return f"<p>{caption}</p>\n" if caption.strip() else ""
        parts = ["<table>\n"]
        if caption.strip():
            parts.append(f"<caption>{caption}</caption>\n")
        if head_rows:
            parts.append(f"<thead>\n{head_rows}</thead>\n")
        if body_rows:
            parts.append(f"<tbody>\n{body_rows}</tbody>\n")
        parts.append("</table>\n")
        return "".join(parts)

    def _row(self, cells: list[PlacedCell], tag: str) -> str:
        return f"<tr>{''.join(self._cell(c, tag) for c in cells)}</tr>\n"

    def _cell(self, placed: PlacedCell, tag: str) -> str:
        attrs = f' colspan="{placed.colspan}"' if placed.colspan > 1 else ""
        attrs += f' rowspan="{placed.rowspan}"' if placed.rowspan > 1 else ""
        return f"<{tag}{attrs}>{self.inlines(placed.cell.content)}</{tag}>"

    # ------------------------------------------------------------------ inlines

    def inline_Text(self, node: A.Text) -> str:
        text = node.text
        if "\n" in text:  # most browsers and e-readers would show it as a space between CJK
            text = join_cjk_lines(text)
        return escape_xml(text)

    def inline_Strong(self, node: A.Strong) -> str:
        return f"<strong>{self.inlines(node.content)}</strong>"

    def inline_Emphasis(self, node: A.Emphasis) -> str:
        return f"<em>{self.inlines(node.content)}</em>"

    def inline_Strikeout(self, node: A.Strikeout) -> str:
        return f"<s>{self.inlines(node.content)}</s>"

    def inline_Superscript(self, node: A.Superscript) -> str:
        return f"<sup>{self.inlines(node.content)}</sup>"

    def inline_Subscript(self, node: A.Subscript) -> str:
        return f"<sub>{self.inlines(node.content)}</sub>"

    def inline_Code(self, node: A.Code) -> str:
        return f"<code>{escape_xml(node.text)}</code>"

    def inline_LineBreak(self, node: A.LineBreak) -> str:
        return "<br/>"

    def inline_Link(self, node: A.Link) -> str:
        if self._in_link:  # links cannot nest: keep the content only
            return self.inlines(node.content)
        href = safe_url(node.url)
        self._in_link = href is not None
        try:
            body = self.inlines(node.content)
        finally:
            self._in_link = False
        if href is None:
            return body
        title = f' title="{escape_xml(node.title)}"' if node.title.strip() else ""
        return f'<a href="{escape_xml(href)}"{title}>{body or escape_xml(href)}</a>'

    def inline_Image(self, node: A.Image) -> str:
        src = self.image_source(node)
        if src is not None:
            return self._img(node, src)
        return self._image_link(node, node.alt) or escape_xml(node.alt)

    def _img(self, image: A.Image, src: str) -> str:
        title = f' title="{escape_xml(image.title)}"' if image.title.strip() else ""
        return f'<img src="{escape_xml(src)}" alt="{escape_xml(image.alt)}"{title}/>'

    def _image_link(self, image: A.Image, text: str) -> str:
        """A text link to an image that is not shown ("" when links are off or impossible)."""
        if not self.link_missing_images or self._in_link:
            return ""
        href = safe_url(image.url, ("http", "https"))
        if href is None:
            return ""
        label = escape_xml(text.strip() or self.image_label)
        return f'<a class="image-link" href="{escape_xml(href)}">{label}</a>'
