"""Output names from a template (``--name '{date}-{slug}'``): each input's output is named from
its document — publication date, a slug of its title, its site — or its file's stem, in the
folder where it would have gone; names that come out the same get ``-2``, ``-3`` … in the order
the inputs were planned, so a rerun gives every output the same name again."""

from __future__ import annotations

import os
import re
import string
import unicodedata
from collections.abc import Sequence

from ..ast import Meta
from ..errors import OptionError

#: The fields a template may use.
FIELDS = ("date", "slug", "site", "stem")
#: The longest slug, in characters (a file name is at most 255 bytes; CJK takes three each).
MAX_SLUG = 60
_UNSAFE = re.compile(r"[^\w-]+")  # \w is Unicode: CJK titles keep their characters
_DASHES = re.compile(r"-{2,}")


def check_template(template: str) -> None:
    """An ``OptionError`` unless ``template`` uses only :data:`FIELDS` and names a file, not a path."""
    try:
        fields = [field for _, field, spec, conv in string.Formatter().parse(template) if field is not None]
    except ValueError as exc:
        raise OptionError(f"{template!r}: {exc} (use {{date}}, {{slug}}, {{site}}, {{stem}})") from None
    unknown = [field for field in fields if field not in FIELDS]
    if unknown:
        raise OptionError(f"{template!r}: unknown field {{{unknown[0]}}}; use {{date}}, {{slug}}, {{site}}, {{stem}}")
    if not fields:
        raise OptionError(f"{template!r} uses no field, so every output would have the same name; "
                          "use {date}, {slug}, {site} or {stem}")
    if "/" in template or os.sep in template or (os.altsep and os.altsep in template):
        raise OptionError(f"{template!r}: names a file, not a folder (no /)")


def slug(text: str) -> str:
    """``text`` as a file name: lower case, runs of anything but letters, digits and ``-``
    made one ``-``, at most :data:`MAX_SLUG` characters ("" for no text)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DASHES.sub("-", _UNSAFE.sub("-", text)).strip("-")
    return text[:MAX_SLUG].rstrip("-")


def stem(template: str, meta: Meta | None, source: str) -> str:
    """The file name (without extension) ``template`` gives the input ``source`` whose
    document has ``meta`` (``None``: it could not be read; the fields then fall back)."""
    file_stem = os.path.splitext(os.path.basename(source))[0]
    site = ""
    if meta is not None:
        site = meta.site or (meta.url.split("://", 1)[-1].split("/", 1)[0] if meta.url else "")
    values = {
        "date": meta.published.strftime("%Y-%m-%d") if meta is not None and meta.published else "undated",
        "slug": slug(meta.title if meta is not None else "") or slug(file_stem) or "untitled",
        "site": slug(site) or "unknown-site",
        "stem": file_stem,
    }
    return template.format(**values).strip() or file_stem


def unique(names: Sequence[str]) -> list[str]:
    """``names`` (output paths without extension) with each repeat, compared as the file
    system would, given ``-2``, ``-3`` … in order."""
    taken: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while os.path.normcase(candidate) in taken:
            n += 1
            candidate = f"{name}-{n}"
        taken.add(os.path.normcase(candidate))
        out.append(candidate)
    return out
