"""What a batch reports: a row per input (:class:`FileResult`), the counts (:class:`Report`),
and the report file ``--report`` writes (``.json`` or ``.csv``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..files import printable, write_atomic


class FileResult:
    """What happened to one input: ``converted``, ``skipped`` (up to date) or ``failed``.

    A batch keeps one per input, so the paths are held as strings and handed out as ``Path``.
    """

    __slots__ = ("_output", "_source", "error", "missing_images", "row", "seconds", "stamp", "status", "warnings")

    def __init__(self, source: str | os.PathLike[str], output: str | os.PathLike[str] | None, status: str,
                 error: str = "", seconds: float = 0.0, warnings: Iterable[str] = (),
                 stamp: tuple[int, int] | str | None = None, row: dict[str, Any] | None = None,
                 missing_images: Iterable[str] = ()) -> None:
        self._source = os.fspath(source)
        self._output = None if output is None else os.fspath(output)
        self.status, self.error, self.seconds = status, error, seconds
        self.warnings: tuple[str, ...] = tuple(warnings)
        #: The input's size and modification time when a worker read it, for the journal
        #: (dropped once recorded).
        self.stamp = stamp
        #: The dataset row a worker made of the input, for the main process to write (dropped
        #: once written).
        self.row = row
        #: The host of each image the output goes without (see :class:`converter.errors.ImageWarning`).
        self.missing_images: tuple[str, ...] = tuple(missing_images)

    @property
    def source(self) -> Path:
        return Path(self._source)

    @property
    def name(self) -> str:
        """The input as it was named: a path, a URL (which ``Path`` would mangle), ``feed.xml#3``."""
        return self._source

    @property
    def output(self) -> Path | None:
        return None if self._output is None else Path(self._output)

    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value: never a set member

    def _fields(self) -> tuple[Any, ...]:
        return (self._source, self._output, self.status, self.error, self.seconds, self.warnings, self.stamp,
                self.row, self.missing_images)

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
    #: Warnings about the inputs (each row's, and links not followed), counted whether or
    #: not the rows were kept: a quiet run prints none but says how many there were.
    warnings: int = 0
    #: Images the outputs go without, by host (every row's, kept or not).
    missing_images: dict[str, int] = field(default_factory=dict)

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

    def count_missing(self, hosts: Iterable[str]) -> None:
        for host in hosts:
            self.missing_images[host] = self.missing_images.get(host, 0) + 1

    def images_summary(self) -> str:
        """One line on the images the outputs go without ("" for none)."""
        if not self.missing_images:
            return ""
        count, hosts = sum(self.missing_images.values()), len(self.missing_images)
        return (f"{count} image{'' if count == 1 else 's'} not embedded from {hosts} host{'' if hosts == 1 else 's'}; "
                "use --offline to skip downloads")

    def summary(self) -> str:
        warned = f", {self.warnings} warning{'' if self.warnings == 1 else 's'}" if self.warnings else ""
        text = (f"{self.converted} converted, {self.skipped} skipped, {self.count('failed')} failed{warned} "
                f"in {self.seconds:.1f} s")
        return text + " (interrupted)" if self.interrupted else text


def write_report(report: Report, path: str | os.PathLike[str]) -> None:
    """One row per input (input, status, output, error, seconds) as ``.json`` or ``.csv``;
    paths are written as :func:`files.printable` shows them (a cell is one line, whatever a
    file's name holds)."""
    import csv  # with io and json, only for a report file: not at every start
    import io
    import json

    rows = [{"input": printable(r.name), "status": r.status,
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
