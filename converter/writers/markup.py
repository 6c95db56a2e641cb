"""What XML and HTML output needs of the strings it is built from: characters XML forbids,
escaping, and URLs that are safe and valid.

Shared by the XHTML renderer (EPUB chapters, HTML pages), the EPUB and HTML writers' own
markup (titles, metadata, navigation) and the pandoc writer, whose formats are XML (docx,
ODT …) or carry links into HTML. Only ``http``, ``https`` and ``mailto`` links are written by
default, so no ``javascript:`` URL reaches a page.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, urlsplit

from ..chars import CONTROLS, TEXT_CONTROLS
from ..patterns import lazy_compile

#: The non-characters: U+FDD0–U+FDEF and the last two code points of every plane.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF)
                                           for plane in range(17))
#: Characters outside XML 1.0's ``Char`` production (control characters but tab, line feed
#: and carriage return; surrogates; U+FFFE/U+FFFF), plus the C1 controls, DEL and the other
#: non-characters: XML allows those, but HTML validators reject them and they are never text.
_NOT_XML = lazy_compile(
    "[" + "".join(c for c in CONTROLS if c not in TEXT_CONTROLS) + "\ud800-\udfff" + _NONCHARACTERS + "]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_HOST = lazy_compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*\.?")
_BAD_PERCENT = lazy_compile(r"%(?![0-9A-Fa-f]{2})")
#: Characters left as they are in a URL's path, query and fragment (RFC 3986 pchar and friends).
_URL_SAFE = "!$&'()*+,;=:@/?-._~%"


def drop_non_xml(text: str) -> str:
    """``text`` without the characters XML forbids (and HTML rejects)."""
    return _NOT_XML.sub("", text)


def escape_xml(text: str) -> str:
    """``text`` fit for XML (and HTML) character data and attribute values."""
    return _NOT_XML.sub("", text).translate(_ESCAPES)


def safe_url(url: str, schemes: Iterable[str] = LINK_SCHEMES) -> str | None:
    """``url`` as a valid absolute URL with one of ``schemes``, or ``None`` if it cannot be one.

    Repairs what browsers tolerate but validators do not: spaces, non-ASCII characters,
    stray ``%``, Unicode host names. Drops credentials. Relative and fragment-only URLs are
    refused because their targets do not exist in a converted document.
    """
    url = drop_non_xml(url).strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        return None
    if scheme == "mailto":
        address = _quote(parts.path)
        return f"mailto:{address}" if address else None
    authority = _authority(parts)
    if authority is None:
        return None
    path = _quote(parts.path) or "/"
    query = "?" + _quote(parts.query) if parts.query else ""
    fragment = "#" + _quote(parts.fragment) if parts.fragment else ""
    return f"{scheme}://{authority}{path}{query}{fragment}"


def _quote(part: str) -> str:
    return quote(_BAD_PERCENT.sub("%25", part), safe=_URL_SAFE)


def _authority(parts: SplitResult) -> str | None:
    """``host[:port]`` of a split URL, normalised, or ``None`` when the host is not valid."""
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    if ":" in host:
        try:
            host = f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
        if not _HOST.fullmatch(host) or not _valid_if_numeric(host):
            return None
    return f"{host}:{port}" if port is not None else host


def _valid_if_numeric(host: str) -> bool:
    """URL parsers read a host whose last label is a number as IPv4: it must then be one."""
    last = host.rstrip(".").rsplit(".", 1)[-1]
    if not last.isdigit():
        return True
    try:
        ipaddress.IPv4Address(host.rstrip("."))
    except ValueError:
        return False
    return True
