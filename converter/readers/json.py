"""Read our own JSON form back into a ``Document`` (``parse → json → load → render``)."""

from __future__ import annotations

import json

from .. import ast as A
from ..errors import InputError


def read(source: bytes | str, path: str | None = None) -> A.Document:
    """Load a document written by the JSON writer; ``InputError`` if it is not one."""
    try:
        data = json.loads(source)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc})", path) from None
    if not isinstance(data, dict) or "blocks" not in data or "meta" not in data:
        raise InputError("is JSON but not a converter document (needs 'meta' and 'blocks')", path)
    try:
        return A.document_from_dict(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"is not a valid converter document: {exc}", path) from None
