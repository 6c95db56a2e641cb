"""Standalone HTML5 writer: one clean, valid page per article, without a subprocess.

The page is the EPUB chapter as a web page: the same header (title, author, date, source
link), the same body from :class:`~converter.writers.xhtml.XhtmlRenderer` and the same
stylesheet, embedded in a ``<style>`` element so that the page is one self-contained file.
Images stay remote (``http(s)`` only); the renderer writes nothing executable (no script,
event handler or ``javascript:`` URL), whatever the document holds.
"""

from __future__ import annotations

from typing import Any

from .. import ast as A
from ..chars import one_line
from ..labels import label
from . import Writer
from .article import (
    IMAGE_LABELS,
    Chapter,
    Outline,
    chapter_header,
    check_image_mode,
    check_toc_depth,
    localized,
    outline,
    page_stylesheet,
    stylesheet,
    user_stylesheet,
)
from .markup import escape_xml, safe_url
from .xhtml import XhtmlRenderer


class HtmlWriter(Writer):
    """One document as a standalone HTML5 page (UTF-8, stylesheet embedded)."""

    name = "html"
    extension = "html"
    description = "Standalone HTML5 page with the reading stylesheet embedded"

    def __init__(self, *, css: str | None = None, toc: bool = False, toc_depth: int | None = None,
                 images: str = "link", offline: bool = False, cache_dir: str | None = None,
                 allow_private_hosts: bool = False) -> None:
        check_image_mode(images)
        self.images, self.offline, self.cache_dir = images, offline, cache_dir
        self.allow_private_hosts = allow_private_hosts
        self.css = css
        self.toc, self.toc_depth = toc, check_toc_depth(toc_depth)
        # "</" closes the <style> element in HTML; "<\/" is the same text to CSS
        self._user_css = user_stylesheet(css).replace("</", "<\\/")

    def write(self, doc: A.Document) -> str:
        chapter = Chapter.of(doc, 1, 1)
        renderer = XhtmlRenderer(heading_offset=1, heading_ids=self.toc,
                                 image_label=localized(IMAGE_LABELS, chapter.language, "[image]"),
                                 **self._images(doc))
        text = renderer.render(doc.blocks)
        body = chapter_header(chapter) + _contents(outline(renderer.headings, self.toc_depth), chapter.language) + text
        return (
            f'<!DOCTYPE html>\n<html lang="{chapter.language}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape_xml(chapter.title)}</title>\n{_head_meta(doc.meta)}"
            f"<style>\n{_css()}{_ended(self._user_css)}</style>\n</head>\n"
            f"<body>\n<article>\n{body}</article>\n</body>\n</html>\n"
        )

    def fetches(self, doc: A.Document) -> bool:
        if self.images != "embed":
            return False
        from ..images import fetches_images

        return fetches_images(doc.blocks, offline=self.offline)

    def _images(self, doc: A.Document) -> dict[str, Any]:
        """How the page shows images: where they are (link), inside it as ``data:`` URIs
        (embed; one that cannot be had is a link to it), or not at all (none)."""
        if self.images == "none":
            return {"image_source": lambda image: None, "link_missing_images": False}
        if self.images == "link":
            return {}
        from ..images import data_uri, document_images

        fetched = document_images(doc.blocks, offline=self.offline, cache_dir=self.cache_dir,
                                  allow_private_hosts=self.allow_private_hosts)
        uris = {url: data_uri(image) for url, image in fetched.items()}
        return {"image_source": lambda image: uris.get(image.url)}


def _head_meta(meta: A.Meta) -> str:
    """Author, keywords and the canonical URL, for browsers, search engines and readers."""
    lines = []
    author = one_line(meta.author)
    if author:
        lines.append(f'<meta name="author" content="{escape_xml(author)}">\n')
    tags = [one_line(tag) for tag in meta.tags if tag.strip()]
    if tags:
        lines.append(f'<meta name="keywords" content="{escape_xml(", ".join(tags))}">\n')
    url = safe_url(meta.url, ("http", "https"))
    if url:
        lines.append(f'<link rel="canonical" href="{escape_xml(url)}">\n')
    return "".join(lines)


def _css() -> str:
    """The reading stylesheet, then the page's own rules."""
    return "".join(_ended(css.decode("utf-8")) for css in (stylesheet(), page_stylesheet()))


def _ended(css: str) -> str:
    return css if not css or css.endswith("\n") else css + "\n"


def _contents(tree: Outline, language: str) -> str:
    """A table of contents linking to the headings of the page ("" for none)."""
    if not tree:
        return ""
    title = escape_xml(label("contents", language))
    return f'<nav class="toc" aria-label="{title}">\n<h2>{title}</h2>\n{_entries(tree)}</nav>\n'


def _entries(tree: Outline) -> str:
    items = "".join(f'<li><a href="#{anchor}">{escape_xml(text)}</a>{_entries(children) if children else ""}</li>\n'
                    for text, anchor, children in tree)
    return f"<ol>\n{items}</ol>\n"
