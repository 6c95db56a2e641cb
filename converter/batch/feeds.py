"""Feeds in a batch: each entry of a feed is a job of its own, like a file.

A feed named as an input is told by its content; in a folder, files named ``*.xml``,
``*.rss``, ``*.atom``, ``*.rdf`` and ``*.json`` are looked at and taken when they hold a feed
(other such files are left alone, as before). A feed is read whole in the main process
(feedparser is not made for pieces); its entries, plain data, go to the workers.

Entries go to a folder: the one ``-o`` names, or beside the feed one named like it
(``news.xml`` → ``news/``; in a folder's tree, ``out/rel/news/``). Each is named from its
date and title (``2024-11-27-city-library.md``), with a short hash of its identity when
another entry has that name. An entry met before is converted once: in this run (the same id,
or link, in two feeds) and across runs (the journal of the output folder records each
entry's identities, so a rerun finds it, under the name it got the first time, up to date
unless its content changed).

A feed named by URL, or listed in an OPML file, is fetched (:mod:`converter.remote`) before
the plan is made, and its entries join the same path: the same identities, the same journal.
Its entries go to the folder ``-o`` names, or to one named from the URL (:func:`url_folder`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import warnings
from typing import TYPE_CHECKING

from ..errors import ConversionError, InputError
from ..files import read_head, read_input
from ..readers.feed_kind import sniff
from .report import FileResult

if TYPE_CHECKING:  # what only feeds need is imported where a feed is met (see planning)
    from collections.abc import Callable

    from ..readers.syndication import Entry
    from ..remote import FetchedFeed, FetchOptions
    from .planning import Jobs

#: Files a folder's walk looks into for a feed.
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
#: Characters of a title kept in an entry's file name.
_SLUG_LENGTH = 60
_NOT_WORD = re.compile(r"[\W_]+")
_NOT_URL_WORD = re.compile(r"(?:[^\w.]|_|\.{2,})+")
#: Characters of a URL kept in the name of its feed's folder.
_URL_FOLDER_LENGTH = 80


def is_feed(path: str) -> bool:
    """Whether the file ``path`` holds a feed, by its first bytes (False when it cannot be
    read: reading it as an item names the problem)."""
    return input_kind(path) not in (None, "opml")


def input_kind(path: str) -> str | None:
    """What the file ``path`` holds, by its first bytes: a feed's kind, ``"opml"`` for a list
    of feeds, None for anything else (or when it cannot be read)."""
    try:
        return sniff(read_head(path), lists=True)
    except ConversionError:
        return None


class Feeds:
    """The feeds of one plan, expanded into jobs: the identities seen, the outputs taken and
    what each output folder's journal records, shared by every feed of the plan."""

    def __init__(self, ext: str, fetch: FetchOptions | None = None,
                 on_fetch: Callable[[int], Callable[[], None]] | None = None) -> None:
        self.ext = ext
        self.fetch = fetch  # None: the defaults
        self.on_fetch = on_fetch  # see planning.plan_inputs
        self.seen: set[str] = set()
        self.taken: set[str] = set()
        self._recorded: dict[str, tuple[dict[str, str], set[str]]] = {}
        self._fetched: dict[str, FetchedFeed | InputError] = {}
        self._folders: dict[str, str] = {}  # the folder given to each URL's entries, and that URL

    def prefetch(self, urls: list[str]) -> None:
        """Fetch the feeds at ``urls`` now, a few at once, for :meth:`add_url` to take."""
        wanted = [url for url in dict.fromkeys(urls) if url not in self._fetched]
        if wanted:
            from ..remote import FeedFetcher, FetchOptions

            had = self.on_fetch(len(wanted)) if self.on_fetch is not None else None
            self._fetched.update(FeedFetcher(self.fetch or FetchOptions()).fetch_all(wanted, had))

    def add_url(self, jobs: Jobs, url: str, folder: str, root: str, problems: list[FileResult],
                listed_in: str = "") -> None:
        """The entries of the feed at ``url`` (fetched, or taken from the cache) as jobs, as
        :meth:`add` makes them; a feed that cannot be had is a problem naming the URL (and
        ``listed_in``, the OPML file that lists it)."""
        self.prefetch([url])
        got = self._fetched[url]
        if isinstance(got, InputError):
            where = f" (listed in {listed_in})" if listed_in else ""
            problems.append(FileResult(url, None, "failed", f"{got}{where}"))
            return
        self.add(jobs, url, folder, root, problems, got.data)

    def url_folder(self, url: str, parent: str) -> str:
        """The folder in ``parent`` for the entries of the feed at ``url`` (see :func:`url_folder`);
        a second URL whose name is the same gets a short hash of itself added."""
        folder = os.path.join(parent, url_folder(url))
        owner = self._folders.setdefault(os.path.normcase(folder), url)
        if owner != url:
            folder += url_suffix(url)
            self._folders[os.path.normcase(folder)] = url
        return folder

    def add(self, jobs: Jobs, path: str, folder: str, root: str, problems: list[FileResult],
            data: bytes | None = None) -> None:
        """The entries of the feed ``path`` (a file, or a URL with its ``data``) as jobs
        writing into ``folder``, recorded in the journal of ``root``; what cannot be read goes
        to ``problems``."""
        from ..readers.syndication import read_feed

        try:
            feed = read_feed(read_input(path) if data is None else data, path)
        except ConversionError as exc:
            problems.append(FileResult(path, None, "failed", str(exc.naming(path))))
            return
        for note in feed.warnings:
            warnings.warn(note, stacklevel=2)
        for problem in feed.problems:
            problems.append(FileResult(problem.partition(": ")[0], None, "failed", problem))
        if not feed.entries and not feed.problems:
            warnings.warn(f"{path}: holds no entries", stacklevel=2)
        recorded = self._journal(root)
        for entry in feed.entries:
            if self.seen.intersection(entry.identities):
                problems.append(FileResult(entry.label, None, "skipped"))
                continue
            self.seen.update(entry.identities)
            jobs.add_entry(entry, self._output(entry, folder, root, recorded), root)

    def _journal(self, root: str) -> tuple[dict[str, str], set[str]]:
        """What ``root``'s journal records: the output of each identity, and those outputs."""
        from .journal import recorded_entries

        if root not in self._recorded:
            by_identity = recorded_entries(root)
            self._recorded[root] = (by_identity, {os.path.normcase(os.path.join(root, name))
                                                  for name in by_identity.values()})
        return self._recorded[root]

    def _output(self, entry: Entry, folder: str, root: str, recorded: tuple[dict[str, str], set[str]]) -> str:
        """Where ``entry`` goes: where the journal says it went, else a name of its own."""
        by_identity, recorded_paths = recorded
        known = next((by_identity[i] for i in entry.identities if i in by_identity), None)
        if known is not None:
            output = os.path.join(root, known)
        else:
            base = os.path.join(folder, entry_name(entry))
            output = base + self.ext
            if os.path.normcase(output) in self.taken or os.path.normcase(output) in recorded_paths:
                output = f"{base}-{_short_hash(entry.identities[0])}{self.ext}"
        self.taken.add(os.path.normcase(output))
        return output


def entry_name(entry: Entry) -> str:
    """An entry's file name without extension: its UTC date and a slug of its title
    (``2024-11-27-城市图书馆延长开放时间``, ``2024-11-28-night-hours-at-the-city-library``)."""
    slug = _NOT_WORD.sub("-", unicodedata.normalize("NFKC", entry.title).lower()).strip("-")
    slug = slug[:_SLUG_LENGTH].strip("-") or "entry"
    if entry.published is None:
        return slug
    return f"{entry.published.astimezone(dt.timezone.utc).date().isoformat()}-{slug}"


def url_folder(url: str) -> str:
    """A folder's name for the entries of the feed at ``url``: its host (and port) and path,
    letters, digits and dots kept, the rest ``-`` (``https://example.org/rss/news.xml`` →
    ``example.org-rss-news``). Never empty, never hidden, never ``..``."""
    rest = url.split("://", 1)[-1].split("#", 1)[0]
    host, _, path = rest.partition("/")
    host = host.rpartition("@")[2]  # no user name or password in a folder's name
    path = re.sub(r"(?i)\.(?:xml|rss|atom|rdf|json)(?=$|\?)", "", path)
    slug = _NOT_URL_WORD.sub("-", unicodedata.normalize("NFKC", f"{host}/{path}").lower()).strip("-.")
    return slug[:_URL_FOLDER_LENGTH].strip("-.") or "feed"


def url_suffix(url: str) -> str:
    """What tells apart two URLs whose :func:`url_folder` is the same: a short hash of the URL."""
    return "-" + _short_hash(url)


def _short_hash(identity: str) -> str:
    import hashlib

    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:8]

