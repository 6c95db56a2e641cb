"""What the EPUB chapter, the standalone HTML page and pandoc's formats share about an article.

The title to show, the language tag, the words the output itself shows, the header above the
text (title, author, date, source link) and the reading stylesheet. Kept apart from the EPUB
writer so that the HTML and pandoc writers need not import ebooklib, which is slow to import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .. import ast as A
from ..chars import one_line
from ..labels import LABELS, table_language
from .markup import drop_non_xml, escape_xml, safe_url

#: Well-formed BCP 47 tags (RFC 5646 syntax; registry validity is not checked).
_BCP47 = re.compile(
    r"(?:[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})(?:-[A-Za-z]{4})?"
    r"(?:-(?:[A-Za-z]{2}|[0-9]{3}))?(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[0-9A-WY-Za-wy-z](?:-[A-Za-z0-9]{2,8})+)*(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?")
#: The text of a link to an image that is not shown, by language (see :func:`localized`): the
#: ``image_link`` column of :data:`converter.labels.LABELS`.
IMAGE_LABELS = {language: words["image_link"] for language, words in LABELS.items()}


@dataclass(slots=True)
class Chapter:
    """One article as a chapter (EPUB) or page (HTML): its file name, title and language."""

    doc: A.Document
    id: str
    file_name: str
    title: str
    language: str

    @classmethod
    def of(cls, doc: A.Document, number: int, width: int) -> Chapter:
        chapter_id = f"ch{number:0{width}d}"
        return cls(doc, chapter_id, f"{chapter_id}.xhtml", document_title(doc),
                   language_tag(doc.meta.language))


def document_title(doc: A.Document) -> str:
    """The title to show: the document's, else its first heading or paragraph, else "Untitled"."""
    title = clean_line(doc.meta.title)
    if title:
        return title
    for node in A.walk(doc.blocks):
        if isinstance(node, (A.Heading, A.Paragraph)):
            text = clean_line(A.plain_text(node.content))
            if text:
                return text if len(text) <= 60 else text[:59] + "…"
    return "Untitled"


def language_tag(tag: str) -> str:
    """``tag`` if it is a well-formed BCP 47 tag (``_`` read as ``-``), else ``und``."""
    tag = tag.strip().replace("_", "-")
    return tag if _BCP47.fullmatch(tag) else "und"


def localized(words: dict[str, str], language: str, default: str) -> str:
    """``words`` for ``language`` (a BCP 47 tag), else for its language in the label table
    (:func:`converter.labels.table_language`: ``zh-TW`` is ``zh-Hant``), else ``default``."""
    return words.get(language) or words.get(table_language(language), default)


def clean_line(text: str) -> str:
    """``text`` as one line of XML-safe text (see :func:`converter.chars.one_line`)."""
    return one_line(drop_non_xml(text))


def clean_lines(texts: Iterable[str]) -> list[str]:
    """The non-empty lines among ``texts``, each made one line by :func:`clean_line`."""
    return [line for line in map(clean_line, texts) if line]


def format_date(value: dt.datetime) -> str:
    """``value`` in UTC to the second, as EPUB metadata and ``<time datetime>`` want it."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def host_of(url: str) -> str:
    """The host (and port) of an absolute URL."""
    return url.split("://", 1)[-1].split("/", 1)[0]


def chapter_header(chapter: Chapter) -> str:
    """Title, author, date and source link above the article text (an XHTML fragment)."""
    meta = chapter.doc.meta
    lines = [f"<h1>{escape_xml(chapter.title)}</h1>\n"]
    byline = [f'<span class="author">{escape_xml(author)}</span>' for author in clean_lines([meta.author])]
    if meta.published is not None:
        utc = meta.published.astimezone(dt.timezone.utc)
        byline.append(f'<time datetime="{format_date(utc)}">{utc:%Y-%m-%d %H:%M} UTC</time>')
    if byline:
        lines.append(f'<p class="byline">{" · ".join(byline)}</p>\n')
    source = _source_line(meta)
    if source:
        lines.append(f'<p class="source">{source}</p>\n')
    return f'<header class="article-header">\n{"".join(lines)}</header>\n'


def _source_line(meta: A.Meta) -> str:
    href = safe_url(meta.url, ("http", "https"))
    label = clean_line(meta.site) or (host_of(href) if href else "")
    if href:
        return f'<a href="{escape_xml(href)}">{escape_xml(label)}</a>'
    return escape_xml(label)


@lru_cache(maxsize=1)
def stylesheet() -> bytes:
    """The reading stylesheet shipped with the package: EPUB chapters and web pages."""
    return (resources.files("converter") / "styles" / "reading.css").read_bytes()


@lru_cache(maxsize=1)
def page_stylesheet() -> bytes:
    """What a web page adds to the reading stylesheet (a reading width): the HTML writer's."""
    return (resources.files("converter") / "styles" / "page.css").read_bytes()


def read_option_file(option: str, path: str, limit: int = 16 * 1024 * 1024) -> bytes:
    """The bytes of a file a writer option names (``--css``, ``--epub-cover-image``); an
    ``OptionError`` that starts with the option's name, then the file's, says why not."""
    from ..errors import OptionError

    try:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise OptionError(f"{option} {path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise OptionError(f"{option} {path}: larger than {limit // (1024 * 1024)} MiB")
    return data


def user_stylesheet(path: str | None) -> str:
    """The CSS of ``--css FILE`` (UTF-8), added after the reading stylesheet so that its rules
    win; "" without one."""
    if path is None:
        return ""
    from ..errors import OptionError

    data = read_option_file("css", path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OptionError(f"css {path}: is not UTF-8 text") from None


#: The deepest heading level a table of contents lists by default (pandoc's default).
DEFAULT_TOC_DEPTH = 3
#: One entry of a table of contents: its text, the id of its heading, the entries under it.
Outline = list[tuple[str, str, "Outline"]]


def check_toc_depth(depth: int | None) -> int:
    """``toc_depth`` as given (``None``: the default), or a ``ValueError`` saying what it takes."""
    if depth is None:
        return DEFAULT_TOC_DEPTH
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 6:
        raise ValueError(f"toc_depth must be a heading level from 1 to 6, not {depth!r}")
    return depth


def outline(headings: list[tuple[int, str, str]], depth: int) -> Outline:
    """The headings (level, text, id) of levels up to ``depth`` as a tree: each under the last
    heading of a higher level before it."""
    root: Outline = []
    stack: list[tuple[int, Outline]] = [(0, root)]
    for level, text, anchor in headings:
        if level > depth:
            continue
        while stack[-1][0] >= level:
            stack.pop()
        children: Outline = []
        stack[-1][1].append((text, anchor, children))
        stack.append((level, children))
    return root


#: What a writer does with a document's images: download them into its output (embed), refer
#: to them where they are (link), or leave them out (none).
IMAGE_MODES = ("embed", "link", "none")


def check_image_mode(images: str) -> None:
    if images not in IMAGE_MODES:
        from ..errors import OptionError

        raise OptionError(f"images must be one of {', '.join(IMAGE_MODES)}, not {images!r}")
