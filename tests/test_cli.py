"""The ``convert`` command: outputs, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from converter.cli import app
from converter.wrap import display_width

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "item.txt"
GOOD = EXAMPLE.read_bytes()


def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real console entry point, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "converter", *args], input=input, capture_output=True,
                          cwd=ROOT, timeout=120, check=False)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A folder of good documents with one empty file and one binary file among them."""
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_bytes(GOOD)
    (src / "sub" / "b.md").write_bytes(GOOD.replace("城市图书馆".encode(), "乡村图书馆".encode()))
    (src / "bad.txt").write_bytes(b"")
    (src / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (src / ".hidden.txt").write_bytes(GOOD)
    (src / "notes.pdf").write_bytes(b"%PDF")
    return src


def test_single_file_output_goes_beside_it(tmp_path: Path) -> None:
    src = tmp_path / "item.txt"
    src.write_bytes(GOOD)
    code, _, err = invoke(str(src), "--to", "md")
    assert code == 0, err
    assert (tmp_path / "item.md").read_text(encoding="utf-8").startswith("---\n")
    assert src.read_bytes() == GOOD


@pytest.mark.parametrize("fmt, ext", [("markdown", "md"), ("md", "md"), ("text", "txt"), ("txt", "txt"),
                                      ("json", "json")])
def test_formats_and_aliases(tmp_path: Path, fmt: str, ext: str) -> None:
    out = tmp_path / f"out.{ext}"
    code, _, err = invoke(str(EXAMPLE), "--to", fmt, "-o", str(out))
    assert code == 0, err
    assert "城市图书馆" in out.read_text(encoding="utf-8")


def test_stdout_and_stdin() -> None:
    result = run("-", "--to", "json", "-o", "-", input=GOOD)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["meta"]["author"] == "林晓"
    result = run(str(EXAMPLE), "--to", "text", "-o", "-", "--width", "0")
    assert result.returncode == 0 and "城市图书馆" in result.stdout.decode()


def test_writer_options_reach_the_writer(tmp_path: Path) -> None:
    code, out, _ = invoke(str(EXAMPLE), "--to", "md", "-o", "-", "--no-front-matter")
    assert code == 0 and out.startswith("# ")
    code, out, _ = invoke(str(EXAMPLE), "--to", "text", "-o", "-", "--width", "20")
    # every line fits but a URL, which is one unbreakable unit on a line of its own
    wide = [line for line in out.splitlines() if display_width(line) > 20]
    assert code == 0 and wide and all(line.startswith("https://") and " " not in line for line in wide)


def test_folder_with_bad_files_converts_the_rest_and_exits_1(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(str(tree), "--to", "md", "-o", str(out))
    assert result.returncode == 1
    outputs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name[0] != ".")
    assert outputs == ["a.md", "sub/b.md"]
    err = result.stderr.decode()
    assert "bad.txt: is empty" in err and "image.txt: is a binary file" in err
    assert "Traceback" not in err
    assert "2 converted, 0 skipped, 2 failed" in err


def test_missing_input_is_named_and_others_convert(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, err = invoke(str(EXAMPLE), str(tmp_path / "nope.txt"), "--to", "txt", "-o", str(out))
    assert code == 1 and "nope.txt: no such file" in err
    assert (out / "item.txt").exists()


def test_a_bundle_takes_files_and_folders_and_names_what_it_left_out(tree: Path, tmp_path: Path) -> None:
    """``--bundle`` plans its inputs as a conversion does: folders walked, missing inputs named."""
    book = tmp_path / "book.epub"
    code, _, err = invoke(str(EXAMPLE), str(tree), str(tmp_path / "nope.txt"), "--bundle", str(book), "--offline")
    assert code == 1 and "nope.txt: no such file or folder" in err
    assert "bad.txt: is empty" in err and "image.txt: is a binary file" in err
    assert err.splitlines()[-1] == f"convert: {book}: 3 chapters, 3 failed"
    with zipfile.ZipFile(book) as epub:
        chapters = [epub.read(name).decode("utf-8") for name in epub.namelist() if name.startswith("EPUB/ch")]
    assert len(chapters) == 3 and sum("乡村图书馆" in chapter for chapter in chapters) == 1


def test_output_never_overwrites_input(tmp_path: Path) -> None:
    src = tmp_path / "note.md"
    src.write_bytes(GOOD)
    code, _, err = invoke(str(src), "--to", "md")
    assert code == 1 and "is an input" in err
    assert src.read_bytes() == GOOD


@pytest.mark.parametrize("args, message", [
    (["--to", "md"], "INPUT"),
    ([str(EXAMPLE)], "--to"),
    ([str(EXAMPLE), "--to", "docx-ish"], "unknown output format"),
    ([str(EXAMPLE), "--to", "md", "--width", "-3"], "width"),
])
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr.decode() and "Traceback" not in result.stderr.decode()


def test_list_formats() -> None:
    code, out, _ = invoke("--list-formats")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names[:3] == ["markdown", "text", "json"]


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"), (b"   \n\n", "only whitespace"), (os.urandom(2048), "binary"),
])
def test_bad_single_input_one_line_error(tmp_path: Path, data: bytes, message: str) -> None:
    src = tmp_path / "bad.txt"
    src.write_bytes(data)
    result = run(str(src), "--to", "md")
    err = result.stderr.decode().strip()
    assert result.returncode == 1 and message in err and len(err.splitlines()) == 1 and "bad.txt" in err
    assert not (tmp_path / "bad.md").exists()


def test_legacy_encoded_file_converts(tmp_path: Path) -> None:
    src = tmp_path / "big5.txt"
    src.write_bytes("<!--1606752000-->\n[舊編碼標題](https://e.com/x)\n---\n<p>這是繁體中文的內容。</p>".encode("big5"))
    code, out, err = invoke(str(src), "--to", "txt", "-o", "-")
    assert code == 0, err
    assert "舊編碼標題" in out and "這是繁體中文的內容。" in out
