"""The library API. The CLI is a thin layer over these functions."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from . import batch
from . import metadata as meta_fields
from .errors import ConversionError, FormatError, InputError, OutputError, sort_warnings
from .files import read_file, refuse_feed, write_atomic
from .writers import FormatInfo, format_infos, get_writer_class, make_writer

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .ast import Document

# The readers are imported by the functions that read, so that importing this module (and
# the CLI's --version and --help) stays cheap.


def parse(source: bytes | str, *, path: str | None = None) -> Document:
    """Parse a feed-HTML document (bytes in any supported encoding, or text) into a ``Document``.

    ``path`` is only used to name the document in errors and as a last-resort title.
    Raises ``InputError`` for empty, binary or undecodable input, and for a feed (RSS,
    Atom, JSON Feed), which holds many documents: read it with :func:`parse_feed`.
    """
    from .readers import feed

    if isinstance(source, bytes):
        refuse_feed(source, path)
    return feed.read(source, path)


def parse_feed(source: bytes, *, path: str | None = None) -> list[Document]:
    """The entries of a feed (RSS 0.9x/2.0, RSS 1.0, Atom 1.0, JSON Feed 1.x), as documents
    in the feed's order, each read like a saved item.

    Raises ``InputError`` for what is not a feed or cannot be read as one. An entry that
    cannot be read is left out with a warning naming it (``feed.xml#3: …``).
    """
    import warnings

    from .readers.syndication import read_feed

    name = path or "<feed>"
    parsed = read_feed(source, name)
    for note in parsed.warnings + parsed.problems:
        warnings.warn(note, stacklevel=2)
    docs = []
    for entry in parsed.entries:
        try:
            docs.append(entry.document())
        except ConversionError as exc:
            warnings.warn(str(exc.naming(entry.label)), stacklevel=2)
    return docs


def load_json(source: bytes | str, *, path: str | None = None) -> Document:
    """Load a document written by ``render(doc, "json")``."""
    from .readers import json as json_reader

    return json_reader.read(source, path)


def render(doc: Document, fmt: str, **options: Any) -> str | bytes:
    """Render ``doc`` in format ``fmt`` (a name from :func:`formats` or an alias such as ``md``).

    Options are the writer's own (e.g. ``width`` for text, ``front_matter`` for Markdown);
    an option the writer does not take raises ``OptionError``.
    """
    return make_writer(fmt, **options).write(doc)


def bundle(docs: Iterable[Document], *, title: str | None = None, order: str = "newest",
           **options: Any) -> bytes:
    """Many documents as one EPUB book, a chapter each (see ``converter.writers.epub.bundle``)."""
    from .writers.epub import bundle as build

    return build(docs, title=title, order=order, **options)


@dataclass(slots=True)
class Bundled:
    """What :func:`bundle_files` made: the book (``None`` when no input could be read, or when
    ``on_book`` took the books), a row per input (``converted``: a chapter of a book; ``failed``;
    ``skipped``: a repeat, or published outside ``since``/``until``), what the making warned
    about (images not embedded, each line naming its document), and each book's name and
    number of chapters, in order."""

    book: bytes | None
    report: batch.Report
    notes: list[str]
    books: list[tuple[str, int]] = field(default_factory=list)


def bundle_files(inputs: Sequence[str | os.PathLike[str]], *, title: str | None = None, order: str = "newest",
                 include: Iterable[str] = batch.DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                 follow_symlinks: bool | None = None, jobs: int | None = None, name: str | None = None,
                 on_result: Callable[[batch.FileResult], None] | None = None,
                 on_document: Callable[[], None] | None = None, group_by: str | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None, series: str | None = None,
                 on_book: Callable[[str, bytes], None] | None = None, plan: batch.Plan | None = None,
                 **options: Any) -> Bundled:
    """Files, folders and feeds (planned as :func:`convert_tree` plans them; a feed's entries
    each a document) as one EPUB book, a chapter per document that could be read; the others
    are reported, not raised. ``name`` is the book's name in the rows of the report;
    ``on_result`` is called as each input is read, ``on_document`` as each chapter's images
    are settled. Raises what :func:`bundle` raises.

    A digest (see :mod:`converter.digest`): ``since``/``until`` keep the documents published
    between them; ``group_by`` (``day``, ``week``, ``month``, ``site``) makes a book per
    group, each named from the template ``name`` (``digest-{date}.epub``) and handed to
    ``on_book(name, data)`` as soon as it is made (the books are not kept then); ``series``
    makes each book an issue of that series.

    Feeds named by URL, or listed in an OPML file, are fetched with ``options``' ``offline``,
    ``cache_dir`` and ``allow_private_hosts`` (see :mod:`converter.remote`). ``plan``: the
    inputs planned already (as here, ``pair=False``), which are then not planned again."""
    import warnings

    from .digest import books, select
    from .images import image_urls
    from .writers.epub import image_fetcher

    started = time.perf_counter()
    options, fields = meta_fields.split_options(options)
    make_writer("epub", **options)  # a bad option fails before any work
    if plan is None:
        from .remote import FetchOptions

        plan = batch.plan_inputs(list(inputs), "json", include=include, exclude=exclude,
                                 follow_symlinks=follow_symlinks, pair=False,  # one book, no output per input
                                 fetch=FetchOptions.of(options))
    fetcher = image_fetcher(**options)

    def begin_images(doc: Document) -> None:
        """The images of a document the books will hold are begun as it is read, not after all are."""
        if fetcher is not None and select([doc], since, until):
            fetcher.prefetch(image_urls(doc.blocks))

    docs, rows = batch.read_documents(plan.jobs.sources, jobs=jobs, on_result=on_result, on_read=begin_images)
    docs = [meta_fields.apply(doc, fields) for doc in docs]
    read = [row for row in rows if row.status == "converted"]
    made: list[tuple[str, int]] = []
    data: bytes | None = None
    book_of: dict[int, str] = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if docs:
            for book_name, chapters, build in books(
                    docs, name or "book.epub", group_by=group_by, since=since, until=until, title=title,
                    order=order, series=series, names=[row.name for row in read], on_document=on_document,
                    fetcher=fetcher, **options):
                data = build()
                made.append((book_name, len(chapters)))
                book_of.update((id(doc), book_name) for doc in chapters)
                if on_book is not None:
                    on_book(book_name, data)
                    data = None
    notes, missing = sort_warnings(caught)
    for doc, row in zip(docs, read, strict=True):
        if id(doc) in book_of:
            row._output = book_of[id(doc)] if name is not None else None
        else:  # published outside since/until
            row.status = "skipped"
    report = batch.Report([*plan.problems, *rows], seconds=time.perf_counter() - started)
    for row in report.results:
        report.counts[row.status] = report.counts.get(row.status, 0) + 1
        report.warnings += len(row.warnings) + (row.status == "skipped" and bool(row.error))
    report.warnings += len(notes)
    report.count_missing(missing)
    return Bundled(data, report, notes, made)


def formats() -> list[FormatInfo]:
    """Every output format: name, file extension, description, whether it is binary."""
    return format_infos()


def extension(fmt: str) -> str:
    """The file extension (without dot) the writer for ``fmt`` writes."""
    return get_writer_class(fmt).extension


def default_output(path: str | os.PathLike[str], fmt: str) -> Path:
    """Where a file's output goes without ``-o``: beside it, with the format's extension."""
    return Path(path).with_suffix("." + extension(fmt))


def convert_file(path: str | os.PathLike[str], to: str, output: str | os.PathLike[str] | None = None, *,
                 metadata: Mapping[str, Any] | None = None, **options: Any) -> Path:
    """Convert one file and write the result atomically; return the output path.

    Without ``output`` the result goes beside the input with the new extension. The input
    is never overwritten. ``metadata`` (``{"title": …, "author": …, "language": …, "date": …,
    "publisher": …, "subject": …}``) replaces what the reader found.
    """
    target = Path(output) if output is not None else default_output(path, to)
    fields = meta_fields.checked(metadata or {})
    writer = make_writer(to, **options)
    _refuse_overwriting_input(Path(path), target)
    doc = meta_fields.apply(read_file(path), fields)
    try:
        data = writer.write(doc)
    except ConversionError as exc:
        raise exc.naming(os.fspath(path)) from None
    write_atomic(target, data)
    return target


def convert_tree(src_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None, to: str, *,
                 jobs: int | None = None, executor: Executor | None = None,
                 include: Iterable[str] = batch.DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                 force: bool = False, on_result: Callable[[batch.FileResult], None] | None = None,
                 follow_symlinks: bool | None = None, metadata: Mapping[str, Any] | None = None,
                 **options: Any) -> batch.Report:
    """Convert every document under ``src_dir`` into ``out_dir``, mirroring the tree;
    ``metadata`` replaces what the reader found in each (see :func:`convert_file`).

    Each output is ``<name>.<ext>``; without ``out_dir`` outputs go beside their inputs.
    Work is spread over ``jobs`` processes (default: all cores), or handed to ``executor``
    (any ``concurrent.futures.Executor``). Outputs already converted from the same input with
    the same options are skipped unless ``force``. A file that fails is recorded in the report
    and the rest still convert; ``on_result`` is called for each file as it completes.

    Feeds in the folder (``*.xml``, ``*.rss``, ``*.atom``, ``*.rdf``, ``*.json`` holding RSS,
    Atom or JSON Feed) are converted an entry a file, into a folder named like the feed.

    Symbolic links are followed while they stay inside ``src_dir`` (a link leading out of it
    is reported as skipped), wherever they lead with ``follow_symlinks=True``, or not at all
    with ``follow_symlinks=False``. Only regular files are read: a FIFO, socket or device
    matching ``include`` is reported as failed, never opened.
    """
    root = Path(src_dir)
    if not root.is_dir():
        raise InputError("is not a folder", str(root))
    make_writer(to, **options)  # a bad format or option fails before any work
    if metadata:
        options[meta_fields.OPTION] = meta_fields.checked(metadata)
    plan = batch.plan_inputs([root], to, out_dir, include=include, exclude=exclude, follow_symlinks=follow_symlinks)
    return batch.run(plan, to, options, jobs=jobs, executor=executor, force=force,
                     on_result=on_result)


def convert_dataset(inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                    output: str | os.PathLike[str] | IO[bytes], to: str = "jsonl", *, jobs: int | None = None,
                    executor: Executor | None = None, include: Iterable[str] = batch.DEFAULT_INCLUDE,
                    exclude: Iterable[str] = (), force: bool = False,
                    on_result: Callable[[batch.FileResult], None] | None = None,
                    follow_symlinks: bool | None = None, **options: Any) -> batch.Report:
    """Write every document of ``inputs`` (files and folders, walked as :func:`convert_tree`
    walks them) as a row of one dataset ``output``: ``to="jsonl"`` (a file or a binary stream)
    or ``"parquet"`` (a file; needs ``converter[parquet]``), in input order.

    A row holds the source path, the SHA-256 of its bytes, a fingerprint of the converter and
    options, the metadata, and the document as Markdown and as plain text; ``options`` are the
    Markdown and text writers' (``width``, ``references``, ``front_matter``). A rerun rewrites
    the file atomically, keeping the rows of inputs that have not changed (``skipped`` in the
    report) unless ``force``. A file that fails is in the report; the others still get a row.
    """
    if not get_writer_class(to).dataset:
        raise FormatError(f"{to!r} is not a dataset format; choose jsonl or parquet")
    make_writer(to, **options)  # a bad option fails before any work
    names = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    plan = batch.plan_inputs(names, to, include=include, exclude=exclude, follow_symlinks=follow_symlinks,
                             pair=False, read_feeds=False)
    return batch.write_dataset(plan, to, options, output, jobs=jobs, executor=executor, force=force,
                               on_result=on_result)


def _refuse_overwriting_input(source: Path, target: Path) -> None:
    try:
        same = target.exists() and source.exists() and os.path.samefile(source, target)
    except OSError:
        same = False
    if same or target.resolve() == source.resolve():
        raise OutputError("the output would overwrite the input; choose another output with -o", str(source))
