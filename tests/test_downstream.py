"""What the processors of our output formats do with a hostile document: nothing included,
nothing run (SECURITY.md, "Downstream formats").

Each check renders a document built of recipes (``.. include::``, ``include::…[]``,
``@verbatiminclude``, ``#+INCLUDE:``, ``.so``, ``\\input``, ``#read``, templates, front-matter
variables …) that point at a secret file in ``tmp_path``, runs the real processor of the format
on the output in that folder, and asserts that the secret never appears; a control first shows
that the processor does include the file when the recipe reaches it unescaped, so each check can
fail. Processors: docutils' ``rst2html`` (from the ``test`` extra), Asciidoctor (npm),
``makeinfo`` (Debian's texinfo), groff, and pandoc's own readers, which include files when not
sandboxed. A processor that is not installed skips its test with the reason; ``.ci/run``
installs them all.
"""

from __future__ import annotations

import io
import json
import math
import re
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from converter import ast as A
from converter import load_json, parse, render
from converter.errors import ConversionError, InputError
from converter.writers import pandoc as P
from converter.writers.pandoc import build

ROOT = Path(__file__).resolve().parents[1]
SECRET = "SECRET3c1e9a77"  # one word: groff would turn a hyphen into U+2010
SECRET_NAME = "secret.txt"
EVIL_HOST = "evil.example"

#: One line per way a format's processor includes a file or runs code, each pointing at the
#: secret file (relative names: every processor runs in the folder that holds it).
RECIPES = [
    f".. include:: {SECRET_NAME}",                       # rST (docutils, pandoc)
    f"include::{SECRET_NAME}[]",                         # AsciiDoc
    "ifeval::[1 == 1]",
    "@end verbatim",                                     # Texinfo
    f"@verbatiminclude {SECRET_NAME}",
    f"@include {SECRET_NAME}",
    f'#+INCLUDE: "{SECRET_NAME}"',                       # Org
    f"#+SETUPFILE: {SECRET_NAME}",
    'src_emacs-lisp[:exports results]{(delete-file "x")}',
    "call_cleanup()",
    "{{{input-file}}}",
    "[[elisp:(kill-emacs)]]",
    f".so {SECRET_NAME}",                                # roff (man, ms)
    f"'so {SECRET_NAME}",
    f"\\input{{{SECRET_NAME}}}",                         # LaTeX
    "\\end{verbatim}",
    f'#include "{SECRET_NAME}"',                         # Typst
    f'#read("{SECRET_NAME}")',
    "{{:Secret page}}",                                  # MediaWiki templates
    "....",                                              # AsciiDoc block delimiters, then
    "----",                                              # a passthrough of raw HTML
    "++++",
    "<script>alert(1)</script>",                         # raw HTML (Markdown, Textile …)
    "++++",
    "```{=html}",
    "javascript:alert(1)//x",                            # a URI docutils would link
]
LINES = "\n".join(RECIPES)


def hostile_document() -> A.Document:
    """The recipes wherever a writer can put text: title, author, headings, paragraph lines
    (soft and hard breaks), list items, quotes, table cells and captions, figure captions,
    code blocks (with and without a language), inline code, link text."""
    T = A.Text
    rows = [[A.TableCell([T("x\n" + recipe)]) for recipe in RECIPES[i:i + 3]] for i in range(0, len(RECIPES), 3)]
    return A.Document(
        A.Meta(title=RECIPES[0], author=RECIPES[1], language="en"),
        [*[A.Heading(2, [T(recipe)]) for recipe in RECIPES],
         A.Paragraph([T(LINES)]),
         A.Paragraph([T("x"), A.LineBreak(), T(LINES)]),
         A.BulletList([[A.Paragraph([T(recipe)])] for recipe in RECIPES]),
         A.BlockQuote([A.Paragraph([T(LINES)])]),
         A.Table([[A.TableCell([T(recipe)]) for recipe in RECIPES[:3]]], rows, caption=[T(RECIPES[0])]),
         *[A.Figure(A.Image("https://example.com/a.jpg", alt=recipe), [T(recipe)]) for recipe in RECIPES],
         A.CodeBlock(LINES),
         A.CodeBlock(LINES, language="emacs-lisp"),
         A.Paragraph([A.Code(recipe) for recipe in RECIPES]),
         A.Paragraph([A.Link([T(recipe)], "https://example.com/") for recipe in RECIPES])])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder holding the secret file the recipes point at."""
    (tmp_path / SECRET_NAME).write_text(SECRET + "\n", encoding="utf-8")
    return tmp_path


def run(command: list[str], cwd: Path, data: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, input=data, capture_output=True, text=True, timeout=180, check=False)


def written(fmt: str, doc: A.Document | None = None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.PandocWarning)
        out = render(doc or hostile_document(), fmt)
    assert isinstance(out, str)
    return out


def pandoc_reads(fmt: str, text: str, cwd: Path) -> str:
    """pandoc's reader for ``fmt`` on ``text``, not sandboxed (so it includes files), as JSON."""
    done = run([P.pandoc_path(), "--from", fmt, "--to", "json"], cwd, text)
    assert done.returncode == 0, done.stderr
    return done.stdout


def tool(name: str, *folders: Path) -> str:
    """The path of a processor, or a skip naming what to install."""
    found = next(filter(None, (shutil.which(name, path=str(f) if f else None) for f in (*folders, None))), None)
    if found is None:
        pytest.skip(f"{name} is not installed (.ci/run installs it)")
    return found


# ---------------------------------------------------------------------------- item 6: metadata


#: Front matter that sets pandoc's template variables: a live event handler, a refresh, remote
#: scripts and stylesheets, raw header content.
HOSTILE_FRONT_MATTER = f"""---
title: Front matter
lang: 'en" onmouseover="alert(1)'
description-meta: '0;url=https://{EVIL_HOST}/r" http-equiv="refresh'
revealjs-url: 'https://{EVIL_HOST}/reveal'
s5-url: 'https://{EVIL_HOST}/s5'
slidy-url: 'https://{EVIL_HOST}/slidy'
slideous-url: 'https://{EVIL_HOST}/slideous'
css: 'https://{EVIL_HOST}/style.css'
header-includes: '<script src="https://{EVIL_HOST}/h.js"></script>'
include-before: '<script src="https://{EVIL_HOST}/b.js"></script>'
include-after: '<script src="https://{EVIL_HOST}/a.js"></script>'
abstract: '<img src=x onerror=alert(1)>'
keywords: ['k" onclick="alert(1)']
tags: ['t" onclick="alert(1)', '<script>alert(1)</script>']
cover-image: '{SECRET_NAME}'
document-css: true
---
<p>正文 text</p>
"""
PLAIN_FRONT_MATTER = "---\ntitle: Front matter\n---\n<p>正文 text</p>\n"
HTML_FAMILY = ("html", "html4", "html5", "revealjs", "s5", "slidy", "slideous", "dzslides", "chunkedhtml",
               "epub", "epub2", "epub3")


def html_pages(output: str | bytes) -> list[bytes]:
    """The HTML or XHTML documents of an output: itself, or each page of a zip (EPUB, chunked HTML)."""
    if isinstance(output, str):
        return [output.encode("utf-8")]
    with zipfile.ZipFile(io.BytesIO(output)) as archive:
        return [archive.read(name) for name in archive.namelist() if name.endswith((".html", ".xhtml", ".htm"))]


@pytest.mark.parametrize("fmt", HTML_FAMILY)
def test_front_matter_sets_no_template_variable_in_html_outputs(fmt: str) -> None:
    """Issue #11, item 6: a document's front matter reaches pandoc's HTML templates as nothing
    but an escaped title: no event handler, refresh, remote script or stylesheet, raw header
    content; the outputs parse as (X)HTML."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.PandocWarning)
        output = render(parse(HOSTILE_FRONT_MATTER), fmt)
        plain = render(parse(PLAIN_FRONT_MATTER), fmt)
    pages = html_pages(output)
    assert pages and len(pages) == len(html_pages(plain))
    for page, plain_page in zip(pages, html_pages(plain), strict=True):
        assert EVIL_HOST.encode() not in page and b"onmouseover" not in page and b"onerror" not in page
        tree = html.fromstring(page)
        for element in tree.iter(etree.Element):
            assert not [name for name in element.attrib if name.lower().startswith("on")], etree.tostring(element)
            assert element.get("http-equiv", "").lower() != "refresh"
        # the scripts and stylesheets are those of the template alone, whatever the front matter says
        assert resources(tree) == resources(html.fromstring(plain_page))
        if fmt.startswith("epub"):
            etree.fromstring(page)  # XHTML stays well-formed


def test_the_front_matter_recipes_work_on_pandoc_itself() -> None:
    """The control: handed to pandoc as metadata, the recipes do what issue #11 says."""
    meta = {key: {"t": "MetaString", "c": value} for key, value in (
        ("title", "t"), ("lang", 'en" onmouseover="alert(1)'), ("revealjs-url", f"https://{EVIL_HOST}/reveal"),
        ("description-meta", f'0;url=https://{EVIL_HOST}/r" http-equiv="refresh'))}
    tree = json.dumps({"pandoc-api-version": P.api_version(), "meta": meta, "blocks": []}).encode()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", P.PandocWarning)
        page, slides = (P.run_pandoc(["--from", "json", "--to", fmt, "--standalone"], tree).decode()
                        for fmt in ("html5", "revealjs"))
    assert 'onmouseover="alert(1)"' in page and 'http-equiv="refresh"' in page
    assert f'<script src="https://{EVIL_HOST}/reveal' in slides


def resources(tree: html.HtmlElement) -> list[str]:
    return [el.get("src") or el.get("href") or "" for el in tree.iter("script", "link")]


def test_a_well_formed_language_tag_still_reaches_pandoc() -> None:
    doc = parse("---\ntitle: t\nlang: en-GB\n---\n<p>text</p>\n")
    assert '<html xmlns="http://www.w3.org/1999/xhtml" lang="en-GB" xml:lang="en-GB">' in written("html5", doc)
    meta = P.to_pandoc_json(parse(HOSTILE_FRONT_MATTER), "html5")["meta"]
    assert set(meta) == {"title", "converter"} and "lang" not in meta


def template_text(fmt: str) -> str:
    """pandoc's default template for ``fmt`` and the partials it names, as one text."""
    done = run([P.pandoc_path(), "--print-default-template", fmt], ROOT)
    if done.returncode != 0:
        return ""  # a format without a template (pandoc says so)
    texts, seen = [done.stdout], set()
    for partial in re.findall(r"\$\{?\s*([\w.-]+)\(\)", done.stdout):
        if partial not in seen:
            seen.add(partial)
            data = run([P.pandoc_path(), "--print-default-data-file", f"templates/{partial}"], ROOT)
            texts.append(data.stdout)
    return "\n".join(texts)


def test_no_default_template_reads_our_own_metadata_key() -> None:
    """Our url, site and tags go to pandoc under one key that none of pandoc's templates (or
    their partials) reads; a document's other keys do not go at all."""
    meta = P.to_pandoc_json(A.Document(A.Meta(title="t", url="https://example.com/", site="s", tags=["a"],
                                              extra={"css": "x.css", "header-includes": "<script>"}), []))["meta"]
    assert set(meta) == {"title", "converter"}
    key = re.compile(rf"(?<![\w-]){build._OWN_META}(?![\w-])")
    texts = {fmt: template_text(fmt) for fmt in P.PANDOC_FORMATS}
    assert sum(bool(text) for text in texts.values()) > 50  # the templates were found
    assert [fmt for fmt, text in texts.items() if key.search(text)] == []
    assert key.search("$converter.url$")  # the search finds the key where a template would use it


# ---------------------------------------------------------------------------- item 7: rST


def test_rst_includes_nothing_and_links_no_script_in_docutils(folder: Path) -> None:
    """Issue #11, item 7: docutils' rst2html, with its defaults (file insertion and raw
    enabled), includes no file from our rST and makes no ``javascript:`` link."""
    pytest.importorskip("docutils", reason="docutils is not installed (pip install -e '.[test]')")
    rst2html = tool("rst2html", Path(sys.executable).parent)
    (folder / "control.rst").write_text(f"{RECIPES[0]}\n\njavascript:alert(1)//x\n", encoding="utf-8")
    control = run([rst2html, "control.rst"], folder).stdout
    assert SECRET in control and 'href="javascript:' in control
    (folder / "doc.rst").write_text(written("rst"), encoding="utf-8")
    done = run([rst2html, "doc.rst"], folder)
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout
    hrefs = [a.get("href") for a in html.fromstring(done.stdout.encode()).iter("a")]
    assert hrefs and all(href.startswith(("http://", "https://", "mailto:", "#")) for href in hrefs), hrefs
    assert "javascript:alert(1)//x" in html.fromstring(done.stdout.encode()).text_content()  # shown as text
    assert SECRET not in pandoc_reads("rst", written("rst"), folder)  # pandoc's rST reader includes too
    assert SECRET in pandoc_reads("rst", RECIPES[0] + "\n", folder)


def test_rst_escapes_every_line_start_pandoc_writes() -> None:
    rst = written("rst")
    lines = [line.strip() for line in rst.splitlines()]
    assert "\\.. include\\:: secret.txt" in lines  # a heading, caption, cell … line: escaped
    assert "javascript\\:alert(1)//x" in rst


# ---------------------------------------------------------------------------- item 8: other text formats


def test_asciidoctor_includes_nothing(folder: Path) -> None:
    """Issue #11, item 8: Asciidoctor in its unsafe mode (the command line's default) runs no
    preprocessor directive of ours, literal blocks included, and shows them as text."""
    asciidoctor = tool("asciidoctor")
    (folder / "control.adoc").write_text(f"....\n{RECIPES[1]}\n....\n", encoding="utf-8")
    assert SECRET in run([asciidoctor, "--safe-mode", "unsafe", "-o", "-", "control.adoc"], folder).stdout
    (folder / "doc.adoc").write_text(written("asciidoc"), encoding="utf-8")
    done = run([asciidoctor, "--safe-mode", "unsafe", "-o", "-", "doc.adoc"], folder)
    assert done.returncode == 0 and SECRET not in done.stdout, done.stderr
    page = html.fromstring(done.stdout.encode())
    shown = page.text_content()
    assert f"include::{SECRET_NAME}[]" in shown and "ifeval::[1 == 1]" in shown
    assert [el for el in page.iter("script") if "alert" in (el.text or "")] == []  # no passthrough either
    assert "<script>alert(1)</script>\n++++" in shown
    assert SECRET not in pandoc_reads("asciidoc", written("asciidoc"), folder)
    assert SECRET in pandoc_reads("asciidoc", RECIPES[1] + "\n", folder)


def test_makeinfo_includes_nothing(folder: Path) -> None:
    """Issue #11, item 8: ``@end verbatim`` in a code block does not end it (it is an escaped
    ``@example``), so makeinfo reads no ``@verbatiminclude``; the code shows as written."""
    makeinfo = tool("makeinfo")
    (folder / "control.texi").write_text(f"@verbatim\n{LINES}\n@end verbatim\n", encoding="utf-8")
    assert SECRET in run([makeinfo, "--plaintext", "--force", "-o", "-", "control.texi"], folder).stdout
    (folder / "doc.texi").write_text(written("texinfo"), encoding="utf-8")
    # --force: pandoc's multitable prototypes do not survive cells of several lines (escaped,
    # but makeinfo reports misplaced braces), and without it makeinfo would write nothing
    done = run([makeinfo, "--plaintext", "--force", "-o", "-", "doc.texi"], folder)
    assert SECRET not in done.stdout and f"@verbatiminclude {SECRET_NAME}\n" in done.stdout, done.stderr


#: What Emacs runs or expands when it exports Org text: inline source blocks, Babel calls,
#: macros, elisp/shell links, keywords at a line's start (a list item's too), LaTeX fragments
#: (passed on to LaTeX as they are).
ORG_EXECUTED = re.compile(
    r"src_[^\s\[{]+(?:\[[^\n]*\])?\{|call_[^()\s]+\(|\{\{\{|\[\[(?:elisp|shell):"
    r"|^[ \t]*(?:[-+]|\d+[.)])?[ \t]*#\+(?:include|setupfile|call|macro|bind|begin_src)\b"
    r"|\\(?!backslash\{\})[a-z]", re.IGNORECASE | re.MULTILINE)


def test_org_holds_nothing_emacs_would_run_or_include(folder: Path) -> None:
    """Issue #11, item 8: without Emacs, the Org output is checked against the syntax Emacs
    runs on export (outside example blocks, which it never evaluates), and pandoc's Org reader
    includes no file from it."""
    org = written("org")
    assert "#+begin_src" not in org.lower()
    text = re.sub(r"(?ims)^#\+begin_example\n.*?^#\+end_example$", "", org)
    assert ORG_EXECUTED.findall(text) == []
    assert len(ORG_EXECUTED.findall(LINES)) >= 6  # the recipes themselves are what it finds
    assert SECRET not in pandoc_reads("org", org, folder)
    assert SECRET in pandoc_reads("org", RECIPES[6] + "\n", folder)
    assert "src\u200b_emacs-lisp" in org  # escaped with Org's zero-width space, text kept


@pytest.mark.parametrize("fmt, macros, start", [("man", "-man", ".TH T 1\n"), ("ms", "-ms", ".LP\n")])
def test_groff_includes_nothing(fmt: str, macros: str, start: str, folder: Path) -> None:
    """Issue #11, item 8: groff (in its default safer mode, which still reads ``.so`` files)
    includes nothing from our man and ms pages: pandoc escapes a line's leading ``.`` and ``'``."""
    groff = tool("groff")
    if run([groff, macros, "-Tutf8"], folder, "").returncode != 0:
        pytest.skip(f"groff has no {macros} macros (Debian's groff package has them)")
    (folder / "control").write_text(start + RECIPES[12] + "\n", encoding="utf-8")
    assert SECRET in run([groff, macros, "-Tutf8", "control"], folder).stdout
    (folder / "doc").write_text(written(fmt), encoding="utf-8")
    done = run([groff, macros, "-Tutf8", "doc"], folder)
    assert done.returncode == 0 and SECRET not in done.stdout, done.stderr


@pytest.mark.parametrize("fmt, reader, recipe", [
    ("latex", "latex", RECIPES[14]), ("beamer", "latex", RECIPES[14]), ("typst", "typst", RECIPES[16]),
    ("typst", "typst", RECIPES[17]), ("asciidoc", "asciidoc", RECIPES[1]), ("rst", "rst", RECIPES[0]),
    ("org", "org", RECIPES[6])])
def test_pandocs_readers_include_nothing(fmt: str, reader: str, recipe: str, folder: Path) -> None:
    """pandoc's own readers, not sandboxed, include files (\\input, #include, #read …): none
    from our output."""
    assert SECRET in pandoc_reads(reader, recipe + "\n", folder)
    assert SECRET not in pandoc_reads(reader, written(fmt), folder)


def test_mediawiki_expands_no_template(folder: Path) -> None:
    """Issue #11, item 8: pandoc's MediaWiki reader finds no template (``{{…}}``, which
    transcludes a page) in our MediaWiki: braces in text and code are escaped or ``nowiki``."""
    assert '"RawInline","c":["mediawiki"' in pandoc_reads("mediawiki", "a {{:Secret page}} b\n", folder)
    wiki = written("mediawiki")
    tree = pandoc_reads("mediawiki", wiki, folder)
    assert '"mediawiki"' not in tree and "{{:Secret" in tree  # the text, not a template
    assert "<syntaxhighlight" not in wiki  # a code block is a <pre>, which MediaWiki does not parse


def live_raw(tree: str) -> list[str]:
    """What in the raw nodes of a pandoc JSON AST would run: raw content of another kind than
    HTML (TeX's ``\\input``), and scripts, event handlers and ``javascript:`` URLs in the raw
    HTML (pandoc writes figures and tables as raw HTML itself, its text escaped)."""
    def raws(node: object) -> list[list[str]]:
        if isinstance(node, list):
            return [found for item in node for found in raws(item)]
        if isinstance(node, dict):
            return [node["c"]] if node.get("t") in ("RawInline", "RawBlock") else raws(list(node.values()))
        return []

    found = raws(json.loads(tree))
    out = [f"{kind}: {text}" for kind, text in found if kind != "html"]
    markup = "".join(text for kind, text in found if kind == "html")
    if markup.strip():
        for element in html.fromstring(f"<div>{markup}</div>").iter(etree.Element):
            out += [f"<{element.tag}>"] if element.tag == "script" else []
            out += [f"{name}={value}" for name, value in element.attrib.items() if name.lower().startswith("on")
                    or (name in ("href", "src") and value.strip().lower().startswith("javascript:"))]
    return out


@pytest.mark.parametrize("fmt", ["commonmark", "commonmark_x", "gfm", "markdown_strict", "markdown_phpextra",
                                 "djot", "textile", "haddock"])
def test_markup_formats_hold_no_live_raw_markup(fmt: str, folder: Path) -> None:
    """pandoc's reader for each format finds no raw markup that would run (``<script>``, raw
    TeX) in our output, where the bare recipes give some: text and code are escaped, inline
    code included (Textile's ``@code@`` next to a letter would not be code)."""
    bare = "a <script>alert(1)</script> b <x onclick=y>\n"
    assert live_raw(pandoc_reads(fmt, bare, folder)) or fmt in ("haddock", "djot")
    assert live_raw(pandoc_reads(fmt, written(fmt), folder)) == []
    adjacent = A.Document(A.Meta(), [A.Paragraph([A.Text("使用"), A.Code("x"), A.Code("<script>alert(1)</script>"),
                                                  A.Text("函数")])])
    assert live_raw(pandoc_reads(fmt, written(fmt, adjacent), folder)) == []


#: For each format marked unsafe, a recipe its processor would obey that survives in our output:
#: what the mark is about (if pandoc ever escapes it, the mark can go).
UNSAFE_WITNESSES = {
    "asciidoc_legacy": f"\n{RECIPES[1]}\n", "context": "\n\\stoptyping\n", "dokuwiki": "\n</code>\n",
    "xwiki": "\n{{/code}}\n", "jira": "\n{noformat}\n", "muse": "\n</example>\n", "markdown_mmd": "{{:Secret",
    **{fmt: "[/code]" for fmt in P.PANDOC_FORMATS if fmt.startswith("bbcode")}}


def test_formats_without_a_clean_escape_are_marked_unsafe() -> None:
    """Issue #11, item 8: the formats whose processors would obey a document are marked unsafe
    in their PandocFormat, in ``--list-formats`` and in SECURITY.md; no other format is."""
    unsafe = {fmt for fmt, info in P.PANDOC_FORMATS.items() if info.unsafe}
    assert unsafe == set(UNSAFE_WITNESSES)
    doc = A.Document(A.Meta(title="t"), [A.CodeBlock("a\n</code>\n{{/code}}\n{noformat}\n</example>\n\\stoptyping\n"
                                                     "[/code]\n" + RECIPES[1]), A.Paragraph([A.Text("{{:Secret page}}")])])
    for fmt, witness in UNSAFE_WITNESSES.items():
        assert witness in written(fmt, doc), fmt
    listing = run([sys.executable, "-m", "converter", "--list-formats"], ROOT).stdout.splitlines()
    marked = {line.split()[0] for line in listing if P.UNSAFE_NOTE in line}
    assert marked == unsafe
    security = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    section = security.split("## Downstream formats", 1)[1].split("\n## ", 1)[0]
    assert all(f"`{fmt}`" in section for fmt in unsafe)


# ---------------------------------------------------------------------------- item 9: JSON input


def json_document(blocks: list[dict[str, object]], url: str = "https://news.example/a/1") -> str:
    return json.dumps({"version": 1, "meta": {"title": "t", "url": url}, "blocks": blocks})


def para(*inlines: dict[str, object]) -> dict[str, object]:
    return {"type": "Paragraph", "content": list(inlines)}


def link(url: str, text: str = "text") -> dict[str, object]:
    return {"type": "Link", "content": [{"type": "Text", "text": text}], "url": url, "title": ""}


def test_json_input_passes_the_readers_url_filter() -> None:
    """Issue #11, item 9: a link to a ``javascript:``, ``file:`` or ``data:`` URL loaded from
    JSON keeps only its text, as the HTML reader keeps it; so does an image or figure."""
    tiny_data = "data:image/gif;base64,R0lGOD"
    doc = load_json(json_document([
        para(link("javascript:alert(1)", "js"), link(" JaVaScRiPt:alert(1)", "js2"), link("file:///etc/passwd", "file"),
             link("data:text/html,<script>alert(1)</script>", "data"), link("vbscript:x", "vb"), link("../b/2", "rel"),
             {"type": "Image", "url": "javascript:alert(1)", "alt": "bad", "title": ""},
             {"type": "Image", "url": tiny_data, "alt": "tiny", "title": ""}),
        {"type": "Figure", "image": {"type": "Image", "url": "file:///etc/passwd", "alt": "", "title": ""},
         "caption": [{"type": "Text", "text": "caption"}]}]))
    para0, caption = doc.blocks
    assert [n.text for n in para0.content if isinstance(n, A.Text)] == ["js", "js2", "file", "data", "vb"]  # type: ignore[union-attr]
    links = [n for n in para0.content if isinstance(n, A.Link)]  # type: ignore[union-attr]
    assert [n.url for n in links] == ["https://news.example/b/2"]  # resolved against the document's URL
    assert not any(isinstance(n, A.Image) for n in para0.content)  # type: ignore[union-attr]
    assert caption == A.Paragraph([A.Text("caption")])
    markdown = render(doc, "markdown")
    for scheme in ("javascript:", "JaVaScRiPt:", "file:", "data:", "vbscript:"):
        assert f"]({scheme}" not in markdown and f"({scheme}" not in markdown.replace(" ", "")


def test_json_input_code_language_is_a_class_name(folder: Path) -> None:
    """Issue #11, item 9: a code block's language ``{=html}`` would make our Markdown's fence a
    raw HTML block for pandoc; loaded from JSON it is a plain class name."""
    block = {"type": "CodeBlock", "text": "<script>alert(1)</script>", "language": "{=html} x"}
    doc = load_json(json_document([block]))
    assert doc.blocks == [A.CodeBlock("<script>alert(1)</script>", "html")]
    tree = pandoc_reads("markdown", render(doc, "markdown"), folder)
    assert '"RawBlock"' not in tree and '"CodeBlock"' in tree
    assert '"RawBlock"' in pandoc_reads("markdown", "```{=html}\n<script>alert(1)</script>\n```\n", folder)


def test_parsed_documents_load_back_unchanged() -> None:
    """The rules change nothing in what the HTML reader made (its own output passes them)."""
    body = ('<p><a href="/x/y">rel</a> <a href="https://a.example/?q=1&amp;r=2#f">abs</a> <a href="#n">note</a>'
            '<img src="https://i.example/p.jpg" alt="p"></p><pre>code</pre>'
            '<figure><img src="/f.png"><figcaption>cap</figcaption></figure>')
    for doc in (parse(body), parse("[t](https://news.example/a/1)\n---\n" + body)):
        assert load_json(render(doc, "json")) == doc
        assert any(isinstance(n, A.Link) for n in A.walk(doc.blocks))


# ---------------------------------------------------------------------------- item 17: NaN and infinities


def strict_json(text: str) -> object:
    def refuse(constant: str) -> None:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


def test_infinite_and_nan_front_matter_gives_valid_json() -> None:
    """Issue #11, item 17: YAML's ``.inf``/``.nan`` in front matter are strings in JSON output."""
    doc = parse("---\ntitle: t\nscore: .inf\nlow: -.inf\nodd: .NaN\nlist: [1.5, .inf]\n---\n<p>x</p>\n")
    out = render(doc, "json")
    assert "NaN" not in out and "Infinity" not in out
    extra = strict_json(out)["meta"]["extra"]  # type: ignore[index]
    assert extra == {"score": "inf", "low": "-inf", "odd": "nan", "list": [1.5, "inf"]}
    assert load_json(out) == doc


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_json_reader_refuses_non_finite_numbers(number: str) -> None:
    text = '{"version": 1, "meta": {"extra": {"x": NUMBER}}, "blocks": []}'.replace("NUMBER", number)
    with pytest.raises(InputError, match="not valid JSON"):
        load_json(text)
    assert load_json(text.replace(number, "1.5")).meta.extra == {"x": 1.5}


def test_json_writer_refuses_to_write_nan() -> None:
    doc = A.Document(A.Meta(title="t", extra={"x": math.nan}), [])
    with pytest.raises(ConversionError, match="NaN"):
        render(doc, "json")
    with pytest.raises(ConversionError):
        render(A.Document(A.Meta(extra={"y": [math.inf]}), []), "json")
