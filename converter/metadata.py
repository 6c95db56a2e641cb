"""Metadata given by the user (``-M KEY=VALUE``, ``--metadata-file FILE.yaml``), which overrides
what the reader found, whatever the output format.

The keys are pandoc's: ``title``, ``author``, ``language`` (``lang`` too), ``date`` (ISO 8601),
``publisher`` and ``subject`` (one, or a list in a file). They land in the document's
:class:`~converter.ast.Meta`: ``date`` as ``published``, ``subject`` as ``tags``, ``publisher``
in ``extra`` (the EPUB's publisher, a key of Markdown's front matter and of JSON's ``extra``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from .ast import Document
from .errors import OptionError

#: The key of a batch's options (:func:`converter.batch.run`, :func:`converter.api.convert_tree`)
#: that holds the fields of :func:`checked`: they are applied to each document before its writer
#: sees it, and they are part of what an output depends on (the journal's fingerprint).
OPTION = "metadata"
#: The keys a user may set, and the names they are also known by.
KEYS = ("title", "author", "language", "publisher", "date", "subject")
_ALIASES = {"lang": "language", "subjects": "subject", "tags": "subject", "published": "date"}


def parse_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` (or ``KEY:VALUE``, as pandoc takes it) as a known key and its value."""
    key, sep, value = text.partition("=")
    if not sep:
        key, sep, value = text.partition(":")
    if not sep or not key.strip():
        raise OptionError(f"{text!r} is not KEY=VALUE (keys: {', '.join(KEYS)})")
    return _key(key), value.strip()


def load_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The keys of a YAML file (a mapping at its top), each checked."""
    import yaml

    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise OptionError(f"cannot read {os.fspath(path)} ({exc.strerror or exc})") from None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: an impossible date
        raise OptionError(f"{os.fspath(path)} is not YAML: {' '.join(str(exc).split())}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OptionError(f"{os.fspath(path)} must hold a mapping of KEY: VALUE (keys: {', '.join(KEYS)})")
    return {_key(str(key)): value for key, value in data.items()}


def checked(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` (from :func:`parse_assignment` and :func:`load_file`; later keys win) as the
    fields of :class:`~converter.ast.Meta` they set: text stripped, the date an aware UTC
    datetime, the subject a list. An ``OptionError`` names the key that is wrong."""
    from .readers.feed import _front_matter_date

    out: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = _key(raw_key)
        if key == "date":
            when = _front_matter_date(value)
            if when is None:
                raise OptionError(f"date: {value!r} is not an ISO 8601 date (e.g. 2025-02-01 or 2025-02-01T12:20:00Z)")
            out["published"] = when
        elif key == "language":
            from .writers.article import language_tag

            tag = _text(key, value).replace("_", "-")
            if tag and language_tag(tag) == "und" and tag.lower() != "und":
                raise OptionError(f"language: {tag!r} is not a BCP 47 language tag (e.g. en, zh-Hans, zh-Hant)")
            out["language"] = tag
        elif key == "subject":
            items = value if isinstance(value, list) else [value]
            out["tags"] = [text for text in (_text(key, item) for item in items) if text]
        else:
            out[key] = _text(key, value)
    return out


def apply(doc: Document, fields: Mapping[str, Any]) -> Document:
    """``doc`` with the metadata ``fields`` (from :func:`checked`) in place of the reader's."""
    if not fields:
        return doc
    meta = dict(fields)
    extra = dict(doc.meta.extra)
    if "publisher" in meta:
        extra["publisher"] = meta.pop("publisher")
    return dataclasses.replace(doc, meta=dataclasses.replace(doc.meta, **meta, extra=extra))


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A batch's options as the writer's and the metadata fields (under :data:`OPTION`)."""
    rest = dict(options)
    return rest, dict(rest.pop(OPTION, None) or {})


def _key(key: str) -> str:
    name = key.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in KEYS:
        raise OptionError(f"unknown metadata key {key.strip()!r}; the keys are {', '.join(KEYS)}")
    return name


def _text(key: str, value: Any) -> str:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split())
    raise OptionError(f"{key}: {value!r} is not text")
