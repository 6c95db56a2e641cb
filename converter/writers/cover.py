"""A generated cover for a book: its title, its date or dates and its sections, as a JPEG.

E-readers show a book in their library by its ``cover-image``; Kindle and Kobo need a raster
image for that (an SVG cover is not shown). A digest's first photo says nothing about the
book, so, like calibre's news recipes, we draw a masthead instead: the title in a coloured
band, the date below it, then the sections (publishers) of the book.

Drawing text needs a font. None is shipped (a CJK font weighs tens of megabytes): of the
first CJK font and the first Latin font of lists of well-known files found in the system's
font folders, and Pillow's own font (Latin letters and digits), the cover uses the first that
draws all of its text (the CJK one first for CJK text), else the one that draws the most.
What that font cannot draw is left out: a section shows its web host (ASCII) instead of its
name, a title loses the odd character (an emoji), or is left out when most of it cannot be
drawn, so every machine gives a good cover. The same text, fonts and Pillow give the same
bytes: no time or randomness goes into the image, the colour comes from the title, and text
is laid out with Pillow's basic layout engine (which needs no optional library).

Pillow is imported here only, so that only a book's cover pays for it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from PIL import Image, ImageDraw, ImageFont

from ..labels import table_language
from ..wrap import display_width, wrap

#: Size in pixels: 3:4, the shape of e-reader screens; large enough for a sleep-screen
#: cover, small enough to draw in a few milliseconds.
WIDTH, HEIGHT = 600, 800
#: Band colours, one chosen per book from its title (so a series keeps its colour); each is
#: dark enough for white text and prints as a mid grey on e-ink.
_BANDS = ((0x1F, 0x3A, 0x5F), (0x7A, 0x1F, 0x2B), (0x2F, 0x5D, 0x50), (0x3B, 0x3E, 0x40), (0x6B, 0x4F, 0x1D))
_PAPER = (0xF6, 0xF3, 0xEC)
_INK = (0x22, 0x22, 0x22)
_WHITE = (0xFF, 0xFF, 0xFF)
#: Font files, best first. CJK fonts also draw Latin text; the Latin ones are preferred for
#: Latin text because they draw it better.
CJK_FONTS = (
    "NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf", "SourceHanSans-Bold.ttc", "SourceHanSansSC-Bold.otf",
    "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "SourceHanSans-Regular.ttc",
    "NotoSerifCJK-Bold.ttc", "NotoSerifCJK-Regular.ttc", "wqy-zenhei.ttc", "wqy-microhei.ttc",
    "PingFang.ttc", "Hiragino Sans GB.ttc", "STHeiti Medium.ttc", "msyhbd.ttc", "msyh.ttc", "simhei.ttf",
    "DroidSansFallbackFull.ttf", "DroidSansFallback.ttf", "Arial Unicode.ttf",
)
LATIN_FONTS = (
    "DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "NotoSans-Bold.ttf", "OpenSans-Bold.ttf", "arialbd.ttf",
    "Arial Bold.ttf", "DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf", "arial.ttf",
    "Arial.ttf", "Helvetica.ttc",
)
#: The face of a font collection to use for each language of the label table (Noto Sans CJK
#: and Source Han Sans name their faces so).
_REGION = {"zh-Hans": "SC", "zh-Hant": "TC", "ja": "JP", "ko": "KR"}
#: A trailing date in a title (``Articles, 2024-11-27``): the cover shows it on its own line.
_TITLE_DATE = re.compile(r"^(.+?)[,，]\s*(\d{4}-\d{2}(?:-\d{2})?(?:\s*–\s*\d{4}-\d{2}-\d{2})?)$")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_MAX_SECTIONS = 8


@dataclass(frozen=True, slots=True)
class CoverText:
    """What a cover says. ``sections`` are (name, stand-in) pairs: the stand-in (a web host)
    is shown when the name cannot be drawn."""

    title: str
    dates: str = ""
    sections: tuple[tuple[str, str], ...] = ()
    language: str = "und"


class _Face(NamedTuple):
    """A font file (and its face in a collection), or Pillow's own font (``path`` empty). A
    named tuple: it keys the per-character caches, and hashes faster than a dataclass."""

    path: str = ""
    number: int = 0  #: the face's index in a collection

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return _font(self, size)


def cover_jpeg(text: CoverText) -> bytes:
    """The cover of a book that says ``text``, as JPEG bytes (JPEG, as calibre's generated
    covers: every reading system shows it, and it is made in a tenth of the time of a PNG of
    this size, which matters for a digest of a hundred books)."""
    title, dates = (_visible(t) for t in _masthead(text.title, text.dates))
    sections = [(_visible(name), _visible(stand_in)) for name, stand_in in text.sections]
    band = _BANDS[int(hashlib.sha256(title.encode("utf-8", "surrogatepass")).hexdigest(), 16) % len(_BANDS)]
    face = _choose_face([title, dates, *(name for name, _ in sections)], text.language)
    title, dates = _drawable(face, title), _drawable(face, dates)
    image = Image.new("RGB", (WIDTH, HEIGHT), _PAPER)
    draw = ImageDraw.Draw(image)
    margin, band_bottom = _px(48), int(HEIGHT * 0.46)
    draw.rectangle((0, 0, WIDTH, band_bottom), fill=band)
    draw.rectangle((0, band_bottom, WIDTH, band_bottom + _px(7)), fill=_INK)
    if title:
        _draw_block(draw, face, title, (margin, margin, WIDTH - margin, band_bottom - margin // 2),
                    sizes=[_px(n) for n in (74, 62, 52, 44, 38, 32)], max_lines=5, fill=_WHITE, bottom=True)
    y = band_bottom + _px(7) + margin
    if dates:
        y = _draw_block(draw, face, dates, (margin, y, WIDTH - margin, y + _px(94)),
                        sizes=[_px(n) for n in (40, 34, 28, 24)], max_lines=2, fill=band)
        y += _px(16)
        draw.rectangle((margin, y, margin + _px(80), y + _px(4)), fill=band)
        y += _px(4 + 26)
    _draw_sections(draw, face, sections, (margin, y, WIDTH - margin, HEIGHT - margin))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def _px(length: float) -> int:
    """A length of the layout, drawn for a 600-pixel-wide cover, at the cover's width."""
    return round(length * WIDTH / 600)


def _masthead(title: str, dates: str) -> tuple[str, str]:
    """The title without a trailing date, and the date line (the title's own date wins)."""
    match = _TITLE_DATE.match(title)
    if match:
        return match.group(1), match.group(2)
    return title, dates


def _draw_sections(draw: ImageDraw.ImageDraw, face: _Face, sections: Sequence[tuple[str, str]],
                   box: tuple[int, int, int, int]) -> None:
    """The sections, one a line, in ``box``; ``+N`` for those that do not fit."""
    left, top, right, low = box
    font, step = face.font(_px(27)), _px(39)  # the size _fit is given below
    room = min(max(0, (low - top) // step), _MAX_SECTIONS)
    names = [name if _can_draw(face, name) else stand_in for name, stand_in in sections]
    names = [_fit(face, _px(27), name, right - left) for name in names if name]
    shown = names if len(names) <= room else names[:max(0, room - 1)]
    if len(shown) < len(names):
        shown.append(f"+{len(names) - len(shown)}")
    for i, name in enumerate(shown):
        draw.text((left, top + i * step), name, font=font, fill=_INK, anchor="la")


def _draw_block(draw: ImageDraw.ImageDraw, face: _Face, text: str, box: tuple[int, int, int, int], *,
                sizes: Sequence[int], max_lines: int, fill: tuple[int, int, int], bottom: bool = False) -> int:
    """``text`` wrapped into ``box`` at the largest of ``sizes`` that fits in ``max_lines``
    (at the smallest, cut with an ellipsis); set against the box's bottom edge when
    ``bottom``, else its top. Returns the bottom of the text."""
    left, top, right, low = box
    for size in sizes:
        leading = int(size * 1.22)
        fewest = math.ceil(_length(face, size, text) / (right - left))  # lines, were it packed without gaps
        if size != sizes[-1] and (fewest > max_lines or fewest * leading > low - top):
            continue
        lines = _lines(face, size, text, right - left)
        if len(lines) <= max_lines and len(lines) * leading <= low - top:
            break
    fitting = max(1, min(max_lines, (low - top) // leading))
    if len(lines) > fitting:
        lines = lines[:fitting - 1] + [_fit(face, size, lines[fitting - 1] + "…", right - left, force=True)]
    y = low - len(lines) * leading if bottom else top
    font = face.font(size)
    for line in lines:
        draw.text((left, y), line, font=font, fill=fill, anchor="la")
        y += leading
    return y


def _lines(face: _Face, size: int, text: str, width: int) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels at ``size``, at the places
    :func:`converter.wrap.wrap` allows (spaces, around CJK characters, kinsoku respected).
    The first try gives a line as many columns as the text's average column width allows."""
    per_column = _length(face, size, text) / max(1, display_width(text))
    columns = max(1, int(width / per_column)) if per_column else 1
    while True:
        lines = wrap(text, columns)
        if columns == 1 or all(_length(face, size, line) <= width for line in lines):
            return lines
        columns -= 1


def _fit(face: _Face, size: int, text: str, width: int, *, force: bool = False) -> str:
    """``text`` cut to ``width`` pixels at ``size``, ending with ``…`` when cut (or when ``force``)."""
    if _length(face, size, text) <= width and not force:
        return text
    body = text.rstrip("…")
    while body and _length(face, size, body + "…") > width:
        body = body[:-1]
    return body.rstrip() + "…"


#: The size at which characters are measured once; a text's length at another size is scaled,
#: with a margin for rounding and hinting.
_MEASURE_SIZE = 100
_SAFETY = 1.03


def _length(face: _Face, size: int, text: str) -> float:
    """The width of ``text`` in pixels at ``size``, from each character's advance, measured
    once (the basic layout places characters by their advances), never less than it draws."""
    advances = _advances(face)
    missing = set(text).difference(advances)
    if missing:
        font = face.font(_MEASURE_SIZE)
        advances.update((ch, font.getlength(ch)) for ch in missing)
    return sum(map(advances.__getitem__, text)) * size * _SAFETY / _MEASURE_SIZE


@functools.lru_cache(maxsize=64)
def _advances(face: _Face) -> dict[str, float]:
    """The advances of the characters of ``face`` measured so far, at ``_MEASURE_SIZE``."""
    return {}


# ---------------------------------------------------------------------------- fonts


def _choose_face(texts: Sequence[str], language: str) -> _Face:
    """Of the best CJK font found, the best Latin one (the CJK one first when ``texts`` hold
    CJK) and Pillow's own, the first that draws every character of ``texts``, else the one
    that draws most. Three at most: a character no font has costs no search of every font."""
    found = font_files()
    lists = (CJK_FONTS, LATIN_FONTS) if any(_CJK.search(t) for t in texts) else (LATIN_FONTS, CJK_FONTS)
    paths = [next((found[name] for name in names if name in found), "") for names in lists]
    faces = [_face(path, language) for path in paths if path] + [_Face()]
    wanted = [ch for t in texts for ch in t if not ch.isspace()]
    best, most = faces[-1], -1
    for face in faces:
        drawn = sum(map(functools.partial(_has_glyph, face), wanted))
        if drawn == len(wanted):
            return face
        if drawn > most:
            best, most = face, drawn
    return best


@functools.lru_cache(maxsize=1)
def font_files() -> dict[str, str]:
    """The font files in the system's font folders, by file name (the first found in a
    sorted walk of the folders, in the order of :func:`_font_dirs`)."""
    found: dict[str, str] = {}
    for folder in _font_dirs():
        for root, dirs, files in os.walk(folder):
            dirs.sort()
            for name in sorted(files):
                if name.lower().endswith((".ttf", ".ttc", ".otf")):
                    found.setdefault(name, os.path.join(root, name))
    return found


def _font_dirs() -> list[str]:
    home = Path.home()
    if sys.platform == "win32":
        windows = os.environ.get("WINDIR", r"C:\Windows")
        local = os.environ.get("LOCALAPPDATA", "")
        return [os.path.join(windows, "Fonts")] + ([os.path.join(local, "Microsoft", "Windows", "Fonts")] if local
                                                   else [])
    if sys.platform == "darwin":
        return ["/System/Library/Fonts", "/Library/Fonts", str(home / "Library" / "Fonts")]
    data_dirs = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    return ([os.path.join(d, "fonts") for d in data_dirs.split(":") if d]
            + [str(home / ".local" / "share" / "fonts"), str(home / ".fonts")])


@functools.lru_cache(maxsize=64)
def _face(path: str, language: str) -> _Face:
    """The face of ``path`` for ``language``: in a collection of CJK faces, the one named for
    the language's region (``Noto Sans CJK SC`` for ``zh-Hans``), else the first."""
    region = _REGION.get(table_language(language))
    if not path.lower().endswith(".ttc") or region is None:
        return _Face(path)
    for index in range(16):
        try:
            family = ImageFont.truetype(path, 16, index=index).getname()[0] or ""
        except OSError:
            break
        if family.endswith(" " + region):
            return _Face(path, index)
    return _Face(path)


@functools.lru_cache(maxsize=256)
def _font(face: _Face, size: int) -> ImageFont.FreeTypeFont:
    if not face.path:
        default = ImageFont.load_default(size)
        assert isinstance(default, ImageFont.FreeTypeFont)  # Pillow >= 10.1 built with FreeType
        return default
    return ImageFont.truetype(face.path, size, index=face.number, layout_engine=ImageFont.Layout.BASIC)


def _can_draw(face: _Face, text: str) -> bool:
    """Whether ``face`` has a glyph for every character of ``text`` (spaces aside)."""
    return all(_has_glyph(face, ch) for ch in set(text) if not ch.isspace())


def _visible(text: str) -> str:
    """``text`` without format characters (zero-width spaces, joiners, marks of direction),
    which draw nothing, or a missing-glyph box."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _drawable(face: _Face, text: str) -> str:
    """``text`` without the characters ``face`` cannot draw (an emoji in a title), or "" when
    they are most of it (a Chinese title and no CJK font): a few boxes are noise, a title of
    boxes is worse than none."""
    kept = " ".join("".join(ch for ch in word if _has_glyph(face, ch)) for word in text.split())
    return " ".join(kept.split()) if 2 * len(kept.replace(" ", "")) >= len(text.replace(" ", "")) else ""


@functools.lru_cache(maxsize=65536)
def _has_glyph(face: _Face, ch: str) -> bool:
    """A missing character is drawn as the font's "missing glyph" (a box, or nothing): the
    same pixels as a character no font has, U+FFFF."""
    if not face.path and ch.isascii():
        return True
    return _pixels(face, ch) != _pixels(face, "\uffff")


@functools.lru_cache(maxsize=65536)
def _pixels(face: _Face, ch: str) -> bytes:
    image = Image.new("L", (32, 32))
    ImageDraw.Draw(image).text((8, 8), ch, font=face.font(16), fill=255)
    return image.tobytes()
