"""Telling a feed from a document by its content, not its name: what a file holds decides
how it is read (:mod:`.syndication` for RSS, Atom and JSON Feed, :mod:`.opml` for lists of
feeds). A module of its own, importing nothing heavy: every input file is asked, and a saved
item converted alone must not pay for the feed reader's imports.
"""

from __future__ import annotations

import re

from ..patterns import lazy_compile

#: What :func:`sniff` names a feed's format.
KINDS = {"rss": "RSS", "rdf": "RSS 1.0 (RDF)", "atom": "Atom", "json": "JSON Feed"}
#: How much of a file :func:`sniff` looks at.
_HEAD = 65536
_ATOM = "http://www.w3.org/2005/Atom"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_JSON_FEED = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org/version/1(?:\.\d+)?/?"')


def sniff(data: bytes, *, lists: bool = False) -> str | None:
    """The kind of feed ``data`` holds (a key of :data:`KINDS`), or None for anything else;
    with ``lists``, ``"opml"`` for an OPML list of feeds (:mod:`.opml`).

    XML feeds by their root element, read by lxml from the first 64 KiB with entities,
    DTDs and the network off; JSON Feed by its ``version`` member near the start. A
    feed-HTML item, whose ``<!--timestamp-->`` line is followed by text, is told without a
    parser (:func:`_markup_first`).
    """
    head = _utf8_head(data[:_HEAD])
    if head.startswith(b"{"):
        return "json" if _JSON_FEED.search(head) else None
    kind = _kind_of_root(_root_tag(head)) if _markup_first(head) else None
    return kind if kind != "opml" or lists else None


def _utf8_head(head: bytes) -> bytes:
    """The start of a file as UTF-8 (or the bytes it is), without BOM or leading white space
    (which servers often put before an XML declaration); a UTF-16 file's declared encoding
    goes with the conversion."""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom):].decode(encoding, "ignore")
            return _ENCODING.sub(r"\1", text.lstrip(" \t\r\n\ufeff"), count=1).encode("utf-8")
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")


_ENCODING = lazy_compile(r"""(?<=<\?xml)(\s[^>]*?)\sencoding\s*=\s*["'][^"']*["']""")


def _markup_first(head: bytes) -> bool:
    """Whether an element may come first in ``head``, after the comments and processing
    instructions an XML prolog may hold: a feed-HTML item's ``<!--timestamp-->`` line is
    followed by its Markdown title, so it is told apart without starting an XML parser."""
    while head.startswith((b"<!--", b"<?")):
        close = b"-->" if head.startswith(b"<!--") else b"?>"
        end = head.find(close)
        if end < 0:
            return True  # not closed within the head: the parser decides
        head = head[end + len(close):].lstrip(b" \t\r\n")
    return head.startswith(b"<")


def _root_tag(head: bytes) -> str | None:
    from lxml import etree

    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
                                 huge_tree=False)
    try:
        parser.feed(head)
    except etree.LxmlError:  # the root may have been seen before the error
        pass
    try:
        for _, element in parser.read_events():
            tag = getattr(element, "tag", None)
            return tag if isinstance(tag, str) else None
    except etree.LxmlError:
        pass
    return None


def _kind_of_root(tag: str | None) -> str | None:
    if tag is None:
        return None
    namespace, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local == "rss" and not namespace:
        return "rss"
    if local == "RDF" and namespace == _RDF:
        return "rdf"
    if local == "feed" and namespace in (_ATOM, ""):
        return "atom"
    if local == "opml" and not namespace:
        return "opml"
    return None
