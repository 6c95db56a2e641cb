"""OPML subscription lists: the feeds an ``.opml`` file names, to be fetched by URL.

An OPML file is told by its content (an ``<opml>`` root), as feeds are. Every ``<outline>``
with an ``xmlUrl``, at any depth (readers nest them in folders), is a feed; outlines without
one are folders or links, and hold nothing to fetch. Only ``http`` and ``https`` feeds are
taken: a list is often someone else's file, and a ``file:`` URL or a local path in it must not
make the converter read (and publish) a file of this machine; each such outline is named in
a warning and left out. The file is read by lxml with entities, DTDs and the network off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..chars import drop_controls, one_line
from ..errors import InputError
from .feed_kind import sniff

_ENTITIES = "is an OPML file that declares entities, which a list of feeds has no use for; refused"
#: The schemes of the feeds a list may name.
SCHEMES = ("http://", "https://")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A feed an OPML file lists: its URL and the title the list gives it."""

    url: str
    title: str = ""


@dataclass(slots=True)
class Subscriptions:
    """The feeds of an OPML file, in its order, each once; and the outlines left out, each a
    one-line warning naming the file."""

    path: str
    feeds: list[Subscription] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_opml(data: bytes) -> bool:
    """Whether ``data`` is an OPML document (its root element is ``opml``), by its first bytes."""
    return sniff(data, lists=True) == "opml"


def read_opml(data: bytes, path: str) -> Subscriptions:
    """The feeds the OPML document ``data`` (the file ``path``) lists.

    Raises ``InputError`` when it is not well-formed OPML.
    """
    from lxml import etree

    if b"<!ENTITY" in data:  # lxml expands internal entities in attributes, resolve_entities or not
        raise InputError(_ENTITIES, path)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"is an OPML file that is not well-formed XML ({_short(str(exc))})", path) from None
    dtd: Any = root.getroottree().docinfo.internalDTD if root is not None else None
    if dtd is not None and dtd.entities():  # declared in an encoding that hid them from the check above
        raise InputError(_ENTITIES, path)
    if root is None or root.tag != "opml":
        raise InputError("is not an OPML file (its root element is not <opml>)", path)
    found = Subscriptions(path)
    seen: set[str] = set()
    for outline in root.iter("outline"):
        url = _attribute(outline, "xmlurl")
        if url is None:
            continue
        title = _attribute(outline, "title") or _attribute(outline, "text") or ""
        where = f"{path}: line {outline.sourceline}: " if outline.sourceline else f"{path}: "
        named = f"outline {title!r}" if title else "an outline"
        if not url:
            found.warnings.append(f"{where}{named} has an empty xmlUrl; left out")
        elif not url.lower().startswith(SCHEMES):
            found.warnings.append(f"{where}{named}: {_short(url)} is not an http(s) URL; left out "
                                  "(feeds in a list are only fetched, never read from files)")
        elif url not in seen:
            seen.add(url)
            found.feeds.append(Subscription(url, title))
    return found


def _attribute(element: object, name: str) -> str | None:
    """An attribute by its name in any case (``xmlUrl``, as lists also write ``xmlurl``), as
    one line without control characters; None when the element has none."""
    for key, value in element.attrib.items():  # type: ignore[attr-defined]
        if isinstance(key, str) and key.lower() == name:
            return one_line(drop_controls(str(value))).strip()
    return None


def _short(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= 120 else text[:119] + "…"
