"""Writing a dataset: every input becomes a row of one output (JSON Lines or Parquet, see
:mod:`converter.writers.dataset`), in input order.

Workers make the rows, a chunk of files each, as a batch converts files (the same pool, dead
workers and Ctrl-C: :mod:`.execution`); the main process writes them in input order as they
come, so that memory holds a window of chunks, not the dataset.

*Incremental, by an atomic rewrite.* A rerun writes the whole file again, through a temporary
that takes the file's name at the end, and keeps, without converting it again, the row of each
input whose bytes still have the row's ``sha256`` and whose row was made by the same converter
with the same options (its ``fingerprint``). Appending instead would leave the old row of a
changed input beside the new one and put new inputs out of order; a rewrite keeps one row per
input, in input order, drops the rows of inputs that are gone, and a reader never sees a file
half written. Reading the inputs to hash them costs far less than converting them.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from functools import partial
from typing import IO, TYPE_CHECKING, Any, cast

from ..errors import ConversionError, OutputError
from ..files import printable, read_document, read_input, refuse_feed
from ..readers.syndication import Entry
from ..writers import make_writer
from .execution import _execute, default_jobs
from .planning import Job, Plan
from .report import FileResult, Report

if TYPE_CHECKING:  # the writers are imported when a dataset is written, not when converter is
    from ..writers.dataset import DatasetWriter


def dataset_chunk(fmt: str, options: dict[str, Any], chunk: Sequence[Job]) -> list[FileResult]:
    """Make the rows of a few files in this process (the unit of work sent to a worker). A job
    here is ``(source, sha256 of its row in the previous file or "", None)``: an input whose
    bytes still hash to it is ``skipped`` (its row is kept), without being converted."""
    writer = cast("DatasetWriter", make_writer(fmt, **options))
    return [_row(writer, cast(str, source), previous) for source, previous, _ in chunk]  # files: see _files


def _row(writer: DatasetWriter, source: str, previous: str) -> FileResult:
    from ..writers.dataset import content_hash

    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            data = read_input(source)
            sha256 = content_hash(data)
            if sha256 == previous:
                return FileResult(source, None, "skipped", seconds=time.perf_counter() - started)
            refuse_feed(data, source)  # a feed is many documents, not a row
            row = writer.row(read_document(source, data), source, sha256)
        except ConversionError as exc:
            return FileResult(source, None, "failed", str(exc.naming(source)), time.perf_counter() - started)
    return FileResult(source, None, "converted", "", time.perf_counter() - started,
                      [f"{source}: {w.message}" for w in caught], row=row)


class _Jobs:
    """The jobs of a dataset, worked out when a chunk is sent: each input and the ``sha256`` of
    its row in the previous file, when that row can be kept if the input has not changed."""

    def __init__(self, sources: Sequence[str], previous: Any, fingerprint: str) -> None:
        self.sources, self.previous, self.fingerprint = sources, previous, fingerprint

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> Job:
        source = self.sources[i]
        found = self.previous.lookup(printable(source)) if self.previous is not None else None
        return source, found[0] if found and found[1] == self.fingerprint else "", None


def write_dataset(plan: Plan, fmt: str, options: dict[str, Any], output: str | os.PathLike[str] | IO[bytes], *,
                  jobs: int | None = None, executor: Executor | None = None, force: bool = False,
                  on_result: Callable[[FileResult], None] | None = None, keep: bool = True) -> Report:
    """Write a row per input of ``plan`` (made with ``pair=False, read_feeds=False``) into ``output``, a file or
    a binary stream, in input order; report every input as a batch does (``skipped``: its row
    was kept from the previous file). ``force`` makes every row again.

    The file is written through a temporary renamed at the end, also when the run is
    interrupted (the rows done so far, in order: a rerun keeps them and does the rest). An
    error writing the output (a full disk) raises ``OutputError`` and leaves the previous file
    as it was.
    """
    started = time.perf_counter()
    made = make_writer(fmt, **options)
    if not made.dataset:
        raise OutputError(f"{fmt} is not a dataset format (jsonl, parquet)")
    writer = cast("DatasetWriter", made)
    is_file = isinstance(output, (str, os.PathLike))
    name = os.fspath(output) if is_file else "<stdout>"  # type: ignore[arg-type]
    sources = _files(plan.jobs.sources)
    if is_file:
        _refuse_input(name, sources)
    previous = writer.previous(name) if is_file and not force else None
    counts: dict[str, int] = {}
    rows: list[FileResult] = []

    def take(result: FileResult) -> None:
        counts[result.status] = counts.get(result.status, 0) + 1
        if keep or result.status == "failed" or result.warnings:
            rows.append(result)
        if on_result:
            on_result(result)

    for result in plan.problems:
        take(result)
    interrupted = False
    try:
        sink = writer.sink(output)
        try:
            def finish(indices: Sequence[int], done: list[FileResult]) -> None:
                for i, result in zip(indices, done, strict=True):
                    source = sources[i]
                    result._source = source  # the plan's string, not the copy unpickled
                    if result.status == "converted":
                        sink.add(result.row)
                        result.row = None
                    elif result.status == "skipped" and previous is not None:
                        sink.add_previous(previous.get(printable(source)))
                    if result.status != "failed":
                        result._output = name
                    take(result)

            task = partial(dataset_chunk, fmt, options)
            try:
                _execute(_Jobs(sources, previous, writer.fingerprint), range(len(sources)), task,
                         jobs or default_jobs(executor), executor, finish, ordered=True, writes=False)
            except KeyboardInterrupt:
                interrupted = True
        except BaseException:
            sink.abort()
            raise
        sink.commit()
    finally:
        if previous is not None:
            previous.close()
    report = Report(rows, interrupted, counts=counts)
    report.seconds = time.perf_counter() - started
    return report


def _files(sources: Sequence[str | Entry]) -> list[str]:
    """The inputs of a dataset's plan, files all: a plan made with ``read_feeds=False`` takes a feed
    as a file (whose row fails: a feed is many documents), not as its entries."""
    files = [source for source in sources if isinstance(source, str)]
    if len(files) != len(sources):
        raise OutputError("a dataset is written from a plan made with read_feeds=False (feeds' entries are not rows)")
    return files


def _refuse_input(output: str, sources: Sequence[str]) -> None:
    """An ``OutputError`` if the dataset file would replace one of its inputs."""
    base = os.path.basename(output)
    target = os.path.realpath(output)
    for source in sources:
        if os.path.basename(source) == base and os.path.realpath(source) == target:
            raise OutputError("the dataset would overwrite one of its inputs; choose another output with -o",
                              output)
