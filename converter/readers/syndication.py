"""Feeds as inputs: RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom 1.0 read with feedparser, JSON Feed
1.0/1.1 read as plain JSON and checked against its specification.

A feed is told by its content, not its name (:func:`.feed_kind.sniff`). Each entry becomes an
:class:`Entry`: plain, picklable data (its metadata and the HTML of its body), which a worker
turns into a ``Document`` through the same steps as a saved item
(:func:`converter.readers.feed.from_html`). feedparser is imported only when a feed is read.

The body is the fullest of the entry's ``content:encoded``/``content``, ``summary`` (JSON Feed:
``content_html``, ``content_text``, ``summary``). Images an entry carries beside its body
(enclosures, ``media:content``, ``media:thumbnail``, JSON Feed's ``image``) come first when the
body does not show them already. An entry is known by its identities (:attr:`Entry.identities`):
its id, and its link when no other entry of the feed shares it; two entries sharing one are the
same article.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import io
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from .. import ast as A
from ..chars import drop_controls, one_line, replace_unencodable
from ..errors import InputError
from .feed_kind import KINDS, sniff

#: Largest XML feed read leniently when it is not well-formed: feedparser's lenient parser
#: reads a few hundred KB a second on hostile markup (a run of ``<``), so beyond this size a
#: broken feed is refused rather than read for minutes. Well-formed feeds go to the input cap.
MAX_LENIENT_BYTES = 2 * 1024 * 1024
_IMAGE_EXTENSIONS = re.compile(r"(?i)\.(?:jpe?g|png|gif|webp|avif|bmp|svg)(?:[?#]|\Z)")
_TAGS = re.compile(r"<[^<>]*>")  # not [^>]*: a run of "<" without ">" would be quadratic


# ---------------------------------------------------------------------------- entries


@dataclass(slots=True)
class Entry:
    """One entry of a feed as plain data: enough to make its ``Document`` anywhere."""

    feed: str  #: the feed's file (or URL), as the user named it
    position: int  #: 1-based, in the feed's order
    title: str = ""
    url: str = ""
    entry_id: str = ""
    published: dt.datetime | None = None
    author: str = ""
    tags: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    body: str = ""
    site: str = ""
    #: The entry's own language (``xml:lang``, JSON Feed item ``language``): it wins.
    language: str = ""
    #: The feed's: only where the text does not tell (a feed's one tag covers all its entries).
    feed_language: str = ""
    feed_url: str = ""
    #: What identifies the entry across feeds and runs: ``id:…`` and ``link:…``.
    identities: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How reports and errors name the entry: ``feed.xml#3``."""
        return f"{self.feed}#{self.position}"

    @property
    def digest(self) -> str:
        """A hash of the entry's own content (not of the feed that carries it: the same article
        in another feed, or under a renamed feed, is the same): it changes when the entry does."""
        data = json.dumps([self.title, self.url, self.entry_id, A.format_datetime(self.published)
                           if self.published else None, self.author, self.tags, self.images, self.body,
                           self.language], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def document(self) -> A.Document:
        """The entry as a ``Document``, through the same steps as a saved item's body."""
        from .feed import from_html

        extra: dict[str, Any] = {}
        if self.entry_id and self.entry_id != self.url:
            extra["id"] = self.entry_id
        if self.feed_url:
            extra["feed"] = self.feed_url
        meta = A.Meta(title=self.title, url=self.url, published=self.published, author=self.author,
                      site=self.site, language=self.language, tags=list(self.tags), extra=extra)
        doc = from_html(_with_images(self.body, self.images), meta)
        if not self.language and self.feed_language and doc.meta.language in ("", "und"):
            doc.meta.language = self.feed_language
        return doc


def _with_images(body: str, images: list[str]) -> str:
    """The body with the entry's images that it does not show already put first."""
    missing = [url for url in images if url not in body and html.escape(url) not in body]
    if not missing:
        return body
    figures = "".join(f'<p><img src="{html.escape(url, quote=True)}"></p>' for url in missing)
    return figures + body


@dataclass(slots=True)
class Feed:
    """A feed read: what it is, its title, and its entries (each failure is a message)."""

    path: str
    kind: str
    title: str
    entries: list[Entry]
    #: Entries that could not be taken (``feed.xml#4: …``), or a note on the whole feed.
    problems: list[str] = field(default_factory=list)
    #: Notes that lose nothing: the XML was not well-formed and was read leniently.
    warnings: list[str] = field(default_factory=list)


def read_feed(data: bytes, path: str, kind: str | None = None) -> Feed:
    """Read the feed ``data`` (from the file or URL ``path``) into its entries.

    Raises ``InputError`` when it is not a feed, or one so broken that no entry can be read.
    """
    kind = kind or sniff(data)
    if kind is None:
        raise InputError("is not a feed (RSS, Atom or JSON Feed)", path)
    feed = _read_json_feed(data, path) if kind == "json" else _read_xml_feed(data, path, kind)
    _settle_identities(feed.entries)
    return feed


def _settle_identities(entries: list[Entry]) -> None:
    """Each entry's identities: its id, and its link when no other entry of the feed has it
    (a feed that links every entry to its home page says nothing by the link)."""
    links = Counter(entry.url for entry in entries if entry.url)
    for entry in entries:
        ids = []
        if entry.entry_id:
            ids.append("id:" + entry.entry_id)
        if entry.url and links[entry.url] == 1:
            ids.append("link:" + entry.url)
        if not ids:
            ids.append("digest:" + entry.digest)
        entry.identities = tuple(ids)


# ---------------------------------------------------------------------------- RSS, Atom (feedparser)


def _read_xml_feed(data: bytes, path: str, kind: str) -> Feed:
    import feedparser

    data = _utf8_as_declared(data, path)
    if len(data) > MAX_LENIENT_BYTES and not _well_formed(data):
        raise InputError(f"is {_a(kind)} feed that is not well-formed XML, and over "
                         f"{MAX_LENIENT_BYTES // 2**20} MiB: too big to read leniently (that takes minutes); "
                         "repair it, or split it", path)
    # a stream, never the bytes themselves: feedparser takes bytes it is given for a file name to open
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False,
                              response_headers={"content-type": "application/xml"})
    info = parsed.get("feed", {})
    site = _text(info.get("title"), info.get("title_detail"))
    language = info.get("language") or ""
    home = _clean(info.get("link") or "")
    entries: list[Entry] = []
    for position, raw in enumerate(parsed.get("entries", []), 1):
        entries.append(_xml_entry(raw, path, position, site, language, home))
    result = Feed(path, kind, site, entries)
    if parsed.get("bozo"):
        reason = _bozo_reason(parsed.get("bozo_exception"))
        if not entries:
            raise InputError(f"is {_a(kind)} feed that cannot be read ({reason})", path)
        if not isinstance(parsed.get("bozo_exception"), _benign_exceptions()):
            result.warnings.append(f"{path}: is not well-formed XML ({reason}); read leniently")
    return result


def _well_formed(data: bytes) -> bool:
    """Whether ``data`` is well-formed XML, by lxml (in C, at tens of MB/s), with entities
    unresolved and no DTD or network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return False
    return True


_DECLARATION = re.compile(rb"""\A(\s*<\?xml[^>]*?encoding\s*=\s*["'])([A-Za-z0-9._-]+)(["'])""")


def _utf8_as_declared(data: bytes, path: str) -> bytes:
    """A feed that says (or, saying nothing, means) UTF-8 but is not: decoded as a saved item
    is (damaged UTF-8, GB18030, Big5 …) and handed to feedparser as the UTF-8 it claimed to be.
    Feeds with a BOM or another declared encoding are left to feedparser."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return data
    match = _DECLARATION.match(data[:512])
    declared = match.group(2).decode("ascii").lower().replace("_", "-") if match else "utf-8"
    if declared not in ("utf-8", "utf8"):
        return data
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    from .decode import decode

    text = decode(data, path)
    if match:
        text = text.replace(match.group(2).decode("ascii"), "utf-8", 1)
    return text.encode("utf-8", "replace")


def _a(kind: str) -> str:
    """``an RSS``, ``an Atom``, ``a JSON Feed``."""
    return ("an " if kind in ("rss", "rdf", "atom") else "a ") + KINDS[kind]


def _benign_exceptions() -> tuple[type, ...]:
    """feedparser's notes that lose nothing: a declared encoding that was not the real one."""
    import feedparser

    return (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _bozo_reason(exc: object) -> str:
    text = one_line(str(exc or "malformed")) or type(exc).__name__
    return text if len(text) <= 120 else text[:119] + "…"


def _xml_entry(raw: Any, path: str, position: int, site: str, feed_language: str, home: str) -> Entry:
    bodies = [c.get("value", "") for c in raw.get("content", []) or [] if _is_markup(c.get("type"))]
    bodies += [_plain_to_html(c.get("value", "")) for c in raw.get("content", []) or []
               if not _is_markup(c.get("type"))]
    summary = raw.get("summary_detail") or {}
    if raw.get("summary"):
        bodies.append(raw["summary"] if _is_markup(summary.get("type")) else _plain_to_html(raw["summary"]))
    content_language = next((c.get("language") for c in raw.get("content", []) or [] if c.get("language")), "")
    published = next((_rfc3339(str(raw[key])) or _from_struct(raw.get(key + "_parsed"))
                      for key in ("published", "updated", "created") if raw.get(key)), None)
    return Entry(
        feed=path,
        position=position,
        title=_text(raw.get("title"), raw.get("title_detail")),
        url=_absolute(_clean(raw.get("link") or ""), home),
        entry_id=_clean(str(raw.get("id") or "")),
        published=published,
        author=_author(raw),
        tags=_unique(_clean(t.get("label") or t.get("term") or "") for t in raw.get("tags", []) or []),
        images=_xml_images(raw),
        body=_fullest(bodies),
        site=site,
        language=normalize_language(content_language or summary.get("language") or ""),
        feed_language=normalize_language(feed_language),
        feed_url=home,
    )


def _is_markup(media_type: object) -> bool:
    return media_type in ("text/html", "application/xhtml+xml", "html", "xhtml", None)


def _xml_images(raw: Any) -> list[str]:
    urls: list[str] = []
    for enclosure in raw.get("enclosures", []) or []:
        href, media_type = enclosure.get("href", ""), enclosure.get("type", "")
        if href and (media_type.startswith("image/") or (not media_type and _IMAGE_EXTENSIONS.search(href))):
            urls.append(href)
    for media in raw.get("media_content", []) or []:
        url, media_type = media.get("url", ""), media.get("type", "")
        if url and (media.get("medium") == "image" or media_type.startswith("image/")
                    or (not media_type and not media.get("medium") and _IMAGE_EXTENSIONS.search(url))):
            urls.append(url)
    if not urls:  # a thumbnail only stands in when there is no full image
        urls += [m.get("url", "") for m in raw.get("media_thumbnail", []) or [] if m.get("url")]
    return _unique(_clean(u) for u in urls)


def _author(raw: Any) -> str:
    names = _unique(_clean(a.get("name") or "") for a in raw.get("authors", []) or [] if isinstance(a, dict))
    if names:
        return ", ".join(names)
    detail = raw.get("author_detail") or {}
    return _clean(detail.get("name") or raw.get("author") or "")


def _from_struct(stamp: Any) -> dt.datetime | None:
    """feedparser's dates are UTC ``struct_time``s (to the second: an RFC 3339 date, which
    may say more, is read from the feed's text first)."""
    if not stamp:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def _text(value: Any, detail: Any) -> str:
    """A title as one line of text (a title given as HTML loses its tags)."""
    text = str(value or "")
    if isinstance(detail, dict) and _is_markup(detail.get("type")) and "<" in text:
        text = html.unescape(_TAGS.sub("", text))
    return _clean(text)


# ---------------------------------------------------------------------------- JSON Feed


def _read_json_feed(data: bytes, path: str) -> Feed:
    """A JSON Feed (https://jsonfeed.org/version/1.1): UTF-8 JSON, an object with ``version``,
    ``title`` and ``items``; each item has an ``id`` and ``content_html`` or ``content_text``.
    An item that breaks the specification is named and left out; the others are read."""
    try:
        top = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError("is a JSON Feed that is not UTF-8, as the specification requires", path) from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"is a JSON Feed that is not valid JSON ({_bozo_reason(exc)})", path) from None
    if not isinstance(top, dict):
        raise InputError("is not a JSON Feed: not a JSON object", path)
    for name, kind in (("version", str), ("title", str), ("items", list)):
        if not isinstance(top.get(name), kind):
            raise InputError(f"is not a valid JSON Feed: {name!r} is missing or not a "
                             f"{'string' if kind is str else 'list'}", path)
    site = _clean(top["title"])
    language = normalize_language(_string(top.get("language")))
    home = _clean(_string(top.get("home_page_url")))
    feed_authors = _json_authors(top)
    feed = Feed(path, "json", site, [])
    for position, item in enumerate(top["items"], 1):
        try:
            feed.entries.append(_json_entry(item, path, position, site, language, home, feed_authors))
        except _Invalid as exc:
            feed.problems.append(f"{path}#{position}: is not a valid JSON Feed item ({exc}); left out")
    return feed


class _Invalid(ValueError):
    """An item that breaks the JSON Feed specification."""


def _json_entry(item: Any, path: str, position: int, site: str, language: str, home: str,
                feed_authors: str) -> Entry:
    if not isinstance(item, dict):
        raise _Invalid("not an object")
    raw_id = item.get("id")
    if raw_id is None or isinstance(raw_id, (dict, list, bool)) or str(raw_id) == "":
        raise _Invalid("it has no id")
    content_html, content_text = item.get("content_html"), item.get("content_text")
    if not isinstance(content_html, str) and not isinstance(content_text, str):
        raise _Invalid("it has neither content_html nor content_text")
    bodies = [content_html if isinstance(content_html, str) else "",
              _plain_to_html(content_text) if isinstance(content_text, str) else "",
              html.escape(_string(item.get("summary")))]
    published = _rfc3339(_string(item.get("date_published"))) or _rfc3339(_string(item.get("date_modified")))
    tags = item.get("tags")
    images = [_string(item.get("image"))]
    images += [_string(a.get("url")) for a in item.get("attachments") or [] if isinstance(a, dict)
               and _string(a.get("mime_type")).startswith("image/")]
    return Entry(
        feed=path,
        position=position,
        title=_clean(_string(item.get("title"))),
        url=_absolute(_clean(_string(item.get("url")) or _string(item.get("external_url"))), home),
        entry_id=_clean(str(raw_id)),
        published=published,
        author=_json_authors(item) or feed_authors,
        tags=_unique(_clean(t) for t in tags if isinstance(t, str)) if isinstance(tags, list) else [],
        images=_unique(_clean(u) for u in images if u),
        body=_fullest(bodies),
        site=site,
        language=normalize_language(_string(item.get("language"))),
        feed_language=language,
        feed_url=home,
    )


def _json_authors(obj: dict[str, Any]) -> str:
    """``authors`` (1.1), else ``author`` (1.0): their names."""
    authors = obj.get("authors")
    if not isinstance(authors, list):
        authors = [obj.get("author")]
    return ", ".join(_unique(_clean(_string(a.get("name"))) for a in authors if isinstance(a, dict)))


def _rfc3339(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        stamp = A.parse_datetime(value.strip())
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    try:
        return stamp.astimezone(dt.timezone.utc)
    except OverflowError:
        return None


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------- shared


def _fullest(bodies: Iterable[str]) -> str:
    """The body with the most text (markup not counted); the first of equals."""
    best, best_size = "", -1
    for body in bodies:
        size = len(_TAGS.sub("", body).strip()) if body else -1
        if size > best_size:
            best, best_size = body, size
    return best


def _plain_to_html(text: str) -> str:
    """Plain text as HTML paragraphs (blank lines part them, line breaks stay)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)


def _clean(value: str) -> str:
    return one_line(drop_controls(replace_unencodable(value)))


def _absolute(url: str, base: str) -> str:
    """An entry's link made absolute against the feed's home page (a relative link without
    ``xml:base`` is relative to the feed's site)."""
    if not url or not base or urlsplit(url).scheme:
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


_CHINESE = {"cn": "zh-Hans", "sg": "zh-Hans", "my": "zh-Hans", "hans": "zh-Hans",
            "tw": "zh-Hant", "hk": "zh-Hant", "mo": "zh-Hant", "hant": "zh-Hant"}


def normalize_language(tag: str) -> str:
    """A feed's language as a BCP 47 tag: ``zh-cn`` → ``zh-Hans``, ``zh-TW`` → ``zh-Hant``,
    ``en-us`` → ``en-US``; bare ``zh`` or anything malformed → "" (the text decides)."""
    parts = [p for p in re.split(r"[-_]", tag.strip()) if p]
    if not parts or not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return ""
    language = parts[0].lower()
    if language == "zh":
        return next((_CHINESE[p.lower()] for p in parts[1:] if p.lower() in _CHINESE), "")
    if len(parts) > 1 and re.fullmatch(r"[A-Za-z]{2}", parts[1]):
        return f"{language}-{parts[1].upper()}"
    return language
