"""Converting many files: plan, skip what is up to date, convert in parallel, report.

- *Planning* walks the inputs (include/exclude globs, hidden files skipped; special files,
  symlink loops, symlinks leaving the folder and unreadable folders reported) and maps each
  input to its output, refusing collisions and outputs that would overwrite an input, before
  anything is written.
- *Incremental*: a journal beside the outputs (``.converter-state.jsonl``) records, for each
  output, the input's size and modification time and a fingerprint of the converter version,
  format and options. An output whose record matches is skipped. The journal is appended to as
  files complete, so an interrupted run loses nothing: a rerun converts only what is missing.
- *Execution*: chunks of files go to a process pool (or any ``concurrent.futures.Executor``);
  each output is written atomically by the worker. Ctrl-C cancels what has not started, lets
  running chunks finish, and the report says the run was interrupted.
- *Memory* hardly grows with the archive: the plan holds each input's path and a few bytes
  (outputs are worked out when needed), the journal only the lines it read, the pool a few
  chunks per worker, and the report the rows of files that converted cleanly only when asked.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import gc
import hashlib
import inspect
import io
import json
import multiprocessing
import os
import re
import signal
import stat
import time
import warnings
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from .ast import Document
from .errors import ConversionError, OutputError
from .files import not_regular, printable, read_file, remove_temporaries, write_atomic
from .version import __version__
from .writers import get_writer_class, make_writer, writer_options

#: Inputs taken from a folder unless ``include`` says otherwise.
DEFAULT_INCLUDE = ("*.txt", "*.md", "*.html", "*.htm", "*.xhtml")
#: The journal of what was converted with which options, kept in the output folder.
STATE_FILE = ".converter-state.jsonl"
#: Files per task sent to a worker: large enough to amortise the hand-over, small enough that
#: Ctrl-C is honoured quickly and the load stays balanced.
CHUNK = 16
#: Chunks handed to a pool ahead of the workers, per worker: enough to keep them busy, few
#: enough that the main process holds only a window of the batch.
AHEAD = 4

#: A job: input, output, and the folder whose journal records it (None: not recorded).
Job = tuple[str, str, "str | None"]


class FileResult:
    """What happened to one input: ``converted``, ``skipped`` (up to date) or ``failed``.

    A batch keeps one per input, so the paths are held as strings and handed out as ``Path``.
    """

    __slots__ = ("_output", "_source", "error", "seconds", "stamp", "status", "warnings")

    def __init__(self, source: str | os.PathLike[str], output: str | os.PathLike[str] | None, status: str,
                 error: str = "", seconds: float = 0.0, warnings: Iterable[str] = (),
                 stamp: tuple[int, int] | None = None) -> None:
        self._source = os.fspath(source)
        self._output = None if output is None else os.fspath(output)
        self.status, self.error, self.seconds = status, error, seconds
        self.warnings: tuple[str, ...] = tuple(warnings)
        #: The input's size and modification time when a worker read it, for the journal
        #: (dropped once recorded).
        self.stamp = stamp

    @property
    def source(self) -> Path:
        return Path(self._source)

    @property
    def output(self) -> Path | None:
        return None if self._output is None else Path(self._output)

    def _fields(self) -> tuple[Any, ...]:
        return (self._source, self._output, self.status, self.error, self.seconds, self.warnings, self.stamp)

    def __reduce__(self) -> tuple[Any, ...]:  # compact pickles: results travel back from workers
        return FileResult, self._fields()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileResult) and self._fields() == other._fields()

    def __repr__(self) -> str:
        return (f"FileResult(source={self._source!r}, output={self._output!r}, status={self.status!r}, "
                f"error={self.error!r}, seconds={self.seconds!r})")


@dataclass(slots=True)
class Report:
    """The outcome of a batch: one row per input, in input order (or, when the batch was run
    with ``keep=False``, only the rows that failed or carry warnings), and the counts."""

    results: list[FileResult] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    #: Inputs per status (``converted``, ``skipped``, ``failed``).
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    @property
    def converted(self) -> int:
        return self.count("converted")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.count("failed") and not self.interrupted

    def summary(self) -> str:
        text = (f"{self.converted} converted, {self.skipped} skipped, {self.count('failed')} failed "
                f"in {self.seconds:.1f} s")
        return text + " (interrupted)" if self.interrupted else text


class Tree:
    """Where the outputs of one input tree go: ``src/rel/name.txt`` → ``out/rel/name.md``,
    recorded in ``out``'s journal. A file named on its own is a tree of one, with its output
    given and no journal (always converted, as a user at the shell expects)."""

    __slots__ = ("_base", "_cut", "_ext", "_output", "root")

    def __init__(self, src: str = "", out: str = "", ext: str = "", *, output: str | None = None) -> None:
        self._cut = len(os.path.join(src, "")) if src else 0
        self._base, self._ext = (os.path.join(out, "") if out else ""), ext
        self._output = output
        self.root = out if output is None else None

    def output(self, source: str) -> str:
        if self._output is not None:
            return self._output
        return self._base + os.path.splitext(source[self._cut:])[0] + self._ext


class Jobs:
    """The jobs of a plan: each input's path and its tree (the output is worked out when
    needed). A batch plans every file of an archive before it converts any, so this is what
    its memory grows with: a string and a few bytes per file."""

    __slots__ = ("_tree_of", "sources", "targets", "trees")

    def __init__(self) -> None:
        self.sources: list[str] = []
        self._tree_of = array("I")
        self.trees: list[Tree] = []
        #: The real path of each input that is a symbolic link (few), for :func:`plan`.
        self.targets: dict[str, str] = {}

    def add_tree(self, root: str | os.PathLike[str], out_root: str | os.PathLike[str], ext: str,
                 include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                 problems: list[FileResult] | None = None, follow_symlinks: bool | None = None) -> None:
        """Every input under ``root``, its output mirrored under ``out_root`` with the
        extension ``ext`` (``.md``); symbolic links followed as :func:`_walk` says."""
        src = os.fspath(root)
        tree = len(self.trees)
        self.trees.append(Tree(src, os.fspath(out_root), ext))
        for source in _walk(src, include, exclude, problems, follow_symlinks, self.targets):
            self.sources.append(source)
            self._tree_of.append(tree)

    def add_file(self, source: str | os.PathLike[str], output: str | os.PathLike[str]) -> None:
        name = os.fspath(source)
        self.trees.append(Tree(output=os.fspath(output)))
        self.sources.append(name)
        self._tree_of.append(len(self.trees) - 1)
        if os.path.islink(name):
            self.targets[name] = os.path.realpath(name)

    def output(self, i: int) -> str:
        return self.trees[self._tree_of[i]].output(self.sources[i])

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> Job:
        source, tree = self.sources[i], self.trees[self._tree_of[i]]
        return source, tree.output(source), tree.root

    def __iter__(self) -> Iterator[Job]:
        return map(self.__getitem__, range(len(self.sources)))

    def drop(self, indices: Container[int]) -> None:
        """Drop the jobs at these indices."""
        kept = [i for i in range(len(self.sources)) if i not in indices]
        self.sources = [self.sources[i] for i in kept]
        self._tree_of = array("I", (self._tree_of[i] for i in kept))


@dataclass(slots=True)
class Plan:
    """Jobs to do, plus the inputs (or folders) that cannot be converted (failed) or that
    were left out (skipped: a symbolic link not followed)."""

    jobs: Jobs = field(default_factory=Jobs)
    problems: list[FileResult] = field(default_factory=list)


# ---------------------------------------------------------------------------- planning


def _walk(root: str, include: Iterable[str], exclude: Iterable[str], problems: list[FileResult] | None,
          follow_symlinks: bool | None = None, targets: dict[str, str] | None = None) -> Iterator[str]:
    """Files under ``root`` matching ``include`` and not ``exclude``, in sorted order, as
    paths starting with ``root``.

    Hidden files and folders are skipped. Only regular files are inputs: a FIFO, socket or
    device that matches is reported in ``problems``, never opened. Symbolic links are
    followed while they stay inside ``root`` (``follow_symlinks=None``), wherever they lead
    (True) or not at all (False); a link not followed is reported as skipped. A folder is
    walked once: a link back into a folder being walked is reported instead of looping, a
    second way into one is skipped. ``targets`` receives the real path of each link yielded.
    """
    included, excluded = _pattern(include), _pattern(exclude)
    inside = os.path.join(os.path.realpath(root), "")
    seen: dict[tuple[int, int], str] = {}
    prefix = os.path.join(root, "")

    def report(path: str, message: str, status: str = "failed") -> None:
        if problems is not None:
            problems.append(FileResult(path, None, status, f"{path}: {message}"))

    folders = [root]
    while folders:
        folder = folders.pop()
        rel_dir = os.path.join(folder, "")[len(prefix):].replace(os.sep, "/")
        subfolders: list[str] = []
        for entry in _listing(folder, seen, report):
            name, rel = entry.name, rel_dir + entry.name
            if name.startswith(".") or _matches(rel, name, excluded):
                continue
            try:
                mode = _mode(entry)
            except OSError as exc:
                report(entry.path, f"cannot be read ({exc.strerror or exc})")
                continue
            if not stat.S_ISDIR(mode) and not _matches(rel, name, included):
                continue
            target = os.path.realpath(entry.path) if entry.is_symlink() else None
            if target is not None:
                why = _not_followed(target, inside, root, follow_symlinks)
                if why:
                    report(entry.path, why, "skipped")
                    continue
            if stat.S_ISDIR(mode):
                subfolders.append(entry.path)
                continue
            problem = not_regular(mode) if mode else "is a symbolic link to nothing (its target is missing)"
            if problem:
                report(entry.path, problem)
                continue
            if target is not None and targets is not None:
                targets[entry.path] = target
            yield entry.path
        folders.extend(reversed(subfolders))


def _listing(folder: str, seen: dict[tuple[int, int], str],
             report: Callable[[str, str, str], None]) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` sorted by name; none, reported, for a folder that cannot be
    read or was visited already (by ``seen``: each folder's first path): a link loop, or a
    second way in that is skipped, so that links cannot multiply the paths to walk."""
    try:
        st = os.stat(folder)
        first = seen.setdefault((st.st_dev, st.st_ino), folder)
        if first != folder:
            if folder.startswith(os.path.join(first, "")):
                report(folder, "symbolic link loop; not followed", "failed")
            else:
                report(folder, f"is the folder {first} again (symbolic links lead to both); not followed", "skipped")
            return []
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        report(exc.filename or folder, f"cannot be read ({exc.strerror or exc})", "failed")
        return []


def _mode(entry: os.DirEntry[str]) -> int:
    """The kind of file an entry is, links followed (0: a link to nothing); from the folder's
    listing where it says (a folder or a regular file), so most files cost no system call."""
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    try:
        return entry.stat().st_mode
    except FileNotFoundError:
        return 0


def _not_followed(target: str, inside: str, root: str, follow_symlinks: bool | None) -> str:
    """Why a symbolic link to ``target`` found under ``root`` (real path ``inside``) is not
    followed ("" when it is)."""
    if follow_symlinks is False:
        return "is a symbolic link; not followed (--no-follow-symlinks)"
    if follow_symlinks is None and not os.path.join(target, "").startswith(inside):
        return f"is a symbolic link to {target}, outside {root}; not followed (--follow-symlinks follows it)"
    return ""


def _pattern(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression for a list of globs (None for none), as ``fnmatch`` reads them."""
    globs = [os.path.normcase(g) for g in globs]
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


def _matches(rel: str, name: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether the file's name or its path under the root matches one of the globs."""
    return pattern is not None and (pattern.match(os.path.normcase(name)) is not None
                                    or pattern.match(os.path.normcase(rel)) is not None)


def plan(jobs: Jobs, problems: list[FileResult] | None = None) -> Plan:
    """Check the jobs before anything is written.

    Two inputs with the same output (``a.md`` and ``a.txt`` → ``a.epub``) are both refused, as
    is an output that is an input; nothing is overwritten silently. Paths are compared as the
    files they name (:func:`_file_keys`: an output folder reached through a symbolic link to the
    input folder is the input folder; an input that is a link is also the file it leads to).
    They are compared by hash first and only the few that share one by their text, so that
    checking an archive holds no second copy of its paths.
    """
    result = Plan(jobs, list(problems or []))
    key = _file_keys()
    hashes = array("q", (hash(key(jobs.output(i))) for i in range(len(jobs))))
    seen: set[int] = set()
    suspects: set[int] = set()
    for h in hashes:
        (suspects if h in seen else seen).add(h)
    # an input is its path, and the file it leads to when it is a symbolic link
    suspects.update(seen.intersection(hash(key(path)) for path in chain(jobs.sources, jobs.targets.values())))
    del seen
    if not suspects:
        return result
    claimants: dict[str, list[int]] = {}
    for i, h in enumerate(hashes):
        if h in suspects:
            claimants.setdefault(key(jobs.output(i)), []).append(i)
    inputs: dict[str, str] = {}  # key: the input it names
    for source, path in chain(zip(jobs.sources, jobs.sources), jobs.targets.items()):
        k = key(path)
        if hash(k) in suspects:
            inputs.setdefault(k, source)
    refused: dict[int, FileResult] = {}
    for k, indices in claimants.items():
        for i in indices:
            source, output = jobs.sources[i], jobs.output(i)
            if len(indices) > 1:
                others = ", ".join(jobs.sources[j] for j in indices if j != i)
                refused[i] = FileResult(source, None, "failed", f"{source}: has the same output {output} as "
                                        f"{others}; nothing was written for either")
            elif k in inputs:
                named = "" if inputs[k] == output else f" ({inputs[k]})"
                refused[i] = FileResult(source, None, "failed", f"{source}: its output {output} is an input{named}; "
                                        "choose another output folder with -o")
    result.problems.extend(refused[i] for i in sorted(refused))
    jobs.drop(refused)
    return result


def _file_keys() -> Callable[[str], str]:
    """What identifies the file a path names, to compare paths: the real path of its folder
    (symbolic links resolved, once per folder) and its name, in the file system's case.

    A rename replaces the name in the real folder, whatever the name is (a link included),
    so this is what an output would overwrite.
    """
    folders: dict[str, str] = {}
    split, case = os.path.split, os.path.normcase

    def key(path: str) -> str:
        folder, name = split(path)
        base = folders.get(folder)
        if base is None:
            base = folders[folder] = os.path.join(case(os.path.realpath(folder or os.curdir)), "")
        return base + case(name)

    return key


# ---------------------------------------------------------------------------- incremental state


def fingerprint(fmt: str, options: dict[str, Any]) -> str:
    """What an output depends on besides its input: converter version, format, options.

    Options are taken with the writer's defaults filled in, so ``width=80`` and no ``width``
    are the same thing.
    """
    cls = get_writer_class(fmt)
    params = inspect.signature(cls.__init__).parameters
    effective = {name: options.get(name, params[name].default) for name in writer_options(cls)}
    data = json.dumps({"version": __version__, "format": cls.name, "options": effective},
                      sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _source_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Journal:
    """The record of converted outputs in one folder, appended to as files complete.

    A line per output: ``{"output": its name in the folder, "fingerprint": fingerprint(...),
    "source": [input size, input mtime in ns]}``. In memory: the lines read at the start, by
    name, to tell what is up to date. Lines added during the run are kept in memory only when
    the file is rewritten at the end (it had lines already: the rewrite keeps one per output);
    a journal started afresh is only appended to, and is compact as it stands.
    """

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, STATE_FILE)
        self._prefix = os.path.join(folder, "")
        self.lines, compact = _read_journal(self.path)
        self._keep = bool(self.lines) or not compact  # the file gets rewritten: keep every line
        self._newline = not compact  # it may end in a line cut short: start on a new one
        self._pending: list[tuple[str, str]] = []
        self._fh: Any = None
        self.broken = False  # a write failed: stop trying (the rewrite in ``close`` may still work)

    def up_to_date(self, source: str, output: str, mark: str) -> bool:
        name = self._name(output)
        line = self.lines.get(name)
        return (line is not None and line == _journal_line(name, mark, _source_stamp(source))
                and os.path.exists(output))

    def record(self, output: str, mark: str, stamp: tuple[int, int] | None) -> None:
        """Note ``output`` as done (written out by :meth:`flush`)."""
        name = self._name(output)
        line = _journal_line(name, mark, stamp)
        if self._keep or self.broken:
            self.lines[name] = line
        if not self.broken:
            self._pending.append((name, line))

    def flush(self) -> str:
        """Append the lines recorded since the last flush; return why they could not be
        appended ("" when they were).

        A journal that cannot be written (full disk, no permission) costs only incrementality:
        the outputs are there, and the next run converts them again.
        """
        if not self._pending:
            return ""
        pending, self._pending = self._pending, []
        text = "".join(line for _, line in pending)
        try:
            if self._fh is None:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
                if self._newline:
                    text = "\n" + text
            self._fh.write(text)
            self._fh.flush()
        except OSError as exc:
            self.broken = True
            self.lines.update(pending)
            return (f"{self.path}: cannot be written ({exc.strerror or exc}); outputs from here on "
                    "are not recorded and the next run converts them again")
        return ""

    def close(self) -> None:
        """Append what is left, close, and rewrite the file with one line per output if it
        holds more (outputs converted again, lines cut short) or lacks some (a failed write)."""
        self.flush()
        with contextlib.suppress(OSError):
            if self._fh is not None:
                self._fh.close()
        if self.broken or (self._fh is not None and self._keep):
            lines = self.lines if self._keep else {**_read_journal(self.path)[0], **self.lines}
            with contextlib.suppress(ConversionError):
                write_atomic(self.path, "".join(lines.values()))
        self._fh = None

    def _name(self, output: str) -> str:
        if output.startswith(self._prefix):  # the usual case, without relpath's cost
            return output[len(self._prefix):]
        return os.path.relpath(output, os.path.dirname(self.path))


def _read_journal(path: str) -> tuple[dict[str, str], bool]:
    """A journal's lines by output name (the last of each), and whether the file is compact:
    one whole line per output (a kill can cut the last line short)."""
    lines: dict[str, str] = {}
    compact = True
    # bytes that are not UTF-8 (a damaged file) make their line match nothing: it is converted again
    with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                name = json.loads(line)["output"]
            except (ValueError, KeyError, TypeError):
                compact = False
                continue
            if not line.endswith("\n") or name in lines:
                compact, line = False, line.rstrip("\n") + "\n"
            lines[name] = line
    return lines, compact


def _journal_line(name: str, mark: str, stamp: tuple[int, int] | None) -> str:
    """One journal line, as ``json.dumps(..., ensure_ascii=False)`` writes it, formatted
    directly: the main process writes one per file, on the cores the workers need."""
    source = "null" if stamp is None else f"[{stamp[0]}, {stamp[1]}]"
    return f'{{"output": {_json_string(name)}, "fingerprint": {_json_string(mark)}, "source": {source}}}\n'


def _json_string(text: str) -> str:
    """``text`` as ``json.dumps(..., ensure_ascii=False)`` writes it, but for lone surrogates
    (a file name's bytes that were not UTF-8, as ``os.scandir`` hands them over), which UTF-8
    cannot hold: they are written ``\\udce9``, which ``json.loads`` reads back as they were,
    so the journal names such a file exactly and a rerun finds it up to date."""
    return _SURROGATE.sub(_escaped_surrogate, _encode_basestring(text))


_encode_basestring = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


# ---------------------------------------------------------------------------- execution


def convert_chunk(fmt: str, options: dict[str, Any], chunk: Sequence[Job]) -> list[FileResult]:
    """Convert a few files in this process (the unit of work sent to a pool worker): all at
    once when the writer can (``write_many``: pandoc's formats, one pandoc process per chunk)."""
    writer = make_writer(fmt, **options)
    if len(chunk) > 1 and callable(getattr(writer, "write_many", None)):
        return _convert_together(writer, chunk)
    results = []
    for source, output, _ in chunk:
        read = _read_input(source)
        if isinstance(read.doc, FileResult):
            results.append(read.doc)
            continue
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                write_atomic(output, writer.write(read.doc))
            except ConversionError as exc:
                results.append(_failure(source, exc, read.seconds + time.perf_counter() - started))
                continue
        results.append(_success(source, output, read, read.seconds + time.perf_counter() - started,
                                 [str(w.message) for w in caught]))
    return results


def _convert_together(writer: Any, chunk: Sequence[Job]) -> list[FileResult]:
    """:func:`convert_chunk` through ``writer.write_many``: every file read, the documents
    converted in one call, each output written atomically. Errors, warnings and seconds stay
    with their file, and a file that fails costs only itself."""
    reads = [_read_input(source) for source, _, _ in chunk]
    results: list[FileResult | None] = [r.doc if isinstance(r.doc, FileResult) else None for r in reads]
    todo = [i for i, r in enumerate(reads) if results[i] is None]
    for i, item in zip(todo, writer.write_many([reads[i].doc for i in todo])):
        (source, output, _), read = chunk[i], reads[i]
        started = time.perf_counter()
        try:
            if isinstance(item.output, ConversionError):
                raise item.output
            write_atomic(output, item.output)
        except ConversionError as exc:
            results[i] = _failure(source, exc, read.seconds + item.seconds + time.perf_counter() - started)
            continue
        results[i] = _success(source, output, read, read.seconds + item.seconds + time.perf_counter() - started,
                              item.warnings)
    return results  # type: ignore[return-value]  # every slot is filled


@dataclass(slots=True)
class _Read:
    """One input as a worker read it: the document (or the failed result), when it was read."""

    doc: Document | FileResult
    stamp: tuple[int, int] | None
    notes: list[str]
    seconds: float


def _read_input(source: str) -> _Read:
    """Read ``source`` with its warnings caught; a failure becomes its ``FileResult``."""
    started = time.perf_counter()
    stamp = _source_stamp(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            doc: Document | FileResult = read_file(source)
        except ConversionError as exc:
            doc = _failure(source, exc, time.perf_counter() - started)
    return _Read(doc, stamp, [str(w.message) for w in caught], time.perf_counter() - started)


def _failure(source: str, exc: ConversionError, seconds: float) -> FileResult:
    return FileResult(source, None, "failed", str(exc.naming(source)), seconds)


def _success(source: str, output: str, read: _Read, seconds: float, notes: list[str]) -> FileResult:
    return FileResult(source, output, "converted", "", seconds,
                      [f"{source}: {note}" for note in read.notes + notes], read.stamp)


def read_chunk(paths: Sequence[str | os.PathLike[str]]) -> list[Document | FileResult]:
    """Read a few documents in this process: each a ``Document``, or a failed ``FileResult``."""
    out: list[Document | FileResult] = []
    for path in paths:
        try:
            out.append(read_file(path))
        except ConversionError as exc:
            out.append(FileResult(path, None, "failed", str(exc)))
    return out


def read_documents(paths: Sequence[str | os.PathLike[str]], *, jobs: int | None = None,
                   on_result: Callable[[FileResult], None] | None = None) -> tuple[list[Document], list[FileResult]]:
    """Read many documents, in parallel when there are many; failures are returned, not raised."""
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    jobs = jobs or default_jobs()
    docs: list[Document] = []
    failures: list[FileResult] = []
    if jobs <= 1 or len(chunks) <= 1:
        results: Iterable[list[Document | FileResult]] = map(read_chunk, chunks)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_ignore_sigint)
        results = pool.map(read_chunk, chunks)
    try:
        for chunk, items in zip(chunks, results):
            for path, item in zip(chunk, items):
                if isinstance(item, FileResult):
                    failures.append(item)
                else:
                    docs.append(item)
                if on_result:
                    on_result(item if isinstance(item, FileResult) else FileResult(path, None, "converted"))
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return docs, failures


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which cancels and reports."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run(plan_: Plan, fmt: str, options: dict[str, Any], *, jobs: int | None = None,
        executor: Executor | None = None, force: bool = False,
        on_result: Callable[[FileResult], None] | None = None, keep: bool = True) -> Report:
    """Carry out a plan: skip what is up to date, convert the rest, report every input.

    ``keep=False`` keeps in the report only the rows that failed or carry warnings (the rest
    are counted and passed to ``on_result``), so memory does not grow with the archive.
    """
    started = time.perf_counter()
    mark = fingerprint(fmt, options)
    todo = plan_.jobs
    journals: dict[str, Journal] = {}
    rows: list[FileResult | None] = [None] * len(todo)
    counts: dict[str, int] = {}
    pending = array("q")  # indices of the jobs to do: 8 bytes each

    def take(i: int, result: FileResult) -> None:
        counts[result.status] = counts.get(result.status, 0) + 1
        if keep or result.status == "failed" or result.warnings:
            rows[i] = result

    for result in plan_.problems:  # failed, or skipped (a symbolic link not followed)
        counts[result.status] = counts.get(result.status, 0) + 1
        if on_result:
            on_result(result)
    for i, (source, output, root) in enumerate(todo):
        if root is not None and root not in journals:
            journals[root] = Journal(root)
        if root is not None and not force and journals[root].up_to_date(source, output, mark):
            result = FileResult(source, output, "skipped")
            take(i, result)
            if on_result:
                on_result(result)
        else:
            pending.append(i)
    _sweep_stale_temporaries({os.path.dirname(todo.output(i)) for i in pending})

    def finish(indices: Sequence[int], done: list[FileResult]) -> None:
        """Take a chunk's results: record them in their journals, then report them."""
        first: dict[str, FileResult] = {}  # per journal, the result to carry a write failure
        for i, result in zip(indices, done):
            source, output, root = todo[i]
            result._source = source  # the plan's string, not the copy unpickled
            if result._output is not None:
                result._output = output
            if result.status == "converted" and root is not None:
                journals[root].record(output, mark, result.stamp)
                first.setdefault(root, result)
            result.stamp = None
        for root, result in first.items():
            problem = journals[root].flush()
            if problem:
                result.warnings += (problem,)
        for i, result in zip(indices, done):
            take(i, result)
            if on_result:
                on_result(result)

    interrupted = False
    try:
        _execute(todo, pending, fmt, options, jobs or default_jobs(), executor, finish)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for journal in journals.values():
            journal.close()
    report = Report([r for r in rows if r is not None] + plan_.problems, interrupted, counts=counts)
    report.seconds = time.perf_counter() - started
    return report


#: What :func:`run` does with a chunk's results: the chunk's job indices, and their results.
Finish = Callable[[Sequence[int], list[FileResult]], None]


def _execute(jobs: Jobs, pending: Sequence[int], fmt: str, options: dict[str, Any], workers: int,
             executor: Executor | None, finish: Finish) -> None:
    """Convert the ``pending`` jobs in chunks: in this process for one worker, else on a pool.

    Files whose worker process died (killed, out of memory, a crash in a C library) are
    converted again one chunk, then one file, per fresh process, so that only the file that
    really kills its process is reported as failed and the others still convert.
    """
    chunks = (pending[i:i + CHUNK] for i in range(0, len(pending), CHUNK))
    if executor is None and (workers <= 1 or len(pending) <= CHUNK):
        for indices in chunks:
            finish(indices, convert_chunk(fmt, options, [jobs[i] for i in indices]))
        return
    with _heap_frozen() if executor is None else contextlib.nullcontext():
        lost = _run_on_pool(jobs, chunks, fmt, options, workers, executor, finish)
    _remove_temporaries(jobs[i] for indices in lost for i in indices)
    for indices in lost:
        if not _run_isolated(jobs, indices, fmt, options, finish):
            continue
        _remove_temporaries(jobs[i] for i in indices)
        for i in indices:  # the chunk killed its process again: find the file that does
            if _run_isolated(jobs, [i], fmt, options, finish):
                _remove_temporaries([jobs[i]])
                finish([i], [FileResult(jobs[i][0], None, "failed",
                                        f"{jobs[i][0]}: the process converting it died (killed or crashed); "
                                        "nothing was written")])


def _run_on_pool(jobs: Jobs, chunks: Iterator[Sequence[int]], fmt: str, options: dict[str, Any],
                 workers: int, executor: Executor | None, finish: Finish) -> list[Sequence[int]]:
    """Run chunks on a pool, a few per worker ahead; return the chunks whose worker died.

    A pool of our own that breaks is replaced and the batch goes on; one brought in cannot
    be, so the chunks not yet run are returned with the lost ones. Ctrl-C keeps what finished.
    """
    lost: list[Sequence[int]] = []
    running: dict[Future[list[FileResult]], Sequence[int]] = {}  # empty again whenever a pool is done
    while True:
        pool = executor or ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                               initializer=_ignore_sigint)
        broken = False

        def collect(future: Future[list[FileResult]]) -> None:
            nonlocal broken
            indices = running.pop(future)
            try:
                results = future.result()
            except BrokenExecutor:
                lost.append(indices)
                broken = True
                return
            finish(indices, results)

        try:
            while True:
                while not broken and len(running) < AHEAD * workers:
                    indices = next(chunks, None)
                    if indices is None:
                        break
                    try:
                        running[pool.submit(convert_chunk, fmt, options, [jobs[i] for i in indices])] = indices
                    except BrokenExecutor:
                        lost.append(indices)
                        broken = True
                if not running:
                    break
                for future in wait(running, return_when=FIRST_COMPLETED).done:
                    collect(future)
        except KeyboardInterrupt:
            for future in running:
                future.cancel()
            if executor is None:
                pool.shutdown(wait=True, cancel_futures=True)
            for future in list(running):  # chunks already running were allowed to finish: keep them
                if future.done() and not future.cancelled():
                    collect(future)
            raise
        finally:
            if executor is None:
                pool.shutdown(wait=True, cancel_futures=True)
        if not broken:
            return lost
        if executor is not None:
            return lost + list(chunks)


@contextlib.contextmanager
def _heap_frozen() -> Iterator[None]:
    """The objects that exist now left out of garbage collection while workers are forked
    from this process: a worker's collections would otherwise write to, and so copy, every
    page of the parent's heap it inherited (at 10,000 documents the workers' memory grew by a
    fifth). A heap the caller froze already is left as it is."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_isolated(jobs: Jobs, indices: Sequence[int], fmt: str, options: dict[str, Any],
                  finish: Finish) -> bool:
    """Convert a chunk in a process of its own; return whether that process died too."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_context(), initializer=_ignore_sigint) as pool:
        try:
            results = pool.submit(convert_chunk, fmt, options, [jobs[i] for i in indices]).result()
        except BrokenExecutor:
            return True
    finish(indices, results)
    return False


def _context() -> Any:
    """``fork`` where there is one: workers start at once with everything already imported."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def _remove_temporaries(jobs: Iterable[Job]) -> None:
    """Remove the temporary files of these outputs, which a dead worker left half written
    (others, live workers' included, are left alone: see :func:`files.remove_temporaries`)."""
    by_folder: dict[str, set[str]] = {}
    for _, output, _ in jobs:
        folder, name = os.path.split(output)
        by_folder.setdefault(folder, set()).add(name)
    for folder, names in by_folder.items():
        remove_temporaries(folder, names)


def _sweep_stale_temporaries(folders: Iterable[str]) -> None:
    """Remove the temporary files a killed run left behind (not those of a run still writing)."""
    for folder in folders:
        remove_temporaries(folder)


# ---------------------------------------------------------------------------- reports


def write_report(report: Report, path: str | os.PathLike[str]) -> None:
    """One row per input (input, status, output, error, seconds) as ``.json`` or ``.csv``;
    paths are written as :func:`files.printable` shows them (a cell is one line, whatever a
    file's name holds)."""
    rows = [{"input": printable(str(r.source)), "status": r.status,
             "output": printable(str(r.output)) if r.output else "", "error": printable(r.error),
             "seconds": round(r.seconds, 4)} for r in report.results]
    target = Path(path)
    if target.suffix.lower() == ".csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["input", "status", "output", "error", "seconds"])
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(target, buffer.getvalue())
    elif target.suffix.lower() == ".json":
        summary = {"converted": report.converted, "skipped": report.skipped, "failed": len(report.failed),
                   "interrupted": report.interrupted, "seconds": round(report.seconds, 3)}
        write_atomic(target, json.dumps({"summary": summary, "files": rows}, ensure_ascii=False, indent=1) + "\n")
    else:
        raise OutputError("a report must be a .json or .csv file", str(target))
