"""One test per cleaning rule, each on a small fixture that shows the pattern."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import converter
from converter import ast as A
from converter.readers import rules
from converter.readers.html import parse_body

BASE = "https://news.example.com/world/article-1"


def blocks(html: str) -> list[A.Block]:
    return parse_body(html, BASE)


def text(html: str) -> str:
    """All text of the blocks, paragraphs separated by a newline."""
    out = []
    for node in A.walk(blocks(html)):
        if isinstance(node, (A.Paragraph, A.Heading)):
            out.append(A.plain_text(node.content))
        elif isinstance(node, A.Figure):
            out.append(A.plain_text(node.caption))
        elif isinstance(node, A.CodeBlock):
            out.append(node.text)
    return "\n".join(out)


def only(html: str) -> A.Block:
    result = blocks(html)
    assert len(result) == 1, result
    return result[0]


# ------------------------------------------------------------------ non-content


@pytest.mark.parametrize("junk", [
    "<script>var x = 1; document.write('x')</script>",
    "<style>.a { color: red; }</style>",
    "<template><p>hidden</p></template>",
    '<svg viewBox="0 0 10 10"><path d="M0 0"/><text>icon</text></svg>',
    "<button>Share</button>", '<input type="text" value="search">',
    "<form><label>Email</label><input name=e><button>Go</button></form>",
    "<select><option>one</option></select>", "<textarea>type here</textarea>",
    '<object data="x.swf">fallback</object>',
])
def test_non_content_is_dropped(junk: str) -> None:
    assert text(f"<p>before</p>{junk}<p>after</p>") == "before\nafter"


def test_comments_are_dropped() -> None:
    assert text("<p>a<!-- hidden -->b</p>") == "ab"


# ------------------------------------------------------------------ unwrapping


def test_presentational_tags_are_unwrapped() -> None:
    html = '<p><span style="x">一</span><font color=red>二</font>三<o:p></o:p><u>四</u></p>'
    assert only(html) == A.Paragraph([A.Text("一二三四")])


def test_nested_duplicate_strong_is_flattened() -> None:
    assert only("<p><strong><b><strong>粗体</strong></b></strong>文字</p>") == \
        A.Paragraph([A.Strong([A.Text("粗体")]), A.Text("文字")])


def test_drop_caps_and_small_caps_join_without_spaces() -> None:
    assert text("<p><span>E</span><small>CONOMIC</small> growth slowed.</p>") == "ECONOMIC growth slowed."


def test_spaces_move_outside_emphasis() -> None:
    assert only("<p>a<em> b </em>c</p>") == A.Paragraph([A.Text("a "), A.Emphasis([A.Text("b")]), A.Text(" c")])


# ------------------------------------------------------------------ whitespace and empty paragraphs


def test_empty_paragraphs_are_dropped() -> None:
    assert text("<p>a</p><p>&nbsp;</p><p> </p><p><span></span></p><div>\u3000</div><p>b</p>") == "a\nb"


def test_nbsp_and_full_width_space_indentation_is_dropped() -> None:
    assert text("<p>&nbsp;&nbsp;&nbsp;开头</p><p>\u3000\u3000第二段\u3000</p>") == "开头\n第二段"


def test_source_line_breaks_between_cjk_do_not_become_spaces() -> None:
    assert text("<p>第一行\n第二行 and English\nwords</p>") == "第一行第二行 and English words"


@pytest.mark.parametrize("html, expected", [
    ("<p>\n 因为\n <span>\n  中国\n </span>\n 政府\n</p>", "因为中国政府"),  # pretty-printed
    ("<p>看到，\n <a href='/x'>\n 城市\n </a>\n 。</p>", "看到，城市。"),
    ("<p>美国\n <sup>\n ［1］\n </sup>\n 、加拿大</p>", "美国［1］、加拿大"),
    ("<p>因为</span>\n<span>中国</p>", "因为中国"),  # a line break alone between two tags
    ("<p>因为 <span>中国</span> 政府</p>", "因为 中国 政府"),  # written spaces separate
    ("<p>因为\n <b>China</b>\n 政府</p>", "因为 China 政府"),
    ("<p>한국\n <span>\n 사람</span></p>", "한국 사람"),  # Korean separates words by spaces
    ("<p>中\n <img src='https://x.example/a.png' alt='图'>\n 文</p>", "中 图 文"),  # an image is no CJK
])
def test_line_breaks_between_cjk_across_elements_do_not_become_spaces(html: str, expected: str) -> None:
    assert A.plain_text(only(html).content) == expected  # type: ignore[union-attr]


def test_double_br_separates_paragraphs_single_br_is_a_line_break() -> None:
    result = blocks("<div>one<br>two<br><br>three</div>")
    assert result == [A.Paragraph([A.Text("one"), A.LineBreak(), A.Text("two")]), A.Paragraph([A.Text("three")])]


# ------------------------------------------------------------------ figures


def test_figure_with_figcaption() -> None:
    fig = only('<figure><img src="/a.jpg" alt="alt"><figcaption>图说 <b>粗</b></figcaption></figure>')
    assert fig == A.Figure(A.Image("https://news.example.com/a.jpg", "alt"), [A.Text("图说 "), A.Strong([A.Text("粗")])])


def test_dw_image_followed_by_small_caption() -> None:
    fig = only('<img src="https://i.example/1.jpg" width="100%"><div><small style="color: #999;">说明文字</small></div>')
    assert fig == A.Figure(A.Image("https://i.example/1.jpg"), [A.Text("说明文字")])


def test_nikkei_layout_table_with_image_and_caption() -> None:
    html = ('<table><tbody><tr><td><img src="https://i.example/n.jpg"></td></tr>'
            '<tr><td>日经的图片说明</td></tr></tbody></table><p>正文</p>')
    assert blocks(html) == [A.Figure(A.Image("https://i.example/n.jpg"), [A.Text("日经的图片说明")]),
                            A.Paragraph([A.Text("正文")])]


def test_picinfo_container_becomes_figure() -> None:
    html = ('<div class="floatImg"><div class="wrap"><img src="https://i.example/c.jpg" alt="a"></div>'
            '<div class="picinfo">記者會現場。</div></div>')
    assert only(html) == A.Figure(A.Image("https://i.example/c.jpg", "a"), [A.Text("記者會現場。")])


def test_wordpress_caption() -> None:
    html = ('<div class="wp-caption aligncenter"><img src="https://i.example/w.jpg">'
            '<p class="wp-caption-text">A caption in a paragraph that is long enough to need the class hint, '
            'since it goes on for more than one hundred and fifty characters to be sure it is not a short one.</p></div>')
    fig = only(html)
    assert isinstance(fig, A.Figure) and A.plain_text(fig.caption).startswith("A caption")


def test_long_text_beside_an_image_stays_a_paragraph() -> None:
    long_text = "正文" * 120
    result = blocks(f'<div><img src="https://i.example/x.jpg"><p>{long_text}</p></div>')
    assert result == [A.Figure(A.Image("https://i.example/x.jpg")), A.Paragraph([A.Text(long_text)])]


def test_image_only_paragraph_becomes_figure_inline_image_stays() -> None:
    assert only('<p><img src="https://i.example/p.jpg"></p>') == A.Figure(A.Image("https://i.example/p.jpg"))
    para = only('<p>text <img src="https://i.example/i.png" alt="icon"> more</p>')
    assert isinstance(para, A.Paragraph) and A.Image("https://i.example/i.png", "icon") in para.content


# ------------------------------------------------------------------ images


@pytest.mark.parametrize("img, url", [
    ('<img src="data:image/gif;base64,R0lGOD" data-src="/real.jpg">', "https://news.example.com/real.jpg"),
    ('<img src="/grey-placeholder.png" data-original="https://i.example/o.jpg">', "https://i.example/o.jpg"),
    ('<img srcset="https://i.example/s-320.jpg 320w, https://i.example/s-1024.jpg 1024w">',
     "https://i.example/s-1024.jpg"),
    ('<img data-srcset="a.jpg 1x, b.jpg 2x" src="/spacer.gif">', "https://news.example.com/world/b.jpg"),
    ("<img src='//cdn.example.com/p.jpg'>", "https://cdn.example.com/p.jpg"),
])
def test_real_image_url_is_picked(img: str, url: str) -> None:
    assert only(f"<p>{img}</p>") == A.Figure(A.Image(url))


def test_noscript_image_replaces_lazy_placeholder() -> None:
    html = '<img src="/lazy.gif" class="lazy"><noscript><img src="https://i.example/real.jpg"></noscript>'
    assert only(html) == A.Figure(A.Image("https://i.example/real.jpg"))


def test_noscript_twin_of_a_real_image_is_not_duplicated() -> None:
    html = '<img src="https://i.example/r.jpg"><noscript><img src="https://i.example/r.jpg"></noscript>'
    assert only(html) == A.Figure(A.Image("https://i.example/r.jpg"))


def test_tracking_pixels_and_spacers_are_dropped() -> None:
    html = ('<p>text</p><img src="https://t.example/p.gif" width="1" height="1">'
            '<img src="https://feeds.feedburner.com/~r/x/~4/abc">')
    assert text(html) == "text" and len(blocks(html)) == 1


def test_picture_element_uses_its_img() -> None:
    html = '<picture><source srcset="https://i.example/p.webp"><img src="https://i.example/p.jpg"></picture>'
    assert only(html) == A.Figure(A.Image("https://i.example/p.jpg"))


# ------------------------------------------------------------------ embeds and links


@pytest.mark.parametrize("html, label", [
    ('<iframe src="https://www.youtube.com/embed/abc" title="Interview"></iframe>', "Embedded"),
    ('<video src="https://v.example/clip.mp4"></video>', "Video"),
    ('<audio><source src="https://a.example/a.mp3"></audio>', "Audio"),
])
def test_embeds_become_a_link_line(html: str, label: str) -> None:
    para = only(html)
    assert isinstance(para, A.Paragraph) and para.content[0] == A.Text(label + ": ")
    assert isinstance(para.content[1], A.Link) and para.content[1].url.startswith("https://")


def test_an_embed_without_title_is_labelled_by_its_host_not_its_raw_url() -> None:
    para = only('<iframe src="https://www.youtube.com/embed/yrmCuJLcqiQ?wmode=transparent"></iframe>')
    assert para == A.Paragraph([A.Text("Embedded: "), A.Link(
        [A.Text("youtube.com")], "https://www.youtube.com/embed/yrmCuJLcqiQ?wmode=transparent")])


@pytest.mark.parametrize("language, video, embedded", [
    ("zh-Hans", "视频：", "嵌入内容："), ("zh-TW", "影片：", "嵌入內容："), ("en", "Video: ", "Embedded: ")])
def test_embed_labels_follow_the_document_language(language: str, video: str, embedded: str) -> None:
    """The walk labels an embed before the language is known; the reader then puts the label
    in the document's language, wherever the embed stands (here also inside a caption, after
    a line break). The document's own words are left alone."""
    doc = converter.parse(
        f"---\nlang: {language}\n---\n<p>Video: 正文</p><video src='https://v.example/c.mp4'></video>"
        "<figure><img src='https://i.example/a.jpg'><figcaption>说明<iframe src='https://e.example/x'>"
        "</iframe></figcaption></figure>")
    texts = [n.text for n in A.walk(doc.blocks) if isinstance(n, A.Text)]
    assert texts == ["Video: 正文", video, "v.example", "说明", embedded, "e.example"]


def test_relative_links_are_resolved_and_unsafe_ones_dropped() -> None:
    para = only('<p><a href="../other">rel</a> <a href="javascript:alert(1)">js</a> <a href="#n1">anchor</a></p>')
    assert isinstance(para, A.Paragraph)
    assert para.content[0] == A.Link([A.Text("rel")], "https://news.example.com/other")
    assert A.Text(" js ") in para.content and para.content[-1] == A.Link([A.Text("anchor")], "#n1")


# ------------------------------------------------------------------ footer and byline


def test_feedx_promo_footer_is_removed() -> None:
    body = ('<p>正文最后一段。</p><br><hr><div>获取更多RSS：<br><a href="https://feedx.net">https://feedx.net</a>'
            ' <br><a href="https://feedx.xyz">https://feedx.xyz</a><br></div>')
    assert rules.strip_promo_footer(body) == "<p>正文最后一段。</p>"


def test_footer_rule_keeps_documents_without_one() -> None:
    assert rules.strip_promo_footer("<p>获取更多信息请访问官网</p>") == "<p>获取更多信息请访问官网</p>"


def test_byline_gives_author_and_is_removed() -> None:
    author, body = rules.extract_byline("<div><i>  德才<br>2025-02-01T12:20:12.008Z</i></div><p>x</p>")
    assert author == "德才" and body == "<p>x</p>"
    assert rules.extract_byline("<div><i><br>2020-07-20T10:02:14.628Z</i></div><p>x</p>") == ("", "<p>x</p>")
    assert rules.extract_byline("<p><i>Not a byline</i></p>")[0] == ""


# ------------------------------------------------------------------ structure kept


def test_lists_quotes_headings_code_sub_sup() -> None:
    html = ('<h2>小标题</h2><ul><li>一</li><li>二<ol start="3"><li>三</li></ol></li></ul>'
            '<blockquote><p>引用</p></blockquote><pre><code>x = 1\n  y</code></pre>'
            '<p>H<sub>2</sub>O E=mc<sup>2</sup> <code>a*b</code></p>')
    h, ul, quote, code, para = blocks(html)
    assert h == A.Heading(2, [A.Text("小标题")])
    assert ul == A.BulletList([[A.Paragraph([A.Text("一")])],
                               [A.Paragraph([A.Text("二")]), A.OrderedList([[A.Paragraph([A.Text("三")])]], 3)]])
    assert quote == A.BlockQuote([A.Paragraph([A.Text("引用")])])
    assert code == A.CodeBlock("x = 1\n  y")
    assert para == A.Paragraph([A.Text("H"), A.Subscript([A.Text("2")]), A.Text("O E=mc"),
                                A.Superscript([A.Text("2")]), A.Text(" "), A.Code("a*b")])


def test_data_table_is_kept_layout_table_is_unwrapped() -> None:
    table = only("<table><tr><th>年</th><th>数</th></tr><tr><td>2019</td><td>1</td></tr>"
                 "<tr><td>2020</td><td>2</td></tr></table>")
    assert isinstance(table, A.Table)
    assert [[A.plain_text(c.content) for c in row] for row in table.head] == [["年", "数"]]
    assert [[A.plain_text(c.content) for c in row] for row in table.body] == [["2019", "1"], ["2020", "2"]]
    layout = blocks("<table><tr><td><p>只是排版用的表格。</p><p>第二段。</p></td></tr></table>")
    assert layout == [A.Paragraph([A.Text("只是排版用的表格。")]), A.Paragraph([A.Text("第二段。")])]


def test_deep_nesting_does_not_recurse_without_bound() -> None:
    html = "<div>" * 5000 + "深处的文字" + "</div>" * 5000
    assert "深处的文字" in text(html)


_url_rest = st.text(st.sampled_from(list("ab/?#;:.[]@%-_=&~é中 0")), max_size=10)
_urls = st.builds(lambda scheme, host, rest: scheme + host + rest,
                  st.sampled_from(["https://", "http://", "HTTP://", "ftp://", "https:/", ""]),
                  st.sampled_from(["", "a.com", "b.org:80", "[::1]", "x@y.com", "中.com", "?", "#", "@"]),
                  _url_rest)


@settings(max_examples=3000, deadline=None)
@given(_urls, st.sampled_from(["https://base.com/d/p?q#f", "http://base.com/", "https://base.com"]))
def test_urls_kept_without_urljoin_are_what_urljoin_returns(url: str, base: str) -> None:
    from urllib.parse import urljoin

    from converter.readers.rules import _is_plain_absolute

    if _is_plain_absolute(url):
        assert urljoin(base, url) == url


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["/", "-", "_", ".", "a", "x", "1", "SPACER", "blank", "Pixel", "1x1", "lazyload",
                                 "GRAY", "grey", "gif", "png", "svg", "jpeg", "webp", "?", "feeds.feedburner.com/~r/",
                                 "/~ff/", "doubleclick.net", "beacon", "placeholder", "é", "ſpacer", "K"]),
                max_size=12).map("".join))
def test_placeholder_urls_are_what_the_pattern_says(path: str) -> None:
    """The word check in front of the pattern only saves time: same answer as the pattern."""
    from converter.readers.rules import _PLACEHOLDER, is_placeholder_url

    url = "https://img.example" + path
    assert is_placeholder_url(url) == bool(_PLACEHOLDER.search(url))
