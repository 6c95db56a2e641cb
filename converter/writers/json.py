"""JSON writer: the AST as versioned JSON, readable back with :func:`converter.load_json`."""

from __future__ import annotations

import json

from ..ast import Document, document_to_dict, node_to_dict
from ..errors import ConversionError
from . import Writer


class JsonWriter(Writer):
    name = "json"
    extension = "json"
    description = "the document AST as JSON (meta + blocks), loadable again"

    def __init__(self, *, indent: int = 1) -> None:
        self.indent = indent if indent > 0 else None

    def write(self, doc: Document) -> str:
        """The same text as ``json.dumps(document_to_dict(doc), indent=…)``, built one top-level
        block at a time: the dictionaries of a whole document take many times its size."""
        head = self._dumps(document_to_dict(Document(doc.meta, [])))
        if not doc.blocks:
            return head + "\n"
        before, _, after = head.rpartition("[]")  # "blocks" is the last key
        if self.indent is None:
            body = ", ".join(self._dumps(node_to_dict(block)) for block in doc.blocks)
            return f"{before}[{body}]{after}\n"
        pad = " " * (2 * self.indent)  # blocks sit two levels down; JSON text holds no raw newline
        body = ",\n".join(pad + self._dumps(node_to_dict(block)).replace("\n", "\n" + pad)
                          for block in doc.blocks)
        return f"{before}[\n{body}\n{' ' * self.indent}]{after}\n"

    def _dumps(self, data: object) -> str:
        """``data`` as JSON text; a NaN or an infinity (which Python would write as ``NaN``,
        ``Infinity``: not JSON) is an error, not output."""
        try:
            return json.dumps(data, ensure_ascii=False, indent=self.indent, allow_nan=False)
        except ValueError:
            raise ConversionError("the document holds a number JSON cannot hold (NaN or an infinity)") from None
