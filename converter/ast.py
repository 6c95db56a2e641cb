"""The document AST: the contract between readers and writers.

Modelled on pandoc's types so that each node maps onto one pandoc node:
``Paragraph`` is ``Para``, ``Text`` is ``Str``/``Space``, ``Figure`` is ``Figure``, and so on.
Writers never see HTML; everything they need is here.

The AST serialises to plain JSON (``to_dict``/``from_dict``) and back without loss, so a
document can be parsed once, stored, and rendered later by any writer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from reprlib import recursive_repr
from typing import Any, get_args

#: Version of the JSON form written by :func:`document_to_dict`.
JSON_VERSION = 1


class _Node:
    """Equality and ``repr`` by fields, shared by every class of this module: what the
    dataclass decorator would otherwise make for each class, as source it compiles. That was
    half of what importing this module costs (17 M of 35 M instructions, at every start of the
    command), for methods a conversion does not call."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, like a dataclass with eq

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)

    @recursive_repr()
    def __repr__(self) -> str:
        pairs = zip(_names(type(self)), _values(self), strict=True)
        return f"{type(self).__qualname__}({', '.join(f'{name}={value!r}' for name, value in pairs)})"


_NAMES: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _values(node: _Node) -> tuple[Any, ...]:
    return tuple(getattr(node, name) for name in _names(type(node)))


# ---------------------------------------------------------------------------- inlines


@dataclass(slots=True, eq=False, repr=False)
class Text(_Node):
    """A run of text. Whitespace inside is significant only as a word separator."""

    text: str


@dataclass(slots=True, eq=False, repr=False)
class Strong(_Node):
    """Strong importance (``<strong>``, ``<b>``), usually bold."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Emphasis(_Node):
    """Stress emphasis (``<em>``, ``<i>``), usually italic."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Strikeout(_Node):
    """Text struck out (``<s>``, ``<del>``, ``<strike>``)."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Superscript(_Node):
    """Raised text (``<sup>``): a footnote mark, an exponent, an ordinal."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Subscript(_Node):
    """Lowered text (``<sub>``): a chemical formula's counts."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Code(_Node):
    """Inline code: the text is literal."""

    text: str


@dataclass(slots=True, eq=False, repr=False)
class Link(_Node):
    """A hyperlink around its inlines; ``url`` is resolved and of a safe scheme."""

    content: list[Inline]
    url: str
    title: str = ""


@dataclass(slots=True, eq=False, repr=False)
class Image(_Node):
    """An image; ``alt`` is the text that stands in for it."""

    url: str
    alt: str = ""
    title: str = ""


@dataclass(slots=True, eq=False, repr=False)
class LineBreak(_Node):
    """A hard line break inside a paragraph (``<br>``)."""


Inline = Text | Strong | Emphasis | Strikeout | Superscript | Subscript | Code | Link | Image | LineBreak


# ---------------------------------------------------------------------------- blocks


@dataclass(slots=True, eq=False, repr=False)
class Paragraph(_Node):
    """A paragraph of inlines."""

    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Heading(_Node):
    """A section heading; ``level`` 1 is the title's, the body's start at 2."""

    level: int
    content: list[Inline]


@dataclass(slots=True, eq=False, repr=False)
class Figure(_Node):
    """An image with its caption (the caption may be empty)."""

    image: Image
    caption: list[Inline] = field(default_factory=list)


@dataclass(slots=True, eq=False, repr=False)
class BulletList(_Node):
    """Each item is a list of blocks."""

    items: list[list[Block]]


@dataclass(slots=True, eq=False, repr=False)
class OrderedList(_Node):
    """A numbered list counting from ``start``; each item is a list of blocks."""

    items: list[list[Block]]
    start: int = 1


@dataclass(slots=True, eq=False, repr=False)
class BlockQuote(_Node):
    """A quotation set apart from the text (``<blockquote>``)."""

    content: list[Block]


@dataclass(slots=True, eq=False, repr=False)
class CodeBlock(_Node):
    """Preformatted text (``<pre>``), kept literally; ``language`` when the source names one."""

    text: str
    language: str = ""


@dataclass(slots=True, eq=False, repr=False)
class HorizontalRule(_Node):
    """A thematic break (``<hr>``)."""


@dataclass(slots=True, eq=False, repr=False)
class TableCell(_Node):
    """A table cell's inlines, and how many columns and rows it spans."""

    content: list[Inline]
    colspan: int = 1
    rowspan: int = 1


@dataclass(slots=True, eq=False, repr=False)
class Table(_Node):
    """A data table: ``head`` rows (may be empty), then ``body`` rows of cells."""

    head: list[list[TableCell]]
    body: list[list[TableCell]]
    caption: list[Inline] = field(default_factory=list)


@dataclass(slots=True, eq=False, repr=False)
class Div(_Node):
    """A generic container of blocks (pandoc ``Div``), e.g. a figure group or an aside."""

    content: list[Block]


Block = (Paragraph | Heading | Figure | BulletList | OrderedList | BlockQuote | CodeBlock | HorizontalRule
         | Table | Div)

#: The node types, read from the unions above so that a new one is listed once: what writers
#: dispatch on (:mod:`converter.writers.dispatch`) and the JSON form holds (with ``TableCell``).
INLINE_TYPES: tuple[type, ...] = get_args(Inline)
BLOCK_TYPES: tuple[type, ...] = get_args(Block)
NODE_TYPES: tuple[type, ...] = (*INLINE_TYPES, *BLOCK_TYPES, TableCell)


# ---------------------------------------------------------------------------- document


@dataclass(slots=True, eq=False, repr=False)
class Meta(_Node):
    """What we know about the article. ``published`` is an aware UTC datetime."""

    title: str = ""
    url: str = ""
    published: dt.datetime | None = None
    author: str = ""
    site: str = ""
    language: str = ""
    tags: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, eq=False, repr=False)
class Document(_Node):
    """One article: its metadata and its blocks."""

    meta: Meta
    blocks: list[Block]


# ---------------------------------------------------------------------------- helpers


def plain_text(nodes: list[Inline]) -> str:
    """The text of inlines, as a reader would see it (images give their alt text)."""
    out: list[str] = []
    stack: list[Any] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        elif isinstance(node, LineBreak):
            out.append("\n")
        elif isinstance(node, Image):
            out.append(node.alt)
        else:
            stack.extend(reversed(node.content))
    return "".join(out)


def spliced(nodes: list[Any], containers: type | tuple[type, ...]) -> Iterator[Any]:
    """``nodes`` in reading order with every node of the ``containers`` types replaced by its
    content, at any depth (without recursion: containers may nest deeper than the stack)."""
    stack: list[Any] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, containers):
            stack.extend(reversed(getattr(node, "content")))  # noqa: B009  # every container has content
        else:
            yield node


def walk(blocks: list[Block]) -> Iterator[Any]:
    """Every node under ``blocks``, depth first, without recursion."""
    stack: list[Any] = list(reversed(blocks))
    while stack:
        node = stack.pop()
        yield node
        if type(node) in LEAVES:  # most nodes: done without the checks below
            continue
        if isinstance(node, (BulletList, OrderedList)):
            for item in reversed(node.items):
                stack.extend(reversed(item))
        elif isinstance(node, Figure):
            stack.extend(reversed(node.caption))
            stack.append(node.image)
        elif isinstance(node, Table):
            for row in reversed(node.head + node.body):
                stack.extend(reversed(row))
            stack.extend(reversed(node.caption))
        elif hasattr(node, "content") and isinstance(node.content, list):
            stack.extend(reversed(node.content))


#: Node types that hold no other node.
LEAVES = frozenset((Text, Code, LineBreak, Image, CodeBlock, HorizontalRule))


# ---------------------------------------------------------------------------- JSON form

_NODE_TYPES: dict[str, type] = {cls.__name__: cls for cls in NODE_TYPES}


def node_to_dict(node: Any) -> Any:
    """A node (or list/tree of nodes) as JSON-ready data: ``{"type": Name, field: value…}``."""
    if isinstance(node, list):
        return [node_to_dict(x) for x in node]
    if dataclasses.is_dataclass(node):
        out: dict[str, Any] = {"type": type(node).__name__}
        for f in dataclasses.fields(node):
            out[f.name] = node_to_dict(getattr(node, f.name))
        return out
    return node


def node_from_dict(data: Any) -> Any:
    """Inverse of :func:`node_to_dict`. Raises ``ValueError`` on an unknown node type."""
    if isinstance(data, list):
        return [node_from_dict(x) for x in data]
    if isinstance(data, dict) and "type" in data:
        name = data["type"]
        cls = _NODE_TYPES.get(name)
        if cls is None:
            raise ValueError(f"unknown node type {name!r}")
        kwargs = {k: node_from_dict(v) for k, v in data.items() if k != "type"}
        return cls(**kwargs)
    return data


def meta_to_dict(meta: Meta) -> dict[str, Any]:
    return {
        "title": meta.title,
        "url": meta.url,
        "published": format_datetime(meta.published),
        "author": meta.author,
        "site": meta.site,
        "language": meta.language,
        "tags": list(meta.tags),
        "extra": meta.extra,
    }


def meta_from_dict(data: dict[str, Any]) -> Meta:
    published = data.get("published")
    return Meta(
        title=data.get("title") or "",
        url=data.get("url") or "",
        published=parse_datetime(published) if published else None,
        author=data.get("author") or "",
        site=data.get("site") or "",
        language=data.get("language") or "",
        tags=[str(t) for t in data.get("tags") or []],
        extra=dict(data.get("extra") or {}),
    )


def document_to_dict(doc: Document) -> dict[str, Any]:
    return {"version": JSON_VERSION, "meta": meta_to_dict(doc.meta), "blocks": node_to_dict(doc.blocks)}


def document_from_dict(data: dict[str, Any]) -> Document:
    version = data.get("version", JSON_VERSION)
    if version != JSON_VERSION:
        raise ValueError(f"unsupported JSON version {version!r} (this converter reads {JSON_VERSION})")
    return Document(meta=meta_from_dict(data.get("meta") or {}), blocks=node_from_dict(data.get("blocks") or []))


def format_datetime(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix; fractions of a second only when present."""
    if value is None:
        return None
    value = value.astimezone(dt.timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond % 1000:
        text += f".{value.microsecond:06d}"
    elif value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def parse_datetime(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)
