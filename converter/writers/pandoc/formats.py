"""pandoc's output formats as we offer them: what each is, and which are unsafe for untrusted input."""

from __future__ import annotations

from dataclasses import dataclass


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
