"""Dataset rows: what one document becomes in a JSON Lines or Parquet dataset, in one place.

A row holds the input's path and the SHA-256 of its bytes, the fingerprint of what made the
row (converter version and options), the metadata as the JSON writer writes it
(:func:`~converter.ast.meta_to_dict`), and the document as the Markdown and text writers
write it. The JSON Lines and Parquet writers (:mod:`.jsonl`, :mod:`.parquet`) only store rows;
the batch (:mod:`converter.batch.dataset`) makes them, a chunk of files per worker, and writes
them in input order into one file.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from typing import IO, Any, ClassVar

from ..ast import Document, meta_to_dict
from ..errors import ConversionError
from ..files import printable
from ..version import __version__
from . import Writer
from .markdown import MarkdownWriter
from .text import TextWriter

#: The columns of a row, in order.
COLUMNS = ("source", "sha256", "fingerprint", "title", "url", "published", "author", "site", "language",
           "tags", "extra", "markdown", "text")
#: The columns a rerun reads back to tell which rows it can keep.
KEY_COLUMNS = ("source", "sha256", "fingerprint")

Row = dict[str, Any]


def content_hash(data: bytes) -> str:
    """The ``sha256`` of a row: the hex SHA-256 of the input's bytes as read."""
    return hashlib.sha256(data).hexdigest()


class DatasetWriter(Writer):
    """A writer whose output is one file for many documents, a row each (``dataset = True``:
    the command line and the library write every input into one output, in input order).

    Options are those of the Markdown and text writers, with their defaults, so that a row's
    ``markdown`` and ``text`` are what ``--to md`` and ``--to txt`` write with the same options.
    ``write(doc)`` writes one document alone, without a source (``source`` and ``sha256`` empty).
    """

    dataset: ClassVar[bool] = True

    def __init__(self, *, width: int = 80, references: str = "end", front_matter: bool = True) -> None:
        self.markdown = MarkdownWriter(front_matter=front_matter)
        self.text = TextWriter(width=width, references=references)
        self.fingerprint = dataset_fingerprint(width=width, references=references, front_matter=front_matter)

    def row(self, doc: Document, source: str = "", sha256: str = "") -> Row:
        """The row of ``doc`` read from ``source`` (whose bytes hash to ``sha256``). The path is
        written as reports write it (:func:`~converter.files.printable`: one line, valid UTF-8,
        a byte that was not UTF-8 as ``\\xe9``), so every reader of JSON or Parquet takes it."""
        row: Row = {"source": printable(source), "sha256": sha256, "fingerprint": self.fingerprint}
        row.update(meta_to_dict(doc.meta))
        row["markdown"] = self.markdown.write(doc)
        row["text"] = self.text.write(doc)
        return row

    def write(self, doc: Document) -> str | bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def sink(self, output: str | os.PathLike[str] | IO[bytes]) -> Any:  # pragma: no cover - abstract
        """Where rows go, in order: ``add(row)``, ``add_previous(kept)``, then ``commit()``
        (or ``abort()``)."""
        raise NotImplementedError

    def previous(self, output: str | os.PathLike[str]) -> Any:  # pragma: no cover - abstract
        """The rows of an existing ``output`` that a rerun may keep (``lookup(source)``,
        ``get(source)``, ``close()``), or None."""
        raise NotImplementedError


def dataset_fingerprint(**options: Any) -> str:
    """What a row depends on besides its input: the converter's version and the options of
    the Markdown and text writers (defaults filled in). The same for JSON Lines and Parquet,
    so either format's rows can be compared with the other's."""
    params = inspect.signature(DatasetWriter.__init__).parameters
    effective = {name: options.get(name, p.default) for name, p in params.items() if p.kind is p.KEYWORD_ONLY}
    data = json.dumps({"version": __version__, "options": effective}, sort_keys=True)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def row_json(row: Row) -> str:
    """A row as one line of JSON with its newline (JSON escapes line breaks inside strings).
    A NaN or an infinity in front matter is an error, as in the JSON writer."""
    try:
        return json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n"
    except ValueError:
        raise ConversionError("the document holds a number JSON cannot hold (NaN or an infinity)") from None


def packed_sha256(sha256: str) -> bytes | str:
    """A row's hex ``sha256`` as its 32 bytes, for an index of a previous file (a third of the
    memory); anything that is not 64 hex digits as it is."""
    try:
        return bytes.fromhex(sha256) if len(sha256) == 64 else sha256
    except ValueError:
        return sha256


def unpacked_sha256(packed: bytes | str) -> str:
    return packed.hex() if isinstance(packed, bytes) else packed
