"""The feed-HTML reader: bytes or text in, ``Document`` out.

decode → split (front matter, header, body) → byline and promo footer out → HTML walk →
metadata from header, front matter, byline and text.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

from .. import ast as A
from ..errors import InputError
from . import header, rules
from .decode import decode
from .html import read_body
from .language import detect_language

#: Front-matter keys that map onto ``Meta`` fields; every other key goes to ``Meta.extra``.
_URL_KEYS = ("from", "url", "link", "source")
_MAPPED = frozenset(("title", "date", "author", "tags", "lang", "language") + _URL_KEYS)


def read(source: bytes | str, path: str | None = None) -> A.Document:
    """Parse one feed-HTML document. ``path`` names it in errors and is the last-resort title."""
    text = decode(source, path) if isinstance(source, bytes) else source
    if not text.strip():
        raise InputError("is empty" if not text else "holds only whitespace", path)
    parts = header.split(text)
    author, body = rules.extract_byline(rules.strip_promo_footer(parts.body))
    meta = _meta(parts, author)
    blocks, heading = read_body(body, meta.url)
    if not meta.title:
        meta.title = heading
        if not meta.title and path:
            meta.title = os.path.splitext(os.path.basename(path))[0]
    blocks = drop_title_heading(blocks, meta.title)
    if not meta.language:
        meta.language = detect_language(meta.title + "\n" + _text_of(blocks), meta.url)
    return A.Document(meta, blocks)


def _meta(parts: header.Parts, byline_author: str) -> A.Meta:
    fm = parts.front_matter
    url = parts.url or next((str(fm[k]).strip() for k in _URL_KEYS if isinstance(fm.get(k), str)), "")
    tags = _string_list(fm.get("tags"))
    categories = _string_list(fm.get("categories"))
    return A.Meta(
        title=parts.title or _clean_string(fm.get("title")),
        url=url,
        published=parts.published or _front_matter_date(fm.get("date")),
        author=byline_author or _clean_string(fm.get("author")),
        site=(tags or categories or [rules.site_of(url)])[0],
        language=_clean_string(fm.get("lang") or fm.get("language")),
        tags=tags,
        extra={k: _json_safe(v) for k, v in fm.items() if str(k) not in _MAPPED},
    )


def drop_title_heading(blocks: list[A.Block], title: str) -> list[A.Block]:
    """Drop a heading near the top that only repeats the title (it is rendered from meta)."""
    wanted = _squash(title)
    for i, block in enumerate(blocks[:3]):
        if isinstance(block, A.Heading) and wanted and _squash(A.plain_text(block.content)) == wanted:
            return blocks[:i] + blocks[i + 1:]
    return blocks


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _text_of(blocks: list[A.Block]) -> str:
    return " ".join(n.text for n in A.walk(blocks) if isinstance(n, A.Text))


def _clean_string(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None and not isinstance(value, (dict, list)) else ""


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [s for s in (_clean_string(v) for v in items) if s]


def _front_matter_date(value: Any) -> dt.datetime | None:
    """YAML gives datetimes, dates or strings; all become aware UTC datetimes."""
    if isinstance(value, dt.datetime):
        stamp = value
    elif isinstance(value, dt.date):
        stamp = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            stamp = A.parse_datetime(value.strip())
        except ValueError:
            return None
    else:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc)


def _json_safe(value: Any) -> Any:
    """Front-matter values as JSON-ready data (dates become ISO 8601 strings)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.datetime):
        return A.format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
