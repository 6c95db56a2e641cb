"""The words the converter adds to a document, in the document's language: one table.

Readers and writers add a few words of their own: what stands in for something that cannot be
shown (an image, a video, an embedded page), the metadata lines and the list of link targets
of plain text, the table of contents of an EPUB, the text of a link that has none. They are
looked up here by key and by the document's language (a BCP 47 tag), so that a Chinese
document gets Chinese labels in every format.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: For each language of the table, the words by key. ``colon`` separates a label from what it
#: labels (fullwidth in Chinese and Japanese text). ``image_link`` is the text of a link to an
#: image that is not shown and has no alt text; ``link`` that of a link to an address that is
#: no web page.
LABELS: dict[str, dict[str, str]] = {
    "en": {
        "image": "Image", "image_link": "[image]", "video": "Video", "audio": "Audio",
        "embedded": "Embedded", "author": "Author", "published": "Published", "source": "Source",
        "references": "References", "link": "link", "contents": "Contents", "colon": ": ",
    },
    "zh-Hans": {
        "image": "图片", "image_link": "[图片]", "video": "视频", "audio": "音频",
        "embedded": "嵌入内容", "author": "作者", "published": "日期", "source": "原文",
        "references": "链接", "link": "链接", "contents": "目录", "colon": "：",
    },
    "zh-Hant": {
        "image": "圖片", "image_link": "[圖片]", "video": "影片", "audio": "音訊",
        "embedded": "嵌入內容", "author": "作者", "published": "日期", "source": "原文",
        "references": "連結", "link": "連結", "contents": "目錄", "colon": "：",
    },
    "ja": {
        "image": "画像", "image_link": "[画像]", "video": "動画", "audio": "音声",
        "embedded": "埋め込み", "author": "著者", "published": "公開日時", "source": "出典",
        "references": "リンク", "link": "リンク", "contents": "目次", "colon": "：",
    },
    "ko": {
        "image": "이미지", "image_link": "[이미지]", "video": "동영상", "audio": "오디오",
        "embedded": "임베드", "author": "저자", "published": "게시", "source": "출처",
        "references": "링크", "link": "링크", "contents": "목차", "colon": ": ",
    },
}
#: The language whose words stand in for any language the table does not hold.
DEFAULT_LANGUAGE = "en"
#: Region subtags of Chinese written in traditional characters.
_TRADITIONAL_REGIONS = frozenset(("tw", "hk", "mo"))


def table_language(tag: str) -> str:
    """The language of the table for a BCP 47 tag: Chinese by script (``zh-Hant``, or a
    region that writes traditional characters: ``zh-TW``), else the primary language, else
    ``DEFAULT_LANGUAGE``."""
    subtags = tag.strip().replace("_", "-").lower().split("-")
    if subtags[0] == "zh":
        return "zh-Hant" if "hant" in subtags or _TRADITIONAL_REGIONS.intersection(subtags) else "zh-Hans"
    return subtags[0] if subtags[0] in LABELS else DEFAULT_LANGUAGE


def label(key: str, language: str) -> str:
    """The word ``key`` stands for in ``language`` (a BCP 47 tag)."""
    return LABELS[table_language(language)][key]


def labelled(key: str, language: str) -> str:
    """The label ``key`` with its colon, ready to go before what it labels: ``作者：``."""
    words = LABELS[table_language(language)]
    return words[key] + words["colon"]


def link_label(url: str, language: str) -> str:
    """A short text for a link that has none of its own, instead of its raw URL: the host of
    a web address (without ``www.``), else the address of a ``mailto:`` link, else the word
    for "link"."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:  # a malformed port or IPv6 literal
        parts, host = None, ""
    if parts is not None and parts.scheme.lower() in ("http", "https") and host:
        return host.removeprefix("www.")
    if parts is not None and parts.scheme.lower() == "mailto" and parts.path:
        return parts.path
    return label("link", language)
