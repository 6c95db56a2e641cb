"""Read our own JSON form back into a ``Document`` (``parse → json → load → render``).

A JSON file is input like any other, so it is checked before it becomes a ``Document``: every
node has a known type and fields of the right kinds (a writer must never meet a number where
it expects text), nodes nest no deeper than the HTML reader ever nests them (writers walk the
tree with a few Python frames per level), and strings are cleaned as the HTML reader cleans
text: control characters dropped, NUL and lone surrogates (which no writer could encode)
replaced by U+FFFD. Anything else is an ``InputError``, ``NaN`` and ``Infinity`` included
(Python's ``json`` reads them, but they are not JSON).

A document loaded so then passes the reader's own field rules, as a parsed one does: link and
image URLs through :func:`~converter.readers.rules.clean_url` (a link to a ``javascript:``,
``file:`` or ``data:`` URL keeps only its text, an image without a usable URL goes, a figure's
caption stays), a code block's language reduced to a class name
(:func:`~converter.readers.rules.code_language`).
"""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any, NoReturn, get_args, get_origin, get_type_hints

from .. import ast as A
from ..chars import clean_input_text
from ..errors import InputError
from .header import MAX_FRONT_MATTER_DEPTH, nesting_depth
from .html import MAX_DEPTH
from .rules import clean_url, code_language, is_placeholder_url

#: Nodes nested deeper than this are refused: the HTML reader nests none deeper than its
#: ``MAX_DEPTH`` (plus a figure's image or a table's cells).
MAX_NESTING = MAX_DEPTH + 8
#: Integers (heading levels, list starts, cell spans) outside this range are refused.
_INT_RANGE = range(-2**31, 2**31)

#: What the kinds of place in the tree are called, by the type a field of that kind holds:
#: a block, an inline, a table cell, an image (a figure's).
_KIND_NAMES: dict[Any, str] = {A.Block: "block", A.Inline: "inline", A.TableCell: "cell", A.Image: "image"}
#: What a list of each kind is called: a list of blocks, a list item (blocks), a row (cells) ….
_LIST_NAMES = {"block": "blocks", "inline": "inlines", "cell": "cells", "blocks": "items", "cells": "rows"}


def _kind(hint: Any) -> str:
    """The kind of a field, from its type hint: ``str``, ``int``, a node kind, or a list kind."""
    if hint in (str, int):
        return str(hint.__name__)
    if get_origin(hint) is list:
        return _LIST_NAMES[_kind(get_args(hint)[0])]
    return _KIND_NAMES[hint]


@cache
def _node_tables() -> tuple[dict[str, frozenset[str]], dict[str, dict[str, str]]]:
    """The names of the node types each kind of place holds, and each node type's fields with
    their kinds, read from the AST's unions and dataclasses; on first use, since reading the
    type hints takes a millisecond that a run reading no JSON should not pay."""
    kinds = {kind: frozenset(cls.__name__ for cls in get_args(hint) or (hint,)) for hint, kind in _KIND_NAMES.items()}
    fields = {cls.__name__: {name: _kind(hint) for name, hint in get_type_hints(cls).items()} for cls in A.NODE_TYPES}
    return kinds, fields


#: List kinds: what each element is (``items`` and ``rows`` are lists of lists).
_LISTS = {plural: kind for kind, plural in _LIST_NAMES.items()}
_META_STRINGS = ("title", "url", "author", "site", "language")
#: What JSON text needs for a string to hold a character that must be cleaned: an escape
#: (controls, NUL and surrogates can only be written so) or DEL/C1 as they are.
_UNCLEAN = re.compile("\\\\u|[\x7f-\x9f]")
_UNCLEAN_BYTES = re.compile(b"\\\\u|\x7f|\xc2[\x80-\x9f]")


def read(source: bytes | str, path: str | None = None) -> A.Document:
    """Load a document written by the JSON writer; ``InputError`` if it is not one."""
    try:
        data = json.loads(source, parse_constant=_not_json, parse_float=_finite)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc})", path) from None
    except RecursionError:
        raise InputError("is not a converter document: its JSON is nested too deeply", path) from None
    if not isinstance(data, dict) or "blocks" not in data or "meta" not in data:
        raise InputError("is JSON but not a converter document (needs 'meta' and 'blocks')", path)
    unclean = _UNCLEAN if isinstance(source, str) else _UNCLEAN_BYTES
    if unclean.search(source):  # type: ignore[arg-type]
        _clean_strings(data)
    problem = _check_meta(data["meta"]) or _check_blocks(data["blocks"])
    if problem:
        raise InputError(f"is not a valid converter document: {problem}", path)
    base_url = data["meta"].get("url")
    _apply_reader_rules(data["blocks"], base_url if isinstance(base_url, str) else "")
    try:
        return A.document_from_dict(data)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"is not a valid converter document: {exc}", path) from None


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number as a float, refused when it is too large for one (``1e999``)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large a number")
    return value


def _check_meta(meta: Any) -> str:
    """What is wrong with the metadata ("" when nothing is)."""
    if not isinstance(meta, dict):
        return "'meta' is not an object"
    for key in _META_STRINGS:
        if meta.get(key) is not None and not isinstance(meta[key], str):
            return f"meta {key!r} is not a string"
    if meta.get("published") is not None and not isinstance(meta["published"], str):
        return "meta 'published' is not a date string"
    tags = meta.get("tags")
    if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
        return "meta 'tags' is not a list of strings"
    extra = meta.get("extra")
    if extra is not None and not isinstance(extra, dict):
        return "meta 'extra' is not an object"
    if extra and nesting_depth(extra) > MAX_FRONT_MATTER_DEPTH:
        return f"meta 'extra' is nested more than {MAX_FRONT_MATTER_DEPTH} levels deep"
    return ""


def _check_blocks(blocks: Any) -> str:
    """What is wrong with the block tree ("" when nothing is), found without recursion."""
    kinds, node_fields = _node_tables()
    stack: list[tuple[Any, str, int]] = [(blocks, "blocks", 0)]
    while stack:
        value, kind, depth = stack.pop()
        if kind in _LISTS:
            if not isinstance(value, list):
                return f"{kind} must be a list, not {type(value).__name__}"
            stack.extend((item, _LISTS[kind], depth) for item in value)
            continue
        if not isinstance(value, dict) or not isinstance(value.get("type"), str) or value["type"] not in kinds[kind]:
            found = value.get("type") if isinstance(value, dict) else type(value).__name__
            return f"expected a node of kind {kind}, found {found!r}"
        if depth >= MAX_NESTING:
            return f"nodes are nested more than {MAX_NESTING} levels deep"
        fields = node_fields[value["type"]]
        for name, field_value in value.items():
            if name == "type":
                continue
            field_kind = fields.get(name)
            if field_kind is None:
                return f"{value['type']} has no field {name!r}"
            if field_kind == "str":
                if not isinstance(field_value, str):
                    return f"{value['type']}.{name} is not a string"
            elif field_kind == "int":
                if type(field_value) is not int or field_value not in _INT_RANGE:
                    return f"{value['type']}.{name} is not a number in range"
            else:
                stack.append((field_value, field_kind, depth + 1))
    return ""


def _clean_strings(data: Any) -> None:
    """Every string (and key) of ``data`` cleaned as the HTML reader cleans text, in place."""
    stack = [data]
    while stack:
        container = stack.pop()
        if isinstance(container, dict):
            items = [(clean_input_text(key), value) for key, value in container.items()]
            container.clear()
            container.update(items)
            entries: Any = items
        else:
            entries = list(enumerate(container))
        for key, value in entries:
            if isinstance(value, str):
                container[key] = clean_input_text(value)
            elif isinstance(value, (dict, list)):
                stack.append(value)


def _apply_reader_rules(blocks: list[Any], base_url: str) -> None:
    """The HTML reader's rules for URLs and code languages applied to a checked block tree, in
    place and without recursion (see the module's docstring)."""
    lists = [blocks]
    while lists:
        nodes = lists.pop()
        pending, kept = nodes[::-1], []
        while pending:
            node = pending.pop()
            kind = node["type"]
            if kind in ("Link", "Image", "Figure"):
                image = node.get("image") if kind == "Figure" else node
                url = clean_url(image.get("url", "") if isinstance(image, dict) else "", base_url)
                if not url or (url.startswith("data:") if kind == "Link" else is_placeholder_url(url)):
                    pending += _without_target(node)[::-1]  # its text takes its place
                    continue
                image["url"] = url
            elif kind == "CodeBlock":
                node["language"] = code_language(node.get("language", ""))
            kept.append(node)
            lists += _node_lists(node)
        nodes[:] = kept


def _without_target(node: dict[str, Any]) -> list[Any]:
    """What stays of a link, image or figure whose URL the reader drops: a link's text, a
    figure's caption as a paragraph, nothing of an image (the HTML reader keeps no alt text)."""
    if node["type"] == "Link":
        return list(node.get("content", []))
    caption = node.get("caption", []) if node["type"] == "Figure" else []
    return [{"type": "Paragraph", "content": caption}] if caption else []


def _node_lists(node: dict[str, Any]) -> list[list[Any]]:
    """The lists of nodes directly inside ``node`` (table rows are lists of cells)."""
    out = [node[name] for name in ("content", "caption") if isinstance(node.get(name), list)]
    out += node.get("items", [])
    out += node.get("head", []) + node.get("body", [])
    return out
