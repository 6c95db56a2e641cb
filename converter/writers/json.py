"""JSON writer: the AST as versioned JSON, readable back with :func:`converter.load_json`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from functools import cache
from itertools import islice
from typing import Any

from ..ast import JSON_VERSION, NODE_TYPES, Document, meta_to_dict
from ..errors import ConversionError
from . import Writer
from .dispatch import unknown_node

#: Pieces of JSON text joined at a time (see :func:`text_batches`).
_PIECES = 8192


class JsonWriter(Writer):
    name = "json"
    extension = "json"
    description = "the document AST as JSON (meta + blocks), loadable again"

    def __init__(self, *, indent: int = 1) -> None:
        self.indent = indent if indent > 0 else None

    def write(self, doc: Document) -> str:
        """The same text as ``json.dumps(document_to_dict(doc), indent=…)`` and a newline.
        A NaN or an infinity (which Python would write as ``NaN``, ``Infinity``: not JSON)
        is an error, not output."""
        try:
            return "".join(iter_json(doc, self.indent)) + "\n"
        except ValueError:
            raise ConversionError("the document holds a number JSON cannot hold (NaN or an infinity)") from None


def iter_json(doc: Document, indent: int | None = None, *, sort_keys: bool = False,
              lenient: bool = False) -> Iterator[str]:
    """``doc``'s JSON form in pieces of text, encoded as the tree is walked: each node becomes
    a dictionary only while the encoder is inside it, so memory does not grow with a second,
    larger copy of the document (a table of a million cells takes ~0.5 GB as dictionaries).
    ``lenient`` writes a value JSON has no form for as its ``str()`` instead of failing (and a
    node of a type that is not the AST's, which otherwise is a ``ConversionError``)."""
    encoder = _NodeEncoder(ensure_ascii=False, indent=indent, allow_nan=False, sort_keys=sort_keys)
    encoder.lenient = lenient
    data = {"version": JSON_VERSION, "meta": meta_to_dict(doc.meta), "blocks": doc.blocks}
    return text_batches(encoder.iterencode(data))


class _NodeEncoder(json.JSONEncoder):
    """Encodes AST nodes as ``{"type": Name, field: value…}`` (what ``node_to_dict`` gives)."""

    lenient = False

    def default(self, o: Any) -> Any:
        cls: type = type(o)
        names = _field_names(cls)
        if names is None:
            if self.lenient:
                return str(o)
            if dataclasses.is_dataclass(o):  # a node, but not one of the AST's
                raise unknown_node("the json writer", o)
            return super().default(o)
        out = {"type": type(o).__name__}
        for name in names:
            out[name] = getattr(o, name)
        return out


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of an AST node type, in order; ``None`` for any other type."""
    return tuple(f.name for f in dataclasses.fields(cls)) if cls in NODE_TYPES else None


def text_batches(pieces: Iterator[str]) -> Iterator[str]:
    """``pieces`` joined a few thousand at a time: the encoder yields a handful per node, and
    a list of them all would take many times the text they make."""
    while batch := "".join(islice(pieces, _PIECES)):
        yield batch
