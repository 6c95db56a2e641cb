"""Markdown writer: CommonMark with GFM tables and strikethrough, after YAML front matter.

Whatever CommonMark parser reads the output must get back exactly the text of the AST, so
nothing here relies on a parser being lenient:

* Text is escaped by small context rules (:func:`escape_text`, :func:`escape_line_start`) that
  add a backslash only where a character could start syntax.
* Whitespace is collapsed as HTML displays it (:func:`_collapse_whitespace`).
* Emphasis is checked against CommonMark's flanking rules before it is written
  (:func:`_repair_emphasis`). ``**`` only opens when the run is left-flanking and only closes
  when it is right-flanking, which punctuation next to a letter breaks (``**问题？**我`` stays
  literal), and that is common in CJK text. Such punctuation, whitespace, code or an image is
  moved out of the span, a span starting or ending with a link moves into the link text, and
  when nothing helps the span is written as plain text: text never changes, emphasis rarely
  shrinks.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import simple_yaml
from ..ast import (
    Block,
    BlockQuote,
    BulletList,
    Code,
    CodeBlock,
    Div,
    Document,
    Emphasis,
    Figure,
    Heading,
    HorizontalRule,
    Image,
    Inline,
    LineBreak,
    Link,
    Meta,
    OrderedList,
    Paragraph,
    Strikeout,
    Strong,
    Subscript,
    Superscript,
    Table,
    TableCell,
    Text,
    format_datetime,
    plain_text,
    spliced,
    walk,
)
from ..chars import HTML_SPACE, joins_without_space, scripted
from ..labels import link_label
from ..patterns import lazy_compile
from . import Writer

# ---------------------------------------------------------------------------- characters

#: Whitespace that HTML collapses (not NBSP or the ideographic space, which are text).
_HTML_SPACE = frozenset(HTML_SPACE)
_ASCII_PUNCT = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _is_space(ch: str) -> bool:
    """CommonMark's "Unicode whitespace": category Zs, tab, line feed, form feed, CR."""
    return ch in "\t\n\v\f\r" or unicodedata.category(ch) == "Zs"


def _is_punct(ch: str) -> bool:
    """CommonMark's "Unicode punctuation": general categories P and S."""
    return unicodedata.category(ch)[0] in "PS"


def _is_weak(ch: str) -> bool:
    """Whitespace or punctuation: what may not sit inside a delimiter that touches a letter."""
    return _is_space(ch) or _is_punct(ch)


def _left_flanking(before: str, after: str) -> bool:
    """Whether a delimiter run between these characters can open emphasis (``*`` and ``~``)."""
    return not _is_space(after) and (not _is_punct(after) or _is_weak(before))


def _right_flanking(before: str, after: str) -> bool:
    """Whether a delimiter run between these characters can close emphasis."""
    return not _is_space(before) and (not _is_punct(before) or _is_weak(after))


# ---------------------------------------------------------------------------- escaping

#: Text that CommonMark decodes as a character reference.
_ENTITY = lazy_compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
#: What could start inline syntax: a run of one delimiter character, or one special character.
_INLINE_SPECIAL = lazy_compile(r"\*+|_+|~+|[\\`\[\]<&]")
#: Any of those characters: a text without one is written as it is. (Searching for one is
#: several times faster than ``_INLINE_SPECIAL``, whose alternatives are tried at each position.)
_ANY_SPECIAL = lazy_compile(r"[*_~\\`\[\]<&]")

#: A line that would open a block; the named group is the character to backslash.
_BLOCK_START = lazy_compile(
    r"\d{1,9}(?P<ordered>[.)])(?:[ \t]|$)"   # ordered list item
    r"|(?P<quote>>)"                         # block quote
    r"|(?P<atx>#)#{0,5}(?:[ \t]|$)"          # ATX heading
    r"|(?P<bullet>[-+])(?:[ \t]|$)"          # bullet list item ("*" is escaped inline)
    r"|(?P<task>\[)[ xX]\](?:[ \t]|$)"       # GFM task list item, after a list marker
    r"|[|: \t]*(?P<rule>-)[-|: \t]*$"        # thematic break, setext underline, table delimiter row
    r"|(?P<setext>=)=*[ \t]*$"               # setext underline
)
_THEMATIC_BREAK = lazy_compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*")
_CLOSING_HASHES = lazy_compile(r"(?:^|(?<=[ \t]))#+[ \t]*$")


def _needs_escape(text: str, start: int, end: int, context: _Context) -> bool:
    """Whether ``text[start:end]`` (a match of ``_INLINE_SPECIAL``) could be read as syntax.

    The start of ``text`` counts as unknown, since any markup may come before it; its end is
    ``context.follower``. In link text every bracket is escaped: there an unmatched one would
    change which brackets make the link.
    """
    ch = text[start]
    before = text[start - 1] if start else None
    after = text[end] if end < len(text) else context.follower
    if ch in "*_~":
        if before is None or after is None or (end == len(text) and after):
            return True  # the run may join a delimiter of the markup around the text
        after = after or " "  # the end of the block counts as white space
        if ch == "_" and not _is_weak(before) and not _is_weak(after):
            return False  # "_" inside a word neither opens nor closes
        # A run that can open is escaped. One that can only close has nothing to close at the
        # top level of a block: every opening run before it is escaped or already closed.
        return _left_flanking(before, after) or (not context.top_level and _right_flanking(before, after))
    if ch == "[":  # "[x](" and "[x][" need a "]" too, which the rule below escapes; "[[" is a wiki link
        return context.link_text or after is None or after == "["
    if ch == "]":  # "](" and "][" make links, "]:" a link reference definition
        return context.link_text or after is None or (after != "" and after in "([:")
    if ch == "\\":
        return not after or after in _ASCII_PUNCT
    if ch == "<":  # an HTML tag or autolink starts with an ASCII character
        return after is None or "!" <= after <= "~"
    if ch == "&":
        return _ENTITY.match(text, start) is not None
    return True  # `


@dataclass(frozen=True, slots=True)
class _Context:
    """Where a text is written: in a link's text (or an image's alt text); at the top level of
    a block (not inside emphasis); and the character written right after it ("" at the end of
    the block, None when it is not known)."""

    link_text: bool = False
    top_level: bool = False
    follower: str | None = None


_UNKNOWN = _Context()
_LINK_TEXT = _Context(link_text=True)


def _escape_match(text: str, match: re.Match[str], context: _Context) -> str:
    run = match.group()
    if _needs_escape(text, match.start(), match.end(), context):
        return "\\" + "\\".join(run)
    return run


def escape_text(text: str, context: _Context = _UNKNOWN) -> str:
    """``text`` with a backslash before each character that could start inline syntax, and
    only there: ``[注]``, ``5 ** 3`` and ``a_b`` stay as they are (see :func:`_needs_escape`)."""
    if _ANY_SPECIAL.search(text) is None:  # most texts
        return text
    return _INLINE_SPECIAL.sub(lambda m: _escape_match(text, m, context), text)


def escape_line_start(line: str) -> str:
    """``line`` with a backslash before a marker that would open a block (list, quote, heading,
    thematic break, setext underline, table delimiter row) at the start of a line."""
    m = _BLOCK_START.match(line)
    if m is None or m.lastgroup is None:
        return line
    at = m.start(m.lastgroup)
    return line[:at] + "\\" + line[at:]


#: The character each kind of inline is written with first, when it is always the same.
_FIRST_CHARS: dict[type, str] = {Strong: "*", Emphasis: "*", Strikeout: "~", Link: "[", Image: "!",
                                 Code: "`", LineBreak: "\\"}


def _first_char(node: Inline) -> str | None:
    """The first character ``node`` is written as, None when that depends on its content."""
    return _FIRST_CHARS.get(type(node))


def _escape_closing_hashes(text: str) -> str:
    """Heading text whose trailing ``#`` run would be taken for an ATX closing sequence."""
    m = _CLOSING_HASHES.search(text)
    return text if m is None else text[:m.start()] + "\\" + text[m.start():]


def _collapse(text: str) -> str:
    """Runs of HTML whitespace as one space, stripped: for alt text and titles."""
    return re.sub(r"[ \t\n\r\f]+", " ", text).strip(" ")


def _escape_entities(text: str) -> str:
    """``text`` with a backslash before each ``&`` that starts a character reference."""
    return _ENTITY.sub(lambda m: "\\" + m.group(), text)


def _link_destination(url: str) -> str:
    """A destination that parses back to ``url``: in ``<…>`` when it is empty or holds
    whitespace, parentheses or angle brackets; backslashes and entity-like ``&`` escaped."""
    url = url.replace("\n", "%0A").replace("\r", "%0D").replace("\\", "\\\\")
    url = _escape_entities(url)
    if url and not re.search(r"[\s()<>\x00-\x1f\x7f]", url):
        return url
    return "<" + url.replace("<", "\\<").replace(">", "\\>") + ">"


def _link_title(title: str) -> str:
    """`` "title"`` with quotes, backslashes and entities escaped, or nothing."""
    title = _escape_entities(_collapse(title).replace("\\", "\\\\").replace('"', '\\"'))
    return f' "{title}"' if title else ""


def _code_span(text: str) -> str:
    """A code span: the fence outruns every backtick run inside; a space pads the content
    when it would merge with the fence or lose a space of its own."""
    text = re.sub(r"\r\n|[\r\n]", " ", text)  # a line break would let a block start inside
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    pad = (text[:1] == "`" or text[-1:] == "`"
           or (text[:1] == text[-1:] == " " and bool(text.strip(" "))))
    return f"{fence} {text} {fence}" if pad else f"{fence}{text}{fence}"


# ---------------------------------------------------------------------------- inline tokens


@dataclass(eq=False, slots=True)
class _Span:
    """One emphasis or link span in a token stream; identity pairs its open and close."""

    node: Strong | Emphasis | Strikeout | Link

    @property
    def delimiter(self) -> str:
        return _DELIMITERS.get(type(self.node), "")


_DELIMITERS: dict[type, str] = {Strong: "**", Emphasis: "*", Strikeout: "~~"}


@dataclass(frozen=True, slots=True)
class _Open:
    """Where a span (emphasis, a link) starts in the token list :func:`_flatten` makes."""

    span: _Span


@dataclass(frozen=True, slots=True)
class _Close:
    """Where a span ends in the token list."""

    span: _Span


_Token = str | _Open | _Close | Code | Image | LineBreak
_ATOMS = (Code, Image, LineBreak)
_SPACE_RUN = lazy_compile(f"([{HTML_SPACE}]+)")


def _prepare(nodes: list[Inline], *, breaks: bool, language: str = "") -> list[Inline]:
    """``nodes`` rewritten so that their Markdown reads back as the same text and emphasis:
    whitespace collapsed, spans CommonMark cannot express unwrapped, emphasis made flanking.

    A lone text with nothing to collapse (most paragraphs) is returned as it is.
    """
    if not nodes or (len(nodes) == 1 and type(nodes[0]) is Text and _is_tidy(nodes[0].text)) \
            or _is_plain_run(nodes):
        return nodes
    tokens = _merge_text(_collapse_whitespace(_flatten(nodes, breaks, language)))
    return _unflatten(_merge_text(_repair_emphasis(tokens)))


_UNTIDY_SPACE = lazy_compile(r"[\t\n\r\f]")
#: Characters that can take part in emphasis runs, which only the full rewrite handles.
_EMPHASIS_CHARS = lazy_compile(r"[*_~`]")


def _is_plain_run(nodes: list[Inline]) -> bool:
    """Whether ``nodes`` are already what :func:`_prepare` would make of them: texts and links
    with one tidy text each, alternating (no two texts side by side), their joined text tidy,
    no emphasis characters and no link edge at a space (the commonest paragraphs)."""
    pieces = []
    last_was_text = False
    for node in nodes:
        if type(node) is Text:
            if last_was_text or not node.text:
                return False
            pieces.append(node.text)
            last_was_text = True
        elif type(node) is Link and node.url and len(node.content) == 1 and type(node.content[0]) is Text:
            text = node.content[0].text
            if not _is_tidy(text) or not text.strip():  # a blank link shows its URL instead
                return False
            pieces.append(text)
            last_was_text = False
        else:
            return False
    joined = "".join(pieces)
    return _is_tidy(joined) and _EMPHASIS_CHARS.search(joined) is None


def _is_tidy(text: str) -> bool:
    """Text in which whitespace is already as a browser shows it: single spaces, none at the ends."""
    return (bool(text) and text[0] != " " and text[-1] != " " and "  " not in text
            and (text.isprintable() or _UNTIDY_SPACE.search(text) is None))  # \t\n\r\f: unprintable


def _flatten(nodes: list[Inline], breaks: bool, language: str = "") -> list[_Token]:
    """The inline tree as a token list in which spans are ``_Open``/``_Close`` pairs.

    Dropped, keeping their content: a span inside one of its own kind (bold in bold, a link in a
    link), superscript and subscript (see :func:`_scripted`), empty code. Without ``breaks`` a
    line break is a space. A link without visible text shows a short label instead
    (:func:`converter.labels.link_label`: its host), not its raw URL.
    """
    out: list[_Token] = []
    last = ""  # the last character written so far ("" after code, an image or a line break)
    open_kinds: set[type] = set()
    stack: list[Any] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, _Close):
            open_kinds.discard(type(node.span.node))
            out.append(node)
        elif isinstance(node, Text):
            out.append(node.text)
            last = node.text[-1:] or last
        elif isinstance(node, LineBreak):
            out.append(node if breaks else " ")
            last = "" if breaks else " "
        elif isinstance(node, (Code, Image)):
            if isinstance(node, Image) or node.text:  # empty code would show bare backticks
                out.append(node)
                last = ""
        elif isinstance(node, (Superscript, Subscript)):
            stack.extend(reversed(_scripted(node, last)))
        elif type(node) in open_kinds or (isinstance(node, Link) and not node.url and _is_blank(node.content)):
            stack.extend(reversed(node.content))
        elif not isinstance(node, (Strong, Emphasis, Strikeout, Link)):
            out.append(node)  # no node of the AST: left for the writer's dispatch to refuse
        else:
            content = node.content
            if isinstance(node, Link) and _is_blank(content):
                content = [Text(link_label(node.url, language))]
            span = _Span(node)
            out.append(_Open(span))
            open_kinds.add(type(node))
            stack.append(_Close(span))
            stack.extend(reversed(content))
    return out


def _scripted(node: Superscript | Subscript, before: str) -> list[Inline]:
    """The content of a superscript or subscript as CommonMark can show it: it has no syntax
    for them (pandoc's ``^…^`` is not CommonMark), and raw ``<sup>`` would be the one piece
    of raw HTML in the output (see SECURITY.md). So the rule of plain text applies
    (:func:`converter.chars.scripted`): Unicode superscript digits, else ``^(…)`` where a
    number would run on from the word before, else the content as it is."""
    superscript = isinstance(node, Superscript)
    plain = plain_text(node.content)
    shown = scripted(plain, before, superscript=superscript)
    if shown == plain:
        return node.content
    if shown.startswith(("^(", "_(")):
        return [Text(shown[:2]), *node.content, Text(")")]
    return _map_texts(node.content, lambda text: scripted(text, "", superscript=superscript))


def _map_texts(nodes: list[Inline], change: Callable[[str], str]) -> list[Inline]:
    """A copy of ``nodes`` with ``change`` applied to the text of every ``Text`` in them."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(Text(change(node.text)))
        elif isinstance(node, (Strong, Emphasis, Strikeout, Superscript, Subscript, Link)):
            out.append(dataclasses.replace(node, content=_map_texts(node.content, change)))
        else:
            out.append(node)
    return out


def _is_blank(nodes: list[Inline]) -> bool:
    """No text and no image: a link like this would be invisible."""
    return not plain_text(nodes).strip() and not any(
        isinstance(n, Image) for n in walk(nodes))  # type: ignore[arg-type]


def _collapse_whitespace(tokens: list[_Token]) -> list[_Token]:
    """Whitespace as HTML displays it: each run one space, none at the edges of the paragraph
    or of a line, none for a line break between CJK characters; breaks only between content."""
    out: list[_Token] = []
    gap: int | None = None   # index in ``out`` of the "" standing for a pending whitespace run
    newline = False          # whether that run holds a line break
    prev: str | None = None  # last visible character, "" after code or an image, None at line start
    for tok in tokens:
        pieces = [p for p in _SPACE_RUN.split(tok) if p] if isinstance(tok, str) else [tok]
        for piece in pieces:
            if isinstance(piece, (_Open, _Close)):
                out.append(piece)
            elif isinstance(piece, str) and piece[0] in _HTML_SPACE:
                if gap is None:
                    gap, newline = len(out), False
                    out.append("")
                newline = newline or "\n" in piece
            elif isinstance(piece, LineBreak):
                out.append(piece)
                gap, prev = None, None
            else:
                first = piece[0] if isinstance(piece, str) else ""
                if gap is not None and prev is not None and not (
                        newline and joins_without_space(prev, first)):
                    out[gap] = " "
                out.append(piece)
                gap, prev = None, piece[-1] if isinstance(piece, str) else ""
    if not any(isinstance(t, LineBreak) for t in out):
        return out
    # Parsers also trim NBSP and the like off a paragraph, which would leave a break at its end.
    visible = [k for k, t in enumerate(out) if not isinstance(t, (_Open, _Close, LineBreak))
               and not (isinstance(t, str) and all(map(_is_space, t)))]
    return [t for k, t in enumerate(out)
            if not isinstance(t, LineBreak) or (visible and visible[0] < k < visible[-1])]


def _merge_text(tokens: list[_Token]) -> list[_Token]:
    """Adjacent texts joined, empty ones dropped; adjacent code joined too, as the fences of two
    code spans side by side would run together."""
    out: list[_Token] = []
    for is_text, group in itertools.groupby(tokens, key=lambda tok: isinstance(tok, str)):
        if is_text:
            text = "".join(group)  # type: ignore[arg-type]
            if text:
                out.append(text)
            continue
        for tok in group:
            if isinstance(tok, Code) and out and isinstance(out[-1], Code):
                out[-1] = Code(out[-1].text + tok.text)
            else:
                out.append(tok)
    return out


def _unflatten(tokens: list[_Token]) -> list[Inline]:
    """The inline tree back from a token list."""
    root: list[Inline] = []
    stack = [root]
    for tok in tokens:
        if isinstance(tok, _Open):
            node = dataclasses.replace(tok.span.node, content=[])
            stack[-1].append(node)
            stack.append(node.content)
        elif isinstance(tok, _Close):
            stack.pop()
        else:
            stack[-1].append(Text(tok) if isinstance(tok, str) else tok)
    return root


# ---------------------------------------------------------------------------- emphasis repair


def _repair_emphasis(tokens: list[_Token]) -> list[_Token]:
    """``tokens`` rewritten until every emphasis delimiter run parses as written.

    CommonMark pairs our delimiters as intended when no span nests in one of its own kind (see
    :func:`_flatten`), stray ``*`` and ``~`` are escaped, each run only opens or only closes and
    is flanking on that side, and no lone opener could close a ``***`` run around it (see
    :func:`_closes_merged_run`; otherwise the "multiple of 3" rule keeps openers from closing).
    Each step drops a span or moves text, an atom or a span boundary outwards, so this ends.
    """
    while True:
        _repair_runs(tokens)
        bad = _closes_merged_run(tokens)
        if bad is None:
            return tokens
        _drop_span(tokens, bad)


def _delimiter(tok: _Token) -> str:
    return tok.span.delimiter[:1] if isinstance(tok, (_Open, _Close)) else ""


def _edge(tokens: list[_Token], k: int, last: bool) -> str:
    """The first (or last) character ``tokens[k]`` is written as; a space off either end."""
    if not 0 <= k < len(tokens):
        return " "
    tok = tokens[k]
    if isinstance(tok, str):
        return tok[-1] if last else tok[0]
    if isinstance(tok, (_Open, _Close)):
        if tok.span.delimiter:
            return tok.span.delimiter[0]
        return "[" if isinstance(tok, _Open) else ")" if last else "]"
    if isinstance(tok, LineBreak):
        return "\n" if last else "\\"
    return "`" if isinstance(tok, Code) else ")" if last else "!"


def _find(tokens: list[_Token], kind: type[_Open | _Close], span: _Span, start: int,
          step: int = 1) -> int:
    """Index of ``span``'s open or close, searching from ``start`` in direction ``step``."""
    k = start
    while not (isinstance(tokens[k], kind) and tokens[k].span is span):  # type: ignore[union-attr]
        k += step
    return k


def _drop_span(tokens: list[_Token], at: int) -> None:
    """Write the span opened at ``tokens[at]`` as plain content."""
    del tokens[_find(tokens, _Close, tokens[at].span, at + 1)]  # type: ignore[union-attr]
    del tokens[at]


def _repair_runs(tokens: list[_Token]) -> None:
    """Repair delimiter runs left to right, going back to the run before each change."""
    k = 0
    while k < len(tokens):
        char = _delimiter(tokens[k])
        end = k + 1
        while char and end < len(tokens) and _delimiter(tokens[end]) == char:
            end += 1
        changed = _repair_run(tokens, k, end) if char else None
        if changed is None:
            k = end
            continue
        k = max(changed - 1, 0)
        while k and _delimiter(tokens[k]) and _delimiter(tokens[k - 1]) == _delimiter(tokens[k]):
            k -= 1


def _repair_run(tokens: list[_Token], start: int, end: int) -> int | None:
    """Fix run ``tokens[start:end]`` if it would not parse as written; the first index changed."""
    for k in range(start, end - 1):
        first, second = tokens[k], tokens[k + 1]
        if isinstance(first, _Open) and isinstance(second, _Close):  # an empty span
            del tokens[k:k + 2]
            return k
        if isinstance(first, _Close) and isinstance(second, _Open):  # "**a***b*": glued runs
            if type(first.span.node) is type(second.span.node):  # side by side they are one
                tokens[_find(tokens, _Close, second.span, k + 2)] = _Close(first.span)
                del tokens[k:k + 2]
            else:
                _drop_span(tokens, k + 1)
            return k
    before, after = _edge(tokens, start - 1, last=True), _edge(tokens, end, last=False)
    if isinstance(tokens[start], _Open) and not _left_flanking(before, after):
        return _repair_opener(tokens, start, end)
    if isinstance(tokens[start], _Close) and not _right_flanking(before, after):
        return _repair_closer(tokens, start, end)
    return None


def _weak_prefix(text: str) -> int:
    """Length of the whitespace and punctuation that ``text`` starts with."""
    return next((i for i, c in enumerate(text) if not _is_weak(c)), len(text))


def _weak_suffix(text: str) -> int:
    """Where the whitespace and punctuation that ``text`` ends with begins."""
    return next((i for i in range(len(text), 0, -1) if not _is_weak(text[i - 1])), 0)


def _is_emphasis(tok: _Token, kind: type[_Open | _Close]) -> bool:
    return isinstance(tok, kind) and bool(tok.span.delimiter)


def _repair_opener(tokens: list[_Token], start: int, end: int) -> int:
    """Opening run ``tokens[start:end]`` is not left-flanking: move what follows it (past any
    further opening delimiters) out in front, or move the span into a link, or drop it."""
    stop = end
    while _is_emphasis(tokens[stop], _Open):
        stop += 1
    nxt = tokens[stop]
    if isinstance(nxt, str) and _is_weak(nxt[0]):
        lead = _weak_prefix(nxt)
        tokens[stop:stop + 1] = [nxt[lead:]] if nxt[lead:] else []
        tokens.insert(start, nxt[:lead])
    elif isinstance(nxt, _ATOMS):
        del tokens[stop]
        tokens.insert(start, nxt)
    elif isinstance(nxt, _Open):  # a link
        last = _find(tokens, _Close, nxt.span, stop + 1)
        _split_around_link(tokens, stop - 1, stop, last)
    else:
        _drop_span(tokens, end - 1)
    return start


def _repair_closer(tokens: list[_Token], start: int, end: int) -> int:
    """Closing run ``tokens[start:end]`` is not right-flanking: the mirror of
    :func:`_repair_opener`."""
    stop = start - 1
    while _is_emphasis(tokens[stop], _Close):
        stop -= 1
    prv = tokens[stop]
    if isinstance(prv, str) and _is_weak(prv[-1]):
        keep = _weak_suffix(prv)
        tokens.insert(end, prv[keep:])
        tokens[stop:stop + 1] = [prv[:keep]] if keep else []
        return stop
    if isinstance(prv, _ATOMS):
        tokens.insert(end, prv)
        del tokens[stop]
        return stop
    if isinstance(prv, _Close):  # a link
        first = _find(tokens, _Open, prv.span, stop - 1, step=-1)
        parent = tokens[stop + 1].span  # type: ignore[union-attr]
        _split_around_link(tokens, _find(tokens, _Open, parent, first - 1, step=-1), first, stop)
        return first
    opening = _find(tokens, _Open, tokens[start].span, stop, step=-1)  # type: ignore[union-attr]
    _drop_span(tokens, opening)
    return opening


def _split_around_link(tokens: list[_Token], at: int, first: int, last: int) -> None:
    """Let the span opened at ``at`` stop before the link at ``first..last``, go on inside its
    text and resume after it: ``**[a](u)**`` becomes ``[**a**](u)``, delimiters by brackets."""
    span = tokens[at].span  # type: ignore[union-attr]
    inside, after = _Span(span.node), _Span(span.node)
    tokens[_find(tokens, _Close, span, last + 1)] = _Close(after)
    tokens[first:last + 1] = [_Close(span), tokens[first], _Open(inside), *tokens[first + 1:last],
                              _Close(inside), tokens[last], _Open(after)]


def _closes_merged_run(tokens: list[_Token]) -> int | None:
    """Index of a lone ``*``/``**`` opener that is right-flanking too, inside a span opened by
    a ``***`` run: CommonMark would close that run with it (``***a*b*c***``), as 1 + 3 and
    2 + 3 are not multiples of three. Around any other run the rule of three prevents this."""
    enclosing: list[bool] = []  # for each open "*" span: whether a *** run opened it
    for k, tok in enumerate(tokens):
        if _delimiter(tok) != "*":
            continue
        if isinstance(tok, _Close):
            enclosing.pop()
            continue
        merged = (k > 0 and _delimiter(tokens[k - 1]) == "*") or _delimiter(tokens[k + 1]) == "*"
        if (enclosing and enclosing[-1] and not merged
                and _right_flanking(_edge(tokens, k - 1, True), _edge(tokens, k + 1, False))):
            return k
        enclosing.append(merged)
    return None


# ---------------------------------------------------------------------------- blocks


_SPANS = (Strong, Emphasis, Strikeout, Superscript, Subscript, Link)


def _split_at_blank_lines(nodes: list[Inline]) -> list[list[Inline]]:
    """``nodes`` cut into paragraphs where two or more line breaks follow each other (with
    nothing but white space between them, in or out of a span: ``<b>title<br></b><br>``).

    Markdown cannot show an empty line inside a paragraph: each break would end a line with
    a backslash and leave lines holding nothing else. A span cut this way is closed before the
    cut and opened again after it. Without such a run, ``[nodes]`` itself.
    """
    if _fewer_than_two_breaks(nodes):  # most paragraphs: nothing to cut
        return [nodes]
    leaves: list[tuple[tuple[Inline, ...], Inline]] = []  # each leaf, with its spans outside in
    stack: list[tuple[tuple[Inline, ...], Inline]] = [((), node) for node in reversed(nodes)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _SPANS) and node.content and not (isinstance(node, Link) and _is_blank(node.content)):
            inner = (*path, node)  # a link showing no text is one leaf: it is shown by a label
            stack.extend((inner, child) for child in reversed(node.content))
        else:
            leaves.append((path, node))
    parts: list[list[tuple[tuple[Inline, ...], Inline]]] = [[]]
    k = 0
    while k < len(leaves):
        end = k
        while end < len(leaves) and _is_break_or_space(leaves[end][1]):
            end += 1
        if sum(isinstance(leaf, LineBreak) for _, leaf in leaves[k:end]) >= 2:
            parts.append([])
        else:
            parts[-1].extend(leaves[k:max(end, k + 1)])
        k = max(end, k + 1)
    if len(parts) == 1:
        return [nodes]
    return [_rebuild(part) for part in parts if part]


def _fewer_than_two_breaks(nodes: list[Inline]) -> bool:
    """Whether ``nodes`` hold at most one line break, at any depth: then no run of two can
    cut them (counted without building the leaves)."""
    breaks = 0
    stack: list[Any] = list(nodes)
    while stack:
        node = stack.pop()
        if type(node) is LineBreak:
            breaks += 1
            if breaks > 1:
                return False
        elif type(node) is not Text:
            stack.extend(getattr(node, "content", ()))
    return True


def _is_break_or_space(node: Inline) -> bool:
    return isinstance(node, LineBreak) or (isinstance(node, Text) and not node.text.strip())


def _rebuild(leaves: list[tuple[tuple[Inline, ...], Inline]]) -> list[Inline]:
    """The inline tree of ``leaves``, each under copies of the spans of its path.

    A piece of a link that shows no text (``[**a**<br><br>`` ``]``: the part after the cut)
    is no link: the link is shown by its other pieces, and this one would get a label
    (:func:`_flatten`) that the document does not hold. Its content stays, unlinked.
    """
    root: list[Inline] = []
    spans: list[Inline] = []  # the spans open, from the outside in
    contents: list[list[Inline]] = [root]  # where the next node goes at each depth
    links: list[tuple[list[Inline], Link]] = []  # the copies of links, with where each went
    for path, leaf in leaves:
        same = 0
        while same < min(len(spans), len(path)) and spans[same] is path[same]:
            same += 1
        del spans[same:], contents[same + 1:]
        for span in path[same:]:
            copy = dataclasses.replace(span, content=[])  # type: ignore[arg-type]
            contents[-1].append(copy)
            spans.append(span)
            contents.append(copy.content)  # type: ignore[union-attr]
            if isinstance(copy, Link):
                links.append((contents[-2], copy))
        contents[-1].append(leaf)
    for parent, link in reversed(links):  # the innermost first
        if _is_blank(link.content):
            at = next(k for k, node in enumerate(parent) if node is link)
            parent[at:at + 1] = link.content
    return root


def _splice_divs(blocks: list[Block]) -> Iterator[Block]:
    """``blocks`` with every Div replaced by its content: Markdown has no generic container."""
    return spliced(blocks, Div)


def _list_item(marker: str, body: str) -> str:
    """``body`` after ``marker``, later lines indented to the item's content column. An item
    whose first line would make a thematic break with the marker (``- ---``) starts below it."""
    if not body:
        return marker
    pad = " " * (len(marker) + 1)
    lines = body.split("\n")
    head = f"{marker} {lines[0]}"
    if _THEMATIC_BREAK.fullmatch(head):
        head, lines = marker, ["", *lines]
    return "\n".join([head, *(pad + line if line else "" for line in lines[1:])])


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, tuple, dict, set)) and not value)


def _dumper() -> Any:
    """libyaml's emitter when PyYAML has it: the same output, several times faster. (PyYAML is
    imported only for front matter that :func:`converter.simple_yaml.dump` cannot write.)"""
    import yaml

    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)


#: A line width no value reaches, so long values are never folded.
_NO_FOLDING = 2**31 - 1


def _front_matter(meta: Meta) -> str:
    """YAML front matter holding the non-empty metadata ("" when there is none); ``extra``
    keys follow, unless they would replace a standard field."""
    standard = {"title": meta.title, "url": meta.url, "published": format_datetime(meta.published),
                "author": meta.author, "site": meta.site, "language": meta.language,
                "tags": list(meta.tags)}
    data = {key: value for key, value in standard.items() if not _is_empty(value)}
    data.update((k, v) for k, v in meta.extra.items() if k not in data and not _is_empty(v))
    if not data:
        return ""
    dump = simple_yaml.dump(data)
    if dump is None:
        import yaml

        dump = yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=False, default_flow_style=False,
                         width=_NO_FOLDING)
    return f"---\n{dump}---"


# ---------------------------------------------------------------------------- writer


class MarkdownWriter(Writer):
    """AST to CommonMark + GFM tables/strikethrough that reads back as the same text.

    One method per node type; Superscript and Subscript (no syntax) are written as their text
    (:func:`_scripted`) and a Div as its blocks, both unwrapped before rendering. The words
    it adds (a link's label) follow the document's language, so one instance must not render
    two documents at the same time.
    """

    name = "markdown"
    aliases = ("md",)
    extension = "md"
    description = "CommonMark Markdown with GFM tables and YAML front matter"

    def __init__(self, *, front_matter: bool = True, extract_media: str | None = None, offline: bool = False,
                 cache_dir: str | None = None, allow_private_hosts: bool = False) -> None:
        self.front_matter = front_matter
        self.extract_media, self.offline, self.cache_dir = extract_media, offline, cache_dir
        self.allow_private_hosts = allow_private_hosts
        self._media: dict[str, str] = {}  # image URL -> the path of its file in extract_media
        self._language = ""  # of the document being written
        self._in_link = False  # whether a link's text is being written

    def write(self, doc: Document) -> str:
        """The Markdown text. With ``extract_media``, the document's images are downloaded into
        that folder (as pandoc's ``--extract-media`` does; the one thing this writer writes) and
        the text refers to them there; an image that cannot be had stays a remote one."""
        self._media = self._extract(doc) if self.extract_media is not None else {}
        self._language = doc.meta.language
        parts = [_front_matter(doc.meta) if self.front_matter else "",
                 self.block_Heading(Heading(1, [Text(doc.meta.title)])),
                 self._blocks(doc.blocks)]
        return "\n\n".join(part for part in parts if part) + "\n"

    def fetches(self, doc: Document) -> bool:
        if self.extract_media is None:
            return False
        from ..images import fetches_images

        return fetches_images(doc.blocks, offline=self.offline)

    def _extract(self, doc: Document) -> dict[str, str]:
        """Each image of ``doc`` that could be had, saved in ``extract_media`` under a name
        made of its URL's hash (so the notes of a folder share one copy), by URL."""
        import hashlib
        import os

        from ..errors import OutputError
        from ..files import write_atomic
        from ..images import document_images

        folder = self.extract_media or "."
        found = document_images(doc.blocks, offline=self.offline, cache_dir=self.cache_dir,
                                allow_private_hosts=self.allow_private_hosts)
        paths = {}
        for url, image in found.items():
            name = f"{hashlib.sha256(url.encode('utf-8', 'surrogatepass')).hexdigest()[:24]}.{image.extension}"
            path = os.path.join(folder, name)
            if not os.path.isfile(path) or os.path.getsize(path) != len(image.data):
                try:
                    os.makedirs(folder, exist_ok=True)
                except OSError as exc:
                    reason = exc.strerror or exc
                    raise OutputError(f"cannot make the --extract-media folder ({reason})", folder) from None
                write_atomic(path, image.data)
            paths[url] = path.replace(os.sep, "/")
        return paths

    # ------------------------------------------------------------------------ blocks

    def _blocks(self, blocks: list[Block]) -> str:
        """Blocks separated by blank lines. A list right after a list of the same kind switches
        marker, or CommonMark would read the two as one."""
        parts: list[str] = []
        previous: type | None = None
        alternate = False
        for node in _splice_divs(blocks):
            is_list = isinstance(node, (BulletList, OrderedList))
            switch = is_list and type(node) is previous and not alternate
            text = self._block_methods[type(node)](self, node, alternate=True) if switch else self.block(node)
            if text:
                parts.append(text)
                previous, alternate = type(node), switch
        return "\n\n".join(parts)

    def block_Paragraph(self, node: Paragraph) -> str:
        """The paragraph, or several where two line breaks in a row would leave a line holding
        only a backslash (see :func:`_split_at_blank_lines`)."""
        parts = [self._paragraph(part) for part in _split_at_blank_lines(node.content)]
        return "\n\n".join(part for part in parts if part)

    def _paragraph(self, content: list[Inline]) -> str:
        text = self._block_inlines(_prepare(content, breaks=True, language=self._language))
        return "\n".join(map(escape_line_start, text.split("\n")))

    def block_Heading(self, node: Heading) -> str:
        """ATX heading on one line (line breaks become spaces); level clamped to 1..6."""
        text = _escape_closing_hashes(
            self._block_inlines(_prepare(node.content, breaks=False, language=self._language)))
        return f"{'#' * min(max(node.level, 1), 6)} {text}" if text else ""

    def block_Figure(self, node: Figure) -> str:
        """The image on its own line, then the caption paragraph.

        The caption is shown once: when the image's alt text says no more than the caption
        (it is empty, equal to it or part of it), the alt text is left empty, as WCAG advises
        for an image whose caption describes it. GitHub, Obsidian and most renderers then show
        the picture and the caption under it, screen readers read the caption once, and the
        Markdown source does not hold the caption twice. An alt text that says something else
        is kept.
        """
        caption_text = "".join(plain_text(node.caption).split())
        alt = _collapse(node.image.alt)
        if caption_text and "".join(alt.split()) in caption_text:  # white space aside
            alt = ""
        image = self.inline_Image(dataclasses.replace(node.image, alt=alt))
        caption = self.block_Paragraph(Paragraph(node.caption))
        return f"{image}\n\n{caption}" if caption else image

    def block_BulletList(self, node: BulletList, alternate: bool = False) -> str:
        """``-`` items, or ``*`` for a list right after another one."""
        return self._items(["*" if alternate else "-"] * len(node.items), node.items)

    def block_OrderedList(self, node: OrderedList, alternate: bool = False) -> str:
        """Items numbered ``1.`` from ``start`` (``1)`` for a list right after another one);
        CommonMark allows numbers of up to nine digits."""
        start = min(max(node.start, 0), 10**9 - len(node.items))
        delimiter = ")" if alternate else "."
        return self._items([f"{start + k}{delimiter}" for k in range(len(node.items))], node.items)

    def _items(self, markers: list[str], items: list[list[Block]]) -> str:
        """List items; blank lines between them when one holds a blank line (a loose list)."""
        rendered = [_list_item(marker, self._blocks(item))
                    for marker, item in zip(markers, items, strict=True)]
        return ("\n\n" if any("\n\n" in item for item in rendered) else "\n").join(rendered)

    def block_BlockQuote(self, node: BlockQuote) -> str:
        body = self._blocks(node.content)
        return "\n".join(f"> {line}" if line else ">" for line in body.split("\n")) if body else ""

    def block_CodeBlock(self, node: CodeBlock) -> str:
        """Fenced with more backticks than any run inside; the info string is the language."""
        fence = "`" * max(3, max(map(len, re.findall("`+", node.text)), default=0) + 1)
        info = "".join(node.language.split()[:1]).replace("`", "")
        body = node.text if node.text.endswith("\n") or not node.text else node.text + "\n"
        return f"{fence}{info}\n{body}{fence}"

    def block_HorizontalRule(self, node: HorizontalRule) -> str:
        return "---"  # blocks are joined by blank lines, so never a setext underline

    def block_Table(self, node: Table) -> str:
        """A GFM pipe table laid out by :func:`~converter.writers.tables.layout`, then the
        caption paragraph. GFM has no spans: a spanning cell fills its first slot and leaves
        the others empty. Without head rows the header row is empty, so that every body row
        stays a body row. A ``linear`` table is a paragraph per row (a Markdown renderer would
        pad every row of a pipe table to its width)."""
        from .tables import PlacedCell, layout, row_inlines  # most items have no table: not at start-up

        table = layout(node)
        caption = self.block_Paragraph(Paragraph(node.caption))
        if table.linear:
            rows = [self.block_Paragraph(Paragraph(row_inlines(row))) for row in table.rows]
            return "\n\n".join(part for part in [*rows, caption] if part)
        if not table.width:
            return caption
        grid = [[self._cell(slot.cell) if isinstance(slot, PlacedCell) else "" for slot in slots]
                for slots in table.grid()]
        header, body = (grid[0], grid[1:]) if table.head else ([""] * table.width, grid)
        lines = [_table_row(header), _table_row(["---"] * table.width), *map(_table_row, body)]
        return "\n".join(lines) + (f"\n\n{caption}" if caption else "")

    def _cell(self, cell: TableCell) -> str:
        """Cell content on one line with every ``|`` escaped: GFM splits cells before it parses
        inlines, even inside code spans and link destinations."""
        content = _prepare(cell.content, breaks=False, language=self._language)
        return self._block_inlines(content).replace("|", "\\|")

    # ------------------------------------------------------------------------ inlines

    def _block_inlines(self, nodes: list[Inline]) -> str:
        """The inlines of a block: at its top level, followed by nothing."""
        return self._inlines(nodes, _Context(top_level=True, follower=""))

    def _inlines(self, nodes: list[Inline], context: _Context = _UNKNOWN) -> str:
        """``nodes`` in a row; each text is escaped knowing what is written right after it."""
        parts: list[str] = []
        last = len(nodes) - 1
        for k, node in enumerate(nodes):
            if isinstance(node, Link) and parts and parts[-1].endswith("!"):
                parts[-1] = parts[-1][:-1] + "\\!"  # "![" would make the link an image
            if isinstance(node, Text):
                follower = _first_char(nodes[k + 1]) if k < last else context.follower
                parts.append(escape_text(node.text, _Context(self._in_link, context.top_level, follower)))
            else:
                parts.append(self.inline(node))
        return "".join(parts)

    def inline_Text(self, node: Text) -> str:
        return escape_text(node.text, _LINK_TEXT if self._in_link else _UNKNOWN)

    def inline_Strong(self, node: Strong) -> str:
        return f"**{self._inlines(node.content, _Context(follower='*'))}**"

    def inline_Emphasis(self, node: Emphasis) -> str:
        return f"*{self._inlines(node.content, _Context(follower='*'))}*"  # "_" would not work inside a (CJK) word

    def inline_Strikeout(self, node: Strikeout) -> str:
        return f"~~{self._inlines(node.content, _Context(follower='~'))}~~"

    def inline_Code(self, node: Code) -> str:
        return _code_span(node.text)

    def inline_Link(self, node: Link) -> str:
        target = _link_destination(node.url) + _link_title(node.title)
        self._in_link = True
        try:
            return f"[{self._inlines(node.content, _Context(follower=']'))}]({target})"
        finally:
            self._in_link = False

    def inline_Image(self, node: Image) -> str:
        target = _link_destination(self._media.get(node.url, node.url)) + _link_title(node.title)
        return f"![{escape_text(_collapse(node.alt), _LINK_TEXT)}]({target})"

    def inline_LineBreak(self, node: LineBreak) -> str:
        return "\\\n"
