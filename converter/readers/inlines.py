"""Tidying a paragraph's inlines after the HTML walk.

HTML collapses white space across element boundaries; the walk sees one text node at a time,
so it cannot. This module does it for a whole paragraph: one space where HTML shows one, none
at the edges or around line breaks, no ``&nbsp;``/full-width-space indentation, adjacent texts
merged, empty or doubled formatting (``<strong><strong>``) removed, and spaces moved outside
emphasis and links so every writer can mark them up cleanly (and a link's underline does not
run under the space after it).
"""

from __future__ import annotations

from typing import Any

from .. import ast as A
from ..chars import joins_across_gap

_CONTAINERS = (A.Strong, A.Emphasis, A.Strikeout, A.Superscript, A.Subscript, A.Link)
#: White space stripped at the start and end of a line: ASCII space, the ideographic space, and
#: the line feed that stands for a source line break at a text node's end.
_EDGE = " \u3000\n"
#: White space at a text node's ends, as :func:`converter.chars.collapse_html_space` leaves it.
_GAP = " \n"


def is_blank(node: A.Inline) -> bool:
    return isinstance(node, A.Text) and not node.text.strip()


def tidy_paragraph(nodes: list[A.Inline]) -> list[A.Inline]:
    """The paragraph's inlines with HTML white space rules applied and empty markup removed."""
    if len(nodes) == 1 and isinstance(nodes[0], A.Text):  # most paragraphs: the same result, sooner
        text = nodes[0].text.strip(_EDGE)
        return [A.Text(text)] if text.strip() else []
    _collapse_spaces(_leaves(nodes))
    return _trim_line_breaks(_prune(nodes, None))


def _leaves(nodes: list[A.Inline]) -> list[Any]:
    """Text, line breaks and atoms in reading order."""
    return list(A.spliced(nodes, _CONTAINERS))


def _collapse_spaces(leaves: list[Any]) -> None:
    """One space between words across element boundaries; none at line starts and ends, and
    none where the white space holds a source line break between two space-discarding
    characters (pretty-printed ``因为\n <span>\n 中国``: the rule of
    :func:`converter.chars.joins_across_gap`, which needs the characters on both sides).

    A text node's ends hold at most one character of white space, a line feed for a line
    break (:func:`converter.chars.collapse_html_space`). The space kept goes where the white
    space began: at the end of the text before, or at the start of this one.
    """
    line_start = True
    holder: A.Text | None = None  # the text where the pending white space began
    gap = ""  # the pending white space
    last = ""  # the visible character before it; "" after an image or code
    last_text: A.Text | None = None
    for leaf in leaves:
        if isinstance(leaf, A.Text):
            text = leaf.text.lstrip(_EDGE) if line_start else leaf.text
            core = text.lstrip(_GAP)
            if core != text:
                if holder is None:
                    holder = leaf
                gap += text[:len(text) - len(core)]
            body = core.rstrip(_GAP)
            if body:
                trail = core[len(body):]
                last_char = body[-1]
                if holder is not None:
                    space = "" if joins_across_gap(last, gap, body[0]) else " "
                    if holder is leaf:
                        body = space + body
                    else:
                        holder.text += space
                holder, gap = (leaf, trail) if trail else (None, "")
                last = last_char
                line_start = False
                last_text = leaf
            leaf.text = body
        elif isinstance(leaf, A.LineBreak):
            if last_text is not None:
                last_text.text = last_text.text.rstrip(_EDGE)
            line_start = True
            holder, gap, last, last_text = None, "", "", None
        else:
            if holder is not None:
                holder.text += " "
            line_start = False
            holder, gap, last, last_text = None, "", "", None
    if last_text is not None:
        last_text.text = last_text.text.rstrip(_EDGE)


def _prune(nodes: list[A.Inline], parent: type | None) -> list[A.Inline]:
    """Drop empty texts and empty markup, unwrap doubled markup, merge adjacent texts."""
    out: list[A.Inline] = []
    for node in nodes:
        if isinstance(node, A.Text):
            if node.text:
                _append_text(out, node.text)
            continue
        if not isinstance(node, _CONTAINERS):
            out.append(node)
            continue
        node.content = _prune(node.content, type(node))
        if isinstance(node, A.Link):
            if any(not is_blank(c) for c in node.content):
                _move_edge_spaces_out(node, out)
            elif node.content:  # a link on a space alone: its target is still the only trace of it
                out.append(node)
            continue
        if type(node) is parent or not any(not is_blank(c) for c in node.content):
            for child in node.content:
                _append(out, child)
            continue
        _move_edge_spaces_out(node, out)
    return out


def _move_edge_spaces_out(node: Any, out: list[A.Inline]) -> None:
    first, last = node.content[0], node.content[-1]
    if isinstance(first, A.Text) and first.text[:1] == " ":
        first.text = first.text.lstrip(" ")
        _append_text(out, " ")
    trailing = isinstance(last, A.Text) and last.text[-1:] == " "
    if trailing:
        last.text = last.text.rstrip(" ")
    node.content = [c for c in node.content if not (isinstance(c, A.Text) and not c.text)]
    out.append(node)
    if trailing:
        _append_text(out, " ")


def _append(out: list[A.Inline], node: A.Inline) -> None:
    if isinstance(node, A.Text):
        _append_text(out, node.text)
    else:
        out.append(node)


def _append_text(out: list[A.Inline], text: str) -> None:
    if out and isinstance(out[-1], A.Text):
        merged = out[-1].text + text
        out[-1] = A.Text(merged.replace("  ", " ") if "  " in merged else merged)
    else:
        out.append(A.Text(text))


def _trim_line_breaks(nodes: list[A.Inline]) -> list[A.Inline]:
    """No line break (or blank text) at the start or end of a paragraph."""
    start, end = 0, len(nodes)
    while start < end and (isinstance(nodes[start], A.LineBreak) or is_blank(nodes[start])):
        start += 1
    while end > start and (isinstance(nodes[end - 1], A.LineBreak) or is_blank(nodes[end - 1])):
        end -= 1
    return nodes[start:end]
