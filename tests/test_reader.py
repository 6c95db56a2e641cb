"""The feed-HTML reader: decoding, header, front matter, metadata and language."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from converter import InputError, parse
from converter import ast as A
from converter.readers.header import epoch_to_datetime, split

FIXTURES = Path(__file__).parent / "fixtures"
UTC = dt.timezone.utc
BODY = "<p>第一段内容，用来检测语言。这是简体中文的新闻报道。</p>"


def doc_from(text: str, **kw: object) -> A.Document:
    return parse(text.encode("utf-8"), **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ header


def test_header_millisecond_stamp_title_with_brackets_and_url() -> None:
    doc = doc_from("<!--1738414025000-->\n[連戰追思李登輝[影]](https://example.com/a?b=1)\n------\n\n" + BODY)
    assert doc.meta.title == "連戰追思李登輝[影]"
    assert doc.meta.url == "https://example.com/a?b=1"
    assert doc.meta.published == dt.datetime(2025, 2, 1, 12, 47, 5, tzinfo=UTC)


def test_header_second_stamp_and_equals_underline() -> None:
    doc = doc_from("<!--1606752000-->\n[Title](https://example.com/x)\n=====\n" + BODY)
    assert doc.meta.published == dt.datetime(2020, 11, 30, 16, 0, tzinfo=UTC)
    assert doc.meta.title == "Title"


def test_header_title_html_entities_are_decoded() -> None:
    doc = doc_from("<!--1606752000-->\n[Tom &amp; Jerry](https://example.com/x)\n---\n" + BODY)
    assert doc.meta.title == "Tom & Jerry"


def test_absurd_timestamp_is_ignored_not_fatal() -> None:
    assert epoch_to_datetime("9999999999999") is None
    assert epoch_to_datetime("0000000000") is None
    doc = doc_from("<!--9999999999999-->\n[T](https://example.com/x)\n---\n" + BODY)
    assert doc.meta.published is None and doc.meta.title == "T"


def test_header_is_not_part_of_the_body() -> None:
    parts = split("<!--1606752000-->\n[T](https://e.com/x)\n------\n<p>body</p>")
    assert parts.body.strip() == "<p>body</p>" and parts.has_header


def test_title_falls_back_to_h1_then_file_name() -> None:
    doc = parse((FIXTURES / "no_header.txt").read_bytes(), path="no_header.txt")
    assert doc.meta.title == "没有头部的文章"
    headings = [b for b in doc.blocks if isinstance(b, A.Heading)]
    assert not headings, "the heading that repeats the title is not kept in the body"
    doc = parse(b"<p>just a paragraph of text</p>", path="/tmp/some-item.txt")
    assert doc.meta.title == "some-item"


def test_the_title_repeated_at_the_top_is_dropped_however_often_and_whatever_its_shape() -> None:
    """BBC: the title as ``<h1>`` and again as a bold first paragraph; the title is shown
    from the metadata, so neither is kept. The same text later in the body stays."""
    title = "纳卡战争：被迫撤离“家园”的亚美尼亚人"
    doc = doc_from(f"<!--1600000000000-->\n[{title}](https://example.org/a)\n---\n"
                   f"<h1>{title}</h1><p><b>{title}</b></p><p>正文第一段。</p><p>{title}</p>")
    assert [A.plain_text(b.content) for b in doc.blocks] == ["正文第一段。", title]  # type: ignore[union-attr]


# ------------------------------------------------------------------ front matter


def test_front_matter_maps_known_keys_and_keeps_the_rest() -> None:
    doc = parse((FIXTURES / "frontmatter.md").read_bytes())
    m = doc.meta
    assert m.title == "前置資料：標題 [更新]"
    assert m.url == "https://news.example.com.tw/news/202008040003.aspx"
    assert m.published == dt.datetime(2020, 8, 3, 23, 58, 2, tzinfo=UTC)
    assert m.tags == ["示例通訊社"] and m.site == "示例通訊社"
    assert m.extra["custom_key"] == "保留這個值" and m.extra["layout"] == "post"
    assert m.extra["categories"] == ["示例通訊社"]
    assert m.language == "zh-Hant"


def test_front_matter_alone_gives_metadata_without_header() -> None:
    text = "---\ntitle: Only front matter\ndate: 2020-04-12T14:32:17+01:00\nfrom: https://e.com/p\n---\n" + BODY
    m = doc_from(text).meta
    assert m.title == "Only front matter" and m.url == "https://e.com/p"
    assert m.published == dt.datetime(2020, 4, 12, 13, 32, 17, tzinfo=UTC)


def test_alias_bomb_in_front_matter_is_refused_quickly() -> None:
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(9)) + "title: bomb\n---\n" + BODY
    with pytest.warns(UserWarning, match="aliases are not allowed"):
        doc = doc_from(bomb)
    assert doc.meta.extra == {} and doc.blocks


def test_broken_front_matter_warns_and_keeps_the_body() -> None:
    with pytest.warns(UserWarning, match="front matter ignored"):
        doc = doc_from("---\ntags: [unclosed\n---\n" + BODY)
    assert A.plain_text(doc.blocks[0].content).startswith("第一段")  # type: ignore[union-attr]


def test_front_matter_non_mapping_is_ignored() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = doc_from("---\n- just\n- a list\n---\n" + BODY)
    assert doc.meta.extra == {}


# ------------------------------------------------------------------ decoding and bad input


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
def test_legacy_chinese_encodings(encoding: str) -> None:
    text = "<!--1606752000-->\n[標題測試](https://e.com/x)\n---\n<p>這是一段用來測試舊編碼的繁體中文內容，讀者應該看到正確的文字。</p>"
    doc = parse(text.encode(encoding))
    assert doc.meta.title == "標題測試"
    assert "正確的文字" in A.plain_text(doc.blocks[0].content)  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_byte_order_marks(encoding: str) -> None:
    doc = parse(("<!--1606752000-->\n[BOM](https://e.com/x)\n---\n" + BODY).encode(encoding))
    assert doc.meta.title == "BOM" and doc.meta.language == "zh-Hans"


def test_crlf_line_endings() -> None:
    doc = parse(b"<!--1606752000-->\r\n[CRLF](https://e.com/x)\r\n---\r\n<p>text</p>\r\n")
    assert doc.meta.title == "CRLF" and doc.meta.url == "https://e.com/x"


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"  \n\t\r\n ", "only whitespace"),
    (bytes(range(256)) * 4, "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("<p>UTF-16 read as UTF-8</p>".encode("utf-16-le"), "binary"),
])
def test_bad_input_raises_one_line_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse(data, path="bad.txt")
    assert "\n" not in str(info.value) and str(info.value).startswith("bad.txt: ")


@pytest.mark.parametrize("stray", [b"\x00\x00", b"\x0c", b"\x0b", b"\x1b", b"\x08"])
def test_stray_controls_in_utf8_text_are_dropped_not_refused(stray: bytes) -> None:
    """Two NULs, a form feed, a vertical tab, an escape or a backspace in a news item that is
    otherwise UTF-8 text: the document converts, without them."""
    doc = parse("<!--1606752000-->\n[控制字符](https://e.com/x)\n---\n<p>前半段".encode() + stray
                + "后半段</p>".encode(), path="stray.txt")
    text = A.plain_text(doc.blocks[0].content)
    assert doc.meta.title == "控制字符" and text.replace(" ", "") == "前半段后半段"
    assert not set(text) & set(stray.decode())


# ------------------------------------------------------------------ metadata and language


def test_seed_like_fixture_metadata() -> None:
    doc = parse((Path(__file__).parents[1] / "examples" / "item.txt").read_bytes())
    m = doc.meta
    assert m.author == "林晓" and m.language == "zh-Hans" and m.site == "news.example.org"
    assert m.title == "示例：城市图书馆延长开放时间[图]"


@pytest.mark.parametrize("body, language", [
    ("<p>中国外交部发言人表示，这个问题应该通过对话解决。经济发展和国际关系都很重要。</p>", "zh-Hans"),
    ("<p>中國外交部發言人表示，這個問題應該透過對話解決。經濟發展與國際關係都很重要。</p>", "zh-Hant"),
    ("<p>The central bank said on Tuesday that inflation would stay high for the rest of the year.</p>", "en"),
    ("<p>東京都は火曜日、新しい図書館を開くと発表しました。ひらがなとカタカナも使います。</p>", "ja"),
])
def test_language_detection(body: str, language: str) -> None:
    assert doc_from("<!--1606752000-->\n[T](https://e.com/x)\n---\n" + body).meta.language == language


def test_a_long_document_is_settled_by_its_first_thousand_characters() -> None:
    """Long Chinese text plainly in one script is decided from a first look; text that is not
    plain (kana, or both scripts' own characters) is looked at further, to the same answer."""
    from converter.readers.language import FIRST_LOOK, detect_language, settled_chinese

    simplified = "中国外交部发言人表示，这个问题应该通过对话解决。经济发展和国际关系都很重要。" * 40
    traditional = "中國外交部發言人表示，這個問題應該透過對話解決。經濟發展與國際關係都很重要。" * 40
    assert settled_chinese(simplified[:FIRST_LOOK]) == "zh-Hans" == detect_language(simplified)
    assert settled_chinese(traditional[:FIRST_LOOK]) == "zh-Hant" == detect_language(traditional)
    mixed = (simplified[:600] + traditional[:600]) * 4
    japanese = "東京都は火曜日、新しい図書館を開くと発表しました。" * 60
    assert settled_chinese(mixed[:FIRST_LOOK]) == "" and settled_chinese(japanese[:FIRST_LOOK]) == ""
    for text, language in [(simplified, "zh-Hans"), (traditional, "zh-Hant"), (japanese, "ja")]:
        assert doc_from("<!--1606752000-->\n[T](https://e.com/x)\n---\n<p>" + text + "</p>").meta.language == language


_SCRIPTS_WHEN_NEEDED = """
import sys
from converter.readers.language import detect_language
english = detect_language("The central bank said on Tuesday that inflation would stay high for the year.")
print(english, "zhon" in sys.modules)
print(detect_language("中國外交部發言人表示，這個問題應該透過對話解決。經濟發展與國際關係都很重要。"), "zhon" in sys.modules)
print(detect_language("中国外交部发言人表示，这个问题应该通过对话解决。经济发展和国际关系都很重要。"))
"""


def test_the_chinese_script_lists_are_loaded_at_the_first_han_text() -> None:
    """A process converting English never loads the simplified/traditional lists (a few ms of
    every start); its first Han text does, and is told apart by script like the later ones."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _SCRIPTS_WHEN_NEEDED], capture_output=True, check=True,
                          timeout=120)
    assert done.stdout.decode().split() == ["en", "False", "zh-Hant", "True", "zh-Hans"]


def test_front_matter_language_wins_over_detection() -> None:
    assert doc_from("---\nlang: fr\n---\n" + BODY).meta.language == "fr"


def test_json_round_trip_is_lossless() -> None:
    from converter import load_json, render

    for path in sorted(p for p in FIXTURES.iterdir() if p.is_file()) + [Path(__file__).parents[1] / "examples" / "item.txt"]:
        doc = parse(path.read_bytes(), path=str(path))
        again = load_json(render(doc, "json"))
        assert again == doc, path.name


@pytest.mark.parametrize(("html", "expected"), [
    # the space before the next word is outside the link: its underline stops at the word
    ('<p>Read <a href="https://ex.com/b">the story </a>here.</p>',
     [A.Text("Read "), A.Link([A.Text("the story")], "https://ex.com/b"), A.Text(" here.")]),
    ('<p>See<a href="https://ex.com/b"> <b>this</b></a>.</p>',
     [A.Text("See "), A.Link([A.Strong([A.Text("this")])], "https://ex.com/b"), A.Text(".")]),
    # a link on a space alone keeps its target (the space is all there is to hold it)
    ('<p>a<a href="https://ex.com/b"> </a>b</p>',
     [A.Text("a"), A.Link([A.Text(" ")], "https://ex.com/b"), A.Text("b")]),
])
def test_spaces_at_a_links_edges_are_moved_outside_it(html: str, expected: list[A.Inline]) -> None:
    doc = doc_from(f"<!--1700000000000-->\n[T](https://ex.com/a)\n------\n\n{html}\n")
    assert doc.blocks == [A.Paragraph(expected)]


LONG = " ".join(["The minister spoke at length about the budget and the bridge."] * 8)


def _figure(url: str, alt: str = "") -> A.Figure:
    return A.Figure(A.Image(url, alt=alt), [])


@pytest.mark.parametrize(("html", "expected"), [
    # a photo above the text, in the text's paragraph (RTI): a figure, then the paragraph (a
    # short text there would be the photo's caption)
    (f'<p><img src="https://ex.com/p.jpg" alt="The minister."><br>{LONG}</p>',
     [_figure("https://ex.com/p.jpg", "The minister."), A.Paragraph([A.Text(LONG)])]),
    # a linked thumbnail on the last line
    ('<p>Watch it.<br><a href="https://ex.com/v"><img src="https://ex.com/t.jpg"></a></p>',
     [A.Paragraph([A.Text("Watch it.")]), _figure("https://ex.com/t.jpg")]),
    # an image within a line, or on a line between two lines of text, stays where it is
    ('<p>a <img src="https://ex.com/i.png" alt="icon"> b</p>',
     [A.Paragraph([A.Text("a "), A.Image("https://ex.com/i.png", alt="icon"), A.Text(" b")])]),
    ('<p>a<br><img src="https://ex.com/i.png"><br>b</p>',
     [A.Paragraph([A.Text("a"), A.LineBreak(), A.Image("https://ex.com/i.png"), A.LineBreak(), A.Text("b")])]),
])
def test_an_image_on_a_line_of_its_own_at_a_paragraphs_edge_is_a_figure(html: str, expected: list[A.Block]) -> None:
    doc = doc_from(f"<!--1700000000000-->\n[T](https://ex.com/a)\n------\n\n{html}\n")
    assert doc.blocks == expected
