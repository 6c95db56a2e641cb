"""Generated covers: every book has one (a digest book included), it says the book's title,
dates and sections, it is the same bytes each time, and it is still drawn without any font."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from support import FEEDS, needs_corpus

from converter import ast as A
from converter import digest
from converter.writers import cover as C
from converter.writers.epub import EpubWriter, bundle

UTC = dt.timezone.utc
NS = {"opf": "http://www.idpf.org/2007/opf"}


def _doc(title: str, site: str, url: str, day: int, language: str = "zh-Hans") -> A.Document:
    return A.Document(A.Meta(title=title, site=site, url=url, language=language,
                             published=dt.datetime(2024, 11, day, 8, tzinfo=UTC)),
                      [A.Paragraph([A.Text(title)])])


DOCS = [_doc("美中贸易", "德国之声", "https://www.dw.com/zh/a-1", 27),
        _doc("Markets", "The Economist", "https://www.economist.com/a", 27, "en"),
        _doc("图书馆", "", "https://news.example.org/zh/b", 28)]


def _cover_of(book: bytes) -> tuple[str, bytes, str]:
    """The cover item's href and bytes, and the EPUB 2 ``meta name=cover`` it is named by."""
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        items = opf.xpath("//opf:manifest/opf:item[@properties='cover-image']", namespaces=NS)
        assert len(items) == 1
        legacy = opf.xpath("string(//opf:metadata/opf:meta[@name='cover']/@content)", namespaces=NS)
        return items[0].get("href"), z.read("EPUB/" + items[0].get("href")), legacy if legacy == items[0].get(
            "id") else ""


def test_a_digest_book_has_a_generated_cover_and_the_same_bytes_each_time() -> None:
    made = digest.books(DOCS, "digest-{date}.epub", group_by="day", images="none")
    assert [name for name, _, _ in made] == ["digest-2024-11-27.epub", "digest-2024-11-28.epub"]
    for _, _, build in made:
        book = build()
        href, data, legacy = _cover_of(book)
        assert href == "images/cover.jpg" and legacy == "cover-img"
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (C.WIDTH, C.HEIGHT)
        assert build() == book


def test_the_cover_says_the_title_dates_and_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[C.CoverText] = []
    real = C.cover_jpeg

    def spy(text: C.CoverText) -> bytes:
        seen.append(text)
        return real(text)

    monkeypatch.setattr(C, "cover_jpeg", spy)
    bundle(DOCS, images="none")
    EpubWriter(images="none").write(DOCS[1])
    assert seen == [
        C.CoverText("Articles, 2024-11-27 – 2024-11-28", "2024-11-27 – 2024-11-28",
                    (("news.example.org", "news.example.org"), ("The Economist", "economist.com"),
                     ("德国之声", "dw.com")), "zh-Hans"),
        C.CoverText("Markets", "2024-11-27", (("The Economist", "economist.com"),), "en"),
    ]


def test_the_users_cover_image_is_the_cover_instead(tmp_path: Path) -> None:
    path = tmp_path / "mine.png"
    Image.new("RGB", (6, 8), (200, 10, 10)).save(path)
    href, data, _ = _cover_of(bundle(DOCS, images="none", cover_image=str(path)))
    assert href == "images/cover.png" and data == path.read_bytes()


@pytest.mark.parametrize(("title", "dates", "expected"), [
    ("Articles, 2024-11-27", "2024-11-27", ("Articles", "2024-11-27")),
    ("Daily, 2024-11-25 – 2024-12-01", "2024-11-26 – 2024-11-30", ("Daily", "2024-11-25 – 2024-12-01")),
    ("新闻，2024-11", "", ("新闻", "2024-11")),
    ("Covid, 2019 in review", "2024-11-27", ("Covid, 2019 in review", "2024-11-27")),
])
def test_a_date_that_ends_the_title_is_the_date_line(title: str, dates: str, expected: tuple[str, str]) -> None:
    assert C._masthead(title, dates) == expected


def test_the_cover_depends_on_what_it_says() -> None:
    one = C.cover_jpeg(C.CoverText("Articles", "2024-11-27", (("BBC", "bbc.com"),), "en"))
    assert one == C.cover_jpeg(C.CoverText("Articles", "2024-11-27", (("BBC", "bbc.com"),), "en"))
    assert one != C.cover_jpeg(C.CoverText("Articles", "2024-11-28", (("BBC", "bbc.com"),), "en"))


def test_without_any_font_file_a_cover_is_drawn_with_what_pillow_can_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "font_files", dict)
    own = C._Face()
    assert C._choose_face(["德国之声"], "zh-Hans") == own
    assert C._can_draw(own, "Articles 2024-11-27 dw.com") and not C._can_draw(own, "德国之声")
    data = C.cover_jpeg(C.CoverText("新闻, 2024-11-27", "", (("德国之声", "dw.com"),), "zh-Hans"))
    assert Image.open(io.BytesIO(data)).size == (C.WIDTH, C.HEIGHT)


def test_a_cjk_title_gets_a_cjk_font_when_the_system_has_one() -> None:
    found = [name for name in C.CJK_FONTS if name in C.font_files()]
    if not found:
        pytest.skip("no CJK font among the known ones on this system")
    face = C._choose_face(["专访：DeepSeek为何能在AI大模型中脱颖而出"], "zh-Hans")
    assert face.path == C.font_files()[found[0]] and C._can_draw(face, "专访：DeepSeek")
    if found[0].endswith(".ttc") and "CJK" in found[0]:  # a collection: the simplified Chinese face
        assert C._font(face, 20).getname()[0].endswith(" SC")


@needs_corpus
def test_corpus_digest_books_have_covers_and_are_reproducible() -> None:
    from converter import parse

    docs = [parse(p.read_bytes(), path=str(p)) for p in FEEDS[:60]]
    made = digest.books(docs, "digest-{date}.epub", group_by="day", images="none")
    assert len(made) > 3
    for _, _, build in made[:3]:
        book = build()
        assert _cover_of(book)[0] == "images/cover.jpg" and build() == book


def test_what_a_font_cannot_draw_is_left_out_and_a_title_mostly_undrawable_is_dropped() -> None:
    own = C._Face()  # Pillow's own font: Latin letters and digits, no CJK, no emoji
    assert C._drawable(own, "Markets \U0001F525 rally") == "Markets rally"
    assert C._drawable(own, "德国之声 DW") == ""
    assert C._visible("Deep\u200bSeek\u200e") == "DeepSeek"


def test_at_most_three_fonts_are_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[C._Face] = []
    real = C._has_glyph

    def spy(face: C._Face, ch: str) -> bool:
        tried.append(face)
        return real(face, ch)

    monkeypatch.setattr(C, "_has_glyph", spy)
    C._choose_face(["\U0001F525 \U0001F9E8"], "en")  # emoji: no font of the lists draws them
    assert 1 <= len(set(tried)) <= 3 and C._Face() in tried
