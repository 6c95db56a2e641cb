"""The library API. The CLI is a thin layer over these functions.

The readers and the batch machinery are imported by the functions that use them, so that
importing this module (and running ``convert --version``) stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import batch
from .errors import ConversionError, InputError, OutputError
from .files import read_file, write_atomic
from .writers import FormatInfo, format_infos, get_writer_class, make_writer

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from .ast import Document


def parse(source: bytes | str, *, path: str | None = None) -> Document:
    """Parse a feed-HTML document (bytes in any supported encoding, or text) into a ``Document``.

    ``path`` is only used to name the document in errors and as a last-resort title.
    Raises ``InputError`` for empty, binary or undecodable input.
    """
    from .readers import feed

    return feed.read(source, path)


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
