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

A host that does not answer (its name does not resolve, it refuses or drops the connection, it
says nothing) is remembered in the cache folder for :data:`SILENT_HOST_TTL` seconds
(:class:`HostMemory`): its other images are not asked for meanwhile, by this process or by any
other using the cache (the workers of a batch), so that a run without a network waits for each
dead host once, not once per image. Once a few hosts have timed out and none has answered, the
network is taken as down and no new host is asked either. Those images are counted
(:class:`ImagesSkipped`) rather than each reported. Until some host has answered, a host gets
:data:`PROBE_TIMEOUT` seconds to be looked up, accept the connection and start answering, not
the patient timeouts: a run without a network learns it after one short wait. Once the network
is known to work a slow server gets its full time, and an image cut off by the probe is asked
again with it.

Images can be asked for ahead of need (:meth:`ImageFetcher.prefetch`): a batch begins the images
of all its documents together, the first image of each host first, so that without a network the
hosts' timeouts run at the same time, and while documents are still being read.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import hashlib
import itertools
import os
import re
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import net
from .errors import ImagesSkipped, ImageWarning

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
#: How long a host that did not answer is left alone, in seconds: the length of a run, about;
#: short enough that the next run, once the network is back, asks again.
SILENT_HOST_TTL = 300.0
#: Hosts remembered at most (the oldest are forgotten first): the memory stays small whatever
#: an archive links to.
MAX_SILENT_HOSTS = 256
#: Hosts that must have timed out, none having answered, before the network is taken as down.
NETWORK_DOWN_AFTER = 2
#: Seconds a host may take to be looked up, to accept a connection and to start answering (and
#: between two reads) while no host has answered lately. Working image hosts answer in well
#: under a second (one lost SYN costs one more); a host cut off by it is asked again with the
#: patient timeouts as soon as any host has answered, so only a run where every host is that
#: slow goes without images (and says so). Once a host has answered, the network works and
#: ``connect_timeout``/``read_timeout`` hold.
PROBE_TIMEOUT = 2.0
USER_AGENT = "converter (feed article to e-book; image fetcher)"
#: Seconds between two looks at whether the network is down, while waiting for an image.
_POLL = 0.25

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
    """Why an image was not fetched; ``permanent`` failures are remembered by the cache,
    ``silent`` ones (the host did not answer) by :class:`HostMemory`; ``late`` ones (the
    document's time budget ran out) are counted in one warning, ``skipped`` ones (the host did
    not answer earlier) only counted."""

    def __init__(self, reason: str, *, permanent: bool = False, quiet: bool = False, late: bool = False,
                 silent: bool = False, skipped: bool = False, host: str = "", slow: bool = False,
                 answered: bool = False, probed: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent, self.quiet, self.late = permanent, quiet, late
        self.silent, self.skipped = silent, skipped
        self.host = host
        self.slow = slow  # it made us wait (a timeout)
        self.answered = answered  # the host answered (an error status, say): the network works
        self.probed = probed  # it timed out within the probe's time, shorter than the patient one


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
        from .files import cache_path

        return cache_path(self.root, url)

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


class HostMemory:
    """Hosts that did not answer lately, as files in a cache folder (``hosts/<hash>``, holding
    the reason, dated by their modification time), so that every process using the folder
    shares them: a worker process cannot see another's memory, but it sees the folder. Lookups
    are a ``stat`` per host and document; at most ``limit`` hosts are kept.

    It also tells when the network itself looks down: ``down_after`` hosts made us wait (a
    lookup, a connection or an answer that timed out) and no host has answered within the TTL.
    Then no new host is asked either, so that a run without a network waits a timeout or two,
    not one per host its archive links to. Hosts that fail at once (a name that does not exist,
    a refused connection) cost nothing, and do not count. Hosts cut off by the probe's shorter
    wait are kept apart (``hosts/probed/``): they count as silent only until a host answers.
    """

    def __init__(self, root: str | os.PathLike[str], ttl: float = SILENT_HOST_TTL,
                 limit: int = MAX_SILENT_HOSTS, down_after: int = NETWORK_DOWN_AFTER) -> None:
        self.root = Path(root) / "hosts"
        self.ttl, self.limit, self.down_after = ttl, limit, down_after
        self._known: dict[str, tuple[str, float, bool]] = {}  # what this process found: host -> (reason, when, probed)
        self._answered = 0.0  # when this process last marked the network as working

    def _path(self, host: str) -> Path:
        return self.root / hashlib.sha256(host.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def silent(self, host: str) -> tuple[str, float] | None:
        """Why ``host`` did not answer and how many seconds ago, if it was within the TTL;
        a host that did not answer a probe (see :meth:`remember`) only while the network is
        not known to work."""
        known = self._known.get(host)
        if known is None or time.time() - known[1] > self.ttl:  # another process may know better
            known = self._read(host)
            if known is None:
                return None
            self._known[host] = known
        reason, when, probed = known
        age = time.time() - when
        if age > self.ttl or (probed and self.network_works()):
            return None
        return reason, age

    def _read(self, host: str) -> tuple[str, float, bool] | None:
        for path, probed in ((self._path(host), False), (self.root / "probed" / self._path(host).name, True)):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                return path.read_text("utf-8"), path.stat().st_mtime, probed
        return None

    def remember(self, host: str, reason: str, *, slow: bool = False, probed: bool = False) -> None:
        """``host`` did not answer; ``slow``: it made us wait for that (a timeout); ``probed``:
        it was given only the probe's time, which a slow host may need more than, so it is
        asked again (with the patient timeout) once the network is known to work."""
        self._known[host] = (reason, time.time(), probed)
        folder = self.root / "probed" if probed else self.root
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(reason)
            os.replace(tmp, folder / self._path(host).name)
            if slow:
                (self.root / "slow").mkdir(exist_ok=True)
                self._touch(self.root / "slow" / self._path(host).name)
            self._forget_oldest()

    def answered(self) -> None:
        """A host answered: the network works (marked at most once a second per process)."""
        now = time.time()
        if now - self._answered > 1.0:
            self._answered = now
            with contextlib.suppress(OSError):
                self.root.mkdir(parents=True, exist_ok=True)
                self._touch(self.root / ".answered")

    def network_works(self) -> bool:
        """Whether a host answered within the TTL (in this process or another)."""
        now = time.time()
        if now - self._answered <= self.ttl:
            return True
        try:
            return now - (self.root / ".answered").stat().st_mtime <= self.ttl
        except OSError:
            return False

    def network_down(self) -> str | None:
        """Why no new host should be asked (the network looks down), or ``None``."""
        now = time.time()
        if self.network_works():
            return None
        try:
            slow = sum(1 for entry in os.scandir(self.root / "slow") if now - entry.stat().st_mtime <= self.ttl)
        except OSError:
            return None
        if slow < self.down_after:
            return None
        return f"the network looks down: {slow} hosts did not answer in time and none did"

    @staticmethod
    def _touch(path: Path) -> None:
        path.touch()
        os.utime(path)

    def _forget_oldest(self) -> None:
        """Keep at most ``limit`` hosts: the expired go first, then the oldest."""
        entries = []
        for folder in (self.root, self.root / "slow", self.root / "probed"):
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    with contextlib.suppress(OSError):
                        if not entry.name.startswith(".") and entry.is_file():
                            entries.append((entry.stat().st_mtime, entry.path))
        now = time.time()
        entries.sort()
        excess = len(entries) - self.limit
        for i, (when, path) in enumerate(entries):
            if i < excess or now - when > self.ttl:
                with contextlib.suppress(OSError):
                    os.unlink(path)


# ---------------------------------------------------------------------------- fetching


#: An image's place in a batch of documents: the label of the document that has it (its file,
#: its title, or "" for one document on its own) and its URL.
Documents = Sequence[tuple[str, Sequence[str]]]


@dataclass(slots=True)
class _Early:
    """An image asked for ahead of need (:meth:`ImageFetcher.prefetch`): its outcome, once had."""

    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    outcome: FetchedImage | _Failure | Exception | None = None


class _AheadQueue:
    """Images asked for ahead of need, in the order to fetch them: each host in turn (every
    host's first image, then every host's second…, over all that were queued). The images of a
    host whose first request is under way are passed over until it is over, so that a host
    that does not answer holds one thread, and the others try other hosts meanwhile. Not
    thread-safe: its owner locks."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, str, str, net.Deadline, _Early]] = []  # sorted: (turn, order, host…)
        self._turns: dict[str, int] = {}  # host -> its images queued so far
        self._order = itertools.count()
        self._trying: set[str] = set()  # hosts whose first request is under way
        self._tried: set[str] = set()  # hosts with a request over

    def __len__(self) -> int:
        return len(self._items)

    def add(self, url: str, budget: net.Deadline) -> _Early:
        host = _host(url)
        turn = self._turns[host] = self._turns.get(host, -1) + 1
        early = _Early()
        bisect.insort(self._items, (turn, next(self._order), host, url, budget, early))
        return early

    def take(self) -> tuple[str, str, net.Deadline, _Early] | None:
        """The next image to fetch (its host, URL, budget and place for the outcome), or
        ``None`` when every image left waits for its host's first request."""
        for i, (_, _, host, url, budget, early) in enumerate(self._items):
            if host not in self._trying:
                del self._items[i]
                if host not in self._tried:
                    self._trying.add(host)
                return host, url, budget, early
        return None

    def over(self, host: str) -> None:
        """A request to ``host`` is over: its other images may go."""
        self._trying.discard(host)
        self._tried.add(host)


class ImageFetcher:
    """Fetches images over HTTP(S) through :mod:`converter.net`, several at once, through a cache.

    Each image gets ``deadline`` seconds (redirects included) and ``max_bytes``; all the images
    of one document share ``document_budget`` seconds. A server may be silent for
    ``read_timeout`` seconds once the network is known to work (a host answered); before, a
    host gets at most ``probe_timeout`` seconds to connect and start answering. A host that
    does not answer is left alone for ``silent_host_ttl`` seconds (see :class:`HostMemory`).
    """

    def __init__(self, *, cache_dir: str | os.PathLike[str] | None = None, offline: bool = False,
                 allow_private_hosts: bool = False, max_bytes: int = net.DEFAULT_MAX_BYTES,
                 connect_timeout: float = net.DEFAULT_CONNECT_TIMEOUT,
                 read_timeout: float = net.DEFAULT_READ_TIMEOUT, deadline: float = net.DEFAULT_DEADLINE,
                 document_budget: float = DEFAULT_DOCUMENT_BUDGET, workers: int = DEFAULT_WORKERS,
                 silent_host_ttl: float = SILENT_HOST_TTL, probe_timeout: float = PROBE_TIMEOUT) -> None:
        root = cache_dir if cache_dir is not None else default_cache_dir()
        self.cache = ImageCache(root)
        self.hosts = HostMemory(root, silent_host_ttl)
        self.offline = offline
        self.document_budget = document_budget
        self.workers = max(1, workers)
        limits = net.Limits(max_bytes=max_bytes, connect_timeout=connect_timeout, read_timeout=read_timeout,
                            deadline=deadline, allow_private_hosts=allow_private_hosts)
        self._http = net.Fetcher(limits, accept="image/*", user_agent=USER_AGENT)
        probe = dataclasses.replace(limits, connect_timeout=min(connect_timeout, probe_timeout),
                                    read_timeout=min(read_timeout, probe_timeout))
        self._probing = net.Fetcher(probe, accept="image/*", user_agent=USER_AGENT)
        self._first: dict[str, threading.Event] = {}  # host -> set once its first request is over
        self._lock = threading.Lock()
        self._early: dict[str, _Early] = {}  # URL -> its request begun ahead, until a fetch takes it
        self._ahead = _AheadQueue()
        self._runners = 0  # threads working through the queue ahead

    def fetch(self, url: str) -> FetchedImage | None:
        """One image, or ``None`` (with an :class:`ImageWarning`) when it cannot be had."""
        return self.fetch_all([url]).get(url)

    def fetch_all(self, urls: Iterable[str], *, documents: int = 1) -> dict[str, FetchedImage]:
        """The images among ``urls`` that could be had, by URL; the rest are warned about.

        ``urls`` are the images of ``documents`` documents, which share ``documents`` times the
        per-document budget: once it is spent, the images not yet had are not fetched (those
        being fetched are cut short), and one warning says how many.
        """
        return self._fetch([("", list(urls))], self._budget(documents))

    def fetch_documents(self, documents: Documents,
                        on_document: Callable[[], None] | None = None) -> dict[str, FetchedImage]:
        """The images of several documents, fetched together within one budget per document
        that has any; each warning names the document (its label) whose image it is about, and
        ``on_document`` is called as each document's images are settled (had or given up)."""
        return self._fetch(documents, self._budget(sum(1 for _, urls in documents if urls)), on_document)

    def prefetch(self, urls: Iterable[str]) -> None:
        """Begin fetching one document's images on background threads and return at once;
        :meth:`fetch_all` and :meth:`fetch_documents` take the outcomes (waiting for those
        under way) instead of asking again, and report them. Over all the calls, images go
        each host in turn, at most ``workers`` at a time (see :class:`_AheadQueue`), so that
        without a network many hosts time out together, once. Offline, nothing is begun:
        the cache answers at once."""
        if self.offline:
            return
        budget = self._budget(1)
        with self._lock:
            for url in dict.fromkeys(urls):
                if url not in self._early:
                    self._early[url] = self._ahead.add(url, budget)
            start = max(0, min(self.workers, len(self._ahead)) - self._runners)
            self._runners += start
        for _ in range(start):
            threading.Thread(target=self._work_ahead, name="image prefetcher", daemon=True).start()

    def _work_ahead(self) -> None:
        """Fetch images from the queue ahead until none is left that may go (a daemon thread,
        as in :func:`net.on_threads`)."""
        while True:
            with self._lock:
                taken = self._ahead.take()
                if taken is None:
                    self._runners -= 1
                    return
            host, url, budget, early = taken
            try:
                early.outcome = self._get(url, budget)
            except Exception as exc:  # a bug: raised again where the outcome is taken
                early.outcome = exc
            finally:
                with self._lock:
                    self._ahead.over(host)
                early.done.set()

    def _take(self, url: str, budget: net.Deadline) -> FetchedImage | _Failure:
        """``url``'s outcome: the one begun ahead if there is one, else fetched now. One
        begun ahead is waited for within ``budget``, and no longer once the network looks
        down (the hosts still silent then are given up with the hosts not asked)."""
        with self._lock:
            early = self._early.pop(url, None)
        if early is None:
            return self._get(url, budget)
        while not early.done.wait(min(_POLL, max(0.0, budget.remaining()))):
            if budget.expired():
                return _Failure(budget.reason, late=True, host=_host(url))
            down = self.hosts.network_down()
            if down is not None:
                return _Failure(down, skipped=True, host=_host(url))
        if isinstance(early.outcome, (FetchedImage, _Failure)):
            return early.outcome
        raise early.outcome  # type: ignore[misc]  # a bug in the thread that fetched it

    def _fetch(self, documents: Documents, budget: net.Deadline,
               on_document: Callable[[], None] | None = None) -> dict[str, FetchedImage]:
        owner: dict[str, str] = {}  # each URL, fetched once, is reported against the first document naming it
        waiting: dict[str, list[int]] = {}  # URL -> the documents still waiting for it
        left = [len(set(urls)) for _, urls in documents]
        for number, (label, urls) in enumerate(documents):
            for url in dict.fromkeys(urls):
                owner.setdefault(url, label)
                waiting.setdefault(url, []).append(number)
        unique = list(owner)

        def settled(i: int) -> None:
            for number in waiting[unique[i]]:
                left[number] -= 1
                if left[number] == 0 and on_document is not None:
                    on_document()

        if on_document is not None:
            for count in left:
                if count == 0:
                    on_document()
        order = _by_host(unique)  # the first image of each host first: those are the ones that wait
        outcomes = net.on_threads(lambda url: self._take(url, budget), [unique[i] for i in order], self.workers,
                               lambda k: settled(order[k]))
        in_place: list[FetchedImage | _Failure] = [None] * len(unique)  # type: ignore[list-item]
        for k, i in enumerate(order):
            in_place[i] = outcomes[k]
        return self._report(unique, in_place, owner, budget)

    def _report(self, unique: list[str], outcomes: list[FetchedImage | _Failure], owner: dict[str, str],
                budget: net.Deadline) -> dict[str, FetchedImage]:
        """The images had; a warning for each image that was not (a document's images whose
        host did not answer: one warning, and those skipped for that: one counted, not shown)."""
        found: dict[str, FetchedImage] = {}
        late: dict[str, list[str]] = {}
        silent: dict[tuple[str, str], list[str]] = {}  # (document, host) -> the URLs that found it silent
        probed: set[str] = set()  # hosts cut off by the probe's short wait, asked again once a host answers
        skipped: dict[tuple[str, str], list[str]] = {}
        for url, outcome in zip(unique, outcomes, strict=True):
            label = owner[url]
            if isinstance(outcome, FetchedImage):
                found[url] = outcome
            elif outcome.late:
                late.setdefault(label, []).append(outcome.host)
            elif outcome.skipped:
                skipped.setdefault((label, outcome.host), []).append(outcome.reason)
            elif outcome.silent:
                silent.setdefault((label, outcome.host), []).append(f"{url}: {outcome}")
                if outcome.probed:
                    probed.add(outcome.host)
            elif not outcome.quiet:
                _warn(label, f"image not embedded: {url}: {outcome}", ImageWarning, (outcome.host,))
        for (label, host), reasons in silent.items():  # the images skipped meanwhile are told with them
            count = len(reasons) + len(skipped.pop((label, host), ()))
            more = f" (and {count - 1} more from it)" if count > 1 else ""
            _warn(label, f"image not embedded: {reasons[0]}{more}; {self._not_again(host, host in probed)}",
                  ImageWarning, (host,) * count)
        for (label, host), reasons in skipped.items():
            _warn(label, f"{_images(len(reasons))} from {host} not embedded: {reasons[0]}", ImagesSkipped,
                  (host,) * len(reasons))
        total = len(unique)
        for label, hosts in late.items():
            _warn(label, f"{len(hosts)} of {total} images not embedded: {budget.reason}", ImageWarning, tuple(hosts))
        return found

    def _not_again(self, host: str, probed: bool) -> str:
        """When a host that did not answer is asked again: after the TTL, or, cut off by the
        probe's short wait, as soon as some host has answered (the network then works)."""
        if probed:
            return (f"no image host has answered within {self._probing.limits.read_timeout:g} s yet; "
                    f"{host} is asked again, with more time, once one has")
        return f"{host} is not asked again for {self.hosts.ttl:g} s"

    def _budget(self, documents: int) -> net.Deadline:
        seconds = self.document_budget * max(1, documents)
        whose = "one document's images" if documents <= 1 else f"the images of {documents} documents"
        return net.Deadline.after(seconds, f"the {seconds:g} s allowed for {whose} ran out")

    def _get(self, url: str, budget: net.Deadline) -> FetchedImage | _Failure:
        cached = self.cache.load(url)
        if cached is not None:
            return cached
        host = _host(url)
        reason = self.cache.load_failure(url)
        if reason is not None:
            return _Failure(f"{reason} (remembered)", host=host)
        if self.offline:
            return _Failure("offline and not in the cache", quiet=True)
        first = self._first_of(host, budget)
        try:
            silent = self.hosts.silent(host)
            if silent is not None:
                return _Failure(f"it did not answer {silent[1]:.0f} s ago ({silent[0]})", skipped=True, host=host)
            down = self.hosts.network_down()
            if down is not None:
                return _Failure(down, skipped=True, host=host)
            if budget.expired():
                return _Failure(budget.reason, late=True, host=host)
            try:
                image = _accept(url, self._download(url, budget))
            except _Failure as failure:
                failure.host = failure.host or host
                if failure.permanent:
                    self.cache.store_failure(url, str(failure))
                if failure.silent:
                    self.hosts.remember(failure.host, str(failure), slow=failure.slow, probed=failure.probed)
                elif failure.answered:
                    self.hosts.answered()
                if failure.probed:  # asked again once the network works: its first request alone again
                    with self._lock:
                        self._first.pop(failure.host, None)
                return failure
            self.cache.store(image)
            return image
        finally:
            if first is not None:
                first.set()

    def _first_of(self, host: str, budget: net.Deadline) -> threading.Event | None:
        """The first request to ``host`` goes alone: the others wait until it is over (or the
        budget is spent), then find the host remembered if it did not answer. So a dead host
        costs one wait, not one per image being fetched at the time; and a resolver that drops
        lookups asked all at once is asked once per host. Returns the event to set when this
        request is the first."""
        with self._lock:
            event = self._first.get(host)
            if event is None:
                event = self._first[host] = threading.Event()
                return event
        event.wait(max(0.0, budget.remaining()))
        return None

    def _download(self, url: str, budget: net.Deadline) -> bytes:
        """``url``'s body: with the probe's short timeouts while no host has answered, and asked
        again with the patient ones if it was cut off by them while another host answered."""
        probing = not self.hosts.network_works() and self._probing.limits != self._http.limits
        try:
            return self._body(url, budget, probing)
        except _Failure as failure:
            if not (failure.probed and self.hosts.network_works()):
                raise
        return self._body(url, budget, False)

    def _body(self, url: str, budget: net.Deadline, probing: bool) -> bytes:
        http = self._probing if probing else self._http
        try:
            body = http.get(url, budget).body
        except net.FetchError as exc:
            host = exc.silent_host or _host(url)
            timeout = isinstance(exc, net.FetchTimeout)
            if timeout and budget.expired():
                raise _Failure(str(exc), late=True, host=host) from None
            raise _Failure(str(exc), permanent=exc.permanent, silent=bool(exc.silent_host), host=host,
                           slow=timeout, answered=exc.answered,
                           probed=timeout and probing and bool(exc.silent_host)) from None
        self.hosts.answered()
        return body


def _host(url: str) -> str:
    """An image's host as :mod:`converter.net` names a silent one (``name:port``), or, for a
    URL it would not fetch, the URL's authority."""
    import httpx

    try:
        parsed = httpx.URL(url)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        return f"{parsed.raw_host.decode('ascii')}:{port}" if parsed.raw_host else url.split("/")[0]
    except (httpx.InvalidURL, TypeError, UnicodeDecodeError):
        return url[:60]


def _by_host(urls: list[str]) -> list[int]:
    """The indices of ``urls`` taking each host in turn (its first image, then the next host's
    first …), so that the first requests of many hosts go out together, not one host's many."""
    rounds: dict[str, int] = {}
    keys = []
    for i, url in enumerate(urls):
        host = _host(url)
        turn = rounds[host] = rounds.get(host, -1) + 1
        keys.append((turn, i))
    return [i for _, i in sorted(keys)]


def _images(count: int) -> str:
    return "1 image" if count == 1 else f"{count} images"


def _warn(label: str, message: str, category: type[ImageWarning], hosts: tuple[str, ...]) -> None:
    """Issue an image warning, naming the document (``label``) it is about."""
    warnings.warn(category(f"{label}: {message}" if label else message, hosts), stacklevel=4)


def fetch_images(urls: Iterable[str], **options: object) -> dict[str, FetchedImage]:
    """Fetch ``urls`` with a new :class:`ImageFetcher` (``options`` are its keywords)."""
    return ImageFetcher(**options).fetch_all(urls)  # type: ignore[arg-type]


def image_urls(blocks: Iterable[object]) -> list[str]:
    """The URLs of the images in a document's ``blocks``, in order (repeats included)."""
    from . import ast as A

    return [node.url for node in A.walk(list(blocks)) if isinstance(node, A.Image)]  # type: ignore[arg-type]


def fetches_images(blocks: Iterable[object], *, offline: bool) -> bool:
    """Whether downloading the images of a document's ``blocks`` asks the network: it has
    some, and is not ``offline`` (the cache alone)."""
    return not offline and bool(image_urls(blocks))


def document_images(blocks: Iterable[object], *, offline: bool = False, cache_dir: str | None = None,
                    allow_private_hosts: bool = False) -> dict[str, FetchedImage]:
    """The images of a document's ``blocks`` that could be had, by URL (one budget, the
    warnings of :meth:`ImageFetcher.fetch_documents`)."""
    urls = image_urls(blocks)
    if not urls:
        return {}
    fetcher = ImageFetcher(cache_dir=cache_dir, offline=offline, allow_private_hosts=allow_private_hosts)
    return fetcher.fetch_documents([("", urls)])


def data_uri(image: FetchedImage) -> str:
    """The image as a ``data:`` URI, for a page that holds its images."""
    import base64

    return f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"
