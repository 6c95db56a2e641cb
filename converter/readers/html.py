"""Feed-item HTML to AST blocks, in one walk over a BeautifulSoup (lxml) tree.

Block context collects runs of inline content into paragraphs and hands block elements to
one method per kind; inline context maps formatting tags onto AST inlines and unwraps
presentational ones. What counts as non-content, a caption, a lazy image … is decided by
the rules in ``rules.py``. Depth is capped so hostile nesting cannot exhaust the stack:
below ``MAX_DEPTH`` an element contributes its text only.
"""

from __future__ import annotations

import re
from typing import Iterable

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, Tag

from .. import ast as A
from . import rules
from .inlines import tidy_paragraph, is_blank

#: Text this short beside a lone image is taken as its caption even without a caption class.
SHORT_CAPTION = 150
#: Elements nested deeper than this contribute their text only (no structure, no recursion).
MAX_DEPTH = 150

_INLINE_WRAPPERS: dict[str, type] = {
    "strong": A.Strong, "b": A.Strong,
    "em": A.Emphasis, "i": A.Emphasis, "cite": A.Emphasis, "dfn": A.Emphasis, "var": A.Emphasis,
    "s": A.Strikeout, "strike": A.Strikeout, "del": A.Strikeout,
    "sup": A.Superscript, "sub": A.Subscript,
}
_CODE = frozenset("code kbd samp tt".split())
_FIGURE_HOLDERS = frozenset("div table center p section span a td tr tbody".split())
_NOT_IN_FIGURES = frozenset("ul ol table blockquote h1 h2 h3 h4 pre figure".split())
_NOT_IN_DATA_TABLES = frozenset("img p div ul ol blockquote table".split())
_PARAGRAPH, _CELLS, _IMG = frozenset(["p"]), frozenset(["td", "th"]), frozenset(["img"])
#: Inline elements that, when they wrap blocks, are treated as plain containers.
_WRAPS_BLOCKS = frozenset(_INLINE_WRAPPERS) | {"a", "span", "font", "small", "big", "u", "ins", "label"} \
    | rules.UNKNOWN_VOIDS
_CJK_BREAK = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])[ \t\r\f]*\n\s*"
    r"(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])")
_SPACES = re.compile(r"[ \t\n\r\f\v\xa0\u200b\ufeff]+")
_EMBED_LABEL = {"video": "Video", "audio": "Audio", "iframe": "Embedded", "embed": "Embedded"}


def parse_body(html: str, base_url: str = "") -> list[A.Block]:
    """Blocks of a feed item's body HTML (already without header, byline and footer)."""
    return read_body(html, base_url)[0]


def read_body(html: str, base_url: str = "") -> tuple[list[A.Block], str]:
    """The body's blocks, and the text of its first ``<h1>`` (else ``<title>``).

    The heading is the title of a document that has neither header nor front matter.
    """
    if not html.strip():
        return [], ""
    soup = BeautifulSoup(html, "lxml")
    root = soup.body or soup
    return _Walker(base_url, _image_counts(soup)).blocks(root.children, 0), _first_heading(soup)


def _first_heading(soup: BeautifulSoup) -> str:
    for name in ("h1", "title"):
        el = soup.find(name)
        if el is not None and el.get_text().strip():
            return " ".join(el.get_text().split())
    return ""


def normalize_space(text: str) -> str:
    """HTML white-space collapsing, minus the space a line break would put between CJK."""
    return _SPACES.sub(" ", _CJK_BREAK.sub("", text))


def _image_counts(soup: BeautifulSoup) -> dict[int, int]:
    """How many ``<img>`` each element holds, by ``id``: one pass instead of a search per element."""
    counts: dict[int, int] = {}
    for img in soup.find_all("img"):
        for parent in img.parents:
            counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


class _Walker:
    def __init__(self, base_url: str, image_counts: dict[int, int]) -> None:
        self.base_url = base_url
        self.image_counts = image_counts

    # ---------------------------------------------------------------- block context

    def blocks(self, children: Iterable[PageElement], depth: int) -> list[A.Block]:
        """Blocks from a run of sibling nodes: inline runs become paragraphs."""
        out: list[A.Block] = []
        run: list[A.Inline] = []
        for child in children:
            if isinstance(child, Tag):
                name = child.name
                if name in rules.NON_CONTENT:
                    continue
                if name == "noscript":
                    self._noscript(child, out, run)
                elif self._attach_caption(child, out, run, depth):
                    continue
                elif depth >= MAX_DEPTH:
                    run.append(A.Text(normalize_space(child.get_text())))
                elif name in rules.BLOCKS or name in _WRAPS_BLOCKS and rules.first_descendant(child, rules.BLOCKS) is not None:
                    out.extend(paragraphs(run))
                    run = []
                    out.extend(self.block(child, depth + 1))
                else:
                    run.extend(self.inline(child, depth + 1))
            elif type(child) is NavigableString:
                run.append(A.Text(normalize_space(str(child))))
        out.extend(paragraphs(run))
        return out

    def _attach_caption(self, el: Tag, out: list[A.Block], run: list[A.Inline], depth: int) -> bool:
        """If ``el`` is the caption of the image just before it, make them one figure."""
        pending = [n for n in run if not is_blank(n)]
        if pending:
            if not isinstance(pending[-1], A.Image) or not rules.is_caption(el):
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

    def block(self, el: Tag, depth: int) -> list[A.Block]:
        name = el.name
        if name in rules.HEADINGS:
            return self._heading(el, depth)
        if name in ("ul", "ol", "menu", "dir"):
            return self._list(el, depth)
        if name == "blockquote":
            content = self.blocks(el.children, depth)
            return [A.BlockQuote(content)] if content else []
        if name == "pre":
            text = el.get_text().strip("\n")
            return [A.CodeBlock(text)] if text.strip() else []
        if name == "hr":
            return [A.HorizontalRule()]
        if name == "table":
            return self._table(el, depth)
        if name == "figure":
            return self._figure(el, depth)
        if name in rules.EMBEDS:
            return self._embed(el) + (self.blocks(el.children, depth) if name in rules.UNKNOWN_VOIDS else [])
        if name == "dl":
            return self._definitions(el, depth)
        figure = self._image_with_caption(el, depth)
        if figure is not None:
            return [figure]
        return self.blocks(el.children, depth)

    def _heading(self, el: Tag, depth: int) -> list[A.Block]:
        content = tidy_paragraph(self.inline_children(el, depth))
        if not content:
            return []
        if all(isinstance(n, A.Image) for n in content):
            return [A.Figure(n) for n in content if isinstance(n, A.Image)]
        return [A.Heading(rules.HEADINGS[el.name], content)]

    def _list(self, el: Tag, depth: int) -> list[A.Block]:
        items: list[list[A.Block]] = []
        loose: list[PageElement] = []
        for child in el.children:
            if isinstance(child, Tag) and child.name == "li":
                if loose:
                    items.append(self.blocks(loose, depth))
                    loose = []
                items.append(self.blocks(child.children, depth + 1))
            else:
                loose.append(child)
        if loose:
            items.append(self.blocks(loose, depth))
        items = [item for item in items if item]
        if not items:
            return []
        if el.name == "ol":
            start = el.get("start")
            number = int(start) if isinstance(start, str) and start.strip().isdigit() else 1
            return [A.OrderedList(items, min(number, 10**9))]
        return [A.BulletList(items)]

    def _definitions(self, el: Tag, depth: int) -> list[A.Block]:
        out: list[A.Block] = []
        for child in el.children:
            if isinstance(child, Tag) and child.name == "dt":
                term = tidy_paragraph(self.inline_children(child, depth))
                if term:
                    out.append(A.Paragraph([A.Strong(term)]))
            elif isinstance(child, Tag) and child.name == "dd":
                out.extend(self.blocks(child.children, depth))
            else:
                out.extend(self.blocks([child], depth))
        return out

    def _figure(self, el: Tag, depth: int) -> list[A.Block]:
        """``<figure>``: its image and ``<figcaption>``; anything else inside stays as blocks."""
        caption_el = el.find("figcaption")
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        rest = [c for c in el.children if c is not caption_el]
        blocks = self.blocks(rest, depth)
        figures = [b for b in blocks if isinstance(b, A.Figure)]
        if len(figures) == 1 and not figures[0].caption:
            figures[0].caption = caption
        elif caption:
            blocks.append(A.Paragraph(caption))
        return blocks

    def _image_with_caption(self, el: Tag, depth: int) -> A.Figure | None:
        """A container holding one image and, after it, a short text: a figure with caption.

        Covers layout tables (one image cell, one caption cell) and the many
        ``<div class="pic"><img><div>caption</div></div>`` shapes.
        """
        if el.name not in _FIGURE_HOLDERS or self.image_counts.get(id(el)) != 1:
            return None
        if rules.first_descendant(el, _NOT_IN_FIGURES) is not None or rules.count_descendants(el, _PARAGRAPH, 2) > 1:
            return None
        if el.name == "table" and rules.count_descendants(el, _CELLS, 4) > 3:
            return None
        img = rules.first_descendant(el, _IMG)
        image = self.image(img) if img is not None else None
        if img is None or image is None or _text_before(img, el):
            return None
        text = normalize_space(el.get_text()).strip()
        if not _reads_as_caption(el, text):
            return None
        for node in [n for n in el.descendants if isinstance(n, Tag) and n.name in ("img", "noscript")]:
            node.decompose()  # the element is consumed here; what is left is the caption
        return A.Figure(image, self._caption(el, depth) if text else [])

    def _caption(self, el: Tag, depth: int) -> list[A.Inline]:
        return tidy_paragraph(self.inline_children(el, depth))

    def _embed(self, el: Tag) -> list[A.Block]:
        """Iframes, video and audio become a labelled link to what they showed."""
        src = el.get("src") or el.get("data-src")
        if not src:
            source = el.find("source")
            src = source.get("src") if source is not None else None
        url = rules.clean_url(src if isinstance(src, str) else "", self.base_url)
        if not url or url.startswith(("data:", "#")):
            return []
        title = el.get("title")
        label = " ".join(title.split()) if isinstance(title, str) and title.strip() else url
        return [A.Paragraph([A.Text(_EMBED_LABEL[el.name] + ": "), A.Link([A.Text(label)], url)])]

    def _noscript(self, el: Tag, out: list[A.Block], run: list[A.Inline]) -> None:
        """A ``<noscript>`` image stands in for a lazy placeholder that gave no image."""
        inner = el.find("img")
        if inner is None and el.string and "<img" in el.string:
            inner = BeautifulSoup(el.string, "lxml").find("img")
        if inner is None:
            return
        image = self.image(inner)
        if image is None:
            return
        if el.get("data-lazy-placeholder") is not None or not _has_image_before(out, run):
            run.append(image)

    def _table(self, el: Tag, depth: int) -> list[A.Block]:
        """Data tables become ``Table``; layout tables give the blocks of their cells."""
        figure = self._image_with_caption(el, depth)
        if figure is not None:
            return [figure]
        rows = [tr for tr in el.find_all("tr") if tr.find_parent("table") is el]
        widths = [len(tr.find_all(["td", "th"], recursive=False)) for tr in rows]
        is_data = len(rows) >= 2 and max(widths, default=0) >= 2 \
            and rules.first_descendant(el, _NOT_IN_DATA_TABLES) is None
        if not is_data:
            cells = [c for tr in rows for c in tr.find_all(["td", "th"], recursive=False)]
            caption = el.find("caption")
            out = self.blocks(caption.children, depth) if caption is not None else []
            for cell in cells:
                out.extend(self.blocks(cell.children, depth))
            return out
        head: list[list[A.TableCell]] = []
        body: list[list[A.TableCell]] = []
        for tr in rows:
            cells = [self._cell(c, depth) for c in tr.find_all(["td", "th"], recursive=False)]
            if not cells:
                continue
            in_head = tr.parent is not None and tr.parent.name == "thead"
            all_th = all(c.name == "th" for c in tr.find_all(["td", "th"], recursive=False))
            (head if (in_head or all_th) and not body else body).append(cells)
        caption_el = el.find("caption")
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        return [A.Table(head, body, caption)] if head or body else []

    def _cell(self, el: Tag, depth: int) -> A.TableCell:
        def span(attr: str) -> int:
            value = el.get(attr)
            return max(1, min(int(value), 1000)) if isinstance(value, str) and value.isdigit() else 1

        return A.TableCell(tidy_paragraph(self.inline_children(el, depth)), span("colspan"), span("rowspan"))

    # ---------------------------------------------------------------- inline context

    def inline_children(self, el: Tag, depth: int) -> list[A.Inline]:
        out: list[A.Inline] = []
        for child in el.children:
            if isinstance(child, Tag):
                out.extend(self.inline(child, depth + 1))
            elif isinstance(child, NavigableString) and type(child) is NavigableString:
                out.append(A.Text(normalize_space(str(child))))
        return out

    def inline(self, el: Tag, depth: int) -> list[A.Inline]:
        name = el.name
        if name in rules.NON_CONTENT or name == "noscript":
            return []
        if depth >= MAX_DEPTH:
            return [A.Text(normalize_space(el.get_text()))]
        if name == "br":
            return [A.LineBreak()]
        if name == "img":
            image = self.image(el)
            return [image] if image is not None else []
        if name in _CODE:
            text = el.get_text()
            return [A.Code(text)] if text else []
        if name == "a":
            return self._link(el, depth)
        if name in rules.EMBEDS:
            embed = self._embed(el)
            content = [A.LineBreak(), *embed[0].content, A.LineBreak()] if embed else []  # type: ignore[attr-defined]
            return content + (self.inline_children(el, depth) if name in rules.UNKNOWN_VOIDS else [])
        content = self.inline_children(el, depth)
        wrapper = _INLINE_WRAPPERS.get(name)
        if wrapper is not None:
            return [wrapper(content)]
        if name in rules.BLOCKS:
            return [A.LineBreak(), *content, A.LineBreak()]
        return content

    def _link(self, el: Tag, depth: int) -> list[A.Inline]:
        content = self.inline_children(el, depth)
        href = el.get("href")
        url = rules.clean_url(href if isinstance(href, str) else "", self.base_url)
        if not url or url.startswith("data:"):
            return content
        title = el.get("title")
        return [A.Link(content, url, " ".join(title.split()) if isinstance(title, str) else "")]

    def image(self, el: Tag) -> A.Image | None:
        if rules.is_tracking_pixel(el):
            return None
        url = rules.image_source(el, self.base_url)
        if not url:
            return None
        title = el.get("title")
        return A.Image(url, rules.image_alt(el), " ".join(title.split()) if isinstance(title, str) else "")


def paragraphs(run: list[A.Inline]) -> list[A.Block]:
    """Turn a run of inlines into paragraphs.

    Two or more ``<br>`` in a row separate paragraphs (many feeds write paragraphs that way);
    a paragraph holding nothing but images becomes one figure per image.
    """
    out: list[A.Block] = []
    for chunk in _split_on_double_breaks(run):
        content = tidy_paragraph(chunk)
        if not content:
            continue
        images = [n for n in content if isinstance(n, A.Image)
                  or isinstance(n, A.Link) and len(n.content) == 1 and isinstance(n.content[0], A.Image)]
        if images and all(n in images or isinstance(n, A.LineBreak) or is_blank(n) for n in content):
            out.extend(A.Figure(n if isinstance(n, A.Image) else n.content[0]) for n in images)  # type: ignore[arg-type]
        else:
            out.append(A.Paragraph(content))
    return out


def _split_on_double_breaks(run: list[A.Inline]) -> list[list[A.Inline]]:
    chunks: list[list[A.Inline]] = [[]]
    breaks: list[A.Inline] = []
    for node in run:
        if isinstance(node, A.LineBreak) or breaks and is_blank(node):
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


def _has_image_before(out: list[A.Block], run: list[A.Inline]) -> bool:
    """Whether the image right before a ``<noscript>`` already gave a real picture."""
    for node in reversed(run):
        if isinstance(node, A.Image):
            return True
        if not is_blank(node):
            return False
    return not run and bool(out) and isinstance(out[-1], A.Figure)


def _reads_as_caption(el: Tag, text: str) -> bool:
    """Short text beside a lone image is its caption when the markup says so or it is brief."""
    if len(text) > rules.MAX_CAPTION:
        return False
    if el.name in ("table", "td", "tr", "tbody") or len(text) <= SHORT_CAPTION:
        return True
    return rules.has_figure_class(el) or any(rules.has_caption_class(d) for d in el.find_all(True))


def _text_before(image: Tag, container: Tag) -> bool:
    """Whether any text precedes ``image`` inside ``container``."""
    for node in image.previous_elements:
        if node is container:
            return False
        if type(node) is NavigableString and node.strip():
            return True
    return False
