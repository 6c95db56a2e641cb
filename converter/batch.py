"""Converting many files: plan, skip what is up to date, convert in parallel, report.

- *Planning* walks the inputs (include/exclude globs, hidden files skipped, symlink loops and
  unreadable folders reported) and maps each input to its output, refusing collisions and
  outputs that would overwrite an input, before anything is written.
- *Incremental*: a journal beside the outputs (``.converter-state.jsonl``) records, for each
  output, the input's size and modification time and a fingerprint of the converter version,
  format and options. An output whose record matches is skipped. The journal is appended to as
  files complete, so an interrupted run loses nothing: a rerun converts only what is missing.
- *Execution*: chunks of files go to a process pool (or any ``concurrent.futures.Executor``);
  each output is written atomically by the worker. Ctrl-C cancels what has not started, lets
  running chunks finish, and the report says the run was interrupted.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import hashlib
import inspect
import io
import json
import multiprocessing
import os
import re
import signal
import time
import warnings
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .version import __version__
from .ast import Document
from .errors import ConversionError, OutputError
from .files import read_file, write_atomic
from .writers import get_writer_class, make_writer, writer_options

#: Inputs taken from a folder unless ``include`` says otherwise.
DEFAULT_INCLUDE = ("*.txt", "*.md", "*.html", "*.htm", "*.xhtml")
#: The journal of what was converted with which options, kept in the output folder.
STATE_FILE = ".converter-state.jsonl"
#: Files per task sent to a worker: large enough to amortise the hand-over, small enough that
#: Ctrl-C is honoured quickly and the load stays balanced.
CHUNK = 16


@dataclass(slots=True)
class FileResult:
    """What happened to one input: ``converted``, ``skipped`` (up to date) or ``failed``."""

    source: Path
    output: Path | None
    status: str
    error: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: The input's size and modification time when it was read, for the journal.
    stamp: list[int] | None = None


@dataclass(slots=True)
class Report:
    """The outcome of a batch: one row per input, in input order."""

    results: list[FileResult] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

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
        return not self.failed and not self.interrupted

    def summary(self) -> str:
        text = (f"{self.converted} converted, {self.skipped} skipped, {len(self.failed)} failed "
                f"in {self.seconds:.1f} s")
        return text + " (interrupted)" if self.interrupted else text


@dataclass(slots=True)
class Plan:
    """Inputs paired with outputs, plus the inputs (or folders) that cannot be converted.

    ``roots`` names, for each output of a folder conversion, the folder whose journal records
    it: the output folder of the tree it belongs to (one journal per tree, not per subfolder).
    Files named one by one have no root: they are always converted, as a user at the shell
    expects.
    """

    jobs: list[tuple[Path, Path]] = field(default_factory=list)
    problems: list[FileResult] = field(default_factory=list)
    roots: dict[Path, Path] = field(default_factory=dict)


# ---------------------------------------------------------------------------- planning


def walk_inputs(root: Path, include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                problems: list[FileResult] | None = None) -> Iterator[Path]:
    """Files under ``root`` matching ``include`` and not ``exclude``, in sorted order.

    Hidden files and folders are skipped; symbolic links are followed, but a link back into a
    folder already visited is reported in ``problems`` instead of looping.
    """
    included, excluded = _pattern(include), _pattern(exclude)
    seen: set[tuple[int, int]] = set()

    def report(path: Path, message: str) -> None:
        if problems is not None:
            problems.append(FileResult(path, None, "failed", f"{path}: {message}"))

    def on_error(exc: OSError) -> None:
        report(Path(exc.filename or root), f"cannot be read ({exc.strerror or exc})")

    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=True):
        here = Path(folder)
        try:
            st = here.stat()
        except OSError as exc:
            on_error(exc)
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in seen:
            report(here, "symbolic link loop; not followed")
            dirs[:] = []
            continue
        seen.add((st.st_dev, st.st_ino))
        rel_dir = here.relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _matches(prefix + d, d, excluded))
        for name in sorted(files):
            rel = prefix + name
            if not name.startswith(".") and _matches(rel, name, included) and not _matches(rel, name, excluded):
                yield here / name


def _pattern(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression for a list of globs (None for none), as ``fnmatch`` reads them."""
    globs = [os.path.normcase(g) for g in globs]
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


def _matches(rel: str, name: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether the file's name or its path under the root matches one of the globs."""
    return pattern is not None and (pattern.match(os.path.normcase(name)) is not None
                                    or pattern.match(os.path.normcase(rel)) is not None)


def plan(pairs: Iterable[tuple[Path, Path]], problems: list[FileResult] | None = None,
         roots: dict[Path, Path] | None = None) -> Plan:
    """Check (input, output) pairs before anything is written.

    Two inputs with the same output (``a.md`` and ``a.txt`` → ``a.epub``) are both refused, as
    is an output that is an input; nothing is overwritten silently.
    """
    result = Plan(problems=list(problems or []), roots=dict(roots or {}))
    pairs = list(pairs)
    keys = [_key(output) for _, output in pairs]
    inputs = {_key(source) for source, _ in pairs}
    by_output: dict[str, list[Path]] = {}
    for (source, _), key in zip(pairs, keys):
        by_output.setdefault(key, []).append(source)
    for (source, output), key in zip(pairs, keys):
        claimants = by_output[key]
        if len(claimants) > 1:
            others = ", ".join(str(s) for s in claimants if s != source)
            result.problems.append(FileResult(source, None, "failed",
                                              f"{source}: has the same output {output} as {others}; "
                                              "nothing was written for either"))
        elif key in inputs:
            result.problems.append(FileResult(source, None, "failed",
                                              f"{source}: its output {output} is an input; "
                                              "choose another output folder with -o"))
        else:
            result.jobs.append((source, output))
    return result


def _key(path: Path) -> str:
    """What identifies a file's path: absolute, and in the file system's case."""
    return os.path.normcase(os.path.abspath(path))


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


def _source_stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class Journal:
    """The record of converted outputs in one folder, appended to as files complete."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self._prefix = os.path.join(str(folder), "")
        self.entries: dict[str, dict[str, Any]] = {}
        with contextlib.suppress(OSError), open(self.path, encoding="utf-8") as fh:
            for line in fh:
                with contextlib.suppress(ValueError):  # a line cut short by a kill
                    entry = json.loads(line)
                    self.entries[entry["output"]] = entry
        self._fh: Any = None
        self.broken = False  # a write failed: stop trying (the rewrite in ``close`` may still work)

    def up_to_date(self, source: Path, output: Path, mark: str) -> bool:
        entry = self.entries.get(self._name(output))
        return (entry is not None and entry.get("fingerprint") == mark
                and entry.get("source") == _source_stamp(source) and output.exists())

    def record(self, output: Path, mark: str, stamp: list[int] | None) -> str:
        """Note ``output`` as done; return why it could not be noted ("" when it was).

        A journal that cannot be written (full disk, no permission) costs only incrementality:
        the outputs are there, and the next run converts them again.
        """
        entry = {"output": self._name(output), "fingerprint": mark, "source": stamp}
        self.entries[entry["output"]] = entry
        if self.broken:
            return ""
        try:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")
            self._fh.write(_journal_line(entry))
            self._fh.flush()
        except OSError as exc:
            self.broken = True
            return (f"{self.path}: cannot be written ({exc.strerror or exc}); outputs from here on "
                    "are not recorded and the next run converts them again")
        return ""

    def close(self) -> None:
        """Rewrite the journal compactly (one line per output) and close it."""
        if self._fh is not None or self.broken:
            with contextlib.suppress(OSError):
                if self._fh is not None:
                    self._fh.close()
            self._fh = None
            lines = "".join(map(_journal_line, self.entries.values()))
            with contextlib.suppress(ConversionError):
                write_atomic(self.path, lines)

    def _name(self, output: Path) -> str:
        name = str(output)
        if name.startswith(self._prefix):  # the usual case, without relpath's cost
            return name[len(self._prefix):]
        return os.path.relpath(output, self.path.parent)


def _journal_line(entry: dict[str, Any]) -> str:
    """``json.dumps(entry, ensure_ascii=False)`` and a newline; the usual entry formatted
    directly (the main process writes one per file, on the cores the workers need)."""
    stamp = entry.get("source")
    if (list(entry) == _JOURNAL_KEYS and type(entry["output"]) is str and type(entry["fingerprint"]) is str
            and (stamp is None or (type(stamp) is list and len(stamp) == 2
                                   and all(type(n) is int for n in stamp)))):
        source = "null" if stamp is None else f"[{stamp[0]}, {stamp[1]}]"
        return (f'{{"output": {_json_string(entry["output"])}, '
                f'"fingerprint": {_json_string(entry["fingerprint"])}, "source": {source}}}\n')
    return json.dumps(entry, ensure_ascii=False) + "\n"


_json_string = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses
_JOURNAL_KEYS = ["output", "fingerprint", "source"]


# ---------------------------------------------------------------------------- execution


def convert_chunk(fmt: str, options: dict[str, Any], chunk: list[tuple[Path, Path]]) -> list[FileResult]:
    """Convert a few files in this process (the unit of work sent to a pool worker): all at
    once when the writer can (``write_many``: pandoc's formats, one pandoc process per chunk)."""
    writer = make_writer(fmt, **options)
    if len(chunk) > 1 and callable(getattr(writer, "write_many", None)):
        return _convert_together(writer, chunk)
    results = []
    for source, output in chunk:
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


def _convert_together(writer: Any, chunk: list[tuple[Path, Path]]) -> list[FileResult]:
    """:func:`convert_chunk` through ``writer.write_many``: every file read, the documents
    converted in one call, each output written atomically. Errors, warnings and seconds stay
    with their file, and a file that fails costs only itself."""
    reads = [_read_input(source) for source, _ in chunk]
    results: list[FileResult | None] = [r.doc if isinstance(r.doc, FileResult) else None for r in reads]
    todo = [i for i, r in enumerate(reads) if results[i] is None]
    for i, item in zip(todo, writer.write_many([reads[i].doc for i in todo])):
        (source, output), read = chunk[i], reads[i]
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
    stamp: list[int] | None
    notes: list[str]
    seconds: float


def _read_input(source: Path) -> _Read:
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


def _failure(source: Path, exc: ConversionError, seconds: float) -> FileResult:
    return FileResult(source, None, "failed", str(exc.naming(str(source))), seconds)


def _success(source: Path, output: Path, read: _Read, seconds: float, notes: list[str]) -> FileResult:
    return FileResult(source, output, "converted", "", seconds,
                      [f"{source}: {note}" for note in read.notes + notes], read.stamp)


def read_chunk(paths: list[Path]) -> list[Document | FileResult]:
    """Read a few documents in this process: each a ``Document``, or a failed ``FileResult``."""
    out: list[Document | FileResult] = []
    for path in paths:
        try:
            out.append(read_file(path))
        except ConversionError as exc:
            out.append(FileResult(path, None, "failed", str(exc)))
    return out


def read_documents(paths: list[Path], *, jobs: int | None = None,
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
        on_result: Callable[[FileResult], None] | None = None) -> Report:
    """Carry out a plan: skip what is up to date, convert the rest, report every input."""
    started = time.perf_counter()
    mark = fingerprint(fmt, options)
    journals: dict[Path, Journal] = {}
    rows: dict[Path, FileResult] = {}
    order = [source for source, _ in plan_.jobs]
    pending: list[tuple[Path, Path]] = []
    for result in plan_.problems:
        rows[result.source] = result
        order.append(result.source)
    for source, output in plan_.jobs:
        root = plan_.roots.get(output)
        if root is not None and root not in journals:
            journals[root] = Journal(root)
        if root is not None and not force and journals[root].up_to_date(source, output, mark):
            rows[source] = FileResult(source, output, "skipped")
        else:
            pending.append((source, output))
    for result in rows.values():
        if on_result:
            on_result(result)
    _sweep_stale_temporaries({output.parent for _, output in pending})

    def finish(result: FileResult) -> None:
        root = plan_.roots.get(result.output) if result.output is not None else None
        if result.status == "converted" and root is not None:
            problem = journals[root].record(result.output, mark, result.stamp)
            if problem:
                result.warnings.append(problem)
        rows[result.source] = result
        if on_result:
            on_result(result)

    interrupted = False
    try:
        _execute(pending, fmt, options, jobs or default_jobs(), executor, finish)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for journal in journals.values():
            journal.close()
    report = Report([rows[s] for s in dict.fromkeys(order) if s in rows], interrupted)
    report.seconds = time.perf_counter() - started
    return report


def _execute(pending: list[tuple[Path, Path]], fmt: str, options: dict[str, Any], jobs: int,
             executor: Executor | None, finish: Callable[[FileResult], None]) -> None:
    """Convert ``pending`` in chunks: in this process for one job, else on a pool.

    Files whose worker process died (killed, out of memory, a crash in a C library) are
    converted again one chunk, then one file, per fresh process, so that only the file that
    really kills its process is reported as failed and the others still convert.
    """
    chunks = [pending[i:i + CHUNK] for i in range(0, len(pending), CHUNK)]
    if executor is None and (jobs <= 1 or len(chunks) <= 1):
        for chunk in chunks:
            for result in convert_chunk(fmt, options, chunk):
                finish(result)
        return
    lost = _run_on_pool(chunks, fmt, options, jobs, executor, finish)
    _remove_temporaries(pair for chunk in lost for pair in chunk)
    for chunk in lost:
        if not _run_isolated(chunk, fmt, options, finish):
            continue
        _remove_temporaries(chunk)
        for pair in chunk:  # the chunk killed its process again: find the file that does
            if _run_isolated([pair], fmt, options, finish):
                _remove_temporaries([pair])
                finish(FileResult(pair[0], None, "failed",
                                  f"{pair[0]}: the process converting it died (killed or crashed); "
                                  "nothing was written"))


def _run_on_pool(chunks: list[list[tuple[Path, Path]]], fmt: str, options: dict[str, Any], jobs: int,
                 executor: Executor | None, finish: Callable[[FileResult], None]) -> list[list[tuple[Path, Path]]]:
    """Run chunks on a pool; return the chunks whose worker died. Ctrl-C keeps what finished."""
    own = executor is None
    pool = executor or ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_ignore_sigint)
    futures = {pool.submit(convert_chunk, fmt, options, chunk): chunk for chunk in chunks}
    handled: set[Future[list[FileResult]]] = set()
    lost: list[list[tuple[Path, Path]]] = []

    def collect(future: Future[list[FileResult]]) -> None:
        handled.add(future)
        try:
            results = future.result()
        except BrokenExecutor:
            lost.append(futures[future])
            return
        for result in _with_own_paths(futures[future], results):
            finish(result)

    try:
        for future in as_completed(futures):
            collect(future)
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:  # chunks already running were allowed to finish: keep them
            if future not in handled and future.done() and not future.cancelled():
                collect(future)
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    return lost


def _run_isolated(chunk: list[tuple[Path, Path]], fmt: str, options: dict[str, Any],
                  finish: Callable[[FileResult], None]) -> list[tuple[Path, Path]]:
    """Convert a chunk in a process of its own; return the chunk if that process died too."""
    with ProcessPoolExecutor(max_workers=1, mp_context=_context(), initializer=_ignore_sigint) as pool:
        try:
            results = pool.submit(convert_chunk, fmt, options, chunk).result()
        except BrokenExecutor:
            return chunk
    for result in _with_own_paths(chunk, results):
        finish(result)
    return []


def _with_own_paths(chunk: list[tuple[Path, Path]], results: list[FileResult]) -> list[FileResult]:
    """A worker's results (one per file of ``chunk``, in order) holding this process's path
    objects instead of the copies unpickled with them: the report keeps one of each path, and
    looking them up costs no re-hashing."""
    if len(results) == len(chunk):
        for (source, output), result in zip(chunk, results):
            if result.source == source:
                result.source = source
                if result.output is not None and result.output == output:
                    result.output = output
    return results


def _context() -> Any:
    """``fork`` where there is one: workers start at once with everything already imported."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def _remove_temporaries(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Remove the temporary files of these outputs, which a dead worker left half written.

    Only their own (``.name.XXXX.tmp``): other workers may be writing beside them.
    """
    by_folder: dict[Path, set[str]] = {}
    for _, output in pairs:
        by_folder.setdefault(output.parent, set()).add(output.name)
    for folder, names in by_folder.items():
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                name = entry.name
                if (name.startswith(".") and name.endswith(".tmp")
                        and name[1:-4].rpartition(".")[0] in names and entry.is_file()):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


def _sweep_stale_temporaries(folders: Iterable[Path]) -> None:
    """Remove temporary files a killed run left behind (``.name.XXXX.tmp``)."""
    for folder in folders:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


# ---------------------------------------------------------------------------- reports


def write_report(report: Report, path: str | os.PathLike[str]) -> None:
    """One row per input (input, status, output, error, seconds) as ``.json`` or ``.csv``."""
    rows = [{"input": str(r.source), "status": r.status, "output": str(r.output) if r.output else "",
             "error": r.error, "seconds": round(r.seconds, 4)} for r in report.results]
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
