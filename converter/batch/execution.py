"""Carrying out a plan: chunks of files go to a process pool (or any
``concurrent.futures.Executor``); each output is written atomically by the worker. Files whose
worker died are converted again in fresh processes until the one that kills its process is
found; the temporaries dead workers left are removed. Ctrl-C stops at once: nothing more is
handed out, the workers are stopped in the middle of their chunks (each removes the temporary
it was writing and stops the pandoc it was running), and the report says the run was
interrupted; what they had written but not reported is converted again by the next run."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import time
import warnings
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

from .. import metadata
from ..ast import Document, Meta
from ..errors import ConversionError
from ..files import read_file, remove_temporaries, write_atomic
from ..readers.syndication import Entry
from ..writers import Written, make_writer
from .journal import Journal, Stamp, _identities, _source_stamp, fingerprint
from .planning import Job, Plan, source_name
from .report import FileResult, Report

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future, ProcessPoolExecutor

# concurrent.futures and multiprocessing (~20 ms to import) are imported where a pool is
# made: a plan converted in this process (one file, a few files, one job) needs neither.

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
    fails costs only itself. Metadata given with the options (:data:`converter.metadata.OPTION`)
    replaces what the reader found."""
    options, fields = metadata.split_options(options)
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
                yield metadata.apply(read.doc, fields)

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
                    item.warnings, item.missing_images)


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


def _success(source: str, output: str, read: _Read, seconds: float, notes: list[str],
             missing: tuple[str, ...] = ()) -> FileResult:
    return FileResult(source, output, "converted", "", seconds,
                      [f"{source}: {note}" for note in read.notes + notes], read.stamp,
                      missing_images=missing)


def _document(source: str | Entry) -> Document:
    return source.document() if isinstance(source, Entry) else read_file(source)


def read_chunk(paths: Sequence[str | os.PathLike[str] | Entry]) -> list[tuple[Document | None, FileResult]]:
    """Read a few documents (files, or feeds' entries) in this process: each with its row
    (``converted``, with the reader's warnings; or ``failed``), the document ``None`` when it
    failed."""
    out: list[tuple[Document | None, FileResult]] = []
    for path in paths:
        source = path if isinstance(path, Entry) else os.fspath(path)
        read = _read_input(source)
        if isinstance(read.doc, FileResult):
            out.append((None, read.doc))
        else:
            out.append((read.doc, _success(source_name(source), "", read, read.seconds, [])))
    return out


def read_documents(paths: Sequence[str | os.PathLike[str] | Entry], *, jobs: int | None = None,
                   on_result: Callable[[FileResult], None] | None = None,
                   on_read: Callable[[Document], None] | None = None) -> tuple[list[Document], list[FileResult]]:
    """Read many documents, in parallel when there are many: the documents read, in order,
    and a row per path (its warnings, or why it failed); failures are returned, not raised.
    ``on_read`` is given each document as soon as it is here (to begin work on it)."""
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    jobs = jobs or default_jobs()
    docs: list[Document] = []
    rows: list[FileResult] = []
    if jobs <= 1 or len(chunks) <= 1:
        results: Iterable[list[tuple[Document | None, FileResult]]] = map(read_chunk, chunks)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_ignore_sigint)
        results = pool.map(read_chunk, chunks)
    try:
        for items in results:
            for doc, row in items:
                if doc is not None:
                    docs.append(doc)
                    if on_read:
                        on_read(doc)
                row.stamp, row._output = None, None
                rows.append(row)
                if on_result:
                    on_result(row)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return docs, rows


def read_meta_chunk(paths: Sequence[str]) -> list[Meta | None]:
    """The metadata of a few documents (``None`` for one that cannot be read), their warnings
    left for the conversion to report."""
    out: list[Meta | None] = []
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(read_file(path).meta)
            except ConversionError:
                out.append(None)
    return out


def read_metas(paths: Sequence[str], *, jobs: int | None = None) -> list[Meta | None]:
    """The metadata of many documents, read in parallel when there are many (only the
    metadata comes back from the workers)."""
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(chunks) <= 1:
        return [meta for chunk in chunks for meta in read_meta_chunk(chunk)]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_ignore_sigint) as pool:
        return [meta for metas in pool.map(read_meta_chunk, chunks) for meta in metas]


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the main process, which stops them (:func:`_stop_workers`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _Stopped(BaseException):
    """Raised in a worker's chunk when the main process stops it (Ctrl-C)."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def _pool_chunk(task: Task, chunk: list[Job]) -> list[FileResult]:
    """``task`` (a chunk's work) in a pool worker that the main process can stop in the middle:
    while the chunk runs, SIGTERM unwinds it (the temporary being written is removed, the
    pandoc being run is killed) and the worker exits; between chunks SIGTERM's default ends it."""
    signal.signal(signal.SIGTERM, _stop)
    try:
        return task(chunk)
    except _Stopped:
        os._exit(128 + signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


#: Seconds stopped workers get to clean up before they are killed.
_STOP_GRACE = 2.0


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now (Ctrl-C): SIGTERM, then SIGKILL for any still there after
    :data:`_STOP_GRACE` seconds. ``terminate_workers`` where Python has it (3.14)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
    else:
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                process.terminate()
    deadline = time.monotonic() + _STOP_GRACE
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                process.kill()


def default_jobs(executor: Executor | None = None) -> int:
    """How many chunks run at once: the workers of ``executor`` where it says (a process
    pool's, a Dask cluster's threads), else this machine's cores."""
    client = getattr(executor, "_client", None)  # distributed's ClientExecutor
    if client is not None:
        with contextlib.suppress(Exception):
            return max(1, sum(client.nthreads().values()))
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _worker_lost(exc: BaseException) -> bool:
    """Whether a chunk failed because the process running it died rather than by its code:
    a broken process pool, or a Dask task that killed every worker it was retried on
    (``KilledWorker``; Dask retries a task whose worker died on another one first)."""
    from concurrent.futures import BrokenExecutor

    return isinstance(exc, BrokenExecutor) or any(cls.__name__ == "KilledWorker" for cls in type(exc).__mro__)


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
    warned = 0
    report = Report(counts=counts)
    pending = array("q")  # indices of the jobs to do: 8 bytes each

    def take(i: int, result: FileResult) -> None:
        nonlocal warned
        counts[result.status] = counts.get(result.status, 0) + 1
        warned += len(result.warnings)
        report.count_missing(result.missing_images)
        if keep or result.status == "failed" or result.warnings:
            rows[i] = result

    for result in plan_.problems:  # failed, or skipped (a symbolic link not followed)
        counts[result.status] = counts.get(result.status, 0) + 1
        warned += result.status == "skipped" and bool(result.error)
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
        _execute(todo, pending, partial(convert_chunk, fmt, options), jobs or default_jobs(executor), executor,
                 finish)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        for journal in journals.values():
            journal.close()
        if executor is not None:  # a worker that died there and was replaced left its temporaries
            _sweep_stale_temporaries({os.path.dirname(todo.output(i)) for i in pending})
    report.results = [r for r in rows if r is not None] + plan_.problems
    report.interrupted, report.warnings = interrupted, warned
    report.seconds = time.perf_counter() - started
    return report


#: What :func:`run` does with a chunk's results: the chunk's job indices, and their results.
Finish = Callable[[Sequence[int], list[FileResult]], None]


class JobList(Protocol):
    """The jobs a run takes its chunks from, by index (:class:`~.planning.Jobs`, or a dataset's)."""

    def __len__(self) -> int: ...

    def __getitem__(self, i: int, /) -> Job: ...


#: The unit of work sent to a worker: a chunk of jobs in, a result per job out, in order
#: (a module-level function, or a ``functools.partial`` of one, so that it can be pickled).
Task = Callable[[list[Job]], list[FileResult]]


def _execute(jobs: JobList, pending: Sequence[int], task: Task, workers: int,
             executor: Executor | None, finish: Finish, *, ordered: bool = False,
             writes: bool = True) -> None:
    """Run ``task`` on the ``pending`` jobs in chunks: in this process for one worker, else on
    a pool. ``ordered`` hands chunks to ``finish`` in the order of ``pending`` (a dataset
    writes its rows in input order), holding at most a window of chunks that finished early;
    otherwise as they finish. ``writes``: the workers write outputs, whose temporaries a dead
    worker leaves behind.

    Files whose worker process died (killed, out of memory, a crash in a C library) are
    converted again one chunk, then one file, per fresh process, so that only the file that
    really kills its process is reported as failed and the others still convert.
    """
    chunks = (pending[i:i + CHUNK] for i in range(0, len(pending), CHUNK))
    if executor is None and (workers <= 1 or len(pending) <= CHUNK):
        for indices in chunks:
            finish(indices, task([jobs[i] for i in indices]))
        return

    def recover(indices: Sequence[int]) -> None:
        _recover(jobs, indices, task, finish, writes)

    with _heap_frozen() if executor is None else contextlib.nullcontext():
        lost = _run_on_pool(jobs, chunks, task, workers, executor, finish, recover if ordered else None, writes)
    for indices in lost:
        recover(indices)


def _recover(jobs: JobList, indices: Sequence[int], task: Task, finish: Finish, writes: bool) -> None:
    """Run a chunk whose worker died again in a process of its own, and if that dies too,
    each of its files in one, to find the file that kills its process."""
    if writes:
        _remove_temporaries(jobs[i] for i in indices)
    if not _run_isolated(jobs, indices, task, finish, writes):
        return
    if writes:
        _remove_temporaries(jobs[i] for i in indices)
    for i in indices:
        if _run_isolated(jobs, [i], task, finish, writes):
            if writes:
                _remove_temporaries([jobs[i]])
            finish([i], [FileResult(source_name(jobs[i][0]), None, "failed",
                                    f"{source_name(jobs[i][0])}: the process converting it died (killed or "
                                    "crashed); nothing was written")])


def _run_on_pool(jobs: JobList, chunks: Iterator[Sequence[int]], task: Task, workers: int,
                 executor: Executor | None, finish: Finish,
                 recover: Callable[[Sequence[int]], None] | None = None,
                 writes: bool = True) -> list[Sequence[int]]:
    """Run chunks on a pool, a few per worker ahead; return the chunks whose worker died.

    A pool of our own that breaks is replaced and the batch goes on; one brought in cannot
    be, so the chunks not yet run are returned with the lost ones. Ctrl-C keeps what finished.

    With ``recover`` (ordered), chunks are finished in the order they were taken, a lost one
    recovered in its turn; chunks that finished early wait, and count against the window, so
    that what waits stays bounded.
    """
    from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, ProcessPoolExecutor, wait

    lost: list[Sequence[int]] = []
    running: dict[Future[list[FileResult]], tuple[int, Sequence[int]]] = {}  # empty whenever a pool is done
    ready: dict[int, tuple[Sequence[int], list[FileResult] | None]] = {}  # finished early (ordered)
    taken = turn = 0  # chunks taken; the next chunk to finish (ordered)

    def deliver(number: int, indices: Sequence[int], results: list[FileResult] | None) -> None:
        nonlocal turn
        if recover is None:
            if results is None:
                lost.append(indices)
            else:
                finish(indices, results)
            return
        ready[number] = (indices, results)
        while turn in ready:
            indices, results = ready.pop(turn)
            turn += 1
            if results is None:
                recover(indices)
            else:
                finish(indices, results)

    while True:
        pool = executor or ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                               initializer=_ignore_sigint)
        broken = False

        def collect(future: Future[list[FileResult]]) -> None:
            nonlocal broken
            number, indices = running.pop(future)
            try:
                results = future.result()
            except Exception as exc:
                if not _worker_lost(exc):
                    raise
                broken = broken or isinstance(exc, BrokenExecutor)
                deliver(number, indices, None)
                return
            deliver(number, indices, results)

        try:
            while True:
                while not broken and len(running) + len(ready) < AHEAD * workers:
                    indices = next(chunks, None)
                    if indices is None:
                        break
                    number, taken = taken, taken + 1
                    try:
                        chunk = [jobs[i] for i in indices]
                        if executor is None:
                            future = pool.submit(_pool_chunk, task, chunk)
                        else:
                            future = pool.submit(task, chunk)
                        running[future] = (number, indices)
                    except BrokenExecutor:
                        broken = True
                        deliver(number, indices, None)
                if not running:
                    break
                for future in wait(running, return_when=FIRST_COMPLETED).done:
                    collect(future)
        except KeyboardInterrupt:
            if executor is None:  # what was not handed out fails with the pool (cancelling it races the pool)
                _stop_workers(cast(ProcessPoolExecutor, pool))
                pool.shutdown(wait=True)
            else:
                for future in running:
                    future.cancel()
            for future in list(running):  # chunks that finished before the workers were stopped
                if future.done() and not future.cancelled() and future.exception() is None:
                    collect(future)
            if writes:
                _remove_temporaries(jobs[i] for _, indices in running.values() for i in indices)
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


def _run_isolated(jobs: JobList, indices: Sequence[int], task: Task, finish: Finish, writes: bool) -> bool:
    """Run a chunk in a process of its own; return whether that process died too."""
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=_context(), initializer=_ignore_sigint)
    try:
        results = pool.submit(_pool_chunk, task, [jobs[i] for i in indices]).result()
    except BrokenExecutor:
        return True
    except KeyboardInterrupt:
        _stop_workers(pool)
        if writes:
            _remove_temporaries(jobs[i] for i in indices)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    finish(indices, results)
    return False


def _context() -> Any:
    """``fork`` where there is one: workers start at once with everything already imported."""
    import multiprocessing

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
