"""Carrying out a plan: chunks of files go to a process pool (or any
``concurrent.futures.Executor``); each output is written atomically by the worker. Files whose
worker died are converted again in fresh processes until the one that kills its process is
found; the temporaries dead workers left are removed. Ctrl-C cancels what has not started, lets
running chunks finish, and the report says the run was interrupted."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import time
import warnings
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from typing import Any

from ..ast import Document
from ..errors import ConversionError
from ..files import read_file, remove_temporaries, write_atomic
from ..readers.syndication import Entry
from ..writers import Written, make_writer
from .journal import Journal, Stamp, _identities, _source_stamp, fingerprint
from .planning import Job, Jobs, Plan, source_name
from .report import FileResult, Report

#: Files per task sent to a worker: large enough to amortise the hand-over, small enough that
#: Ctrl-C is honoured quickly and the load stays balanced.
CHUNK = 16
#: Chunks handed to a pool ahead of the workers, per worker: enough to keep them busy, few
#: enough that the main process holds only a window of the batch.
AHEAD = 4


def convert_chunk(fmt: str, options: dict[str, Any], chunk: Sequence[Job]) -> list[FileResult]:
    """Convert a few files in this process (the unit of work sent to a pool worker) through
    ``writer.write_many``: each output is written atomically as soon as the writer hands it over
    (one at a time for most writers; the whole chunk at once for pandoc's formats, one pandoc
    process per chunk). Errors, warnings and seconds stay with their file, and a file that
    fails costs only itself."""
    writer = make_writer(fmt, **options)
    results: list[FileResult | None] = [None] * len(chunk)
    waiting: deque[tuple[int, _Read]] = deque()  # files read and handed to the writer, in order

    def documents() -> Iterator[Document]:
        for i, (source, _, _) in enumerate(chunk):
            read = _read_input(source)
            if isinstance(read.doc, FileResult):
                results[i] = read.doc
            else:
                waiting.append((i, read))
                yield read.doc

    for item in writer.write_many(documents()):
        i, read = waiting.popleft()
        results[i] = _saved(chunk[i], read, item)
    return results  # type: ignore[return-value]  # every slot is filled


def _saved(job: Job, read: _Read, item: Written) -> FileResult:
    """The result of a file whose document the writer wrote (or failed to): its output saved."""
    source, output = source_name(job[0]), job[1]
    started = time.perf_counter()
    try:
        if isinstance(item.output, ConversionError):
            raise item.output
        write_atomic(output, item.output)
    except ConversionError as exc:
        return _failure(source, exc, read.seconds + item.seconds + time.perf_counter() - started)
    return _success(source, output, read, read.seconds + item.seconds + time.perf_counter() - started,
                    item.warnings)


@dataclass(slots=True)
class _Read:
    """One input as a worker read it: the document (or the failed result), when it was read."""

    doc: Document | FileResult
    stamp: Stamp
    notes: list[str]
    seconds: float


def _read_input(source: str | Entry) -> _Read:
    """Read ``source`` (a file, or a feed's entry) with its warnings caught; a failure becomes
    its ``FileResult``."""
    started = time.perf_counter()
    stamp = _source_stamp(source)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            doc: Document | FileResult = _document(source)
        except ConversionError as exc:
            doc = _failure(source_name(source), exc, time.perf_counter() - started)
    return _Read(doc, stamp, [str(w.message) for w in caught], time.perf_counter() - started)


def _failure(source: str, exc: ConversionError, seconds: float) -> FileResult:
    return FileResult(source, None, "failed", str(exc.naming(source)), seconds)


def _success(source: str, output: str, read: _Read, seconds: float, notes: list[str]) -> FileResult:
    return FileResult(source, output, "converted", "", seconds,
                      [f"{source}: {note}" for note in read.notes + notes], read.stamp)


def _document(source: str | os.PathLike[str] | Entry) -> Document:
    return source.document() if isinstance(source, Entry) else read_file(source)


def read_chunk(paths: Sequence[str | os.PathLike[str] | Entry]) -> list[Document | FileResult]:
    """Read a few documents (files, or feeds' entries) in this process: each a ``Document``,
    or a failed ``FileResult``."""
    out: list[Document | FileResult] = []
    for path in paths:
        try:
            out.append(_document(path))
        except ConversionError as exc:
            name = source_name(path) if isinstance(path, Entry) else os.fspath(path)
            out.append(FileResult(name, None, "failed", str(exc.naming(name))))
    return out


def read_documents(paths: Sequence[str | os.PathLike[str] | Entry], *, jobs: int | None = None,
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
        for chunk, items in zip(chunks, results, strict=True):
            for path, item in zip(chunk, items, strict=True):
                if isinstance(item, FileResult):
                    failures.append(item)
                else:
                    docs.append(item)
                if on_result:
                    name = path.label if isinstance(path, Entry) else path
                    on_result(item if isinstance(item, FileResult) else FileResult(name, None, "converted"))
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
            result = FileResult(source_name(source), output, "skipped")
            take(i, result)
            if on_result:
                on_result(result)
        else:
            pending.append(i)
    _sweep_stale_temporaries({os.path.dirname(todo.output(i)) for i in pending})

    def finish(indices: Sequence[int], done: list[FileResult]) -> None:
        """Take a chunk's results: record them in their journals, then report them."""
        first: dict[str, FileResult] = {}  # per journal, the result to carry a write failure
        for i, result in zip(indices, done, strict=True):
            source, output, root = todo[i]
            result._source = source_name(source)  # the plan's string, not the copy unpickled
            if result._output is not None:
                result._output = output
            if result.status == "converted" and root is not None:
                journals[root].record(output, mark, result.stamp, _identities(source))
                first.setdefault(root, result)
            result.stamp = None
        for root, result in first.items():
            problem = journals[root].flush()
            if problem:
                result.warnings += (problem,)
        for i, result in zip(indices, done, strict=True):
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
                name = source_name(jobs[i][0])
                finish([i], [FileResult(name, None, "failed",
                                        f"{name}: the process converting it died (killed or crashed); "
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
