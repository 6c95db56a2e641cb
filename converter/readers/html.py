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
from typing import NamedTuple, TypeAlias

from lxml import etree

from .. import ast as A
from ..chars import FEED_SPACE, collapse_html_space, drop_controls, one_line, replace_unencodable
from ..labels import DEFAULT_LANGUAGE, labelled, link_label, table_language
from . import rules
from .inlines import is_blank, tidy_paragraph
from .rules import Element, Notice, first_descendant, text_of

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
_CODE = frozenset(["code", "kbd", "samp", "tt"])
_LISTS = frozenset(["ul", "ol", "menu", "dir"])
_FIGURE_HOLDERS = frozenset(["div", "table", "center", "p", "section", "span", "a", "td", "tr", "tbody"])
_NOT_IN_FIGURES = frozenset(["ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4", "pre", "figure"])
_NOT_IN_DATA_TABLES = frozenset(["img", "p", "div", "ul", "ol", "blockquote", "table"])
#: What only a layout table holds in its cells.
_LAYOUT_ONLY = frozenset(["img", "ul", "ol", "blockquote", "table", "figure"])
#: A data table's cell holds no more text than this.
MAX_DATA_CELL = 200
#: A table's first rows are its header when they hold labels only and the rows after them
#: numbers: at most this many rows.
MAX_LABEL_ROWS = 3
_CELLS = ("td", "th")
#: Inline elements that, when they wrap blocks, are treated as plain containers.
_WRAPS_BLOCKS = frozenset(_INLINE_WRAPPERS) | {"a", "span", "font", "small", "big", "u", "ins", "label"} \
    | rules.UNKNOWN_VOIDS
#: The label of each kind of embed: a key of :data:`converter.labels.LABELS`.
_EMBED_KINDS = {"video": "video", "audio": "audio", "iframe": "embedded", "embed": "embedded"}
#: The labels as the walk writes them, before the document's language is known (see
#: :func:`localize_labels`), and the kind each stands for.
_WALK_LABELS = {labelled(kind, DEFAULT_LANGUAGE): kind for kind in _EMBED_KINDS.values()}


class Body(NamedTuple):
    """What the walk of a body gives: its blocks, the text of its first ``<h1>`` (else
    ``<title>``: the title of a document that has neither header nor front matter), and the
    bylines its markup names (an author element's name, ``<meta itemprop="author">``)."""

    blocks: list[A.Block]
    heading: str
    bylines: list[str]


def parse_body(html: str, base_url: str = "") -> list[A.Block]:
    """Blocks of a feed item's body HTML (already without header, byline and footer)."""
    return read_body(html, base_url).blocks


def read_body(html: str, base_url: str = "", notice: Notice = rules.ignore) -> Body:
    """The body's blocks, its first heading and the bylines of its markup; site furniture
    (see :func:`clear_furniture`) is left out."""
    root = parse_html(html) if html.strip() else None
    if root is None:
        return Body([], "", [])
    heading = _first_heading(root)
    bylines, sources = clear_furniture(root, base_url, notice)
    body = next(root.iter("body"), None)
    walker = _Walker(base_url, _image_counts(root), _block_holders(root), _silent_elements(root), notice, sources)
    blocks = walker.blocks(walker.children(body) if body is not None else [root], 0)
    return Body(blocks, heading, bylines)


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


# ---------------------------------------------------------------- site furniture


def clear_furniture(root: Element, base_url: str,
                    notice: Notice = rules.ignore) -> tuple[list[str], dict[Element, str]]:
    """Take what the page wraps around the article out of the tree, before the walk; return
    the bylines found on the way (each element taken out is one it will not see), and the
    URL of each image left (``rules.image_source``, which the walk need not find again).

    Sign-up and search boxes (the element around a form field), elements whose class or id
    name a kind of furniture (``rules.furniture_kind``), byline elements (their name is
    kept), a WordPress embed's iframe that repeats the link before it, and images that are
    furniture (``rules.is_furniture_image``) with the link around them.
    """
    counting = notice is not rules.ignore  # the texts below are only for the notices
    for field in list(root.iter(*_FIELDS)):
        widget = rules.widget_around(field)
        if widget is not None and _attached(widget, root):
            if counting:
                notice("form widget", text_of(widget))
            _remove(widget)
    bylines = [rules.byline_name(meta.get("content") or "") for meta in root.iter("meta")
               if (meta.get("itemprop") or "").lower() == "author"]
    for el in _marked(root):
        if not (rules.may_be_marked(el) or el.tag == "iframe") or not _attached(el, root):
            continue
        if rules.is_byline_element(el):
            name = rules.byline_of(el)
            if name:
                bylines.append(name)
                if counting:
                    notice("byline element", " ".join(text_of(el).split()))
                _remove(el)
            continue
        kind = rules.furniture_kind(el) or (_repeats_embed(el) and "embed twice")
        if kind:
            if counting:
                taken = " ".join(text_of(el).split()) or " ".join(filter(None, [el.get("title"), el.get("src")]))
                if taken or first_descendant(el, ["img"]) is not None:
                    notice(kind, taken)
            placeholder = _remove(el)
            if kind == "popup":
                _rejoin_paragraph(placeholder)
    for link in [a for a in root.iter("a") if a.get("rel") is not None]:
        block = rules.first_ancestor(link, rules.BLOCKS)
        if block is not None and block.tag not in ("body", "html") and rules.is_tag_list(block) \
                and _attached(block, root):
            if counting:
                notice("tag list", " ".join(text_of(block).split()))
            _remove(block)
    sources: dict[Element, str] = {}
    for img in list(root.iter("img")):
        url = rules.image_source(img, base_url)
        if rules.is_furniture_image(img, url) and _attached(img, root):
            notice("furniture image", url)
            _remove(_furniture_holder(img))
        else:
            sources[img] = url
    return [name for name in bylines if name], sources


def _marked(root: Element) -> list[Element]:
    """The elements, in document order, with a class, id or item property that may name
    furniture or a byline (:func:`rules.may_be_marked` then looks at the words); not
    ``<html>`` or ``<body>``. (A loop over lxml's iterator: the XPath query that did this,
    ``//*[@class or @id or @itemprop]``, cost 1.4 % more of a conversion; one look at the
    attribute names costs a fifth less than three ``get`` calls.)"""
    return [el for el in root.iter(etree.Element) if not _MARKING.isdisjoint(el.keys())
            and el.tag not in ("html", "body")]


#: The attributes whose words may name furniture or a byline.
_MARKING = frozenset(["class", "id", "itemprop"])


_FIELDS = ("input", "textarea", "select")


def _attached(el: Element, root: Element) -> bool:
    """Whether ``el`` is still in the tree (not inside something already taken out)."""
    for parent in el.iterancestors():
        el = parent
    return el is root


def _repeats_embed(el: Element) -> bool:
    """WordPress's embed iframe, after the blockquote that links to the same post."""
    if el.tag != "iframe" or "wp-embedded-content" not in (el.get("class") or ""):
        return False
    for before in el.itersiblings(preceding=True):
        return before.tag == "blockquote" and "wp-embedded-content" in (before.get("class") or "")
    parent = el.getparent()  # the iframe alone in a <p> after the blockquote
    previous = parent.getprevious() if parent is not None else None
    return previous is not None and previous.tag == "blockquote" \
        and "wp-embedded-content" in (previous.get("class") or "")


def _furniture_holder(img: Element) -> Element:
    """What to take out with a furniture image: the ``<picture>`` and the link that hold it
    and nothing else."""
    holder = img
    for parent in img.iterancestors():
        if parent.tag not in ("a", "picture") or text_of(parent).strip() \
                or rules.count_descendants(parent, ["img"], 2) > 1:
            break
        holder = parent
    return holder


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
    """Elements with a block-level element inside: one pass instead of a search per element.
    (Testing each element's tag here costs half of what ``root.iter(*rules.BLOCKS)`` did
    with its 49 names, measured over the corpus.)"""
    holders: set[Element] = set()
    for block in root.iter(etree.Element):
        if block.tag in rules.BLOCKS:
            parent = block.getparent()
            while parent is not None and parent not in holders:  # holders hold all further up
                holders.add(parent)
                parent = parent.getparent()
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
                 silent: set[Element], notice: Notice = rules.ignore,
                 sources: dict[Element, str] | None = None) -> None:
        self.base_url = base_url
        self.sources = sources or {}
        self.image_counts = image_counts
        self.block_holders = block_holders
        self.silent = silent
        self.notice = notice

    def children(self, el: Element) -> Iterator[Node]:
        """``el``'s content in document order: its text, then each child and the child's tail."""
        if el in self.silent:
            yield from el
            return
        if text := el.text:  # each reading of .text or .tail makes a new string
            yield text
        for child in el:
            yield child
            if tail := child.tail:
                yield tail

    # ---------------------------------------------------------------- block context

    def blocks(self, nodes: Iterable[Node], depth: int) -> list[A.Block]:
        """Blocks from a run of sibling nodes: inline runs become paragraphs."""
        out: list[A.Block] = []
        run: list[A.Inline] = []
        for node in nodes:
            if isinstance(node, str):
                if run or node.strip(FEED_SPACE):  # white space before a paragraph: nothing to it
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
                self._add_blocks(out, self._list_item(node, depth + 1) if name == "li" else self.block(node, depth + 1))
            else:
                run.extend(self.inline(node, depth + 1))
        out.extend(paragraphs(run))
        return out

    def _list_item(self, el: Element, depth: int) -> list[A.Block]:
        """An ``<li>`` outside any list: an item of a bullet list (joined with its neighbours
        by :meth:`_add_blocks`)."""
        item = self.blocks(self.children(el), depth)
        if not item:
            return []
        self.notice("list item without list", "")
        return [A.BulletList([item])]

    def _add_blocks(self, out: list[A.Block], blocks: list[A.Block]) -> None:
        """Append ``blocks`` to ``out``; a list right after a list of its kind continues it
        (CMSs write one list as a run of one-item lists; an ordered one continues only when
        its numbering does)."""
        if blocks and out and isinstance(blocks[0], (A.BulletList, A.OrderedList)) and type(out[-1]) is type(blocks[0]):
            before, first = out[-1], blocks[0]
            continues = isinstance(first, A.OrderedList) and isinstance(before, A.OrderedList) \
                and first.start == before.start + len(before.items)
            if isinstance(before, A.BulletList) or continues:
                self.notice("adjacent lists", "")
                before.items.extend(first.items)
                blocks = blocks[1:]
        out.extend(blocks)

    def _attach_caption(self, el: Element, out: list[A.Block], run: list[A.Inline], depth: int) -> bool:
        """If ``el`` is the caption of the image just before it, make them one figure (not
        when ``el`` holds an image of its own: Blogger's ``tr-caption-container`` table is a
        figure of its own, not the caption of the image before it)."""
        if self.image_counts.get(el):
            return False
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
        if name == "a":
            return self._link_around_blocks(el, depth)
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

    def _link_around_blocks(self, el: Element, depth: int) -> list[A.Block]:
        """A link around blocks (a card: a heading and a teaser) links each of its paragraphs
        and headings: the target stays with the text it was on."""
        blocks = self.blocks(self.children(el), depth)
        url = rules.clean_url(el.get("href") or "", self.base_url)
        if not url or url.startswith("data:"):
            return blocks
        title = el.get("title")
        for block in blocks:
            if isinstance(block, (A.Paragraph, A.Heading)) and not any(isinstance(n, A.Link) for n in A.walk([block])):
                block.content = [A.Link(block.content, url, one_line(title) if title is not None else "")]
        return blocks

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
        caption_el = next((c for c in el.iterdescendants("figcaption") if rules.first_ancestor(c, ["figure"]) is el),
                          None)
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        blocks = self.blocks([c for c in self.children(el) if c is not caption_el], depth)
        figures = [b for b in blocks if isinstance(b, A.Figure)]
        if len(figures) == 1 and not figures[0].caption:
            figures[0].caption = caption
        elif caption and not any(_same_text(f.caption, caption) for f in figures):
            blocks.append(A.Paragraph(caption))
        elif caption:
            self.notice("nested figure caption", A.plain_text(caption))
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
        if _text_beside_caption(el, text):
            self.notice("caption is not the text beside it", text)
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
            if isinstance(node.tag, str) and (node.text or "").strip() and node not in self.silent:
                return True
            if (node.tail or "").strip() and node not in ancestors and node.getparent() not in self.silent:
                return True
        return False

    def _caption(self, el: Element, depth: int) -> list[A.Inline]:
        """The caption's inlines; none for a placeholder that describes nothing ("添加图片说明")."""
        caption = tidy_paragraph(self.inline_children(el, depth))
        text = A.plain_text(caption).strip()
        if text and rules.says_nothing(text):
            self.notice("placeholder caption", text)
            return []
        return caption

    def _embed(self, el: Element) -> list[A.Block]:
        """Iframes, video and audio become a labelled link to what they showed: ``Video: title``,
        or its host when it has no title (a raw URL is no text to read). A video player's
        iframe links to the video's page (``rules.embedded_page``)."""
        src = el.get("src") or el.get("data-src")
        if not src:
            source = first_descendant(el, ["source"])
            src = source.get("src") if source is not None else None
        url = rules.clean_url(src or "", self.base_url)
        if not url or url.startswith(("data:", "#")):
            return []
        kind, url = rules.embedded_page(url) or (_EMBED_KINDS[el.tag], url)
        title = el.get("title")
        text = one_line(title) if title and title.strip() else link_label(url, DEFAULT_LANGUAGE)
        return [A.Paragraph([A.Text(labelled(kind, DEFAULT_LANGUAGE)), A.Link([A.Text(text)], url)])]

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
        is_data = len(rows) >= 2 and max(map(len, row_cells), default=0) >= 2 and self._is_data_table(el, row_cells)
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
            row = [self._cell(c, depth) for c in cells]
            if in_head and not body and not any(cell.content for cell in row):
                self.notice("empty header row", "")  # no header: a row of empty header cells
                continue
            (head if in_head and not body else body).append(row)
        if not head:
            labels = _label_rows(body)
            if labels:
                self.notice("header row by content", "")
                head, body = body[:labels], body[labels:]
        caption = self._caption(caption_el, depth) if caption_el is not None else []
        return [A.Table(head, body, caption)] if head or body else []

    def _is_data_table(self, el: Element, row_cells: list[list[Element]]) -> bool:
        """A table of data, not of layout: no images, lists, quotes or tables inside, and
        paragraphs or divisions in a cell only around a short text (a header cell wrapping
        its label and sort button in a ``<div>`` is still a header cell)."""
        if first_descendant(el, _NOT_IN_DATA_TABLES) is None:
            return True
        if first_descendant(el, _LAYOUT_ONLY) is not None:
            return False
        for cells in row_cells:
            for cell in cells:
                if rules.count_descendants(cell, ["p"], 2) > 1 or len(text_of(cell)) > MAX_DATA_CELL:
                    return False
        self.notice("data table with blocks in cells", "")
        return True

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
        if name == "time":
            stamp = rules.time_text(el)
            if stamp is not None:
                self.notice("relative time", f"{text_of(el)} -> {stamp}")
                return [A.Text(stamp)]
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
        url = self.sources[el] if el in self.sources else rules.image_source(el, self.base_url)
        if not url:
            return None
        alt, title = rules.image_alt(el), el.get("title")
        title = one_line(title) if title is not None else ""
        return A.Image(url, alt, "" if title == alt else title)  # a title repeating the alt text says it twice


def localize_labels(blocks: list[A.Block], language: str) -> None:
    """The labels the walk puts before embeds (``Video: ``), in ``language``, in place.

    The walk writes them before the document's language is known: it is detected from the
    text the walk gives. A label is known by its place: a text that is exactly one, at the
    start of a line, right before a link.
    """
    if table_language(language) == DEFAULT_LANGUAGE:
        return
    stack = list(blocks)
    while stack:
        block = stack.pop()
        if isinstance(block, (A.Paragraph, A.Heading)):
            _localize_line_starts(block.content, language)
        elif isinstance(block, A.Figure):
            _localize_line_starts(block.caption, language)
        elif isinstance(block, (A.BlockQuote, A.Div)):
            stack.extend(block.content)
        elif isinstance(block, (A.BulletList, A.OrderedList)):
            stack.extend(b for item in block.items for b in item)
        elif isinstance(block, A.Table):
            for row in (*block.head, *block.body):
                for cell in row:
                    _localize_line_starts(cell.content, language)


def _localize_line_starts(nodes: list[A.Inline], language: str) -> None:
    if len(nodes) < 2:  # most paragraphs: one text
        return
    for k, node in enumerate(nodes[:-1]):
        if (type(node) is A.Text and node.text in _WALK_LABELS and isinstance(nodes[k + 1], A.Link)
                and (k == 0 or isinstance(nodes[k - 1], A.LineBreak))):
            node.text = labelled(_WALK_LABELS[node.text], language)


def paragraphs(run: list[A.Inline]) -> list[A.Block]:
    """Turn a run of inlines into paragraphs.

    Two or more ``<br>`` in a row separate paragraphs (many feeds write paragraphs that way);
    a paragraph holding nothing but images becomes one figure per image, and so does an image
    on a line of its own at a paragraph's start or end (``<img><br>text``: a photo above the
    text, not a character of its first line).
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
        figures = _figures(content)
        if figures and all(_image_of(n) is not None or isinstance(n, A.LineBreak) or is_blank(n) for n in content):
            out.extend(figures)
            continue
        start, end = _image_lines(content)
        out.extend(_figures(content[:start]))
        out.append(A.Paragraph(content[start:end]))
        out.extend(_figures(content[end:]))
    return out


def _figures(nodes: list[A.Inline]) -> list[A.Block]:
    """A figure for each image among ``nodes`` that shows on its own (see :func:`_image_of`)."""
    return [A.Figure(image) for node in nodes if (image := _image_of(node)) is not None]


def _image_of(node: A.Inline) -> A.Image | None:
    """The image a node shows on its own: an image, or a link around nothing but one."""
    if isinstance(node, A.Image):
        return node
    if isinstance(node, A.Link) and len(node.content) == 1 and isinstance(node.content[0], A.Image):
        return node.content[0]
    return None


def _image_lines(content: list[A.Inline]) -> tuple[int, int]:
    """Where a paragraph's text begins and ends once the lines at its start and end that hold
    one image and nothing else are set apart (``content[:start]``, ``content[end:]``: images
    and the line breaks after or before them)."""
    start, end = 0, len(content)
    while start + 1 < end and _image_of(content[start]) is not None and isinstance(content[start + 1], A.LineBreak):
        start += 2
    while end - 1 > start + 1 and _image_of(content[end - 1]) is not None \
            and isinstance(content[end - 2], A.LineBreak):
        end -= 2
    return start, end


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


def _label_rows(rows: list[list[A.TableCell]]) -> int:
    """How many of a table's first rows are a header by their content: rows of labels (no
    cell a number) before rows that mostly hold numbers. 0 when that is not the shape."""
    def numeric(row: list[A.TableCell]) -> bool:
        return any(_is_number(A.plain_text(cell.content)) for cell in row)

    count = 0
    while count < min(MAX_LABEL_ROWS, len(rows)) and not numeric(rows[count]) \
            and any(A.plain_text(cell.content).strip() for cell in rows[count]):
        count += 1
    rest = rows[count:]
    if not count or len(rest) < 2 or 3 * sum(map(numeric, rest)) < 2 * len(rest):
        return 0
    return count


def _is_number(text: str) -> bool:
    """A figure in a table: digits with separators, a sign, a decimal point or a per cent."""
    digits = text.strip().strip("+-−%％ ").replace(",", "").replace(".", "", 1)
    return digits.isdigit()


def _text_beside_caption(el: Element, text: str) -> bool:
    """Whether a container marks its caption (a caption class, ``<figcaption>``) and holds
    other text besides it: that text is the article's, so the container is no figure (the
    walk still pairs the image with the caption after it)."""
    captions = [d for d in el.iterdescendants(etree.Element) if d.tag == "figcaption" or rules.has_caption_class(d)]
    if not captions:
        return False
    outermost = [c for c in captions if not any(a in captions for a in _ancestors_below(c, el))]
    inside = sum(len("".join(text_of(c).split())) for c in outermost)
    return len("".join(text.split())) > inside


def _ancestors_below(el: Element, top: Element) -> Iterator[Element]:
    """The ancestors of ``el`` up to ``top``, ``top`` left out."""
    for parent in el.iterancestors():
        if parent is top:
            return
        yield parent


def _same_text(a: list[A.Inline], b: list[A.Inline]) -> bool:
    return "".join(A.plain_text(a).split()) == "".join(A.plain_text(b).split())


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


def _remove(el: Element) -> Element:
    """Take ``el`` out of the tree; its tail stays, as a text of its own behind an empty
    comment, which is returned."""
    placeholder = etree.Comment()
    # libxml2 keeps control characters in text it parsed, lxml refuses them in text set from Python
    placeholder.tail = drop_controls(el.tail) if el.tail else el.tail
    parent = el.getparent()
    if parent is not None:  # the root is never removed
        parent.replace(el, placeholder)
    return placeholder


def _rejoin_paragraph(placeholder: Element) -> None:
    """Put back into its paragraph the rest of a sentence a pop-up had cut off.

    libxml2 ends a ``<p>`` at a ``<div>`` inside it, so the text after a pop-up in the
    middle of a sentence lands outside the paragraph; with the pop-up gone, the inline
    content after it (up to the next block) goes back to the end of the paragraph.
    """
    paragraph = placeholder.getprevious()
    if paragraph is None or paragraph.tag != "p":
        return
    if placeholder.tail:
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "") + placeholder.tail
        else:
            paragraph.text = (paragraph.text or "") + placeholder.tail
        placeholder.tail = None
    for sibling in list(placeholder.itersiblings()):
        if isinstance(sibling.tag, str) and sibling.tag in rules.BLOCKS:
            break
        paragraph.append(sibling)
