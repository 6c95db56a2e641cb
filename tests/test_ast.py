"""The AST nodes compare and print by their fields, as dataclasses do (the methods are shared
by every node class rather than made for each)."""

from __future__ import annotations

import dataclasses

import pytest

from converter import ast as A


def test_repr_names_every_field() -> None:
    link = A.Link([A.Text("a"), A.LineBreak()], "https://example.org/", title="t")
    assert repr(link) == "Link(content=[Text(text='a'), LineBreak()], url='https://example.org/', title='t')"
    assert repr(A.Heading(2, [])) == "Heading(level=2, content=[])"


def test_repr_of_a_node_that_holds_itself_does_not_recurse() -> None:
    quote = A.BlockQuote([])
    quote.content.append(quote)
    assert repr(quote) == "BlockQuote(content=[...])"


def test_equality_is_by_type_and_fields() -> None:
    assert A.Text("a") == A.Text("a")
    assert A.Text("a") != A.Text("b")
    assert A.Text("a") != A.Code("a")  # same fields, another type
    assert A.Paragraph([A.Text("a")]) == A.Paragraph([A.Text("a")])
    assert A.Figure(A.Image("u"), [A.Text("c")]) != A.Figure(A.Image("u"), [])
    assert A.HorizontalRule() == A.HorizontalRule()
    assert A.Text("a") != "a"
    meta = A.Meta(title="t", tags=["x"])
    assert A.Document(meta, []) == A.Document(A.Meta(title="t", tags=["x"]), [])
    assert A.Document(meta, []) != A.Document(A.Meta(title="t"), [])


@pytest.mark.parametrize("cls", [*A.NODE_TYPES, A.Meta, A.Document])
def test_every_node_class_is_a_dataclass_that_cannot_be_hashed(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert cls.__hash__ is None  # mutable: equal nodes may not stay equal
    assert cls.__eq__ is A._Node.__eq__ and cls.__repr__ is A._Node.__repr__
