"""JSON Lines writer: a dataset of one JSON object per document per line (see :mod:`.dataset`
for what a row holds)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from typing import IO, Any

from ..ast import Document
from ..errors import OutputError
from ..files import open_atomic
from .dataset import (
    KEY_COLUMNS,
    DatasetWriter,
    Row,
    packed_sha256,
    row_json,
    unpacked_sha256,
)


class JsonlWriter(DatasetWriter):
    name = "jsonl"
    aliases = ("ndjson",)
    extension = "jsonl"
    description = "a dataset: one JSON object (metadata, Markdown, text) per document per line"

    def write(self, doc: Document) -> str:
        return row_json(self.row(doc))

    def sink(self, output: str | os.PathLike[str] | IO[bytes]) -> JsonlSink:
        return JsonlSink(output)

    def previous(self, output: str | os.PathLike[str]) -> JsonlPrevious | None:
        return JsonlPrevious.open(output)


class JsonlSink:
    """Rows written in order to a stream as they come, or to a file through a temporary that
    takes the file's name at :meth:`commit` (a reader never sees half a dataset)."""

    def __init__(self, output: str | os.PathLike[str] | IO[bytes]) -> None:
        self._atomic: Any = None
        if isinstance(output, (str, os.PathLike)):
            self.name = os.fspath(output)
            self._atomic = open_atomic(output)
            self._fh: IO[bytes] = self._atomic.__enter__()
        else:
            self.name, self._fh = "<stdout>", output

    def add(self, row: Row) -> None:
        self._write(row_json(row).encode("utf-8"))

    def add_previous(self, line: bytes) -> None:
        """A row kept from the previous file, as it was there."""
        self._write(line)

    def _write(self, data: bytes) -> None:
        try:
            self._fh.write(data)
        except OSError as exc:
            raise OutputError(f"cannot be written ({exc.strerror or exc})", self.name) from None

    def commit(self) -> None:
        if self._atomic is None:
            with contextlib.suppress(OSError):
                self._fh.flush()
            return
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(None, None, None)

    def abort(self) -> None:
        if self._atomic is not None:
            atomic, self._atomic = self._atomic, None
            with contextlib.suppress(Exception):
                atomic.__exit__(RuntimeError, RuntimeError("aborted"), None)


class JsonlPrevious:
    """The rows of an existing JSON Lines dataset by source: the keys that tell whether a row
    can be kept (:data:`~converter.writers.dataset.KEY_COLUMNS`) and where its line is. Lines
    that are not rows (cut short, edited) are ignored: their documents are converted again."""

    def __init__(self, fh: IO[bytes], index: dict[str, tuple[bytes | str, str, int]]) -> None:
        self._fh, self._index = fh, index

    @classmethod
    def open(cls, output: str | os.PathLike[str]) -> JsonlPrevious | None:
        try:
            fh = open(output, "rb")  # noqa: SIM115 - closed by close()
        except OSError:
            return None
        index: dict[str, tuple[bytes | str, str, int]] = {}
        offset = 0
        for line in fh:
            if line.endswith(b"\n"):
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    row = json.loads(line)
                    source, sha256, fingerprint = (row[key] for key in KEY_COLUMNS)
                    if isinstance(source, str) and isinstance(sha256, str) and isinstance(fingerprint, str):
                        # one copy of the fingerprint all rows share, the hash as 32 bytes: ~260 bytes a row
                        index[source] = (packed_sha256(sha256), sys.intern(fingerprint), offset)
            offset += len(line)
        return cls(fh, index)

    def lookup(self, source: str) -> tuple[str, str] | None:
        """The ``sha256`` and ``fingerprint`` of ``source``'s row, if there is one."""
        found = self._index.get(source)
        if found is None:
            return None
        return unpacked_sha256(found[0]), found[1]

    def get(self, source: str) -> bytes:
        """``source``'s line as it is in the file."""
        self._fh.seek(self._index[source][2])
        return self._fh.readline()

    def close(self) -> None:
        self._fh.close()
