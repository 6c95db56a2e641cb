"""EPUB 3 writer: one article, or many bundled as a book, valid under W3C EPUBCheck.

ebooklib assembles the package (OPF, EPUB 3 navigation document, NCX for older readers); the
chapters are XHTML written by :class:`~converter.writers.xhtml.XhtmlRenderer`, which
guarantees well-formed, script-free markup. Output is reproducible: identifiers are derived
from the content, ``dcterms:modified`` from the publication date, and the zip is rewritten
with fixed timestamps and a fixed entry order, so the same input gives the same bytes.

Images (option ``images``): ``embed`` fetches them through :mod:`converter.images` and
packages them; an image that cannot be fetched, and every image
with ``link``, becomes its alt text or caption with a text link to its URL; ``none`` keeps the
text only. No remote resource is ever referenced from inside the package. Many articles
written one book each (:meth:`EpubWriter.write_many`) begin all their images together.

Every book has a cover (``cover-image``, and the EPUB 2 ``<meta name="cover">`` for older
readers): the user's image, else one drawn by :mod:`converter.writers.cover` from the title,
the date or dates and the sections, never an article's photo, which says nothing of the book.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ebooklib import epub

from .. import ast as A
from ..digest import NO_SITE, publisher_names
from ..errors import InputError, OptionError
from ..images import FetchedImage, ImageFetcher, fetches_images, image_urls, sniff
from ..labels import label
from . import Writer, Written, written
from .article import (
    IMAGE_LABELS,
    Chapter,
    Outline,
    chapter_header,
    check_image_mode,
    check_toc_depth,
    clean_line,
    clean_lines,
    format_date,
    host_of,
    localized,
    outline,
    read_option_file,
    stylesheet,
    user_stylesheet,
)
from .json import iter_json
from .markup import drop_non_xml, escape_xml, safe_url
from .xhtml import XhtmlRenderer

ORDERS = ("newest", "oldest")
#: ``dcterms:modified`` of a document without a publication date: fixed, never the clock.
UNDATED = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_CSS_NAME = "style/reading.css"
#: Namespace of identifiers derived from content (documents without a URL, books).
_CONTENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:converter:epub:content")
#: Words the book itself shows, by language (anything else gets the English ones).
_UNDATED_LABEL = "Undated"


@dataclass(frozen=True, slots=True)
class _Options:
    """How images are handled; shared by the single-article writer and :func:`bundle`."""

    images: str = "embed"
    offline: bool = False
    cache_dir: str | None = None
    allow_private_hosts: bool = False
    css: str = ""  # the user's, after the reading stylesheet
    cover: FetchedImage | None = None  # the user's cover image, else a generated one
    toc_depth: int = 0  # the contents list also holds each chapter's headings of levels up to this

    def __post_init__(self) -> None:
        check_image_mode(self.images)

    @classmethod
    def of(cls, images: str, offline: bool, cache_dir: str | None, allow_private_hosts: bool,
           css: str | None, cover_image: str | None, toc: bool, toc_depth: int | None) -> _Options:
        """The options, with the files they name read (an ``OptionError`` names the bad one)."""
        depth = check_toc_depth(toc_depth)
        return cls(images, offline, cache_dir, allow_private_hosts, user_stylesheet(css), _cover(cover_image),
                   depth if toc else 0)


def _cover(path: str | None) -> FetchedImage | None:
    """The image of ``--epub-cover-image FILE``: JPEG, PNG, GIF or WebP, judged by its bytes."""
    if path is None:
        return None
    data = read_option_file("cover_image", path)
    media_type = sniff(data)
    if media_type is None or media_type == "image/svg+xml":
        raise OptionError(f"cover_image {path}: is not a JPEG, PNG, GIF or WebP image")
    return FetchedImage(path, data, media_type)


class EpubWriter(Writer):
    """One document as an EPUB 3 book with one chapter."""

    name = "epub"
    extension = "epub"
    description = "EPUB 3 e-book (images embedded, valid under EPUBCheck)"
    binary = True

    def __init__(self, *, images: str = "embed", offline: bool = False, cache_dir: str | None = None,
                 allow_private_hosts: bool = False, css: str | None = None, cover_image: str | None = None,
                 toc: bool = False, toc_depth: int | None = None) -> None:
        self.options = _Options.of(images, offline, cache_dir, allow_private_hosts, css, cover_image, toc, toc_depth)

    def write(self, doc: A.Document) -> bytes:
        return self._write(doc, None)

    def fetches(self, doc: A.Document) -> bool:
        return self.options.images == "embed" and fetches_images(doc.blocks, offline=self.options.offline)

    def write_many(self, docs: Iterable[A.Document]) -> Iterator[Written]:
        """Each of ``docs`` as :meth:`write` writes it, but with the images of all of them
        begun before the first is written (:meth:`ImageFetcher.prefetch`, the first of each
        host first), so that without a network the hosts' timeouts run at the same time
        instead of one document's after another's. ``docs`` are all taken first, each one's
        images begun as it comes (they are a batch's chunk: a few)."""
        o = self.options
        fetcher = image_fetcher(images=o.images, offline=o.offline, cache_dir=o.cache_dir,
                                allow_private_hosts=o.allow_private_hosts)
        if fetcher is None:
            yield from super().write_many(docs)
            return
        taken: list[A.Document] = []
        for doc in docs:  # each one's images begun as soon as it is read
            taken.append(doc)
            fetcher.prefetch(image_urls(doc.blocks))
        for doc in taken:
            yield written(partial(self._write, doc, fetcher))

    def _write(self, doc: A.Document, fetcher: ImageFetcher | None) -> bytes:
        chapter = Chapter.of(doc, 1, 1)
        meta = _BookMeta(
            identifier=_document_identifier(doc),
            title=chapter.title,
            languages=[chapter.language],
            creators=clean_lines([doc.meta.author]),
            publishers=clean_lines([_publisher(doc.meta)]),
            date=doc.meta.published,
            source=safe_url(doc.meta.url, ("http", "https")),
            subjects=clean_lines(doc.meta.tags),
            dates=_date_span([doc.meta.published] if doc.meta.published is not None else []),
            sections=_sections([doc]),
        )
        toc = [epub.Link(chapter.file_name, chapter.title, "toc-" + chapter.id)]
        return _build([chapter], meta, toc, self.options, contents_page=False, fetcher=fetcher)


def bundle(docs: Iterable[A.Document], *, title: str | None = None, order: str = "newest",
           images: str = "embed", offline: bool = False, cache_dir: str | None = None,
           allow_private_hosts: bool = False, css: str | None = None, cover_image: str | None = None,
           toc: bool = False, toc_depth: int | None = None, names: Sequence[str] | None = None,
           on_document: Callable[[], None] | None = None, series: str | None = None,
           series_index: int | None = None, fetcher: ImageFetcher | None = None) -> bytes:
    """Many documents as one EPUB book: a chapter each, grouped by publisher then date.

    Within each publisher (one name each, see :func:`converter.digest.publisher_names`),
    chapters follow publication time (``order``: ``newest`` or ``oldest`` first; undated last);
    publishers come in the order of their first chapter. The contents page has a level for
    publishers only when there are several, and one for days only when the book spans
    several. The reading order is the order of the contents page, as EPUB requires. Warnings
    about a document's images name it by ``names`` (its file, say; one per document, in the
    order given) or by its title; ``on_document`` is called as each document's images are
    settled, for a progress bar.

    ``series`` makes the book an issue of a series (EPUB 3 ``belongs-to-collection``, and
    calibre's own ``calibre:series``), at ``series_index`` (default 1).

    ``fetcher`` (from :func:`image_fetcher`, with the same image options) fetches the images,
    and may have begun while the documents were being read.
    """
    if order not in ORDERS:
        raise OptionError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    options = _Options.of(images, offline, cache_dir, allow_private_hosts, css, cover_image, toc, toc_depth)
    docs = list(docs)
    named = {id(doc): name for doc, name in zip(docs, names or (), strict=False)}
    groups = _group(_sorted(docs, newest_first=order == "newest"))
    if not groups:
        raise InputError("no documents to bundle")
    ordered = [doc for _, days in groups for _, day_docs in days for doc in day_docs]
    width = max(4, len(str(len(ordered))))
    chapters = [Chapter.of(doc, i, width) for i, doc in enumerate(ordered, 1)]
    contents = _bundle_toc(groups, chapters)
    meta = _bundle_meta(chapters, groups, title)
    series_name = clean_line(series or "")
    if series_name:
        meta.series = (series_name, 1 if series_index is None else series_index)
    labels = [named.get(id(chapter.doc), chapter.title) for chapter in chapters]
    return _build(chapters, meta, contents, options, contents_page=True, labels=labels, on_document=on_document,
                  fetcher=fetcher)


# ---------------------------------------------------------------------------- chapters


def _chapter_page(chapter: Chapter, shelf: _ImageShelf, link_images: bool, toc_depth: int) -> tuple[bytes, Outline]:
    """The chapter's page, and its headings of levels up to ``toc_depth`` (none for 0)."""
    renderer = XhtmlRenderer(image_source=shelf.source, link_missing_images=link_images, heading_offset=1,
                             image_label=localized(IMAGE_LABELS, chapter.language, "[image]"),
                             heading_ids=toc_depth > 0)
    body = chapter_header(chapter) + renderer.render(chapter.doc.blocks)
    page = _page(chapter.title, chapter.language, f"<article>\n{body}</article>\n")
    return page, outline(renderer.headings, toc_depth)


def _with_headings(toc: list[Any], outlines: dict[str, Outline]) -> list[Any]:
    """``toc`` with each chapter's link holding the chapter's headings (``outlines``, by file)."""
    out: list[Any] = []
    for entry in toc:
        if isinstance(entry, tuple):
            out.append((entry[0], _with_headings(entry[1], outlines)))
        elif isinstance(entry, epub.Link) and outlines.get(entry.href):
            out.append((epub.Section(entry.title, entry.href), _heading_links(entry.href, outlines[entry.href])))
        else:
            out.append(entry)
    return out


def _heading_links(file_name: str, tree: Outline) -> list[Any]:
    links: list[Any] = []
    for text, anchor, children in tree:
        href = f"{file_name}#{anchor}"
        if children:
            links.append((epub.Section(text, href), _heading_links(file_name, children)))
        else:
            links.append(epub.Link(href, text, f"toc-{file_name.rsplit('.', 1)[0]}-{anchor}"))
    return links


def _page(title: str, language: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        f'<html xmlns="http://www.w3.org/1999/xhtml" lang="{language}" xml:lang="{language}">\n'
        f"<head>\n<title>{escape_xml(title)}</title>\n"
        f'<link rel="stylesheet" type="text/css" href="{_CSS_NAME}"/>\n</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    ).encode()


# ---------------------------------------------------------------------------- images


class _ImageShelf:
    """Fetched images, named in order of first use; only images a chapter uses are packaged."""

    def __init__(self, fetched: dict[str, FetchedImage]) -> None:
        self.fetched = fetched
        self.used: dict[str, tuple[str, FetchedImage]] = {}

    def source(self, image: A.Image) -> str | None:
        entry = self.used.get(image.url)
        if entry is None:
            fetched = self.fetched.get(image.url)
            if fetched is None:
                return None
            name = f"images/image-{len(self.used) + 1:04d}.{fetched.extension}"
            entry = self.used[image.url] = (name, fetched)
        return entry[0]


def image_fetcher(*, images: str = "embed", offline: bool = False, cache_dir: str | None = None,
                  allow_private_hosts: bool = False, **_others: object) -> ImageFetcher | None:
    """The fetcher for books written with these options (the others are ignored), made ahead
    of them so that their images can be begun early (:meth:`ImageFetcher.prefetch`); ``None``
    when they fetch nothing over the network (``images`` other than ``embed``, or offline)."""
    if images != "embed" or offline:
        return None
    return ImageFetcher(cache_dir=cache_dir, allow_private_hosts=allow_private_hosts)


def _fetch(docs: Sequence[A.Document], options: _Options, labels: Sequence[str],
           on_document: Callable[[], None] | None, fetcher: ImageFetcher | None = None) -> dict[str, FetchedImage]:
    """The images of ``docs``, fetched together within one time budget per document that has
    any (through ``fetcher`` if given); warnings name each document by its label."""
    if options.images != "embed":
        return {}
    per_document = [(label, image_urls(doc.blocks)) for label, doc in zip(labels, docs, strict=True)]
    if not any(urls for _, urls in per_document):
        return {}
    if fetcher is None:
        fetcher = ImageFetcher(cache_dir=options.cache_dir, offline=options.offline,
                               allow_private_hosts=options.allow_private_hosts)
    return fetcher.fetch_documents(per_document, on_document)


# ---------------------------------------------------------------------------- book


@dataclass(slots=True)
class _BookMeta:
    identifier: str
    title: str
    languages: list[str]
    creators: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    date: dt.datetime | None = None
    source: str | None = None
    subjects: list[str] = field(default_factory=list)
    #: The series the book is an issue of, and its position in it.
    series: tuple[str, int] | None = None
    #: What the generated cover shows below the title: the day or days of the articles, and
    #: the sections as (name, the host a cover without a font for the name shows instead).
    dates: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)


def _publisher(meta: A.Meta) -> str:
    """The publisher given (``-M publisher=…``), else the site."""
    given = meta.extra.get("publisher")
    return given if isinstance(given, str) and given.strip() else meta.site


def _document_identifier(doc: A.Document) -> str:
    """``urn:uuid:`` derived from the URL, or from the whole document when it has none."""
    url = drop_non_xml(doc.meta.url).strip()
    if url:
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url)}"
    digest = hashlib.sha256()
    for text in iter_json(doc, sort_keys=True, lenient=True):
        digest.update(text.encode("utf-8", "surrogatepass"))
    return f"urn:uuid:{uuid.uuid5(_CONTENT_NAMESPACE, digest.hexdigest())}"


def _build(chapters: list[Chapter], meta: _BookMeta, toc: list[Any], options: _Options, *,
           contents_page: bool, labels: Sequence[str] | None = None,
           on_document: Callable[[], None] | None = None, fetcher: ImageFetcher | None = None) -> bytes:
    """The EPUB bytes for ``chapters`` in reading order, with ``toc`` as navigation; image
    warnings name each chapter by its label (none: the warning is the document's own)."""
    shelf = _ImageShelf(_fetch([c.doc for c in chapters], options, labels or [""] * len(chapters), on_document,
                               fetcher))
    book = _new_book(meta)
    css = epub.EpubItem(uid="style", file_name=_CSS_NAME, media_type="text/css",
                        content=stylesheet() + b"\n" + options.css.encode("utf-8") if options.css else stylesheet())
    contents = label("contents", meta.languages[0])
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title=contents)
    nav.add_item(css)
    for item in (epub.EpubNcx(), nav, css):
        book.add_item(item)
    items = []
    outlines: dict[str, Outline] = {}
    for chapter in chapters:
        content, outlines[chapter.file_name] = _chapter_page(chapter, shelf, options.images != "none",
                                                             options.toc_depth)
        items.append(book.add_item(epub.EpubItem(uid=chapter.id, file_name=chapter.file_name,
                                                 media_type="application/xhtml+xml", content=content)))
    _add_images(book, shelf, options.cover or _generated_cover(meta))
    book.toc = _with_headings(toc, outlines)
    book.spine = ([nav] if contents_page else []) + items
    out = io.BytesIO()
    epub.write_epub(out, book, {
        "mtime": (meta.date or UNDATED).astimezone(dt.timezone.utc),
        "epub3_pages": False, "epub2_guide": False, "epub3_landmark": False,
        "raise_exceptions": True, "compresslevel": 0,
    })
    return reproducible_zip(out.getvalue())


def _new_book(meta: _BookMeta) -> epub.EpubBook:
    book = epub.EpubBook()
    book.set_identifier(meta.identifier)
    book.set_title(meta.title)
    book.set_language(meta.languages[0])
    for language in meta.languages[1:]:
        book.add_metadata("DC", "language", language)
    for i, creator in enumerate(meta.creators, 1):
        book.add_author(creator, uid=f"creator{i}")
    for publisher in meta.publishers:
        book.add_metadata("DC", "publisher", publisher)
    if meta.date is not None:
        book.add_metadata("DC", "date", format_date(meta.date))
    if meta.source:
        book.add_metadata("DC", "source", meta.source)
    for subject in meta.subjects:
        book.add_metadata("DC", "subject", subject)
    if meta.series is not None:
        name, position = meta.series
        book.add_metadata(None, "meta", name, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        book.add_metadata(None, "meta", str(position), {"refines": "#series", "property": "group-position"})
        book.add_metadata(None, "meta", "", {"name": "calibre:series", "content": name})
        book.add_metadata(None, "meta", "", {"name": "calibre:series_index", "content": str(position)})
    return book


def _add_images(book: epub.EpubBook, shelf: _ImageShelf, cover: FetchedImage) -> None:
    """Package the cover and the images chapters use."""
    book.set_cover(f"images/cover.{cover.extension}", cover.data, create_page=False)
    book.get_item_with_id("cover-img").media_type = cover.media_type
    for i, (name, image) in enumerate(shelf.used.values()):
        book.add_item(epub.EpubImage(uid=f"image-{i + 1:04d}", file_name=name,
                                     media_type=image.media_type, content=image.data))


def _generated_cover(meta: _BookMeta) -> FetchedImage:
    """The cover drawn for a book the user gave none (Pillow is imported only here)."""
    from .cover import CoverText, cover_jpeg

    text = CoverText(meta.title, meta.dates, tuple(meta.sections), meta.languages[0])
    return FetchedImage("", cover_jpeg(text), "image/jpeg")


def reproducible_zip(data: bytes) -> bytes:
    """The EPUB zip ``data`` rewritten to be byte-for-byte reproducible.

    ``mimetype`` first and stored; every entry dated 1980-01-01 with the same permissions;
    already-compressed images stored, everything else deflated.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        for name in ["mimetype"] + [n for n in names if n != "mimetype"]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            stored = name == "mimetype" or name.endswith((".jpg", ".png", ".gif", ".webp"))
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(name), compresslevel=None if stored else 9)
    return out.getvalue()


# ---------------------------------------------------------------------------- bundles


def _sorted(docs: list[A.Document], *, newest_first: bool) -> list[A.Document]:
    """Documents by publication time, undated last; ties broken by title and URL for stability."""
    def key(doc: A.Document) -> tuple:
        when = doc.meta.published
        stamp = when.timestamp() if when is not None else 0.0
        return (when is None, -stamp if newest_first else stamp, doc.meta.title, doc.meta.url)

    return sorted(docs, key=key)


_Groups = list[tuple[str, list[tuple[str, list[A.Document]]]]]


def _group(docs: Sequence[A.Document]) -> _Groups:
    """Sorted documents grouped by publisher (in order of first appearance), then by UTC date."""
    sites: dict[str, dict[str, list[A.Document]]] = {}
    for doc, site in zip(docs, publisher_names(docs), strict=True):
        days = sites.setdefault(site, {})
        days.setdefault(_day_label(doc), []).append(doc)
    return [(site, list(days.items())) for site, days in sites.items()]


def _day_label(doc: A.Document) -> str:
    when = doc.meta.published
    return when.astimezone(dt.timezone.utc).date().isoformat() if when is not None else _UNDATED_LABEL


def _bundle_toc(groups: _Groups, chapters: list[Chapter]) -> list[Any]:
    """Navigation: publisher, then date, then article; the publisher level only when there are
    several, the date level only when the book spans several days (a daily digest of one
    publisher is a flat list)."""
    links = iter(chapters)
    several_days = len({day for _, days in groups for day, _ in days}) > 1
    tree: list[Any] = []
    for site, days in groups:
        nodes: list[Any] = []
        for day, day_docs in days:
            entries = [next(links) for _ in day_docs]
            articles = [epub.Link(c.file_name, c.title, "toc-" + c.id) for c in entries]
            nodes += [(epub.Section(day, entries[0].file_name), articles)] if several_days else articles
        first = nodes[0][0].href if several_days else nodes[0].href
        tree.append((epub.Section(site, first), nodes))
    return tree if len(tree) > 1 else tree[0][1]


def _sections(docs: Sequence[A.Document], site: str = "") -> list[tuple[str, str]]:
    """A section of the cover for the publisher of ``docs``: its name (``site``, else the
    documents' own), and the host of their first link, which a cover shows when it cannot
    draw the name."""
    hosts = [host_of(url) for url in (safe_url(doc.meta.url, ("http", "https")) for doc in docs) if url]
    host = hosts[0].removeprefix("www.") if hosts else ""
    name = site or next((clean_line(d.meta.site) for d in docs if clean_line(d.meta.site)), "") or host
    return [(name, host or name)] if name else []


def _date_span(dates: Sequence[dt.datetime]) -> str:
    """The UTC days of sorted ``dates``: ``2024-11-27``, ``2024-11-25 – 2024-11-27``, or ""."""
    if not dates:
        return ""
    first, last = (d.astimezone(dt.timezone.utc).date().isoformat() for d in (dates[0], dates[-1]))
    return first if first == last else f"{first} – {last}"


def _bundle_meta(chapters: list[Chapter], groups: _Groups, title: str | None) -> _BookMeta:
    dates = sorted(c.doc.meta.published for c in chapters if c.doc.meta.published is not None)
    counts = Counter(c.language for c in chapters if c.language != "und")
    languages = sorted(counts, key=lambda tag: -counts[tag]) or ["und"]  # stable: first seen wins ties
    digest = hashlib.sha256("\n".join([title or ""] + [_document_identifier(c.doc) for c in chapters])
                            .encode("utf-8", "surrogatepass")).hexdigest()
    return _BookMeta(
        identifier=f"urn:uuid:{uuid.uuid5(_CONTENT_NAMESPACE, digest)}",
        title=clean_line(title or "") or default_title(dates),
        languages=languages,
        publishers=[site for site, _ in groups if site != NO_SITE],
        date=dates[-1] if dates else None,
        dates=_date_span(dates),
        sections=[section for site, days in groups
                  for section in _sections([doc for _, day_docs in days for doc in day_docs], site)],
    )


def default_title(dates: list[dt.datetime]) -> str:
    """A bundle's title when none is given: ``Articles, 2024-11-25 – 2024-11-27``."""
    span = _date_span(dates)
    return f"Articles, {span}" if span else "Articles"
