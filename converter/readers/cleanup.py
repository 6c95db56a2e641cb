"""Document-level cleaning: rules that need the whole sequence of blocks, or the metadata.

The HTML walk sees one element at a time. What only shows in the sequence is decided here,
on the AST (docutils' transforms): a date stamp as the first line that repeats the
publication time, related-article links after the article's end, publisher boilerplate in the
last lines, credit lines naming the author, the heading levels under the title. Each rule is
a named function from blocks to blocks; :func:`clean` runs them in order and reports each
firing to ``notice`` (a counter in ``benchmarks/reader_report.py``).

Every text pattern here runs on a short text (a line of at most ``MAX_JUNK`` characters).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import ast as A
from ..patterns import lazy_compile
from . import bylines, dates, rules
from .rules import Notice

#: Boilerplate lines, related-link titles and credit lines are no longer than this.
MAX_JUNK = 300
#: A title over related links ("延伸閱讀", "相关阅读：", "Related") is at most this long.
MAX_TITLE = 16
#: A paragraph with at least this many characters outside links is article text.
MIN_PROSE = 20
#: How many blocks at the head and the tail of a document bylines and stamps are looked for in.
EDGE = 3

@dataclass(slots=True)
class Cleaned:
    """What :func:`clean` found besides the blocks: an author and a publication time."""

    blocks: list[A.Block]
    author: str = ""
    published: dt.datetime | None = None


def clean(blocks: list[A.Block], url: str, published: dt.datetime | None, notice: Notice = rules.ignore) -> Cleaned:
    """``blocks`` without the junk the rules below recognise, with the author and the
    publication time they read on the way."""
    blocks = drop_boilerplate(blocks, url, notice)
    blocks = drop_related_links(blocks, url, notice)
    blocks = drop_closing_inline(blocks, notice)
    blocks, stamp = drop_date_stamp(blocks, published, notice)
    blocks, author = take_credit_lines(blocks, notice)
    if not author:
        author = lead_reporter(blocks, notice)
    blocks = drop_dangling_end(blocks, notice)
    return Cleaned(normalize_headings(blocks, notice), author, stamp)


# ---------------------------------------------------------------------------- helpers


def _text(block: A.Block) -> str:
    """The text of a paragraph or heading; ``""`` for other blocks."""
    if isinstance(block, (A.Paragraph, A.Heading)):
        return A.plain_text(block.content)
    return ""


def _short_text(block: A.Block, limit: int) -> str | None:
    """The text of a paragraph or heading of at most ``limit`` characters; ``None`` for a
    longer one (found without building its text) or another block."""
    if not isinstance(block, (A.Paragraph, A.Heading)):
        return None
    if len(block.content) == 1 and isinstance(block.content[0], A.Text):  # most paragraphs
        text = block.content[0].text
        return text if len(text) <= limit else None
    text = A.plain_text(block.content)
    return text if len(text) <= limit else None


def _block_text(block: A.Block) -> str:
    """The text of any block, for notices."""
    return " ".join(n.text for n in A.walk([block]) if isinstance(n, A.Text))


def _has_link(block: A.Block) -> bool:
    """Whether a link is anywhere in a block (looked for without building a list of nodes)."""
    stack: list[object] = [block]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is A.Link:
            return True
        if kind in A.LEAVES:  # most nodes: done without the checks below
            continue
        if isinstance(node, (A.BulletList, A.OrderedList)):
            stack.extend(b for item in node.items for b in item)
        elif isinstance(node, A.Table):
            stack.extend(cell for row in node.head + node.body for cell in row)
        elif isinstance(node, A.Figure):
            stack.extend(node.caption)
        else:
            stack.extend(getattr(node, "content", ()))
    return False


def _links(nodes: list[A.Inline]) -> list[A.Link]:
    return [n for n in A.walk([A.Paragraph(nodes)]) if isinstance(n, A.Link)]


def _squashed(text: str) -> str:
    return "".join(text.split())


def _link_share(block: A.Block) -> tuple[int, int]:
    """Characters of text, and of link text, in a block (white space aside)."""
    nodes = list(A.walk([block]))
    text = sum(len(_squashed(n.text)) for n in nodes if isinstance(n, A.Text))
    linked = sum(len(_squashed(A.plain_text(n.content))) for n in nodes if isinstance(n, A.Link))
    return text, linked


def _is_prose(block: A.Block) -> bool:
    """Article text: a paragraph, quote or table with ``MIN_PROSE`` characters outside links."""
    if not isinstance(block, (A.Paragraph, A.BlockQuote, A.Table, A.Div)):
        return False
    text, linked = _link_share(block)
    return text - linked >= MIN_PROSE


def _other_page_of_site(link: A.Link, url: str) -> bool:
    """A link to another page of the document's site (not to the document, not elsewhere)."""
    page = link.url.split("#", 1)[0].rstrip("/")
    return bool(page) and page != url.split("#", 1)[0].rstrip("/") \
        and rules.site_key(link.url) == rules.site_key(url) != ""


def _is_title(block: A.Block) -> bool:
    """A short label over a block of links ("延伸閱讀", "相关阅读：", "Related"): no sentence."""
    text = _text(block).strip()
    return 0 < len(text) <= MAX_TITLE and not any(c in text for c in "。！？!?，,") \
        and not _links(block.content if isinstance(block, (A.Paragraph, A.Heading)) else [])


# ---------------------------------------------------------------------------- boilerplate

def _any_of(*words: str) -> re.Pattern[str]:
    """A search for any of ``words`` (literal; faster than testing each, on a short text)."""
    return lazy_compile("|".join(map(re.escape, words)))


_BROWSER_NOTICE = _any_of("更新你的浏览器", "更新您的浏览器", "更新你的瀏覽器", "更新您的瀏覽器", "升级你的浏览器",
                          "升级您的浏览器", "升級你的瀏覽器", "升級您的瀏覽器", "update your browser",
                          "upgrade your browser", "enable javascript", "does not support the video", "不支持此视频",
                          "不支援此影片")
_AD_LABELS = frozenset(["广告", "廣告", "advertisement", "advertising", "sponsored", "赞助内容", "贊助內容"])
_COPYRIGHT_MARKS = ("版权所有", "版權所有", "版权声明", "版權聲明", "all rights reserved", "保留所有权利",
                    "保留一切權利")
_SUBSCRIBE = _any_of("订阅", "訂閱", "subscribe", "newsletter", "sign up", "signup", "电子报", "電子報", "list-manage")
_COPYRIGHT_STARTS = ("©", "(c) ", "copyright", "版权", "版權", "本文版权", "本文版權")
#: Words that ask the reader to act: with a subscription word and a link, a prompt.
_CALL = _any_of("点击", "點擊", "欢迎", "歡迎", "请", "請", "快来", "快來", "立即", "click", "please", "sign up",
                "join")
#: A subscription prompt or browser notice anywhere in the text is no longer than this.
MAX_PROMPT = 120


def is_boilerplate_anywhere(block: A.Block) -> bool:
    """A line of a feed's furniture wherever it is: WordPress's "The post … appeared first
    on …", "Feed enhanced by …", a copyright line, an advertisement label, a browser-update
    notice, a short subscription prompt ("（欢迎点击此处订阅NYT简报…）")."""
    text = _short_text(block, 2 * MAX_JUNK)
    if text is None:  # most paragraphs: article text
        return False
    lower = " ".join(text.split()).casefold().strip(" *_")
    if not lower or len(lower) > MAX_JUNK:
        return False
    return ((lower.startswith("the post ") and ("appeared first on" in lower or "first appeared on" in lower))
            or lower.startswith("feed enhanced by")
            or lower.startswith(_COPYRIGHT_STARTS)
            or lower.strip(" :：") in _AD_LABELS
            or (len(lower) <= MAX_PROMPT and (_BROWSER_NOTICE.search(lower) is not None
                                             or (_SUBSCRIBE.search(lower) is not None and _subscribe_link(block)))))


def is_closing_boilerplate(block: A.Block, url: str) -> bool:
    """A closing line of the publisher's, after the article: a copyright line, a subscription
    prompt, a note on where the article appeared, a link to the publisher's policy document
    ("我们的标准：[…](….pdf)")."""
    text = " ".join(_text(block).split())
    lower = text.casefold().strip(" *_")
    if not lower or len(lower) > MAX_JUNK:
        return False
    links = _links(block.content) if isinstance(block, (A.Paragraph, A.Heading)) else []
    if is_copyright(lower) or _subscribe_link(block) or (links and _SUBSCRIBE.search(lower)):
        return True
    if lower.startswith(("this article appeared in", "this story appeared in", "this article was first published")):
        return True
    if len(links) == 1 and links[0].url.casefold().split("?")[0].endswith(".pdf") \
            and rules.site_key(links[0].url) != rules.site_key(url) \
            and len(lower) - len(A.plain_text(links[0].content)) <= 12:
        return True
    return ("订阅" in lower or "訂閱" in lower) and ("电子报" in lower or "電子報" in lower)


def _subscribe_link(block: A.Block) -> bool:
    """Whether a paragraph links to a subscription: the link's text or target says so, or
    the paragraph asks to click or sign up and says what for ("欢迎[点击此处]订阅…")."""
    if not isinstance(block, (A.Paragraph, A.Heading)):
        return False
    links = _links(block.content)
    for link in links:
        if _SUBSCRIBE.search((A.plain_text(link.content) + " " + link.url[:MAX_JUNK]).casefold()):
            return True
    text = A.plain_text(block.content).casefold()[:MAX_JUNK]
    return bool(links) and _SUBSCRIBE.search(text) is not None and _CALL.search(text) is not None


def is_copyright(text: str) -> bool:
    """A copyright line: it starts with "©", "Copyright", "版权" …, or it ends saying "all
    rights reserved", "版权所有" …."""
    lower = text.casefold().strip(" *_")
    return lower.startswith(_COPYRIGHT_STARTS) or lower.rstrip(" .。!！)）").endswith(_COPYRIGHT_MARKS)


def drop_boilerplate(blocks: list[A.Block], url: str, notice: Notice = rules.ignore) -> list[A.Block]:
    """Boilerplate lines anywhere, and closing lines after the article's last block of text."""
    out = []
    for block in blocks:
        if is_boilerplate_anywhere(block):
            notice("boilerplate line", _text(block))
        else:
            out.append(block)
    end = len(out)
    while end and (isinstance(out[end - 1], (A.Figure, A.HorizontalRule)) or is_closing_boilerplate(out[end - 1], url)):
        end -= 1
    kept = out[:end]
    for block in out[end:]:
        if is_closing_boilerplate(block, url):
            notice("closing boilerplate", _text(block))
        else:
            kept.append(block)
    return _drop_closing_prompt(kept, notice)


#: A line that only labels the next one ("Feed-URL:", "iTunes:") is no longer than this.
MAX_LABEL = 24


def _is_label_or_address(block: A.Block) -> bool:
    """A short label ending in a colon, or a bare address (a URL and nothing else)."""
    text = _short_text(block, MAX_JUNK)
    if text is None or isinstance(block, A.Heading):
        return False
    text = text.strip(" *_\n")
    return (0 < len(text) <= MAX_LABEL and text.endswith((":", "："))) \
        or (text.startswith(("http://", "https://")) and not any(c.isspace() for c in text))


def _drop_closing_prompt(blocks: list[A.Block], notice: Notice) -> list[A.Block]:
    """A subscription prompt closing the article with the addresses it gives, one label
    and one address a line ("欢迎订阅…播客。" "Feed-URL:" "https://…" "iTunes:" "https://…"):
    the run of labels and bare addresses at the end counts only after such a prompt."""
    start = len(blocks)
    while start and _is_label_or_address(blocks[start - 1]):
        start -= 1
    if start == len(blocks) or not start:
        return blocks
    prompt = _short_text(blocks[start - 1], MAX_PROMPT)
    lower = (prompt or "").casefold()
    if not (_SUBSCRIBE.search(lower) and _CALL.search(lower)):
        return blocks
    for block in blocks[start - 1:]:
        notice("closing boilerplate", _text(block))
    return blocks[:start - 1]


#: The text of a link that only leads on to the rest of the article.
_MORE = frozenset(["more", "read more", "continue reading", "更多", "看更多", "閱讀更多", "阅读更多", "全文",
                   "閱讀全文", "阅读全文", "查看全文"])


def drop_closing_inline(blocks: list[A.Block], notice: Notice = rules.ignore) -> list[A.Block]:
    """What closes the last paragraph but is not article text: a "...more" link (the feed's
    teaser), a copyright line run into the paragraph ("…谢谢。」 *© 2020年德国之声版权声明…*")."""
    if not blocks or not isinstance(blocks[-1], A.Paragraph):
        return blocks
    content = list(blocks[-1].content)
    while content and (isinstance(content[-1], A.LineBreak)
                       or (isinstance(content[-1], A.Text) and not content[-1].text.strip())):
        content.pop()
    if not content:
        return blocks
    last = content[-1]
    text = A.plain_text([last]).strip()
    if isinstance(last, A.Link) and text.strip(" .…").casefold() in _MORE:
        notice("more link", text)
    elif len(content) > 1 and isinstance(last, (A.Emphasis, A.Strong, A.Text)) and is_copyright(text) \
            and len(text) <= MAX_JUNK:
        notice("closing boilerplate", text)
    else:
        return blocks
    content.pop()
    if not A.plain_text(content).strip(" .…\n"):
        return blocks[:-1]
    return blocks[:-1] + [A.Paragraph(content)]


# ---------------------------------------------------------------------------- related links


def is_related_list(block: A.Block, url: str) -> bool:
    """A list whose every item is links and nothing else (a title, maybe its source) to
    other pages of the site; without the document's URL, two links or more (a title and
    its section count) all to one site."""
    if not isinstance(block, (A.BulletList, A.OrderedList)) or not block.items:
        return False
    firsts, links = [], []
    for item in block.items:
        if not item or not all(isinstance(b, (A.Paragraph, A.Heading)) for b in item):
            return False
        found = [link for b in item if isinstance(b, (A.Paragraph, A.Heading)) for link in _links(b.content)]
        if not found or any(_link_share(b)[0] != _link_share(b)[1] for b in item):
            return False
        firsts.append(found[0])
        links.extend(found)
    if url:
        return all(_other_page_of_site(link, url) for link in firsts)
    sites = {rules.site_key(link.url) for link in links}
    return len(links) >= 2 and len(sites) == 1 and "" not in sites


def is_link_bar(block: A.Block, url: str, closing: bool) -> bool:
    """A paragraph of two or more links with only separators between them ("A | B | C"),
    maybe after a short label ("Listen on:", which may also list a name or two without a
    link): navigation, tags or a share bar. Links to other sites count only with a label
    or after the article. One link counts under a label that says "related" ("相关阅读："),
    when it leads to another page of the site."""
    if not isinstance(block, A.Paragraph):
        return False
    links = _links(block.content)
    if not links or any(isinstance(n, A.Image) for n in A.walk([block])):
        return False
    rest = _outside_links(block.content).strip()
    colon = min((p for p in (rest.find(":"), rest.find("：")) if p >= 0), default=-1)
    label, between = (rest[:colon + 1], rest[colon + 1:]) if 0 < colon < MAX_TITLE else ("", rest)
    if len(links) < 2:  # one link: only under a label that says "related" ("相关阅读：[…]")
        return _RELATED_LABEL.search(label.casefold()) is not None and not between.strip() \
            and _other_page_of_site(links[0], url)
    items = [item.strip() for item in _BAR_SEPARATORS.split(between) if item.strip()]
    if items and not (label and all(len(item) <= MAX_TITLE for item in items)):
        return False  # text between the links: a sentence, unless a label lists names
    return bool(label) or closing or all(_other_page_of_site(link, url) for link in links)


_BAR_SEPARATORS = lazy_compile(r"[|｜·•/,，、\n]")
#: Words of a label over links to more articles (the web's vocabulary, in the corpus's
#: languages); looked for in a label of at most ``MAX_TITLE`` characters.
_RELATED_LABEL = _any_of("相关", "相關", "延伸", "推荐", "推薦", "更多", "另见", "另見", "related", "read more",
                         "see also", "also read", "more on")


def _outside_links(nodes: list[A.Inline]) -> str:
    """The text of inlines that is not inside a link."""
    out: list[str] = []
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        if isinstance(node, A.Text):
            out.append(node.text)
        elif isinstance(node, A.LineBreak):
            out.append("\n")
        elif not isinstance(node, A.Link) and hasattr(node, "content"):
            stack.extend(reversed(node.content))
    return "".join(out)


def _is_link_block(block: A.Block, url: str) -> bool:
    """Mostly links (70 % of its text), with a link to another page of the site; a list, a
    paragraph, or a quote of such paragraphs (a WordPress post card)."""
    quote_of_paragraphs = isinstance(block, A.BlockQuote) and all(isinstance(b, A.Paragraph) for b in block.content)
    if isinstance(block, (A.BulletList, A.OrderedList, A.Paragraph)) or quote_of_paragraphs:
        nodes = list(A.walk([block]))
    else:
        return False
    links = [n for n in nodes if isinstance(n, A.Link)]
    text, linked = _link_share(block)
    return bool(text) and linked >= 0.7 * text and any(_other_page_of_site(link, url) for link in links)


def drop_related_links(blocks: list[A.Block], url: str, notice: Notice = rules.ignore) -> list[A.Block]:
    """Related-article links: lists of links to other pages of the site, link bars, a block
    of such links under a label ("相关阅读："), and the links after the article's last text,
    each with the title above it."""
    last_prose = next((i for i in range(len(blocks) - 1, -1, -1) if _is_prose(blocks[i])), -1)
    out: list[A.Block] = []
    for i, block in enumerate(blocks):
        if not _has_link(block):  # most blocks: none of the shapes below
            out.append(block)
            continue
        closing = 0 <= last_prose < i  # after the article's text; a document of links alone has none
        labelled = bool(out) and _is_title(out[-1]) and _text(out[-1]).rstrip().endswith((":", "：")) \
            and _is_link_block(block, url)
        quoted = isinstance(block, A.BlockQuote) and bool(block.content) \
            and all(is_link_bar(b, url, closing) for b in block.content)
        if is_related_list(block, url) or is_link_bar(block, url, closing) or labelled or quoted:
            title = out.pop() if out and _is_title(out[-1]) else None
            notice("related links", (_text(title) + " " if title else "") + _block_text(block))
            continue
        out.append(block)
    end, links = len(out), 0
    while end and (_is_link_block(out[end - 1], url) or isinstance(out[end - 1], A.HorizontalRule)):
        end -= 1
        links += sum(isinstance(n, A.Link) and _other_page_of_site(n, url) for n in A.walk([out[end]]))
    titled = end < len(out) and end > 0 and _is_title(out[end - 1])
    if links >= 2 or (titled and links):
        for block in out[end - titled:]:
            notice("trailing related links", _block_text(block))
        return out[:end - titled]
    return out


def drop_dangling_end(blocks: list[A.Block], notice: Notice = rules.ignore) -> list[A.Block]:
    """What heads or separates nothing at the end of the document: a last heading has no
    section under it (a site's masthead after the article, a related block's title whose
    links went), a last rule no text after it."""
    end = len(blocks)
    while end and isinstance(blocks[end - 1], (A.Heading, A.HorizontalRule)):
        end -= 1
        notice("dangling end", _text(blocks[end]))
    return blocks[:end] if end < len(blocks) else blocks


# ---------------------------------------------------------------------------- head of the document


def drop_date_stamp(blocks: list[A.Block], published: dt.datetime | None,
                    notice: Notice = rules.ignore) -> tuple[list[A.Block], dt.datetime | None]:
    """Drop a line among the first blocks that is only a date repeating the publication time
    (any date when the document has none, which it then gives), or only a relative time
    ("20 分钟前", meaningless in an archive). Returns the blocks and the date read."""
    found: dt.datetime | None = None
    out = list(blocks)
    seen = 0
    for block in list(out):
        if seen >= EDGE:
            break
        if isinstance(block, A.Figure):
            continue
        seen += 1
        lines = [line for line in _text(block).split("\n") if line.strip()]
        if not lines or not isinstance(block, A.Paragraph) or len(lines) > 2:
            continue
        stamps = [dates.parse_stamp(line.strip(" *_")) for line in lines]
        if all(s is not None and (published is None or dates.repeats(s, published)) for s in stamps):
            found = found or stamps[0].when  # type: ignore[union-attr]
        elif not all(rules.is_relative_time(line.strip(" *_")) for line in lines):
            continue
        out.remove(block)
        notice("date stamp", _text(block))
    return out, found


def take_credit_lines(blocks: list[A.Block], notice: Notice = rules.ignore) -> tuple[list[A.Block], str]:
    """Credit lines among the first and the last blocks ("作者：張三", "记者 吕熙 责编 胡力汉",
    "责任编辑：徐亦扬"): the first author they name, and the blocks without those lines (a
    line naming only editors is metadata too; one naming the source, "来源：…", stays)."""
    paragraphs = [i for i, b in enumerate(blocks) if isinstance(b, A.Paragraph)]
    candidates = paragraphs[:EDGE] + [i for i in paragraphs[-EDGE:] if i not in paragraphs[:EDGE]]
    author, drop = "", set()
    for i in candidates:
        name = bylines.credit_line(_text(blocks[i]))
        if name is not None and (name or not bylines.names_source(_text(blocks[i]))):
            author = author or name
            drop.add(i)
            notice("credit line", _text(blocks[i]))
    return [b for i, b in enumerate(blocks) if i not in drop], author


def lead_reporter(blocks: list[A.Block], notice: Notice = rules.ignore) -> str:
    """The reporter named in the dateline of the lead paragraph, which stays as it is."""
    for block in blocks[:EDGE + 1]:
        if isinstance(block, A.Paragraph):
            name = bylines.dateline_reporter(_text(block))
            if name:
                notice("dateline reporter", name)
                return name
    return ""


def _headings(blocks: list[A.Block]) -> list[A.Heading]:
    """The headings among blocks and the blocks they hold, in order (inlines are not looked into)."""
    found: list[A.Heading] = []
    stack = list(reversed(blocks))
    while stack:
        block = stack.pop()
        if isinstance(block, A.Heading):
            found.append(block)
        elif isinstance(block, (A.BlockQuote, A.Div)):
            stack.extend(reversed(block.content))
        elif isinstance(block, (A.BulletList, A.OrderedList)):
            stack.extend(reversed([b for item in block.items for b in item]))
    return found


def normalize_headings(blocks: list[A.Block], notice: Notice = rules.ignore) -> list[A.Block]:
    """The first heading under the title is a level-2 heading, whatever level the source
    used; the others move by as much, staying between 2 and 6 (level 1 is the title's)."""
    headings = list(_headings(blocks))
    if not headings:
        return blocks
    shift = headings[0].level - 2
    if shift or any(h.level < 2 for h in headings):
        notice("heading levels", A.plain_text(headings[0].content))
    for heading in headings:
        heading.level = min(6, max(2, heading.level - shift))
    return blocks
