"""Every output format pandoc writes (Word, OpenDocument, LaTeX, reStructuredText, Org …).

pandoc has the writers and we have the reader; our AST maps one-to-one onto pandoc's, so
:class:`PandocAst` turns a document into pandoc's JSON AST (one method per node type) and
:func:`run_pandoc` hands it to the pandoc binary that ``pypandoc-binary`` ships.

pandoc runs with ``--sandbox``: its readers and writers touch no local file and no network on
our behalf. So images cannot be fetched: in the formats that would embed them (docx, odt,
EPUB, pptx, RTF …) each image becomes a link to it, labelled with its alt text; the other
formats refer to its URL as usual. It also runs with an empty data directory, so that the
templates or reference documents in the user's own pandoc directory cannot change our output.
pandoc's warnings become Python warnings, its failures a one-line :class:`PandocError`; a
timeout stops it.

Where pandoc's writer for a format leaves text that the format reads as markup (rST, Org,
AsciiDoc, MediaWiki, Texinfo, Textile), the AST handed to it is reshaped or escaped for that format
(``FORMAT_ASTS``), so that the format's own processor includes no file and runs no code a
document wrote; formats where that cannot be done are marked ``unsafe`` in
:data:`PANDOC_FORMATS`. pandoc's metadata is an allow-list (:meth:`PandocAst.meta`): a
document's front matter never sets the variables of pandoc's templates.

Only ``http``, ``https`` and ``mailto`` links and ``http(s)`` images are kept (their text
stays), as in our HTML and EPUB output: pandoc's HTML-based writers would otherwise carry a
``javascript:`` URL through.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from functools import cache
from typing import ClassVar

from ... import ast as A
from ...errors import ConversionError, OptionError
from .. import Writer, Written, written
from ..article import read_option_file
from .build import Json, PandocAst
from .dialects import FORMAT_ASTS
from .formats import PANDOC_FORMATS, UNOFFERED, UNSAFE_NOTE, PandocFormat
from .process import (
    DEFAULT_TIMEOUT,
    PandocError,
    PandocWarning,
    api_version,
    heap_limit,
    pandoc_path,
    run_pandoc,
    run_pandoc_batch,
)

__all__ = [
    "DEFAULT_TIMEOUT", "PANDOC_FORMATS", "UNOFFERED", "UNSAFE_NOTE", "PandocAst", "PandocError", "PandocFormat",
    "PandocWarning", "PandocWriter", "api_version", "heap_limit", "pandoc_path", "pandoc_writer_class",
    "run_pandoc", "run_pandoc_batch", "to_pandoc_json",
]


def to_pandoc_json(doc: A.Document, fmt: str | None = None) -> Json:
    """``doc`` as pandoc's JSON AST (a ``dict`` ready for ``json.dumps``), reshaped for pandoc's
    output format ``fmt`` (images as links where pandoc would embed them, and what the classes
    in ``FORMAT_ASTS`` do); without ``fmt``, the same for every format."""
    info = PANDOC_FORMATS.get(fmt or "")
    ast_class = FORMAT_ASTS.get(fmt or "", PandocAst)
    return ast_class(link_images=info is not None and info.embeds_images).document(doc)


# ---------------------------------------------------------------------------- many documents, one pandoc

#: Formats whose output differs between pandoc-server and the pandoc command, which fills in
#: template variables the server does not (``pandoc-version`` in man and ms, dzslides' script):
#: always one process per document.
_UNBATCHED = frozenset({"man", "ms", "dzslides"})
#: The formats whose styles come from ``--reference-doc``.
_REFERENCE_DOC_FORMATS = frozenset({"docx", "odt", "pptx"})
#: JSON one batch holds at most, to bound its memory: a document larger than that is converted
#: alone (its start-up is then small beside its conversion).
_BATCH_BYTES = 16 * 2**20
#: A batch may take this many times the per-document timeout before it is stopped and its
#: documents are converted one process each: room for many slow documents, and a bounded loss
#: to one that never finishes.
_BATCH_TIMEOUTS = 2


def _batches(sizes: dict[int, int], limit: int) -> list[list[int]]:
    """The keys of ``sizes`` in order, in runs whose sizes add up to at most ``limit`` (a
    larger one alone)."""
    out: list[list[int]] = [[]]
    total = 0
    for key, size in sizes.items():
        if out[-1] and total + size > limit:
            out.append([])
            total = 0
        out[-1].append(key)
        total += size
    return [run for run in out if run]


# ---------------------------------------------------------------------------- writers


class PandocWriter(Writer):
    """Base of the writers for pandoc's formats: :func:`pandoc_writer_class` makes one per
    format. Output is a standalone document: pandoc's templates show the title and metadata."""

    format: ClassVar[str] = ""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, reference_doc: str | None = None,
                 template: str | None = None, toc: bool = False, toc_depth: int | None = None) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = float(timeout)
        self.reference_doc, self.template, self.toc, self.toc_depth = reference_doc, template, toc, toc_depth
        self._passed = self._passed_args()

    def _passed_args(self) -> list[str]:
        """pandoc's own options the user passes through: a reference document (docx, odt, pptx),
        a template (text formats), a table of contents. Each file is checked now, so that a
        missing one is a usage error rather than a failure per document."""
        args = []
        if self.reference_doc is not None:
            if self.format not in _REFERENCE_DOC_FORMATS:
                raise OptionError(f"reference_doc applies to {', '.join(sorted(_REFERENCE_DOC_FORMATS))} output only")
            read_option_file("reference_doc", self.reference_doc)
            args.append(f"--reference-doc={os.path.abspath(self.reference_doc)}")
        if self.template is not None:
            if self.binary:
                raise OptionError(f"template does not apply to {self.format} output (a binary format)")
            read_option_file("template", self.template)
            args.append(f"--template={os.path.abspath(self.template)}")
        if self.toc_depth is not None and not (isinstance(self.toc_depth, int) and 1 <= self.toc_depth <= 6):
            raise ValueError(f"toc_depth must be a heading level from 1 to 6, not {self.toc_depth!r}")
        if self.toc:  # toc_depth means nothing without it
            args.append("--toc")
            if self.toc_depth is not None:
                args.append(f"--toc-depth={self.toc_depth}")
        return args

    def write(self, doc: A.Document) -> str | bytes:
        return self._decoded(run_pandoc(self._args(), self._payload(doc), timeout=self.timeout))

    def write_many(self, docs: Iterable[A.Document]) -> Iterator[Written]:
        """Each document's output (or the error converting it), what pandoc warned about it and
        the seconds it took, from one pandoc process per batch (:func:`run_pandoc_batch`) rather
        than one per document: pandoc's start-up costs more than converting a news article. So
        every document is taken before the first is handed over.

        A document the batch could not convert, or every document of a batch that failed as a
        whole, is converted as :meth:`write` does, so outputs and errors are :meth:`write`'s.
        """
        done: dict[int, Written] = {}
        payloads: dict[int, bytes] = {}
        spent: dict[int, float] = {}
        for i, doc in enumerate(docs):
            started = time.perf_counter()
            try:
                payloads[i] = self._payload(doc)
            except ConversionError as exc:
                done[i] = Written(exc)
            spent[i] = time.perf_counter() - started
        if self.format not in _UNBATCHED and not self._passed:  # pandoc-server takes none of them
            for batch in _batches({i: len(data) for i, data in payloads.items()}, _BATCH_BYTES):
                if len(batch) > 1:
                    done.update(self._batch(batch, payloads, spent))
        for i in payloads.keys() - done.keys():
            done[i] = self._alone(payloads[i])
        for i in range(len(spent)):
            done[i].seconds += spent[i]
            yield done[i]

    def _batch(self, batch: list[int], payloads: dict[int, bytes], spent: dict[int, float]) -> dict[int, Written]:
        """The documents of ``batch`` that one pandoc process converted (none if it failed),
        each charged an equal share of its time."""
        started = time.perf_counter()
        try:
            answers = run_pandoc_batch(self.format, [payloads[i] for i in batch],
                                       timeout=self.timeout * _BATCH_TIMEOUTS)
        except PandocError:
            answers = [None] * len(batch)
        share = (time.perf_counter() - started) / len(batch)
        for i in batch:
            spent[i] += share
        return {i: Written(self._decoded(answer[0]), [f"pandoc: {m}" for m in answer[1]])
                for i, answer in zip(batch, answers, strict=True) if answer is not None}

    def _alone(self, payload: bytes) -> Written:
        """One document converted as :meth:`write` does, its warnings collected."""
        return written(lambda: self._decoded(run_pandoc(self._args(), payload, timeout=self.timeout)))

    def _payload(self, doc: A.Document) -> bytes:
        tree = to_pandoc_json(doc, self.format)
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _args(self) -> list[str]:
        return ["--from", "json", "--to", self.format, "--standalone", "--wrap=preserve", *self._passed,
                "--output", "-"]

    def _decoded(self, out: bytes) -> str | bytes:
        return out if self.binary else out.decode("utf-8")


@cache
def pandoc_writer_class(fmt: str) -> type[PandocWriter]:
    """The writer class for pandoc's format ``fmt`` (one class per format, made once)."""
    info = PANDOC_FORMATS[fmt]
    name = "Pandoc" + "".join(part.capitalize() for part in fmt.split("_")) + "Writer"
    return type(name, (PandocWriter,), {
        "__module__": __name__, "__qualname__": name, "__doc__": f"{info.description}.",
        "format": fmt, "name": fmt, "extension": info.extension,
        "description": info.description, "binary": info.binary,
    })
