"""The feed-HTML reader: bytes or text in, ``Document`` out.

decode → split (front matter, header, body) → byline and promo footer out → HTML walk →
metadata from header, front matter, byline and text.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from typing import Any

from .. import ast as A
from ..chars import clean_input_text, drop_controls, one_line, replace_unencodable
from ..errors import InputError
from ..patterns import lazy_compile
from . import cleanup, header, rules
from .bylines import clean_author
from .decode import decode
from .html import localize_labels, read_body
from .language import FIRST_LOOK, SAMPLE, detect_language, settled_chinese
from .rules import Notice

#: Front-matter keys that map onto ``Meta`` fields; every other key goes to ``Meta.extra``.
_URL_KEYS = ("from", "url", "link", "source")
_MAPPED = frozenset(("title", "date", "author", "tags", "lang", "language") + _URL_KEYS)
#: Character references that can name a character the reader drops (see
#: :func:`converter.chars.drop_controls`; a superset: hex 00-1F, 70-9F, FFFE-FFFF,
#: decimal 0-31, 127-159, 65534-65535), so the walk that removes them runs only when one may
#: be there, not for every ``&#8217;``.
_CONTROL_REFERENCE = lazy_compile(
    r"&#(?:[xX]0*(?:1?[0-9a-fA-F]|[7-9][0-9a-fA-F]|[fF]{3}[eEfF])|0*(?:[12]?[0-9]|3[01]|12[7-9]|1[3-5][0-9]|6553[45]))"
    r"(?![0-9a-fA-F])")


def read(source: bytes | str, path: str | None = None, notice: Notice = rules.ignore) -> A.Document:
    """Parse one feed-HTML document. ``path`` names it in errors and is the last-resort title.

    ``notice`` is called with the name of each cleaning rule that fires (for measurements).
    """
    text = decode(source, path) if isinstance(source, bytes) else replace_unencodable(source)
    text = drop_controls(text)
    if not text.strip():
        raise InputError("is empty" if not text else "holds only whitespace", path)
    parts = header.split(text)
    byline, body = rules.extract_byline(rules.strip_promo_footer(parts.body), notice)
    return _document(_meta(parts), body, path, [byline], _clean_string(parts.front_matter.get("author")),
                     parts.front_matter, notice, may_refer_to_controls=bool(_CONTROL_REFERENCE.search(text)))


def from_html(body: str, meta: A.Meta, path: str | None = None, notice: Notice = rules.ignore) -> A.Document:
    """A document given as its metadata and the HTML of its body (a feed's entry), through
    the same steps as a saved item: promo footer and byline out, the walk, the cleanup, the
    title heading, the language. ``meta`` is taken as it is (its strings clean, its date aware
    UTC) and completed in place: an author from the bylines when the entry names none, the
    first heading as title, the language."""
    body = drop_controls(replace_unencodable(body))
    byline, body = rules.extract_byline(rules.strip_promo_footer(body), notice)
    return _document(meta, body, path, [byline], "", {}, notice,
                     may_refer_to_controls=bool(_CONTROL_REFERENCE.search(body)))


def _document(meta: A.Meta, body: str, path: str | None, bylines: list[str], front_matter_author: str,
              fm: dict[str, Any], notice: Notice, *, may_refer_to_controls: bool) -> A.Document:
    found = read_body(body, meta.url, notice)
    if not meta.title:
        meta.title = found.heading
        if not meta.title and path:  # as text: bytes of the name that were not UTF-8 become U+FFFD
            meta.title = _clean_string(os.path.splitext(os.path.basename(path))[0])
    cleaned = cleanup.clean(drop_title_heading(found.blocks, meta.title, notice), meta.url, meta.published, notice)
    blocks = cleaned.blocks
    meta.published = meta.published or cleaned.published
    _credit(meta, [*bylines, *found.bylines, cleaned.author], front_matter_author, fm)
    if may_refer_to_controls:  # a character reference can spell a control character again
        _drop_controls_everywhere(meta, blocks)
    if not meta.language:
        meta.language = _language(meta.title, blocks, meta.url)
    localize_labels(blocks, meta.language)
    return A.Document(meta, blocks)


def _drop_controls_everywhere(meta: A.Meta, blocks: list[A.Block]) -> None:
    """Control characters out of every string of the metadata and the blocks, in place."""
    for node in [meta, *A.walk(blocks)]:
        for name in ("text", "alt", "title", "url", "author", "site"):
            value = getattr(node, name, None)
            if isinstance(value, str):
                setattr(node, name, drop_controls(value))
    meta.tags = [drop_controls(tag) for tag in meta.tags]


def _meta(parts: header.Parts) -> A.Meta:
    fm = parts.front_matter
    url = parts.url or next((_clean_string(fm[k]) for k in _URL_KEYS if isinstance(fm.get(k), str)), "")
    tags = _string_list(fm.get("tags"))
    categories = _string_list(fm.get("categories"))
    return A.Meta(
        title=parts.title or _clean_string(fm.get("title")),
        url=url,
        published=parts.published or _front_matter_date(fm.get("date")),
        site=(tags or categories or [rules.site_of(url)])[0],
        language=_clean_string(fm.get("lang") or fm.get("language")),
        tags=tags,
        extra={clean_input_text(str(k)): _json_safe(v) for k, v in fm.items() if str(k) not in _MAPPED},
    )


def _credit(meta: A.Meta, bylines: list[str], front_matter_author: str, fm: dict[str, Any]) -> None:
    """``meta.author`` is the first byline that names a person; a name that is the site's or
    the feed's (a tag or category, the site, the main label of the URL's host: "BBC",
    "The Economist") is ``meta.site`` when the site has no name yet, never the author. A
    front-matter ``author`` counts after the bylines of the text."""
    sites = {_squash_name(name) for name in [meta.site, *meta.tags, *_string_list(fm.get("categories"))] if name}
    for name in (clean_author(n) for n in [*bylines, front_matter_author] if n):
        if not name:
            continue
        if _is_site_name(name, meta.url, sites):
            if meta.site == rules.site_of(meta.url):  # the site had only its host for a name
                meta.site = name
                sites.add(_squash_name(name))
        elif not meta.author:
            meta.author = name


def _squash_name(name: str) -> str:
    return re.sub(r"[\W_]+", "", name).casefold()


def _is_site_name(name: str, url: str, sites: set[str]) -> bool:
    """Whether ``name`` is the site's: one of its names, or holding the main label of the
    URL's host as a word ("BBC" for bbc.com) or, for labels of five letters or more, at all
    ("The Economist" for economist.com)."""
    squashed = _squash_name(name)
    if squashed in sites:
        return True
    label = _squash_name(rules.site_key(url).split(".")[0])
    if len(label) < 3:
        return False
    words = {w.casefold() for w in re.findall(r"[A-Za-z0-9]+", name)}
    return label in words or squashed == label or (len(label) >= 5 and label in squashed)


def drop_title_heading(blocks: list[A.Block], title: str, notice: Notice = rules.ignore) -> list[A.Block]:
    """Drop the headings near the top that only repeat the title (it is rendered from meta),
    and paragraphs that do (BBC's first line is the title again, in bold)."""
    wanted = _squash(title)
    if not wanted:
        return blocks
    head = []
    for block in blocks[:3]:
        if isinstance(block, (A.Heading, A.Paragraph)) and _squash(A.plain_text(block.content)) == wanted:
            notice("title repeated", title)
        else:
            head.append(block)
    return head + blocks[3:]


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _language(title: str, blocks: list[A.Block], url: str) -> str:
    """The document's language from its text: a first look settles most Chinese documents
    (and is all the text of short ones); the rest are looked at further."""
    first = _text_of(blocks, FIRST_LOOK)
    if len(first) < FIRST_LOOK:  # all of the text
        return detect_language(title + "\n" + first, url)
    return settled_chinese(title + "\n" + first) or detect_language(title + "\n" + _text_of(blocks), url)


def _text_of(blocks: list[A.Block], limit: int = SAMPLE) -> str:
    """The text of ``blocks``, as far as language detection looks at it: all of it when
    shorter than ``limit``, else ``limit`` characters or more."""
    parts, size = [], 0
    for node in A.walk(blocks):
        if type(node) is A.Text:
            parts.append(node.text)
            size += len(node.text) + 1
            if size > limit:
                break
    return " ".join(parts)


def _clean_string(value: Any) -> str:
    """A front-matter value as one line of text ("" for none, a list or a map); the control
    characters YAML can spell (``"\\e"``) go as in the body, NUL becomes U+FFFD."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return one_line(clean_input_text(str(value)))


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
    try:
        return stamp.astimezone(dt.timezone.utc)
    except OverflowError:  # year 1 east of UTC, year 9999 west of it
        return None


def _json_safe(value: Any) -> Any:
    """Front-matter values as JSON-ready data (dates become ISO 8601 strings, infinities and
    NaN the strings ``inf``, ``-inf`` and ``nan``)."""
    if isinstance(value, dict):
        return {clean_input_text(str(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.datetime):
        try:
            return A.format_datetime(value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc))
        except OverflowError:  # not representable in UTC
            return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return clean_input_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # YAML's .inf and .nan: JSON has no such number
    if value is None or isinstance(value, (int, float, bool)):
        return value
    return clean_input_text(str(value))
