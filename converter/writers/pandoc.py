"""Every output format pandoc writes (Word, OpenDocument, LaTeX, reStructuredText, Org …).

pandoc has the writers and we have the reader; our AST maps one-to-one onto pandoc's, so
:class:`PandocAst` turns a document into pandoc's JSON AST (one method per node type) and
:func:`run_pandoc` hands it to the pandoc binary that ``pypandoc-binary`` ships.

pandoc runs with ``--sandbox``: its readers and writers touch no local file and no network on
our behalf. So images cannot be fetched: in the formats that would embed them (docx, odt,
EPUB, pptx, RTF …) each image becomes a link to it, labelled with its alt text; the other
formats refer to its URL as usual. It also runs with an empty data directory, so that the
templates or reference documents in the user's own pandoc directory cannot change our output.
pandoc's warnings become Python warnings, its failures a one-line :class:`PandocError`; a
timeout stops it.

Where pandoc's writer for a format leaves text that the format reads as markup (rST, Org,
AsciiDoc, MediaWiki, Texinfo, Textile), the AST handed to it is reshaped or escaped for that format
(``_FORMAT_ASTS``), so that the format's own processor includes no file and runs no code a
document wrote; formats where that cannot be done are marked ``unsafe`` in
:data:`PANDOC_FORMATS`. pandoc's metadata is an allow-list (:meth:`PandocAst.meta`): a
document's front matter never sets the variables of pandoc's templates.

Only ``http``, ``https`` and ``mailto`` links and ``http(s)`` images are kept (their text
stays), as in our HTML and EPUB output: pandoc's HTML-based writers would otherwise carry a
``javascript:`` URL through.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar

from .. import ast as A
from ..chars import join_cjk_lines
from ..errors import ConversionError
from ..readers.rules import code_language
from . import Writer
from .article import IMAGE_LABELS, language_tag, localized
from .markup import drop_non_xml, escape_xml, safe_url
from .tables import COVERED, PlacedCell, Slot, layout, row_inlines

#: Seconds a conversion may take before pandoc is stopped.
DEFAULT_TIMEOUT = 60.0
#: Characters of pandoc's error message kept in ours.
_MAX_REASON = 300

_Json = dict[str, Any]
_NO_ATTR: list[Any] = ["", [], []]
_SPACE: _Json = {"t": "Space"}
_SOFT_BREAK: _Json = {"t": "SoftBreak"}
_LINE_BREAK: _Json = {"t": "LineBreak"}
_BREAKS = (_SPACE, _SOFT_BREAK, _LINE_BREAK)
_SPACE_RUN = re.compile(r"([ \t\n\r\f]+)")
_IMAGE_SCHEMES = ("http", "https")
#: The one metadata key that holds our own fields (url, site, tags) for pandoc: no default
#: template or writer of pandoc's reads it (a test checks every template).
_OWN_META = "converter"


class PandocError(ConversionError):
    """pandoc is missing, failed, or took longer than the timeout."""


class PandocWarning(UserWarning):
    """Something pandoc reported without failing (e.g. an image it did not fetch)."""


# ---------------------------------------------------------------------------- formats


@dataclass(frozen=True, slots=True)
class PandocFormat:
    """What we know of one of pandoc's output formats without running pandoc."""

    extension: str
    description: str
    binary: bool = False
    #: Whether pandoc would fetch images to embed them, which the sandbox forbids.
    embeds_images: bool = False
    #: Why the format's own processor may include a file or run code that a document wrote
    #: (``""``: nothing a document writes does; see SECURITY.md, "Downstream formats").
    unsafe: str = ""


#: What ``--list-formats`` shows after the description of a format marked unsafe.
UNSAFE_NOTE = "UNSAFE for untrusted input"


def _f(extension: str, description: str, binary: bool = False, embeds_images: bool = False,
       unsafe: str = "") -> PandocFormat:
    note = f"pandoc; {UNSAFE_NOTE}" if unsafe else "pandoc"
    return PandocFormat(extension, f"{description} ({note})", binary, embeds_images, unsafe)


#: Why some formats are unsafe for untrusted input: where their processors include files or run
#: code, and pandoc's writer leaves a way in that has no clean escape.
_CODE_BLOCK_ENDS = "a line of a code block can end it (there is no escape inside one), and what follows "
_UNSAFE_BBCODE = "BBCode has no escape: tags in the text ([url=javascript:…], [/code]) are read as tags"


#: pandoc's output formats we offer, by pandoc's name. A static table keeps the registry free
#: of subprocesses; a test checks it against ``pandoc --list-output-formats``.
PANDOC_FORMATS: dict[str, PandocFormat] = {
    "ansi": _f("txt", "Text with ANSI terminal escapes"),
    "asciidoc": _f("adoc", "AsciiDoc (Asciidoctor)"),
    "asciidoc_legacy": _f("txt", "AsciiDoc (legacy AsciiDoc.py)", unsafe=(
        "AsciiDoc.py runs system attributes ({sys:…}, {eval:…}) and include and sys macros, in "
        "code blocks too; pandoc escapes for Asciidoctor")),
    "bbcode": _f("bbcode", "BBCode", unsafe=_UNSAFE_BBCODE),
    "bbcode_fluxbb": _f("bbcode", "BBCode (FluxBB)", unsafe=_UNSAFE_BBCODE),
    "bbcode_hubzilla": _f("bbcode", "BBCode (Hubzilla)", unsafe=_UNSAFE_BBCODE),
    "bbcode_phpbb": _f("bbcode", "BBCode (phpBB)", unsafe=_UNSAFE_BBCODE),
    "bbcode_steam": _f("bbcode", "BBCode (Steam)", unsafe=_UNSAFE_BBCODE),
    "bbcode_xenforo": _f("bbcode", "BBCode (XenForo)", unsafe=_UNSAFE_BBCODE),
    "beamer": _f("tex", "LaTeX Beamer slides"),
    "chunkedhtml": _f("zip", "Zip of linked HTML pages", binary=True),
    "commonmark": _f("md", "CommonMark Markdown"),
    "commonmark_x": _f("md", "CommonMark with extensions"),
    "context": _f("tex", "ConTeXt", unsafe=_CODE_BLOCK_ENDS + "is TeX (\\stoptyping, then \\input …)"),
    "djot": _f("dj", "Djot"),
    "docbook": _f("xml", "DocBook 4"),
    "docbook4": _f("xml", "DocBook 4"),
    "docbook5": _f("xml", "DocBook 5"),
    "docx": _f("docx", "Word document", binary=True, embeds_images=True),
    "dokuwiki": _f("txt", "DokuWiki markup", unsafe=_CODE_BLOCK_ENDS + "is markup (</code>, then <php>, <html>, "
                                                                   "{{page>…}}); pandoc leaves those tags in text too"),
    "dzslides": _f("html", "DZSlides HTML slides"),
    "epub": _f("epub", "EPUB 3 e-book", binary=True, embeds_images=True),
    "epub2": _f("epub", "EPUB 2 e-book", binary=True, embeds_images=True),
    "epub3": _f("epub", "EPUB 3 e-book", binary=True, embeds_images=True),
    "fb2": _f("fb2", "FictionBook 2 e-book", embeds_images=True),
    "gfm": _f("md", "GitHub-Flavored Markdown"),
    "haddock": _f("txt", "Haddock markup"),
    "html": _f("html", "HTML5"),
    "html4": _f("html", "XHTML 1.0 Transitional"),
    "html5": _f("html", "HTML5"),
    "icml": _f("icml", "InDesign ICML", embeds_images=True),
    "ipynb": _f("ipynb", "Jupyter notebook"),
    "jats": _f("xml", "JATS XML (Archiving and Interchange)"),
    "jats_archiving": _f("xml", "JATS XML (Archiving and Interchange)"),
    "jats_articleauthoring": _f("xml", "JATS XML (Article Authoring)"),
    "jats_publishing": _f("xml", "JATS XML (Journal Publishing)"),
    "jira": _f("txt", "Jira wiki markup", unsafe=_CODE_BLOCK_ENDS + "is markup ({noformat}, then Confluence's "
                                                            "{include} or {html})"),
    "json": _f("json", "pandoc JSON AST"),
    "latex": _f("tex", "LaTeX"),
    "man": _f("man", "roff man page"),
    "markdown": _f("md", "pandoc Markdown"),
    "markdown_mmd": _f("md", "MultiMarkdown", unsafe="MultiMarkdown transcludes a file named as {{file}}, which pandoc "
                                                 "leaves as text"),
    "markdown_phpextra": _f("md", "PHP Markdown Extra"),
    "markdown_strict": _f("md", "original Markdown"),
    "markua": _f("md", "Markua"),
    "mediawiki": _f("wiki", "MediaWiki markup"),
    "ms": _f("ms", "roff ms"),
    "muse": _f("muse", "Emacs Muse", unsafe=_CODE_BLOCK_ENDS + "is markup (</example>, then Emacs Muse's <include>, "
                                                      "<lisp>, <command>)"),
    "native": _f("native", "pandoc native Haskell AST"),
    "odt": _f("odt", "OpenDocument text document", binary=True, embeds_images=True),
    "opendocument": _f("xml", "OpenDocument XML"),
    "opml": _f("opml", "OPML outline"),
    "org": _f("org", "Emacs Org mode"),
    "plain": _f("txt", "plain text"),
    "pptx": _f("pptx", "PowerPoint slides", binary=True, embeds_images=True),
    "revealjs": _f("html", "reveal.js HTML slides"),
    "rst": _f("rst", "reStructuredText"),
    "rtf": _f("rtf", "Rich Text Format", embeds_images=True),
    "s5": _f("html", "S5 HTML slides"),
    "slideous": _f("html", "Slideous HTML slides"),
    "slidy": _f("html", "Slidy HTML slides"),
    "tei": _f("xml", "TEI Simple"),
    "texinfo": _f("texi", "GNU Texinfo"),
    "textile": _f("textile", "Textile"),
    "typst": _f("typ", "Typst"),
    "vimdoc": _f("txt", "Vim help file"),
    "xml": _f("xml", "pandoc XML AST"),
    "xwiki": _f("txt", "XWiki markup", unsafe=_CODE_BLOCK_ENDS + "is markup ({{/code}}, then {{include}}, {{groovy}}, "
                                                        "{{html}}); pandoc leaves macros in text too"),
    "zimwiki": _f("txt", "ZimWiki markup"),
}

#: Formats pandoc lists that we do not offer: pdf needs a TeX engine outside the sandbox, the
#: bibliography formats write only a document's citations (articles have none), and two names
#: are deprecated in favour of ones we offer (asciidoc, gfm).
UNOFFERED = frozenset({"pdf", "bibtex", "biblatex", "csljson", "asciidoctor", "markdown_github"})


# ---------------------------------------------------------------------------- running pandoc


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc binary: pypandoc-binary's, else pypandoc's choice, else ``pandoc`` on PATH.

    The bundled binary is found without importing pypandoc, whose import and version probe
    would add some 80 ms to every single-file conversion.
    """
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for name in ("pandoc", "pandoc.exe"):
                candidate = Path(folder) / "files" / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
        try:
            import pypandoc  # type: ignore[import-untyped]

            return str(pypandoc.get_pandoc_path())
        except OSError:
            pass
    found = shutil.which("pandoc")
    if found is None:
        raise PandocError("pandoc is not installed; install it with: pip install pypandoc-binary")
    return found


def run_pandoc(args: list[str], data: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """pandoc's output for ``data`` on stdin, run with ``--sandbox``, an empty data directory
    (pandoc's own templates, whatever the user's holds) and ``args``.

    A failure, a timeout or a missing pandoc raises :class:`PandocError`; what pandoc says on
    stderr when it succeeds is issued as :class:`PandocWarning` s.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="converter-pandoc-") as empty:
            command = [pandoc_path(), "--sandbox", "--data-dir", empty, *args]
            done = subprocess.run(command, input=data, env=_bounded_heap(len(data)), capture_output=True,
                                  timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc took longer than {timeout:g} s and was stopped") from None
    except OSError as exc:
        raise PandocError(f"pandoc could not be run: {exc.strerror or exc}") from None
    _refuse_heap_exhausted(done.returncode, len(data))
    messages = _messages(done.stderr)
    if done.returncode != 0:
        reason = " ".join(messages) or "no message"
        reason = reason if len(reason) <= _MAX_REASON else reason[:_MAX_REASON - 1] + "…"
        raise PandocError(f"pandoc failed (exit status {done.returncode}): {reason}")
    for message in messages:
        warnings.warn(f"pandoc: {message}", PandocWarning, stacklevel=2)
    return done.stdout


#: pandoc's heap may grow to this plus ``_HEAP_PER_BYTE`` times the size of its input: enough
#: for any article (pandoc needs some 20-50 bytes per byte of JSON for a large table), and a
#: bound for a hostile one, which would otherwise take gigabytes before the timeout stops it.
_HEAP_BASE = 512 * 2**20
_HEAP_PER_BYTE = 64
#: The exit status of a GHC program whose heap reached its ``-M`` limit.
_HEAP_EXHAUSTED = 251


def heap_limit(size: int) -> int:
    """The most heap pandoc may take for ``size`` bytes of input."""
    return _HEAP_BASE + _HEAP_PER_BYTE * size


def _bounded_heap(size: int) -> dict[str, str]:
    """The environment pandoc runs in: the user's, with GHC's runtime told to stop pandoc at
    :func:`heap_limit` (``GHCRTS``; a pandoc built without runtime options warns and goes on)."""
    return dict(os.environ, GHCRTS=f"-M{heap_limit(size)}")


def _refuse_heap_exhausted(status: int, size: int) -> None:
    if status == _HEAP_EXHAUSTED:
        raise PandocError(f"pandoc needed more than {heap_limit(size) // 2**20} MB of memory for this "
                          "document and was stopped")


def _messages(stderr: bytes) -> list[str]:
    """pandoc's stderr as one line per distinct message (indented lines join the one above)."""
    out: list[str] = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        if out and line[:1].isspace():
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip().removeprefix("[WARNING] ").removeprefix("[INFO] "))
    return list(dict.fromkeys(" ".join(m.split()) for m in out))


# ---------------------------------------------------------------------------- many documents, one pandoc

#: Formats whose output differs between pandoc-server and the pandoc command, which fills in
#: template variables the server does not (``pandoc-version`` in man and ms, dzslides' script):
#: always one process per document.
_UNBATCHED = frozenset({"man", "ms", "dzslides"})
#: JSON one batch holds at most, to bound its memory: a document larger than that is converted
#: alone (its start-up is then small beside its conversion).
_BATCH_BYTES = 16 * 2**20
#: A batch may take this many times the per-document timeout before it is stopped and its
#: documents are converted one process each: room for many slow documents, and a bounded loss
#: to one that never finishes.
_BATCH_TIMEOUTS = 2
#: pandoc-server's ``/batch`` endpoint as a CGI request (and nothing of the user's environment).
_CGI_ENV = {"REQUEST_METHOD": "POST", "PATH_INFO": "/batch", "CONTENT_TYPE": "application/json",
            "HTTP_ACCEPT": "application/json", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1"}
_CGI_HEAD_END = re.compile(rb"\r?\n\r?\n")

#: One document converted by a batch: its output and pandoc's warnings about it.
BatchAnswer = tuple[bytes, list[str]]


def run_pandoc_batch(fmt: str, payloads: list[bytes], *, timeout: float) -> list[BatchAnswer | None]:
    """Each JSON AST of ``payloads`` as a standalone document in ``fmt`` (``--wrap=preserve``),
    with pandoc's warnings about it, from one pandoc process: pandoc-server's ``/batch`` endpoint,
    run as a CGI program, saves pandoc's start-up on every document but the first.

    The server runs every conversion in ``PandocPure``: no file, network or data directory of
    the user's is touched (``--sandbox`` runs the same code). A document it could not convert is
    ``None``; a batch that fails as a whole (no pandoc-server, a timeout, an answer that is not
    one output per document) raises :class:`PandocError`.
    """
    params = [{"text": data.decode("utf-8"), "from": "json", "to": fmt, "standalone": True, "wrap": "preserve"}
              for data in payloads]
    body = json.dumps(params, ensure_ascii=False).encode("utf-8")
    env = dict(_CGI_ENV, CONTENT_LENGTH=str(len(body)), PANDOC_SERVER_TIMEOUT=str(int(timeout) + 2),
               GHCRTS=f"-M{heap_limit(len(body))}")
    try:
        with tempfile.TemporaryDirectory(prefix="converter-pandoc-") as folder:
            server = Path(folder) / "pandoc-server.cgi"  # the name that makes pandoc the server
            server.symlink_to(pandoc_path())
            done = subprocess.run([str(server)], input=body, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc-server took longer than {timeout:g} s and was stopped") from None
    except OSError as exc:
        raise PandocError(f"pandoc-server could not be run: {exc.strerror or exc}") from None
    _refuse_heap_exhausted(done.returncode, len(body))
    answers = _batch_answers(done.stdout) if done.returncode == 0 else None
    if answers is None or len(answers) != len(payloads):
        reason = " ".join(_messages(done.stderr)) or done.stdout[:_MAX_REASON].decode("utf-8", "replace")
        raise PandocError(f"pandoc-server failed (exit status {done.returncode}): {' '.join(reason.split())[:_MAX_REASON]}")
    binary = PANDOC_FORMATS[fmt].binary if fmt in PANDOC_FORMATS else False
    return [_batch_answer(answer, binary) for answer in answers]


def _batch_answers(stdout: bytes) -> list[Any] | None:
    """The JSON array of a CGI response with status 200, or ``None``."""
    parts = _CGI_HEAD_END.split(stdout, maxsplit=1)
    if len(parts) != 2 or not parts[0].startswith(b"Status: 200"):
        return None
    try:
        answers = json.loads(parts[1])
    except ValueError:
        return None
    return answers if isinstance(answers, list) else None


def _batch_answer(answer: Any, binary: bool) -> BatchAnswer | None:
    """One document's output (base64 for binary formats) and warnings, or ``None`` for an
    ``{"error": …}`` or anything else. Like the pandoc command, only warnings are kept."""
    if not isinstance(answer, dict) or not isinstance(answer.get("output"), str) or answer.get("base64") is not binary:
        return None
    try:
        output = base64.b64decode(answer["output"], validate=True) if binary else answer["output"].encode("utf-8")
    except ValueError:
        return None
    messages = [m.get("message", "") for m in answer.get("messages") or [] if isinstance(m, dict)
                and m.get("verbosity") in ("WARNING", "ERROR")]
    return output, list(dict.fromkeys(" ".join(str(m).split()) for m in messages if str(m).strip()))


def _batches(sizes: dict[int, int], limit: int) -> list[list[int]]:
    """The keys of ``sizes`` in order, in runs whose sizes add up to at most ``limit`` (a
    larger one alone)."""
    out: list[list[int]] = [[]]
    total = 0
    for key, size in sizes.items():
        if out[-1] and total + size > limit:
            out.append([])
            total = 0
        out[-1].append(key)
        total += size
    return [run for run in out if run]


@lru_cache(maxsize=1)
def api_version() -> list[int]:
    """The pandoc-types version the installed pandoc reads, learnt once per process."""
    version: list[int] = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], b""))["pandoc-api-version"]
    return version


# ---------------------------------------------------------------------------- the JSON AST


def _trim(inlines: list[_Json]) -> list[_Json]:
    """Block content without spaces or line breaks at its ends and with runs of line breaks
    as one: empty lines inside a paragraph exist in no format but HTML (LaTeX rejects them)."""
    out: list[_Json] = []
    for node in inlines:
        if node in _BREAKS and (not out or out[-1] in _BREAKS):
            if node == _LINE_BREAK and out:
                out[-1] = node
            continue
        out.append(node)
    while out and out[-1] in _BREAKS:
        out.pop()
    return out


class PandocAst:
    """A ``Document`` as pandoc's JSON AST, one method per node type.

    Every method returns a list: text splits into ``Str``, ``Space`` and ``SoftBreak``, and a
    block may vanish (an empty paragraph) or unwrap (a figure whose image has no usable URL).
    With ``link_images`` an image is written as a link to it, labelled with its alt text: for
    the formats that would embed it, which pandoc cannot fetch in its sandbox.
    """

    def __init__(self, *, link_images: bool = False) -> None:
        self.link_images = link_images
        self.image_label = "[image]"
        self._in_link = False

    def document(self, doc: A.Document) -> _Json:
        if self.link_images:
            self.image_label = _image_label(doc.meta.language)
        return {"pandoc-api-version": api_version(), "meta": self.meta(doc.meta),
                "blocks": self.blocks(doc.blocks)}

    # ------------------------------------------------------------------ metadata

    def meta(self, meta: A.Meta) -> _Json:
        """An allow-list: the title, author, date and language pandoc's templates show, and our
        own fields under ``_OWN_META``, a name no default template or writer reads. Never the
        document's front-matter keys, which pandoc's templates and writers would obey
        (``css``, ``header-includes``, ``revealjs-url``, ``description-meta`` …), and text
        only as ``MetaInlines``, which writers escape (a ``MetaString`` reaches a template raw).
        """
        out: _Json = {}
        title = self.one_line(self.text(meta.title))
        if title:
            out["title"] = {"t": "MetaInlines", "c": title}
        author = self.one_line(self.text(meta.author))
        if author:
            out["author"] = {"t": "MetaList", "c": [{"t": "MetaInlines", "c": author}]}
        if meta.published is not None:
            out["date"] = {"t": "MetaString", "c": A.format_datetime(meta.published)}
        lang = language_tag(meta.language)
        if lang != "und":  # only a well-formed BCP 47 tag, which cannot close an attribute
            out["lang"] = {"t": "MetaString", "c": lang}
        own: _Json = {}
        for key, text in (("url", safe_url(meta.url) or ""), ("site", meta.site)):
            value = self._meta_text(text)
            if value is not None:
                own[key] = value
        tags = [tag for tag in map(self._meta_text, meta.tags) if tag is not None]
        if tags:
            own["tags"] = {"t": "MetaList", "c": tags}
        if own:
            out[_OWN_META] = {"t": "MetaMap", "c": own}
        return out

    def _meta_text(self, text: str) -> _Json | None:
        """One line of text as ``MetaInlines``, or ``None`` for none."""
        inlines = self.one_line(self.text(text))
        return {"t": "MetaInlines", "c": inlines} if inlines else None

    def one_line(self, inlines: list[_Json]) -> list[_Json]:
        """The inlines of a title, heading or caption, which most formats write on one line:
        a soft break in them is a space (pandoc would keep it as a line break)."""
        return self.line_starts([_SPACE if node == _SOFT_BREAK else node for node in _trim(inlines)])

    def line_starts(self, inlines: list[_Json]) -> list[_Json]:
        """Block content (a paragraph, heading, caption, table cell, title) whose first line and
        each line after a break start a line of the output: formats whose processors read a
        line's start as markup (rST's ``.. include::``) escape it here."""
        return inlines

    # ------------------------------------------------------------------ blocks

    def blocks(self, nodes: list[A.Block]) -> list[_Json]:
        return [out for node in nodes for out in self.block(node)]

    def block(self, node: A.Block) -> list[_Json]:
        method: Callable[[A.Block], list[_Json]] = getattr(self, "block_" + type(node).__name__)
        return method(node)

    def block_Paragraph(self, node: A.Paragraph) -> list[_Json]:
        content = self.line_starts(_trim(self.inlines(node.content)))
        return [{"t": "Para", "c": content}] if content else []

    def block_Heading(self, node: A.Heading) -> list[_Json]:
        content = self.one_line(self.inlines(node.content))
        level = min(max(int(node.level), 1), 6)
        return [{"t": "Header", "c": [level, _NO_ATTR, content]}] if content else []

    def block_Figure(self, node: A.Figure) -> list[_Json]:
        """A ``Figure`` holding the image; an image without a usable URL leaves its caption
        (or alt text) as a paragraph."""
        if safe_url(node.image.url, _IMAGE_SCHEMES) is None:
            return self.block_Paragraph(A.Paragraph(node.caption or [A.Text(node.image.alt)]))
        caption = self.one_line(self.inlines(node.caption))
        body = [{"t": "Plain", "c": caption}] if caption else []
        image = {"t": "Plain", "c": self.inline_Image(node.image)}
        return [{"t": "Figure", "c": [_NO_ATTR, [None, body], [image]]}]

    def block_BulletList(self, node: A.BulletList) -> list[_Json]:
        items = self._items(node.items)
        return [{"t": "BulletList", "c": items}] if items else []

    def block_OrderedList(self, node: A.OrderedList) -> list[_Json]:
        items = self._items(node.items)
        attrs = [int(node.start), {"t": "Decimal"}, {"t": "Period"}]
        return [{"t": "OrderedList", "c": [attrs, items]}] if items else []

    def _items(self, items: list[list[A.Block]]) -> list[list[_Json]]:
        """List items; a list in which no item holds two paragraphs is tight (its paragraphs
        are ``Plain``), as pandoc's HTML reader makes it, so that writers do not space it out."""
        out = [self.blocks(item) for item in items]
        if all(sum(b["t"] == "Para" for b in item) <= 1 for item in out):
            out = [[{"t": "Plain", "c": b["c"]} if b["t"] == "Para" else b for b in item] for item in out]
        return out

    def block_BlockQuote(self, node: A.BlockQuote) -> list[_Json]:
        content = self.blocks(node.content)
        return [{"t": "BlockQuote", "c": content}] if content else []

    def block_Div(self, node: A.Div) -> list[_Json]:
        content = self.blocks(node.content)
        return [{"t": "Div", "c": [_NO_ATTR, content]}] if content else []

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        language = code_language(node.language)
        attr = ["", [language] if language else [], []]
        return [{"t": "CodeBlock", "c": [attr, self.code(node.text)]}]

    def code(self, text: str) -> str:
        """The text of a code block, as pandoc is to write it."""
        return drop_non_xml(text).rstrip("\n")

    def block_HorizontalRule(self, node: A.HorizontalRule) -> list[_Json]:
        return [{"t": "HorizontalRule"}]

    def block_Table(self, node: A.Table) -> list[_Json]:
        """A ``Table`` laid out by :func:`~converter.writers.tables.layout`: one column spec
        per grid column and every row filling the grid (short rows padded with empty cells),
        as pandoc's writers expect (docx refuses short rows). A ``linear`` table becomes
        paragraphs instead."""
        table = layout(node)
        if not table.width:
            return self.block_Paragraph(A.Paragraph(node.caption))
        if table.linear:
            return self._rows_as_paragraphs(node.caption, table.rows)
        grid = table.grid()
        caption = self.one_line(self.inlines(node.caption))
        colspecs = [[{"t": "AlignDefault"}, {"t": "ColWidthDefault"}]] * table.width
        head, body = grid[:len(table.head)], grid[len(table.head):]
        return [{"t": "Table", "c": [
            _NO_ATTR, [None, [{"t": "Plain", "c": caption}] if caption else []], colspecs,
            [_NO_ATTR, self._rows(head)], [[_NO_ATTR, 0, [], self._rows(body)]],
            [_NO_ATTR, []]]}]

    def _rows_as_paragraphs(self, caption: list[A.Inline], rows: list[list[PlacedCell]]) -> list[_Json]:
        """The caption, then each row as a paragraph of its cells separated by bars: what
        every format can write at a size linear in the table's (pandoc pads every row of a
        ``Table`` to its full width itself, and takes minutes over a 5000 × 5000 grid)."""
        out = self.block_Paragraph(A.Paragraph(caption))
        for row in rows:
            out += self.block_Paragraph(A.Paragraph(row_inlines(row)))
        return out

    def _rows(self, grid: list[list[Slot]]) -> list[_Json]:
        """Rows of ``Cell`` s: a placed cell where one is anchored, an empty one where no
        cell reaches, nothing where a span covers the slot."""
        out: list[Any] = []
        for slots in grid:
            line: list[Any] = []
            for slot in slots:
                if slot is COVERED:
                    continue
                rowspan, colspan, cell = ((slot.rowspan, slot.colspan, slot.cell) if slot is not None
                                          else (1, 1, A.TableCell([])))
                content = self.line_starts(_trim(self.inlines(cell.content)))
                line.append([_NO_ATTR, {"t": "AlignDefault"}, rowspan, colspan,
                             [{"t": "Plain", "c": content}] if content else []])
            out.append([_NO_ATTR, line])
        return out

    # ------------------------------------------------------------------ inlines

    def inlines(self, nodes: list[A.Inline]) -> list[_Json]:
        return [out for node in nodes for out in self.inline(node)]

    def inline(self, node: A.Inline) -> list[_Json]:
        method: Callable[[A.Inline], list[_Json]] = getattr(self, "inline_" + type(node).__name__)
        return method(node)

    def text(self, text: str) -> list[_Json]:
        """``text`` as words and the spaces between them: a line break in it is a soft one, or
        nothing between two CJK characters (see :func:`converter.chars.join_cjk_lines`)."""
        text = join_cjk_lines(drop_non_xml(text))
        if len(text) > _LONG_TEXT:
            return _long_text(text)
        out: list[_Json] = []
        for piece in _SPACE_RUN.split(text):
            if not piece:
                continue
            if piece[0] in " \t\n\r\f":
                out.append(_SOFT_BREAK if "\n" in piece else _SPACE)
            else:
                out.append({"t": "Str", "c": piece})
        return out

    def inline_Text(self, node: A.Text) -> list[_Json]:
        return self.text(node.text)

    def inline_Strong(self, node: A.Strong) -> list[_Json]:
        return _styled("Strong", self.inlines(node.content))

    def inline_Emphasis(self, node: A.Emphasis) -> list[_Json]:
        return _styled("Emph", self.inlines(node.content))

    def inline_Strikeout(self, node: A.Strikeout) -> list[_Json]:
        return _styled("Strikeout", self.inlines(node.content))

    def inline_Superscript(self, node: A.Superscript) -> list[_Json]:
        return _styled("Superscript", self.inlines(node.content))

    def inline_Subscript(self, node: A.Subscript) -> list[_Json]:
        return _styled("Subscript", self.inlines(node.content))

    def inline_Code(self, node: A.Code) -> list[_Json]:
        return [{"t": "Code", "c": [_NO_ATTR, drop_non_xml(node.text)]}]

    def inline_LineBreak(self, node: A.LineBreak) -> list[_Json]:
        return [_LINE_BREAK]

    def inline_Link(self, node: A.Link) -> list[_Json]:
        url = safe_url(node.url)
        if url is None or self._in_link:  # links cannot nest: the outer one stays
            return self.inlines(node.content)
        self._in_link = True
        try:
            content = self.inlines(node.content)
        finally:
            self._in_link = False
        return [{"t": "Link", "c": [_NO_ATTR, content or self.text(url), [url, drop_non_xml(node.title)]]}]

    def inline_Image(self, node: A.Image) -> list[_Json]:
        """An ``Image`` (or a link to it), or its alt text when its URL is not ``http(s)``."""
        alt = self.text(node.alt)
        url = safe_url(node.url, _IMAGE_SCHEMES)
        if url is None:
            return alt
        target = [url, drop_non_xml(node.title)]
        if self.shows_image(url):
            return [{"t": "Image", "c": [_NO_ATTR, alt, target]}]
        label = alt or self.image_link_text(url)
        return label if self._in_link else [{"t": "Link", "c": [_NO_ATTR, label, target]}]

    def image_link_text(self, url: str) -> list[_Json]:
        """The text of a link to an image that is not shown and has no alt text."""
        return self.text(self.image_label)

    def shows_image(self, url: str) -> bool:
        """Whether the output shows the image at ``url`` as an image (else: a link to it)."""
        return not self.link_images


def _image_label(language: str) -> str:
    """The text of a link to an image without alt text, in the document's language (as in
    our HTML and EPUB)."""
    return localized(IMAGE_LABELS, language_tag(language), "[image]")


def _styled(kind: str, content: list[_Json]) -> list[_Json]:
    """``content`` in an inline of ``kind``, with the spaces and breaks at its ends moved out:
    lightweight markup (Markdown, AsciiDoc, Org, rST) cannot open or close a style next to one."""
    before, inner, after = _hoisted(content)
    return [*before, {"t": kind, "c": inner}, *after] if inner else content


def _hoisted(content: list[_Json]) -> tuple[list[_Json], list[_Json], list[_Json]]:
    """``content`` split into the spaces and breaks at its start, the rest, and those at its end."""
    start, end = 0, len(content)
    while start < end and content[start] in _BREAKS:
        start += 1
    while end > start and content[end - 1] in _BREAKS:
        end -= 1
    return content[:start], content[start:end], content[end:]


#: Text longer than this becomes one ``Str`` per line, spaces inside, instead of a node per
#: word: a hostile 15 MB paragraph would otherwise take ~19 times its size as Python objects
#: here, and far more in pandoc. (pandoc's writers run with ``--wrap=preserve``, so a space
#: inside a ``Str`` is written as a ``Space`` would be.)
_LONG_TEXT = 1 << 16
#: White space holding a line break. A match starts only where a run of white space starts:
#: tried from every position of a long run without a line break, it was quadratic.
_LINE_BREAK_RUN = re.compile(r"(?<![ \t\r\f])[ \t\r\f]*\n[ \t\n\r\f]*")
_BLANKS = re.compile(r"[ \t\r\f]+")


def _long_text(text: str) -> list[_Json]:
    """Very long ``text`` as one ``Str`` per line, white space runs as single spaces."""
    out: list[_Json] = []
    for line in _LINE_BREAK_RUN.split(text):
        if out:
            out.append(_SOFT_BREAK)
        if line:
            out.append({"t": "Str", "c": _BLANKS.sub(" ", line)})
    return out


def _raw(fmt: str, text: str) -> _Json:
    return {"t": "RawInline", "c": [fmt, text]}


def _link(label: list[_Json], url: str, title: str = "") -> _Json:
    return {"t": "Link", "c": [_NO_ATTR, label, [url, title]]}


def _lead(inlines: list[_Json], start: int = 0) -> str:
    """The text of ``inlines`` from ``start`` up to the first node that is neither text nor a space."""
    out = []
    for node in itertools.islice(inlines, start, None):
        if node["t"] not in ("Str", "Space"):
            break
        out.append(node["c"] if node["t"] == "Str" else " ")
    return "".join(out)


#: Inlines whose content is a list of inlines (a link's is its second field).
_CONTAINERS = frozenset({"Strong", "Emph", "Strikeout", "Superscript", "Subscript", "Underline", "SmallCaps"})


def _map_text(inlines: list[_Json], fn: Callable[[str], list[_Json]]) -> list[_Json]:
    """``inlines`` with the text of every ``Str`` in them (at any depth) replaced by ``fn(text)``."""
    out: list[_Json] = []
    for node in inlines:
        if node["t"] == "Str":
            out.extend(fn(node["c"]))
        elif node["t"] in _CONTAINERS:
            out.append({"t": node["t"], "c": _map_text(node["c"], fn)})
        elif node["t"] == "Link":
            out.append(_in_link_text(node, fn))
        else:
            out.append(node)
    return out


def _in_link_text(node: _Json, fn: Callable[[str], list[_Json]]) -> _Json:
    """``node`` with ``fn`` applied to its text (see :func:`_map_text`) if it is a link."""
    if node["t"] != "Link":
        return node
    attr, content, target = node["c"]
    return {"t": "Link", "c": [attr, _map_text(content, fn), target]}


def _escaped(text: str, pattern: re.Pattern[str], fmt: str, escape: Callable[[str], str]) -> list[_Json]:
    """``text`` as ``Str`` pieces, each match of ``pattern`` written raw in ``fmt`` as ``escape(match)``."""
    out: list[_Json] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            out.append({"t": "Str", "c": text[last:match.start()]})
        out.append(_raw(fmt, escape(match.group())))
        last = match.end()
    if last < len(text):
        out.append({"t": "Str", "c": text[last:]})
    return out


def _line_starts(inlines: list[_Json], markup: re.Pattern[str], escape: _Json) -> list[_Json]:
    """``inlines`` with ``escape`` before each line (the first, and each after a break) whose
    start matches ``markup``."""
    out: list[_Json] = []
    for i, node in enumerate(inlines):
        if (i == 0 or inlines[i - 1] in (_SOFT_BREAK, _LINE_BREAK)) and markup.match(_lead(inlines, i)):
            out.append(escape)
        out.append(node)
    return out


def _char_ref(text: str) -> str:
    return "".join(f"&#{ord(ch)};" for ch in text)


# ---------------------------------------------------------------------------- per format


class _LineMarkupAst(PandocAst):
    """For formats whose headings and captions are one line of markup (rST, Org, AsciiDoc):
    a line break in them would end them, so it is a space there."""

    def one_line(self, inlines: list[_Json]) -> list[_Json]:
        return [_SPACE if node == _LINE_BREAK else node for node in super().one_line(inlines)]


#: The start of a line that reStructuredText reads as markup, not text (pandoc escapes only
#: ``*|_`` and backquotes): a list item, a comment or directive, a field, a doctest, or a line
#: of one repeated punctuation character (a transition, or a section title's underline).
_RST_BLOCK_LINE = re.compile(
    r"[-+\u2022\u2023\u2043]\s|(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+|#)[.)]\s|\((?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+|#)\)\s"
    r"|\.\.(?:\s|$)|:[^:\s][^:]*:(?:\s|$)|>>>\s|([!-)+-/:-@\[\]^{}~])\1+\s*$")


#: A scheme docutils would read as the start of a standalone URI (and link), other than the
#: schemes links may have: its colon is escaped, so ``javascript:alert(1)`` stays text.
_RST_URI_SCHEME = re.compile(r"(?<![A-Za-z0-9.+-])(?!(?i:https?|mailto):)[A-Za-z][A-Za-z0-9.+-]*:(?=\S)")


class RstAst(_LineMarkupAst):
    """reStructuredText, as docutils reads it with its defaults (file insertion and raw
    directives enabled):

    - a line that rST would read as markup (``.. include::``, a list item, a field …) starts
      with a backslash, which escapes its first character, wherever pandoc starts a line
      with text: paragraphs, list items, headings, captions, table cells, the title block;
    - the colon of a standalone URI with another scheme than ``http(s)`` or ``mailto`` is
      escaped, so docutils does not make a link of it;
    - a ``<`` in a link's text is escaped: docutils takes a reference's URL from its last
      ``<…>``, pandoc's reader from its first (and then fails), so only ``\\<`` is read alike
      by both.
    """

    _ANGLE = re.compile("<")

    def line_starts(self, inlines: list[_Json]) -> list[_Json]:
        return _line_starts(inlines, _RST_BLOCK_LINE, _raw("rst", "\\"))

    def text(self, text: str) -> list[_Json]:
        return _map_text(super().text(text), self._escape_uris)

    def _escape_uris(self, text: str) -> list[_Json]:
        return _escaped(text, _RST_URI_SCHEME, "rst", lambda scheme: scheme[:-1] + "\\:")

    def inline_Link(self, node: A.Link) -> list[_Json]:
        return [_in_link_text(out, self._escape) for out in super().inline_Link(node)]

    def _escape(self, text: str) -> list[_Json]:
        return _escaped(text, self._ANGLE, "rst", lambda ch: "\\" + ch)


#: URLs that Org (Emacs and pandoc alike) shows as images: those ending in an image extension.
_ORG_IMAGE_URL = re.compile(r"\.(?:jpe?g|png|gif|svg|webp|avif)$", re.IGNORECASE)


#: Where Emacs would run or expand text on export: an inline source block (``src_lang{…}``),
#: a Babel call (``call_name()``), a macro (``{{{input-file}}}``), a link (``[[elisp:…]]``). A
#: zero-width space, Org's own escape, goes at each of these places.
_ORG_EXECUTABLE = re.compile(r"(?i)(?<=src)(?=_)|(?<=call)(?=_)|(?<=\{)(?=\{\{)|(?<=\[)(?=\[)")
_ZERO_WIDTH_SPACE = "\u200b"
#: A backslash that starts a LaTeX fragment (``\input{…}``), which Org's LaTeX export passes
#: on as it is: it is Org's ``\backslash`` entity instead (pandoc's Org reader fails on a
#: zero-width space after a backslash).
_ORG_LATEX_START = re.compile(r"\\(?=[A-Za-z])")
#: A keyword at a line's start (``#+INCLUDE:``, ``#+SETUPFILE:``, ``#+CALL:`` …), which pandoc
#: escapes at the start of a paragraph's lines but not of a list item's.
_ORG_KEYWORD_LINE = re.compile(r"#\+")


def _org_escaped(text: str) -> str:
    """Org text that Emacs shows as it is, without running or expanding any of it."""
    return _ORG_EXECUTABLE.sub(_ZERO_WIDTH_SPACE, _ORG_LATEX_START.sub(r"\\backslash{}", text))


class OrgAst(_LineMarkupAst):
    """Org mode as Emacs exports it:

    - Babel's inline source blocks and calls, macros and links written as text or inline code
      get a zero-width space, Org's escape character, that stops Emacs reading them; so does a
      ``#+`` keyword (``#+INCLUDE:``) at the start of any line; a LaTeX fragment's backslash is
      Org's ``\\backslash{}`` entity;
    - a code block has no language, so it is an example block that Babel never evaluates;
    - a link is shown as an image only when its URL ends in an image file extension. Any
      other image is a link to it, labelled with its alt text or else its URL (Org link text
      cannot hold our bracketed label); and a figure holding one becomes its caption followed
      by that link, since Org drops a ``#+caption:`` that is not above an image.
    """

    def text(self, text: str) -> list[_Json]:
        return _map_text(super().text(text), lambda s: [{"t": "Str", "c": _org_escaped(s)}])

    def line_starts(self, inlines: list[_Json]) -> list[_Json]:
        return _line_starts(inlines, _ORG_KEYWORD_LINE, {"t": "Str", "c": _ZERO_WIDTH_SPACE})

    def inline_Code(self, node: A.Code) -> list[_Json]:
        """Inline code is escaped as text is: pandoc's ``=…=`` is no verbatim for Emacs next to
        a letter (CJK text has no spaces), another code span or a ``=`` inside, and is then text."""
        return super().inline_Code(A.Code(_org_escaped(node.text)))

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        return super().block_CodeBlock(A.CodeBlock(node.text))

    def shows_image(self, url: str) -> bool:
        return bool(_ORG_IMAGE_URL.search(url))

    def image_link_text(self, url: str) -> list[_Json]:
        return self.text(url)

    def block_Figure(self, node: A.Figure) -> list[_Json]:
        url = safe_url(node.image.url, _IMAGE_SCHEMES)
        if url is None or self.shows_image(url):
            return super().block_Figure(node)
        caption = _trim(self.inlines(node.caption))
        if not caption:
            return [{"t": "Para", "c": self.inline_Image(node.image)}]
        return [{"t": "Para", "c": [*caption, _SPACE, _link(self.text(url), url, drop_non_xml(node.image.title))]}]


#: The start of a line that AsciiDoc reads as block markup, not text (pandoc escapes only the
#: markup characters it knows): a delimiter or break line, a block title, a list item, a
#: comment, a section title, an admonition, an attribute entry, a block macro or directive.
_ADOC_BLOCK_LINE = re.compile(
    r"(?:-{2,}|\.{4,}|={4,}|/{4,}|'{3,}|<{3,}|(?:[-*] ){2}[-*])\s*$"
    r"|\.[^\s.]|\.+\s|(?:-|\u2022+)\s|\d+\.\s|[A-Za-z]\.\s|[ivxlcdmIVXLCDM]+\)\s"
    r"|//|=+\s|(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION):\s|:!?\w[\w-]*!?:(?:\s|$)|\w+::\S*\[")
#: A line Asciidoctor's preprocessor obeys wherever it stands, in literal blocks too (its own
#: ``IncludeDirectiveRx`` and ``ConditionalDirectiveRx``, unescaped).
_ADOC_DIRECTIVE = re.compile(
    r"^(?:include::[^\s\[](?:[^\[]*[^\s\[])?|(?:ifdef|ifndef|ifeval|endif)::\S*?)\[.*\]$", re.MULTILINE)
#: Characters of a URL that AsciiDoc's substitutions could turn into formatting or typography.
_ADOC_URL_MARKUP = re.compile(r"[_*#~+']|--|\.\.\.|\((?:C|R|TM)\)")
#: Characters of a link's text that open an attribute list (``=``, ``,``) or end the text
#: (pandoc's reader reads no passthrough there, as Asciidoctor does).
_ADOC_LINK_TEXT = re.compile(r"[,=\[\]]")
#: A link text that pandoc's AsciiDoc reader takes for an id, role or option (``a.b``, ``x #y``)
#: or a quoted value; its ``.#%"`` are then written as character references.
_ADOC_SHORTHAND = re.compile(r'[\w-]*\s*[.#%]|"')
_ADOC_LINK_TEXT_SHORTHAND = re.compile(_ADOC_LINK_TEXT.pattern + r'|[.#%"]')


class AsciidocAst(_LineMarkupAst):
    """AsciiDoc as Asciidoctor reads it, where pandoc's writer leaves text that is markup there:

    - a line that starts like a block (``----``, ``.title``, ``- item``, ``// comment`` …) starts
      with ``{empty}``, AsciiDoc's own escape (pandoc uses it for ordered-list markers);
    - a link is a ``link:`` macro: a bare URL is a link only after a space or ASCII punctuation,
      never after a CJK character; its URL is a passthrough when substitutions could alter it,
      and the characters of its text that start attributes are character references;
    - bold and italics use the unconstrained marks ``**`` and ``__``, the only ones that work
      next to a letter (CJK text has no spaces);
    - an image inside a link is its alt text, as the image's own brackets would end the link's;
    - a heading inside a list or quote, where AsciiDoc has no section titles, is a bold paragraph;
    - a figure's image has no title, which would replace the figure's caption;
    - in a code block, a preprocessor directive (``include::``, ``ifeval::``) starts with a
      backslash, and the block's delimiter is longer than any line of the code that could end it.
    """

    def __init__(self, *, link_images: bool = False) -> None:
        super().__init__(link_images=link_images)
        self._nesting = 0
        self._marks: set[str] = set()

    def shows_image(self, url: str) -> bool:
        return not self._in_link and super().shows_image(url)

    def line_starts(self, inlines: list[_Json]) -> list[_Json]:
        return _line_starts(inlines, _ADOC_BLOCK_LINE, _raw("asciidoc", "{empty}"))

    def code(self, text: str) -> str:
        """Asciidoctor's preprocessor runs ``include::`` and ``ifeval::`` lines even inside
        literal blocks; a backslash, which it removes, escapes them there."""
        return _ADOC_DIRECTIVE.sub(r"\\\g<0>", super().code(text))

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        """A listing (with a language) or literal block whose delimiter is longer than any line
        of the code made of its character: pandoc's ``....`` ends at such a line, and what
        follows would be AsciiDoc (a ``++++`` passthrough of raw HTML)."""
        language = code_language(node.language)
        mark = "-" if language else "."
        text = self.code(node.text)
        longest = max((len(line.rstrip()) for line in text.split("\n") if line.strip() and not line.strip(mark)),
                      default=0)
        fence = mark * max(4, longest + 1)
        head = f"[source,{language}]\n" if language else ""
        return [{"t": "RawBlock", "c": ["asciidoc", f"{head}{fence}\n{text}\n{fence}\n"]}]

    def block_Heading(self, node: A.Heading) -> list[_Json]:
        if self._nesting:
            return self.block_Paragraph(A.Paragraph([A.Strong(node.content)]))
        return super().block_Heading(node)

    def block_Figure(self, node: A.Figure) -> list[_Json]:
        return super().block_Figure(A.Figure(A.Image(node.image.url, node.image.alt), node.caption))

    def block_BlockQuote(self, node: A.BlockQuote) -> list[_Json]:
        with self._nested():
            return super().block_BlockQuote(node)

    def _items(self, items: list[list[A.Block]]) -> list[list[_Json]]:
        with self._nested():
            return super()._items(items)

    @contextlib.contextmanager
    def _nested(self) -> Iterator[None]:
        """Inside a list or quote, where a heading cannot be a section title."""
        self._nesting += 1
        try:
            yield
        finally:
            self._nesting -= 1

    def inlines(self, nodes: list[A.Inline]) -> list[_Json]:
        return super().inlines(_merged_styles(nodes))

    def inline_Strong(self, node: A.Strong) -> list[_Json]:
        return self._marked("**", node.content)

    def inline_Emphasis(self, node: A.Emphasis) -> list[_Json]:
        return self._marked("__", node.content)

    def _marked(self, mark: str, content: list[A.Inline]) -> list[_Json]:
        """``content`` between raw ``mark`` s, unless it is inside that style already (where
        the marks would close it), spaces and breaks at its ends moved out."""
        if mark in self._marks:
            return self.inlines(content)
        self._marks.add(mark)
        try:
            before, inner, after = _hoisted(self.inlines(content))
        finally:
            self._marks.discard(mark)
        return [*before, _raw("asciidoc", mark), *inner, _raw("asciidoc", mark), *after] if inner else before + after

    def inline_Link(self, node: A.Link) -> list[_Json]:
        out = super().inline_Link(node)
        if len(out) != 1 or out[0]["t"] != "Link":
            return out
        _, content, (url, _) = out[0]["c"]
        target = f"++{url}++" if _ADOC_URL_MARKUP.search(url) else url
        shown = content not in ([{"t": "Str", "c": url}], [{"t": "Str", "c": node.url.strip()}])
        text = _asciidoc_link_text(content) if shown else []  # link:URL[] shows the URL
        return [_raw("asciidoc", f"link:{target}["), *text, _raw("asciidoc", "]")]


def _asciidoc_link_text(content: list[_Json]) -> list[_Json]:
    """A link's text with ``,=[]`` as character references, and ``.#%"`` too when it starts
    like an attribute shorthand."""
    pattern = _ADOC_LINK_TEXT_SHORTHAND if _ADOC_SHORTHAND.match(_lead(content)) else _ADOC_LINK_TEXT
    return _map_text(content, lambda text: _escaped(text, pattern, "asciidoc", _char_ref))


def _merged_styles(nodes: list[A.Inline]) -> list[A.Inline]:
    """``nodes`` with each run of bold (or italic) neighbours as one: AsciiDoc reads the marks
    where one ends and the next begins (``__a____b__``) as no markup at all."""
    out: list[A.Inline] = []
    for node in nodes:
        if out and isinstance(node, (A.Strong, A.Emphasis)) and type(out[-1]) is type(node):
            out[-1] = type(node)(out[-1].content + node.content)
        else:
            out.append(node)
    return out


class MediawikiAst(PandocAst):
    """MediaWiki, whose parser expands templates (``{{…}}``, ``{{{…}}}``), transcluding other
    pages, wherever pandoc leaves braces: every ``{`` of the text is a character reference;
    inline code is ``<nowiki>`` inside ``<code>`` (pandoc's ``<code>`` alone leaves templates
    and quotes live); a code block has no language, so it is a ``<pre>``, whose content
    MediaWiki does not parse (pandoc writes ``<syntaxhighlight>`` unescaped)."""

    _BRACE = re.compile("{")

    def text(self, text: str) -> list[_Json]:
        return _map_text(super().text(text), lambda s: _escaped(s, self._BRACE, "mediawiki", _char_ref))

    def inline_Code(self, node: A.Code) -> list[_Json]:
        return [_raw("mediawiki", f"<code><nowiki>{escape_xml(node.text)}</nowiki></code>")]

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        return super().block_CodeBlock(A.CodeBlock(node.text))


#: Characters Texinfo reads as commands.
_TEXINFO_SPECIAL = str.maketrans({"@": "@@", "{": "@{", "}": "@}"})


class TexinfoAst(PandocAst):
    """Texinfo. pandoc writes a code block as ``@verbatim``, which a line ``@end verbatim``
    inside it ends, letting the rest run as commands (``@verbatiminclude /etc/…``); it is an
    ``@example`` with its ``@{}`` escaped instead, which looks the same."""

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        text = self.code(node.text).translate(_TEXINFO_SPECIAL)
        return [{"t": "RawBlock", "c": ["texinfo", f"@example\n{text}\n@end example"]}]


class TextileAst(PandocAst):
    """Textile, which passes inline HTML through. pandoc's ``@code@`` is no code span next to
    a letter or another code span, and its text (``<script>``) is then live HTML: inline code
    is a ``<code>`` element with its text escaped instead. A code block is always the escaped
    ``<pre>`` pandoc writes for code holding a blank line: readers disagree on where a
    ``bc(lang).`` block holding markup ends."""

    def inline_Code(self, node: A.Code) -> list[_Json]:
        return [_raw("textile", f"<code>{escape_xml(node.text)}</code>")]

    def block_CodeBlock(self, node: A.CodeBlock) -> list[_Json]:
        return [{"t": "RawBlock", "c": ["textile", f"<pre>\n{escape_xml(self.code(node.text))}\n</pre>"]}]


#: The AST builder of the formats that need theirs reshaped (see each class).
_FORMAT_ASTS: dict[str, type[PandocAst]] = {"rst": RstAst, "org": OrgAst, "asciidoc": AsciidocAst,
                                            "mediawiki": MediawikiAst, "texinfo": TexinfoAst, "textile": TextileAst}


def to_pandoc_json(doc: A.Document, fmt: str | None = None) -> _Json:
    """``doc`` as pandoc's JSON AST (a ``dict`` ready for ``json.dumps``), reshaped for pandoc's
    output format ``fmt`` (images as links where pandoc would embed them, and what the classes
    in ``_FORMAT_ASTS`` do); without ``fmt``, the same for every format."""
    info = PANDOC_FORMATS.get(fmt or "")
    ast_class = _FORMAT_ASTS.get(fmt or "", PandocAst)
    return ast_class(link_images=info is not None and info.embeds_images).document(doc)


# ---------------------------------------------------------------------------- writers


class PandocWriter(Writer):
    """Base of the writers for pandoc's formats: :func:`pandoc_writer_class` makes one per
    format. Output is a standalone document: pandoc's templates show the title and metadata."""

    format: ClassVar[str] = ""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self.timeout = float(timeout)

    def write(self, doc: A.Document) -> str | bytes:
        return self._decoded(run_pandoc(self._args(), self._payload(doc), timeout=self.timeout))

    def write_many(self, docs: list[A.Document]) -> list[Written]:
        """Each document's output (or the error converting it), what pandoc warned about it and
        the seconds it took, from one pandoc process per batch (:func:`run_pandoc_batch`) rather
        than one per document: pandoc's start-up costs more than converting a news article.

        A document the batch could not convert, or every document of a batch that failed as a
        whole, is converted as :meth:`write` does, so outputs and errors are :meth:`write`'s.
        """
        written: dict[int, Written] = {}
        payloads: dict[int, bytes] = {}
        spent: dict[int, float] = {}
        for i, doc in enumerate(docs):
            started = time.perf_counter()
            try:
                payloads[i] = self._payload(doc)
            except ConversionError as exc:
                written[i] = Written(exc)
            spent[i] = time.perf_counter() - started
        if self.format not in _UNBATCHED:
            for batch in _batches({i: len(data) for i, data in payloads.items()}, _BATCH_BYTES):
                if len(batch) > 1:
                    written.update(self._batch(batch, payloads, spent))
        for i in payloads.keys() - written.keys():
            written[i] = self._alone(payloads[i])
        for i, item in written.items():
            item.seconds += spent[i]
        return [written[i] for i in range(len(docs))]

    def _batch(self, batch: list[int], payloads: dict[int, bytes], spent: dict[int, float]) -> dict[int, Written]:
        """The documents of ``batch`` that one pandoc process converted (none if it failed),
        each charged an equal share of its time."""
        started = time.perf_counter()
        try:
            answers = run_pandoc_batch(self.format, [payloads[i] for i in batch],
                                       timeout=self.timeout * _BATCH_TIMEOUTS)
        except PandocError:
            answers = [None] * len(batch)
        share = (time.perf_counter() - started) / len(batch)
        for i in batch:
            spent[i] += share
        return {i: Written(self._decoded(answer[0]), [f"pandoc: {m}" for m in answer[1]])
                for i, answer in zip(batch, answers) if answer is not None}

    def _alone(self, payload: bytes) -> Written:
        """One document converted as :meth:`write` does, its warnings collected."""
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                output: str | bytes | ConversionError = self._decoded(
                    run_pandoc(self._args(), payload, timeout=self.timeout))
            except ConversionError as exc:
                output = exc
        return Written(output, [str(w.message) for w in caught], time.perf_counter() - started)

    def _payload(self, doc: A.Document) -> bytes:
        tree = to_pandoc_json(doc, self.format)
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _args(self) -> list[str]:
        return ["--from", "json", "--to", self.format, "--standalone", "--wrap=preserve", "--output", "-"]

    def _decoded(self, out: bytes) -> str | bytes:
        return out if self.binary else out.decode("utf-8")


@dataclass(slots=True)
class Written:
    """One document of :meth:`PandocWriter.write_many`: its output or the error converting it,
    pandoc's warnings about it, and the seconds it took (its share of a batch's)."""

    output: str | bytes | ConversionError
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@cache
def pandoc_writer_class(fmt: str) -> type[PandocWriter]:
    """The writer class for pandoc's format ``fmt`` (one class per format, made once)."""
    info = PANDOC_FORMATS[fmt]
    name = "Pandoc" + "".join(part.capitalize() for part in fmt.split("_")) + "Writer"
    return type(name, (PandocWriter,), {
        "__module__": __name__, "__qualname__": name, "__doc__": f"{info.description}.",
        "format": fmt, "name": fmt, "extension": info.extension,
        "description": info.description, "binary": info.binary,
    })
