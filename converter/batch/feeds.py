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
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
import warnings
from typing import TYPE_CHECKING

from ..errors import ConversionError
from ..files import read_head, read_input
from ..readers.syndication import Entry, read_feed, sniff
from .journal import recorded_entries
from .report import FileResult

if TYPE_CHECKING:
    from .planning import Jobs

#: Files a folder's walk looks into for a feed.
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
#: Characters of a title kept in an entry's file name.
_SLUG_LENGTH = 60
_NOT_WORD = re.compile(r"[\W_]+")


def is_feed(path: str) -> bool:
    """Whether the file ``path`` holds a feed, by its first bytes (False when it cannot be
    read: reading it as an item names the problem)."""
    try:
        return sniff(read_head(path)) is not None
    except ConversionError:
        return False


class Feeds:
    """The feeds of one plan, expanded into jobs: the identities seen, the outputs taken and
    what each output folder's journal records, shared by every feed of the plan."""

    def __init__(self, ext: str) -> None:
        self.ext = ext
        self.seen: set[str] = set()
        self.taken: set[str] = set()
        self._recorded: dict[str, tuple[dict[str, str], set[str]]] = {}

    def add(self, jobs: Jobs, path: str, folder: str, root: str, problems: list[FileResult]) -> None:
        """The entries of the feed ``path`` as jobs writing into ``folder``, recorded in the
        journal of ``root``; what cannot be read goes to ``problems``."""
        try:
            feed = read_feed(read_input(path), path)
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


def _short_hash(identity: str) -> str:
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:8]

