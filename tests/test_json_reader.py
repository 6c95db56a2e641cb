"""The JSON reader accepts every node of the AST with every field, and refuses a document whose
nodes have unknown types, unknown fields or fields of the wrong kind, with the message that
names what is wrong."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from support import marker_words, one_node

from converter import ast as A
from converter import load_json
from converter.errors import InputError


def _document(*blocks: Any) -> str:
    return json.dumps({"version": A.JSON_VERSION, "meta": {"title": "t"}, "blocks": list(blocks)})


def _each_node_type() -> list[Any]:
    """One of each node type of the AST, in blocks: inlines in a paragraph, a cell in a table."""
    word = marker_words()
    nodes = [one_node(cls, word)[0] for cls in A.NODE_TYPES]
    inlines = [node for node in nodes if isinstance(node, A.INLINE_TYPES)]
    cells = [node for node in nodes if isinstance(node, A.TableCell)]
    return [*(node for node in nodes if isinstance(node, A.BLOCK_TYPES)),
            A.Paragraph(inlines), A.Table([], [cells])]


def test_every_node_type_with_every_field_loads_as_written() -> None:
    blocks = _each_node_type()
    assert load_json(_document(*A.node_to_dict(blocks))).blocks == blocks


@pytest.mark.parametrize("node_type", A.NODE_TYPES, ids=lambda cls: cls.__name__)
def test_no_field_takes_a_value_of_another_kind(node_type: type) -> None:
    """A number with a fraction is no field's kind (text, integer, node, list): each field of
    each node type holding one is refused, naming the node type or the kind of its place."""
    for field in dataclasses.fields(node_type):
        node = A.node_to_dict(one_node(node_type, marker_words())[0])
        node[field.name] = 1.5
        block = {"type": "Paragraph", "content": [node]} if node_type in A.INLINE_TYPES else node
        block = {"type": "Table", "head": [[node]], "body": []} if node_type is A.TableCell else block
        with pytest.raises(InputError, match="is not a valid converter document: ") as caught:
            load_json(_document(block))
        assert "\n" not in str(caught.value), field.name


_TEXT = {"type": "Text", "text": "x"}
_PARA = {"type": "Paragraph", "content": [_TEXT]}
_CELL = {"type": "TableCell", "content": [_TEXT]}


@pytest.mark.parametrize("block, message", [
    ({"type": "Marquee"}, "expected a node of kind block, found 'Marquee'"),
    (_TEXT, "expected a node of kind block, found 'Text'"),
    ("text", "expected a node of kind block, found 'str'"),
    ({"type": ["Paragraph"]}, "expected a node of kind block, found ['Paragraph']"),
    ({"type": "Paragraph", "content": [{"type": {}}]}, "expected a node of kind inline, found {}"),
    ({"type": "Paragraph", "content": [_PARA]}, "expected a node of kind inline, found 'Paragraph'"),
    ({"type": "Paragraph", "content": "x"}, "inlines must be a list, not str"),
    ({"type": "Paragraph", "content": [], "style": "x"}, "Paragraph has no field 'style'"),
    ({"type": "Paragraph", "content": [{"type": "Text", "text": 1}]}, "Text.text is not a string"),
    ({"type": "Heading", "level": "1", "content": []}, "Heading.level is not a number in range"),
    ({"type": "Heading", "level": True, "content": []}, "Heading.level is not a number in range"),
    ({"type": "OrderedList", "items": [], "start": 2**31}, "OrderedList.start is not a number in range"),
    ({"type": "BulletList", "items": {}}, "items must be a list, not dict"),
    ({"type": "BulletList", "items": [_PARA]}, "blocks must be a list, not dict"),
    ({"type": "BulletList", "items": [[_TEXT]]}, "expected a node of kind block, found 'Text'"),
    ({"type": "Figure", "image": _TEXT, "caption": []}, "expected a node of kind image, found 'Text'"),
    ({"type": "Figure", "image": {"type": "Image", "url": 1}}, "Image.url is not a string"),
    ({"type": "Table", "head": {}, "body": []}, "rows must be a list, not dict"),
    ({"type": "Table", "head": [], "body": [_CELL]}, "cells must be a list, not dict"),
    ({"type": "Table", "head": [], "body": [[_PARA]]}, "expected a node of kind cell, found 'Paragraph'"),
    ({"type": "Table", "head": [], "body": [[dict(_CELL, colspan="2")]]}, "TableCell.colspan is not a number in range"),
    ({"type": "Table", "head": [], "body": [], "caption": [_CELL]}, "expected a node of kind inline, found 'TableCell'"),
    ({"type": "CodeBlock", "text": "x", "language": None}, "CodeBlock.language is not a string"),
    ({"type": "Div", "content": [{"type": "HorizontalRule", "x": 1}]}, "HorizontalRule has no field 'x'"),
])
def test_a_node_that_is_not_the_asts_is_refused_with_what_is_wrong(block: Any, message: str) -> None:
    with pytest.raises(InputError) as caught:
        load_json(_document(block), path="doc.json")
    assert str(caught.value) == f"doc.json: is not a valid converter document: {message}"


def test_blocks_that_are_not_a_list_are_refused() -> None:
    data = json.dumps({"meta": {}, "blocks": {"type": "Paragraph"}})
    with pytest.raises(InputError, match=r"^is not a valid converter document: blocks must be a list, not dict$"):
        load_json(data)
