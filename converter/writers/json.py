"""JSON writer: the AST as versioned JSON, readable back with :func:`converter.load_json`."""

from __future__ import annotations

import json

from ..ast import Document, document_to_dict
from . import Writer


class JsonWriter(Writer):
    name = "json"
    extension = "json"
    description = "the document AST as JSON (meta + blocks), loadable again"

    def __init__(self, *, indent: int = 1) -> None:
        self.indent = indent if indent > 0 else None

    def write(self, doc: Document) -> str:
        return json.dumps(document_to_dict(doc), ensure_ascii=False, indent=self.indent) + "\n"
