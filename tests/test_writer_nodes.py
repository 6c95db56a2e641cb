"""Every writer writes every node type of ``converter.ast``, and refuses a node of any other type.

The nodes are built from the AST itself (the ``Inline`` and ``Block`` unions and each class's
type hints, see ``support.one_node``), so a node type added to ``converter/ast.py`` fails here
until every writer writes it. "Writes" means: each word the node holds reaches the output,
unless the writer leaves that field out on purpose (``LEFT_OUT``, with the reason), and the
output differs from that of the same document without the node.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from collections.abc import Callable

import pytest
from support import marker_words, one_node

from converter import ast as A
from converter.errors import ConversionError
from converter.writers import make_writer
from converter.writers.pandoc import to_pandoc_json
from converter.writers.pandoc.dialects import FORMAT_ASTS

Render = Callable[[A.Document], str]


def _ours(fmt: str, **options: str) -> Render:
    writer = make_writer(fmt, **options)
    return lambda doc: _text(writer.write(doc))


def _text(output: str | bytes) -> str:
    """The output as text; an EPUB's XHTML chapters joined."""
    if isinstance(output, str):
        return output
    with zipfile.ZipFile(io.BytesIO(output)) as book:
        return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml"))


def _pandoc(fmt: str | None) -> Render:
    return lambda doc: json.dumps(to_pandoc_json(doc, fmt), ensure_ascii=False)


#: Every writer and AST builder: ours, then pandoc's builder (for every format) and its dialects.
#: EPUB links its images (``link`` fetches nothing); ``none`` would drop their URLs.
RENDERS: dict[str, Render] = {
    "markdown": _ours("markdown"), "text": _ours("text"), "json": _ours("json"), "html": _ours("html"),
    "epub": _ours("epub", images="link"), "pandoc": _pandoc(None),
    **{f"pandoc-{fmt}": _pandoc(fmt) for fmt in FORMAT_ASTS},
}

#: Fields a writer leaves out on purpose, by writer and field path, with the reason.
LEFT_OUT: dict[tuple[str, str], str] = {
    **{("text", path): "plain text shows an image as [Image: alt], without its URL or title"
       for path in ("Image.url", "Image.title", "Figure.image.url", "Figure.image.title")},
    ("text", "Figure.image.alt"): "plain text shows a figure by its caption, which stands in for the alt text",
    ("text", "Link.title"): "plain text has no place for a link's title (its URL is a reference)",
    ("text", "CodeBlock.language"): "plain text shows a code block as indented lines only",
    **{("epub", path): "an image the book does not hold is a link to it, which has no title"
       for path in ("Image.title", "Figure.image.title")},
    ("pandoc-asciidoc", "Link.title"): "a link is AsciiDoc's link: macro, which has no title",
    ("pandoc-asciidoc", "Figure.image.title"): "AsciiDoc would show an image's title instead of the figure's caption",
    **{(f"pandoc-{fmt}", "CodeBlock.language"): "a code block without a language is the form whose content "
       "the format's processor leaves alone" for fmt in ("mediawiki", "org", "texinfo", "textile")},
}

#: Node types a writer dispatches on: each of them, on its own, in the document it would stand in.
NODE_TYPES = [*A.INLINE_TYPES, *A.BLOCK_TYPES]


def _document(node: object) -> A.Document:
    """A document holding ``node`` (in a paragraph between two words if it is an inline)."""
    if isinstance(node, A.INLINE_TYPES):
        return A.Document(A.Meta(title="Title"), [A.Paragraph([A.Text("before "), node, A.Text(" after")])])
    return A.Document(A.Meta(title="Title"), [node])


def _without(doc: A.Document, node: object) -> A.Document:
    """``doc`` without ``node``."""
    blocks = [dataclasses.replace(b, content=[n for n in b.content if n is not node])
              if isinstance(b, A.Paragraph) else b for b in doc.blocks if b is not node]
    return A.Document(doc.meta, blocks)


@pytest.mark.parametrize("writer", RENDERS)
@pytest.mark.parametrize("node_type", NODE_TYPES, ids=lambda cls: cls.__name__)
def test_every_writer_writes_every_node_type(writer: str, node_type: type) -> None:
    node, words = one_node(node_type, marker_words())
    doc = _document(node)
    output = RENDERS[writer](doc)
    missing = sorted(path for path, word in words.items() if word not in output and (writer, path) not in LEFT_OUT)
    assert not missing, f"{writer} lost {missing}"
    assert output != RENDERS[writer](_without(doc, node)), f"{writer} writes nothing for {node_type.__name__}"


def test_every_field_left_out_is_a_field_and_is_left_out() -> None:
    """``LEFT_OUT`` names fields of the AST that the writer really does leave out."""
    for (writer, path), reason in LEFT_OUT.items():
        node_type = next(cls for cls in NODE_TYPES if cls.__name__ == path.partition(".")[0])
        node, words = one_node(node_type, marker_words())
        assert path in words and reason
        assert words[path] not in RENDERS[writer](_document(node)), f"{writer} writes {path}"


@dataclasses.dataclass(slots=True)
class Marquee:
    """A node of a type that is not the AST's, holding text."""

    text: str


@pytest.mark.parametrize("writer", [*RENDERS, "rst"])
@pytest.mark.parametrize("place", ["block", "inline"])
def test_a_node_of_an_unknown_type_is_a_one_line_conversion_error(writer: str, place: str) -> None:
    unknown = Marquee("x")
    blocks = [unknown] if place == "block" else [A.Paragraph([A.Text("a "), A.Strong([A.Text("b")]), unknown])]
    doc = A.Document(A.Meta(title="t"), blocks)  # type: ignore[list-item]
    render = RENDERS.get(writer) or _ours(writer)
    with pytest.raises(ConversionError) as caught:
        render(doc)
    assert "Marquee" in str(caught.value) and "\n" not in str(caught.value)
