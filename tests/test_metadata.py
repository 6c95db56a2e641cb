"""-M/--metadata and --metadata-file: the user's metadata in place of the reader's, in every format."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import pytest
from test_cli import EXAMPLE, GOOD, invoke

from converter import ast as A
from converter import convert_tree, metadata
from converter.errors import OptionError

SET = ["-M", "title=Evening hours", "-M", "author=Li Xiao", "-M", "lang=en", "-M", "date=2025-02-01",
       "-M", "publisher=City Press", "-M", "subject=libraries"]


def _out(tmp_path: Path, fmt: str, *args: str) -> bytes:
    out = tmp_path / f"out.{fmt}"
    code, _, err = invoke(str(EXAMPLE), "--to", fmt, "-o", str(out), *args)
    assert code == 0, err
    return out.read_bytes()


def test_markdown_front_matter_carries_the_metadata_given(tmp_path: Path) -> None:
    text = _out(tmp_path, "md", *SET).decode()
    front = text.split("---\n")[1]
    assert "title: Evening hours" in front and "author: Li Xiao" in front and "language: en" in front
    assert "2025-02-01T00:00:00Z" in front and "publisher: City Press" in front and "- libraries" in front
    assert "城市图书馆延长开放时间" not in front


def test_json_text_and_html_carry_it_too(tmp_path: Path) -> None:
    meta = json.loads(_out(tmp_path, "json", *SET))["meta"]
    assert (meta["title"], meta["author"], meta["language"], meta["published"], meta["tags"],
            meta["extra"]["publisher"]) == ("Evening hours", "Li Xiao", "en", "2025-02-01T00:00:00Z",
                                            ["libraries"], "City Press")
    text = _out(tmp_path, "txt", *SET).decode()
    assert text.startswith("Evening hours\n") and "Author: Li Xiao" in text
    html = _out(tmp_path, "html", *SET).decode()
    assert "<title>Evening hours</title>" in html and 'lang="en"' in html


def _opf(book: Path) -> str:
    with zipfile.ZipFile(book) as z:
        return next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))


def test_the_epub_package_says_what_was_given(tmp_path: Path) -> None:
    _out(tmp_path, "epub", "--offline", *SET)
    opf = _opf(tmp_path / "out.epub")
    for element in ("<dc:title>Evening hours</dc:title>", ">Li Xiao</dc:creator>",
                    "<dc:language>en</dc:language>", "<dc:publisher>City Press</dc:publisher>",
                    "<dc:subject>libraries</dc:subject>", "<dc:date>2025-02-01"):
        assert element in opf, element


def test_a_metadata_file_is_read_and_m_wins_over_it(tmp_path: Path) -> None:
    file = tmp_path / "meta.yaml"
    file.write_text("title: From the file\nauthor: File Author\nsubject: [a, b]\ndate: 2024-12-31\n", encoding="utf-8")
    meta = json.loads(_out(tmp_path, "json", "--metadata-file", str(file), "-M", "author=Command Line"))["meta"]
    assert (meta["title"], meta["author"], meta["tags"], meta["published"]) == (
        "From the file", "Command Line", ["a", "b"], "2024-12-31T00:00:00Z")


def test_stdout_gets_the_metadata_as_well() -> None:
    code, out, err = invoke(str(EXAMPLE), "--to", "json", "-o", "-", "-M", "title=Piped")
    assert code == 0 and json.loads(out)["meta"]["title"] == "Piped", err


def test_a_folder_converted_again_with_other_metadata_is_converted_again(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(GOOD)
    out = tmp_path / "out"
    for author, converted in (("One", 1), ("One", 0), ("Two", 1)):
        report = convert_tree(src, out, "json", jobs=1, metadata={"author": author})
        assert report.converted == converted
    assert json.loads((out / "a.json").read_text(encoding="utf-8"))["meta"]["author"] == "Two"


def test_a_bundle_takes_its_title_from_m(tmp_path: Path) -> None:
    book = tmp_path / "book.epub"
    code, _, err = invoke(str(EXAMPLE), "--bundle", str(book), "--offline", "-M", "title=My digest")
    assert code == 0, err
    assert "<dc:title>My digest</dc:title>" in _opf(book)


@pytest.mark.parametrize("args, line", [
    (["-M", "colour=red"], "-M: unknown metadata key 'colour'; the keys are title, author, language, publisher, "
                           "date, subject"),
    (["-M", "title"], "-M: 'title' is not KEY=VALUE (keys: title, author, language, publisher, date, subject)"),
    (["-M", "date=yesterday"], "-M: date: 'yesterday' is not an ISO 8601 date (e.g. 2025-02-01 or 2025-02-01T12:20:00Z)"),
    (["-M", "lang=e n"], "-M: language: 'e n' is not a BCP 47 language tag (e.g. en, zh-Hans, zh-Hant)"),
    (["--metadata-file", "missing.yaml"], "--metadata-file: cannot read missing.yaml (No such file or directory)"),
    (["--bundle", "b.epub", "-M", "author=x"], "-M: author: with --bundle only the book's title can be set"),
])
def test_bad_metadata_is_a_usage_error(args: list[str], line: str) -> None:
    code, _, err = invoke(str(EXAMPLE), "--to", "json", "-o", "-", *args) if "--bundle" not in args else \
        invoke(str(EXAMPLE), *args)
    assert code == 2 and err == f"convert: error: {line}\n"


def test_a_metadata_file_with_an_impossible_date_is_a_usage_error(tmp_path: Path) -> None:
    """PyYAML reads ``2020-13-45T00:00:00Z`` as a date and then fails to make it (ValueError)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("date: 2020-13-45T00:00:00Z\n", encoding="utf-8")
    code, _, err = invoke(str(EXAMPLE), "--to", "json", "-o", "-", "--metadata-file", str(bad))
    assert code == 2 and err == f"convert: error: --metadata-file: {bad} is not YAML: month must be in 1..12\n"


def test_the_library_checks_and_applies_metadata() -> None:
    doc = A.Document(A.Meta(title="old", tags=["t"], extra={"k": 1}), [])
    fields = metadata.checked({"Title": " new  title ", "date": "2025-02-01T12:00:00+08:00", "subject": "s"})
    new = metadata.apply(doc, fields)
    assert (new.meta.title, new.meta.tags, new.meta.extra) == ("new title", ["s"], {"k": 1})
    assert new.meta.published == dt.datetime(2025, 2, 1, 4, tzinfo=dt.timezone.utc)
    assert doc.meta.title == "old"  # the reader's document is not changed
    with pytest.raises(OptionError):
        metadata.checked({"author": ["a", "b"]})


def test_pandoc_formats_get_it() -> None:
    code, out, err = invoke(str(EXAMPLE), "--to", "rst", "-o", "-", "-M", "title=Evening hours", "-M", "author=Li Xiao")
    assert code == 0, err
    assert out.startswith("=============\nEvening hours\n=============\n") and ":Author: Li Xiao" in out
