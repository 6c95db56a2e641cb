"""The library API. The CLI is a thin layer over these functions."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from . import batch
from .ast import Document
from .errors import ConversionError, InputError, OutputError
from .files import read_file, refuse_feed, write_atomic
from .readers import feed
from .readers import json as json_reader
from .writers import FormatInfo, format_infos, get_writer_class, make_writer


def parse(source: bytes | str, *, path: str | None = None) -> Document:
    """Parse a feed-HTML document (bytes in any supported encoding, or text) into a ``Document``.

    ``path`` is only used to name the document in errors and as a last-resort title.
    Raises ``InputError`` for empty, binary or undecodable input, and for a feed (RSS,
    Atom, JSON Feed), which holds many documents: read it with :func:`parse_feed`.
    """
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


def formats() -> list[FormatInfo]:
    """Every output format: name, file extension, description, whether it is binary."""
    return format_infos()


def extension(fmt: str) -> str:
    """The file extension (without dot) the writer for ``fmt`` writes."""
    return get_writer_class(fmt).extension


def default_output(path: str | os.PathLike[str], fmt: str) -> Path:
    """Where a file's output goes without ``-o``: beside it, with the format's extension."""
    return Path(path).with_suffix("." + extension(fmt))


def convert_file(path: str | os.PathLike[str], to: str, output: str | os.PathLike[str] | None = None,
                 **options: Any) -> Path:
    """Convert one file and write the result atomically; return the output path.

    Without ``output`` the result goes beside the input with the new extension. The input
    is never overwritten.
    """
    target = Path(output) if output is not None else default_output(path, to)
    writer = make_writer(to, **options)
    _refuse_overwriting_input(Path(path), target)
    doc = read_file(path)
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
                 follow_symlinks: bool | None = None, **options: Any) -> batch.Report:
    """Convert every document under ``src_dir`` into ``out_dir``, mirroring the tree.

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
    plan = batch.plan_inputs([root], to, out_dir, include=include, exclude=exclude, follow_symlinks=follow_symlinks)
    return batch.run(plan, to, options, jobs=jobs, executor=executor, force=force,
                     on_result=on_result)


def _refuse_overwriting_input(source: Path, target: Path) -> None:
    try:
        same = target.exists() and source.exists() and os.path.samefile(source, target)
    except OSError:
        same = False
    if same or target.resolve() == source.resolve():
        raise OutputError("the output would overwrite the input; choose another output with -o", str(source))
