"""Typography for CJK and Latin readers: each page says its language, the stylesheet justifies
CJK text between characters and never by widening spaces only, marks CJK emphasis without a
fake italic, hyphenates Latin text, and a web page has a reading width."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from importlib import resources
from pathlib import Path

from lxml import etree

from converter import ast as A
from converter.writers.epub import bundle
from converter.writers.html import HtmlWriter

UTC = dt.timezone.utc


def _rules(name: str) -> list[tuple[list[str], list[tuple[str, str]]]]:
    """The rules of a stylesheet of the package: (selectors, declarations in order), comments
    dropped."""
    text = (resources.files("converter") / "styles" / name).read_text("utf-8")
    css = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    return [([s.strip() for s in selectors.split(",")], re.findall(r"([-\w]+)\s*:\s*([^;]+?)\s*(?:;|$)", body))
            for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css)]


def _declared(name: str, selector: str, prop: str) -> list[str]:
    """The values ``selector`` (one of a rule's selectors) is given for ``prop``, in order."""
    return [value for selectors, declarations in _rules(name) if selector in selectors
            for key, value in declarations if key == prop]


def test_no_rule_justifies_by_widening_spaces_only() -> None:
    assert ("text-justify", "inter-word") not in [d for _, ds in _rules("reading.css") for d in ds]


def test_cjk_is_justified_between_characters_and_latin_is_hyphenated_not_justified() -> None:
    for language in ("zh", "ja"):
        assert _declared("reading.css", f"html:lang({language})", "text-justify") == ["inter-character"]
    assert _declared("reading.css", "html", "text-align") == ["left", "start"]
    assert _declared("reading.css", "html:lang(en)", "hyphens") == ["auto"]
    # headings set their own, so that the inherited "auto" does not break their words
    assert _declared("reading.css", "h1", "hyphens") == ["manual"]


def test_cjk_emphasis_is_upright_with_emphasis_dots() -> None:
    for language in ("zh", "ja", "ko"):
        selector = f"html:lang({language}) em"
        assert _declared("reading.css", selector, "font-style") == ["normal"]
        assert _declared("reading.css", selector, "text-emphasis") == ["filled dot"]
        assert _declared("reading.css", selector, "-epub-text-emphasis-style") == ["filled dot"]
    assert _declared("reading.css", "html:lang(zh) em", "text-emphasis-position") == ["under right"]


def test_list_items_are_evenly_spaced_whether_or_not_they_hold_paragraphs() -> None:
    assert _declared("reading.css", "li > p", "margin") == ["0"]
    assert _declared("reading.css", "li", "margin") == ["0.3em 0"]


def _doc(language: str, text: str) -> A.Document:
    return A.Document(A.Meta(title=text, language=language, url=f"https://news.example.org/{language}",
                             published=dt.datetime(2024, 11, 27, tzinfo=UTC)),
                      [A.Paragraph([A.Text(text), A.Emphasis([A.Text(text)])])])


def test_each_chapter_of_a_bundle_says_its_own_language() -> None:
    data = bundle([_doc("zh-Hant", "新聞"), _doc("en", "News"), _doc("ja", "ニュース")], images="none")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pages = [etree.fromstring(z.read(n)) for n in sorted(z.namelist()) if re.search(r"/ch\d+\.xhtml$", n)]
    languages = {page.findtext(".//{*}h1"): (page.get("lang"), page.get("{http://www.w3.org/XML/1998/namespace}lang"))
                 for page in pages}
    assert languages == {"新聞": ("zh-Hant", "zh-Hant"), "News": ("en", "en"), "ニュース": ("ja", "ja")}


def test_a_web_page_has_a_reading_width_and_the_users_css_comes_last(tmp_path: Path) -> None:
    css = tmp_path / "mine.css"
    css.write_text("body { max-width: 50em; }\n", "utf-8")
    page = HtmlWriter(css=str(css)).write(_doc("zh-Hans", "新闻"))
    style = page.split("<style>\n", 1)[1].split("</style>", 1)[0]
    reading = (resources.files("converter") / "styles" / "reading.css").read_text("utf-8")
    width = (resources.files("converter") / "styles" / "page.css").read_text("utf-8")
    assert style.index(reading) < style.index(width) < style.index("body { max-width: 50em; }")
    assert _declared("page.css", "body", "max-width") == ["36em"]
    assert _declared("page.css", "html:lang(zh) body", "max-width") == ["40em"]
    assert '<html lang="zh-Hans">' in page
