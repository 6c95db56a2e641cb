"""Writers: one module per output format, found by name in one registry.

A writer is a class with one method per AST node type (``block_Paragraph``,
``inline_Strong`` …, found through :mod:`converter.writers.dispatch`) and a ``write(doc)``
entry point: AST in, ``str`` or ``bytes`` out.
Third-party packages add writers through the ``converter.writers`` entry-point group; each
entry point names a :class:`Writer` subclass. After ours come pandoc's formats (``docx``,
``odt``, ``rst`` …), written by :mod:`converter.writers.pandoc` through pandoc's JSON AST; a
name of ours or of a plug-in takes precedence over pandoc's.
"""

from __future__ import annotations

import importlib
import inspect
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from ..ast import Document
from ..errors import ConversionError, FormatError, OptionError, sort_warnings
from .dispatch import NodeDispatcher

ENTRY_POINT_GROUP = "converter.writers"


class Writer(NodeDispatcher):
    """Base class: ``block(node)`` and ``inline(node)`` write a node with ``block_<Type>`` or
    ``inline_<Type>`` (see :class:`~converter.writers.dispatch.NodeDispatcher`).

    Subclasses set ``name``, ``extension``, ``description`` and, for binary formats,
    ``binary = True``. Options are keyword arguments of ``__init__``.
    """

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    extension: ClassVar[str] = ""
    description: ClassVar[str] = ""
    binary: ClassVar[bool] = False
    #: A dataset format (JSON Lines, Parquet): every input goes into one output, a row each
    #: (see :mod:`converter.writers.dataset`).
    dataset: ClassVar[bool] = False

    def write(self, doc: Document) -> str | bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def write_many(self, docs: Iterable[Document]) -> Iterator[Written]:
        """Each of ``docs`` written as :meth:`write` writes it, with its error, warnings and
        seconds (a :class:`Written` each, in order). A document is taken from ``docs`` only
        once the one before has been handed over, so a caller that saves each output as it
        comes holds one document and one output at a time; a writer that converts documents
        together (pandoc's formats: one process for many) overrides this."""
        for doc in docs:
            yield written(partial(self.write, doc))

    def fetches(self, doc: Document) -> bool:
        """Whether writing ``doc`` would ask the network for something (its images, with the
        options that download them): a caller that must not fetch, or fetch twice, can tell
        before writing. Ours that download say when they do; for any other writer, one that
        takes an ``images`` option may (a plug-in's, say, that has not said)."""
        return "images" in writer_options(type(self))

    def writer_name(self) -> str:
        return f"the {self.name} writer" if self.name else type(self).__name__


@dataclass(slots=True)
class Written:
    """One document of :meth:`Writer.write_many`: its output or the error writing it, the
    warnings issued meanwhile, and the seconds it took (its share of a batch's, for a writer
    that converts documents together)."""

    output: str | bytes | ConversionError
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    #: The host of each image the output goes without (:class:`~converter.errors.ImageWarning`).
    missing_images: tuple[str, ...] = ()


def written(write: Callable[[], str | bytes]) -> Written:
    """What ``write()`` returns, or the ``ConversionError`` it raises, with the warnings it
    issues and the seconds it takes: a document's part of a batch, which goes on after it."""
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            output: str | bytes | ConversionError = write()
        except ConversionError as exc:
            output = exc
    notes, missing = sort_warnings(caught)
    return Written(output, notes, time.perf_counter() - started, missing)


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """What ``formats()`` reports about one output format."""

    name: str
    extension: str
    description: str
    binary: bool
    aliases: tuple[str, ...] = ()


_BUILTIN: dict[str, str] = {
    # name -> "module:Class", imported on first use so start-up stays cheap
    "markdown": "converter.writers.markdown:MarkdownWriter",
    "text": "converter.writers.text:TextWriter",
    "json": "converter.writers.json:JsonWriter",
    "epub": "converter.writers.epub:EpubWriter",
    "html": "converter.writers.html:HtmlWriter",
    "jsonl": "converter.writers.jsonl:JsonlWriter",
    "parquet": "converter.writers.parquet:ParquetWriter",
}


#: The other names the built-in writers answer to (their ``aliases`` and ``extension``), so
#: that ``--to txt`` or ``--to docx`` imports no writer's module but the one it needs (a test
#: checks this table against the classes).
_BUILTIN_ALIASES: dict[str, str] = {"md": "markdown", "txt": "text", "plain": "text", "ndjson": "jsonl",
                                    "pq": "parquet"}


def _load(spec: str) -> type[Writer]:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _plugins() -> dict[str, Any]:
    # ~25 ms to import; most runs never get here
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def writer_classes() -> dict[str, type[Writer]]:
    """Every writer by canonical name: built-ins, then plug-ins (which cannot shadow them),
    then pandoc's formats whose names do not already select a writer (``plain`` is ours)."""
    classes = {name: _load(spec) for name, spec in _BUILTIN.items()}
    taken = set(classes) | {key for cls in classes.values() for key in (*cls.aliases, cls.extension)}
    for name, ep in _plugins().items():
        if name not in classes:
            classes[name] = ep.load()
    from .pandoc import PANDOC_FORMATS, pandoc_writer_class

    for name in PANDOC_FORMATS:
        if name not in taken and name not in classes:
            classes[name] = pandoc_writer_class(name)
    return classes


def get_writer_class(fmt: str) -> type[Writer]:
    """The writer for a format name or alias (case-insensitive); ``FormatError`` if none."""
    key = fmt.strip().lower()
    builtin = _BUILTIN_ALIASES.get(key, key)
    if builtin in _BUILTIN:
        return _load(_BUILTIN[builtin])
    plugins = _plugins()
    if key in plugins:
        return plugins[key].load()
    from .pandoc import PANDOC_FORMATS, pandoc_writer_class

    if key in PANDOC_FORMATS:
        return pandoc_writer_class(key)
    names = ", ".join(sorted(set(_BUILTIN) | set(plugins)))
    raise FormatError(f"unknown output format {fmt!r}; choose one of: {names}, "
                      "or one of pandoc's formats (see --list-formats)")


def format_of_name(name: str) -> str | None:
    """The format a file name asks for by its extension (``a.epub``: ``epub``, ``a.md``:
    ``markdown``, case-insensitive), as pandoc infers it from ``-o``; ``None`` when it has no
    extension or one that is no format's."""
    suffix = os.path.splitext(os.path.basename(name))[1][1:]
    if not suffix:
        return None
    try:
        return get_writer_class(suffix).name
    except FormatError:
        pass
    key = suffix.lower()
    return next((info.name for info in format_infos() if info.extension == key), None)


def names_a_file(output: str) -> bool:
    """Whether ``-o OUTPUT`` names a file: not standard output (``-``), nor a folder (one
    that exists, or a name ending in ``/``)."""
    return output != "-" and not output.endswith(("/", os.sep)) and not os.path.isdir(output)


def make_writer(fmt: str, **options: Any) -> Writer:
    """Instantiate the writer for ``fmt``; options it does not take are an ``OptionError``."""
    cls = get_writer_class(fmt)
    accepted = writer_options(cls)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise OptionError(f"the {cls.name} writer does not take option(s) {', '.join(unknown)}")
    try:
        return cls(**options)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"bad option for the {cls.name} writer: {exc}") from None


def writer_options(cls: type[Writer]) -> list[str]:
    """Names of the keyword options a writer class accepts."""
    names = _OPTION_NAMES.get(cls)
    if names is None:
        params = inspect.signature(cls.__init__).parameters.values()
        names = _OPTION_NAMES[cls] = tuple(p.name for p in params if p.name != "self" and p.kind is p.KEYWORD_ONLY)
    return list(names)


#: :func:`writer_options` by class, read from the signature once: ``render`` asks once per
#: document, and ``inspect.signature`` costs several times what making the writer does.
_OPTION_NAMES: dict[type[Writer], tuple[str, ...]] = {}


def format_infos() -> list[FormatInfo]:
    return [FormatInfo(c.name, c.extension, c.description, c.binary, c.aliases)
            for c in writer_classes().values()]
