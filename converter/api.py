"""The library API. The CLI is a thin layer over these functions."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .ast import Document
from .errors import ConversionError, InputError, OutputError
from .readers import feed, json as json_reader
from .writers import FormatInfo, format_infos, get_writer_class, make_writer

#: File name endings read as feed-HTML documents when converting a folder.
INPUT_SUFFIXES = (".txt", ".md", ".html", ".htm", ".xhtml")
#: Largest input read, so a stray huge file fails cleanly instead of exhausting memory.
MAX_INPUT_BYTES = 256 * 1024 * 1024


def parse(source: bytes | str, *, path: str | None = None) -> Document:
    """Parse a feed-HTML document (bytes in any supported encoding, or text) into a ``Document``.

    ``path`` is only used to name the document in errors and as a last-resort title.
    Raises ``InputError`` for empty, binary or undecodable input.
    """
    return feed.read(source, path)


def load_json(source: bytes | str, *, path: str | None = None) -> Document:
    """Load a document written by ``render(doc, "json")``."""
    return json_reader.read(source, path)


def render(doc: Document, fmt: str, **options: Any) -> str | bytes:
    """Render ``doc`` in format ``fmt`` (a name from :func:`formats` or an alias such as ``md``).

    Options are the writer's own (e.g. ``width`` for text, ``front_matter`` for Markdown);
    an option the writer does not take raises ``OptionError``.
    """
    return make_writer(fmt, **options).write(doc)


def formats() -> list[FormatInfo]:
    """Every output format: name, file extension, description, whether it is binary."""
    return format_infos()


def extension(fmt: str) -> str:
    """The file extension (without dot) the writer for ``fmt`` writes."""
    return get_writer_class(fmt).extension


def read_file(path: str | os.PathLike[str]) -> Document:
    """Read a document from disk: our JSON form for ``.json`` files, feed-HTML otherwise."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > MAX_INPUT_BYTES:
            raise InputError(f"is {size // 2**20} MiB; inputs over {MAX_INPUT_BYTES // 2**20} MiB are refused", name)
        with open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", name) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", name) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    if name.lower().endswith(".json"):
        return load_json(data, path=name)
    return parse(data, path=name)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write via a temporary file in the same folder and a rename: never a truncated output."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", str(target)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot be written ({exc.strerror or exc})", str(target)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
    write_atomic(target, writer.write(doc))
    return target


@dataclass(slots=True)
class FileResult:
    """What happened to one input of a batch."""

    source: Path
    output: Path | None
    status: str  # "converted" or "failed"
    error: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Report:
    """The outcome of a batch: one row per input, in input order."""

    results: list[FileResult] = field(default_factory=list)

    @property
    def converted(self) -> int:
        return sum(r.status == "converted" for r in self.results)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed


def iter_inputs(src_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Documents under a folder, recursively, sorted, skipping hidden files and folders."""
    root = Path(src_dir)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(INPUT_SUFFIXES):
                yield Path(folder) / name


def convert_tree(src_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None, to: str,
                 **options: Any) -> Report:
    """Convert every document under ``src_dir`` into ``out_dir``, mirroring the tree.

    Each output is ``<name>.<ext>``; without ``out_dir`` outputs go beside their inputs.
    A file that fails is recorded in the report and the rest still convert.
    """
    root = Path(src_dir)
    if not root.is_dir():
        raise InputError("is not a folder", str(root))
    pairs = []
    for source in iter_inputs(root):
        rel = source.relative_to(root)
        base = Path(out_dir) / rel if out_dir is not None else source
        pairs.append((source, base.with_suffix("." + extension(to))))
    return convert_many(pairs, to, **options)


def convert_many(pairs: list[tuple[Path, Path]], to: str, **options: Any) -> Report:
    """Convert (input, output) pairs, one by one; failures are recorded, not raised."""
    writer = make_writer(to, **options)
    report = Report()
    claimed: dict[Path, Path] = {}
    for source, target in pairs:
        started = time.perf_counter()
        try:
            first = claimed.setdefault(target.resolve(), source)
            if first != source:
                raise OutputError(f"has the same output {target} as {first}; rename one of them", str(source))
            _refuse_overwriting_input(source, target)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                write_atomic(target, writer.write(read_file(source)))
        except ConversionError as exc:
            report.results.append(FileResult(source, None, "failed", str(exc), time.perf_counter() - started))
            continue
        notes = [f"{source}: {w.message}" for w in caught]
        report.results.append(FileResult(source, target, "converted", "", time.perf_counter() - started, notes))
    return report


def _refuse_overwriting_input(source: Path, target: Path) -> None:
    try:
        same = target.exists() and source.exists() and os.path.samefile(source, target)
    except OSError:
        same = False
    if same or target.resolve() == source.resolve():
        raise OutputError("the output would overwrite the input; choose another output with -o", str(source))


@functools.cache
def _umask() -> int:
    """The process umask (read once: reading it means setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
