"""Count CJK-text faults in the converter's Markdown, plain-text and JSON outputs.

Usage::

    python benchmarks/cjk_report.py [CORPUS_DIR] [--width 80] [--show N]

``CORPUS_DIR`` defaults to ``../shared/corpus/feeds`` (beside the project). The converter
measured is the one ``import converter`` finds: to measure another checkout, put it first on
``PYTHONPATH`` (``PYTHONPATH=/path/to/other/checkout python benchmarks/cjk_report.py``).
Each document is converted in this process (``parse``, then ``render`` to ``markdown``,
``text`` with the given width, and ``json``); the counts are worked out from the outputs and
the source alone, with rules of this script's own, so that they do not share the converter's
mistakes.

What is counted (documents, and places in brackets):

* ``cjk space``: a space between two CJK characters (ideographs, kana, CJK and full-width
  punctuation) in the text a reader sees (Markdown rendered by markdown-it, the plain text,
  the JSON's inline text), where the source does not separate them. The source separates
  two characters when its text has white space between them without a line break (a written
  space, ``&nbsp;``, U+3000) or a block boundary; a line break between two CJK characters
  is no space (CSS Text's segment break transformation, as browsers show it). The context of
  up to three characters each side must be found in the source with a separator between.
* ``long line``: a plain-text line wider than the width (East Asian Wide and Fullwidth count
  two columns) that is not a single unbreakable token: it holds a space after its
  indentation, two ideographs or kana side by side, or an ideograph next to a Latin letter.
* ``bracket escape``: a ``\\[`` whose ``]`` is not followed by ``(``, ``[`` or ``:`` (so no
  link could form), or a ``\\]`` with no ``[`` open before it in its paragraph.
* ``lone backslash``: a Markdown line holding only ``\\`` (a hard break with nothing after it).
* ``caption twice``: an image whose alt text is held again by the paragraph right after it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import lxml.html
from lxml import etree
from markdown_it import MarkdownIt

import converter

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"

# ---------------------------------------------------------------------------- characters

#: Ideographs and kana (the letters of the scripts written without spaces between words).
_LETTERS = ("\u3040-\u30ff\u3100-\u312f\u31a0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
            "\U00020000-\U0003ffff")
#: Letters, and the punctuation written with them (CJK and full-width), U+3000 left out.
_CJK = _LETTERS + "\u3001-\u303f\uff01-\uff60\uffe0-\uffee"
CJK_SPACE = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")
TWO_LETTERS = re.compile(f"[{_LETTERS}][{_LETTERS}]")
LETTER_BY_LATIN = re.compile(f"[{_LETTERS}][A-Za-z]|[A-Za-z][{_LETTERS}]")
# the source's white space: HTML's, the no-break space, U+3000
_SOURCE_SPACE = re.compile("[ \t\r\n\f\xa0\u3000\u200b\ufeff]*\x00[ \t\r\n\f\xa0\u3000\u200b\ufeff\x00]*"
                           "|[ \t\r\n\f\xa0\u3000\u200b\ufeff]+")
_IS_CJK = re.compile(f"[{_CJK}]")


def display_width(line: str) -> int:
    width = 0
    for ch in line:
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


# ---------------------------------------------------------------------------- the source's text

BLOCKS = frozenset([
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dir",
    "div", "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "iframe", "img", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "video", "audio"])
SKIPPED = frozenset(["script", "style", "noscript", "template", "head", "title"])


def _front_matter_split(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5:]
    return text


def source_text(raw: str) -> str:
    """The source's text with its white space as a reader sees it: a run of white space that
    holds a block boundary or no line break is one space, one that holds a line break is
    nothing between two CJK characters and a space elsewhere."""
    pieces: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag and tag not in SKIPPED:
            block = tag in BLOCKS
            if block:
                pieces.append("\x00")
            pieces.append(el.text or "")
            for child in el:
                walk(child)
            if block:
                pieces.append("\x00")
        pieces.append(el.tail or "")

    body = _front_matter_split(raw)
    if len(body) < len(raw):  # the front matter's values: the author, the title
        pieces.append(raw[:len(raw) - len(body)].replace("\n", "\x00"))
    if body.strip():
        root = lxml.html.document_fromstring(body)
        walk(root)
        for el in root.iter("img"):  # alt texts and titles: captions
            pieces += ["\x00", el.get("alt") or "", "\x00", el.get("title") or "", "\x00"]
    text = "".join(pieces)

    def space(match: re.Match[str]) -> str:
        run = match.group()
        start, end = match.span()
        if "\x00" in run or ("\n" not in run and "\r" not in run):
            return " "
        if start and end < len(text) and _IS_CJK.match(text[start - 1]) and _IS_CJK.match(text[end]):
            return ""
        return " "

    return _SOURCE_SPACE.sub(space, text)


# ---------------------------------------------------------------------------- what a reader sees

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
INLINES = frozenset(["Text", "Strong", "Emphasis", "Strikeout", "Superscript", "Subscript", "Code",
                     "Link", "Image", "LineBreak"])


def markdown_seen(markdown: str) -> str:
    html = MD.render(_front_matter_split(markdown))
    return lxml.html.fromstring("<div>" + html + "</div>").text_content() if html.strip() else ""


def json_seen(data: str) -> str:
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            kind = node.get("type")
            block = kind not in INLINES
            if block:
                out.append("\n")
            if kind in ("Text", "Code") and isinstance(node.get("text"), str):
                out.append(node["text"])
            elif kind == "LineBreak":
                out.append("\n")
            for key, value in node.items():
                if key != "meta" and isinstance(value, (list, dict)):
                    walk(value)
            if block:
                out.append("\n")

    walk(json.loads(data).get("blocks", []))
    return "".join(out)


# ---------------------------------------------------------------------------- the counts


_SEEN_SPACE = re.compile("[ \xa0\u3000]+")
#: The CJK characters right before a point (at most three), and right after one.
_LEFT = re.compile(f"[{_CJK}]*$")
_RIGHT = re.compile(f"[{_CJK}]*")


def cjk_spaces(seen: str, source: str) -> list[str]:
    """The places in ``seen`` with a space between two CJK characters the source does not
    separate, each as its context: up to three CJK characters each side, or two (a label the
    writer added may stand before), found in the source with a space between."""
    found = []
    seen = _SEEN_SPACE.sub(" ", seen)  # as in the source's text: every space one
    for match in CJK_SPACE.finditer(seen):
        start, end = match.span()
        left = _LEFT.search(seen, max(0, start - 3), start).group()  # type: ignore[union-attr]
        right = _RIGHT.match(seen, end, end + 3).group()  # type: ignore[union-attr]
        if left + " " + right not in source and left[-2:] + " " + right[:2] not in source:
            found.append(left + "␠" + right)
    return found


#: What may stand before a URL on its line: a list marker or reference number ("•", "1.",
#: "[12]"), or a short label ending in a colon ("原文：", "Source:").
_LEAD = re.compile(r"(?:[-•*>]|\d+[.)]|\[\d+\]|[^\s:：]{1,12}[:：])\s*")


def long_lines(text: str, width: int, code: set[str]) -> list[str]:
    """Lines wider than ``width`` but one unbreakable token. A URL (no space, ``://``) is one
    token, whatever it holds, and one wider than the line by itself may keep its marker or
    label ("[3] https://…", "原文：https://…": no break would bring the line within the width);
    a line of a code block (``code``: their lines, stripped) is written as it is, since a
    folded line would be other code."""
    found = []
    for line in text.splitlines():
        if display_width(line) <= width:
            continue
        body = line.strip()
        if body in code or _one_url(body) or _one_url(_LEAD.sub("", body, count=1), width):
            continue
        if " " in body or TWO_LETTERS.search(body) or LETTER_BY_LATIN.search(body):
            found.append(line)
    return found


def _one_url(text: str, wider_than: int = 0) -> bool:
    """Whether ``text`` is one URL (no space, ``://``) at least ``wider_than`` columns wide."""
    return " " not in text and "://" in text and display_width(text) >= wider_than


def code_lines(data: str) -> set[str]:
    lines: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("type") == "CodeBlock" and isinstance(node.get("text"), str):
                lines.update(line.strip() for line in node["text"].splitlines())
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)

    walk(json.loads(data).get("blocks", []))
    return lines


def bracket_escapes(markdown: str) -> list[str]:
    found = []
    for paragraph in re.split(r"\n[ \t]*\n", _front_matter_split(markdown)):
        if paragraph.lstrip().startswith(("```", "    ")):
            continue
        depth = 0  # unescaped [ open before this point
        k = 0
        while k < len(paragraph):
            ch = paragraph[k]
            if ch == "\\" and k + 1 < len(paragraph):
                nxt = paragraph[k + 1]
                if nxt == "[":
                    close = paragraph.find("]", k + 2)
                    if close == -1 or paragraph[close + 1:close + 2] not in ("(", "[", ":"):
                        found.append(paragraph[max(0, k - 10):k + 20])
                elif nxt == "]" and depth == 0:
                    found.append(paragraph[max(0, k - 20):k + 10])
                k += 2
                continue
            if ch == "[":
                depth += 1
            elif ch == "]" and depth:
                depth -= 1
            k += 1
    return found


def lone_backslashes(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.strip() == "\\"]


_IMAGE = re.compile(r"!\[((?:[^\]\\]|\\.)*)\]\([^)\s]*\)")
_MARKS = re.compile(r"[\s\\*_]")


def captions_twice(markdown: str) -> list[str]:
    """Images whose alt text is (at least half of) the next paragraph: a caption shown twice."""
    lines = markdown.splitlines()
    found = []
    for k, line in enumerate(lines):
        match = _IMAGE.search(line)
        if not match:
            continue
        alt = _MARKS.sub("", match.group(1))
        if len(alt) < 2:
            continue
        following = next((lines[j] for j in range(k + 1, min(k + 4, len(lines))) if lines[j].strip()), "")
        for near in (line[match.end():], following):
            text = _MARKS.sub("", _IMAGE.sub("", near))
            if alt in text and 2 * len(alt) >= len(text):
                found.append(match.group(1)[:40])
                break
    return found


METRICS = ("cjk space md", "cjk space txt", "cjk space json", "long line txt",
           "bracket escape md", "lone backslash md", "caption twice md")


def measure(path: Path, width: int) -> dict[str, list[str]]:
    raw_bytes = path.read_bytes()
    raw = raw_bytes.decode("utf-8", errors="replace")
    source = source_text(raw)
    doc = converter.parse(raw_bytes, path=str(path))
    markdown = str(converter.render(doc, "markdown"))
    text = str(converter.render(doc, "text", width=width))
    data = str(converter.render(doc, "json"))
    return {
        "cjk space md": cjk_spaces(markdown_seen(markdown), source),
        "cjk space txt": cjk_spaces(text, source),
        "cjk space json": cjk_spaces(json_seen(data), source),
        "long line txt": long_lines(text, width, code_lines(data)),
        "bracket escape md": bracket_escapes(markdown),
        "lone backslash md": lone_backslashes(markdown),
        "caption twice md": captions_twice(markdown),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--width", type=int, default=80)
    parser.add_argument("--show", type=int, default=0, help="print up to N places per metric")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args()
    files = sorted(p for p in args.corpus.iterdir() if p.suffix in (".md", ".txt"))
    if not files:
        print(f"no documents in {args.corpus}", file=sys.stderr)
        return 1
    docs: dict[str, int] = defaultdict(int)
    places: dict[str, int] = defaultdict(int)
    examples: dict[str, list[str]] = defaultdict(list)
    for path in files:
        for metric, found in measure(path, args.width).items():
            if found:
                docs[metric] += 1
                places[metric] += len(found)
                examples[metric] += [f"{path.name}: {item}" for item in found]
    counts = {m: {"documents": docs[m], "places": places[m]} for m in METRICS}
    if args.json:
        print(json.dumps({"converter": converter.__file__, "documents": len(files), "counts": counts}))
    else:
        print(f"{len(files)} documents, converter from {Path(converter.__file__).parent}")
        print("| metric | documents | places |\n|---|---:|---:|")
        for m in METRICS:
            print(f"| {m} | {docs[m]} | {places[m]} |")
    for m in METRICS:
        for line in examples[m][:args.show]:
            print(f"{m}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
