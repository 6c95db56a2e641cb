"""Bytes to text: BOMs, UTF-8, legacy Chinese encodings, and refusing what is not text."""

from __future__ import annotations

import codecs

from ..errors import InputError
from ..patterns import lazy_compile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Bytes that never occur in text: C0 controls other than tab, LF, FF, CR, ESC.
_BINARY_BYTES = bytes([*range(0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
#: The same as characters, for text that decoded: a stray one is dropped, a text made of them is binary.
_CONTROL_CHARS = lazy_compile("[" + "".join(f"\\x{byte:02x}" for byte in _BINARY_BYTES) + "]")
#: Characters sampled, and how many of them may be controls, before decoded text counts as binary.
_SAMPLE = 8192
_MOSTLY = 10
#: Encodings tried, in order, when the bytes are not UTF-8. GB18030 is a superset of GBK/GB2312.
_LEGACY = ("gb18030", "big5", "cp1252")


def decode(data: bytes, path: str | None = None) -> str:
    """Decode a document's bytes; raise ``InputError`` for empty or binary input.

    BOMs win; then strict UTF-8 (the common case, and cheap); then a detector
    (charset-normalizer) restricted to the legacy encodings feed archives really use.
    Line endings are normalised to ``\\n``.

    Text that decoded is binary only when it is mostly not text (:func:`_mostly_controls`: a
    tenth of it control characters, as in UTF-16 read as UTF-8); a stray NUL, form feed or
    escape in a news item is dropped (NUL here, the others by the reader), not a reason to
    refuse it. Bytes that are not UTF-8 must look like text before a legacy codec, which
    decodes almost anything, is tried (:func:`_looks_binary`).
    """
    text = _decode_bom(data)
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _decode_damaged_utf8(data)
            if text is None:
                if _looks_binary(data):
                    raise InputError("is a binary file, not a text document", path) from None
                text = _decode_legacy(data, path)
    if _mostly_controls(text):
        raise InputError("is a binary file, not a text document", path)
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("is empty" if not text else "holds only whitespace", path)
    return text


def _decode_bom(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding).lstrip("\ufeff")
            except UnicodeDecodeError:
                return None
    return None


def _mostly_controls(text: str) -> bool:
    """Whether a tenth or more of the first characters are controls (NUL among them) that
    text never holds."""
    head = text[:_SAMPLE]
    return len(_CONTROL_CHARS.findall(head)) * _MOSTLY >= len(head) > 0


def _looks_binary(data: bytes, sample: int = _SAMPLE) -> bool:
    """For bytes that are not UTF-8: a NUL, or more than 1 % control bytes, in the first few
    kilobytes (no legacy text encoding writes them)."""
    head = data[:sample]
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))  # counted in C
    return controls > len(head) // 100


def _decode_damaged_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a character cut short, a stray byte), decoded with
    U+FFFD in their place: one bad byte must not cost a whole article, nor turn it into
    mojibake through a legacy codec. ``None`` unless at least 100 valid non-ASCII characters
    stand for every broken sequence; legacy encodings form valid UTF-8 sequences only by chance.
    """
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd")
    broken = replaced - data.count(b"\xef\xbf\xbd")  # U+FFFD written in the file is not damage
    ascii_bytes = len(data) - len(data.translate(None, _ASCII))
    valid = len(text) - ascii_bytes - replaced
    return text if 0 < broken * 100 <= valid else None


_ASCII = bytes(range(0x80))


def _decode_legacy(data: bytes, path: str | None) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(_LEGACY)).best()
    if best is not None:
        return str(best)
    for encoding in _LEGACY[:2]:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("is not valid UTF-8 and no known text encoding fits; is it a text document?", path)
