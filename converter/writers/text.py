"""Plain-text writer: the article as it should read in a terminal or an e-mail.

No markup survives: emphasis and code are plain words, links become numbered references
listed at the end, images become ``[Image: alt]`` placeholders, superscripts and subscripts
keep their meaning (:func:`converter.chars.scripted`: ``10¹⁷⁰``). The words the writer adds
(``Author``, ``Image`` …) follow the document's language (:mod:`converter.labels`). Prose is
wrapped to ``width`` display columns by :func:`converter.wrap.wrap`, which counts CJK
characters as two columns and follows kinsoku, and so are the header, the reference list and
tables (a table wider than the width is written a line per row): no line is wider than the
width unless it is one unbreakable unit, a long URL say, or a line of a code block, which is
written as it is (a folded line would be other code). Nesting is shown by indentation alone, so
the result does not read as Markdown: list items hang under their marker (``- `` or
``1. ``), block quotes and code blocks are indented by four spaces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from ..ast import (
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Div,
    Document,
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
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
)
from ..chars import (
    collapse_unicode_space,
    drop_all_controls,
    drop_controls,
    one_line,
    scripted,
)
from ..labels import labelled, link_label
from ..patterns import lazy_compile
from ..wrap import display_width, wrap
from . import Writer
from .tables import PlacedCell, TableLayout, layout, within_budget

INDENT = "    "
RULE = "-" * 10
#: Nesting indents text by at most this many columns: deeper blocks line up with the last
#: indented level. Otherwise each level would narrow the text further and repeat its indent on
#: every line, down to a character per line behind hundreds of spaces.
MAX_INDENT = 40
TAB_SIZE = 4

#: Link targets worth listing as references; the others (``#anchor``, ``javascript:``,
#: relative paths) lead nowhere outside the page.
REFERENCE_SCHEMES = ("http://", "https://", "mailto:")
#: Where link targets go: listed at the end (the text stays clean for search and NLP), listed
#: at the end with ``[n]`` markers in the text, or nowhere.
REFERENCE_STYLES = ("end", "inline", "none")

# Stands for a LineBreak while a paragraph's inlines are joined into one string; it cannot
# occur in the text itself because control characters are removed from every leaf.
_BREAK = "\x00"
#: Spaces and line breaks at the end of a text. The search starts only where a run of them
#: starts: tried from every position of a long run in mid-text, each time to its end, it was
#: quadratic in the length of the run.
_TRAILING_GAP = lazy_compile(r"(?<![\s\x00])[\s\x00]+\Z")
_BLANK_LINES = lazy_compile(r"\n{3,}")


def _prose(text: str) -> str:
    """A piece of running text from the AST, safe to join into a paragraph: without control
    characters, as the reader leaves text (tab, line feed and carriage return are collapsed
    with the other white space)."""
    return drop_controls(text)


def _one_line(text: str) -> str:
    return one_line(_prose(text))


def _url_as_read(url: str) -> str:
    """The URL as a browser reads it: no controls, tabs or newlines, inner spaces encoded."""
    return drop_all_controls(url).strip().replace(" ", "%20")


def _same_address(text: str, url: str) -> bool:
    """Whether a link's text already shows its URL, so a reference would repeat it."""
    def bare(value: str) -> str:
        return value.removeprefix("mailto:").rstrip("/")
    return bare(text) == bare(url)


def _format_published(value: dt.datetime) -> str:
    if value.tzinfo is None:  # the AST promises UTC; never fall back to local time
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _indent(lines: list[str], first: str, rest: str) -> list[str]:
    """Prefix the first line with ``first`` and the others with ``rest``; blank lines stay empty."""
    return [(rest if i else first) + line if line else "" for i, line in enumerate(lines)]


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


class TextWriter(Writer):
    """Writes wrapped plain text.

    Rendering keeps per-document state on the instance (current width, references), so
    one instance must not render two documents at the same time.
    """

    name = "text"
    aliases = ("txt", "plain")
    extension = "txt"
    description = "plain text wrapped to a width (CJK-aware), links as numbered references"

    def __init__(self, *, width: int = 80, references: str = "end") -> None:
        if width < 0:
            raise ValueError(f"width must be 0 (no wrapping) or positive, not {width}")
        if references not in REFERENCE_STYLES:
            raise ValueError(f"references must be one of {', '.join(REFERENCE_STYLES)}, not {references!r}")
        self.width = width
        self.references = references
        self._width = width  # width left for the block being rendered
        self._indent = 0  # columns of indentation around the block being rendered
        self._refs: dict[str, int] = {}  # URL -> reference number, in order of first use
        self._language = ""  # of the document being rendered: the words the writer adds

    def write(self, doc: Document) -> str:
        self._width, self._indent, self._refs = self.width, 0, {}
        self._language = doc.meta.language
        body = self._blocks(doc.blocks)
        sections = [self._header(doc.meta), body, self._reference_list()]
        return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"

    # ------------------------------------------------------------------------ document parts

    def _header(self, meta: Meta) -> list[str]:
        title = _one_line(meta.title)
        facts = []
        if author := _one_line(meta.author):
            facts += self._labelled("author", author)
        if meta.published is not None:
            facts += self._labelled("published", _format_published(meta.published))
        if url := _url_as_read(meta.url):
            facts += self._with_label(labelled("source", self._language), url)
        return self._separated([self._underlined(title, "="), facts])

    def _labelled(self, key: str, value: str) -> list[str]:
        """``Author: value``, in the document's language, wrapped."""
        return wrap(labelled(key, self._language) + value, self.width)

    def _reference_list(self) -> list[str]:
        if not self._refs:
            return []
        lines = [labelled("references", self._language).rstrip()]
        for url, n in self._refs.items():
            lines += self._with_label(f"[{n}] ", url)
        return lines

    def _with_label(self, label: str, url: str) -> list[str]:
        """``label`` and ``url`` wrapped; a URL wider than a line stays after its label, which
        would otherwise stand alone above it (the line is too wide because of the URL alone)."""
        if 0 < self.width < display_width(url):
            return [label + url]
        return wrap(label + url, self.width)

    # ------------------------------------------------------------------------ helpers

    @staticmethod
    def _separated(parts: list[list[str]], hug: list[bool] | None = None) -> list[str]:
        """Non-empty parts one blank line apart, except a part whose ``hug`` is true,
        which follows the previous one directly."""
        lines: list[str] = []
        for i, part in enumerate(parts):
            if part:
                if lines and not (hug and hug[i]):
                    lines.append("")
                lines.extend(part)
        return lines

    def _blocks(self, blocks: list[Block], tight: bool = False) -> list[str]:
        """Blocks one blank line apart; in a tight list item a nested list hugs the text."""
        hug = [tight and isinstance(b, (BulletList, OrderedList)) for b in blocks]
        return self._separated([self.block(b) for b in blocks], hug)

    @contextmanager
    def _narrowed(self, by: int) -> Iterator[bool]:
        """Render nested content ``by`` columns narrower (never below one; 0 stays 0); yields
        whether it is to be indented, which it is not beyond ``MAX_INDENT``."""
        saved = self._width, self._indent
        indented = self._indent + by <= MAX_INDENT
        if indented:
            self._indent += by
            if self._width > 0:
                self._width = max(1, self._width - by)
        try:
            yield indented
        finally:
            self._width, self._indent = saved

    def _inlines(self, nodes: list[Inline]) -> str:
        parts: list[str] = []
        last = ""  # the last character written so far
        for node in nodes:
            part = self._scripted(node, last) if isinstance(node, (Superscript, Subscript)) else self.inline(node)
            parts.append(part)
            last = part[-1:] or last
        return "".join(parts)

    def _scripted(self, node: Superscript | Subscript, before: str) -> str:
        """A superscript or subscript that keeps its meaning in plain text: ``10¹⁷⁰``, not
        ``10170`` (:func:`converter.chars.scripted`)."""
        text = self._inlines(node.content)
        return scripted(text, before, superscript=isinstance(node, Superscript))

    def _inline_text(self, nodes: list[Inline]) -> str:
        """The inlines as text: whitespace collapsed, LineBreaks as ``\\n`` (at most one blank
        line in a row, as between blocks), ends stripped."""
        segments = collapse_unicode_space(self._inlines(nodes)).split(_BREAK)
        return _BLANK_LINES.sub("\n\n", "\n".join(s.strip() for s in segments).strip("\n"))

    def _wrapped(self, text: str) -> list[str]:
        return wrap(text, self._width) if text else []

    def _underlined(self, text: str, char: str) -> list[str]:
        lines = self._wrapped(text)
        if lines:
            lines.append(char * max(map(display_width, lines)))
        return lines

    # ------------------------------------------------------------------------ blocks

    def block_Paragraph(self, node: Paragraph) -> list[str]:
        return self._wrapped(self._inline_text(node.content))

    def block_Heading(self, node: Heading) -> list[str]:
        return self._underlined(self._inline_text(node.content), "=" if node.level <= 1 else "-")

    def block_Figure(self, node: Figure) -> list[str]:
        """``[Image: caption]``; an image with neither caption nor alt text says nothing."""
        caption = self._inline_text(node.caption) or _one_line(node.image.alt)
        return self._wrapped(self._image(caption)) if caption else []

    def _image(self, text: str) -> str:
        """What stands for an image: ``[Image: text]``, in the document's language."""
        return f"[{labelled('image', self._language)}{text}]"

    def block_BulletList(self, node: BulletList) -> list[str]:
        return self._list(["- "] * len(node.items), node.items)

    def block_OrderedList(self, node: OrderedList) -> list[str]:
        labels = [f"{node.start + i}." for i in range(len(node.items))]
        column = max(map(len, labels), default=0) + 1
        return self._list([label.ljust(column) for label in labels], node.items)

    def _list(self, markers: list[str], items: list[list[Block]]) -> list[str]:
        """Items under their markers, one after the other; if any item holds several
        paragraphs, items are set a blank line apart so its paragraphs stay distinguishable
        from the next item."""
        loose = any(sum(not isinstance(b, (BulletList, OrderedList)) for b in item) > 1
                    for item in items)
        rendered = [self._item(marker, item, not loose)
                    for marker, item in zip(markers, items, strict=True)]
        return self._separated(rendered, None if loose else [True] * len(rendered))

    def _item(self, marker: str, blocks: list[Block], tight: bool) -> list[str]:
        with self._narrowed(len(marker)) as indented:
            body = self._blocks(blocks, tight)
        if not body:
            return [marker.rstrip()]
        return _indent(body, marker, " " * len(marker) if indented else "")

    def block_BlockQuote(self, node: BlockQuote) -> list[str]:
        with self._narrowed(len(INDENT)) as indented:
            body = self._blocks(node.content)
        return _indent(body, INDENT, INDENT) if indented else body

    def block_CodeBlock(self, node: CodeBlock) -> list[str]:
        lines = [drop_controls(line).expandtabs(TAB_SIZE).rstrip()
                 for line in node.text.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        start = next((i for i, line in enumerate(lines) if line), len(lines))
        return _indent(lines[start:], INDENT, INDENT)

    def block_HorizontalRule(self, node: HorizontalRule) -> list[str]:
        return [RULE]

    def block_Table(self, node: Table) -> list[str]:
        table = layout(node)
        texts = {placed: self._cell_text(placed.cell) for row in table.rows for placed in row}
        return _render_table(table, texts, self._width) + self._wrapped(self._inline_text(node.caption))

    def _cell_text(self, cell: TableCell) -> str:
        # a LineBreak becomes a line break first, so that collapse_unicode_space drops it between
        # two CJK characters instead of putting a space there
        return collapse_unicode_space(self._inline_text(cell.content))

    def block_Div(self, node: Div) -> list[str]:
        return self._blocks(node.content)

    # ------------------------------------------------------------------------ inlines

    def inline_Text(self, node: Text) -> str:
        return _prose(node.text)

    def inline_Strong(self, node: Strong) -> str:
        return self._inlines(node.content)

    inline_Emphasis = inline_Strikeout = inline_Strong

    def inline_Superscript(self, node: Superscript | Subscript) -> str:
        return self._scripted(node, "")

    inline_Subscript = inline_Superscript

    def inline_Code(self, node: Code) -> str:
        return _prose(node.text)

    def inline_LineBreak(self, node: LineBreak) -> str:
        return _BREAK

    def inline_Image(self, node: Image) -> str:
        alt = _one_line(node.alt)
        return self._image(alt) if alt else ""

    def inline_Link(self, node: Link) -> str:
        text = self._inlines(node.content)
        url = _url_as_read(node.url)
        shown = collapse_unicode_space(text.replace(_BREAK, " ")).strip()
        web = url.lower().startswith(REFERENCE_SCHEMES)
        if not shown and web:  # an empty link would vanish: a short label, the URL in the references
            text = shown = url if self.references == "none" else link_label(url, self._language)
        if self.references == "none" or not web or _same_address(shown, url):
            return text
        number = self._refs.setdefault(url, len(self._refs) + 1)
        if self.references == "end":
            return text
        words = _TRAILING_GAP.sub("", text)  # the number goes right after the words
        return f"{words}[{number}]{text[len(words):]}"


# ---------------------------------------------------------------------------- tables


def _render_table(table: TableLayout, texts: dict[PlacedCell, str], width: int) -> list[str]:
    """Rows as columns aligned by display width, two spaces apart, a rule under the head.

    Rows with nothing in them are left out: a blank line would split the table in two. A
    ``linear`` table, one whose aligned form would take more room than the size budget
    allows for its text (one very long cell above many short rows), or one wider than
    ``width`` (``0``: no limit) is written as the other writers write a ``linear`` table: a
    line per row, its non-empty cells separated by bars, wrapped to ``width``.
    """
    widths = _column_widths(table, texts)
    text = sum(display_width(t) + 2 for t in texts.values())
    aligned = (not table.linear and within_budget(len(table.rows) * (sum(widths) + 2 * table.width), text)
               and (width <= 0 or sum(widths) + 2 * (table.width - 1) <= width))
    if aligned:
        rows = [[_render_row(row, texts, widths)] for row in table.rows]
    else:
        rows = [_wrapped_row(row, texts, width) for row in table.rows]
    head = [line for lines in rows[:len(table.head)] for line in lines if line]
    body = [line for lines in rows[len(table.head):] for line in lines if line]
    if head:
        rule = widths if aligned else [max(map(display_width, head))]
        if not aligned and width > 0:
            rule = [min(rule[0], width)]
        head.append("  ".join("-" * w for w in rule).rstrip())
    return head + body


def _wrapped_row(row: list[PlacedCell], texts: dict[PlacedCell, str], width: int) -> list[str]:
    """A row as one line of its non-empty cells separated by bars, wrapped to ``width``."""
    line = " | ".join(filter(None, (texts[placed] for placed in row)))
    return wrap(line, width) if line else []


def _column_widths(table: TableLayout, texts: dict[PlacedCell, str]) -> list[int]:
    """Widest single cell per column, then widened where a spanning cell needs more room."""
    widths = [0] * table.width
    spanning = []
    for row in table.rows:
        for placed in row:
            if placed.colspan == 1:
                widths[placed.column] = max(widths[placed.column], display_width(texts[placed]))
            else:
                spanning.append(placed)
    for placed in spanning:
        short = display_width(texts[placed]) - _span_width(widths, placed.column, placed.colspan)
        if short > 0:
            widths[placed.column + placed.colspan - 1] += short
    return widths


def _span_width(widths: list[int], c: int, span: int) -> int:
    return sum(widths[c:c + span]) + 2 * (span - 1)


def _render_row(row: list[PlacedCell], texts: dict[PlacedCell, str], widths: list[int]) -> str:
    """A row's cells padded to their columns; slots without a cell anchored are blank."""
    anchored = {placed.column: placed for placed in row}
    cells = []
    c = 0
    while c < len(widths):
        placed = anchored.get(c)
        span = placed.colspan if placed else 1
        cells.append(_pad(texts[placed] if placed else "", _span_width(widths, c, span)))
        c += span
    return "  ".join(cells).rstrip()
