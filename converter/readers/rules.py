"""Cleaning rules for feed HTML: each is a small named function with a test on a fixture.

The HTML reader (``html.py``) walks the tree once and asks these rules what an element is:
non-content to drop, a tracking pixel, a lazy-loaded image's real URL, a caption, a byline,
the feedx promo footer. Keeping them here, apart from the walk, keeps each rule readable
and testable on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..chars import drop_all_controls, one_line

#: An lxml element (or comment) of the parsed HTML.
Element = etree._Element

# --------------------------------------------------------------------------- element classes

#: Elements whose content is never article text.
NON_CONTENT = frozenset(
    ["script", "style", "template", "svg", "math", "head", "title", "meta", "link", "base", "button",
     "input", "select", "option", "optgroup", "textarea", "datalist", "form", "object", "canvas", "map",
     "area", "applet", "frame", "frameset", "dialog"])
#: HTML5 void elements the lxml parser does not know: it nests what follows inside them, so
#: they are walked through as if transparent.
UNKNOWN_VOIDS = frozenset(["source", "track", "wbr", "embed", "param", "keygen"])
#: Elements that become a link line ("Video: …") instead of silence.
EMBEDS = frozenset(["iframe", "video", "audio", "embed"])
#: Block-level elements: they end the paragraph around them.
BLOCKS = frozenset(
    ["address", "article", "aside", "blockquote", "body", "center", "details", "dd", "dir", "div", "dl",
     "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
     "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "picture", "pre",
     "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"]) | EMBEDS
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
#: Elements whose strings are theirs alone: script and style code, templates, ruby
#: annotations. Their text is neither walked nor part of the text of what holds them.
OWN_TEXT = frozenset(["script", "style", "template", "rt", "rp"])
#: Elements inside which white space is kept as written.
_KEEP_SPACE = ("pre", "textarea")
_ASCII_SPACE = " \t\n\r\f"

# --------------------------------------------------------------------------- tree searches


def first_descendant(el: Element, names: Iterable[str]) -> Element | None:
    """The first descendant, in document order, named in ``names``."""
    return next(el.iterdescendants(*names), None)


def count_descendants(el: Element, names: Iterable[str], limit: int) -> int:
    """How many descendants are named in ``names``, counting no further than ``limit``."""
    return sum(1 for _ in islice(el.iterdescendants(*names), limit))


def first_ancestor(el: Element, names: Iterable[str]) -> Element | None:
    """The nearest ancestor named in ``names``."""
    return next(el.iterancestors(*names), None)


def text_of(el: Element) -> str:
    """All text inside ``el`` (no comments), as the reader sees it.

    Strings inside an ``OWN_TEXT`` element count only for that element's own text. Outside
    ``<pre>`` and ``<textarea>``, a string of nothing but ASCII white space counts as one
    space, or one newline if it holds one, so that the indentation between tags neither
    shows in inline code nor adds to a caption's length.
    """
    holder = el.tag if el.tag in OWN_TEXT else None
    if holder is None and first_ancestor(el, OWN_TEXT) is not None:
        return ""  # everything in here belongs to the script, template or annotation around it
    keep = el.tag in _KEEP_SPACE or first_ancestor(el, _KEEP_SPACE) is not None
    parts = [_collapse(el.text, keep)] if el.text else []
    # Depth-first, iteratively (trees can be deep): each frame is an element, its children
    # still to visit, and whether its strings are wanted and keep their white space.
    stack = [(el, iter(el), True, keep)]
    while stack:
        node, children, wanted, keep = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if stack and node.tail and stack[-1][2]:
                parts.append(_collapse(node.tail, stack[-1][3]))
            continue
        tag = child.tag
        if not isinstance(tag, str):  # a comment: only its tail is text
            if child.tail and wanted:
                parts.append(_collapse(child.tail, keep))
            continue
        child_wanted = tag == holder if tag in OWN_TEXT else wanted
        child_keep = keep or tag in _KEEP_SPACE
        if child.text and child_wanted:
            parts.append(_collapse(child.text, child_keep))
        stack.append((child, iter(child), child_wanted, child_keep))
    return "".join(parts)


def _collapse(text: str, keep: bool) -> str:
    if keep or text.strip(_ASCII_SPACE):
        return text
    return "\n" if "\n" in text else " "


# --------------------------------------------------------------------------- feedx footer and byline

_FEEDX = re.compile(r"获取更多\s*RSS\s*[：:]")
#: Searched for only in the 400 characters before the footer: a search tries it from every
#: position of a long run of white space, each time to the end of the run.
_FOOTER_LEAD = re.compile(r"(?:\s|<br\s*/?>|<hr\s*/?>|<div>)*\Z")
#: The author is everything between ``<i>`` and ``<br>``, white space and all (``one_line``
#: collapses it): white space matched apart from it (``\s*([^<]*?)\s*``) can be shared out
#: between the three in so many ways that a byline that is not one took cubic time to refuse.
_BYLINE = re.compile(
    r"\A(\s*(?:<div>\s*)?)<div>\s*<i>([^<]*)<br\s*/?>\s*"
    r"(\d{4}-\d\d-\d\dT[\d:.]+Z?)\s*</i>\s*</div>")


def strip_promo_footer(body: str) -> str:
    """Cut the feedx mirror's "获取更多RSS：…" footer and the ``<br><hr><div>`` before it."""
    idx = body.rfind("获取更多")
    if idx < 0 or not _FEEDX.match(body, idx):
        return body
    head = body[:idx]
    lead = _FOOTER_LEAD.search(head, max(0, idx - 400))
    return head[: lead.start()] if lead else head


def extract_byline(body: str) -> tuple[str, str]:
    """Take the leading ``<div><i>Author<br>date</i></div>`` byline out; return (author, body)."""
    match = _BYLINE.match(body)
    if not match:
        return "", body
    return one_line(match.group(2)), match.group(1) + body[match.end():]


# --------------------------------------------------------------------------- images

#: Attributes that lazy-loading scripts use for the real image URL, best first.
_LAZY_SOURCES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url",
                 "data-hi-res-src", "data-full-src", "data-echo")
_SRCSETS = ("data-srcset", "srcset", "data-lazy-srcset")
_PLACEHOLDER = re.compile(
    r"(?i)/(?:[\w-]*[_-])?(spacer|blank|transparent|placeholder|pixel|1x1|lazy|lazyload|loading|grey|gray)"
    r"\.(gif|png|svg|jpe?g|webp)\b|/pixel[/?]|feeds\.feedburner\.com/~r/|/~ff/|doubleclick\.net|/beacon\b")
#: A data: URL shorter than this is a lazy-loading placeholder, not a picture.
_MIN_DATA_URL = 1024


def image_source(img: Element, base_url: str = "") -> str:
    """The real URL of an image: lazy-loading attributes, then the largest srcset entry, then src.

    Placeholders (spacer GIFs, tiny ``data:`` URLs) and tracking pixels give ``""``.
    """
    candidates = [img.get(a) for a in _LAZY_SOURCES]
    candidates += [largest_srcset(img.get(a)) for a in _SRCSETS]
    candidates.append(img.get("src"))
    for raw in candidates:
        url = clean_url(raw if isinstance(raw, str) else "", base_url)
        if url and not is_placeholder_url(url):
            return url
    return ""


def is_placeholder_url(url: str) -> bool:
    if url.startswith("data:"):
        return len(url) < _MIN_DATA_URL or not url.startswith("data:image/")
    if url.isascii():  # the search backtracks at every "/": first a word it needs (lowercase
        lower = url.lower()  # is what (?i) matches, for ASCII)
        if not any(word in lower for word in _PLACEHOLDER_WORDS):
            return False
    return bool(_PLACEHOLDER.search(url))


#: Each alternative of ``_PLACEHOLDER`` holds one of these.
_PLACEHOLDER_WORDS = ("spacer", "blank", "transparent", "placeholder", "pixel", "1x1", "lazy", "loading",
                      "grey", "gray", "feedburner", "/~ff/", "doubleclick", "beacon")


def largest_srcset(srcset: object) -> str:
    """The candidate with the largest width (``800w``) or density (``2x``) descriptor."""
    if not isinstance(srcset, str) or not srcset.strip():
        return ""
    best, best_size = "", -1.0
    for part in re.split(r",\s+(?=\S)", srcset.strip()):
        bits = part.split()
        if not bits:
            continue
        size = 1.0
        if len(bits) > 1:
            try:
                size = float(bits[1][:-1]) if bits[1][-1] in "wx" else 1.0
            except (ValueError, IndexError):
                size = 1.0
        if size > best_size:
            best, best_size = bits[0], size
    return best


#: A width or height in pixels. The white space before ``px`` belongs to the optional group,
#: so that two runs of white space never meet (``\s*(px)?\s*`` made refusing one quadratic).
_PIXELS = re.compile(r"\s*(\d+)(?:\s*px)?\s*")


def is_tracking_pixel(img: Element) -> bool:
    """Tracking pixels and spacers: a declared width or height of 0–2 pixels."""
    for attr in ("width", "height"):
        value = img.get(attr)
        if isinstance(value, str):
            digits = _PIXELS.fullmatch(value)
            if digits and _at_most_two(digits.group(1)):
                return True
    return False


def _at_most_two(digits: str) -> bool:
    """Whether decimal ``digits`` (of any script) spell 0, 1 or 2, however many zeros lead:
    ``int()`` refuses strings of more than 4,300 digits."""
    return int(digits[-1]) <= 2 and all(int(digit) == 0 for digit in digits[:-1])


def image_alt(img: Element) -> str:
    for attr in ("alt", "title"):
        value = img.get(attr)
        if isinstance(value, str) and value.strip():
            return one_line(value)
    return ""


# --------------------------------------------------------------------------- links

_UNSAFE_SCHEME = re.compile(r"(?i)^\s*(javascript|vbscript|data|file|about|blob)\s*:")


def clean_url(raw: str, base_url: str = "") -> str:
    """Resolve a link or image URL against the article URL; unsafe schemes give ``""``.

    ``data:`` is let through only for images (callers decide); ``javascript:`` never.
    """
    url = raw.strip() if raw else ""
    if not url:
        return ""
    url = drop_all_controls(url).replace(" ", "%20")
    while "&amp;" in url:  # double-escaped in the feed: "&amp;amp;" in the HTML
        url = url.replace("&amp;", "&")
    if url.lower().startswith("data:image/"):
        return url
    if _UNSAFE_SCHEME.match(url):
        return ""
    if base_url and not url.startswith("#") and not _is_plain_absolute(url):
        try:
            url = urljoin(base_url, url)
        except ValueError:
            return ""
        if _UNSAFE_SCHEME.match(url):  # a relative URL under a document URL such as file:///…
            return ""
    return url


def _is_plain_absolute(url: str) -> bool:
    """An absolute http(s) URL that ``urljoin`` would return unchanged (most links): ASCII,
    a host, nothing it normalises away (an empty query, fragment or ``;params``)."""
    return (url.startswith(("https://", "http://")) and url.isascii()
            and url[url.index("//") + 2:][:1].isalnum()
            and not url.endswith(("?", "#")) and ";" not in url and "?#" not in url
            and "[" not in url and "]" not in url)


def site_of(url: str) -> str:
    """The host of a URL without ``www.``; ``""`` when there is none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


# --------------------------------------------------------------------------- captions

_CAPTION_CLASS = re.compile(r"(?i)caption|picinfo|pic-?info|img-?desc|image-?desc|photo-?desc|credit|legend|pictext"
                            r"|pic_?txt|wp-caption-text")
#: Caption text longer than this is article text, not a caption.
MAX_CAPTION = 400


_NOT_IN_SMALL_CAPTIONS = frozenset(["img", "p", "div", "table"])
_FIGURE_CLASS = re.compile(r"(?i)\b(pic|img|image|photo|figure|media|wp-caption)")


def has_caption_class(el: Element) -> bool:
    # Class names hold no white space and neither pattern matches any, so searching the whole
    # attribute is searching each class name.
    return _CAPTION_CLASS.search(el.get("class") or "") is not None


def has_figure_class(el: Element) -> bool:
    """A container whose class says it holds a picture (``pic``, ``image``, ``wp-caption`` …)."""
    return _FIGURE_CLASS.search(el.get("class") or "") is not None


def is_caption(el: Element) -> bool:
    """An element right after an image that reads as its caption.

    ``<figcaption>``; an element with a caption-like class; or DW's
    ``<div><small>caption</small></div>`` (a block whose only content is one ``<small>``).
    """
    if el.tag == "figcaption" or has_caption_class(el):
        return len(text_of(el)) <= MAX_CAPTION
    if el.tag in ("div", "p") and first_descendant(el, _NOT_IN_SMALL_CAPTIONS) is None:
        return _only_content_is_small(el) and len(text_of(el)) <= MAX_CAPTION
    return False


def _only_content_is_small(el: Element) -> bool:
    """Whether a ``<small>`` is all ``el`` holds, white space aside (a comment is content)."""
    if el.text and el.text.strip():
        return False
    content = [child for child in el if isinstance(child.tag, str) or (child.text or "").strip()]
    if any(child.tail and child.tail.strip() for child in el):
        return False
    return len(content) == 1 and content[0].tag == "small"


# --------------------------------------------------------------------------- code blocks

#: Characters a code block's language keeps: those of a class name (HTML's ``language-…``,
#: pandoc's class), so that no writer meets markup in it (pandoc Markdown's ``{=html}``).
_NOT_CLASS_NAME = re.compile(r"[^A-Za-z0-9_+-]")


def code_language(raw: str) -> str:
    """A code block's language as a safe class name: its first word, other characters dropped."""
    return _NOT_CLASS_NAME.sub("", "".join(raw.split()[:1]))
