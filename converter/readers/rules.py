"""Cleaning rules for feed HTML: each is a small named function with a test on a fixture.

The HTML reader (``html.py``) walks the tree once and asks these rules what an element is:
non-content to drop, a tracking pixel, a lazy-loaded image's real URL, a caption, a byline,
the feedx promo footer. Keeping them here, apart from the walk, keeps each rule readable
and testable on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from functools import lru_cache
from itertools import islice, pairwise
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree

from ..chars import drop_all_controls, one_line
from ..patterns import lazy_compile
from .bylines import byline_name

#: An lxml element (or comment) of the parsed HTML.
Element = etree._Element
#: Called with the name of a rule and what it took or changed, each time a rule fires
#: (``benchmarks/reader_report.py --rules`` counts them and lists what they took).
Notice = Callable[[str, str], None]


def ignore(rule: str, text: str) -> None:
    """The ``Notice`` used when nobody is counting."""

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


def first_ancestor(el: Element, names: Collection[str]) -> Element | None:
    """The nearest ancestor named in ``names``. (Climbing with ``getparent`` costs a third of
    what ``iterancestors(*names)`` does, which sets up a matcher for the names at each call.)"""
    parent = el.getparent()
    while parent is not None:
        if parent.tag in names:
            return parent
        parent = parent.getparent()
    return None


def text_of(el: Element) -> str:
    """All text inside ``el`` (no comments), as the reader sees it.

    Strings inside an ``OWN_TEXT`` element count only for that element's own text. Outside
    ``<pre>`` and ``<textarea>``, a string of nothing but ASCII white space counts as one
    space, or one newline if it holds one, so that the indentation between tags neither
    shows in inline code nor adds to a caption's length.
    """
    tag = el.tag
    holder = tag if tag in OWN_TEXT else None
    if holder is None and first_ancestor(el, OWN_TEXT) is not None:
        return ""  # everything in here belongs to the script, template or annotation around it
    keep = tag in _KEEP_SPACE or first_ancestor(el, _KEEP_SPACE) is not None
    # (each reading of an lxml element's .text or .tail makes a new string: read once)
    parts = [_collapse(text, keep)] if (text := el.text) else []
    # Depth-first, iteratively (trees can be deep): each frame is an element, its children
    # still to visit, and whether its strings are wanted and keep their white space.
    stack = [(el, iter(el), True, keep)]
    while stack:
        node, children, wanted, keep = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if stack and stack[-1][2] and (tail := node.tail):
                parts.append(_collapse(tail, stack[-1][3]))
            continue
        tag = child.tag
        if not isinstance(tag, str):  # a comment: only its tail is text
            if wanted and (tail := child.tail):
                parts.append(_collapse(tail, keep))
            continue
        child_wanted = tag == holder if tag in OWN_TEXT else wanted
        child_keep = keep or tag in _KEEP_SPACE
        if child_wanted and (text := child.text):
            parts.append(_collapse(text, child_keep))
        stack.append((child, iter(child), child_wanted, child_keep))
    return "".join(parts)


def _collapse(text: str, keep: bool) -> str:
    if keep or text.strip(_ASCII_SPACE):
        return text
    return "\n" if "\n" in text else " "


# --------------------------------------------------------------------------- feedx footer and byline

_FEEDX = lazy_compile(r"获取更多\s*RSS\s*[：:]")
#: Searched for only in the 400 characters before the footer: a search tries it from every
#: position of a long run of white space, each time to the end of the run.
_FOOTER_LEAD = lazy_compile(r"(?:\s|<br\s*/?>|<hr\s*/?>|<div>)*\Z")
#: The author is everything between ``<i>`` and ``<br>``, white space and all (``one_line``
#: collapses it): white space matched apart from it (``\s*([^<]*?)\s*``) can be shared out
#: between the three in so many ways that a byline that is not one took cubic time to refuse.
_BYLINE = lazy_compile(
    r"\A(\s*(?:<div>\s*)?)<div>\s*<i>([^<]*)<br\s*/?>\s*"
    r"(\d{4}-\d\d-\d\d[T ][\d:.]+Z?)\s*</i>\s*</div>")


def strip_promo_footer(body: str) -> str:
    """Cut the feedx mirror's "获取更多RSS：…" footer and the ``<br><hr><div>`` before it."""
    idx = body.rfind("获取更多")
    if idx < 0 or not _FEEDX.match(body, idx):
        return body
    head = body[:idx]
    lead = _FOOTER_LEAD.search(head, max(0, idx - 400))
    return head[: lead.start()] if lead else head


def extract_byline(body: str, notice: Notice = ignore) -> tuple[str, str]:
    """Take the leading ``<div><i>Author<br>date</i></div>`` byline out; return (author, body).

    The date is ISO 8601 (``2025-02-01T12:20:12Z``) or has a space for the ``T``
    (``2020-12-11 14:02:26``); the author is as written (``bylines.clean_author`` undoes a
    name written twice)."""
    match = _BYLINE.match(body)
    if not match:
        return "", body
    notice("feed byline", match.group(2) + " " + match.group(3))
    return one_line(match.group(2)), match.group(1) + body[match.end():]


# --------------------------------------------------------------------------- images

#: Attributes that lazy-loading scripts use for the real image URL, best first.
_LAZY_SOURCES = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url",
                 "data-hi-res-src", "data-full-src", "data-echo")
_SRCSETS = ("data-srcset", "srcset", "data-lazy-srcset")
#: Where an image's URL is looked for, in this order.
_IMAGE_SOURCES = (*_LAZY_SOURCES, *_SRCSETS, "src")
_PLACEHOLDER = lazy_compile(
    r"(?i)/(?:[\w-]*[_-])?(spacer|blank|transparent|placeholder|pixel|1x1|lazy|lazyload|loading|grey|gray)"
    r"\.(gif|png|svg|jpe?g|webp)\b|/pixel[/?]|feeds\.feedburner\.com/~r/|/~ff/|doubleclick\.net|/beacon\b")
#: A data: URL shorter than this is a lazy-loading placeholder, not a picture.
_MIN_DATA_URL = 1024


def image_source(img: Element, base_url: str = "") -> str:
    """The real URL of an image: lazy-loading attributes, then the largest srcset entry, then src.

    Placeholders (spacer GIFs, tiny ``data:`` URLs) and tracking pixels give ``""``.
    """
    present = img.keys()  # most images have a src and none of the others
    for attr in _IMAGE_SOURCES:
        if attr in present:
            raw = img.get(attr) or ""
            url = clean_url(largest_srcset(raw) if attr in _SRCSETS else raw, base_url)
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
_PIXELS = lazy_compile(r"\s*(\d+)(?:\s*px)?\s*")


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


#: Alt texts that describe nothing: the word "image" in the corpus's languages, and CMS
#: placeholders. A writer would show them as "[图片：图片]".
_EMPTY_ALTS = frozenset((
    "image img photo picture pic figure 图片 圖片 图 圖 照片 相片 配图 配圖 图像 圖像 画像 写真 이미지 사진 "
    "添加图片说明 添加圖片說明 添加图片注释 添加圖片註釋").split()) | {"add caption", "add a caption", "insert caption"}
#: An alt text that is only a file name (``IMG_1234.JPG``, ``banner.png``).
_FILE_NAME_ALT = lazy_compile(r"[^\s/]{1,200}\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?|avif)", re.IGNORECASE)


def says_nothing(description: str) -> bool:
    """Whether an image's alt text or caption describes nothing: "图片", a file name, a CMS's
    "添加图片说明" placeholder (Blogger's "add a caption", left in the published page)."""
    return description.casefold() in _EMPTY_ALTS or bool(_FILE_NAME_ALT.fullmatch(description))


def image_alt(img: Element) -> str:
    """The image's description: its alt text, else its title; not one that says nothing."""
    for attr in ("alt", "title"):
        value = img.get(attr)
        if isinstance(value, str) and value.strip():
            text = one_line(value)
            if not says_nothing(text):
                return text
    return ""


# --------------------------------------------------------------------------- links

_UNSAFE_SCHEME = lazy_compile(r"(?i)^\s*(javascript|vbscript|data|file|about|blob)\s*:")


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
    url = unproxied_url(repaired_host(url))
    if url.startswith("//"):
        url = "https:" + url
    if base_url and not url.startswith("#") and not _is_plain_absolute(url) and _has_host(base_url):
        try:
            url = urljoin(base_url, url)
        except ValueError:
            return ""
        if _UNSAFE_SCHEME.match(url):  # a relative URL under a document URL such as file:///…
            return ""
        if url.startswith("//"):  # under a document URL without a scheme
            url = "https:" + url
    return url


#: Players that a page embeds, and the page a reader opens instead: (host, path pattern, how
#: the page's URL is made from the match).
_PLAYERS: tuple[tuple[frozenset[str], re.Pattern[str], str], ...] = (
    (frozenset(["youtube.com", "www.youtube.com", "youtube-nocookie.com", "www.youtube-nocookie.com"]),
     lazy_compile(r"/embed/(?!videoseries)([A-Za-z0-9_-]{11})(?:[/?#]|$)"), "https://www.youtube.com/watch?v={0}"),
    (frozenset(["player.vimeo.com"]), lazy_compile(r"/video/([0-9]{1,20})(?:[/?#]|$)"), "https://vimeo.com/{0}"),
    (frozenset(["player.bilibili.com"]), lazy_compile(r"/player\.html\?(?:.*&)?bvid=(BV[A-Za-z0-9]{10})(?:&|$)"),
     "https://www.bilibili.com/video/{0}"),
)


def embedded_page(url: str) -> tuple[str, str] | None:
    """For the URL of a video player a page embeds (YouTube, Vimeo, Bilibili, Facebook), the
    video's own page, which a reader can open anywhere, and its kind (``video``); ``None`` for
    any other URL. The embed URL is for an ``<iframe>``: opened as a link it is a bare player."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    target = parts.path + ("?" + parts.query if parts.query else "")
    for hosts, pattern, page in _PLAYERS:
        match = pattern.match(target) if host in hosts else None
        if match:
            return "video", page.format(match.group(1))
    if host in ("facebook.com", "www.facebook.com") and parts.path == "/plugins/video.php":
        href = dict(parse_qsl(parts.query)).get("href", "")
        if href.startswith(("https://", "http://")) and site_key(href) == "facebook.com":
            return "video", href
    return None


#: Image proxies of feed mirrors that take the original URL in a ``url=`` parameter.
_IMAGE_PROXIES = ("images.weserv.nl/?", "images.weserv.nl?")


def unproxied_url(url: str) -> str:
    """The original URL of an image served through a feed mirror's proxy
    (``https://images.weserv.nl/?url=host/a.jpg`` gives ``https://host/a.jpg``).

    The proxy is an artefact of the mirror, not of the article: the original outlives it. The
    proxy takes the URL without a scheme (or with ``ssl:`` for https); https is added.
    """
    if "weserv" not in url:
        return url
    rest = url.split("//", 1)[-1] if url.startswith(("https://", "http://", "//")) else url
    if not rest.startswith(_IMAGE_PROXIES):
        return url
    for name, value in parse_qsl(rest.split("?", 1)[1]):
        original = value.strip().removeprefix("ssl:")
        if name == "url" and original:
            if original.startswith(("https://", "http://")):
                return original
            return "https://" + original.lstrip("/")
    return url


def repaired_host(url: str) -> str:
    """A URL whose host was written twice over, the second time with its own scheme
    (``https://www.economist.comhttps://itunes.apple.com/x``, ``https://site.commailto:a@b``),
    as the second URL.

    Feeds that prefix every ``href`` with the site's address do that to absolute links. Only
    a second scheme inside the host counts: ``https://archive.org/web/https://x`` is a path.
    """
    start = url.find("://")
    if start < 0 or ("http" not in url[start + 3:] and "mailto:" not in url[start + 3:]):
        return url
    mail, slash = url.find("mailto:", start + 3), url.find("/", start + 3)
    if mail > 0 and (slash < 0 or mail < slash):  # https://site.commailto:x@y
        return url[mail:]
    end = slash
    if end < 0 or not url.startswith("//", end):
        return url
    authority = url[start + 3:end]
    for scheme in ("https:", "http:"):
        if authority.endswith(scheme):
            return scheme + url[end:]
    return url


@lru_cache(maxsize=256)
def _has_host(base_url: str) -> bool:
    """Whether a document URL names a host, so that relative links can be resolved against
    it: against ``#frag`` or ``page.html`` ``../x.png`` would become ``x.png``, and that again
    ``/x.png`` (resolving would not give the same URL twice)."""
    try:
        return bool(urlsplit(base_url).netloc)
    except ValueError:
        return False


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


#: Second-level labels under which sites register (``cna.com.tw``, ``bbc.co.uk``).
_REGISTRY_LABELS = frozenset(["com", "co", "org", "net", "gov", "edu", "ac", "or", "ne", "go"])


def site_key(url: str) -> str:
    """The part of a URL's host a site registers: ``bbc.com`` for ``www.bbc.com`` and
    ``news.bbc.com``, ``cna.com.tw`` for ``www.cna.com.tw``; ``""`` without a host."""
    labels = site_of(url).split(".")
    if len(labels) < 2:
        return ""
    keep = 3 if len(labels) >= 3 and labels[-2] in _REGISTRY_LABELS and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


# --------------------------------------------------------------------------- captions

_CAPTION_CLASS = lazy_compile(r"(?i)caption|picinfo|pic-?info|img-?desc|image-?desc|photo-?desc|credit|legend|pictext"
                            r"|pic_?txt|wp-caption-text")
#: Caption text longer than this is article text, not a caption.
MAX_CAPTION = 400


_NOT_IN_SMALL_CAPTIONS = frozenset(["img", "p", "div", "table"])
_FIGURE_CLASS = lazy_compile(r"(?i)\b(pic|img|image|photo|figure|media|wp-caption)")


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
    if (el.text or "").strip():
        return False
    content = [child for child in el if isinstance(child.tag, str) or (child.text or "").strip()]
    if any((child.tail or "").strip() for child in el):
        return False
    return len(content) == 1 and content[0].tag == "small"


# --------------------------------------------------------------------------- site furniture
#
# What a page wraps around an article, found by the web's own vocabulary (class and id
# names such as "related", "newsletter", "ad", "share") and by structure (form fields, a
# theme's image folder, icon sizes). Each kind has a ceiling on how much text it may hold, so
# that an article container that happens to carry such a word is never taken for furniture.

#: Attribute values longer than this are not looked into (a class list is a few dozen bytes).
_MAX_CLASS = 512
#: A class or id name split into words: "moreArticle" -> more, article; "m-block-ad__label"
#: -> m, block, ad, label.
_CLASS_WORD = lazy_compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

#: Kinds of furniture: words (whole words of a class or id name), longer stems found inside
#: a word, and how many characters of text such an element may hold at most.
_FURNITURE_WORDS: dict[str, tuple[frozenset[str], tuple[str, ...], int]] = {
    "advert": (frozenset(["ad", "ads", "adslot", "adsense", "dfp", "gpt", "sponsor", "sponsored"]),
               ("advert", "adsbygoogle", "sponsor"), 40),
    "related": (frozenset(["related", "recommend", "recommended", "recirculation"]),
                ("related", "recommend", "readmore", "morearticle", "morestories"), 2000),
    "prompt": (frozenset(["newsletter", "subscribe", "subscription", "signup", "paywall", "epaper", "regwall",
                          "barrier"]),
               ("newsletter", "subscri", "paywall", "signup"), 300),
    "share": (frozenset(["share", "sharing", "social", "donate", "donation", "sharebar", "addthis", "sharethis"]),
              ("sharing", "sharebar", "socialshare", "donate", "donation"), 150),
    "popup": (frozenset(["dictionary", "glossary", "tooltip", "popup", "popover", "modal"]),
              ("dictionary", "glossary", "tooltip", "popover"), 600),
    "widget": (frozenset(["widget"]), (), 150),
}
_WORD_KINDS = {word: kind for kind, (exact, _, _) in reversed(_FURNITURE_WORDS.items()) for word in exact}
_STEM_KINDS = [(stem, kind) for kind, (_, stems, _) in _FURNITURE_WORDS.items() for stem in stems]
#: "more" followed by one of these in a class name says "more articles": CNA's "moreArticle".
_MORE_WHAT = frozenset(["article", "articles", "news", "stories", "story", "posts", "reading", "links"])


def class_words(el: Element) -> tuple[str, ...]:
    """The words of an element's class and id names, lower-cased, in order."""
    return _words_of_names((el.get("class") or "") + " " + (el.get("id") or ""))


@lru_cache(maxsize=4096)
def _words_of_names(names: str) -> tuple[str, ...]:
    """:func:`class_words` of the names; cached: a site repeats its class names in every item."""
    if len(names) > _MAX_CLASS or not names.strip():
        return ()
    return tuple(w.lower() for w in _CLASS_WORD.findall(names))


#: A quick look before the words are found: most class names hold none of these. (Substring
#: tests: a regular expression of the same alternatives takes several times as long.)
_MARK_HINTS = ("ad", "dfp", "gpt", "spons", "relat", "recommend", "recirc", "more", "newsletter", "subscri", "sign",
               "paywall", "epaper", "regwall", "barrier", "shar", "social", "donat", "addthis", "dictionary",
               "glossary", "tooltip", "pop", "modal", "widget", "byline", "author", "person", "contributor", "writer")
#: Words of class names, and item properties, of an element that holds the byline.
_BYLINE_WORDS = frozenset(["byline", "author", "authors", "person", "contributor", "contributors", "writer"])
_BYLINE_PROPS = frozenset(["author", "byline", "creator"])
#: A byline holds no more text than this; an author element holding more is a biography.
MAX_BYLINE = 80


def may_be_marked(el: Element) -> bool:
    """Whether an element's class, id or item property may name furniture or a byline."""
    return _names_may_mark((el.get("class") or "") + " " + (el.get("id") or "") + " " + (el.get("itemprop") or ""))


@lru_cache(maxsize=4096)
def _names_may_mark(names: str) -> bool:
    """:func:`may_be_marked` of the names; cached: a site repeats its class names in every item."""
    names = names.lower()
    return len(names) <= _MAX_CLASS and any(hint in names for hint in _MARK_HINTS)


def is_byline_element(el: Element) -> bool:
    """A block whose item property or class names say it holds the byline: ``itemprop=
    "byline"``, ``class="byline"``, BBC's ``…-Person`` list of a name and a title."""
    if el.tag not in BLOCKS and el.tag != "address":
        return False
    prop = (el.get("itemprop") or "").strip().lower()
    return prop in _BYLINE_PROPS or (not prop and bool(_BYLINE_WORDS.intersection(class_words(el))))


def byline_of(el: Element) -> str:
    """The name a byline element gives: its name element's text (``class="…-Name"``,
    ``itemprop="name"``) or its own, without "by"; ``""`` for a longer text (a biography)."""
    text = " ".join(text_of(el).split())
    if not text or len(text) > MAX_BYLINE:
        return ""
    for child in el.iterdescendants(etree.Element):
        if (child.get("itemprop") or "").lower() == "name" or "name" in class_words(child):
            return byline_name(" ".join(text_of(child).split()))
    return byline_name(text)


def furniture_kind(el: Element) -> str:
    """The kind of page furniture an element's class or id names say it is, else ``""``.

    Related-article blocks must be mostly links, and every kind has a ceiling on its text,
    so an article container is never taken (``related-posts-enabled`` on a body of 5,000
    characters stays).
    """
    kind = _named_kind(class_words(el))
    return kind if kind and _fits(el, kind) else ""


@lru_cache(maxsize=4096)
def _named_kind(words: tuple[str, ...]) -> str:
    """The first kind of furniture (in ``_FURNITURE_WORDS`` order) that class words name
    (cached: the same few class names come back in every item of a site)."""
    found = {_WORD_KINDS[w] for w in words if w in _WORD_KINDS}
    for word in words:
        found.update(kind for stem, kind in _STEM_KINDS if stem in word)
    if "related" not in found and any(a == "more" and b in _MORE_WHAT for a, b in pairwise(words)):
        found.add("related")
    return next((kind for kind in _FURNITURE_WORDS if kind in found), "")


def _fits(el: Element, kind: str) -> bool:
    text = "".join(text_of(el).split())
    if len(text) > _FURNITURE_WORDS[kind][2]:
        return False
    if kind == "related":  # a list of links: most of its text is link text
        linked = sum(len("".join(text_of(a).split())) for a in el.iter("a"))
        return bool(text) and linked >= 0.5 * len(text)
    return True


def is_tag_list(el: Element) -> bool:
    """A block of tag or category links (``rel="tag"``, ``rel="category"``) with nothing but
    separators between them, after a short label ("Post tags:"): the CMS's index terms, not
    article text (a tag link inside a sentence is the sentence's)."""
    if el.tag not in BLOCKS:
        return False
    links = list(el.iter("a"))
    if not links or not all(_is_tag_link(a) for a in links):
        return False
    label, between = _outside_links(el)
    return len(label.strip()) <= MAX_TAG_LABEL and not between.strip(_TAG_SEPARATORS)


def _outside_links(el: Element) -> tuple[str, str]:
    """The text of ``el`` outside its links: before the first link, and after it."""
    before: list[str] = [el.text or ""]
    after: list[str] = []
    seen_link = False
    for node in el.iterdescendants():
        if node.tag == "a":
            seen_link = True
        elif isinstance(node.tag, str) and node.text and first_ancestor(node, ["a"]) is None:
            (after if seen_link else before).append(node.text)
        if node.tail and (node.tag == "a" or first_ancestor(node, ["a"]) is None):
            # a tail follows its element's subtree: after the first link if that link is in it
            (after if seen_link else before).append(node.tail)
    return "".join(before), "".join(after)


_TAG_SEPARATORS = " \t\n\u3000,，、|｜/·•;；"


def _is_tag_link(a: Element) -> bool:
    return bool({"tag", "category"}.intersection((a.get("rel") or "").lower().split()))


#: The label before a list of tags ("Post tags:", "标签：") is no longer than this.
MAX_TAG_LABEL = 12
#: Form fields a reader types into; outside a <form> they belong to a sign-up box or a search.
_FIELDS = ("input", "textarea", "select")
#: A widget around a form field holds no more text than this (its title, labels, messages).
MAX_WIDGET_TEXT = 200


def widget_around(field: Element) -> Element | None:
    """The largest element around a form field that holds little text: the newsletter or
    search box the field belongs to (its title, error message and thanks included).

    ``None`` for a hidden field, and when even the field's parent holds more text than a
    widget does.
    """
    if field.tag == "input" and (field.get("type") or "").strip().lower() == "hidden":
        return None
    widget = None
    for parent in field.iterancestors():
        if parent.tag in ("body", "html") or parent.getparent() is None:
            break
        if len("".join(text_of(parent).split())) > MAX_WIDGET_TEXT:
            break
        widget = parent
    return widget


#: Words of an image's file name that say it is part of the page, not of the article.
_FURNITURE_FILE_WORDS = frozenset(["icon", "icons", "favicon", "sprite", "sprites", "button", "buttons", "btn",
                                   "badge", "badges", "avatar", "spacer", "qrcode", "twcard", "twcards", "fallback"])
#: Words that say so only of an image without alt text inside a link (a logo linking home, a
#: share, zoom or donate button): a photo may be named after a logo or a banner it shows.
_LINKED_FURNITURE_WORDS = frozenset(["logo", "logos", "banner", "zoom", "share", "sharing", "donate", "donation"])
#: Folders that hold a site's own images: a CMS theme, icon and social-card folders.
_FURNITURE_FOLDERS = frozenset(["themes", "theme", "skins", "skin", "icons", "emoticons", "smilies", "twcards",
                                "twcard"])
#: An image at most this many pixels wide and high is an icon or an avatar.
MAX_ICON = 100


def is_furniture_image(img: Element, url: str) -> bool:
    """Site furniture, not a picture of the article: an icon, button or avatar, a theme's
    image, a social card, a logo, zoom, share or donate image that is a link, an icon-sized
    image without alt text, or a banner strip (a height but no width, no alt text).

    Decided from the image's URL, its declared size and the link around it, so a single
    document is enough; the same banner in every item of a site is caught by the same marks.
    """
    try:
        path = urlsplit(url).path if "://" in url else url
    except ValueError:  # a host urlsplit refuses ("http://[::1/"): the URL as it is
        path = url
    folders, _, name = path.rpartition("/")
    words = {w.lower() for w in _CLASS_WORD.findall(name[:_MAX_CLASS])}
    folder_words = {w.lower() for w in _CLASS_WORD.findall(folders[-_MAX_CLASS:])}
    if words & _FURNITURE_FILE_WORDS or folder_words & _FURNITURE_FOLDERS:
        return True
    if image_alt(img):
        return False
    link = first_ancestor(img, ["a"])
    if link is not None and (words & _LINKED_FURNITURE_WORDS or furniture_kind(link) == "share"
                             or _is_donation(link.get("href") or "")):
        return True
    width, height = _declared(img, "width"), _declared(img, "height")
    return ((width is not None and height is not None and max(width, height) <= MAX_ICON)
            or (height is not None and width is None and height <= 2 * MAX_ICON))


def _declared(img: Element, attr: str) -> int | None:
    """A declared width or height in pixels; ``None`` when absent or not a pixel count."""
    value = img.get(attr)
    digits = _PIXELS.fullmatch(value) if isinstance(value, str) and len(value) < 16 else None
    return int(digits.group(1)) if digits and digits.group(1).isascii() else None


def _is_donation(href: str) -> bool:
    lower = href[:200].lower()
    return any(word in lower for word in ("paypal.", "donate", "donation", "patreon.", "ko-fi."))


# --------------------------------------------------------------------------- relative times

#: A time relative to when the page was seen: meaningless in an archive.
_RELATIVE_TIME = lazy_compile(
    r"(?:\d{1,4}\s*(?:秒|秒钟|秒鐘|分|分钟|分鐘|小时|小時|个小时|個小時|天|日|周|週|星期|个月|個月|年)前"
    r"|刚刚|剛剛|昨天|前天)"
    r"|(?i:(?:\d{1,4}|an?|one)\s+(?:second|minute|min|hour|hr|day|week|month|year)s?\s+ago|just now|yesterday)")
#: A ``datetime`` attribute is no longer than this (``2020-12-21T08:30:00.000+08:00``).
MAX_DATETIME = 40
#: A ``datetime`` attribute: a date, and maybe a time.
_DATETIME = lazy_compile(r"\s*(\d{4}-\d\d-\d\d)(?:[T ](\d\d:\d\d))?[^<]{0,20}")


def is_relative_time(text: str) -> bool:
    """Whether ``text`` is only a relative time ("20 分钟前", "3 hours ago", "昨天")."""
    return len(text) <= 40 and _RELATIVE_TIME.fullmatch(text.strip()) is not None


def time_text(el: Element) -> str | None:
    """The text for a ``<time>`` whose text is relative ("20 分钟前"): its ``datetime``
    (``2020-12-21`` or ``2020-12-21 08:30``). ``None`` when the text is not relative or the
    element gives no date."""
    if not is_relative_time(text_of(el)):
        return None
    value = el.get("datetime") or ""
    match = _DATETIME.fullmatch(value) if len(value) <= MAX_DATETIME else None
    if not match:
        return None
    return match.group(1) + (" " + match.group(2) if match.group(2) else "")


# --------------------------------------------------------------------------- code blocks

#: Characters a code block's language keeps: those of a class name (HTML's ``language-…``,
#: pandoc's class), so that no writer meets markup in it (pandoc Markdown's ``{=html}``).
_NOT_CLASS_NAME = lazy_compile(r"[^A-Za-z0-9_+-]")


def code_language(raw: str) -> str:
    """A code block's language as a safe class name: its first word, other characters dropped."""
    return _NOT_CLASS_NAME.sub("", "".join(raw.split()[:1]))
