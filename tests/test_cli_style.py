"""--css and --epub-cover-image: the reader's typography and the book's cover."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from test_cli import EXAMPLE, invoke
from test_images import png_bytes

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
