"""Finding the method that writes a node: one table per writer class, built from the AST.

Every class that walks a document (:class:`~converter.writers.Writer`, whose subclasses write
Markdown and plain text; the XHTML renderer of the HTML and EPUB writers; pandoc's AST builder
and its dialects) writes a node of type ``T`` with its method ``block_T`` or ``inline_T``. When
such a class is made, :class:`NodeDispatcher` maps each node type of :mod:`converter.ast` to
the class's method for it, once, so that writing a node is one dictionary lookup (not a
``getattr`` on a name built per node), and a node of a type the class has no method for is a
:class:`~converter.errors.ConversionError` that names the writer and the type.

The tables are read from the class when it is made: a method assigned to it later is not seen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from .. import ast as A
from ..errors import ConversionError

#: A node method as the class holds it: called with the writer and the node.
NodeMethod = Callable[..., Any]


def node_methods(cls: type, prefix: str, types: tuple[type, ...]) -> dict[type, NodeMethod]:
    """``cls``'s methods named ``prefix`` and a node type's name, by node type."""
    found = {node_type: getattr(cls, prefix + node_type.__name__, None) for node_type in types}
    return {node_type: method for node_type, method in found.items() if method is not None}


def unknown_node(writer: str, node: object, place: str = "") -> ConversionError:
    """The error for a node that ``writer`` has no method for (``place``: where it stood)."""
    where = f" as {place}" if place else ""
    return ConversionError(f"{writer} cannot write a node of type {type(node).__name__!r}{where}: "
                           "a document holds the node types of converter.ast only")


class NodeDispatcher:
    """Writes a node with the method for its type: ``block_<Type>`` or ``inline_<Type>``.

    Not generic over what the methods return: subscripting ``typing.Generic`` at import would
    cost every run of ``convert`` some 0.4 ms for a type checker's benefit alone.
    """

    _block_methods: ClassVar[Mapping[type, NodeMethod]] = {}
    _inline_methods: ClassVar[Mapping[type, NodeMethod]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._block_methods = node_methods(cls, "block_", A.BLOCK_TYPES)
        cls._inline_methods = node_methods(cls, "inline_", A.INLINE_TYPES)

    def block(self, node: A.Block) -> Any:
        method = self._block_methods.get(type(node))
        if method is None:
            raise unknown_node(self.writer_name(), node, "a block")
        return method(self, node)

    def inline(self, node: A.Inline) -> Any:
        method = self._inline_methods.get(type(node))
        if method is None:
            raise unknown_node(self.writer_name(), node, "an inline")
        return method(self, node)

    def writer_name(self) -> str:
        """What the error for a node without a method calls this writer."""
        return type(self).__name__
