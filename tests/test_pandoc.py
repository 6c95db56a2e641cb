"""pandoc's formats through our AST: the JSON AST, the runner, the registry, text retention.

Text is checked the way a reader would: the output is read back by pandoc into plain text
and must hold (nearly) every character of the document. The corpus is read from
``../shared/corpus``; those tests are skipped when it is absent.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import subprocess
import sys
import unicodedata
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from support import FEEDS, SEEDS, needs_corpus, needs_seed

from converter import ast as A
from converter import parse, render
from converter.errors import ConversionError, OptionError
from converter.labels import link_label
from converter.writers import (
    format_infos,
    get_writer_class,
    make_writer,
    writer_classes,
    writer_options,
)
from converter.writers import pandoc as P
from converter.writers.markup import drop_non_xml
from converter.writers.pandoc import process

#: Formats whose text must survive a round trip through pandoc (``html`` is our writer).
RETENTION_FORMATS = ("docx", "odt", "html", "rst", "latex", "org", "asciidoc")
#: How to read each format back: pandoc's LaTeX reader would expand the macros of the
#: template's preamble (``\pandocbounded``), which it cannot, and lose figures.
READ_AS = {"latex": "latex-latex_macros"}
#: A Lua filter for the plain-text writer of the read-back, which would print a figure read
#: from LaTeX as its image's alt text and drop its caption (see the file).
PLAIN_FIGURES = Path(__file__).with_name("plain_figures.lua")
#: Every format is checked over a sample of the corpus, every n-th document from its own
#: offset, so that between them the formats check every document (two pandoc runs each, for
#: 485 documents in seven formats, took five minutes); the formats whose output we reshape
#: (see ``converter/writers/pandoc/dialects.py``) and our HTML get the closer samples. All 485 pass
#: in every format: ``CONVERTER_FULL_CORPUS=1`` checks them all.
CORPUS_STRIDES = {"html": 4, "rst": 4, "org": 4, "asciidoc": 4, "latex": 8, "docx": 8, "odt": 8}
CORPUS_OFFSETS = {fmt: i for i, fmt in enumerate(CORPUS_STRIDES)}
#: Typographic variants some readers produce (AsciiDoc turns ``...`` into an ellipsis).
_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"'})


def pandoc(*args: str, data: bytes) -> bytes:
    done = subprocess.run([P.pandoc_path(), *args], input=data, capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def parsed(path: Path) -> A.Document:
    return parse(path.read_bytes(), path=str(path))


# ---------------------------------------------------------------------------- text helpers


def document_text(doc: A.Document) -> str:
    """What a reader sees of ``doc``: title, text and code (not image alt texts), without the
    control characters that no format can hold."""
    parts = [doc.meta.title]
    parts += [n.text for n in A.walk(doc.blocks) if isinstance(n, (A.Text, A.Code, A.CodeBlock))]
    return drop_non_xml("".join(parts))


def _characters(text: str) -> collections.Counter[str]:
    folded = unicodedata.normalize("NFKC", text).translate(_FOLD)
    return collections.Counter(ch for ch in folded if not ch.isspace())


def retention(doc: A.Document, text: str) -> float:
    """The share of the document's characters (a multiset, white space aside) in ``text``."""
    wanted, got = _characters(document_text(doc)), _characters(text)
    total = sum(wanted.values())
    return sum(min(n, got[ch]) for ch, n in wanted.items()) / total if total else 1.0


def read_back(output: str | bytes, fmt: str) -> str:
    data = output if isinstance(output, bytes) else output.encode("utf-8")
    return pandoc("-f", READ_AS.get(fmt, fmt), "-t", "plain", "-s", "--wrap=none", "--lua-filter", str(PLAIN_FIGURES),
                  data=data).decode("utf-8")


def kept(doc: A.Document, fmt: str) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.PandocWarning)
        return retention(doc, read_back(render(doc, fmt), fmt))


def hostile_document() -> A.Document:
    """Every node type, odd tables and hostile values."""
    T = A.Text
    table = A.Table(
        head=[[A.TableCell([T("h1")], colspan=2), A.TableCell([T("h2")])]],
        body=[[A.TableCell([T("tall")], rowspan=5), A.TableCell([T("b")])],
              [A.TableCell([T("c")], colspan=4), A.TableCell([T("d")])],
              [],
              [A.TableCell([T("e")], colspan=0, rowspan=-1)]],
        caption=[T("表格说明")])
    return A.Document(
        A.Meta(title="  标题 <script>alert(1)</script> & more ", url="https://example.com/a b",
               published=dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc), author="作者 Name",
               site="Example", language="zh-Hans", tags=["one", "二"],
               extra={"layout": "post", "count": 3, "ok": True, "nested": {"k": ["v", None, 1.5]},
                      "title": "ignored: the standard title wins", "none": None}),
        [
            A.Heading(2, [T("小标题 "), A.Emphasis([T("强调")])]),
            A.Paragraph([T(" lead  space\tand\nsoft break "), A.Strong([T("粗体")]), A.LineBreak(), A.LineBreak(),
                         A.Strikeout([T("删除")]), A.Superscript([T("2")]), A.Subscript([T("i")]),
                         A.Code("x = `1`"), A.Link([T("链接")], "https://example.com/?q=1&r=2", "标题"),
                         A.Link([T("script link")], "javascript:alert(1)"),
                         A.Link([], "https://example.com/empty"),
                         A.Link([T("outer "), A.Link([T("inner")], "https://inner.example/")], "https://outer.example/"),
                         A.Image("https://example.com/i.png", alt="图", title="t"),
                         A.Image("data:image/png;base64,AAAA", alt="data image"),
                         T("\x00ctrl\x0bchars\ufffe")]),
            A.Figure(A.Image("https://example.com/f.jpg", alt=""), [T("图注 "), A.Strong([T("caption")])]),
            A.Figure(A.Image("javascript:alert(1)", alt="bad figure"), []),
            A.BulletList([[A.Paragraph([T("一")])],
                          [A.Paragraph([T("二")]), A.BulletList([[A.Paragraph([T("三")])]])]]),
            A.OrderedList([[A.Paragraph([T("first")])], [A.Heading(3, [T("second")])]], start=7),
            A.BlockQuote([A.Paragraph([T("引用")]), A.Div([A.Paragraph([T("in a div")])])]),
            A.CodeBlock("print('hi')\n<b>&amp;</b>\n", language="python 3"),
            A.HorizontalRule(),
            table,
            A.Table(head=[], body=[], caption=[T("empty table")]),
            A.Paragraph([T("   ")]),
        ])


# ---------------------------------------------------------------------------- the JSON AST


def test_json_ast_maps_every_node() -> None:
    tree = P.to_pandoc_json(hostile_document())
    assert tree["pandoc-api-version"] == P.api_version()
    meta = tree["meta"]
    assert meta["title"]["t"] == "MetaInlines" and meta["title"]["c"][0] == {"t": "Str", "c": "标题"}
    assert meta["author"] == {"t": "MetaList", "c": [{"t": "MetaInlines", "c": [
        {"t": "Str", "c": "作者"}, {"t": "Space"}, {"t": "Str", "c": "Name"}]}]}
    assert meta["date"] == {"t": "MetaString", "c": "2024-05-06T07:08:09Z"}
    assert meta["lang"] == {"t": "MetaString", "c": "zh-Hans"}
    own = meta["converter"]["c"]  # our own fields, under a name pandoc's templates never read
    assert own["url"] == {"t": "MetaInlines", "c": [{"t": "Str", "c": "https://example.com/a%20b"}]}
    assert own["site"] == {"t": "MetaInlines", "c": [{"t": "Str", "c": "Example"}]}
    assert own["tags"] == {"t": "MetaList", "c": [{"t": "MetaInlines", "c": [{"t": "Str", "c": "one"}]},
                                                 {"t": "MetaInlines", "c": [{"t": "Str", "c": "二"}]}]}
    assert set(meta) == {"title", "author", "date", "lang", "converter"}  # front matter's extra keys: none
    blocks = tree["blocks"]
    assert [b["t"] for b in blocks] == ["Header", "Para", "Figure", "Para", "BulletList", "OrderedList",
                                        "BlockQuote", "CodeBlock", "HorizontalRule", "Table", "Para"]
    para = blocks[1]["c"]
    assert para[0] == {"t": "Str", "c": "lead"} and {"t": "SoftBreak"} in para
    assert [n["t"] for n in para].count("LineBreak") == 1  # runs of breaks are one break
    kinds = [n["t"] for n in para]
    for kind in ("Strong", "Strikeout", "Superscript", "Subscript", "Code", "Link", "Image"):
        assert kind in kinds
    links = [n for n in para if n["t"] == "Link"]
    assert [link["c"][2][0] for link in links] == [
        "https://example.com/?q=1&r=2", "https://example.com/empty", "https://outer.example/"]
    assert links[0]["c"][2][1] == "标题" and links[1]["c"][1] == [{"t": "Str", "c": "https://example.com/empty"}]
    assert not any(n["t"] == "Link" for n in links[2]["c"][1])  # links do not nest
    assert "javascript" not in json.dumps(tree) and "data:image" not in json.dumps(tree)
    assert "\x00" not in json.dumps(tree, ensure_ascii=False) and "\\u0000" not in json.dumps(tree)
    figure = blocks[2]["c"]
    assert figure[1][1][0]["t"] == "Plain" and figure[2][0]["c"][0]["t"] == "Image"
    assert blocks[3] == {"t": "Para", "c": [{"t": "Str", "c": "bad"}, {"t": "Space"}, {"t": "Str", "c": "figure"}]}
    assert blocks[4]["c"][0][0]["t"] == "Plain"  # a list of single paragraphs is tight
    assert blocks[5]["c"][0][0] == 7
    assert blocks[7]["c"] == [["", ["python"], []], "print('hi')\n<b>&amp;</b>"]


def test_table_rows_fill_the_grid() -> None:
    table = next(b for b in P.to_pandoc_json(hostile_document())["blocks"] if b["t"] == "Table")
    _, _, colspecs, head, bodies, _ = table["c"]
    width = len(colspecs)
    assert width == 4  # columns in which a cell begins: "h1"/"tall", "b"/"c"/"e", "h2", "d"

    def slots(rows: list[Any]) -> list[int]:
        """Columns each row's cells take, counting cells spanning down from rows above."""
        out, below = [], [0] * width
        for _, cells in rows:
            out.append(sum(cell[3] for cell in cells) + sum(1 for b in below if b))
            for cell in cells:
                assert cell[2] >= 1 and cell[3] >= 1
            below = [max(b - 1, 0) for b in below]
            col = 0
            for cell in cells:
                while below[col]:
                    col += 1
                for c in range(col, col + cell[3]):
                    below[c] = cell[2] - 1
                col += cell[3]
        return out

    assert slots(head[1]) == [width]
    assert slots(bodies[0][3]) == [width] * 3  # the row without cells is left out, as in HTML
    assert bodies[0][3][0][1][0][2] == 3  # the rowspan of 5 stops at the end of the body
    assert bodies[0][3][1][1][0][3] == 2  # "c" spans the columns it covers that others begin in


def test_tables_too_large_for_their_cells_stay_linear() -> None:
    """Spans covering too many slots are dropped, and a grid too large to pad becomes one
    paragraph per row (docx refuses rows shorter than the table): the text stays."""
    T = A.Text
    stairs = A.Table([], [[A.TableCell([T("s")], rowspan=65534), A.TableCell([T("q")])]] * 600)
    table = next(b for b in P.to_pandoc_json(A.Document(A.Meta(), [stairs]))["blocks"] if b["t"] == "Table")
    assert len(table["c"][2]) == 2 and {cell[2] for _, cells in table["c"][4][0][3] for cell in cells} == {1}
    wide = A.Table([[A.TableCell([T(f"h{i}")]) for i in range(600)]], [[A.TableCell([T("a")])]] * 600)
    blocks = P.to_pandoc_json(A.Document(A.Meta(), [wide]), "docx")["blocks"]
    assert [b["t"] for b in blocks] == ["Para"] * 601
    assert json.dumps(blocks).count('"h599"') == 1 and len(json.dumps(blocks)) < 100_000
    out = P.pandoc_writer_class("docx")().write(A.Document(A.Meta(), [wide]))
    assert isinstance(out, bytes) and out.startswith(b"PK")


def test_json_ast_passes_through_pandoc_unchanged() -> None:
    """pandoc reads our JSON and writes it back identically: every node is well formed."""
    docs = [hostile_document()] + [parsed(p) for p in SEEDS + FEEDS[::25]]
    for doc in docs:
        ours = P.to_pandoc_json(doc)
        theirs = json.loads(pandoc("-f", "json", "-t", "json", data=json.dumps(ours).encode()))
        assert theirs == ours


# ---------------------------------------------------------------------------- the runner


def test_pandoc_failure_is_a_one_line_conversion_error() -> None:
    with pytest.raises(P.PandocError) as info:
        P.run_pandoc(["-f", "json", "-t", "docx", "-o", "-"], b"{not json\n\n at all")
    assert isinstance(info.value, ConversionError)
    assert str(info.value).startswith("pandoc failed (exit status") and "\n" not in str(info.value)


def test_timeout_is_a_conversion_error() -> None:
    big = json.dumps(P.to_pandoc_json(A.Document(A.Meta(), [A.Paragraph([A.Text("词 " * 200_000)])])))
    with pytest.raises(P.PandocError, match=r"longer than 0\.001 s"):
        P.run_pandoc(["-f", "json", "-t", "docx", "-o", "-"], big.encode(), timeout=0.001)


def _big_table(side: int) -> A.Document:
    row = [A.TableCell([A.Text("格")]) for _ in range(side)]
    return A.Document(A.Meta(title="表"), [A.Table([], [list(row) for _ in range(side)])])


@pytest.mark.parametrize("batched", [False, True])
def test_pandocs_heap_is_bounded_by_its_input(monkeypatch: pytest.MonkeyPatch, batched: bool) -> None:
    """pandoc (alone, or as the batch server) stops at its heap limit with a one-line error:
    here a limit of a byte per byte of input (the runtime raises it to its 64 MB minimum), which
    a 300 × 300 table needs several times over; the same table converts with the real limit."""
    doc = _big_table(300)
    writer = make_writer("rst")
    payload = writer._payload(doc)
    assert P.heap_limit(len(payload)) == 512 * 2**20 + 64 * len(payload)
    monkeypatch.setattr(process, "_HEAP_BASE", 0)
    monkeypatch.setattr(process, "_HEAP_PER_BYTE", 1)
    with pytest.raises(P.PandocError, match=r"pandoc needed more than \d+ MB of memory"):
        if batched:
            P.run_pandoc_batch("rst", [payload, payload], timeout=120)
        else:
            P.run_pandoc(writer._args(), payload, timeout=120)
    monkeypatch.undo()
    assert "格" in writer.write(doc)


def test_missing_pandoc_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    P.pandoc_path.cache_clear()
    monkeypatch.setattr(process.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(process.shutil, "which", lambda name: None)
    try:
        with pytest.raises(P.PandocError, match="pip install pypandoc-binary"):
            P.run_pandoc(["--version"], b"")
    finally:
        P.pandoc_path.cache_clear()


def test_warnings_are_warnings_not_errors() -> None:
    """What pandoc says on success (here: a deprecated format name) is a Python warning."""
    with pytest.warns(P.PandocWarning, match="^pandoc: Deprecated"):
        out = P.run_pandoc(["-f", "markdown", "-t", "markdown_github"], "正文".encode())
    assert out.decode().strip() == "正文"


def test_user_data_directory_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pandoc runs with an empty data directory: a template in the user's own (which even
    ``--sandbox`` would use) does not change our output."""
    for fmt in ("org", "latex"):
        template = tmp_path / "pandoc" / "templates" / f"default.{fmt}"
        template.parent.mkdir(parents=True, exist_ok=True)
        template.write_text("HIJACKED $body$\n", encoding="utf-8")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    doc = A.Document(A.Meta(title="标题"), [A.Paragraph([A.Text("正文")])])
    hijacked = pandoc("-f", "json", "-t", "org", "-s", data=json.dumps(P.to_pandoc_json(doc)).encode())
    assert hijacked.startswith(b"HIJACKED")  # what would happen without it
    for fmt in ("org", "latex"):
        out = render(doc, fmt)
        assert "HIJACKED" not in out and "正文" in out


def test_images_become_links_where_pandoc_would_fetch_them() -> None:
    """The sandbox forbids fetching images, so docx gets a link to each; pptx would fail."""
    doc = A.Document(A.Meta(title="图", language="zh-Hans"),
                     [A.Figure(A.Image("https://example.com/f.jpg"), [A.Text("图注")])])
    with warnings.catch_warnings():
        warnings.simplefilter("error", P.PandocWarning)
        for fmt in ("docx", "odt", "pptx", "epub3", "rtf"):
            assert render(doc, fmt)
    html = " ".join(pandoc("-f", "docx", "-t", "html", data=render(doc, "docx")).decode().split())
    assert '<a href="https://example.com/f.jpg">[图片]</a>' in html and "图注" in html
    assert ".. figure:: https://example.com/f.jpg" in render(doc, "rst")  # elsewhere an image


# ---------------------------------------------------------------------------- the registry


def test_format_table_matches_pandoc() -> None:
    listed = set(pandoc("--list-output-formats", data=b"").decode().split())
    assert set(P.PANDOC_FORMATS) | P.UNOFFERED == listed
    assert not set(P.PANDOC_FORMATS) & P.UNOFFERED


def test_binary_flags_match_pandoc_output() -> None:
    """Binary formats write zip archives; every other format writes UTF-8 text."""
    doc = A.Document(A.Meta(title="t"), [A.Paragraph([A.Text("文字")])])

    def write(fmt: str) -> tuple[str, str | bytes]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", P.PandocWarning)
            return fmt, P.pandoc_writer_class(fmt)().write(doc)

    with ThreadPoolExecutor(4) as pool:
        outputs = dict(pool.map(write, P.PANDOC_FORMATS))
    for fmt, out in outputs.items():
        if P.PANDOC_FORMATS[fmt].binary:
            assert isinstance(out, bytes) and out[:2] == b"PK", fmt
        else:
            assert isinstance(out, str), fmt


def test_registry_lists_ours_then_pandocs() -> None:
    names = list(writer_classes())
    assert names[:5] == ["markdown", "text", "json", "epub", "html"]
    assert names.index("docx") > names.index("html")
    for ours in ("markdown", "json", "epub", "html"):  # pandoc's formats of the same name are hidden
        assert not issubclass(get_writer_class(ours), P.PandocWriter)
    docx = get_writer_class("DOCX")
    assert issubclass(docx, P.PandocWriter) and docx is get_writer_class("docx")
    assert (docx.name, docx.extension, docx.binary) == ("docx", "docx", True)
    assert get_writer_class("rst").binary is False and get_writer_class("latex").extension == "tex"
    for name, cls in writer_classes().items():  # every listed name selects what is listed
        assert get_writer_class(name) is cls, name
    infos = {info.name: info for info in format_infos()}
    assert infos["odt"].extension == "odt" and infos["odt"].binary and "pandoc" in infos["odt"].description
    assert [i.name for i in format_infos()][:5] == names[:5]


def test_pandoc_writer_options() -> None:
    assert writer_options(get_writer_class("docx")) == ["timeout", "reference_doc", "template", "toc", "toc_depth"]
    assert make_writer("org", timeout=5).timeout == 5.0
    with pytest.raises(OptionError):
        make_writer("docx", width=10)
    with pytest.raises(OptionError):
        make_writer("docx", timeout=0)


def test_registry_runs_no_pandoc() -> None:
    """Looking formats up and making writers starts no process: start-up stays cheap."""
    code = ("import subprocess\n"
            "def refuse(*a, **k): raise SystemExit('a process was started')\n"
            "subprocess.run = subprocess.Popen = refuse\n"
            "from converter.writers import format_infos, make_writer\n"
            "assert len(format_infos()) > 60\n"
            "make_writer('docx'); make_writer('rst', timeout=3)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()


def test_cli_writes_docx_and_lists_formats(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text("<p>正文 text</p>\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "converter", str(src), "--to", "docx"],
                          capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "a.docx").read_bytes()[:2] == b"PK"
    listing = subprocess.run([sys.executable, "-m", "converter", "--list-formats"], capture_output=True,
                             timeout=60, check=True).stdout.decode().splitlines()
    names = [line.split()[0] for line in listing]
    assert names[:5] == ["markdown", "text", "json", "epub", "html"] and "docx" in names
    assert any(line.startswith("docx") and ".docx" in line for line in listing)


# ---------------------------------------------------------------------------- per format


def test_styles_do_not_open_or_close_on_a_space() -> None:
    """Spaces and breaks at the ends of bold text move out of it (lightweight markup cannot
    open or close a style next to a space)."""
    para = A.Paragraph([A.Text("前"), A.Strong([A.Text(" 粗体\n")]), A.Text("后")])
    tree = P.to_pandoc_json(A.Document(A.Meta(), [para]))
    assert tree["blocks"][0]["c"] == [{"t": "Str", "c": "前"}, {"t": "Space"},
                                      {"t": "Strong", "c": [{"t": "Str", "c": "粗体"}]},
                                      {"t": "SoftBreak"}, {"t": "Str", "c": "后"}]


def test_headings_and_captions_are_one_line() -> None:
    """A soft break in a title, heading or caption is a space (pandoc would keep it as a new
    line, which ends a heading in most markup); rST, Org and AsciiDoc also get a line break
    as a space. (Between two CJK characters a line break in the text is nothing at all:
    ``tests/test_chars.py``.)"""
    doc = A.Document(A.Meta(title="one\ntwo"), [
        A.Heading(2, [A.Text("sub\nheading"), A.LineBreak(), A.Text("续")]),
        A.Figure(A.Image("https://example.com/f.jpg", alt="图"), [A.Text("图注"), A.LineBreak(), A.Text("二行")])])
    assert P.to_pandoc_json(doc)["blocks"][0]["c"][2][1] == {"t": "Space"}
    assert "#+title: one two" in render(doc, "org") and "** sub heading 续" in render(doc, "org")
    assert "#+caption: 图注 二行" in render(doc, "org")
    assert "=== sub heading 续\n" in render(doc, "asciidoc") and "\n.图注 二行\n" in render(doc, "asciidoc")
    assert "\nsub heading 续\n===" in render(doc, "rst")


def test_rst_link_text_escapes_angle_brackets() -> None:
    """rST takes a reference's URL from its last ``<…>`` (docutils) or its first (pandoc's
    reader, which then fails): ``\\<`` in the text is read alike by both."""
    doc = A.Document(A.Meta(), [A.Paragraph([A.Text("全文 "), A.Link([A.Text("<查看 全文>")], "https://example.com/a"),
                                             A.Text(" a<b")])])
    out = render(doc, "rst")
    assert r"`\<查看 全文> <https://example.com/a>`__" in out and " a<b" in out
    assert read_back(out, "rst").split() == ["全文", "<查看", "全文>", "a<b"]


def test_rst_lines_that_would_be_markup_are_escaped() -> None:
    """A paragraph line that rST reads as a list item, comment, field, transition or title
    underline starts with a backslash (pandoc escapes only ``*``, ``|`` and ``_``)."""
    starts = ["- 甲", "• 乙", "1. 丙", "(a) 丁", ".. 戊", ":字段: 己", "-----", ">>> 庚", "* 辛"]
    doc = A.Document(A.Meta(), [A.Paragraph([A.Text(line)]) for line in starts] + [A.Paragraph([A.Text("标题\n------")])])
    out = render(doc, "rst")
    lines = out.splitlines()
    for line in starts + ["------"]:
        assert "\\" + line in lines, line  # "* 辛": pandoc's own escape, not doubled
    assert read_back(out, "rst").split() == " ".join(starts + ["标题", "------"]).split()


def test_org_images_without_an_image_extension_are_links() -> None:
    """Org shows a link as an image only when its URL ends in an image extension; a figure
    whose image does not is its caption and a link, as Org drops a caption above a link."""
    doc = A.Document(A.Meta(), [
        A.Figure(A.Image("https://example.com/img?id=1", alt="替代"), [A.Text("图注")]),
        A.Figure(A.Image("https://example.com/p.JPG", alt="替代"), [A.Text("图注二")]),
        A.Paragraph([A.Image("https://example.com/img?id=2", alt="替代"), A.Image("https://example.com/i.php")])])
    out = render(doc, "org")
    assert "图注 [[https://example.com/img?id=1]]\n" in out
    assert "#+caption: 图注二\n[[https://example.com/p.JPG]]" in out
    assert "[[https://example.com/img?id=2][替代]][[https://example.com/i.php]]" in out
    assert "图注" in read_back(out, "org") and "图注二" in read_back(out, "org")


def asciidoc_of(*blocks: A.Block) -> str:
    return render(A.Document(A.Meta(), list(blocks)), "asciidoc")


def test_asciidoc_lines_that_would_be_markup_are_escaped() -> None:
    """A line that AsciiDoc reads as a block (a delimiter opens a listing that swallows the
    rest, and sends pandoc's reader into gigabytes) starts with ``{empty}``."""
    T = A.Text
    out = asciidoc_of(A.Paragraph([T("-" * 60)]), A.Paragraph([T(".標題似的 第一行\n// 第二行")]),
                      A.Paragraph([T("甲"), A.LineBreak(), T("- 乙\n• 丙\n1. 丁\n-- 戊")]), A.Paragraph([T("正文")]))
    for line in ("{empty}" + "-" * 60, "{empty}.標題似的 第一行", "{empty}// 第二行", "{empty}- 乙", "{empty}• 丙",
                 "{empty}1. 丁", "-- 戊", "\n正文\n"):
        assert line in out, line
    assert "{empty}-- 戊" not in out
    assert read_back(out, "asciidoc").split() == [
        "-" * 60, ".標題似的", "第一行", "//", "第二行", "甲", "-", "乙", "•", "丙", "1.", "丁", "--", "戊", "正文"]


def test_asciidoc_links_are_link_macros() -> None:
    """A bare URL is no link after a CJK character; characters that start attributes in the
    text are character references; a URL that substitutions could alter is a passthrough."""
    T = A.Text
    out = asciidoc_of(A.Paragraph([
        T("据"), A.Link([T("报道")], "https://example.com/a"), T("，"),
        A.Link([T("www.economist.com/offer")], "https://example.com/b"), A.Link([T("...more")], "https://example.com/c_d"),
        A.Link([T("JPY=, x]")], "https://example.com/e"), A.Link([T("https://example.com/f")], "https://example.com/f"),
        T(" "), A.Link([A.Image("https://example.com/g.png")], "https://example.com/h")]))
    for part in ("据link:https://example.com/a[报道]，", "link:https://example.com/b[www&#46;economist&#46;com/offer]",
                 "link:++https://example.com/c_d++[&#46;&#46;&#46;more]", "link:https://example.com/e[JPY&#61;&#44; x&#93;]",
                 "link:https://example.com/f[] link:https://example.com/h[&#91;image&#93;]"):
        assert part in out, part
    assert read_back(out, "asciidoc").split() == [
        "据报道，www.economist.com/offer...moreJPY=,", "x]https://example.com/f", "[image]"]


def test_asciidoc_styles_headings_and_figures() -> None:
    """Bold and italics use the marks that work next to CJK letters, and neighbours merge; a
    heading in a list is bold; a figure's image has no title, which would replace its caption."""
    T = A.Text
    out = asciidoc_of(
        A.Paragraph([T("中"), A.Strong([T("粗")]), A.Strong([A.Strong([T("体")])]), T("文"), A.Emphasis([T("斜")])]),
        A.BulletList([[A.Heading(3, [T("列表里的标题")]), A.Paragraph([T("说明")])]]),
        A.Heading(2, [T("标题")]),
        A.Figure(A.Image("https://example.com/f.jpg", alt="替代", title="提示"), [T("图注")]))
    for part in ("中**粗体**文__斜__", "* **列表里的标题**", "\n=== 标题\n", ".图注\nimage::https://example.com/f.jpg[替代]\n"):
        assert part in out, part
    assert "提示" not in out


# ---------------------------------------------------------------------------- text retention


@pytest.mark.parametrize("fmt", ("docx", "odt", "html", "rst", "asciidoc"))
def test_hostile_document_keeps_its_text(fmt: str) -> None:
    """Every node type survives. (pandoc's LaTeX reader cannot read back highlighted code or
    spanning cells, nor its Org reader a table caption, although the files hold them.)"""
    assert kept(hostile_document(), fmt) >= 0.99


@needs_seed
@pytest.mark.parametrize("fmt", RETENTION_FORMATS)
def test_seed_keeps_its_text(fmt: str) -> None:
    assert kept(parsed(SEEDS[0]), fmt) >= 0.99


def _corpus_sample(fmt: str) -> list[Path]:
    if os.environ.get("CONVERTER_FULL_CORPUS"):
        return FEEDS
    return FEEDS[CORPUS_OFFSETS[fmt]::CORPUS_STRIDES[fmt]]


def test_the_corpus_samples_cover_every_document() -> None:
    covered = {i for fmt in CORPUS_STRIDES for i in range(CORPUS_OFFSETS[fmt], 485, CORPUS_STRIDES[fmt])}
    assert covered == set(range(485))


@needs_corpus
@pytest.mark.parametrize("fmt", CORPUS_STRIDES)
def test_corpus_keeps_its_text(fmt: str) -> None:
    def check(path: Path) -> tuple[float, str]:
        return kept(parsed(path), fmt), path.name

    with ThreadPoolExecutor(2) as pool:
        scores = sorted(pool.map(check, _corpus_sample(fmt)))
    assert scores[0][0] >= 0.99, f"{fmt}: lowest {scores[:3]}"


def visible_text(doc: A.Document) -> str:
    """Title and text as our Markdown shows it: a link without text shows its host (see
    :func:`converter.labels.link_label`), images (whose alt text Markdown writes in varying
    ways) are left out; compared as :func:`comparable`."""
    out = [doc.meta.title]

    def inlines(nodes: list[A.Inline]) -> None:
        for node in nodes:
            if isinstance(node, (A.Text, A.Code)):
                out.append(node.text)
            elif isinstance(node, A.Link) and not A.plain_text(node.content).strip() and not any(
                    isinstance(n, A.Image) for n in A.walk(node.content)):  # type: ignore[arg-type]
                out.append(link_label(node.url, doc.meta.language))
            elif hasattr(node, "content"):
                inlines(node.content)  # type: ignore[union-attr]

    for node in A.walk(doc.blocks):
        if isinstance(node, (A.Paragraph, A.Heading)):
            inlines(node.content)
        elif isinstance(node, (A.Figure, A.Table)):
            inlines(node.caption)
        elif isinstance(node, A.TableCell):
            inlines(node.content)
        elif isinstance(node, A.CodeBlock):
            out.append(node.text)
    return comparable("".join(out))


def comparable(text: str) -> str:
    """``text`` without white space, superscript digits and signs read as what they raise
    (our Markdown writes ``10<sup>170</sup>`` as ``10¹⁷⁰``)."""
    return "".join(unicodedata.normalize("NFKC", text).replace("\u2212", "-").split())


def pandoc_text(tree: Any) -> str:
    """The text of a pandoc JSON AST in document order, images left out."""
    out: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict) and "t" in node:
            kind, content = node["t"], node.get("c")
            if kind == "Str":
                out.append(content)
            elif kind in ("Code", "CodeBlock"):
                out.append(content[1])
            elif kind == "Quoted":
                visit(content[1])
            elif kind in ("Figure", "Table"):
                visit(content[1])  # the caption first, as our AST has it
                visit(content[2:])
            elif kind != "Image":
                visit(content)

    visit(tree["meta"].get("title", []))
    visit(tree["blocks"])
    return comparable("".join(out))


@needs_corpus
@pytest.mark.parametrize("path", SEEDS + FEEDS[::5], ids=lambda p: p.name)
def test_commonmark_reads_our_markdown_as_our_text(path: Path) -> None:
    """pandoc's CommonMark reader (GFM tables and strikeout on) finds our AST's text exactly."""
    doc = parsed(path)
    markdown = render(doc, "markdown", front_matter=False)
    tree = json.loads(pandoc("-f", "commonmark+pipe_tables+strikeout", "-t", "json", data=markdown.encode()))
    assert pandoc_text(tree) == visible_text(doc)


# ---------------------------------------------------------------------------- many documents, one pandoc


def _xml_parts(output: str | bytes, fmt: str) -> Any:
    """What must match between two conversions: text as it is; for docx and odt, the document
    XML (the archives could differ in what pandoc stamps them with)."""
    if isinstance(output, str):
        return output
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(output)) as archive:
        return archive.read("word/document.xml" if fmt == "docx" else "content.xml")


def _count_processes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pandoc processes started from here on: ``one`` per document, ``batch`` per batch."""
    P.api_version()  # learnt once per process, not a conversion
    started: list[str] = []
    one, batch = P.run_pandoc, P.run_pandoc_batch
    monkeypatch.setattr(P, "run_pandoc", lambda *a, **k: started.append("one") or one(*a, **k))
    monkeypatch.setattr(P, "run_pandoc_batch", lambda *a, **k: started.append("batch") or batch(*a, **k))
    return started


@needs_corpus
@pytest.mark.parametrize("fmt", ["rst", "docx", "latex"])
def test_a_batch_writes_what_one_process_per_document_writes(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [hostile_document()] + [parsed(p) for p in SEEDS[:1] + FEEDS[::97]]
    writer = make_writer(fmt)
    started = _count_processes(monkeypatch)
    written = list(writer.write_many(docs))
    assert started == ["batch"]
    assert all(not isinstance(w.output, ConversionError) and w.seconds > 0 for w in written)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.PandocWarning)
        alone = [writer.write(doc) for doc in docs]
    for doc, w, output in zip(docs, written, alone, strict=True):
        assert type(w.output) is type(output)
        assert _xml_parts(w.output, fmt) == _xml_parts(output, fmt), doc.meta.title
        if fmt != "docx":
            assert w.output == output  # text formats: byte for byte


def test_a_failing_document_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """pandoc rejects one document of a batch: it alone is converted again in a process of its
    own, whose error is the one ``write`` gives; the others keep the batch's output."""
    docs = [A.Document(A.Meta(title=f"t{i}"), [A.Paragraph([A.Text(f"正文 {i}")])]) for i in range(4)]
    payload = P.PandocWriter._payload
    monkeypatch.setattr(P.PandocWriter, "_payload",
                        lambda self, doc: b"{not json" if doc.meta.title == "t2" else payload(self, doc))
    started = _count_processes(monkeypatch)
    writer = make_writer("rst")
    written = list(writer.write_many(docs))
    assert started == ["batch", "one"]
    error = written[2].output
    assert isinstance(error, P.PandocError) and "\n" not in str(error) and str(error).startswith("pandoc failed")
    assert [w.output for i, w in enumerate(written) if i != 2] == [writer.write(docs[i]) for i in (0, 1, 3)]
    assert "正文 3" in str(written[3].output)


def test_a_batch_that_fails_as_a_whole_falls_back_to_one_process_per_document(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [hostile_document(), A.Document(A.Meta(title="b"), [A.Paragraph([A.Text("x")])])]
    writer = make_writer("rst")
    monkeypatch.setattr(process, "_CGI_ENV", dict(process._CGI_ENV, PATH_INFO="/no-such-endpoint"))
    with pytest.raises(P.PandocError, match="pandoc-server failed"):
        P.run_pandoc_batch("rst", [writer._payload(doc) for doc in docs], timeout=60)
    started = _count_processes(monkeypatch)
    written = list(writer.write_many(docs))
    assert started == ["batch", "one", "one"]
    assert [w.output for w in written] == [writer.write(doc) for doc in docs]


def test_batch_warnings_belong_to_their_document() -> None:
    """pandoc's warnings come back per document, worded as the pandoc command words them."""
    image = {"t": "Para", "c": [{"t": "Image", "c": [["", [], []], [], ["missing.png", ""]]}]}
    tree = {"pandoc-api-version": P.api_version(), "meta": {}, "blocks": [image]}
    warns = json.dumps(tree).encode()
    quiet = json.dumps(dict(tree, blocks=[])).encode()
    answers = P.run_pandoc_batch("docx", [quiet, warns, quiet], timeout=60)
    assert [bool(a and a[1]) for a in answers] == [False, True, False]
    with pytest.warns(P.PandocWarning) as caught:
        P.run_pandoc(["-f", "json", "-t", "docx", "-o", "-"], warns)
    assert answers[1] is not None and [f"pandoc: {m}" for m in answers[1][1]] == [str(w.message) for w in caught]


def test_formats_whose_server_output_differs_are_not_batched(monkeypatch: pytest.MonkeyPatch) -> None:
    started = _count_processes(monkeypatch)
    docs = [A.Document(A.Meta(title="t"), [A.Paragraph([A.Text("x")])])] * 2
    assert [type(w.output) for w in make_writer("man").write_many(docs)] == [str, str]
    assert started == ["one", "one"]


def test_very_long_text_is_a_string_per_line_and_keeps_its_text() -> None:
    """A hostile paragraph of hundreds of thousands of words: a node per line, not per word,
    so neither our process nor pandoc holds millions of nodes; the text still all arrives."""
    words = "长段落 with words, " * 20_000
    doc = A.Document(A.Meta(title="Long"), [A.Paragraph([A.Text(words + "\n" + words)])])
    para = P.to_pandoc_json(doc, "rst")["blocks"][-1]["c"]
    assert [node["t"] for node in para] == ["Str", "SoftBreak", "Str"]
    assert kept(doc, "rst") >= 0.99
