"""Digests: documents selected by publication time, split into books by day, week, month or
publisher, each book named from a template; and one name per publisher.

All dates are UTC, like the rest of the metadata, so that the same documents give the same
books wherever they are built.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from . import ast as A
from .errors import OptionError
from .writers.article import clean_line
from .writers.markup import safe_url

GROUPINGS = ("day", "week", "month", "site")
#: The fields a book's name may use.
FIELDS = ("date", "site", "title")
#: The section of documents with neither a site nor a link.
NO_SITE = "Other sources"
_UTC = dt.timezone.utc


# ---------------------------------------------------------------------------- publishers


def publisher_names(docs: Sequence[A.Document]) -> list[str]:
    """One name per publisher, for each document.

    Documents are of one publisher when they share a host (``www.`` aside) or a site name: an
    archive's items name their publisher (``德国之声``) where its front matter says so and only
    by their link's host (``dw.com``) where it does not, and a publisher's feeds may come from
    several hosts under one name. The name shown is the one most of its documents give that is
    not a bare host (the first of equals), else its commonest host.
    """
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        root = key
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[key] != root:
            parent[key], key = root, parent[key]
        return root

    keys: list[list[str]] = []
    names: list[tuple[str, str]] = []  # (name, host) per document
    for doc in docs:
        href = safe_url(doc.meta.url, ("http", "https"))
        host = _host(href) if href else ""
        name = clean_line(doc.meta.site)
        if name in (host, "www." + host):  # the host again (a name differing in case is a name: Nei.st)
            name = ""
        own = ([f"host:{host}"] if host else []) + ([f"name:{name}"] if name else [])
        for key in own[1:]:
            parent[find(key)] = find(own[0])
        keys.append(own)
        names.append((name, host))
    votes: dict[str, Counter[str]] = {}
    hosts: dict[str, Counter[str]] = {}
    for own, (name, host) in zip(keys, names, strict=True):
        if not own:
            continue
        root = find(own[0])
        if name:
            votes.setdefault(root, Counter())[name] += 1
        if host:
            hosts.setdefault(root, Counter())[host] += 1
    labels: dict[str, str] = {}
    for root in {find(own[0]) for own in keys if own}:
        counter = votes.get(root) or hosts[root]
        labels[root] = counter.most_common(1)[0][0]  # most_common keeps first-seen order among equals
    return [labels[find(own[0])] if own else NO_SITE for own in keys]


def _host(url: str) -> str:
    host = url.split("://", 1)[-1].split("/", 1)[0].split("@")[-1].split(":")[0].lower()
    return host.removeprefix("www.")


# ---------------------------------------------------------------------------- selecting


def parse_bound(text: str, *, end: bool) -> dt.datetime:
    """A ``--since``/``--until`` value: a date (the whole day, UTC) or an ISO 8601 time
    (UTC unless it says otherwise). ``end``: a date means the end of that day."""
    value = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), _UTC)
            return day + dt.timedelta(days=1) - dt.timedelta(microseconds=1) if end else day
        stamp = A.parse_datetime(value)
    except ValueError:
        raise OptionError(f"{text!r} is not a date (2024-11-27) or a time (2024-11-27T08:00:00Z)") from None
    return stamp.replace(tzinfo=_UTC) if stamp.tzinfo is None else stamp.astimezone(_UTC)


def select(docs: Sequence[A.Document], since: dt.datetime | None = None,
           until: dt.datetime | None = None) -> list[A.Document]:
    """The documents published from ``since`` to ``until`` (both included); with either
    bound, undated documents are left out."""
    if since is None and until is None:
        return list(docs)
    return [doc for doc in docs if doc.meta.published is not None
            and (since is None or doc.meta.published >= since) and (until is None or doc.meta.published <= until)]


# ---------------------------------------------------------------------------- grouping


@dataclass(slots=True)
class Group:
    """The documents of one book: what they share (a period or a publisher), in book order."""

    key: str  #: sorts the groups: the period's start, or the publisher's position
    date: str  #: ``{date}``: the day, ``2024-W48``, ``2024-11``; for a publisher, its newest day
    site: str  #: ``{site}``: the publisher, when the book has one, else ``mixed``
    label: str  #: what the title adds: the day, the week's days, the month, or the publisher
    index: int  #: the book's position in a series (``group-position``): 20241127, 202448, 202411, 1 …
    docs: list[A.Document]


def group(docs: Sequence[A.Document], by: str | None) -> list[Group]:
    """The documents as books: one (``by`` None), or one per day, ISO week, month or publisher,
    in time order (publishers: in order of their newest document). Undated documents make a
    book of their own (``undated``) when grouping by time."""
    if by is not None and by not in GROUPINGS:
        raise OptionError(f"group-by must be one of {', '.join(GROUPINGS)}, not {by!r}")
    names = publisher_names(docs)
    if by is None:
        return [_group("", list(docs), names, list(range(len(docs))), "", None)]
    buckets: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        buckets.setdefault(names[i] if by == "site" else _period(doc.meta.published, by), []).append(i)
    if by == "site":
        order = sorted(buckets, key=lambda name: (-_newest(docs, buckets[name]), name))
        return [_group(name, [docs[i] for i in buckets[name]], names, buckets[name], by, position)
                for position, name in enumerate(order, 1)]
    return [_group(period, [docs[i] for i in buckets[period]], names, buckets[period], by, None)
            for period in sorted(buckets, key=lambda p: (p == "undated", p))]


def _group(key: str, docs: list[A.Document], names: list[str], indices: list[int], by: str,
           position: int | None) -> Group:
    sites = list(dict.fromkeys(names[i] for i in indices))
    dates = sorted(d.meta.published for d in docs if d.meta.published is not None)
    newest = dates[-1].astimezone(_UTC).date().isoformat() if dates else "undated"
    if by in ("day", "week", "month"):
        date, label = key, _period_label(key, by)
        index = int(key.replace("-W", "").replace("-", "")) if key != "undated" else 0
    else:
        date, label = newest, (key if by == "site" else "")
        index = position if position is not None else (int(newest.replace("-", "")) if dates else 0)
    return Group(key, date, sites[0] if len(sites) == 1 else "mixed", label, index, docs)


def _period(when: dt.datetime | None, by: str) -> str:
    if when is None:
        return "undated"
    day = when.astimezone(_UTC).date()
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def _period_label(key: str, by: str) -> str:
    """A week as its days (``2024-11-25 – 2024-12-01``); a day or month as itself."""
    if by != "week" or key == "undated":
        return key
    year, week = key.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(week), 1)
    return f"{monday.isoformat()} – {(monday + dt.timedelta(days=6)).isoformat()}"


def _newest(docs: Sequence[A.Document], indices: list[int]) -> float:
    stamps = [when.timestamp() for when in (docs[i].meta.published for i in indices) if when is not None]
    return max(stamps, default=float("-inf"))


# ---------------------------------------------------------------------------- names


def check_template(template: str) -> list[str]:
    """The fields ``template`` uses; ``OptionError`` for one that is not a field."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise OptionError(f"the book name {template!r} is not a template ({exc}); write {{ and }} as {{{{ and }}}}") \
            from None
    for name in fields:
        if name not in FIELDS:
            raise OptionError(f"the book name {template!r} uses {{{name}}}; the fields are "
                              + ", ".join("{" + f + "}" for f in FIELDS))
    return fields


def book_names(template: str, groups: Sequence[Group], titles: Sequence[str], by: str | None) -> list[str]:
    """Each group's book name from ``template``. When books are split and the template does
    not tell them apart, the grouping's field is added before the extension
    (``digest.epub`` → ``digest-2024-11-27.epub``); names that still coincide get ``-2``, ``-3``."""
    fields = check_template(template)
    wanted = "site" if by == "site" else "date"
    if by is not None and wanted not in fields:
        stem, dot, ext = template.rpartition(".")
        template = f"{stem}-{{{wanted}}}.{ext}" if dot and "/" not in ext else f"{template}-{{{wanted}}}"
    names: list[str] = []
    seen: Counter[str] = Counter()
    for g, title in zip(groups, titles, strict=True):
        name = template.format(date=_safe(g.date), site=_safe(g.site), title=_safe(title))
        seen[name] += 1
        if seen[name] > 1:
            stem, dot, ext = name.rpartition(".")
            name = f"{stem}-{seen[name]}.{ext}" if dot else f"{name}-{seen[name]}"
        names.append(name)
    return names


_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def _safe(value: str) -> str:
    """A field's value fit for a file name: no separators or characters file systems refuse."""
    return _UNSAFE.sub("-", value).strip(" .-")[:80] or "untitled"


def book_title(title: str | None, g: Group, by: str | None) -> str | None:
    """A split book's title: the given one (or ``Articles``) and what its books share; an
    unsplit book's is the given one (None: the bundle's default)."""
    if by is None:
        return title
    if by == "site":
        return f"{title}: {g.label}" if title else g.label
    return f"{title or 'Articles'}, {g.label}"


# ---------------------------------------------------------------------------- books


def books(docs: Sequence[A.Document], name: str, *, group_by: str | None = None,
          since: dt.datetime | None = None, until: dt.datetime | None = None, title: str | None = None,
          order: str = "newest", series: str | None = None, names: Sequence[str] | None = None,
          **options: object) -> list[tuple[str, list[A.Document], Callable[[], bytes]]]:
    """The books a digest makes of ``docs``: for each, its file name (from the template
    ``name``, see :func:`book_names`), its documents, and a function that builds it (EPUB
    bytes; ``options`` are :func:`converter.writers.epub.bundle`'s; ``names``, one per
    document of ``docs``, name the documents in its warnings). Nothing is built until asked,
    so that each book can be written before the next is made. Raises ``OptionError`` for a
    bad grouping or template, ``InputError`` when no document is left."""
    from .errors import InputError
    from .writers.epub import ORDERS, bundle, default_title

    if order not in ORDERS:
        raise OptionError(f"order must be one of {', '.join(ORDERS)}, not {order!r}")
    label = {id(doc): n for doc, n in zip(docs, names, strict=True)} if names is not None else {}
    chosen = select(docs, since, until)
    if not chosen:
        raise InputError("no document was published in the time asked for; no book written" if docs
                         else "no documents to bundle")
    groups = group(chosen, group_by)
    titles = [book_title(title, g, group_by) for g in groups]
    shown = [t or default_title(sorted(d.meta.published for d in g.docs if d.meta.published is not None))
             for t, g in zip(titles, groups, strict=True)]
    files = book_names(name, groups, shown, group_by)

    def builder(g: Group, book_title_: str | None) -> Callable[[], bytes]:
        chapter_names = [label[id(d)] for d in g.docs] if label else None
        return lambda: bundle(g.docs, title=book_title_, order=order, series=series, series_index=g.index,
                              names=chapter_names, **options)  # type: ignore[arg-type]

    return [(n, g.docs, builder(g, t)) for n, g, t in zip(files, groups, titles, strict=True)]

