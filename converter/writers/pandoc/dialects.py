"""The JSON AST reshaped for the formats whose processors would read text pandoc leaves as
markup (rST, Org, AsciiDoc, MediaWiki, Texinfo, Textile): see SECURITY.md, "Downstream formats"."""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable, Iterator

from ... import ast as A
from ...readers.rules import code_language
from ..markup import drop_non_xml, escape_xml, safe_url
from .build import (
    IMAGE_SCHEMES,
    LINE_BREAK,
    NO_ATTR,
    SOFT_BREAK,
    SPACE,
    Json,
    PandocAst,
    hoisted,
    trim,
)


def _raw(fmt: str, text: str) -> Json:
    return {"t": "RawInline", "c": [fmt, text]}


def _link(label: list[Json], url: str, title: str = "") -> Json:
    return {"t": "Link", "c": [NO_ATTR, label, [url, title]]}


def _lead(inlines: list[Json], start: int = 0) -> str:
    """The text of ``inlines`` from ``start`` up to the first node that is neither text nor a space."""
    out = []
    for node in itertools.islice(inlines, start, None):
        if node["t"] not in ("Str", "Space"):
            break
        out.append(node["c"] if node["t"] == "Str" else " ")
    return "".join(out)


#: Inlines whose content is a list of inlines (a link's is its second field).
_CONTAINERS = frozenset({"Strong", "Emph", "Strikeout", "Superscript", "Subscript", "Underline", "SmallCaps"})


def _map_text(inlines: list[Json], fn: Callable[[str], list[Json]]) -> list[Json]:
    """``inlines`` with the text of every ``Str`` in them (at any depth) replaced by ``fn(text)``."""
    out: list[Json] = []
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


def _in_link_text(node: Json, fn: Callable[[str], list[Json]]) -> Json:
    """``node`` with ``fn`` applied to its text (see :func:`_map_text`) if it is a link."""
    if node["t"] != "Link":
        return node
    attr, content, target = node["c"]
    return {"t": "Link", "c": [attr, _map_text(content, fn), target]}


def _escaped(text: str, pattern: re.Pattern[str], fmt: str, escape: Callable[[str], str]) -> list[Json]:
    """``text`` as ``Str`` pieces, each match of ``pattern`` written raw in ``fmt`` as ``escape(match)``."""
    out: list[Json] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            out.append({"t": "Str", "c": text[last:match.start()]})
        out.append(_raw(fmt, escape(match.group())))
        last = match.end()
    if last < len(text):
        out.append({"t": "Str", "c": text[last:]})
    return out


def _line_starts(inlines: list[Json], markup: re.Pattern[str], escape: Json) -> list[Json]:
    """``inlines`` with ``escape`` before each line (the first, and each after a break) whose
    start matches ``markup``."""
    out: list[Json] = []
    for i, node in enumerate(inlines):
        if (i == 0 or inlines[i - 1] in (SOFT_BREAK, LINE_BREAK)) and markup.match(_lead(inlines, i)):
            out.append(escape)
        out.append(node)
    return out


def _char_ref(text: str) -> str:
    return "".join(f"&#{ord(ch)};" for ch in text)


# ---------------------------------------------------------------------------- per format


class _LineMarkupAst(PandocAst):
    """For formats whose headings and captions are one line of markup (rST, Org, AsciiDoc):
    a line break in them would end them, so it is a space there."""

    def one_line(self, inlines: list[Json]) -> list[Json]:
        return [SPACE if node == LINE_BREAK else node for node in super().one_line(inlines)]


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

    def line_starts(self, inlines: list[Json]) -> list[Json]:
        return _line_starts(inlines, _RST_BLOCK_LINE, _raw("rst", "\\"))

    def text(self, text: str) -> list[Json]:
        return _map_text(super().text(text), self._escape_uris)

    def _escape_uris(self, text: str) -> list[Json]:
        return _escaped(text, _RST_URI_SCHEME, "rst", lambda scheme: scheme[:-1] + "\\:")

    def inline_Link(self, node: A.Link) -> list[Json]:
        return [_in_link_text(out, self._escape) for out in super().inline_Link(node)]

    def _escape(self, text: str) -> list[Json]:
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

    def text(self, text: str) -> list[Json]:
        return _map_text(super().text(text), lambda s: [{"t": "Str", "c": _org_escaped(s)}])

    def line_starts(self, inlines: list[Json]) -> list[Json]:
        return _line_starts(inlines, _ORG_KEYWORD_LINE, {"t": "Str", "c": _ZERO_WIDTH_SPACE})

    def inline_Code(self, node: A.Code) -> list[Json]:
        """Inline code is escaped as text is: pandoc's ``=…=`` is no verbatim for Emacs next to
        a letter (CJK text has no spaces), another code span or a ``=`` inside, and is then text."""
        return super().inline_Code(A.Code(_org_escaped(node.text)))

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
        return super().block_CodeBlock(A.CodeBlock(node.text))

    def shows_image(self, url: str) -> bool:
        return bool(_ORG_IMAGE_URL.search(url))

    def image_link_text(self, url: str) -> list[Json]:
        return self.text(url)

    def block_Figure(self, node: A.Figure) -> list[Json]:
        url = safe_url(node.image.url, IMAGE_SCHEMES)
        if url is None or self.shows_image(url):
            return super().block_Figure(node)
        caption = trim(self.inlines(node.caption))
        if not caption:
            return [{"t": "Para", "c": self.inline_Image(node.image)}]
        return [{"t": "Para", "c": [*caption, SPACE, _link(self.text(url), url, drop_non_xml(node.image.title))]}]


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

    def line_starts(self, inlines: list[Json]) -> list[Json]:
        return _line_starts(inlines, _ADOC_BLOCK_LINE, _raw("asciidoc", "{empty}"))

    def code(self, text: str) -> str:
        """Asciidoctor's preprocessor runs ``include::`` and ``ifeval::`` lines even inside
        literal blocks; a backslash, which it removes, escapes them there."""
        return _ADOC_DIRECTIVE.sub(r"\\\g<0>", super().code(text))

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
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

    def block_Heading(self, node: A.Heading) -> list[Json]:
        if self._nesting:
            return self.block_Paragraph(A.Paragraph([A.Strong(node.content)]))
        return super().block_Heading(node)

    def block_Figure(self, node: A.Figure) -> list[Json]:
        return super().block_Figure(A.Figure(A.Image(node.image.url, node.image.alt), node.caption))

    def block_BlockQuote(self, node: A.BlockQuote) -> list[Json]:
        with self._nested():
            return super().block_BlockQuote(node)

    def _items(self, items: list[list[A.Block]]) -> list[list[Json]]:
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

    def inlines(self, nodes: list[A.Inline]) -> list[Json]:
        return super().inlines(_merged_styles(nodes))

    def inline_Strong(self, node: A.Strong) -> list[Json]:
        return self._marked("**", node.content)

    def inline_Emphasis(self, node: A.Emphasis) -> list[Json]:
        return self._marked("__", node.content)

    def _marked(self, mark: str, content: list[A.Inline]) -> list[Json]:
        """``content`` between raw ``mark`` s, unless it is inside that style already (where
        the marks would close it), spaces and breaks at its ends moved out."""
        if mark in self._marks:
            return self.inlines(content)
        self._marks.add(mark)
        try:
            before, inner, after = hoisted(self.inlines(content))
        finally:
            self._marks.discard(mark)
        return [*before, _raw("asciidoc", mark), *inner, _raw("asciidoc", mark), *after] if inner else before + after

    def inline_Link(self, node: A.Link) -> list[Json]:
        out = super().inline_Link(node)
        if len(out) != 1 or out[0]["t"] != "Link":
            return out
        _, content, (url, _) = out[0]["c"]
        target = f"++{url}++" if _ADOC_URL_MARKUP.search(url) else url
        shown = content not in ([{"t": "Str", "c": url}], [{"t": "Str", "c": node.url.strip()}])
        text = _asciidoc_link_text(content) if shown else []  # link:URL[] shows the URL
        return [_raw("asciidoc", f"link:{target}["), *text, _raw("asciidoc", "]")]


def _asciidoc_link_text(content: list[Json]) -> list[Json]:
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

    def text(self, text: str) -> list[Json]:
        return _map_text(super().text(text), lambda s: _escaped(s, self._BRACE, "mediawiki", _char_ref))

    def inline_Code(self, node: A.Code) -> list[Json]:
        return [_raw("mediawiki", f"<code><nowiki>{escape_xml(node.text)}</nowiki></code>")]

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
        return super().block_CodeBlock(A.CodeBlock(node.text))


#: Characters Texinfo reads as commands.
_TEXINFO_SPECIAL = str.maketrans({"@": "@@", "{": "@{", "}": "@}"})


class TexinfoAst(PandocAst):
    """Texinfo. pandoc writes a code block as ``@verbatim``, which a line ``@end verbatim``
    inside it ends, letting the rest run as commands (``@verbatiminclude /etc/…``); it is an
    ``@example`` with its ``@{}`` escaped instead, which looks the same."""

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
        text = self.code(node.text).translate(_TEXINFO_SPECIAL)
        return [{"t": "RawBlock", "c": ["texinfo", f"@example\n{text}\n@end example"]}]


class TextileAst(PandocAst):
    """Textile, which passes inline HTML through. pandoc's ``@code@`` is no code span next to
    a letter or another code span, and its text (``<script>``) is then live HTML: inline code
    is a ``<code>`` element with its text escaped instead. A code block is always the escaped
    ``<pre>`` pandoc writes for code holding a blank line: readers disagree on where a
    ``bc(lang).`` block holding markup ends."""

    def inline_Code(self, node: A.Code) -> list[Json]:
        return [_raw("textile", f"<code>{escape_xml(node.text)}</code>")]

    def block_CodeBlock(self, node: A.CodeBlock) -> list[Json]:
        return [{"t": "RawBlock", "c": ["textile", f"<pre>\n{escape_xml(self.code(node.text))}\n</pre>"]}]


#: The AST builder of the formats that need theirs reshaped (see each class).
FORMAT_ASTS: dict[str, type[PandocAst]] = {"rst": RstAst, "org": OrgAst, "asciidoc": AsciidocAst,
                                            "mediawiki": MediawikiAst, "texinfo": TexinfoAst, "textile": TextileAst}
