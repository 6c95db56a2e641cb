"""Start-up: what each command imports, and the two commands answered before typer is.

Behaviour, not timing (speed is measured by benchmarks/bench_startup.py): a command must not
import what it does not use, and the fast paths of :mod:`converter.launch` and
:mod:`converter.cli_coercion` must do exactly what the command does without them.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from converter import cli_coercion, launch

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "item.txt"
FEED = ROOT / "tests" / "fixtures" / "feeds" / "rss2.xml"

#: Runs the console entry point with the arguments given as JSON, then reports on stderr the
#: modules the process imported.
_DRIVER = """
import json, sys
sys.argv = ["convert", *json.loads(sys.argv[1])]
try:
    from converter.launch import run
    run()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
sys.stderr.write("\\nMODULES " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""

#: Never needed to print the version or the help, or to convert one file to md/txt/json.
HEAVY = ("multiprocessing", "concurrent.futures", "httpx", "httpcore", "ebooklib", "converter.writers.pandoc",
         "converter.writers.epub", "converter.images", "converter.net", "rich", "pydantic", "pydantic_core",
         "hanzidentifier", "py3langid", "numpy", "importlib.metadata", "charset_normalizer")
#: What planning one file's output does not need: what reads feeds, OPML lists and journals.
FEEDS_AND_JOURNALS = ("converter.readers.syndication", "converter.readers.opml", "converter.remote",
                      "converter.batch.journal", "converter.batch.execution", "feedparser")
#: What a conversion to standard output does not need either: the batch machinery, and typer.
BATCH = ("converter.batch.planning", "converter.batch.execution", "converter.batch.journal",
         "converter.batch.report")


def imported(*args: str, cwd: Path = ROOT) -> tuple[int, str, set[str]]:
    """Exit status, standard output and the modules imported by ``convert ARGS``."""
    done = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(list(args))], capture_output=True,
                          cwd=cwd, timeout=120, check=False)
    err = done.stderr.decode("utf-8", "replace")
    report = json.loads(err.rsplit("\nMODULES ", 1)[1])
    return report["code"], done.stdout.decode("utf-8", "replace"), set(report["modules"])


def loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` (packages with their submodules) among ``modules``."""
    return sorted(m for m in modules for name in names if m == name or m.startswith(name + "."))


def test_version_imports_neither_typer_nor_the_library() -> None:
    code, out, modules = imported("--version")
    assert code == 0 and out.startswith("convert ")
    assert loaded(modules, HEAVY + BATCH + ("typer", "converter.cli", "converter.readers", "converter.writers",
                                            "lxml", "yaml")) == []


def test_help_imports_neither_rich_nor_pydantic_nor_the_readers() -> None:
    """The help is typer's plain one, in sections (rich's panels took ~110 ms more); the
    readers, the batch machinery and pydantic are not needed for it."""
    code, out, modules = imported("--help")
    assert code == 0 and "--to" in out
    assert loaded(modules, HEAVY + BATCH + ("converter.readers", "lxml", "yaml")) == []


@pytest.mark.parametrize("fmt", ["md", "txt", "json"])
def test_one_file_to_stdout_imports_only_the_reader_and_its_writer(fmt: str) -> None:
    code, out, modules = imported(str(EXAMPLE), "--to", fmt, "-o", "-")
    assert code == 0 and out
    assert loaded(modules, HEAVY + BATCH + ("typer", "yaml", "converter.readers.syndication")) == []
    # Nor what this item does not use: html's table of entities (no entity in its title), the
    # table layout (no table) for Markdown.
    assert "html" not in modules
    assert fmt != "md" or "converter.writers.tables" not in modules


#: Imports the modules one conversion needs, recording each regular expression a module of
#: ours compiles meanwhile.
_COMPILES = """
import re, sys
compiled = []
original = re._compile
def recording(pattern, flags):
    caller = sys._getframe(1)
    while caller is not None and caller.f_code.co_filename.endswith(("re/__init__.py", "patterns.py")):
        caller = caller.f_back
    if caller is not None and "converter" in caller.f_code.co_filename:
        compiled.append(str(pattern)[:60])
    return original(pattern, flags)
re._compile = recording
import converter.readers.feed, converter.writers.markdown, converter.writers.text, converter.writers.json
print(len(compiled), compiled[:3])
"""


def test_importing_the_reader_and_writers_compiles_no_pattern() -> None:
    """Patterns are compiled when first used (:mod:`converter.patterns`): compiling them all
    at import took ~20 ms, a fifth of converting one small file, most of it for patterns the
    file never needs."""
    done = subprocess.run([sys.executable, "-c", _COMPILES], capture_output=True, cwd=ROOT, timeout=120,
                          check=True)
    assert done.stdout.decode().split()[0] == "0", done.stdout.decode()


def test_options_parsed_by_typer_without_pydantic() -> None:
    """An option the fast path does not take: typer parses the command line, still without
    pydantic, and the output goes to stdout without the batch machinery."""
    code, out, modules = imported(str(EXAMPLE), "--to", "txt", "--width", "60", "-o", "-")
    assert code == 0 and out
    assert "typer" in modules
    assert loaded(modules, HEAVY + BATCH + ("yaml",)) == []


def test_one_file_beside_it_needs_no_process_pool(tmp_path: Path) -> None:
    src = tmp_path / "item.txt"
    src.write_bytes(EXAMPLE.read_bytes())
    code, _, modules = imported(str(src), "--to", "md")
    assert code == 0 and (tmp_path / "item.md").is_file()
    assert loaded(modules, HEAVY + ("yaml",)) == []


def test_a_book_without_images_and_the_format_list_import_no_http_client(tmp_path: Path) -> None:
    """httpx and httpcore come in with the first image fetched (:mod:`converter.transport`):
    not for ``--images none``, nor to list the formats (which loads every writer's module)."""
    code, _, modules = imported(str(EXAMPLE), "--to", "epub", "--images", "none", "-o", str(tmp_path / "a.epub"))
    assert code == 0 and (tmp_path / "a.epub").is_file()
    assert loaded(modules, ("httpx", "httpcore", "converter.transport", "click", "ssl")) == []
    code, out, modules = imported("--list-formats")
    assert code == 0 and "epub" in out
    assert "converter.net" in modules
    assert loaded(modules, ("httpx", "httpcore", "converter.transport", "click", "ssl")) == []


def test_the_built_in_writers_aliases_are_their_own() -> None:
    """A format is found by alias or extension without importing the other writers' modules:
    the table that says which writer answers to which name is the classes' own names."""
    from converter import writers

    classes = {name: writers._load(spec) for name, spec in writers._BUILTIN.items()}
    expected = {key: name for name, cls in classes.items() for key in (*cls.aliases, cls.extension) if key != name}
    assert expected == writers._BUILTIN_ALIASES


def test_a_format_imports_only_its_own_writer() -> None:
    """``--to txt`` loads the text writer alone; one of pandoc's formats none of ours (the EPUB
    writer's ebooklib and image fetcher took ~40 ms before a pandoc conversion)."""
    code = ("import json, sys; from converter.writers import get_writer_class as g; g('txt'); g('docx'); g('rst');"
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120, check=True)
    modules = set(json.loads(done.stdout))
    assert "converter.writers.text" in modules and "converter.writers.pandoc" in modules
    assert loaded(modules, ("ebooklib", "converter.images", "converter.writers.markdown", "converter.writers.epub",
                            "converter.writers.html", "converter.writers.jsonl", "converter.writers.parquet")) == []


def _on_a_terminal(*args: str, cwd: Path) -> set[str]:
    """The modules ``convert ARGS`` imports with its standard error on a terminal (a pty),
    where the command shows a progress bar."""
    import os
    import pty
    import threading

    driver = _DRIVER.replace('sys.stderr.write("\\nMODULES "', 'sys.stdout.write("\\nMODULES "')
    main, side = pty.openpty()
    shown = bytearray()

    def drain() -> None:  # what the bar draws, read so that it never waits for room
        with contextlib.suppress(OSError):
            while chunk := os.read(main, 4096):
                shown.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run([sys.executable, "-c", driver, json.dumps(list(args))], stdout=subprocess.PIPE,
                              stderr=side, cwd=cwd, timeout=120, check=False)
    finally:
        os.close(side)
        reader.join(timeout=10)
        os.close(main)
    report = json.loads(done.stdout.decode("utf-8", "replace").rsplit("\nMODULES ", 1)[1])
    assert report["code"] == 0, bytes(shown)
    return set(report["modules"])


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_on_a_terminal_one_file_shows_no_bar_and_imports_no_rich(tmp_path: Path) -> None:
    """The bar starts with the first phase that has two items or more: a book of one file
    (through the command: ``--toc`` is none of the fast path's options) does not import rich
    for a bar it never shows; a folder of three does show one."""
    folder = _folder(tmp_path / "in")
    modules = _on_a_terminal("item.txt", "--to", "epub", "--images", "none", "--toc", "-o", "a.epub", cwd=folder)
    assert (folder / "a.epub").is_file()
    assert "converter.cli" in modules and loaded(modules, ("rich",)) == []
    (folder / "three").mkdir()
    for name in ("a", "b", "c"):
        (folder / "three" / f"{name}.txt").write_bytes(EXAMPLE.read_bytes())
    modules = _on_a_terminal("three", "--to", "md", "-o", "out", cwd=folder)
    assert len(list((folder / "out").glob("*.md"))) == 3
    assert "rich.progress" in modules


# ---------------------------------------------------------------------------- the fast path


def command(*args: str, via: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    """``convert ARGS`` through the console entry point (``launch``) or straight to typer (``cli``)."""
    code = f"import sys; sys.argv = ['convert', *sys.argv[1:]]; from converter.{via} import run; run()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, cwd=cwd, timeout=120,
                          check=False)


@pytest.mark.parametrize("args", [
    ["examples/item.txt", "--to", "md", "-o", "-"],
    ["-o", "-", "-t", "text", "examples/item.txt"],
    ["--to=json", "--output=-", "examples/item.txt"],
    ["examples/item.txt", "--to", "html", "-o", "-"],
    ["examples/item.txt", "--to", "epub", "--images", "none", "-o", "-"],
    ["examples/item.txt", "--to", "html", "--images=none", "-o", "-"],
    ["examples/item.txt", "--to", "md", "--images", "none", "-o", "-"],  # does not apply: a usage error
    ["examples/item.txt", "--to", "nonsense", "-o", "-"],  # a usage error, reported by typer
    ["missing.txt", "--to", "md", "-o", "-"],  # an input error
    ["examples", "--to", "md", "-o", "-"],  # a folder
    ["{broken}", "--to", "md", "-o", "-"],  # a warning
    ["tests/fixtures/frontmatter.md", "--to", "md", "-o", "-"],
])
def test_fast_path_does_what_the_command_does(args: list[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n" + EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    args = [arg.replace("{broken}", str(broken)) for arg in args]
    fast, slow = command(*args, via="launch"), command(*args, via="cli")
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)


@pytest.mark.parametrize("fmt", ["md", "txt", "json", "html", "rst"])
def test_fast_path_options_are_the_commands(fmt: str) -> None:
    """With no option given, the command hands the writer the options the fast path does."""
    from converter import cli

    accepted = set(cli.writer_options(cli.get_writer_class(fmt)))
    expected = {k: v for k, v in launch.FAST_PATH_OPTIONS.items() if k in accepted}
    assert cli._writer_options(fmt, {}) == expected


#: A document whose image is on this machine: never downloaded (a non-public address is
#: refused before any connection), but a download to try.
LOCAL_IMAGE = ("<!--1606752000-->\n[An image here](https://news.example.org/a)\n======\n\n"
               '<p>Before.</p><p><img src="http://127.0.0.1:9/a.png" alt="a chart"></p><p>After.</p>\n')


def _folder(root: Path) -> Path:
    """A folder of inputs for one side of a comparison: the example, a document with a broken
    header (a warning), a feed, a document without images and one with an image on this
    machine, a folder."""
    root.mkdir()
    (root / "item.txt").write_bytes(EXAMPLE.read_bytes())
    (root / "front.md").write_bytes((ROOT / "tests" / "fixtures" / "frontmatter.md").read_bytes())
    (root / "broken.txt").write_text("---\ntitle: [unclosed\n---\n" + EXAMPLE.read_text(encoding="utf-8"),
                                     encoding="utf-8")
    (root / "feed.xml").write_bytes(FEED.read_bytes())
    (root / "plain.txt").write_bytes((ROOT / "tests" / "fixtures" / "english.txt").read_bytes())
    (root / "local.txt").write_text(LOCAL_IMAGE, encoding="utf-8")
    (root / "existing").mkdir()
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("args", [
    ["item.txt", "--to", "md"],  # beside the input
    ["item.txt", "--to", "txt", "-o", "out.txt"],
    ["--output=deep/er/out.json", "-t", "json", "item.txt"],
    ["item.txt", "-o", "out.markdown"],  # the format told by the extension
    ["item.txt", "-o", "out.docx"],  # one of pandoc's
    ["item.txt", "-o", "out.nonsense"],  # no format's extension: a usage error
    ["item.txt", "-o", "existing"],  # a folder, and no format: a usage error
    ["item.txt", "--to", "md", "-o", "existing"],  # into the folder
    ["item.txt", "--to", "md", "-o", "new/"],
    ["front.md", "--to", "md"],  # the output would overwrite the input
    ["item.txt", "--to", "md", "-o", "item.txt"],
    ["item.txt", "--to", "md", "-o", "item.txt/out.md"],  # cannot be written
    ["broken.txt", "--to", "md", "-o", "out.md"],  # a warning
    ["feed.xml", "--to", "md"],  # a feed: its entries into a folder
    ["missing.txt", "--to", "md"],
    ["existing", "--to", "md"],
    ["item.txt", "--to", "nonsense"],
    ["item.txt", "--to", "epub", "--images", "none"],
    ["item.txt", "-o", "out.epub", "--images", "link"],
    ["item.txt", "--to", "epub", "--images", "bogus"],  # a usage error
    ["plain.txt", "--to", "epub"],  # no image: nothing to download
    ["local.txt", "--to", "epub"],  # an image to download (refused: a private address)
    ["local.txt", "--to", "html", "--images", "embed", "-o", "local.html"],
])
def test_fast_path_to_a_file_does_what_the_command_does(args: list[str], tmp_path: Path) -> None:
    fast_dir, slow_dir = _folder(tmp_path / "fast"), _folder(tmp_path / "slow")
    fast, slow = command(*args, via="launch", cwd=fast_dir), command(*args, via="cli", cwd=slow_dir)
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr)
    assert _tree(fast_dir) == _tree(slow_dir)


@pytest.mark.parametrize("args", [
    ["item.txt", "--to", "md"],
    ["item.txt", "--to", "txt", "-o", "out.txt"],
    ["item.txt", "-o", "out.json"],
])
def test_one_clean_file_to_a_file_is_written_without_typer(args: list[str], tmp_path: Path) -> None:
    """The fast path writes it (the parity test above cannot tell which path did), and the
    batch planner that names its output loads nothing of feeds, OPML lists or journals."""
    folder = _folder(tmp_path / "in")
    code, _, modules = imported(*args, cwd=folder)
    assert code == 0
    assert loaded(modules, HEAVY + ("typer", "click", "converter.cli", "yaml")) == []
    assert loaded(modules, FEEDS_AND_JOURNALS) == []
    assert len(_tree(folder)) == len(_tree(_folder(tmp_path / "bare"))) + 1


def test_a_book_is_written_without_typer_unless_its_images_are_downloaded(tmp_path: Path) -> None:
    """A book (or page) whose writer would download nothing is the fast path's; one with an
    image to download is the command's (else a failed download would be tried twice)."""
    folder = _folder(tmp_path / "in")
    for args in (["item.txt", "--to", "epub", "--images", "none"], ["plain.txt", "-o", "plain.epub"],
                 ["local.txt", "--to", "html"]):  # a page links its images by default
        code, _, modules = imported(*args, cwd=folder)
        assert code == 0
        assert loaded(modules, ("typer", "click", "converter.cli", "converter.batch.execution")) == [], args
    code, _, modules = imported("local.txt", "--to", "epub", cwd=folder)
    assert code == 0 and "converter.cli" in modules
    assert {p.name for p in folder.iterdir()} >= {"item.epub", "plain.epub", "local.html", "local.epub"}


def test_writers_say_when_they_would_download(tmp_path: Path) -> None:
    """:meth:`Writer.fetches`: with the options that download images, for a document that has
    some, and not offline."""
    from converter import read_file
    from converter.writers import make_writer

    (tmp_path / "local.txt").write_text(LOCAL_IMAGE, encoding="utf-8")
    with_image, without = read_file(tmp_path / "local.txt"), read_file(ROOT / "tests" / "fixtures" / "english.txt")
    downloading = [("epub", {}), ("html", {"images": "embed"}), ("md", {"extract_media": str(tmp_path / "m")})]
    for fmt, options in downloading:
        assert make_writer(fmt, **options).fetches(with_image), fmt
        assert not make_writer(fmt, **options).fetches(without), fmt
        assert not make_writer(fmt, **options, offline=True).fetches(with_image), fmt
    for fmt, options in [("epub", {"images": "link"}), ("epub", {"images": "none"}), ("html", {}), ("md", {}),
                         ("txt", {}), ("json", {})]:
        assert not make_writer(fmt, **options).fetches(with_image), fmt
    assert not (tmp_path / "m").exists()


def test_a_writer_that_has_not_said_may_fetch_when_it_takes_images() -> None:
    """A plug-in's writer that takes ``images`` and does not say when it downloads is taken to
    download: the fast path leaves it to the command, which runs it once."""
    from converter import ast as A
    from converter.writers import Writer

    class Gallery(Writer):
        def __init__(self, *, images: str = "embed") -> None:
            self.images = images

    class Plain(Writer):
        def __init__(self, *, width: int = 72) -> None:
            self.width = width

    doc = A.Document(A.Meta(title="t"), [])
    assert Gallery().fetches(doc) and not Plain().fetches(doc)


def test_a_stale_temporary_beside_the_output_is_swept(tmp_path: Path) -> None:
    """As a batch does before writing into a folder: a killed run's temporary is removed."""
    folder = _folder(tmp_path / "in")
    stale = folder / ".converter-0123abcd-dead.tmp"
    stale.write_bytes(b"half an output")
    code, _, modules = imported("item.txt", "--to", "md", cwd=folder)
    assert code == 0 and "typer" not in modules
    assert not stale.exists() and (folder / "item.md").is_file()


def test_the_fast_path_fetches_no_feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A feed by URL, or listed in an OPML file, is the command's to fetch: the fast path's
    planning stops before any request (else each feed would be fetched twice)."""
    from converter import remote

    fetched: list[object] = []
    monkeypatch.setattr(remote.FeedFetcher, "fetch_all", lambda self, urls, had=None: fetched.append(urls) or {})
    listing = tmp_path / "feeds.opml"
    listing.write_text('<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
                       '<outline type="rss" text="News" xmlUrl="https://news.example.org/rss.xml"/>'
                       "</body></opml>", encoding="utf-8")
    assert launch.planned_output("https://news.example.org/rss.xml", "markdown", None) is None
    assert launch.planned_output(str(listing), "markdown", str(tmp_path / "out")) is None
    assert fetched == []
    assert launch.planned_output(str(EXAMPLE), "markdown", str(tmp_path / "item.md")) == str(tmp_path / "item.md")


@pytest.mark.parametrize("args, expected", [
    (["a.txt", "--to", "md", "-o", "-"], ("a.txt", "md", "-", {})),
    (["-t", "md", "-o", "-", "a.txt"], ("a.txt", "md", "-", {})),
    (["--output=-", "--to=txt", "a.txt"], ("a.txt", "txt", "-", {})),
    (["a.txt", "--to", "md"], ("a.txt", "md", None, {})),  # beside the input
    (["a.txt", "--to", "md", "-o", "out.md"], ("a.txt", "md", "out.md", {})),
    (["a.txt", "-o", "out.md"], ("a.txt", None, "out.md", {})),  # the format from the extension
    (["a.txt", "--to", "epub", "--images", "none"], ("a.txt", "epub", None, {"images": "none"})),
    (["--images=link", "a.txt", "-o", "a.epub"], ("a.txt", None, "a.epub", {"images": "link"})),
    (["a.txt", "--images", "none"], None),  # neither format nor output: a usage error
    (["a.txt", "--to", "epub", "--images", "none", "--images", "link"], None),
    (["a.txt", "--to", "epub", "--offline"], None),
    (["a.txt"], None),  # neither: a usage error
    (["-", "--to", "md", "-o", "-"], None),  # stdin
    (["a.txt", "b.txt", "--to", "md", "-o", "-"], None),
    (["a.txt", "--to", "md", "--to", "txt", "-o", "-"], None),
    (["a.txt", "--to", "md", "-o", "a", "-o", "b"], None),
    (["a.txt", "--to", "-o", "-"], None),
    (["a.txt", "--to=", "-o", "-"], None),
    (["a.txt", "-tmd", "-o", "-"], None),
    (["a.txt", "--to", "md", "-o", "-", "--quiet"], None),
    (["a.txt", "--to", "md", "-o", "-", "--"], None),
    (["a.txt", "--to", "md", "-o"], None),
])
def test_one_file_request(args: list[str],
                          expected: tuple[str, str | None, str | None, dict[str, str]] | None) -> None:
    assert launch.one_file_request(args) == expected


# ---------------------------------------------------------------------------- values without pydantic


@pytest.mark.parametrize("annotation, minimum, values", [
    (str, None, ["", "md", "a\udce9b", " x "]),
    (int, 0, [0, 80, "0", "72", "007", "1" * 40, -1, "-1", " 7", "+7", "7_0", "٣", "x", "", True, 2.5]),
    (list[str], None, [[], ["*.txt"], ("a", "b"), ["a", 1]]),
    (bool, None, [True, False, "yes", 1]),
])
def test_plain_values_are_typers(annotation: object, minimum: int | None, values: list[object]) -> None:
    """Where :func:`plain_value` takes a value, it gives what typer's own coercion gives."""
    from typer._coercion import build_runtime_param, resolve_type_descriptor
    from typer.models import OptionInfo

    info = OptionInfo(min=minimum)
    typers = build_runtime_param(resolve_type_descriptor(annotation, info))
    for value in values:
        ours = cli_coercion.plain_value(annotation, minimum, None, value)
        if ours is cli_coercion.NOT_PLAIN:
            continue
        theirs = typers._coerce_value(value, param=None, ctx=None)
        assert (ours, type(ours)) == (theirs, type(theirs)), value


def test_every_parameter_of_the_command_is_coerced_without_pydantic() -> None:
    import typer.main

    from converter.cli import app

    command = typer.main.get_command(app)
    assert isinstance(command, cli_coercion.Command)
    plain = [type(p._runtime_param).__name__ for p in command.params]
    assert plain == ["PlainRuntimeParam"] * len(command.params)


def test_a_lazy_pattern_is_the_compiled_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from converter.patterns import lazy_compile

    calls: list[str] = []
    original = re.compile

    def recording(pattern: str, flags: int = 0) -> re.Pattern[str]:
        calls.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re, "compile", recording)
    lazy = lazy_compile(r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE)
    eager = original(r"(?P<word>[a-z]+)(\d*)", re.IGNORECASE)
    assert calls == [] and lazy.pattern == eager.pattern
    text = "Ab1 cd, EF22"
    assert lazy.search(text).group("word") == eager.search(text).group("word") == "Ab"  # type: ignore[union-attr]
    assert lazy.findall(text) == eager.findall(text)
    assert lazy.sub(r"<\g<word>>", text) == eager.sub(r"<\g<word>>", text)
    assert lazy.split(text) == eager.split(text)
    assert lazy.sub("-", text, count=1) == eager.sub("-", text, count=1)  # keywords too
    assert lazy.split(text, maxsplit=1) == eager.split(text, maxsplit=1)
    assert lazy.search(text, pos=3).span() == eager.search(text, pos=3).span()  # type: ignore[union-attr]
    assert lazy.fullmatch("xyz9") is not None and lazy.match("9") is None
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (eager.flags, eager.groups, eager.groupindex)
    assert calls == [r"(?P<word>[a-z]+)(\d*)"]  # compiled once, at the first search


def test_a_lazy_pattern_gives_its_place_to_the_compiled_one() -> None:
    """After the first use the module that made the pattern holds the compiled pattern, so its
    calls cost nothing more than before; a reference kept elsewhere goes on working."""
    import re

    from converter.patterns import lazy_compile

    module: dict[str, object] = {"lazy_compile": lazy_compile}
    exec("WORDS = lazy_compile(r'[a-z]+')\nHELD = (WORDS,)\n", module)  # a module of our own text
    assert not isinstance(module["WORDS"], re.Pattern)
    assert module["HELD"][0].findall("ab cd") == ["ab", "cd"]  # type: ignore[index]
    assert isinstance(module["WORDS"], re.Pattern) and module["WORDS"].pattern == "[a-z]+"
    assert module["HELD"][0].sub("-", "ab cd") == "- -"  # type: ignore[index]
