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
    ("<p>中\n <img src='https://x.example/a.png' alt='地图'>\n 文</p>", "中 地图 文"),  # an image is no CJK
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


@pytest.mark.parametrize("attributes, alt", [
    ('alt="图片"', ""), ('alt=" Image "', ""), ('alt="圖片" title="拜登在記者會上"', "拜登在記者會上"),
    ('alt="IMG_1234.JPG"', ""), ('alt="添加图片说明"', ""), ('alt="img"', ""),
    ('alt="图片来源：新华社"', "图片来源：新华社"), ('alt="photo of the bridge.jpg at dusk"', "photo of the bridge.jpg at dusk"),
])
def test_an_alt_text_that_says_nothing_is_no_description(attributes: str, alt: str) -> None:
    """"图片" or a file name as alt text would be shown as "[图片：图片]"; a real one stays."""
    fig = only(f'<p><img src="https://i.example/p.jpg" {attributes}></p>')
    assert isinstance(fig, A.Figure) and fig.image.url == "https://i.example/p.jpg" and fig.image.alt == alt


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
    para = only('<iframe src="https://maps.example.org/embed?pb=!1m18!1m12"></iframe>')
    assert para == A.Paragraph([A.Text("Embedded: "), A.Link(
        [A.Text("maps.example.org")], "https://maps.example.org/embed?pb=!1m18!1m12")])


def test_a_video_players_iframe_links_to_the_videos_page() -> None:
    para = only('<iframe src="https://www.youtube.com/embed/yrmCuJLcqiQ?wmode=transparent"></iframe>')
    assert para == A.Paragraph([A.Text("Video: "), A.Link(
        [A.Text("youtube.com")], "https://www.youtube.com/watch?v=yrmCuJLcqiQ")])


@pytest.mark.parametrize("url, page", [
    ("https://www.youtube.com/embed/iiCt00X1dvQ?feature=oembed", "https://www.youtube.com/watch?v=iiCt00X1dvQ"),
    ("https://www.youtube-nocookie.com/embed/B8Ygse_mJzo", "https://www.youtube.com/watch?v=B8Ygse_mJzo"),
    ("https://player.vimeo.com/video/76979871?h=8272103f6e", "https://vimeo.com/76979871"),
    ("https://player.bilibili.com/player.html?aid=1&bvid=BV1GJ411x7h7&page=1",
     "https://www.bilibili.com/video/BV1GJ411x7h7"),
    ("https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fwww.facebook.com%2FRFAChinese%2Fvideos"
     "%2F952360695258225%2F&show_text=0&width=622", "https://www.facebook.com/RFAChinese/videos/952360695258225/"),
    # not a player, or not a video's page: left as it is
    ("https://www.youtube.com/embed/videoseries?list=PL590L5WQmH8", None),
    ("https://www.youtube.com/watch?v=iiCt00X1dvQ", None),
    ("https://www.facebook.com/plugins/video.php?href=https%3A%2F%2Fevil.example%2Fx", None),
    ("https://evil.example/embed/iiCt00X1dvQ", None),
    ("https://[bad/embed/x", None),
])
def test_embedded_page_of_a_player(url: str, page: str | None) -> None:
    assert rules.embedded_page(url) == (("video", page) if page else None)


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


# ------------------------------------------------------------------ URLs repaired


@pytest.mark.parametrize("src, url", [
    ("https://images.weserv.nl/?url=img.example.org/a.jpg", "https://img.example.org/a.jpg"),
    ("https://images.weserv.nl?url=img.example.org/a.jpg&w=300", "https://img.example.org/a.jpg"),
    ("//images.weserv.nl/?url=ssl:img.example.org/b.png", "https://img.example.org/b.png"),
    ("https://images.weserv.nl/?url=http%3A%2F%2Fimg.example.org%2Fc.jpg", "http://img.example.org/c.jpg"),
    ("https://images.weserv.nl/?w=300", "https://images.weserv.nl/?w=300"),  # no original to go back to
])
def test_images_behind_the_feed_mirrors_proxy_keep_their_original_url(src: str, url: str) -> None:
    assert only(f'<p><img src="{src}"></p>') == A.Figure(A.Image(url))


def test_a_relative_url_under_a_protocol_relative_page_gets_https() -> None:
    assert rules.clean_url("0", "//news.example.org/x") == "https://news.example.org/0"
    assert rules.clean_url(rules.clean_url("0", "//news.example.org/x")) == "https://news.example.org/0"


def test_protocol_relative_links_get_https_even_under_an_http_page() -> None:
    para = parse_body('<p><a href="//cdn.example.org/x">x</a></p>', "http://news.example.com/a")[0]
    assert para == A.Paragraph([A.Link([A.Text("x")], "https://cdn.example.org/x")])


@pytest.mark.parametrize("href, url", [
    ("https://www.example.comhttps://itunes.example.org/podcast/1?mt=2", "https://itunes.example.org/podcast/1?mt=2"),
    ("http://example.comhttp://other.example.org/", "http://other.example.org/"),
    ("https://www.example.commailto:letters@example.com", "mailto:letters@example.com"),
    ("https://archive.example.org/web/2020/https://x.example.org/", "https://archive.example.org/web/2020/https://x.example.org/"),
])
def test_a_host_written_twice_is_repaired_to_the_second_url(href: str, url: str) -> None:
    assert rules.clean_url(href) == url


# ------------------------------------------------------------------ site furniture


def test_newsletter_box_around_a_form_field_is_dropped() -> None:
    html = ('<p>正文。</p><div class="box"><div>訂閱《國際新聞》電子報</div><div><input type="text">'
            '<div><img src="/error.svg" alt=""> 請輸入正確的電子信箱格式</div></div><a href="javascript:">訂閱</a>'
            '<div>感謝您的訂閱！</div></div><p>正文第二段。</p>')
    assert text(html) == "正文。\n正文第二段。"


def test_a_form_field_inside_the_article_takes_no_article_text() -> None:
    article = "<div><p>" + "正文很长。" * 60 + '</p><input type="text"></div>'
    assert text(article) == "正文很长。" * 60
    assert text('<div><p>短文。</p><input type="hidden" name="x"></div>') == "短文。"


@pytest.mark.parametrize("junk", [
    ('<div class="paragraph moreArticle"><div class="moreArticle-title">延伸閱讀</div>'
     '<a href="/x"><span>標題一</span></a><a href="/y"><span>標題二</span></a></div>'),
    '<div class="m-block-ad"><div class="m-block-ad__label"><span>广告</span></div></div>',
    '<div class="newsletter-signup"><h3>Get our daily newsletter</h3><p>Every morning in your inbox.</p></div>',
    '<div class="share-tools"><a href="https://social.example/share?u=1">Share</a> <a href="mailto:x">Mail</a></div>',
    '<section class="widget widget_media_image"><a href="https://pay.example/donate"><img src="/d.jpg"></a></section>',
])
def test_furniture_named_by_its_class_is_dropped(junk: str) -> None:
    assert text(f"<p>正文。</p>{junk}<p>完。</p>") == "正文。\n完。"


def test_a_glossary_pop_up_inside_a_sentence_is_dropped() -> None:
    html = ('<p><span>海軍將新艦命名為「</span><span>甲艦</span><div class="dictionary-box">'
            '<div>甲艦</div><div>一種軍艦。</div><a href="/dict/1">看更多</a><span>關閉</span></div>'
            '<span>」，明年服役。</span></p>')
    assert text(html) == "海軍將新艦命名為「甲艦」，明年服役。"


def test_a_class_word_does_not_take_an_article() -> None:
    body = "<p>" + "The article goes on and on. " * 40 + "</p>"
    assert text(f'<div class="entry related-posts-enabled">{body}</div>') == ("The article goes on and on. " * 40).strip()
    assert text('<div class="ad-free"><p>' + "长文。" * 30 + "</p></div>") == "长文。" * 30


def test_related_class_needs_mostly_links() -> None:
    html = '<div class="related-story"><p>这段文字虽然在 related 容器里，但没有链接，是正文。</p></div>'
    assert text(html) == "这段文字虽然在 related 容器里，但没有链接，是正文。"


def test_zoom_icon_inside_a_figure_leaves_one_figure_with_its_caption() -> None:
    html = ('<figure><img src="/a.jpg" alt="Cap"><div><a href="/a.jpg"><img src="/icon-zoom.png"></a></div>'
            '<figcaption>Cap</figcaption></figure>')
    assert blocks(html) == [A.Figure(A.Image("https://news.example.com/a.jpg", "Cap"), [A.Text("Cap")])]


def test_an_image_url_urlsplit_refuses_is_no_error() -> None:
    assert text('<p>正文。<img src="http://[::1/a.jpg"></p>') == "正文。"  # looked at as furniture, no ValueError


@pytest.mark.parametrize("img", [
    '<img src="/wp-content/themes/news/images/support-us.jpg">',  # a theme's image
    '<img src="https://static.example.org/meta_og_twcards/SITE_FB.png">',  # the site's social card
    '<a href="/"><img src="/img/logo-white.png"></a>',  # the logo linking home
    '<a href="https://www.paypal.com/donate?id=1"><img src="/img/support.jpg"></a>',  # a donate button
    '<img src="/avatars/u1.jpg" width="40" height="40">',  # icon-sized, no alt text
    '<img src="/promo/strip.jpg" height="120">',  # a banner strip: a height, no width
    '<img src="/engassets/og-fallback-image.f1ea.png">',  # the share image used when a page has none
])
def test_furniture_images_are_dropped(img: str) -> None:
    assert blocks(f"<p>正文。</p><p>{img}</p>") == [A.Paragraph([A.Text("正文。")])]


@pytest.mark.parametrize("img", [
    '<img src="/photos/logo-unveiling.jpg" alt="新标志揭幕">',  # a photo named after what it shows
    '<img src="/photos/banner.jpg">',  # not a link: a picture of a banner
    '<img src="/emoji/smile.png" width="20" height="20" alt="😀">',  # small, but says something
])
def test_pictures_that_only_look_like_furniture_stay(img: str) -> None:
    result = blocks(f"<p>{img}</p>")
    assert len(result) == 1 and isinstance(result[0], A.Figure)


def test_tag_lists_go_tag_links_in_a_sentence_stay() -> None:
    html = ('<p>这是关于<a href="/tag/x" rel="tag">新疆</a>的报道。</p>'
            '<div>Post tags: <a href="/tag/a" rel="tag">甲</a>, <a href="/tag/b" rel="category tag">乙</a></div>')
    assert text(html) == "这是关于新疆的报道。"


def test_wordpress_embed_appears_once() -> None:
    html = ('<blockquote class="wp-embedded-content"><p><a href="https://news.example.com/p/1/">一篇文章</a></p>'
            '</blockquote><p><iframe class="wp-embedded-content" title="一篇文章" '
            'src="https://news.example.com/p/1/embed/#?secret=x"></iframe></p>')
    assert blocks(html) == [A.BlockQuote([A.Paragraph([A.Link([A.Text("一篇文章")], "https://news.example.com/p/1/")])])]


@pytest.mark.parametrize("markup, shown", [
    ('<time datetime="2020-12-21">20 分钟前</time>', "2020-12-21"),
    ('<time datetime="2020-12-21T08:30:00Z">3 hours ago</time>', "2020-12-21 08:30"),
    ('<time datetime="2020-12-21">2020年12月21日</time>', "2020年12月21日"),  # not relative: as written
    ("<time>昨天</time>", "昨天"),  # no date to show instead
])
def test_a_relative_time_shows_its_datetime(markup: str, shown: str) -> None:
    assert text(f"<p>{markup}</p>") == shown


# ------------------------------------------------------------------ bylines in the markup


def read(html: str) -> tuple[list[A.Block], list[str]]:
    from converter.readers.html import read_body

    body = read_body(html, BASE)
    return body.blocks, body.bylines


def test_byline_element_gives_its_name_and_leaves_the_text() -> None:
    blocks_, names = read('<aside><p itemprop="byline">by Jane Doe environment editor, The Daily</p></aside><p>Text.</p>')
    assert names == ["Jane Doe"] and blocks_ == [A.Paragraph([A.Text("Text.")])]


def test_person_list_gives_the_name_element() -> None:
    html = ('<ul class="css-1-Person"><li class="css-2-Name">马修·基冈</li><li class="css-3-Title">（Matthew Keegan）'
            "</li></ul><p>正文。</p>")
    assert read(html) == ([A.Paragraph([A.Text("正文。")])], ["马修·基冈"])


def test_meta_author_is_a_byline_and_a_biography_is_text() -> None:
    bio = "Jane Doe has covered the region for twenty years and wrote three books about it."
    blocks_, names = read(f'<meta itemprop="author" content="Jane Doe"><div class="author-bio">{bio}</div>')
    assert names == ["Jane Doe"] and A.plain_text(blocks_[0].content) == bio  # type: ignore[union-attr]


# ------------------------------------------------------------------ structure


def test_a_marked_caption_does_not_take_the_article_text_beside_it() -> None:
    html = '<div><img src="/a.jpg" alt="Cap"><div class="picinfo">Cap</div><div class="paragraph"><p>Body.</p></div></div>'
    assert blocks(html) == [A.Figure(A.Image("https://news.example.com/a.jpg", "Cap"), [A.Text("Cap")]),
                            A.Paragraph([A.Text("Body.")])]


def test_a_nested_figure_does_not_repeat_its_caption() -> None:
    html = ('<figure><figure><img src="/a.jpg"><figcaption>Cap</figcaption></figure>'
            "<figcaption>Cap</figcaption></figure>")
    assert blocks(html) == [A.Figure(A.Image("https://news.example.com/a.jpg"), [A.Text("Cap")])]


def test_list_items_without_a_list_are_one_bullet_list() -> None:
    html = '<div><li><a href="#1">一</a></li> <li><a href="#2">二</a></li></div><p>后文</p>'
    first, after = blocks(html)
    assert isinstance(first, A.BulletList) and len(first.items) == 2
    assert after == A.Paragraph([A.Text("后文")])


def test_adjacent_lists_are_one_list() -> None:
    html = "<ul><li>一</li></ul><ul><li>二</li></ul>\n<ul><li>三</li></ul>"
    assert blocks(html) == [A.BulletList([[A.Paragraph([A.Text(t)])] for t in "一二三"])]


def test_adjacent_ordered_lists_join_only_when_the_numbering_continues() -> None:
    joined = blocks('<ol><li>a</li></ol><ol start="2"><li>b</li></ol>')
    assert joined == [A.OrderedList([[A.Paragraph([A.Text("a")])], [A.Paragraph([A.Text("b")])]])]
    assert len(blocks("<ol><li>a</li></ol><ol><li>b</li></ol>")) == 2
    assert len(blocks("<ul><li>a</li></ul><ol><li>b</li></ol>")) == 2


def _rows(table: A.Block) -> tuple[list[list[str]], list[list[str]]]:
    assert isinstance(table, A.Table)
    return ([[A.plain_text(c.content) for c in row] for row in table.head],
            [[A.plain_text(c.content) for c in row] for row in table.body])


def test_a_first_row_of_labels_over_rows_of_numbers_is_the_header() -> None:
    table = only("<table><tr><td>部门</td><td>人数</td></tr><tr><td>甲</td><td>7</td></tr>"
                 "<tr><td>乙</td><td>10</td></tr></table>")
    assert _rows(table) == ([["部门", "人数"]], [["甲", "7"], ["乙", "10"]])


def test_a_table_without_a_header_row_gets_none() -> None:
    table = only("<table><tr><td>甲</td><td>乙</td></tr><tr><td>丙</td><td>丁</td></tr></table>")
    assert _rows(table) == ([], [["甲", "乙"], ["丙", "丁"]])
    empty_head = only("<table><thead><tr><th></th><th></th></tr></thead><tr><td>a</td><td>b</td></tr>"
                      "<tr><td>c</td><td>d</td></tr></table>")
    assert _rows(empty_head) == ([], [["a", "b"], ["c", "d"]])


def test_a_data_table_whose_header_cells_hold_divs_and_buttons_stays_a_table() -> None:
    html = ('<table><thead><tr><th><div class="sort">Country<button>▲</button></div></th>'
            '<th><div class="sort">Cases<button>▲</button></div></th></tr></thead>'
            "<tr><td>A</td><td>1</td></tr><tr><td>B</td><td>2</td></tr></table>")
    assert _rows(only(html)) == ([["Country", "Cases"]], [["A", "1"], ["B", "2"]])


def test_a_link_around_a_heading_stays_on_the_heading() -> None:
    assert only('<a href="/story"><h2>Story title</h2></a>') == \
        A.Heading(2, [A.Link([A.Text("Story title")], "https://news.example.com/story")])


@pytest.mark.parametrize("caption", ["添加图片说明", "Add caption", "图片"])
def test_a_placeholder_caption_is_no_caption(caption: str) -> None:
    """A CMS's "add a caption" left in the page describes nothing; the image stays."""
    for html in (f'<figure><img src="/a.jpg"><figcaption>{caption}</figcaption></figure>',
                 f'<table class="tr-caption-container"><tr><td><img src="/a.jpg"></td></tr>'
                 f'<tr><td class="tr-caption">{caption}</td></tr></table>'):
        fig = only(html)
        assert isinstance(fig, A.Figure) and fig.caption == [] and fig.image.url.endswith("/a.jpg")


def test_a_caption_container_holding_an_image_is_not_the_caption_of_the_image_before() -> None:
    """Blogger: an image, then a ``tr-caption-container`` table with an image and caption of
    its own. Two figures, the second with its caption; no image swallowed as a caption."""
    html = ('<div class="separator"><a href="/1.jpg"><img src="/1s.jpg"></a></div>'
            '<table class="tr-caption-container"><tr><td><a href="/2.jpg"><img src="/2s.jpg"></a></td></tr>'
            '<tr><td class="tr-caption">Second</td></tr></table>')
    figures = blocks(html)
    assert [type(b) for b in figures] == [A.Figure, A.Figure]
    assert [f.image.url.rsplit("/", 1)[1] for f in figures] == ["1s.jpg", "2s.jpg"]  # type: ignore[union-attr]
    assert [A.plain_text(f.caption) for f in figures] == ["", "Second"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("attributes", "alt", "title"), [
    ('alt="Cap" title="Cap"', "Cap", ""),  # RTI: the caption as alt and again as title
    ('title="Cap"', "Cap", ""),  # the title stands in for a missing alt text, once
    ('alt="A boat" title="Photo: Li"', "A boat", "Photo: Li"),
])
def test_an_image_title_repeating_its_alt_text_is_not_kept(attributes: str, alt: str, title: str) -> None:
    paragraph = only(f'<p><img src="/a.jpg" {attributes}> Text after.</p>')
    image = next(n for n in A.walk([paragraph]) if isinstance(n, A.Image))
    assert (image.alt, image.title) == (alt, title)
