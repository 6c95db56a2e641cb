"""Fetch the images of documents so that writers can embed them (EPUB forbids remote ones).

Fetching a URL found in someone else's HTML is fetching on a stranger's behalf: the requests go
through :class:`converter.net.Fetcher`, which owns the rules (``http``/``https`` only, no
private addresses, the connection goes to the address checked, one deadline per URL, a size cap
on the decoded body). On top of them:

- all the images of one document share a time budget: once it is spent, the images not yet
  fetched are not fetched, and one warning says how many;
- the content type is sniffed from the bytes, not taken from the server: only JPEG, PNG,
  GIF, WebP and SVG are accepted, and SVG is stripped of scripts, event handlers, foreign
  content and everything that would load a resource from outside the file (CSS included).

Results are kept in an on-disk cache (one file per URL hash), so a second run makes no
request; ``offline`` reads the cache only. Failures are reported as :class:`ImageWarning`
warnings, never raised: a missing image must not stop a conversion.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import net

#: Media type -> file extension, for every image type accepted.
MEDIA_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
}
DEFAULT_WORKERS = 8
#: Wall-clock limit for all the images of one document (each image also has net's 60 s).
DEFAULT_DOCUMENT_BUDGET = 180.0
#: How long a permanent failure (404, not an image, too large…) is remembered, in seconds.
FAILURE_TTL = 7 * 24 * 3600
USER_AGENT = "converter (feed article to e-book; image fetcher)"

_SVG_NS = "http://www.w3.org/2000/svg"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_KEPT_ATTR_NAMESPACES = frozenset({"http://www.w3.org/1999/xlink", "http://www.w3.org/XML/1998/namespace"})
_SVG_DROP = frozenset({"script", "foreignObject", "iframe", "audio", "video", "handler", "listener"})
_SVG_ANIMATIONS = frozenset({"set", "animate", "animateColor", "animateMotion", "animateTransform"})
# CSS, read as its tokenizer would after preprocessing: escapes, comments, whitespace.
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n]?|(\n)|(.)|\Z)", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.DOTALL)
# What loads a resource besides @import: url() (unless it points inside the file: url(#id)),
# and the functions that take a URL as a string, vendor-prefixed or not.
_CSS_URL = re.compile(r"url\s*\([\s'\"]*(#)?")
_CSS_URL_STRING_FUNCTION = re.compile(r"(?:image-set|image|src|cross-fade)\s*\(")


class ImageWarning(UserWarning):
    """An image could not be fetched; the document shows its text fallback instead."""


@dataclass(frozen=True, slots=True)
class FetchedImage:
    """An image's bytes with the media type sniffed from them."""

    url: str
    data: bytes
    media_type: str

    @property
    def extension(self) -> str:
        return MEDIA_TYPES[self.media_type]


class _Failure(Exception):
    """Why an image was not fetched; ``permanent`` failures are remembered by the cache, ``late``
    ones (the document's time budget ran out) are counted in one warning."""

    def __init__(self, reason: str, *, permanent: bool = False, quiet: bool = False, late: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.quiet = quiet
        self.late = late


# ---------------------------------------------------------------------------- content


def sniff(data: bytes) -> str | None:
    """The media type of image ``data`` judged by its first bytes, or ``None`` if not an image."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(data):
        return "image/svg+xml"
    return None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head


def clean_svg(data: bytes) -> bytes | None:
    """An SVG without scripts, event handlers, foreign content or references outside itself.

    Returns ``None`` when ``data`` is not a well-formed SVG document or declares entities.
    """
    if b"<!ENTITY" in data:
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or root.tag != f"{{{_SVG_NS}}}svg":
        return None
    for el in list(root.iter()):
        if _unwanted_svg_node(el):
            el.getparent().remove(el)
        else:
            _clean_svg_attributes(el)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _unwanted_svg_node(el: etree._Element) -> bool:
    if not isinstance(el.tag, str):  # comments, processing instructions
        return el.getparent() is not None
    namespace, _, name = el.tag[1:].partition("}") if el.tag.startswith("{") else ("", "", el.tag)
    if namespace != _SVG_NS or name in _SVG_DROP:
        return el.getparent() is not None
    if name in _SVG_ANIMATIONS:  # <set attributeName="href" to="http://…">
        return el.get("attributeName", "").rpartition(":")[2].strip() == "href"
    return name == "style" and _css_loads_resource("".join(map(str, el.itertext())))


def _clean_svg_attributes(el: etree._Element) -> None:
    for name, value in list(el.attrib.items()):
        if _unwanted_svg_attribute(str(name), str(value)):
            del el.attrib[name]


def _unwanted_svg_attribute(name: str, value: str) -> bool:
    """Event handlers, foreign attributes, links out of the file, a base for links, and any
    value that CSS would load something from: ``style``, and presentation attributes such as
    ``fill``, ``filter``, ``mask`` or ``cursor`` (and animation values that set them)."""
    namespace = name[1:].partition("}")[0] if name.startswith("{") else ""
    local = name.rpartition("}")[2].lower()
    if name in ("href", _XLINK_HREF):
        return not value.strip().startswith("#")
    return ((bool(namespace) and namespace not in _KEPT_ATTR_NAMESPACES)
            or name == _XML_BASE
            or local.startswith(("on", "data-"))
            or _css_loads_resource(value))


def _css_loads_resource(css: str) -> bool:
    """Whether CSS text would fetch anything outside its own file (only ``url(#id)`` is local).

    Judged on every reading of the text a renderer might make: CSS escapes undone
    (``u\\72l(``, ``@\\69mport``), and comments dropped before or after that, so that
    neither an escape nor a comment inside a token hides a reference; case is ignored.
    """
    readings = {_css_unescape(css), _css_unescape(_CSS_COMMENT.sub("", css))}
    readings |= {_CSS_COMMENT.sub("", text) for text in readings}
    return any(_css_text_loads(text.lower()) for text in readings)


def _css_text_loads(css: str) -> bool:
    if "@import" in css or _CSS_URL_STRING_FUNCTION.search(css):
        return True
    return any(m.group(1) is None for m in _CSS_URL.finditer(css))


def _css_unescape(css: str) -> str:
    """CSS text with its escapes replaced by the characters they stand for (CSS Syntax 4.3.7)."""
    text = css.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    return _CSS_ESCAPE.sub(_css_escaped_character, text)


def _css_escaped_character(match: re.Match[str]) -> str:
    digits, newline, character = match.groups()
    if newline:
        return ""  # an escaped line end continues the line
    if character is not None:
        return character
    if digits is None:
        return "\ufffd"  # a backslash at the end of the text
    code = int(digits, 16)
    return "\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)


def _accept(url: str, data: bytes) -> FetchedImage:
    media_type = sniff(data)
    if media_type == "image/svg+xml":
        cleaned = clean_svg(data)
        if cleaned is None:
            raise _Failure("not a usable SVG image", permanent=True)
        data = cleaned
    elif media_type is None:
        raise _Failure("content is not a JPEG, PNG, GIF, WebP or SVG image", permanent=True)
    return FetchedImage(url, data, media_type)


# ---------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """Where images are cached unless told otherwise: the user's cache directory."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("converter")) / "images"


class ImageCache:
    """Images on disk, one file per SHA-256 of the URL; permanent failures as ``.fail`` files.

    Writes go to a temporary file renamed into place, so concurrent runs never see half a file.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, url: str) -> Path:
        key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / key[:2] / key

    def load(self, url: str) -> FetchedImage | None:
        try:
            data = self._path(url).read_bytes()
        except OSError:
            return None
        media_type = sniff(data)
        return FetchedImage(url, data, media_type) if media_type else None

    def load_failure(self, url: str) -> str | None:
        """The reason a URL failed for good, if it did recently."""
        path = self._path(url).with_suffix(".fail")
        try:
            if time.time() - path.stat().st_mtime > FAILURE_TTL:
                return None
            return path.read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def store(self, image: FetchedImage) -> None:
        self._write(self._path(image.url), image.data)

    def store_failure(self, url: str, reason: str) -> None:
        self._write(self._path(url).with_suffix(".fail"), reason.encode("utf-8"))

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as exc:  # a cache that cannot be written only costs a refetch
            warnings.warn(f"image cache not written ({path.parent}): {exc}", ImageWarning, stacklevel=3)


# ---------------------------------------------------------------------------- fetching


class ImageFetcher:
    """Fetches images over HTTP(S) through :mod:`converter.net`, several at once, through a cache.

    Each image gets ``deadline`` seconds (redirects included) and ``max_bytes``; all the images
    of one document share ``document_budget`` seconds.
    """

    def __init__(self, *, cache_dir: str | os.PathLike[str] | None = None, offline: bool = False,
                 allow_private_hosts: bool = False, max_bytes: int = net.DEFAULT_MAX_BYTES,
                 connect_timeout: float = net.DEFAULT_CONNECT_TIMEOUT,
                 read_timeout: float = net.DEFAULT_READ_TIMEOUT, deadline: float = net.DEFAULT_DEADLINE,
                 document_budget: float = DEFAULT_DOCUMENT_BUDGET, workers: int = DEFAULT_WORKERS) -> None:
        self.cache = ImageCache(cache_dir if cache_dir is not None else default_cache_dir())
        self.offline = offline
        self.document_budget = document_budget
        self.workers = max(1, workers)
        limits = net.Limits(max_bytes=max_bytes, connect_timeout=connect_timeout, read_timeout=read_timeout,
                            deadline=deadline, allow_private_hosts=allow_private_hosts)
        self._http = net.Fetcher(limits, accept="image/*", user_agent=USER_AGENT)

    def fetch(self, url: str) -> FetchedImage | None:
        """One image, or ``None`` (with an :class:`ImageWarning`) when it cannot be had."""
        return self.fetch_all([url]).get(url)

    def fetch_all(self, urls: Iterable[str], *, documents: int = 1) -> dict[str, FetchedImage]:
        """The images among ``urls`` that could be had, by URL; the rest are warned about.

        ``urls`` are the images of ``documents`` documents, which share ``documents`` times the
        per-document budget: once it is spent, the images not yet had are not fetched (those
        being fetched are cut short), and one warning says how many.
        """
        unique = list(dict.fromkeys(urls))
        budget = self._budget(documents)
        with cf.ThreadPoolExecutor(min(self.workers, len(unique) or 1)) as pool:
            outcomes = list(pool.map(functools.partial(self._get, budget=budget), unique))
        found: dict[str, FetchedImage] = {}
        late = 0
        for url, outcome in zip(unique, outcomes, strict=True):
            if isinstance(outcome, FetchedImage):
                found[url] = outcome
            elif outcome.late:
                late += 1
            elif not outcome.quiet:
                warnings.warn(f"image not embedded: {url}: {outcome}", ImageWarning, stacklevel=2)
        if late:
            warnings.warn(f"{late} of {len(unique)} images not embedded: {budget.reason}", ImageWarning,
                          stacklevel=2)
        return found

    def _budget(self, documents: int) -> net.Deadline:
        seconds = self.document_budget * max(1, documents)
        whose = "one document's images" if documents <= 1 else f"the images of {documents} documents"
        return net.Deadline.after(seconds, f"the {seconds:g} s allowed for {whose} ran out")

    def _get(self, url: str, budget: net.Deadline) -> FetchedImage | _Failure:
        cached = self.cache.load(url)
        if cached is not None:
            return cached
        reason = self.cache.load_failure(url)
        if reason is not None:
            return _Failure(f"{reason} (remembered)")
        if self.offline:
            return _Failure("offline and not in the cache", quiet=True)
        if budget.expired():
            return _Failure(budget.reason, late=True)
        try:
            image = _accept(url, self._download(url, budget))
        except _Failure as failure:
            if failure.permanent:
                self.cache.store_failure(url, str(failure))
            return failure
        self.cache.store(image)
        return image

    def _download(self, url: str, budget: net.Deadline) -> bytes:
        try:
            return self._http.get(url, budget).body
        except net.FetchTimeout as exc:
            raise _Failure(str(exc), late=budget.expired()) from None
        except net.FetchError as exc:
            raise _Failure(str(exc), permanent=exc.permanent) from None


def fetch_images(urls: Iterable[str], **options: object) -> dict[str, FetchedImage]:
    """Fetch ``urls`` with a new :class:`ImageFetcher` (``options`` are its keywords)."""
    return ImageFetcher(**options).fetch_all(urls)  # type: ignore[arg-type]
