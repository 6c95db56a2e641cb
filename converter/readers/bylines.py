"""Bylines: who wrote the article, read from the shapes feeds write it in.

- credit lines, a paragraph of their own: "作者：張三", "撰文 | 林子人", "译者/何黎",
  "记者：吕熙 刘少风 责编：许书婷", "编译 高思佳；审校 母红", "寒冬記者 常新";
- datelines at the head of the lead: "（中央社記者陳偉婷台北18日電）", "（大纪元记者何坚报导）";
- the markup's own: "by Catherine Brahic environment editor, The Economist" in a byline
  element, a name element in an author or person block;
- the feed's ``<div><i>NAME,NAME<br>date</i></div>``, whose name some feeds write twice.

Every function reads one short text (``MAX_LINE`` characters at most), so no pattern here
runs on a long one. A name that is a site's (``meta.site``) is told apart in ``feed.py``.
"""

from __future__ import annotations

from ..patterns import lazy_compile

#: Longer texts are not credit lines or bylines.
MAX_LINE = 80
#: Longer names are not names (a name with its romanisation in brackets fits).
MAX_NAME = 40

#: Roles that name the author (the writer, the reporter, the translator of this text).
_AUTHOR_ROLES = ("作者", "撰文", "撰稿", "采写", "採寫", "记者", "記者", "编译", "編譯", "译者", "譯者", "翻译", "翻譯")
#: Roles that name someone else; a line of them only is a credit line without an author.
_OTHER_ROLES = ("责任编辑", "責任編輯", "责编", "責編", "网编", "網編", "编辑", "編輯", "审校", "審校", "核稿",
                "校对", "校對", "发稿", "發稿", "摄影", "攝影", "制图", "製圖", "整理", "文字整理", "来源", "來源")
_SOURCE_ROLES = ("来源", "來源")
_ROLE = lazy_compile("(" + "|".join(sorted(_AUTHOR_ROLES + _OTHER_ROLES, key=len, reverse=True)) + ")")
#: What may stand between a role and its names, and between names.
_SEPARATORS = " \u3000\u00a0:：|｜/／"
_NAME_SEPARATORS = lazy_compile(r"[\s\u3000、,，/／;；]+")
#: A reporter's place before "报导" ("台北报导").
_PLACE_REPORT = ("报导", "報導", "报道", "報道")
#: Marks of a sentence: a credit line has none.
_SENTENCE = set("。！？!?“”「」《》")
#: Organisations may precede "记者": "寒冬記者", "自由亚洲电台记者".
_MAX_ORGANISATION = 10


def credit_line(text: str) -> str | None:
    """The author a credit line names ("" when it names only editors), or ``None`` when
    ``text`` is not a credit line but a sentence.

    A credit line is roles and names only: each role (作者, 记者, 编译, 译者, 责编, 审校 …)
    followed by short names, "寒冬記者 常新" with the organisation before the role, a
    reporter's "台北报导" after the names. "记者：吕熙 刘少风 责编：许书婷" gives "吕熙、刘少风".
    """
    line = text.strip(" \u3000*_")
    if line[:1] in ("（", "(") and line[-1:] in ("）", ")"):
        line = line[1:-1]
    if not line or len(line) > MAX_LINE or "\n" in line:
        return None
    if line[0] == "文" and line[1:2] in (":", "：", "/", "／", "|", "｜"):  # 文／張三
        line = "作者" + line[1:]
    parts = _ROLE.split(line)
    prefix, pairs = parts[0].strip(), list(zip(parts[1::2], parts[2::2], strict=True))
    if not pairs or (prefix and (pairs[0][0] not in ("记者", "記者") or len(prefix) > _MAX_ORGANISATION
                                or _SENTENCE & set(prefix) or " " in prefix)):
        return None
    author = ""
    for i, (role, content) in enumerate(pairs):
        names = _names(content, reporter=role in ("记者", "記者"))
        if names is None:
            return None
        if not names and not (i + 1 < len(pairs) and content.strip() in ("/", "／", "、")):
            return None  # a role without names, unless it shares them with the next ("编译/审校")
        if names and not author and role in _AUTHOR_ROLES:
            author = "、".join(names)
    return author


def names_source(line: str) -> bool:
    """Whether a credit line names the source the article was taken from ("来源：端传媒"),
    which a reader of a repost wants to keep."""
    return any(role in line for role in _SOURCE_ROLES)


def _names(content: str, reporter: bool) -> list[str] | None:
    """The names after a role; ``None`` when the text there is not names (a role runs into
    a word, "记者们", or a sentence follows it)."""
    if content and content[0] not in _SEPARATORS:
        return None
    content = content.strip(_SEPARATORS).rstrip("；;，,")
    if _SENTENCE & set(content):
        return None
    names = _split_names(content)
    if reporter:
        names = [n for n in names if not n.endswith(_PLACE_REPORT)]
    if any(len(n) > MAX_NAME or n.isdigit() or ":" in n or "：" in n or _CJK_WORDS.fullmatch(n) for n in names):
        return None
    return names


#: Nine or more Chinese characters in a row are words, not a name.
_CJK_WORDS = lazy_compile(r"[\u3400-\u9fff]{9,}")


def _split_names(text: str) -> list[str]:
    """Names separated by spaces, 、, commas, slashes or semicolons; a separator inside
    brackets belongs to the name ("馬西莫（Massimo Introvigne）")."""
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += (char in "（(" and 1) or (char in "）)" and -1) or 0
        if depth <= 0 and _NAME_SEPARATORS.fullmatch(char):
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    joined: list[str] = []
    for name in filter(None, names):
        if joined and name[0] in "（(":  # "格雷厄姆•艾利森 (Graham Allison)": one name
            joined[-1] += " " + name
        else:
            joined.append(name)
    return joined


#: A reporter named in a dateline: "（中央社記者陳偉婷台北18日電）", "（大纪元记者何坚报导）".
_DATELINE = lazy_compile(r"[（(][^（）()]{0,12}?(?:记者|記者)([^（）()]{2,30})[）)]")
_REPORTED = lazy_compile(r"(?:综合|綜合|采访|採訪|编译|編譯)?(?:报导|報導|报道|報道)$")
_DATED = lazy_compile(r"\d{1,2}日(?:专|專)?(?:电|電)$")
_CJK_NAME = lazy_compile(r"[\u3400-\u9fff·・]{2,8}")


def dateline_reporter(lead: str) -> str:
    """The reporter a lead paragraph's dateline names ("" when there is none).

    The dateline is at the head of the lead (after a "【…】" tag), in brackets, with
    记者/記者 before the name: "（大纪元记者何坚报导）" gives 何坚. A dated one
    ("（中央社記者張謙香港8日電）") runs the name into the place; the name is taken as three
    characters when at least two remain for the place, else two (Chinese names have two
    to four characters, place names at least two). The same holds for a place before
    "报导" ("（大纪元记者钟元台北报导）").
    """
    head = lead[:MAX_LINE]
    match = _DATELINE.search(head)
    if match is None or match.start() > 24:
        return ""
    inside = match.group(1)
    if _REPORTED.search(inside):
        names = _split_names(_REPORTED.sub("", inside))
        if names and len(names[-1]) >= 4:  # a place before 报导: "钟元台北报导"
            names[-1] = _without_place(names[-1])
    elif _DATED.search(inside):
        names = _split_names(_DATED.sub("", inside))
        if names:
            names[-1] = _without_place(names[-1])
    else:
        return ""
    names = [n for n in names if n]
    if not names or not all(_CJK_NAME.fullmatch(n) for n in names):
        return ""
    return "、".join(names)


def _without_place(name_and_place: str) -> str:
    """The name at the head of a name run into a place: three characters when at least two
    remain for the place, else two."""
    return name_and_place[:3] if len(name_and_place) >= 5 else name_and_place[:2]


#: "by" before the name of a byline.
_BY = lazy_compile(r"(?i)^(?:by|von|par|作者\s*[：:])\s*")
#: A name in a Latin byline: capitalised words and initials ("Catherine Brahic", "B.R.").
_LATIN_NAME = lazy_compile(r"(?:[A-Z][\w'’.-]*)(?:\s+(?:[A-Z][\w'’.-]*|de|van|von|der|da|di|le|la))*")


def byline_name(text: str) -> str:
    """The name in a byline ("by Catherine Brahic environment editor, The Economist" gives
    "Catherine Brahic"); a byline without "by" is the name itself. ``""`` when too long."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_LINE:
        return ""
    rest = _BY.sub("", text, count=1)
    if rest != text and rest[:1].isascii():
        match = _LATIN_NAME.match(rest)
        return match.group(0).strip() if match else ""
    return rest if len(rest) <= MAX_NAME else ""


def clean_author(name: str) -> str:
    """An author name without the feed's artefacts: a name written twice ("JANE DOE,JANE
    DOE"), a "null" that stood for no name ("null 張三", "null")."""
    name = " ".join(name.split())
    if name == "null" or name.startswith("null "):
        name = name[5:]
    parts = [p.strip() for p in name.split(",")]
    unique = [p for i, p in enumerate(parts) if p and p.casefold() not in {q.casefold() for q in parts[:i]}]
    return ", ".join(unique)
