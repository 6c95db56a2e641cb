"""--css and --epub-cover-image: the reader's typography and the book's cover."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest
from support import epubcheck_jar
from test_cli import EXAMPLE, invoke
from test_images import png_bytes

from converter.writers.pandoc.process import pandoc_path

CSS = "p { line-height: 2; }\n/* </style><script>alert(1)</script> */\n"


@pytest.fixture
def css(tmp_path: Path) -> Path:
    path = tmp_path / "mine.css"
    path.write_text(CSS, encoding="utf-8")
    return path


@pytest.fixture
def cover(tmp_path: Path) -> Path:
    path = tmp_path / "cover.png"
    path.write_bytes(png_bytes())
    return path


def test_html_gets_the_stylesheet_after_the_reading_one(css: Path) -> None:
    code, out, err = invoke(str(EXAMPLE), "--to", "html", "-o", "-", "--css", str(css))
    assert code == 0, err
    style = out.split("<style>")[1].split("</style>")[0]
    assert style.rstrip().endswith("/* <\\/style><script>alert(1)<\\/script> */")  # it cannot close the element
    assert style.index("p { line-height: 2; }") > 100 and "</script>" not in out


def test_an_epub_gets_the_stylesheet_and_the_cover(tmp_path: Path, css: Path, cover: Path) -> None:
    for args in (["--to", "epub", "-o", str(tmp_path / "one.epub")], ["--bundle", str(tmp_path / "book.epub")]):
        code, _, err = invoke(str(EXAMPLE), *args, "--offline", "--css", str(css), "--epub-cover-image", str(cover))
        assert code == 0, err
        with zipfile.ZipFile(args[-1]) as book:
            assert book.read("EPUB/style/reading.css").decode().endswith(CSS)
            assert book.read("EPUB/images/cover.png") == png_bytes()
            opf = book.read("EPUB/content.opf").decode()
        assert 'href="images/cover.png" id="cover-img" media-type="image/png" properties="cover-image"' in opf


@pytest.mark.parametrize("args, line", [
    (["--to", "md", "--css", "{css}"], "--css: does not apply to markdown output"),
    (["--to", "html", "--css", "missing.css"], "--css: missing.css: cannot be read (No such file or directory)"),
    (["--to", "html", "--epub-cover-image", "{cover}"], "--epub-cover-image: does not apply to html output"),
    (["--to", "epub", "--epub-cover-image", "{css}"], "--epub-cover-image: {css}: is not a JPEG, PNG, GIF or WebP image"),
])
def test_style_options_that_cannot_work_are_usage_errors(css: Path, cover: Path, args: list[str], line: str) -> None:
    args = [a.format(css=css, cover=cover) for a in args]
    code, _, err = invoke(str(EXAMPLE), *args, "-o", "-")
    assert code == 2 and err == f"convert: error: {line.format(css=css)}\n"


# ---------------------------------------------------------------------------- pandoc's options


def _reference_docx(path: Path) -> Path:
    """pandoc's own reference.docx with a font of our naming in its styles."""
    data = subprocess.run([pandoc_path(), "--print-default-data-file", "reference.docx"], capture_output=True,
                          check=True, timeout=120).stdout
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "word/styles.xml":
                body = body.replace(b'w:ascii="', b'w:ascii="MarkerFont', 1)
            dst.writestr(item, body)
    return path


def test_reference_doc_reaches_pandoc(tmp_path: Path) -> None:
    reference = _reference_docx(tmp_path / "ref.docx")
    out = tmp_path / "a.docx"
    code, _, err = invoke(str(EXAMPLE), "-o", str(out), "--reference-doc", str(reference))
    assert code == 0, err
    with zipfile.ZipFile(out) as docx:
        assert b"MarkerFont" in docx.read("word/styles.xml")


def test_a_template_and_a_table_of_contents_reach_pandoc_for_a_folder_too(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.txt", "b.txt"):
        (src / name).write_bytes(EXAMPLE.read_bytes())
    template = tmp_path / "page.rst"
    template.write_text("FROM THE TEMPLATE $title$\n\n$if(toc)$TOC DEPTH $toc-depth$$endif$\n\n$body$\n",
                        encoding="utf-8")
    code, _, err = invoke(str(src), "--to", "rst", "-o", str(tmp_path / "out"), "--template", str(template),
                          "--toc", "--toc-depth", "2", "-j", "1")
    assert code == 0, err
    for name in ("a.rst", "b.rst"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert text.startswith("FROM THE TEMPLATE 示例") and "TOC DEPTH 2" in text


@pytest.mark.parametrize("args, line", [
    (["--to", "rst", "--reference-doc", "{css}"], "--reference-doc: applies to docx, odt, pptx output only"),
    (["--to", "docx", "--reference-doc", "missing.docx"], "--reference-doc: missing.docx: cannot be read (No such file or directory)"),
    (["--to", "docx", "--template", "{css}"], "--template: does not apply to docx output (a binary format)"),
    (["--to", "rst", "--toc-depth", "2"], "--toc-depth: applies only with --toc"),
    (["--to", "rst", "--toc", "--toc-depth", "7"], "--toc-depth: must be a heading level from 1 to 6, not 7"),
    (["--to", "md", "--toc"], "--toc: does not apply to markdown output"),
])
def test_pandoc_options_that_cannot_work_are_usage_errors(css: Path, args: list[str], line: str) -> None:
    code, _, err = invoke(str(EXAMPLE), *[a.format(css=css) for a in args], "-o", "-")
    assert code == 2 and err == f"convert: error: {line}\n"


# ---------------------------------------------------------------------------- tables of contents


def _sections(tmp_path: Path) -> Path:
    path = tmp_path / "sections.txt"
    path.write_bytes(EXAMPLE.read_bytes().replace(
        b"<p><strong>", b"<h2>Part one</h2><h3>Detail</h3><h4>Deeper</h4><p>x</p><h2>Part two &amp; more</h2><p><strong>", 1))
    return path


def test_html_starts_with_a_table_of_contents(tmp_path: Path) -> None:
    """The headings of the example are <h2> to <h4>: levels 2 to 4, as pandoc counts them."""
    code, out, err = invoke(str(_sections(tmp_path)), "--to", "html", "-o", "-", "--toc", "--toc-depth", "3")
    assert code == 0, err
    nav = out.split('<nav class="toc"')[1].split("</nav>")[0]
    assert '<a href="#sec-1">Part one</a><ol>\n<li><a href="#sec-2">Detail</a></li>' in nav
    assert '<a href="#sec-4">Part two &amp; more</a>' in nav and "Deeper" not in nav
    assert '<h3 id="sec-1">Part one</h3>' in out and '<h5 id="sec-3">Deeper</h5>' in out
    code, out, _ = invoke(str(_sections(tmp_path)), "--to", "html", "-o", "-", "--toc", "--toc-depth", "2")
    assert "Part two" in out.split('<nav class="toc"')[1].split("</nav>")[0] and "#sec-2" not in out
    code, out, _ = invoke(str(_sections(tmp_path)), "--to", "html", "-o", "-")
    assert "<nav" not in out and 'id="sec-1"' not in out


def test_an_epub_lists_the_headings_under_each_chapter(tmp_path: Path) -> None:
    source = _sections(tmp_path)
    for args in (["-o", str(tmp_path / "one.epub")], ["--bundle", str(tmp_path / "book.epub")]):
        code, _, err = invoke(str(source), *args, "--offline", "--toc")
        assert code == 0, err
        with zipfile.ZipFile(args[-1]) as book:
            nav = book.read("EPUB/nav.xhtml").decode()
            ncx = book.read("EPUB/toc.ncx").decode()
        chapter = "ch1.xhtml" if "one" in args[-1] else "ch0001.xhtml"
        for anchor, text in (("sec-1", "Part one"), ("sec-2", "Detail"), ("sec-4", "Part two")):
            assert f'href="{chapter}#{anchor}">{text}' in nav
            assert f'src="{chapter}#{anchor}"' in ncx
        assert "Deeper" not in nav  # level 4: below the default depth, 3


@pytest.mark.skipif(epubcheck_jar() is None, reason="needs Java and the epubcheck package")
def test_a_book_with_headings_cover_and_stylesheet_passes_epubcheck(tmp_path: Path, css: Path, cover: Path) -> None:
    from test_epub import epubcheck

    book = tmp_path / "book.epub"
    code, _, err = invoke(str(_sections(tmp_path)), str(EXAMPLE), "--bundle", str(book), "--offline", "--toc",
                          "--css", str(css), "--epub-cover-image", str(cover))
    assert code == 0, err
    assert epubcheck(book) == []
