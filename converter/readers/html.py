"""Feed-item HTML to AST blocks, in one walk over an lxml tree.

Block context collects runs of inline content into paragraphs and hands block elements to
one method per kind; inline context maps formatting tags onto AST inlines and unwraps
presentational ones. What counts as non-content, a caption, a lazy image … is decided by
the rules in ``rules.py``. Depth is capped so hostile nesting cannot exhaust the stack:
below ``MAX_DEPTH`` an element contributes its text only.

lxml keeps text in ``el.text`` and in each child's ``tail``; the walk sees an element's
content as one sequence of nodes (see ``_Walker.children``): strings and child elements in
document order. Comments are elements whose ``tag`` is not a string: skipped, tail kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeAlias

from lxml import etree

from .. import ast as A
from ..chars import collapse_html_space, drop_controls, one_line, replace_unencodable
from . import rules
from .inlines import is_blank, tidy_paragraph
from .rules import Element, first_descendant, text_of

#: What the walk sees inside an element: a string, or a child element (or comment).
Node: TypeAlias = str | Element

#: Text this short beside a lone image is taken as its caption even without a caption class.
SHORT_CAPTION = 150
#: Elements nested deeper than this contribute their text only (no structure, no recursion).
#: It also bounds the nesting of the AST, which every writer (and the JSON reader) walks with
#: a few Python frames per level: at 64 the deepest document needs well under half of
#: Python's default recursion limit anywhere. Real feed items nest 20 elements at most.
MAX_DEPTH = 64
#: Elements nested deeper than this in a document too deep for libxml2 are not built at all:
#: their text goes to the deepest element that is, as the walk would take it (see
#: ``_TreeBuilder``). Hostile nesting then costs neither time nor memory per element.
MAX_TREE_DEPTH = 1024

_INLINE_WRAPPERS: dict[str, type] = {
    "strong": A.Strong, "b": A.Strong,
    "em": A.Emphasis, "i": A.Emphasis, "cite": A.Emphasis, "dfn": A.Emphasis, "var": A.Emphasis,
    "s": A.Strikeout, "strike": A.Strikeout, "del": A.Strikeout,
    "sup": A.Superscript, "sub": A.Subscript,
}
_CODE = frozenset("code kbd samp tt".split())
_LISTS = frozenset("ul ol menu dir".split())
_FIGURE_HOLDERS = frozenset("div table center p section span a td tr tbody".split())
_NOT_IN_FIGURES = frozenset("ul ol table blockquote h1 h2 h3 h4 pre figure".split())
_NOT_IN_DATA_TABLES = frozenset("img p div ul ol blockquote table".split())
_CELLS = ("td", "th")
#: Inline elements that, when they wrap blocks, are treated as plain containers.
_WRAPS_BLOCKS = frozenset(_INLINE_WRAPPERS) | {"a", "span", "font", "small", "big", "u", "ins", "label"} \
    | rules.UNKNOWN_VOIDS
_EMBED_LABEL = {"video": "Video", "audio": "Audio", "iframe": "Embedded", "embed": "Embedded"}


def parse_body(html: str, base_url: str = "") -> list[A.Block]:
    """Blocks of a feed item's body HTML (already without header, byline and footer)."""
    return read_body(html, base_url)[0]


def read_body(html: str, base_url: str = "") -> tuple[list[A.Block], str]:
    """The body's blocks, and the text of its first ``<h1>`` (else ``<title>``).

    The heading is the title of a document that has neither header nor front matter.
    """
    root = parse_html(html) if html.strip() else None
    if root is None:
        return [], ""
    body = next(root.iter("body"), None)
    walker = _Walker(base_url, _image_counts(root), _block_holders(root), _silent_elements(root))
    blocks = walker.blocks(walker.children(body) if body is not None else [root], 0)
    return blocks, _first_heading(root)


# ---------------------------------------------------------------- parsing

def parse_html(html: str) -> Element | None:
    """The root element of ``html`` parsed by libxml2; ``None`` when it holds no element.

    The text is handed over as UTF-8 bytes with the encoding stated, so a ``<meta charset>``
    or an XML declaration in it changes nothing; a leading BOM is no content. ``huge_tree``
    lifts the 10 MB limit on a text node. libxml2 builds no tree deeper than 2048 elements:
    it stops there with a fatal error and drops the rest of the document. Such documents
    are built again from the parser's events, which have no such limit.
    """
    html = html.removeprefix("\ufeff")
    try:
        data = html.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, possible in text not decoded from bytes
        data = replace_unencodable(html).encode("utf-8")
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True, collect_ids=False)
    try:
        root = etree.fromstring(data, parser)
        if any(error.level == etree.ErrorLevels.FATAL for error in parser.error_log):
            # lxml's stubs allow bytes in the events; libxml2 gives the target str only
            events = etree.HTMLParser(target=_TreeBuilder(), encoding="utf-8", huge_tree=True)  # type: ignore[arg-type]
            root = etree.fromstring(data, events)
    except etree.LxmlError:  # nothing usable in the input
        return None
    return root


class _TreeBuilder:
    """Parser target building the tree from libxml2's events, at any depth.

    Slower than libxml2's own tree, so only for documents too deep for it. An lxml tree holds
    no control characters and only XML names: control characters go as the reader drops them
    (:func:`converter.chars.drop_controls`), a tag lxml refuses becomes ``unknown`` (which the walk
    unwraps, as it would have the original), an attribute it refuses is left out.

    Below ``MAX_TREE_DEPTH`` no element is built: the text there is added to the deepest
    element that is, except the text of ``rules.OWN_TEXT`` elements (scripts, styles …) and
    comments, which ``text_of`` would leave out too. Far below ``MAX_DEPTH`` the walk only
    takes the text of such a subtree anyway, so the result is the same.
    """

    def __init__(self) -> None:
        self.root: Element | None = None
        self.open: list[Element] = []
        self.pending: list[str] = []
        self.unbuilt: list[bool] = []  # elements open below MAX_TREE_DEPTH: whether each is OWN_TEXT
        self.silenced = 0  # how many of those are OWN_TEXT: their text is dropped

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if len(self.open) >= MAX_TREE_DEPTH:
            own = tag in rules.OWN_TEXT
            self.unbuilt.append(own)
            self.silenced += own
            return
        parent = self._flush()
        try:
            el = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        except ValueError:
            el = etree.Element("unknown") if parent is None else etree.SubElement(parent, "unknown")
        for name, value in attrib.items():
            try:
                el.set(name, drop_controls(value))
            except ValueError:
                pass
        self.root = self.root if self.root is not None else el
        self.open.append(el)

    def end(self, tag: str) -> None:
        if self.unbuilt:
            self.silenced -= self.unbuilt.pop()
            return
        self._flush()
        if self.open:
            self.open.pop()

    def data(self, text: str) -> None:
        if not self.silenced:
            self.pending.append(text)

    def comment(self, text: str) -> None:
        if self.unbuilt:
            return
        parent = self._flush()
        if parent is not None:
            try:
                parent.append(etree.Comment(drop_controls(text)))
            except ValueError:  # "--" inside: keep the comment, it still separates texts
                parent.append(etree.Comment())

    def close(self) -> Element | None:
        self._flush()
        return self.root

    def _flush(self) -> Element | None:
        """Add the text received since the last tag; return the element now open."""
        parent = self.open[-1] if self.open else self.root
        if self.pending and parent is not None:
            text = drop_controls("".join(self.pending))
            if len(parent):
                parent[-1].tail = (parent[-1].tail or "") + text
            else:
                parent.text = (parent.text or "") + text
        self.pending.clear()
        return parent


# ---------------------------------------------------------------- document-wide facts


def _first_heading(root: Element) -> str:
    """The text of the document's first ``<h1>``, else of its ``<title>``."""
    for name in ("h1", "title"):
        el = next(root.iter(name), None)
        if el is not None:
            text = text_of(el)
            if text.strip():
                return one_line(text)
    return ""


def _image_counts(root: Element) -> dict[Element, int]:
    """How many ``<img>`` each element holds: one pass instead of a search per element.

    Keyed by element: lxml hands out the same proxy for a node while one is referenced,
    and the dict keeps them referenced.
    """
    counts: dict[Element, int] = {}
    for img in root.iter("img"):
        for parent in img.iterancestors():
            counts[parent] = counts.get(parent, 0) + 1
    return counts


def _block_holders(root: Element) -> set[Element]:
    """Elements with a block-level element inside: one pass instead of a search per element."""
    holders: set[Element] = set()
    for block in root.iter(*rules.BLOCKS):
        for parent in block.iterancestors():
            if parent in holders:
                break  # and so are all further up
            holders.add(parent)
    return holders


def _silent_elements(root: Element) -> set[Element]:
    """Elements whose strings the walk leaves out: ``rules.OWN_TEXT`` ones and all inside them."""
    silent: set[Element] = set()
    for el in root.iter(*rules.OWN_TEXT):
        if el not in silent:
            silent.update(el.iter())
    return silent


class _Walker:
    def __init__(self, base_url: str, image_counts: dict[Element, int], block_holders: set[Element],
                 silent: set[Element]) -> None:
        self.base_url = base_url
        self.image_counts = image_counts
        self.block_holders = block_holders
        self.silent = silent

    def children(self, el: Element) -> Iterator[Node]:
        """``el``'s content in document order: its text, then each child and the child's tail."""
        if el in self.silent:
            yield from el
            return
        if el.text:
            yield el.text
        for child in el:
            yield child
            if child.tail:
                yield child.tail

    # ---------------------------------------------------------------- block context

    def blocks(self, nodes: Iterable[Node], depth: int) -> list[A.Block]:
        """Blocks from a run of sibling nodes: inline runs become paragraphs."""
        out: list[A.Block] = []
        run: list[A.Inline] = []
        for node in nodes:
            if isinstance(node, str):
                run.append(A.Text(collapse_html_space(node)))
                continue
            name = node.tag
            if not isinstance(name, str) or name in rules.NON_CONTENT:
                continue
            if name == "noscript":
                self._noscript(node, out, run)
            elif self._attach_caption(node, out, run, depth):
                continue
            elif depth >= MAX_DEPTH:
                run.append(A.Text(collapse_html_space(text_of(node))))
            elif name in rules.BLOCKS or (name in _WRAPS_BLOCKS and node in self.block_holders):
                out.extend(paragraphs(run))
                run = []
                out.extend(self.block(node, depth + 1))
            else:
                run.extend(self.inline(node, depth + 1))
        out.extend(paragraphs(run))
        return out

    def _attach_caption(self, el: Element, out: list[A.Block], run: list[A.Inline], depth: int) -> bool:
        """If ``el`` is the caption of the image just before it, make them one figure."""
        last = _last_content(run)
        if last is not None:
            if not isinstance(last, A.Image) or not rules.is_caption(el):
                return False
            flushed = paragraphs(run)
            if not flushed or not isinstance(flushed[-1], A.Figure):
                return False
            out.extend(flushed)
            run.clear()
        elif not (out and isinstance(out[-1], A.Figure) and not out[-1].caption and rules.is_caption(el)):
            return False
        figure = out[-1]
        assert isinstance(figure, A.Figure)
        figure.caption = self._caption(el, depth)
        return True

    def block(self, el: Element, depth: int) -> list[A.Block]:
        name = el.tag
        if name in rules.HEADINGS:
            return self._heading(el, depth)
        if name in _LISTS:
            return self._list(el, depth)
        if name == "blockquote":
            content = self.blocks(self.children(el), depth)
            return [A.BlockQuote(content)] if content else []
        if name == "pre":
            text = text_of(el).strip("\n")
            return [A.CodeBlock(text)] if text.strip() else []
        if name == "hr":
            return [A.HorizontalRule()]
        if name == "table":
            return self._table(el, depth)
        if name == "figure":
            return self._figure(el, depth)
        if name in rules.EMBEDS:
            return self._embed(el) + (self.blocks(self.children(el), depth) if name in rules.UNKNOWN_VOIDS else [])
        if name == "dl":
            return self._definitions(el, depth)
        figure = self._image_with_caption(el, depth)
        if figure is not None:
            return [figure]
        return self.blocks(self.children(el), depth)

    def _heading(self, el: Element, depth: int) -> list[A.Block]:
        content = tidy_paragraph(self.inline_children(el, depth))
        if not content:
            return []
        if all(isinstance(n, A.Image) for n in content):
            return [A.Figure(n) for n in content if isinstance(n, A.Image)]
        return [A.Heading(rules.HEADINGS[el.tag], content)]

    def _list(self, el: Element, depth: int) -> list[A.Block]:
        items: list[list[A.Block]] = []
        loose: list[Node] = []
        for child in self.children(el):
            if not isinstance(child, str) and child.tag == "li":
                if loose:
                    items.append(self.blocks(loose, depth))
                    loose = []
                items.append(self.blocks(self.children(child), depth + 1))
            else:
                loose.append(child)
        if loose:
            items.append(self.blocks(loose, depth))
        items = [item for item in items if item]
        if not items:
            return []
        if el.tag == "ol":
            return [A.OrderedList(items, _clamped_number((el.get("start") or "").strip(), 1, 10**9))]
        return [A.BulletList(items)]

    def _definitions(self, el: Element, depth: int) -> list[A.Block]:
        out: list[A.Block] = []
        for child in self.children(el):
            if not isinstance(child, str) and child.tag == "dt":
                term = tidy_paragraph(self.inline_children(child, depth))
                if term:
                    out.append(A.Paragraph([A.Strong(term)]))
            elif not isinstance(child, str) and child.tag == "dd":
                out.extend(self.blocks(self.children(child), depth))
            else:
                out.extend(self.blocks([child], depth))
        return out

    def _figure(self, el: Element, depth: int) -> list[A.Block]:
        """``<figure>``: its image and ``<figcaption>``; anything else inside stays as blocks."""
        caption_el = first_descendant(el, ["figcaption"])
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        blocks = self.blocks([c for c in self.children(el) if c is not caption_el], depth)
        figures = [b for b in blocks if isinstance(b, A.Figure)]
        if len(figures) == 1 and not figures[0].caption:
            figures[0].caption = caption
        elif caption:
            blocks.append(A.Paragraph(caption))
        return blocks

    def _image_with_caption(self, el: Element, depth: int) -> A.Figure | None:
        """A container holding one image and, after it, a short text: a figure with caption.

        Covers layout tables (one image cell, one caption cell) and the many
        ``<div class="pic"><img><div>caption</div></div>`` shapes.
        """
        if el.tag not in _FIGURE_HOLDERS or self.image_counts.get(el) != 1:
            return None
        if first_descendant(el, _NOT_IN_FIGURES) is not None or rules.count_descendants(el, ["p"], 2) > 1:
            return None
        if el.tag == "table" and rules.count_descendants(el, _CELLS, 4) > 3:
            return None
        img = first_descendant(el, ["img"])
        image = self.image(img) if img is not None else None
        if img is None or image is None or self._text_before(img, el):
            return None
        text = collapse_html_space(text_of(el)).strip()
        if not _reads_as_caption(el, text):
            return None
        for node in list(el.iterdescendants("img", "noscript")):
            _remove(node)  # the element is consumed here; what is left is the caption
        return A.Figure(image, self._caption(el, depth) if text else [])

    def _text_before(self, image: Element, container: Element) -> bool:
        """Whether any walked text precedes ``image`` inside ``container``."""
        ancestors = set(image.iterancestors())
        for node in container.iter():  # document order; a tail comes after its element's subtree
            if node is image:
                return False
            if isinstance(node.tag, str) and node.text and node.text.strip() and node not in self.silent:
                return True
            if node.tail and node.tail.strip() and node not in ancestors and node.getparent() not in self.silent:
                return True
        return False

    def _caption(self, el: Element, depth: int) -> list[A.Inline]:
        return tidy_paragraph(self.inline_children(el, depth))

    def _embed(self, el: Element) -> list[A.Block]:
        """Iframes, video and audio become a labelled link to what they showed."""
        src = el.get("src") or el.get("data-src")
        if not src:
            source = first_descendant(el, ["source"])
            src = source.get("src") if source is not None else None
        url = rules.clean_url(src or "", self.base_url)
        if not url or url.startswith(("data:", "#")):
            return []
        title = el.get("title")
        label = one_line(title) if title and title.strip() else url
        return [A.Paragraph([A.Text(_EMBED_LABEL[el.tag] + ": "), A.Link([A.Text(label)], url)])]

    def _noscript(self, el: Element, out: list[A.Block], run: list[A.Inline]) -> None:
        """A ``<noscript>`` image stands in for a lazy placeholder that gave no image."""
        inner = first_descendant(el, ["img"])
        if inner is None:
            markup = _sole_string(el)  # markup escaped as text, or commented out
            parsed = parse_html(markup) if markup and "<img" in markup else None
            inner = next(parsed.iter("img"), None) if parsed is not None else None
        if inner is None:
            return
        image = self.image(inner)
        if image is None:
            return
        if el.get("data-lazy-placeholder") is not None or not _has_image_before(out, run):
            run.append(image)

    def _table(self, el: Element, depth: int) -> list[A.Block]:
        """Data tables become ``Table``; layout tables give the blocks of their cells."""
        figure = self._image_with_caption(el, depth)
        if figure is not None:
            return [figure]
        rows = [tr for tr in el.iterdescendants("tr") if rules.first_ancestor(tr, ["table"]) is el]
        row_cells = [list(tr.iterchildren(*_CELLS)) for tr in rows]
        is_data = len(rows) >= 2 and max(map(len, row_cells), default=0) >= 2 \
            and first_descendant(el, _NOT_IN_DATA_TABLES) is None
        caption_el = first_descendant(el, ["caption"])
        if not is_data:
            out = self.blocks(self.children(caption_el), depth) if caption_el is not None else []
            for cells in row_cells:
                for cell in cells:
                    out.extend(self.blocks(self.children(cell), depth))
            return out
        head: list[list[A.TableCell]] = []
        body: list[list[A.TableCell]] = []
        for tr, cells in zip(rows, row_cells, strict=True):
            if not cells:
                continue
            parent = tr.getparent()
            in_head = (parent is not None and parent.tag == "thead") or all(c.tag == "th" for c in cells)
            (head if in_head and not body else body).append([self._cell(c, depth) for c in cells])
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        return [A.Table(head, body, caption)] if head or body else []

    def _cell(self, el: Element, depth: int) -> A.TableCell:
        def span(attr: str) -> int:
            return max(1, _clamped_number(el.get(attr) or "", 1, 1000))

        return A.TableCell(tidy_paragraph(self.inline_children(el, depth)), span("colspan"), span("rowspan"))

    # ---------------------------------------------------------------- inline context

    def inline_children(self, el: Element, depth: int) -> list[A.Inline]:
        out: list[A.Inline] = []
        for node in self.children(el):
            if isinstance(node, str):
                out.append(A.Text(collapse_html_space(node)))
            elif isinstance(node.tag, str):
                out.extend(self.inline(node, depth + 1))
        return out

    def inline(self, el: Element, depth: int) -> list[A.Inline]:
        name = el.tag
        if name in rules.NON_CONTENT or name == "noscript":
            return []
        if depth >= MAX_DEPTH:
            return [A.Text(collapse_html_space(text_of(el)))]
        if name == "br":
            return [A.LineBreak()]
        if name == "img":
            image = self.image(el)
            return [image] if image is not None else []
        if name in _CODE:
            text = text_of(el)
            return [A.Code(text)] if text else []
        if name == "a":
            return self._link(el, depth)
        if name in rules.EMBEDS:
            embed = self._embed(el)
            content = [A.LineBreak(), *embed[0].content, A.LineBreak()] if embed else []  # type: ignore[union-attr]
            return content + (self.inline_children(el, depth) if name in rules.UNKNOWN_VOIDS else [])
        content = self.inline_children(el, depth)
        wrapper = _INLINE_WRAPPERS.get(name)
        if wrapper is not None:
            return [wrapper(content)]
        if name in rules.BLOCKS:
            return [A.LineBreak(), *content, A.LineBreak()]
        return content

    def _link(self, el: Element, depth: int) -> list[A.Inline]:
        content = self.inline_children(el, depth)
        url = rules.clean_url(el.get("href") or "", self.base_url)
        if not url or url.startswith("data:"):
            return content
        title = el.get("title")
        return [A.Link(content, url, one_line(title) if title is not None else "")]

    def image(self, el: Element) -> A.Image | None:
        if rules.is_tracking_pixel(el):
            return None
        url = rules.image_source(el, self.base_url)
        if not url:
            return None
        title = el.get("title")
        return A.Image(url, rules.image_alt(el), one_line(title) if title is not None else "")


def paragraphs(run: list[A.Inline]) -> list[A.Block]:
    """Turn a run of inlines into paragraphs.

    Two or more ``<br>`` in a row separate paragraphs (many feeds write paragraphs that way);
    a paragraph holding nothing but images becomes one figure per image.
    """
    if not run:
        return []
    if len(run) == 1 and type(run[0]) is A.Text:  # most runs: one text, often only white space
        content = tidy_paragraph(run)
        return [A.Paragraph(content)] if content else []
    out: list[A.Block] = []
    for chunk in _split_on_double_breaks(run):
        content = tidy_paragraph(chunk)
        if not content:
            continue
        images = [n for n in content if isinstance(n, A.Image)
                  or (isinstance(n, A.Link) and len(n.content) == 1 and isinstance(n.content[0], A.Image))]
        if images and all(n in images or isinstance(n, A.LineBreak) or is_blank(n) for n in content):
            out.extend(A.Figure(n if isinstance(n, A.Image) else n.content[0]) for n in images)  # type: ignore[arg-type]
        else:
            out.append(A.Paragraph(content))
    return out


def _split_on_double_breaks(run: list[A.Inline]) -> list[list[A.Inline]]:
    chunks: list[list[A.Inline]] = [[]]
    breaks: list[A.Inline] = []
    for node in run:
        if isinstance(node, A.LineBreak) or (breaks and is_blank(node)):
            breaks.append(node)
            continue
        if breaks:
            if sum(isinstance(b, A.LineBreak) for b in breaks) >= 2:
                chunks.append([])
            else:
                chunks[-1].extend(breaks)
            breaks = []
        chunks[-1].append(node)
    return [c for c in chunks if c]


def _last_content(run: list[A.Inline]) -> A.Inline | None:
    """The last inline of ``run`` that is not blank text."""
    for node in reversed(run):
        if not is_blank(node):
            return node
    return None


def _has_image_before(out: list[A.Block], run: list[A.Inline]) -> bool:
    """Whether the image right before a ``<noscript>`` already gave a real picture."""
    for node in reversed(run):
        if isinstance(node, A.Image):
            return True
        if not is_blank(node):
            return False
    return not run and bool(out) and isinstance(out[-1], A.Figure)


def _reads_as_caption(el: Element, text: str) -> bool:
    """Short text beside a lone image is its caption when the markup says so or it is brief."""
    if len(text) > rules.MAX_CAPTION:
        return False
    if el.tag in ("table", "td", "tr", "tbody") or len(text) <= SHORT_CAPTION:
        return True
    return rules.has_figure_class(el) or any(rules.has_caption_class(d) for d in el.iterdescendants(etree.Element))


def _clamped_number(text: str, default: int, high: int) -> int:
    """``text`` as a number no larger than ``high``; ``default`` when it is not all digits."""
    if not text.isdecimal():
        return default
    digits = text.lstrip("0") or "0"
    return min(int(digits), high) if len(digits) <= 12 else high  # int() refuses huge digit strings


def _sole_string(el: Element) -> str | None:
    """The one string ``el`` holds when that is all it holds, directly or through elements
    that each hold one thing; a lone comment counts as a string."""
    while len(el) == 1 and not el.text and not el[0].tail:
        el = el[0]
    return el.text if len(el) == 0 else None


def _remove(el: Element) -> None:
    """Take ``el`` out of the tree; its tail stays, as a text of its own behind an empty comment."""
    placeholder = etree.Comment()
    # libxml2 keeps control characters in text it parsed, lxml refuses them in text set from Python
    placeholder.tail = drop_controls(el.tail) if el.tail else el.tail
    parent = el.getparent()
    if parent is not None:  # the root is never removed
        parent.replace(el, placeholder)
