"""Feeds by URL: fetched under the image fetcher's rules, kept in a cache folder, asked for
again with a conditional request.

A URL named as an input (or listed in an OPML file) is a feed the user asked for, fetched
through :class:`converter.net.Fetcher`: ``http``/``https`` only, no loopback or private
address unless allowed, one deadline per URL, a size cap on the decoded body. What comes back
must be a feed (RSS, Atom, JSON Feed): a login page or an error page is refused, never cached.

Each feed fetched is kept in the cache folder (``feeds/`` under ``--cache-dir``, or beside the
images' default cache) with its validators (``ETag``, ``Last-Modified``). The next fetch sends
them back (``If-None-Match``, ``If-Modified-Since``); a 304 answer means the copy kept is
current, and it is read instead, so that a feed that has not changed costs one short request
(and, the journal knowing its entries, converts nothing). ``offline`` reads the copy kept and
makes no request.

httpx comes in with :mod:`converter.net` when the first feed is fetched: nothing here is
imported unless an input is a URL or an OPML list.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConversionError, InputError

if TYPE_CHECKING:
    from . import net

#: The largest feed fetched, decoded: full-text feeds run to a few MB, the largest archives'
#: to tens (a feed file on disk may hold up to the input cap).
MAX_FEED_BYTES = 32 * 1024 * 1024
#: Feeds fetched at once (an OPML list may name hundreds, some of them on hosts that never answer).
WORKERS = 4
ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
          "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5")
USER_AGENT = "converter (feed article to e-book; feed reader)"


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """How feeds are fetched: the options images are fetched with (``--offline``,
    ``--cache-dir``, ``--allow-private-hosts``), which a user gives once for both."""

    offline: bool = False
    cache_dir: str | None = None
    allow_private_hosts: bool = False

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> FetchOptions:
        """The fetch options among a writer's options (those it does not have: the defaults)."""
        cache_dir = options.get("cache_dir")
        return cls(bool(options.get("offline", False)), None if cache_dir is None else os.fspath(cache_dir),
                   bool(options.get("allow_private_hosts", False)))


@dataclass(frozen=True, slots=True)
class FetchedFeed:
    """A feed's bytes, and how they were had: ``fetched``, ``not modified`` (the cached copy,
    confirmed by a 304 answer), or ``offline`` (the cached copy, unconfirmed)."""

    url: str
    data: bytes
    how: str


def cache_folder(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where feeds are kept: ``feeds`` in ``--cache-dir``, else beside the images' default cache
    folder (in the user's cache directory)."""
    if cache_dir is not None:
        return Path(cache_dir) / "feeds"
    from .images import default_cache_dir

    return default_cache_dir().parent / "feeds"


@dataclass(frozen=True, slots=True)
class _Copy:
    """A feed kept in the cache, with the validators it came with."""

    data: bytes
    etag: str
    last_modified: str


class FeedCache:
    """One file per URL (named by its SHA-256): a line of JSON (the URL, the validators and
    the body's SHA-256), then the body. A file that does not match its line (damaged, or
    another URL's) is no copy. Written through a temporary renamed into place."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, url: str) -> Path:
        from .files import cache_path

        return cache_path(self.root, url)

    def load(self, url: str) -> _Copy | None:
        try:
            head, _, data = self._path(url).read_bytes().partition(b"\n")
            record = json.loads(head)
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("url") != url \
                or record.get("sha256") != hashlib.sha256(data).hexdigest():
            return None
        return _Copy(data, _string(record.get("etag")), _string(record.get("last_modified")))

    def store(self, url: str, data: bytes, etag: str, last_modified: str) -> None:
        """Keep ``data``; a cache that cannot be written costs a full fetch next time, and a warning."""
        from .files import write_atomic

        record = {"url": url, "etag": etag, "last_modified": last_modified,
                  "sha256": hashlib.sha256(data).hexdigest()}
        path = self._path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n" + data)
        except (OSError, ConversionError) as exc:
            warnings.warn(f"{url}: feed cache not written ({path.parent}): {exc}", stacklevel=3)


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


class FeedFetcher:
    """Fetches feeds by URL through the cache (see the module's notes)."""

    def __init__(self, options: FetchOptions | None = None, *, max_bytes: int = MAX_FEED_BYTES,
                 deadline: float | None = None, read_timeout: float | None = None) -> None:
        self.options = options or FetchOptions()
        self.cache = FeedCache(cache_folder(self.options.cache_dir))
        self._max_bytes = max_bytes
        self._timing = {key: value for key, value in (("deadline", deadline), ("read_timeout", read_timeout))
                        if value is not None}
        self._http: net.Fetcher | None = None

    def fetch(self, url: str) -> FetchedFeed:
        """The feed at ``url``. Raises ``InputError`` naming the URL when it cannot be had."""
        copy = self.cache.load(url)
        if self.options.offline:
            if copy is None:
                raise InputError("not in the feed cache, and --offline makes no request", url)
            return FetchedFeed(url, copy.data, "offline")
        from . import net

        try:
            response = self._fetcher().get(url, etag=copy.etag if copy else "",
                                           last_modified=copy.last_modified if copy else "")
        except net.FetchError as exc:
            raise InputError(f"cannot be fetched: {exc}", url) from None
        if response.status == 304 and copy is not None:
            self._renew(url, copy, response)
            return FetchedFeed(url, copy.data, "not modified")
        _refuse_other_content(response, url)
        self.cache.store(url, response.body, response.etag, response.last_modified)
        return FetchedFeed(url, response.body, "fetched")

    def _renew(self, url: str, copy: _Copy, response: net.Response) -> None:
        """Keep the validators a 304 carries, where they differ from the copy's (RFC 9111,
        4.3.4: a 304 updates the stored response's headers), so the next request sends them."""
        etag, last_modified = response.etag or copy.etag, response.last_modified or copy.last_modified
        if (etag, last_modified) != (copy.etag, copy.last_modified):
            self.cache.store(url, copy.data, etag, last_modified)

    def fetch_all(self, urls: Sequence[str],
                  had: Callable[[], None] | None = None) -> dict[str, FetchedFeed | InputError]:
        """Each of ``urls`` (a few at once), or why it could not be had; ``had`` is called as
        each one is (fetched, or given up)."""
        from . import net

        def one(url: str) -> FetchedFeed | InputError:
            try:
                return self.fetch(url)
            except InputError as exc:
                return exc

        unique = list(dict.fromkeys(urls))
        workers = 1 if self.options.offline else WORKERS
        done = (lambda _: had()) if had is not None else (lambda _: None)
        return dict(zip(unique, net.on_threads(one, unique, workers, done), strict=True))

    def _fetcher(self) -> net.Fetcher:
        from . import net

        if self._http is None:
            limits = net.Limits(max_bytes=self._max_bytes, allow_private_hosts=self.options.allow_private_hosts,
                                **self._timing)  # type: ignore[arg-type]
            self._http = net.Fetcher(limits, accept=ACCEPT, user_agent=USER_AGENT)
        return self._http


def _refuse_other_content(response: net.Response, url: str) -> None:
    """A body that is not a feed (a login or error page, an OPML list) is refused, and not cached."""
    from .readers.feed_kind import sniff

    if sniff(response.body) is None:
        shown = response.content_type.split(";")[0].strip() or "no content type"
        raise InputError(f"is not a feed (RSS, Atom or JSON Feed): the server sent {shown}", url)
