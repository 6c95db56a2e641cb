"""Document-level cleaning rules (``readers/cleanup.py``), bylines (``readers/bylines.py``) and
dates (``readers/dates.py``): one test per rule, each on a small fixture of its pattern."""

from __future__ import annotations

import datetime as dt

import pytest

from converter import ast as A
from converter import parse
from converter.readers import bylines, cleanup, dates
from converter.readers.html import parse_body

URL = "https://news.example.com/world/article-1"
PUBLISHED = dt.datetime(2020, 8, 28, 8, 30, tzinfo=dt.timezone.utc)
ARTICLE = "<p>这是文章的正文，足够长，是读者要读的内容。</p>"


def cleaned(html: str, published: dt.datetime | None = PUBLISHED) -> cleanup.Cleaned:
    return cleanup.clean(parse_body(html, URL), URL, published)


def texts(html: str, published: dt.datetime | None = PUBLISHED) -> list[str]:
    """The text of each block left, images as "[img]"."""
    out = []
    for block in cleaned(html, published).blocks:
        if isinstance(block, A.Figure):
            out.append("[img]")
        else:
            out.append(" ".join(n.text for n in A.walk([block]) if isinstance(n, A.Text)).strip())
    return out


BODY = "这是文章的正文，足够长，是读者要读的内容。"


# ------------------------------------------------------------------ date stamps


@pytest.mark.parametrize("stamp", [
    "<p><em>Fri, 28 Aug 2020 08:25:28 GMT</em></p>",
    "<div>2020-08-28T01:08:48</div>",
    "<div>28/08/2020 - 03:05</div>",
    '<aside><time datetime="2020-08-29T00:00:00Z">Aug 29th 2020</time></aside>',
    "<p>2020年8月28日</p>",
    "<div><i>2020-08-28T08:20:12Z</i></div>",
])
def test_a_date_stamp_repeating_the_publication_time_is_dropped(stamp: str) -> None:
    assert texts(stamp + ARTICLE) == [BODY]


def test_a_date_far_from_the_publication_time_is_text() -> None:
    assert texts("<p>2019年3月15日</p>" + ARTICLE) == ["2019年3月15日", BODY]


def test_a_date_stamp_gives_the_publication_time_when_there_is_none() -> None:
    result = cleaned("<p>Fri, 28 Aug 2020 08:25:28 GMT</p>" + ARTICLE, None)
    assert result.published == dt.datetime(2020, 8, 28, 8, 25, tzinfo=dt.timezone.utc)
    assert len(result.blocks) == 1


def test_a_relative_time_alone_is_dropped() -> None:
    assert texts("<div>20 分钟前</div>" + ARTICLE) == [BODY]
    assert texts('<div><time datetime="2020-08-28">3 hours ago</time></div>' + ARTICLE) == [BODY]


def test_a_stamp_after_the_first_blocks_is_text() -> None:
    html = ARTICLE * 3 + "<p>Fri, 28 Aug 2020 08:25:28 GMT</p>"
    assert texts(html)[-1] == "Fri, 28 Aug 2020 08:25:28 GMT"


@pytest.mark.parametrize("text, when, has_time", [
    ("Fri, 28 Aug 2020 08:25:28 GMT", dt.datetime(2020, 8, 28, 8, 25), True),
    ("2020-08-20T01:08:48", dt.datetime(2020, 8, 20, 1, 8), True),
    ("2020-12-11 14:02:26", dt.datetime(2020, 12, 11, 14, 2), True),
    ("09/08/2020 - 03:05", dt.datetime(2020, 8, 9, 3, 5), True),
    ("12/31/2020", dt.datetime(2020, 12, 31), False),  # the day cannot be 31 months
    ("Oct 31st 2020", dt.datetime(2020, 10, 31), False),
    ("October 3, 2020", dt.datetime(2020, 10, 3), False),
    ("2020年10月29日 08:25", dt.datetime(2020, 10, 29, 8, 25), True),
    ("２０２０年１０月２９日", dt.datetime(2020, 10, 29), False),  # full-width digits are digits too
    ("28 AUG 2020", dt.datetime(2020, 8, 28), False),
])
def test_date_shapes_are_read(text: str, when: dt.datetime, has_time: bool) -> None:
    assert dates.parse_stamp(text) == dates.Stamp(when.replace(tzinfo=dt.timezone.utc), has_time)


@pytest.mark.parametrize("text", ["2020", "上午10点", "Oct 32nd 2020", "On Oct 31st 2020 it rained", "x" * 100])
def test_texts_that_are_not_only_a_date_are_not_read(text: str) -> None:
    assert dates.parse_stamp(text) is None


def test_a_text_without_a_year_tries_no_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer than four digits, or no month name for the patterns that need one: not tried."""
    tried = []

    class Spy:
        def __init__(self, name: str) -> None:
            self.name = name

        def fullmatch(self, text: str) -> None:
            tried.append(self.name)

    monkeypatch.setattr(dates, "_PATTERNS", [(Spy(order), order) for _, order in dates._PATTERNS])
    for text in ("上午10点", "Aug 28", "第3版"):
        assert dates.parse_stamp(text) is None
    assert tried == []
    dates.parse_stamp("2020-08-28 x")
    assert tried == ["ymd", "dmy", "ymd"]
    tried.clear()
    dates.parse_stamp("28 aug 2020 x")
    assert tried == ["dMy", "Mdy", "ymd", "dmy", "ymd"]


# ------------------------------------------------------------------ boilerplate


@pytest.mark.parametrize("junk", [
    '<p>The post <a href="/p/1">A title</a> appeared first on <a href="/">中国数字时代</a>.</p>',
    '<p>The post <a href="/p/1">A title</a> first appeared on <a href="/">Bitter Winter</a>.</p>',
    "<p><small>Feed enhanced by <a href='https://plugin.example'>Better Feed</a></small></p>",
    "<p>广告</p>",
    "<p>请更新你的浏览器以观看此视频。</p>",
    '<p>（欢迎<a href="https://sso.example/email">点击此处</a>订阅简报。）</p>',
    "<p><em>© 2020年德国之声版权声明：本文所有内容受到著作权法保护。</em></p>",
])
def test_boilerplate_lines_are_dropped_wherever_they_are(junk: str) -> None:
    assert texts(ARTICLE + junk + ARTICLE) == [BODY, BODY]


@pytest.mark.parametrize("closing", [
    "<p>© 2020 AFP</p>",
    '<p>我们的标准：<a href="https://standards.example.org/about/principles.pdf">信任原则</a></p>',
    "<p>This article appeared in the Europe section of the print edition under the headline \"X\"</p>",
    '<p><em>感谢阅读今天的简报，新读者请<a href="https://sso.example/email/">点击此处订阅</a>。</em></p>',
    '<p>Editor’s note: read more in our daily <a href="https://news.example.com/nl">newsletter</a>.</p>',
    '<p>Listen on: <a href="https://podcasts.example/1">Apple</a> | <a href="https://music.example/2">Spotify</a></p>',
])
def test_closing_boilerplate_after_the_article_is_dropped(closing: str) -> None:
    assert texts(ARTICLE + closing) == [BODY]


def test_a_closing_prompt_goes_with_the_addresses_it_lists() -> None:
    promo = ("<p><b>欢迎订阅古典音乐播客，收听更多演出。</b></p><p><b>Feed-URL:</b></p>"
             "<p><b>https://rss.example.org/podcast</b></p><p><b>iTunes:</b></p><p><b>https://pods.example.org/id1</b></p>")
    assert texts(ARTICLE + promo) == [BODY]
    addresses = "<p>Source:</p><p>https://data.example.org/table</p>"  # no prompt before them: text
    assert texts(ARTICLE + addresses) == [BODY, "Source:", "https://data.example.org/table"]


def test_a_closing_shape_inside_the_article_is_text() -> None:
    html = ARTICLE + "<p>他说这篇报道的版权所有人不愿具名，但确认内容属实。</p>" + ARTICLE
    assert len(texts(html)) == 3


def test_a_copyright_line_run_into_the_last_paragraph_goes_alone() -> None:
    html = "<p>最后一段正文。 <em>© 2020年德国之声版权声明：本文所有内容受到著作权法保护。</em></p>"
    assert texts(html) == ["最后一段正文。"]


def test_a_trailing_more_link_goes_and_its_paragraph_stays() -> None:
    html = '<div>正文的摘要……<a href="https://news.example.com/view/1">...more</a></div>'
    assert texts(html) == ["正文的摘要……"]


# ------------------------------------------------------------------ related links


def test_related_links_after_the_article_go_with_their_title() -> None:
    html = (ARTICLE + "<p>延伸閱讀</p>"
            '<p><a href="https://news.example.com/a">標題一</a><a href="https://news.example.com/b">標題二</a></p>')
    assert texts(html) == [BODY]


def test_a_list_of_links_to_other_pages_of_the_site_goes_anywhere() -> None:
    html = (ARTICLE + "<p>相关内容</p><ul><li><a href='/x'>另一篇</a></li><li><a href='/y'>又一篇</a></li></ul>"
            + ARTICLE)
    assert texts(html) == [BODY, BODY]


def test_a_table_of_contents_and_links_elsewhere_stay() -> None:
    toc = f"<ul><li><a href='{URL}#1'>第一节</a></li><li><a href='{URL}#2'>第二节</a></li></ul>"
    sources = "<ul><li><a href='https://other.example.org/a'>报告</a></li><li><a href='https://another.example/b'>数据</a></li></ul>"
    assert len(cleaned(toc + ARTICLE + sources + ARTICLE).blocks) == 4


def test_a_link_bar_of_the_site_goes() -> None:
    html = ARTICLE + '<p><b><a href="/tag/1">档案</a> | <a href="/tag/2">李文亮</a></b></p>' + ARTICLE
    assert texts(html) == [BODY, BODY]


def test_a_sentence_with_two_links_is_not_a_link_bar() -> None:
    html = ARTICLE + '<p><a href="/a">甲</a>和<a href="/b">乙</a>昨天在北京会面。</p>' + ARTICLE
    assert len(texts(html)) == 3


def test_a_labelled_block_of_site_links_goes() -> None:
    html = ARTICLE + '<p>相关阅读：</p><blockquote><p><a href="https://news.example.com/p/9">另一篇文章</a></p></blockquote>'
    assert texts(html) == [BODY]


def test_one_site_link_under_a_related_label_goes_even_quoted() -> None:
    related = '<blockquote><p>相关阅读：<a href="https://news.example.com/space/topic">专页</a></p></blockquote>'
    assert texts(ARTICLE + related + ARTICLE) == [BODY, BODY]
    kept = '<p>专题：<a href="https://news.example.com/space/topic">专页</a></p>'  # a label of another kind
    assert texts(ARTICLE + kept + ARTICLE) == [BODY, "专题： 专页", BODY]


def test_without_the_documents_url_a_titled_card_of_one_site_goes() -> None:
    card = ('<p>Related</p><ul><li><h2><a href="https://mag.example.org/a/1">标题</a></h2>'
            '<p><a href="https://mag.example.org/category/x">Magazine</a></p></li></ul>')
    blocks = cleanup.clean(parse_body(ARTICLE + card, ""), "", PUBLISHED).blocks
    assert [A.plain_text(b.content) for b in blocks] == [BODY]  # type: ignore[attr-defined]


def test_a_document_of_links_alone_keeps_them() -> None:
    links = '<p><a href="https://a.example.org/1">甲</a> <a href="https://b.example.org/2">乙</a></p>'
    assert texts(links) == ["甲   乙"]  # the texts of the two links and the space between them


def test_one_link_closing_the_article_stays() -> None:
    html = ARTICLE + '<p><a href="https://news.example.com/en/1">点击查看本文英文版。</a></p>'
    assert len(texts(html)) == 2


# ------------------------------------------------------------------ credit lines and datelines


@pytest.mark.parametrize("line, author", [
    ("作者：張三", "張三"),
    ("撰文 | 林子人", "林子人"),
    ("译者/何黎", "何黎"),
    ("文／李四", "李四"),
    ("编译 高思佳；审校 母红", "高思佳"),
    ("寒冬記者 常新", "常新"),
    ("記者  呂熙    責編  胡力汉", "呂熙"),
    ("记者：吕熙 刘少风 责编：许书婷 网编：瑞哲", "吕熙、刘少风"),
    ("自由亚洲电台记者 夏小华、李宗翰 台北报导 责编 许书婷", "夏小华、李宗翰"),
    ("作者：格雷厄姆•艾利森 (Graham Allison)", "格雷厄姆•艾利森 (Graham Allison)"),
    ("（责编：家傲）", ""),  # a credit line naming no author
    ("文字整理：李洁思；责任编辑：高静", ""),
])
def test_credit_lines_name_the_author(line: str, author: str) -> None:
    assert bylines.credit_line(line) == author


@pytest.mark.parametrize("line", ["记者们都到了现场。", "记者 张三说：今天下雨", "作者：我。", "记者：你好，请问你现在在哪里？"])
def test_sentences_are_not_credit_lines(line: str) -> None:
    assert bylines.credit_line(line) is None


def test_a_credit_line_at_the_head_or_tail_becomes_the_author() -> None:
    assert cleaned("<p>作者：張三</p>" + ARTICLE).author == "張三"
    result = cleaned(ARTICLE * 4 + "<p>記者 呂熙 責編 胡力汉</p>")
    assert result.author == "呂熙" and len(result.blocks) == 4


def test_a_credit_line_naming_only_editors_goes_and_names_no_author() -> None:
    for line in ("责任编辑：徐亦扬", "编译/审校 张三/李四/王五"):
        result = cleaned(ARTICLE * 4 + f"<p>{line}</p>")
        assert result.author == "" and texts(ARTICLE * 4 + f"<p>{line}</p>") == [BODY] * 4
    assert texts(ARTICLE + "<p>来源：端传媒</p>") == [BODY, "来源：端传媒"]  # the source stays


@pytest.mark.parametrize("lead, reporter", [
    ("（中央社記者陳偉婷台北18日電）從美國返台少年昨天確診。", "陳偉婷"),
    ("（中央社記者張謙香港8日電）星島日報報導。", "張謙"),
    ("（中央社記者唐佩君布魯塞爾25日專電）法國。", "唐佩君"),
    ("【大纪元2020年11月20日讯】（大纪元记者何坚报导）不久前。", "何坚"),
    ("（大纪元记者钟元台北报导）台湾。", "钟元"),
    ("（大纪元记者佟亦加综合报导）25日。", "佟亦加"),
    ("（中央社華盛頓13日綜合外電報導）美國。", ""),
])
def test_the_reporter_of_a_dateline(lead: str, reporter: str) -> None:
    assert bylines.dateline_reporter(lead) == reporter


def test_a_dateline_gives_the_author_and_stays_in_the_lead() -> None:
    result = cleaned("<p>（中央社記者陳偉婷台北18日電）從美國返台少年昨天確診。</p>")
    assert result.author == "陳偉婷" and "陳偉婷" in A.plain_text(result.blocks[0].content)  # type: ignore[union-attr]


@pytest.mark.parametrize("name, clean", [
    ("JANE DOE,JANE DOE", "JANE DOE"), ("null 張三", "張三"), ("null", ""), ("A, B", "A, B"),
])
def test_author_names_lose_feed_artefacts(name: str, clean: str) -> None:
    assert bylines.clean_author(name) == clean


@pytest.mark.parametrize("text, name", [
    ("by Catherine Brahic environment editor, The Economist", "Catherine Brahic"),
    ("By B.R.", "B.R."),
    ("马修·基冈", "马修·基冈"),
])
def test_the_name_in_a_byline(text: str, name: str) -> None:
    assert bylines.byline_name(text) == name


# ------------------------------------------------------------------ the end of the document


def test_a_heading_or_rule_with_nothing_after_it_goes() -> None:
    assert texts(ARTICLE + "<hr><h1>肆零 肆</h1><hr>") == [BODY]
    assert texts("<h2>小标题</h2>" + ARTICLE + "<hr>" + ARTICLE) == ["小标题", BODY, "", BODY]  # they head something


# ------------------------------------------------------------------ headings


def test_the_first_heading_under_the_title_is_level_two() -> None:
    blocks = cleaned("<h4>一</h4>" + ARTICLE + "<h5>二</h5><h3>三</h3>" + ARTICLE).blocks
    assert [b.level for b in blocks if isinstance(b, A.Heading)] == [2, 3, 2]
    blocks = cleaned("<h1>一</h1><h2>二</h2>" + ARTICLE).blocks
    assert [b.level for b in blocks if isinstance(b, A.Heading)] == [2, 3]


# ------------------------------------------------------------------ the whole reader


def feed(body: str, front_matter: str = "") -> A.Document:
    head = f"---\n{front_matter}---\n" if front_matter else ""
    return parse((head + "<!--1598603400000-->\n[标题](https://www.example-times.com/a/1)\n------\n\n" + body).encode())


def test_a_doubled_name_with_a_plain_date_is_the_feeds_byline() -> None:
    doc = feed("<div><i>JANE DOE,JANE DOE<br>2020-08-28 14:02:26</i></div>" + ARTICLE)
    assert doc.meta.author == "JANE DOE"
    assert [A.plain_text(b.content) for b in doc.blocks] == [BODY]  # type: ignore[union-attr]


def test_the_feeds_name_is_the_site_and_the_byline_is_the_author() -> None:
    doc = feed("<p>作者：張三</p>" + ARTICLE, "author: 时报\ntags: [ 时报 ]\n")
    assert (doc.meta.author, doc.meta.site) == ("張三", "时报")


def test_a_markup_author_named_like_the_host_is_the_site() -> None:
    doc = feed('<meta itemprop="author" content="The Example Times">' + ARTICLE)
    assert (doc.meta.author, doc.meta.site) == ("", "The Example Times")


def test_a_person_in_the_front_matter_stays_the_author() -> None:
    doc = feed(ARTICLE, "author: 最后领导人\ntags: [ 时报 ]\n")
    assert (doc.meta.author, doc.meta.site) == ("最后领导人", "时报")
