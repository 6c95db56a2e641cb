"""The ``convert`` command: outputs, exit codes, and one-line errors for bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
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
    # every line fits but a URL, one unbreakable unit: alone, or after its label ("原文：", "[1] ")
    wide = [line for line in out.splitlines() if display_width(line) > 20]
    assert code == 0 and wide
    for line in wide:
        label, url = line[:line.find("https://")], line[line.find("https://"):]
        assert "https://" in line and " " not in url and display_width(label) <= 12, line


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


@pytest.mark.parametrize("args, line", [
    (["--to", "md"], "INPUT: give at least one (a file, a folder, or - for stdin)"),
    ([str(EXAMPLE)], "--to: choose an output format, e.g. --to md (see convert --list-formats)"),
    ([str(EXAMPLE), "--to", "docx-ish"], "--to: unknown output format 'docx-ish'"),
    ([str(EXAMPLE), "--to", "txt", "--width", "-3"], "--width: '-3' is not a whole number ≥ 0 (use a number ≥ 0; 0: no wrapping)"),
    ([str(EXAMPLE), "--to", "txt", "--width", "wide"], "--width: 'wide' is not a whole number ≥ 0"),
    ([str(EXAMPLE), "--to", "md", "-j", "-1"], "--jobs: '-1' is not a whole number ≥ 0 (use a number ≥ 0; 0: all cores)"),
    ([str(EXAMPLE), "--to", "md", "--bogus"], "no such option --bogus (see convert --help)"),
    ([str(EXAMPLE), "--to", "epub", "--ofline"], "no such option --ofline; did you mean --offline?"),
    ([str(EXAMPLE), "--to"], "--to: needs a value (see convert --help)"),
    ([str(EXAMPLE), "--to", "txt", "--references", "all"], "--references: must be one of end, inline, none, not 'all'"),
])
def test_usage_errors_are_one_line_naming_the_option_exit_2(args: list[str], line: str) -> None:
    """click's four lines (Usage, Try, a blank line, Error) spoke typer's internals ("Input
    should be greater than or equal to 0", ``[INPUT...]...``) and offered --jobs for --bogus."""
    result = run(*args)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert len(err.splitlines()) == 1 and err.startswith(f"convert: error: {line}"), err


@pytest.mark.parametrize("args, line", [
    (["--to", "md", "--width", "60"], "--width: does not apply to markdown output"),
    (["--to", "md", "--references", "none"], "--references: does not apply to markdown output"),
    (["--to", "txt", "--no-front-matter"], "--front-matter: does not apply to text output"),
    (["--to", "md", "--images", "link"], "--images: does not apply to markdown output"),
    (["--to", "md", "--title", "A book"], "--title: applies only with --bundle"),
    (["--to", "epub", "--order", "oldest"], "--order: applies only with --bundle"),
])
def test_options_that_do_not_apply_to_the_format_are_usage_errors(args: list[str], line: str) -> None:
    code, out, err = invoke(str(EXAMPLE), "-o", "-", *args)
    assert code == 2 and out == "" and err == f"convert: error: {line}\n"


def test_list_formats() -> None:
    code, out, _ = invoke("--list-formats")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and names[:3] == ["markdown", "text", "json"]


def test_list_formats_columns_align() -> None:
    """Long pandoc names (``asciidoc_legacy``, ``bbcode_hubzilla``) pushed their columns out."""
    lines = invoke("--list-formats")[1].splitlines()
    extension_at = {line.index(" .") for line in lines}
    description_at = {len(line) - len(line[line.index(" .") + 1:].split(" ", 1)[1].lstrip()) for line in lines}
    assert len(lines) > 40 and len(extension_at) == 1 and len(description_at) == 1


def test_files_from_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"# what to convert\n\n{EXAMPLE}\n   \n  # {tmp_path / 'nope.txt'}\n", encoding="utf-8")
    code, out, err = invoke("--files-from", str(listing), "--to", "md", "-o", "-")
    assert code == 0 and err == "" and "城市图书馆" in out


def test_a_bundle_of_one_says_1_chapter(tmp_path: Path) -> None:
    code, _, err = invoke(str(EXAMPLE), "--bundle", str(tmp_path / "one.epub"), "--offline")
    assert code == 0 and err.endswith("1 chapter, 0 failed\n"), err


def test_a_bundle_takes_inputs_that_would_share_an_output_name(tmp_path: Path) -> None:
    """A book has no output per input: a.md and a.txt are two chapters, not a collision."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("a.md", "a.txt"):
        (src / name).write_bytes(EXAMPLE.read_bytes())
    code, _, err = invoke(str(src), "--bundle", str(tmp_path / "book.epub"), "--offline")
    assert code == 0 and err.endswith("2 chapters, 0 failed\n"), err


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


def test_a_folder_converted_in_place_twice_skips_its_own_outputs(tmp_path: Path) -> None:
    """``convert inplace --to md`` twice: the second run used to take each ``.md`` it had
    written for an input colliding with its own source (``0 converted, 0 skipped, 2n failed``)."""
    folder = tmp_path / "inplace"
    folder.mkdir()
    for i in range(3):
        (folder / f"item{i}.txt").write_bytes(GOOD.replace("城市图书馆".encode(), f"第{i}图书馆".encode()))
    first = run(str(folder), "--to", "md")
    assert first.returncode == 0 and "3 converted, 0 skipped, 0 failed" in first.stderr.decode()
    again = run(str(folder), "--to", "md")
    assert again.returncode == 0, again.stderr.decode()
    assert "0 converted, 3 skipped, 0 failed" in again.stderr.decode()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "item0.md", "item0.txt", "item1.md", "item1.txt", "item2.md", "item2.txt"]


def test_a_news_item_with_stray_nul_and_control_bytes_converts(tmp_path: Path) -> None:
    """Two NUL bytes, a form feed, a vertical tab, an escape and a backspace in UTF-8 text used
    to make the file "binary"; it is a text document, converted without them."""
    src = tmp_path / "item.txt"
    src.write_bytes(GOOD.replace("馆长：".encode(), "馆长\x00\x00：\x0c\x0b\x1b\x08".encode()))
    result = run(str(src), "--to", "md")
    assert result.returncode == 0, result.stderr.decode()
    text = (tmp_path / "item.md").read_text(encoding="utf-8")
    assert "馆长：" in text.replace(" ", "") and not set(text) & set("\x00\x0c\x0b\x1b\x08")


def test_help_groups_options_by_what_they_apply_to() -> None:
    code, out, _ = invoke("--help")
    sections = [line[:-1] for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert code == 0 and sections[:3] == ["Arguments", "Options", "Output"]
    assert {"Metadata (any format)", "Text", "Markdown", "Images (EPUB, HTML, --extract-media)", "EPUB",
            "Folders and runs"} <= set(sections)
    assert "<bool>" not in out and "<list[str]>" not in out and "[n] in the text" in out
    # Square brackets are text, not markup (rich's help once printed "needs converter.")
    assert "needs converter[dask]" in " ".join(out.split())


def test_quiet_prints_errors_only_and_the_summary_counts_warnings(tmp_path: Path) -> None:
    """``-q`` printed every warning (128 lines on a folder); now only errors, while the summary
    of a run without ``-q`` says how many warnings there were."""
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):  # front matter that does not parse: a warning each
        (src / f"w{i}.txt").write_bytes(b"---\ntitle: [unclosed\n---\n" + GOOD)
    (src / "empty.txt").write_bytes(b"")
    quiet = run(str(src), "--to", "md", "-o", str(tmp_path / "q"), "-q")
    assert quiet.returncode == 1
    assert quiet.stderr.decode().splitlines() == [f"convert: error: {src / 'empty.txt'}: is empty"]
    loud = run(str(src), "--to", "md", "-o", str(tmp_path / "l"))
    lines = loud.stderr.decode().splitlines()
    assert sum(line.startswith("convert: warning: ") for line in lines) == 3
    assert "3 converted, 0 skipped, 1 failed, 3 warnings in" in lines[-1]


@pytest.mark.parametrize("what", ["empty folder", "include matching nothing", "empty list", "empty bundle"])
def test_nothing_to_convert_says_so_and_exits_0(tmp_path: Path, what: str) -> None:
    """An empty folder, or --include matching nothing, used to print nothing at all."""
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "notes.pdf").write_bytes(b"%PDF")
    listing = tmp_path / "list.txt"
    listing.write_text("# nothing yet\n", encoding="utf-8")
    defaults = "*.txt *.md *.html *.htm *.xhtml"
    args, line = {
        "empty folder": ([str(folder), "--to", "md"], f"nothing to convert: no file in {folder} matches --include {defaults}"),
        "include matching nothing": ([str(folder), "--to", "md", "--include", "*.htm", "-o", str(tmp_path / "out")],
                                     f"nothing to convert: no file in {folder} matches --include *.htm"),
        "empty list": (["--files-from", str(listing), "--to", "md"], f"nothing to convert: {listing} lists no file"),
        "empty bundle": ([str(folder), "--bundle", str(tmp_path / "b.epub")],
                         f"nothing to bundle: no file in {folder} matches --include {defaults}"),
    }[what]
    code, _, err = invoke(*args)
    assert code == 0 and err == f"convert: {line}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.txt", "news"]


def test_a_feed_without_entries_is_said_so_not_blamed_on_include(tmp_path: Path) -> None:
    feed = tmp_path / "empty.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title>'
                    "<link>https://example.org/</link><description>d</description></channel></rss>", encoding="utf-8")
    code, _, err = invoke(str(feed), "--to", "md", "-o", str(tmp_path / "out"))
    assert code == 0 and err.splitlines()[-1] == f"convert: nothing to convert: {feed} holds no entries"


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
@pytest.mark.parametrize("fmt", ["epub", "docx"])
def test_binary_output_is_not_written_to_a_terminal_but_to_a_pipe(fmt: str) -> None:
    """``-o -`` with EPUB or docx used to pour a zip file onto the terminal."""
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "converter", str(EXAMPLE), "--to", fmt, "-o", "-", "--offline"
                               if fmt == "epub" else "--quiet"], stdout=follower, stderr=subprocess.PIPE, cwd=ROOT,
                              timeout=120, check=False)
        os.set_blocking(leader, False)
        try:
            shown = os.read(leader, 65536)
        except BlockingIOError:
            shown = b""
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 2 and shown == b""
    assert done.stderr.decode() == (f"convert: error: -o -: {fmt} output is binary and stdout is a terminal; "
                                    "redirect it to a file or a pipe, or name a file with -o\n")
    piped = run(str(EXAMPLE), "--to", fmt, "-o", "-", "--offline" if fmt == "epub" else "--quiet")
    assert piped.returncode == 0 and zipfile.is_zipfile(io.BytesIO(piped.stdout))


@pytest.mark.parametrize("existing", [True, False])
def test_a_folder_with_o_naming_a_file_is_a_usage_error(tree: Path, tmp_path: Path, existing: bool) -> None:
    """``convert DIR -o file.md`` made a folder named file.md (or failed once per input when
    the file existed)."""
    target = tmp_path / "file.md"
    if existing:
        target.write_text("mine", encoding="utf-8")
    result = run(str(tree), "--to", "md", "-o", str(target))
    why = ("is a file; a folder or several inputs need an output folder" if existing else
           "names a .md file; a folder or several inputs need an output folder (end it with / to make a folder "
           "of that name)")
    assert result.returncode == 2 and result.stderr.decode() == f"convert: error: -o: {target}: {why}\n"
    assert target.read_text(encoding="utf-8") == "mine" if existing else not target.exists()


def test_the_same_input_given_twice_is_converted_once(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_bytes(GOOD)
    code, _, err = invoke(str(src), str(src), str(tmp_path / "." / "a.txt"), "--to", "md", "-o", str(tmp_path / "out"))
    assert code == 0 and err == "", err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["a.md"]


def test_a_new_output_folder_for_one_file_is_made_and_not_left_empty_after_an_error(tmp_path: Path) -> None:
    """``-o out/`` for one file used to make an empty folder and fail on writing "out/"."""
    src, empty = tmp_path / "a.txt", tmp_path / "e.txt"
    src.write_bytes(GOOD)
    empty.write_bytes(b"")
    code, _, err = invoke(str(empty), "--to", "md", "-o", str(tmp_path / "failed") + "/")
    assert code == 1 and "e.txt: is empty" in err and not (tmp_path / "failed").exists()
    code, _, err = invoke(str(src), "--to", "md", "-o", str(tmp_path / "out") + "/")
    assert code == 0, err
    assert (tmp_path / "out" / "a.md").read_text(encoding="utf-8").startswith("---\n")


def test_messages_name_the_option_or_path_that_fixes_them(tmp_path: Path) -> None:
    """One file whose output would be itself needs another output file, not "another output
    folder"; an image on a private host is fetched with --allow-private-hosts, which the
    warning used to call "allow private hosts"."""
    note = tmp_path / "note.md"
    note.write_bytes(GOOD)
    code, _, err = invoke(str(note), "--to", "md")
    assert code == 1 and err == f"convert: error: {note}: its output {note} is an input; name another output file with -o\n"
    local = tmp_path / "local.txt"
    local.write_bytes(GOOD.replace(b"https://images.example.org/library_1024.jpg", b"http://127.0.0.1:9/a.jpg"))
    result = run(str(local), "--to", "epub", "--cache-dir", str(tmp_path / "cache"))
    assert result.returncode == 0 and "--allow-private-hosts" in result.stderr.decode()


@pytest.mark.parametrize("args, line", [
    (["--bundle", "book.md"], "--bundle: book.md: a bundle is an EPUB book; give it a name ending in .epub (or - for stdout)"),
    (["--bundle", "book.epub", "-o", "out"], "-o: does not apply with --bundle (the book is written whole, to BOOK.epub)"),
    (["--bundle", "book.epub", "--force"], "--force: does not apply with --bundle (the book is written whole, to BOOK.epub)"),
    (["--bundle", "book.epub", "--to", "md"], "--bundle: makes an EPUB book; use it with --to epub"),
])
def test_bundle_conflicts_are_usage_errors(tree: Path, tmp_path: Path, args: list[str], line: str) -> None:
    """``--bundle book.md`` wrote an EPUB named .md, and -o was silently ignored."""
    result = subprocess.run([sys.executable, "-m", "converter", str(tree), "--offline", *args], capture_output=True,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 2 and result.stderr.decode() == f"convert: error: {line}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_a_bundle_writes_its_report_and_goes_to_a_pipe(tree: Path, tmp_path: Path) -> None:
    """``--report`` wrote nothing for a bundle, and ``--bundle -`` wrote a file named "-"."""
    report = tmp_path / "rows.csv"
    result = subprocess.run([sys.executable, "-m", "converter", str(tree), "--bundle", "-", "--offline",
                             "--report", str(report)], capture_output=True, cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 1 and not (tmp_path / "-").exists()
    with zipfile.ZipFile(io.BytesIO(result.stdout)) as book:
        assert sum(name.startswith("EPUB/ch") for name in book.namelist()) == 2
    assert result.stderr.decode().splitlines()[-1] == "convert: <stdout>: 2 chapters, 2 failed"
    rows = {Path(row.split(",")[0]).name: row.split(",")[1:3] for row in report.read_text(encoding="utf-8").splitlines()[1:]}
    assert rows == {"a.txt": ["converted", "<stdout>"], "b.md": ["converted", "<stdout>"], "bad.txt": ["failed", ""],
                    "image.txt": ["failed", ""]}


def _unreachable_images(folder: Path) -> Path:
    """Three news items whose images are on hosts that do not resolve (two hosts, five images)."""
    folder.mkdir()
    for name, host, count in (("a.txt", "pics-1", 1), ("b.txt", "pics-1", 2), ("c.txt", "pics-2", 2)):
        images = [f"http://{host}.invalid/{name}-{i}.jpg".encode() for i in range(count)]
        text = GOOD.replace(b"https://images.example.org/library_1024.jpg", images[0])
        (folder / name).write_bytes(text.replace(b"<p>", b"".join(b'<img src="%s">' % i for i in images[1:]) + b"<p>", 1))
    return folder


def test_unreachable_images_end_in_one_summary_line(tmp_path: Path) -> None:
    """An e-book run without a network printed a warning per image, naming no article."""
    src = _unreachable_images(tmp_path / "src")
    for args in (["--to", "epub", "-o", str(tmp_path / "out")], ["--bundle", str(tmp_path / "book.epub")]):
        result = run(str(src), *args, "--cache-dir", str(tmp_path / f"cache-{args[0]}"), "-j", "1")
        err = result.stderr.decode().splitlines()
        assert result.returncode == 0, err
        assert err[-1] == "convert: warning: 5 images not embedded from 2 hosts; use --offline to skip downloads"
        warned = [line for line in err[:-1] if "not embedded" in line]
        assert warned and all(line.startswith(f"convert: warning: {src}{os.sep}") for line in warned), err
        assert len(warned) <= 3  # at most one per article and host
    quiet = run(str(src), "--bundle", str(tmp_path / "q.epub"), "-q", "--cache-dir", str(tmp_path / "cache-q"))
    assert quiet.returncode == 0 and quiet.stderr == b""


@pytest.mark.parametrize("name, check", [
    ("a.epub", lambda data: data.startswith(b"PK") and b"application/epub+zip" in data[:100]),
    ("a.md", lambda data: data.startswith(b"---\n")),
    ("a.txt", lambda data: "城市图书馆".encode() in data and not data.startswith(b"---")),
    ("a.json", lambda data: json.loads(data)["meta"]["author"] == "林晓"),
    ("a.HTML", lambda data: data.lstrip().lower().startswith(b"<!doctype html")),
])
def test_the_format_is_that_of_the_output_name(tmp_path: Path, name: str, check: Callable[[bytes], bool]) -> None:
    """``convert a.txt -o a.epub`` asked for --to, as pandoc does not."""
    out = tmp_path / name
    code, _, err = invoke(str(EXAMPLE), "-o", str(out), "--offline" if name.endswith("epub") else "-q")
    assert code == 0, err
    assert check(out.read_bytes())


@pytest.mark.parametrize("args, line", [
    (["-o", "a.xyz"], "--to: choose an output format; the extension of a.xyz is no format's (see convert --list-formats)"),
    (["-o", "out"], "--to: choose an output format, e.g. --to md (see convert --list-formats)"),
    (["-o", "-"], "--to: choose an output format, e.g. --to md (see convert --list-formats)"),
])
def test_an_output_name_that_says_no_format_is_a_usage_error(tmp_path: Path, args: list[str], line: str) -> None:
    result = subprocess.run([sys.executable, "-m", "converter", str(EXAMPLE), *args], capture_output=True,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 2 and result.stderr.decode() == f"convert: error: {line}\n"
    assert list(tmp_path.iterdir()) == []


def test_to_wins_over_the_output_name(tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    code, _, err = invoke(str(EXAMPLE), "--to", "md", "-o", str(out))
    assert code == 0 and out.read_text(encoding="utf-8").startswith("---\n"), err
