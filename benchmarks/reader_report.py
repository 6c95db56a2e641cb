#!/usr/bin/env python3
"""What a reader would still delete or miss: patterns counted in the outputs of a corpus.

usage: reader_report.py [CORPUS] [--cmd 'convert {src} --to {fmt} -o {dst}' [--cmd ...]]
                        [--out DIR] [--width 80] [--json FILE] [--show PATTERN]
       reader_report.py [CORPUS] --rules [--audit FILE]

Converts every document of CORPUS (default ``../shared/corpus/feeds``) to md, txt and json,
with each ``--cmd`` in turn (``{src}`` is the corpus folder, ``{dst}`` the output folder of
format ``{fmt}``), or, without ``--cmd``, through this checkout's library. Then counts, per
pattern, the documents whose output shows it, and prints one column per command: the first
is "before", the last "after". ``--show PATTERN`` lists the documents flagged by the last
command, with the evidence. ``--rules`` instead counts how often each cleaning rule of this
checkout fires, and ``--audit FILE`` writes what each firing took, to be read.

With two commands or more, "text lost" counts the documents whose first output has words
the last one lacks and that no firing of this checkout's rules took (``--show text_lost``
lists them): the article text a change lost, which recall cannot tell from junk removed.

Recall and precision (``corpus_report.py``) cannot see these: the junk is real text of the
source. Each detector is a small function with a docstring saying what it looks for; they are
a ruler, so each is written to be exact about what it flags rather than clever. Patterns of
the reader are read from the JSON output (Markdown and text are rendered from the same AST);
URLs from the Markdown; patterns of the writers from Markdown and text. File names are
``sNN-<hash>.<ext>``: ``sNN`` names the publisher, for the byline table.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import functools
import itertools
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import lxml.html
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"
FORMATS = ("md", "txt", "json")

# ---------------------------------------------------------------------------- sources


@dataclass
class Source:
    """One corpus document as written: front matter, header and body HTML, and facts of it."""

    name: str
    publisher: str
    front_matter: dict[str, Any]
    url: str
    published: dt.datetime | None
    body: str
    root: Any  # lxml element of the body
    text: str = ""  # visible text, white space as the reader should see it (see _visible)
    paragraphs: set[str] = field(default_factory=set)  # texts of <p> outside figures, 20+ chars
    raw: str = ""  # the whole document as read


_HEADER = re.compile(r"<!--\s*(\d{10,13})\s*-->\s*\n\s*\[(.*)\]\((\S+?)\)\s*\n\s*[-=]{3,}[ \t]*\n")
_FEEDX = re.compile(r"(?:\s|<br\s*/?>|<hr\s*/?>|<div>)*获取更多\s*RSS[：:].*$", re.DOTALL)
_NON_CONTENT = ("script", "style", "noscript", "template", "svg", "head", "title", "meta", "link", "button",
                "input", "select", "textarea", "iframe", "video", "audio", "object", "embed", "form")
_BLOCKS = ("p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "table",
           "tr", "td", "th", "caption", "figure", "figcaption", "blockquote", "section", "article", "header",
           "footer", "aside", "nav", "hr", "pre", "address", "details", "summary", "main")


def read_source(path: Path) -> Source:
    text = path.read_text(encoding="utf-8", errors="replace").lstrip("\ufeff")
    fm: dict[str, Any] = {}
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            try:
                loaded = yaml.safe_load(text[4:end])
                fm = loaded if isinstance(loaded, dict) else {}
            except yaml.YAMLError:
                fm = {}
            text = text[end + 5:]
    url, published, body = str(fm.get("from") or ""), None, text
    m = _HEADER.search(text[:4000])
    if m and not text[:m.start()].strip():
        stamp = int(m.group(1))
        published = dt.datetime.fromtimestamp(stamp / 1000 if len(m.group(1)) == 13 else stamp, dt.timezone.utc)
        url, body = m.group(3), text[m.end():]
    body = _FEEDX.sub("", body)
    root = lxml.html.fromstring("<div>" + body + "</div>") if body.strip() else lxml.html.fromstring("<div></div>")
    src = Source(path.name, path.name[:3], fm, url, published, body, root, raw=path.read_text(encoding="utf-8",
                                                                                            errors="replace"))
    src.text, src.paragraphs = _visible(root)
    return src


def _visible(root: Any) -> tuple[str, set[str]]:
    """The source's visible text, with CSS's white-space rules for CJK: a run of white space
    holding a line break between two CJK characters vanishes, any other run is one space; a
    block boundary is a line break. Alt and title texts are added, one per line."""
    import copy

    root = copy.deepcopy(root)
    extra = [v for el in root.iter("img") for v in (el.get("alt"), el.get("title")) if v]
    for el in list(root.iter(*_NON_CONTENT)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in root.iter(lxml.html.etree.Comment):
        el.text = ""
    paragraphs = set()
    for p in root.iter("p"):
        if not any(a.tag in ("figure", "figcaption") or "caption" in (a.get("class") or "")
                   for a in [p, *p.iterancestors()]) and next(p.iter("figure", "figcaption", "img"), None) is None:
            t = " ".join(p.text_content().split())
            if len(t) >= 20:
                paragraphs.add(t)
    for el in root.iter(*_BLOCKS):
        el.text = "\ue000" + (el.text or "")
        el.tail = "\ue000" + (el.tail or "")
    text = root.text_content()
    text = re.sub(r"[ \t\r\n\f\u00a0\u3000]*\n[ \t\r\n\f\u00a0\u3000]*", "\n", text)
    text = re.sub(r"(?<=" + CJK + r")\n(?=" + CJK + r")", "", text)
    text = re.sub(r"[ \t\n\f\r\u00a0\u3000]+", " ", text).replace("\ue000", "\n")
    return text + "\n" + "\n".join(extra), paragraphs


# ---------------------------------------------------------------------------- outputs


@dataclass
class Doc:
    """A source with its three outputs."""

    src: Source
    md: str
    txt: str
    data: dict[str, Any]

    @property
    def meta(self) -> dict[str, Any]:
        return self.data.get("meta") or {}

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self.data.get("blocks") or []


def convert_with(cmd: str, corpus: Path, out: Path) -> None:
    """Run ``cmd`` for each format into a fresh folder (a folder holding an earlier run would
    let an incremental converter skip every document)."""
    shutil.rmtree(out, ignore_errors=True)
    for fmt in FORMATS:
        dst = out / fmt
        dst.mkdir(parents=True, exist_ok=True)
        run = subprocess.run(cmd.format(src=shlex.quote(str(corpus)), fmt=fmt, dst=shlex.quote(str(dst))),
                             shell=True, capture_output=True, text=True, check=False)
        if run.returncode:
            sys.exit(f"{cmd!r} failed for {fmt}: {run.stderr[-500:]}")


def convert_with_library(corpus: Path, out: Path, width: int) -> None:
    shutil.rmtree(out, ignore_errors=True)
    sys.path.insert(0, str(ROOT))
    import converter

    for fmt in FORMATS:
        (out / fmt).mkdir(parents=True, exist_ok=True)
    for path in sorted(corpus.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            doc = converter.parse(path.read_bytes(), path=str(path))
            for fmt, options in (("md", {}), ("txt", {"width": width}), ("json", {})):
                data = converter.render(doc, fmt, **options)
                (out / fmt / (path.stem + "." + fmt)).write_text(data if isinstance(data, str) else data.decode())


def load_docs(sources: list[Source], out: Path) -> list[Doc]:
    docs = []
    for src in sources:
        stem = src.name.rsplit(".", 1)[0]
        md, txt, js = (out / fmt / f"{stem}.{fmt}" for fmt in FORMATS)
        docs.append(Doc(src, md.read_text(encoding="utf-8") if md.exists() else "",
                        txt.read_text(encoding="utf-8") if txt.exists() else "",
                        json.loads(js.read_text(encoding="utf-8")) if js.exists() else {}))
    return docs


# ---------------------------------------------------------------------------- AST helpers

CJK = r"[\u2e80-\u2fff\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]"


def plain(node: Any) -> str:
    """The text of a JSON AST node: texts, code, image alt; a line break is a newline."""
    out: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, list):
            for c in n:
                walk(c)
        elif isinstance(n, dict):
            kind = n.get("type")
            if kind in ("Text", "Code"):
                out.append(n.get("text", ""))
            elif kind == "LineBreak":
                out.append("\n")
            elif kind == "Image":
                out.append(n.get("alt", ""))
            elif kind == "Figure":
                walk(n.get("caption", []))
            else:
                for key in ("content", "items", "head", "body", "caption"):
                    if key in n:
                        walk(n[key])
    walk(node)
    return "".join(out)


def link_text(node: Any) -> str:
    """The text inside links of a node."""
    return "".join(plain(n["content"]) for n in nodes(node) if n.get("type") == "Link")


def nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict node under ``node``, itself included."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, list):
            stack.extend(reversed(n))
        elif isinstance(n, dict):
            yield n
            stack.extend(reversed([v for v in n.values() if isinstance(v, (list, dict))]))


def site_key(url: str) -> str:
    """The registered part of a URL's host: ``bbc.com`` for ``www.bbc.com``, ``cna.com.tw``."""
    try:
        host = (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""
    labels = host.split(".")
    n = 3 if len(labels) >= 3 and labels[-2] in ("com", "co", "org", "net", "gov", "edu", "ac") else 2
    return ".".join(labels[-n:])


def short(text: str) -> str:
    return " ".join(text.split())[:90]


# ---------------------------------------------------------------------------- detectors
#
# Each takes a Doc and returns the evidence (a short string) or "" when the pattern is absent.

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DATES = [  # (pattern, strptime format after normalisation)
    (re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d\d \w{3} \d{4} \d\d:\d\d:\d\d) GMT"), "%d %b %Y %H:%M:%S"),
    (re.compile(r"(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?Z?"), "%Y-%m-%d %H:%M"),
    (re.compile(r"(\d\d/\d\d/\d{4}) - (\d\d:\d\d)"), "%d/%m/%Y %H:%M"),
    (re.compile(rf"((?:{_MONTHS})\w* \d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})"), "%b %d %Y"),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), "%Y %m %d"),
    (re.compile(r"(\d{4}-\d\d-\d\d)"), "%Y-%m-%d"),
]


def parse_date(text: str) -> dt.datetime | None:
    """A date or time that is the whole of ``text`` (white space and emphasis aside)."""
    text = text.strip(" *_\u3000")
    for pattern, fmt in _DATES:
        m = pattern.fullmatch(text)
        if m:
            value = " ".join(m.groups())
            value = re.sub(r"^(\w{3})\w*", r"\1", value) if fmt.startswith("%b") else value
            try:
                return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.timezone.utc)
            except ValueError:
                return None
    return None


def first_blocks(doc: Doc, n: int = 3) -> list[dict[str, Any]]:
    return [b for b in doc.blocks if b.get("type") != "Figure"][:n]


def date_stamp(doc: Doc) -> str:
    """A line of one of the first blocks that is only a date near the publication time (a
    time within 36 hours, a date within 3 days, as a weekly's issue date; any date when
    there is none): the feed's stamp repeating metadata."""
    published = doc.src.published or _meta_time(doc.meta.get("published"))
    for block in first_blocks(doc):
        text = plain(block)
        if len(text) > 80:
            continue
        for line in text.split("\n"):
            when = parse_date(line)
            limit = 36 * 3600 if when and (when.hour or when.minute) else 4 * 86400
            if when and (published is None or abs((when - published).total_seconds()) <= limit):
                return short(line)
    return ""


def _meta_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


_RELATED_TITLE = re.compile(
    r"(?i)延伸閱讀|延伸阅读|相關新聞|相关新闻|相關報導|相关报道|推荐阅读|推薦閱讀|更多阅读|更多閱讀|相關閱讀|相关阅读"
    r"|^related\b|^read more\b|^more on this\b|^more from\b|^recommended\b")


def _is_link_block(block: dict[str, Any], site: str, own: str) -> bool:
    """A block whose text is 70 % or more link text, with a link to another page of the site."""
    text = "".join(plain(block).split())
    if not text:
        return False
    linked = "".join(link_text(block).split())
    same = [n for n in nodes(block) if n.get("type") == "Link" and site_key(n.get("url", "")) == site
            and n.get("url", "").split("#")[0].rstrip("/") != own]
    return bool(same) and len(linked) >= 0.7 * len(text)


def _substantive(block: dict[str, Any]) -> bool:
    """A paragraph with 20+ characters of text outside links: article text."""
    if block.get("type") not in ("Paragraph", "BlockQuote", "Table"):
        return False
    rest = "".join(plain(block).split())
    return len(rest) - len("".join(link_text(block).split())) >= 20


def related_block(doc: Doc) -> str:
    """After the last paragraph of article text, blocks that are mostly links to other pages
    of the same site, two links or more (a related-articles list); or, anywhere, a short block
    titled "延伸閱讀", "相关报道", "Related" … followed by such a block."""
    site, own = site_key(doc.src.url), doc.src.url.split("#")[0].rstrip("/")
    blocks = doc.blocks
    trailing = []
    for i in range(len(blocks) - 1, -1, -1):
        if _substantive(blocks[i]):
            break
        if _is_link_block(blocks[i], site, own):
            trailing.append(blocks[i])
    if sum(n.get("type") == "Link" for b in trailing for n in nodes(b)) >= 2:
        return short(plain(trailing[0]))
    for i, block in enumerate(blocks[:-1]):
        text = plain(block).strip()
        if len(text) <= 20 and _RELATED_TITLE.search(text) and _is_link_block(blocks[i + 1], site, own):
            return short(text)
    return ""


_BOILERPLATE = re.compile(
    r"(?i)appeared first on|first appeared on|feed enhanced by|^\W*©|^\W*copyright\b"
    r"|版权声明|版權聲明|版权所有|版權所有"
    r"|all rights reserved|我们的标准|我們的標準|信任原则|点击此处订阅|點擊此處訂閱|^\W*listen on\s*:"
    r"|訂閱.{0,12}電子報|订阅.{0,12}电子报|電子信箱|电子信箱|请更新你的浏览器|請更新你的瀏覽器"
    r"|^\W*(?:广告|廣告|advertisement)\W*$"
    r"|\.\.\.\s*more\W*$|^this article appeared in\b|^editor’s note: some of our|^\W*sign up\b"
    r"|看更多.{0,20}關閉|看更多.{0,20}关闭")


def boilerplate(doc: Doc) -> str:
    """A paragraph, heading or list item of 300 characters or fewer with a publisher's
    boilerplate shape: "appeared first on", copyright lines, subscription prompts, "Listen
    on:", an "广告" label, a trailing "...more", browser-update notices, glossary pop-ups."""
    for block in doc.blocks:
        for node in nodes(block):
            if node.get("type") in ("Paragraph", "Heading"):
                text = " ".join(plain(node).split())
                if len(text) <= 300 and _BOILERPLATE.search(text):
                    return short(text)
    return ""


_FURNITURE_WORDS = re.compile(
    r"(?i)(?:^|[^a-z])(?:logo|banner|icon|zoom|sprite|share|sharing|donate|avatar|button|btn|badge|qrcode)(?:[^a-z]|$)"
    r"|/themes?/|/meta_og|twcard|og[-_]image")


def unwrap_proxy(url: str) -> str:
    m = re.match(r"https?://images\.weserv\.nl/?\?(?:.*&)?url=([^&]+)", url)
    return unquote(m.group(1)) if m else url


def image_urls(doc: Doc) -> list[str]:
    return [unwrap_proxy(n.get("url", "")) for n in nodes(doc.blocks) if n.get("type") == "Image"]


def furniture_image(doc: Doc, repeated: set[str]) -> str:
    """An image whose file name or path says it is furniture (logo, banner, icon, zoom, share,
    donate, a theme's folder, a social card), or that the publisher's source puts in at least
    half of its documents (the same banner in every item)."""
    for url in image_urls(doc):
        path = urlsplit(url).path if "://" in url else url
        if _FURNITURE_WORDS.search(path.rsplit("/", 1)[-1]) or (_FURNITURE_WORDS.search(path) and "/" in path):
            return url[:90]
        if _norm_url(url) in repeated:
            return "repeated: " + url[:80]
    return ""


def _norm_url(url: str) -> str:
    return re.sub(r"^(?:https?:)?//", "", unwrap_proxy(url))


def repeated_images(sources: list[Source]) -> set[str]:
    """Image URLs found in at least half of a publisher's documents (and in three or more)."""
    per: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    docs = collections.Counter(s.publisher for s in sources)
    for s in sources:
        per[s.publisher].update({_norm_url(img.get("src") or "") for img in s.root.iter("img")} - {""})
    return {u for p, c in per.items() for u, n in c.items() if n >= 3 and n >= docs[p] / 2}


_RELATIVE = re.compile(r"\d+\s*(?:秒|分钟|分鐘|小时|小時|天|日|周|週|个月|個月|年)前|刚刚|剛剛"
                       r"|(?i:\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|just now)")


def relative_time(doc: Doc) -> str:
    """A block or line that is only a relative time ("20 分钟前", "3 hours ago")."""
    for block in doc.blocks[:6]:
        for line in plain(block).split("\n"):
            if _RELATIVE.fullmatch(line.strip(" *_")):
                return line.strip()
    return ""


def weserv_url(doc: Doc) -> str:
    """An image or link still behind the images.weserv.nl proxy, in the Markdown."""
    m = re.search(r"https?://images\.weserv\.nl\S{0,60}", doc.md)
    return m.group(0) if m else ""


def protocol_relative(doc: Doc) -> str:
    """A link or image URL without a scheme (``//host/…``), or with a doubled host
    (``https://www.economist.comhttps://…``), in the Markdown."""
    m = re.search(r"\]\(//[^)\s]{0,60}|https?://[^/\s)\]]+https?://\S{0,40}", doc.md)
    return m.group(0) if m else ""


def null_prefix(doc: Doc) -> str:
    """A feed artefact: "null " before the author or the first paragraph."""
    for text in (doc.meta.get("author") or "", plain(first_blocks(doc, 1))):
        if text.startswith(("null ", "null\n")):
            return short(text)
    return ""


def _site_names(doc: Doc) -> set[str]:
    fm = doc.src.front_matter
    names = {str(doc.meta.get("site") or "")} | {str(t) for t in doc.meta.get("tags") or []}
    for key in ("tags", "categories"):
        value = fm.get(key)
        names |= {str(v) for v in (value if isinstance(value, list) else [value]) if v}
    return {_squash(n) for n in names if n}


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def author_is_site(doc: Doc) -> str:
    """``meta.author`` holds the site's or feed's name: equal to the site, a tag or a category,
    or holding the main label of the URL's host ("The Economist", "BBC")."""
    author = str(doc.meta.get("author") or "")
    if not author:
        return ""
    squashed = _squash(author)
    label = site_key(doc.src.url).split(".")[0]
    if squashed in _site_names(doc) or (len(label) >= 3 and label in squashed):
        return author
    return ""


_BYLINE_LINE = re.compile(
    r"^(?:作者|撰文|文|记者|記者|译者|譯者|编译|編譯|翻译|翻譯)\s*[：:/／|｜]\s*\S|^by [A-Z]"
    r"|^(?:[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+)*),(?:[A-Z][A-Z.'-]+(?: [A-Z][A-Z.'-]+)*)$")


def byline_in_body(doc: Doc) -> str:
    """A short paragraph near the top that is a byline ("作者：…", "By …", an upper-case name
    doubled as "JANE DOE,JANE DOE" before a date): metadata left in the text."""
    for block in first_blocks(doc, 4):
        text = plain(block)
        if len(text) <= 60 and not re.search("[，。？！]", text):
            for line in text.split("\n"):
                if _BYLINE_LINE.search(line.strip(" *_")):
                    return short(text)
    return ""


# --- structure


def caption_swallows_body(doc: Doc) -> str:
    """A figure caption that holds a whole paragraph of the source (a <p> of 20+ characters
    outside any figure): the article body taken in as a caption."""
    for node in nodes(doc.blocks):
        if node.get("type") == "Figure":
            caption = " ".join(plain(node.get("caption", [])).split())
            if len(caption) >= 20 and any(p in caption for p in doc.src.paragraphs):
                return short(caption)
    return ""


def orphan_list_items(doc: Doc) -> str:
    """``<li>`` outside any list in the source, and no list in the output."""
    orphans = [li for li in doc.src.root.iter("li")
               if not any(a.tag in ("ul", "ol", "menu", "dir") for a in li.iterancestors())]
    if orphans and not any(n.get("type") in ("BulletList", "OrderedList") for n in nodes(doc.blocks)):
        return short(orphans[0].text_content())
    return ""


def adjacent_lists(doc: Doc) -> str:
    """Two lists of the same kind one after the other: one list split in two."""
    for container in nodes(doc.blocks):
        for key in ("content", "items"):
            seq = container.get(key) if isinstance(container, dict) else None
            groups = seq if key == "items" and isinstance(seq, list) else [seq] if isinstance(seq, list) else []
            for blocks in groups:
                kinds = [b.get("type") for b in blocks if isinstance(b, dict)]
                for a, b in itertools.pairwise(kinds):
                    if a == b and a in ("BulletList", "OrderedList"):
                        return a
    blocks = [b.get("type") for b in doc.blocks]
    for a, b in itertools.pairwise(blocks):
        if a == b and a in ("BulletList", "OrderedList"):
            return a
    return ""


def empty_table_header(doc: Doc) -> str:
    """A Markdown table whose header row is all empty cells."""
    m = re.search(r"(?m)^\|(?:[ \t]*\|)+[ \t]*\n\|[ :|-]+\|[ \t]*$", doc.md)
    return m.group(0)[:60] if m else ""


def table_lost(doc: Doc) -> str:
    """A source table of 3+ rows with 2+ cells each, mostly numbers, that gave no table."""
    for table in doc.src.root.iter("table"):
        rows = list(table.iter("tr"))
        cells = [[c.text_content().strip() for c in r if c.tag in ("td", "th")] for r in rows]
        cells = [c for c in cells if len(c) >= 2]
        numbers = sum(bool(re.fullmatch(r"[-+]?[\d.,%]+", c)) for row in cells for c in row)
        if len(cells) >= 3 and numbers >= len(cells) and not any(n.get("type") == "Table" for n in nodes(doc.blocks)):
            return f"{len(cells)} rows"
    return ""


def first_heading_level(doc: Doc) -> str:
    """The first heading under the title is not ``##`` in the Markdown."""
    body = _md_body(doc.md)
    levels = [len(m.group(1)) for m in re.finditer(r"(?m)^(#{1,6}) \S", body)]
    if levels and levels[0] == 1:
        levels = levels[1:]  # the title
    return f"h{levels[0]}" if levels and levels[0] != 2 else ""


def embed_twice(doc: Doc) -> str:
    """A WordPress embed (blockquote + iframe of class wp-embedded-content) shown twice."""
    for bq in doc.src.root.iter("blockquote"):
        if "wp-embedded-content" in (bq.get("class") or ""):
            link = next(bq.iter("a"), None)
            url = link.get("href") if link is not None else ""
            if url and doc.md.count(url.rstrip("/")) >= 2:
                return url[:90]
    return ""


# --- the writers' patterns


def _md_body(md: str) -> str:
    """Markdown without front matter, fenced code, inline code and link destinations."""
    if md.startswith("---\n"):
        end = md.find("\n---\n", 4)
        md = md[end + 5:] if end != -1 else md
    md = re.sub(r"(?ms)^(```+|~~~+).*?^\1[ \t]*$", "", md)
    md = re.sub(r"(`+).+?\1", "", md)
    return re.sub(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)", "]", md)


@functools.cache
def _cjk_report() -> Any:
    """``cjk_report``, beside this script, imported once (it imports ``converter`` itself)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import cjk_report

    return cjk_report


def cjk_space(doc: Doc) -> str:
    """A space between two CJK characters in the text or Markdown output where the source's
    text does not separate them, by ``cjk_report.cjk_spaces`` (CSS drops a line break between
    CJK characters, and white space around it)."""
    cjk_report = _cjk_report()
    source = cjk_report.source_text(doc.src.raw)
    for seen in (doc.txt, cjk_report.markdown_seen(doc.md)):
        places = cjk_report.cjk_spaces(seen, source)
        if places:
            return places[0]
    return ""


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def overwide_line(doc: Doc, limit: int) -> str:
    """A text line wider than the width that is not a single unbreakable token, by
    ``cjk_report.long_lines`` (East Asian wide characters count two; a URL wider than the
    line may keep its marker or label)."""
    cjk_report = _cjk_report()
    lines = cjk_report.long_lines(doc.txt, limit, cjk_report.code_lines(json.dumps(doc.data)))
    return lines[0][:60] + "…" if lines else ""


def needless_escape(doc: Doc) -> str:
    """A Markdown escape that nothing needed: ``\\[`` whose ``\\]`` is not followed by ``(``,
    ``[`` or ``:`` (no link can form), a lone ``\\]``, ``\\_`` inside a word, and ``\\#``,
    ``\\-``, ``\\+``, ``\\>``, ``\\.``, ``\\)`` away from the start of a line, ``\\!`` not before ``[``."""
    for line in _md_body(doc.md).split("\n"):
        core = re.sub(r"^[ \t>]*(?:[-+*] |\d+[.)] )?", "", line)
        for m in re.finditer(r"\\\[", core):
            close = core.find("\\]", m.end())
            after = core[close + 2:close + 3] if close >= 0 else ""
            if close < 0 or after not in ("(", "[", ":"):
                return core[max(0, m.start() - 10):m.start() + 30]
        for m in re.finditer(r"\\\]", core):
            if "[" not in core[:m.start()]:  # a lone "\]": nothing before it can open a link
                return core[max(0, m.start() - 20):m.end() + 10]
        m = re.search(r"(?<=\w)\\_(?=\w)|(?<=\S)\\[#>+-]|(?<!^)(?<!\d)\\[.)]|\\!(?!\[|\\\[)", core)
        if m:
            return core[max(0, m.start() - 15):m.end() + 15]
    return ""


def caption_repeated(doc: Doc) -> str:
    """An image whose alt text is repeated as the paragraph right after it in the Markdown."""
    body = _md_body(doc.md)
    for m in re.finditer(r"(?m)^!\[([^\]\n]+)\]\s*\n\n([^\n]+)\n", body):
        alt, after = " ".join(m.group(1).split()), " ".join(m.group(2).strip("*_ ").split())
        if alt and (after == alt or after.replace("\\", "") == alt.replace("\\", "")):
            return short(alt)
    return ""


_LABELS = ("Author:", "Published:", "Source:", "[Image:", "[Image]", "Video:", "Audio:", "Embedded:", "References:")


def english_labels(doc: Doc) -> str:
    """In a Chinese document, an English label of the writer ("Published:", "[Image: …]",
    "Video:", "References:") at the start of a text or Markdown line; not when the source
    has that word itself."""
    if not str(doc.meta.get("language") or "").startswith("zh"):
        return ""
    for out in (doc.txt, _md_body(doc.md)):
        for line in out.split("\n"):
            stripped = line.strip()
            for label in _LABELS:
                if stripped.startswith(label) and label.strip("[:]") not in doc.src.text:
                    return label
    return ""


def sup_flattened(doc: Doc) -> str:
    """A number with a superscript exponent (``10<sup>170</sup>``) whose digits run together
    in the text or Markdown output (``10170``)."""
    for m in re.finditer(r"(\d+)\s*<sup[^>]*>\s*(\d+)\s*</sup>", doc.src.body):
        joined = m.group(1) + m.group(2)
        if joined not in doc.src.text and (re.search(rf"(?<!\d){joined}(?!\d)", doc.txt)
                                           or re.search(rf"(?<!\d){joined}(?!\d)", doc.md)):
            return joined
    return ""


# ---------------------------------------------------------------------------- bylines


_SOURCE_BYLINE = [
    re.compile(r"<div>\s*<i>\s*([^<\s][^<]*?)\s*<br\s*/?>"),  # the feed's byline, with a name
    re.compile(r"itemprop=\"author\"[^>]*content=\"([^\"]+)\"", re.IGNORECASE),
    re.compile(r"<p>\s*(?:作者|撰文)\s*[：:]\s*([^<]{1,30})</p>"),
    re.compile(r"（(?:中央社|大纪元|大紀元)(?:[^）]{0,8})?记者([^）]{2,12}?)(?:报导|报道|報導|台北|\w{0,4}電|\w{0,4}电)"),
    re.compile(r"（(?:中央社|大纪元|大紀元)(?:[^）]{0,8})?記者([^）]{2,12}?)(?:报导|报道|報導|台北|\w{0,4}電|\w{0,4}电)"),
    re.compile(r">\s*(?:记者|記者)\s*[：:]?\s*([^\s<]{2,10})\s+(?:责编|責編)"),
    re.compile(r">\s*(?:编译|編譯)\s+([^\s<；;]{2,10})\s*[；;]\s*(?:审校|審校)"),
    re.compile(r">\s*\*?(?:译者|譯者)\s*/\s*([^\s<*]{2,10})"),
    re.compile(r">\s*寒冬記者\s+([^\s<]{2,10})\s*<"),
    re.compile(r">\s*by ([A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+)+)", re.IGNORECASE),
    re.compile(r"class=\"[^\"]*(?:-Name|byline)[^\"]*\"[^>]*>\s*([^<]{2,40})<"),
]


def source_byline(src: Source) -> str:
    """The first byline shape the source's markup shows (a ruler's list, not the reader's):
    the feed's ``<div><i>Name<br>``, ``itemprop="author"``, "作者：", reporter lines, "译者/",
    "by Name", a byline or name class."""
    for pattern in _SOURCE_BYLINE:
        m = pattern.search(src.body)
        if m:
            name = " ".join(m.group(1).split())
            label = site_key(src.url).split(".")[0]
            if name and _squash(name) not in (_squash(str(src.front_matter.get("author") or "")), "") \
                    and not (len(label) >= 3 and label in _squash(name)):
                return name
    return ""


def has_person_author(doc: Doc) -> bool:
    return bool(doc.meta.get("author")) and not author_is_site(doc)


# ---------------------------------------------------------------------------- text lost

#: A word of the text: one CJK character, or a run of letters and digits (as the corpus
#: ruler's recall counts them).
_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[^\W_]+")


def tokens(text: str) -> collections.Counter[str]:
    return collections.Counter(w.lower() for w in _TOKEN.findall(text))


_INLINE_TYPES = frozenset(["Text", "Code", "LineBreak", "Image", "Link", "Emphasis", "Strong", "Strikeout", "Underline",
                           "Superscript", "Subscript", "SmallCaps", "Span", "Quoted", "Math", "RawInline", "Note"])


def doc_tokens(doc: Doc) -> collections.Counter[str]:
    """The words of a document's JSON output: its blocks (a block's text apart from the
    next one's) and its title. The author is left out: a site's name moved from the author
    to the site is no text lost."""
    texts = [str(doc.meta.get("title") or "")]
    texts += [plain(n) for n in nodes(doc.blocks) if n.get("type") not in _INLINE_TYPES and not _holds_blocks(n)]
    return tokens("\n".join(texts))


def _holds_blocks(node: dict[str, Any]) -> bool:
    """Whether a JSON node holds blocks (a list, a quote, a table's cells), not only inlines."""
    stack = [v for v in node.values() if isinstance(v, list)]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict) and item.get("type") not in _INLINE_TYPES:
            return True
    return False


def text_lost(before: list[Doc], after: list[Doc], fired: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    """Document -> the words of the ``before`` output missing from the ``after`` output
    that no firing of this checkout's rules took: article text lost, not junk removed.
    (Recall against the source cannot tell the two apart: junk is source text too.)"""
    taken: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for hits in fired.values():
        for name, text in hits:
            taken[name].update(tokens(text))
    out = {}
    for old, new in zip(before, after, strict=True):
        lost = doc_tokens(old) - doc_tokens(new) - taken[old.src.name]
        if lost:
            out[old.src.name] = f"{sum(lost.values())} words: " + " ".join(lost.elements())[:120]
    return out


def article_recall(corpus: Path, docs: list[Doc], fired: dict[str, list[tuple[str, str]]]) -> dict[str, list[float]]:
    """Format -> per-document recall of the project's corpus ruler (``../shared/tools``), with
    the words this checkout's rules took removed from the source first: what recall says once
    junk removed is not counted as text lost. Empty when the ruler is not there."""
    tools = corpus.parents[1] / "tools"
    if not (tools / "truth.py").exists():
        return {}
    sys.path.insert(0, str(tools))
    import corpus_report  # type: ignore[import-not-found]
    import truth  # type: ignore[import-not-found]

    taken: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for hits in fired.values():
        for name, text in hits:
            taken[name].update(truth.tokens(text))
    recalls: dict[str, list[float]] = {"md": [], "txt": []}
    for doc in docs:
        text = (corpus / doc.src.name).read_text(encoding="utf-8", errors="replace")
        visible = truth.expected_meta(text)["visible"]
        article = collections.Counter(truth.tokens(visible)) - taken[doc.src.name]
        recalls["md"].append(truth.recall(list(article.elements()), truth.tokens(corpus_report.md_text(doc.md))))
        recalls["txt"].append(truth.recall(list(article.elements()), truth.tokens(doc.txt)))
    return recalls


def _recall_line(fmt: str, values: list[float]) -> str:
    ranked = sorted(values)
    return (f"| {fmt} | {sum(ranked) / len(ranked):.4f} | {ranked[int(len(ranked) * 0.01)]:.4f} |"
            f" {ranked[0]:.4f} | {sum(v < 0.95 for v in ranked)} |")


# ---------------------------------------------------------------------------- report

Detector = Callable[[Doc], str]


def detectors(width_limit: int, repeated: set[str]) -> dict[str, tuple[str, Detector]]:
    """Pattern name -> (section, detector)."""
    return {
        "date_stamp": ("junk", date_stamp),
        "related_block": ("junk", related_block),
        "boilerplate": ("junk", boilerplate),
        "furniture_image": ("junk", lambda d: furniture_image(d, repeated)),
        "relative_time": ("junk", relative_time),
        "byline_in_body": ("junk", byline_in_body),
        "weserv_url": ("metadata", weserv_url),
        "protocol_relative_url": ("metadata", protocol_relative),
        "author_is_site": ("metadata", author_is_site),
        "null_prefix": ("metadata", null_prefix),
        "caption_swallows_body": ("structure", caption_swallows_body),
        "orphan_list_items": ("structure", orphan_list_items),
        "adjacent_lists": ("structure", adjacent_lists),
        "empty_table_header": ("structure", empty_table_header),
        "table_lost": ("structure", table_lost),
        "first_heading_not_h2": ("structure", first_heading_level),
        "wp_embed_twice": ("structure", embed_twice),
        "cjk_space": ("writers", cjk_space),
        "overwide_line": ("writers", lambda d: overwide_line(d, width_limit)),
        "needless_escape": ("writers", needless_escape),
        "caption_repeated": ("writers", caption_repeated),
        "english_labels_zh": ("writers", english_labels),
        "sup_flattened": ("writers", sup_flattened),
    }


def measure(docs: list[Doc], found: dict[str, tuple[str, Detector]]) -> dict[str, dict[str, str]]:
    """Pattern -> document name -> evidence, for the documents that show it."""
    out: dict[str, dict[str, str]] = {name: {} for name in found}
    for doc in docs:
        for name, (_, detect) in found.items():
            evidence = detect(doc)
            if evidence:
                out[name][doc.src.name] = evidence
    return out


def bylines(docs: list[Doc]) -> dict[str, tuple[int, int, int]]:
    """Publisher -> (documents whose markup has a byline, of them with a person as author,
    documents with a person as author in all)."""
    table: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
    for doc in docs:
        row = table[doc.src.publisher]
        has, person = bool(source_byline(doc.src)), has_person_author(doc)
        row[0] += has
        row[1] += has and person
        row[2] += person
    return {k: (v[0], v[1], v[2]) for k, v in sorted(table.items())}


def firings(corpus: Path) -> dict[str, list[tuple[str, str]]]:
    """Rule -> (document name, what it took or changed), for each firing of this checkout's
    cleaning rules over the corpus."""
    sys.path.insert(0, str(ROOT))
    from converter.readers import feed

    fired: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for path in sorted(corpus.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            def notice(rule: str, text: str, name: str = path.name) -> None:
                fired[rule].append((name, text))

            feed.read(path.read_bytes(), str(path), notice=notice)
    return fired


def rule_counts(corpus: Path, audit: Path | None) -> None:
    """How often each cleaning rule of this checkout fires over the corpus (firings and
    documents); with ``audit``, what each firing took, one line each, grouped by rule."""
    fired = firings(corpus)
    print("| rule | firings | documents |")
    print("|---|---:|---:|")
    for rule, hits in sorted(fired.items(), key=lambda kv: -len({n for n, _ in kv[1]})):
        print(f"| {rule} | {len(hits)} | {len({n for n, _ in hits})} |")
    if audit:
        with audit.open("w", encoding="utf-8") as out:
            for rule, hits in sorted(fired.items()):
                out.write(f"## {rule}\n")
                for name, text in hits:
                    out.write(f"{name}\t{' '.join(text.split())[:200]}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--cmd", action="append", default=[], help="a convert command; give two for before/after")
    ap.add_argument("--out", type=Path, help="where the outputs go (default: a temporary folder)")
    ap.add_argument("--width", type=int, default=80, help="the text width the txt outputs were written for")
    ap.add_argument("--json", type=Path, help="write every flagged document and its evidence here")
    ap.add_argument("--show", help="list the documents the last command's outputs flag for this pattern")
    ap.add_argument("--recall", action="store_true",
                    help="the corpus ruler's recall of the md/txt outputs, junk the rules took not counted")
    ap.add_argument("--rules", action="store_true", help="count how often each cleaning rule of this checkout fires")
    ap.add_argument("--audit", type=Path, help="with --rules: write what each firing took to this file")
    a = ap.parse_args()
    if not a.corpus.is_dir():
        sys.exit(f"no corpus at {a.corpus}")
    if a.rules:
        rule_counts(a.corpus, a.audit)
        return
    out = a.out or Path(tempfile.mkdtemp(prefix="reader-report-"))
    sources = [read_source(p) for p in sorted(a.corpus.iterdir()) if p.is_file() and not p.name.startswith(".")]
    found = detectors(a.width, repeated_images(sources))
    runs: list[tuple[str, dict[str, dict[str, str]], dict[str, tuple[int, int, int]]]] = []
    outputs: list[list[Doc]] = []
    for i, cmd in enumerate(a.cmd or [None]):
        folder = out / str(i)
        if cmd:
            convert_with(cmd, a.corpus, folder)
        else:
            convert_with_library(a.corpus, folder, a.width)
        docs = load_docs(sources, folder)
        outputs.append(docs)
        runs.append((cmd or "library", measure(docs, found), bylines(docs)))
    fired = functools.cache(lambda: firings(a.corpus))  # the rules' firings, found once if asked for
    n = len(sources)
    labels = ["before", "after"] if len(runs) == 2 else [f"run {i + 1}" for i in range(len(runs))]
    print(f"{n} documents; documents whose output shows each pattern")
    for i, (cmd, _, _) in enumerate(runs):
        print(f"  {labels[i]}: {cmd}")
    print()
    print("| section | pattern | " + " | ".join(labels) + " |")
    print("|---|---|" + "---:|" * len(runs))
    for name, (section, _) in found.items():
        cells = [f"{len(r[1][name])} ({100 * len(r[1][name]) / n:.1f} %)" for r in runs]
        print(f"| {section} | {name} | " + " | ".join(cells) + " |")
    print()
    print("Bylines: documents whose markup has a byline, those of them whose author is a person;"
          " all documents whose author is a person")
    print("| publisher | documents | " + " | ".join(labels) + " |")
    print("|---|---:|" + "---:|" * len(runs))
    per_pub = collections.Counter(s.publisher for s in sources)
    for pub in sorted(per_pub):
        cells = []
        for r in runs:
            has, found_has, person = r[2].get(pub, (0, 0, 0))
            cells.append(f"{found_has}/{has} (all: {person})")
        print(f"| {pub} | {per_pub[pub]} | " + " | ".join(cells) + " |")
    if len(outputs) >= 2:
        lost = text_lost(outputs[0], outputs[-1], fired())
        runs[-1][1]["text_lost"] = lost
        print()
        print(f"Text lost: {len(lost)} documents lose words of the {labels[0]} output that no rule of this checkout"
              f" took ({sum(int(v.split()[0]) for v in lost.values())} words in all; --show text_lost lists them)")
    if a.recall:
        recalls = article_recall(a.corpus, outputs[-1], fired())
        print()
        print("Recall of the article (the corpus ruler's recall, the words the rules took removed from the source):")
        print("| format | mean | p01 | min | documents below 0.95 |")
        print("|---|---:|---:|---:|---:|")
        for fmt, values in recalls.items():
            print(_recall_line(fmt, values))
    if a.show:
        for doc_name, evidence in sorted(runs[-1][1].get(a.show, {}).items()):
            print(f"{doc_name}\t{evidence}")
    if a.json:
        a.json.write_text(json.dumps([{"cmd": r[0], "patterns": r[1]} for r in runs], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
