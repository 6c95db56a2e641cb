"""Parquet writer: the rows of :mod:`.dataset` as typed columns, written with pyarrow (the
optional extra ``converter[parquet]``; imported only when a Parquet file is written or read).

Column types: ``published`` is a timestamp (microseconds, UTC), ``tags`` a list of strings,
``extra`` (the other front-matter keys, whose values differ in type from file to file) the
JSON text of an object, everything else a string. Rows are written in row groups of at most
:data:`ROW_GROUP_ROWS` rows or about :data:`ROW_GROUP_BYTES` of text, whichever comes first,
so memory holds one row group; the file is written through a temporary and renamed whole.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import os
import sys
from typing import IO, Any

from ..ast import Document
from ..errors import OptionError, OutputError
from ..files import open_atomic
from .dataset import (
    COLUMNS,
    KEY_COLUMNS,
    DatasetWriter,
    Row,
    packed_sha256,
    unpacked_sha256,
)

#: Most rows in one row group.
ROW_GROUP_ROWS = 1000
#: About the most text (Markdown and plain text, in characters) in one row group.
ROW_GROUP_BYTES = 64 * 1024 * 1024


def pyarrow() -> Any:
    """The ``pyarrow`` module, or an ``OptionError`` saying how to install it."""
    try:
        import pyarrow
        import pyarrow.parquet  # the submodule is what is used
    except ImportError:
        raise OptionError("Parquet output needs pyarrow: pip install 'converter[parquet]'") from None
    return pyarrow


def schema() -> Any:
    """The Arrow schema of a row (one field per :data:`~converter.writers.dataset.COLUMNS`)."""
    pa = pyarrow()
    types = {"published": pa.timestamp("us", tz="UTC"), "tags": pa.list_(pa.string())}
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in COLUMNS])


def typed(row: Row) -> Row:
    """A row as Parquet holds it: ``published`` an aware datetime, ``extra`` JSON text."""
    out = dict(row)
    published = row["published"]
    out["published"] = (dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
                        if isinstance(published, str) else published)
    out["extra"] = json.dumps(row["extra"], ensure_ascii=False)
    return out


class ParquetWriter(DatasetWriter):
    name = "parquet"
    aliases = ("pq",)
    extension = "parquet"
    description = "a dataset: one row per document, typed columns (needs pyarrow)"
    binary = True

    def __init__(self, *, width: int = 80, references: str = "end", front_matter: bool = True) -> None:
        super().__init__(width=width, references=references, front_matter=front_matter)

    def row(self, doc: Document, source: str = "", sha256: str = "") -> Row:
        return typed(super().row(doc, source, sha256))

    def write(self, doc: Document) -> bytes:
        """One document alone as a Parquet file of one row."""
        pa = pyarrow()
        sink = pa.BufferOutputStream()
        pa.parquet.write_table(pa.Table.from_pylist([self.row(doc)], schema=schema()), sink)
        return bytes(sink.getvalue())

    def sink(self, output: str | os.PathLike[str] | IO[bytes]) -> ParquetSink:
        if not isinstance(output, (str, os.PathLike)):
            raise OptionError("Parquet is written to a file, not to a stream; name one with -o")
        return ParquetSink(output)

    def previous(self, output: str | os.PathLike[str]) -> ParquetPrevious | None:
        return ParquetPrevious.open(output)


class ParquetSink:
    """Rows gathered into row groups and written to a temporary that takes the file's name at
    :meth:`commit`."""

    def __init__(self, output: str | os.PathLike[str]) -> None:
        pa = pyarrow()
        self.name = os.fspath(output)
        self._pa, self._schema = pa, schema()
        self._atomic: Any = open_atomic(output)
        fh = self._atomic.__enter__()
        try:
            self._writer = pa.parquet.ParquetWriter(fh, self._schema)
        except BaseException:
            self.abort()
            raise
        self._rows: list[Row] = []
        self._size = 0

    def add(self, row: Row) -> None:
        self._rows.append(row)
        self._size += len(row["markdown"]) + len(row["text"])
        if len(self._rows) >= ROW_GROUP_ROWS or self._size >= ROW_GROUP_BYTES:
            self._flush()

    add_previous = add  # a row kept from the previous file is a typed row already

    def _flush(self) -> None:
        if not self._rows:
            return
        table = self._pa.Table.from_pylist(self._rows, schema=self._schema)
        self._rows, self._size = [], 0
        try:
            self._writer.write_table(table, row_group_size=table.num_rows)
        except OSError as exc:
            raise OutputError(f"cannot be written ({exc.strerror or exc})", self.name) from None

    def commit(self) -> None:
        self._flush()
        self._writer.close()
        atomic, self._atomic = self._atomic, None
        atomic.__exit__(None, None, None)

    def abort(self) -> None:
        if self._atomic is not None:
            atomic, self._atomic = self._atomic, None
            try:
                atomic.__exit__(RuntimeError, RuntimeError("aborted"), None)
            except Exception:  # the temporary is removed either way
                pass


class ParquetPrevious:
    """The rows of an existing Parquet dataset by source: their keys, read column by column,
    and the rows themselves a row group at a time as they are asked for (in order, as a rerun
    asks for them, each row group is read once)."""

    def __init__(self, file: Any, index: dict[str, tuple[bytes | str, str, int]]) -> None:
        self._file, self._index = file, index
        self._starts: list[int] = []
        start = 0
        for i in range(file.metadata.num_row_groups):
            self._starts.append(start)
            start += file.metadata.row_group(i).num_rows
        self._group: tuple[int, list[Row]] | None = None

    @classmethod
    def open(cls, output: str | os.PathLike[str]) -> ParquetPrevious | None:
        if not os.path.isfile(output):
            return None
        pa = pyarrow()
        try:
            file = pa.parquet.ParquetFile(os.fspath(output))
            if not file.schema_arrow.equals(schema()):
                return None
            keys = file.read(columns=list(KEY_COLUMNS)).to_pydict()
        except (OSError, pa.ArrowException):  # not a Parquet file of ours: every row is made again
            return None
        index = {source: (packed_sha256(sha256), sys.intern(fingerprint), i) for i, (source, sha256, fingerprint)
                 in enumerate(zip(*(keys[key] for key in KEY_COLUMNS), strict=True))}
        return cls(file, index)

    def lookup(self, source: str) -> tuple[str, str] | None:
        found = self._index.get(source)
        return None if found is None else (unpacked_sha256(found[0]), found[1])

    def get(self, source: str) -> Row:
        i = self._index[source][2]
        group = bisect.bisect_right(self._starts, i) - 1
        if self._group is None or self._group[0] != group:
            self._group = (group, self._file.read_row_group(group).to_pylist())
        return self._group[1][i - self._starts[group]]

    def close(self) -> None:
        self._group = None
        self._file.close()
