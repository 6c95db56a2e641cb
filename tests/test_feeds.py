"""Feeds as inputs: RSS 2.0, RSS 1.0, Atom and JSON Feed told by content, each entry a document
(metadata right, body through the item reader), written one file per entry or bundled, entries
de-duplicated across inputs and reruns, hostile feeds refused or read leniently on one line."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from support import FEEDS, needs_corpus
from typer.testing import CliRunner

import converter
from converter.batch import plan_inputs
from converter.batch.feeds import entry_name
from converter.cli import app
from converter.errors import InputError
from converter.readers.syndication import normalize_language, read_feed, sniff

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
UTC = dt.timezone.utc


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def entries(name: str) -> list[converter.Document]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.parse_feed((FIXTURES / name).read_bytes(), path=name)


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    """The fixture feeds, copied where a test may write beside them."""
    folder = tmp_path / "feeds"
    shutil.copytree(FIXTURES, folder)
    return folder


# ---------------------------------------------------------------------------- telling a feed


@pytest.mark.parametrize("name, kind", [("rss2.xml", "rss"), ("atom.xml", "atom"), ("rss1.rdf", "rdf"),
                                        ("feed.json", "json")])
def test_feeds_are_told_by_content(name: str, kind: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert sniff(data) == kind
    assert sniff(b"\xef\xbb\xbf \n" + data) == kind
    if kind != "json":
        assert sniff(data.decode().encode("utf-16")) == kind


@pytest.mark.parametrize("data, kind", [
    (b'<!-- generated -->\n<rss version="2.0"><channel/></rss>', "rss"),
    (b'<?xml version="1.0"?>\n<!-- a -->\n<?xml-stylesheet href="s.xsl"?><!--b-->'
     b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "atom"),
    (b'<!--1738414025000-->\n<rss version="2.0"><channel/></rss>', "rss"),
])
def test_comments_and_processing_instructions_before_the_root(data: bytes, kind: str) -> None:
    """What the quick look for a feed-HTML item's first line passes over goes to the parser."""
    assert sniff(data) == kind


@pytest.mark.parametrize("data", [
    (ROOT / "examples" / "item.txt").read_bytes(),
    b"<!-- unclosed", b"<!-- a -->\n<?pi x?>\ntext <rss/>",
    b"<!--1738414025000-->\n[Title](https://e.example/a)\n------\n<p>x</p>",
    b"<html><body><p>An item saved as HTML</p></body></html>",
    b'<?xml version="1.0"?><note><to>x</to></note>',
    b'{"version": 1, "meta": {}, "blocks": []}',
    b"<feed xmlns='http://example.org/not-atom'/>",
    b"", b"<", b"{",
])
def test_other_inputs_are_not_feeds(data: bytes) -> None:
    assert sniff(data) is None


# ---------------------------------------------------------------------------- entries


def test_rss2_entries() -> None:
    first, second, third, fourth = entries("rss2.xml")
    assert first.meta.title == "城市图书馆延长开放时间"
    assert first.meta.url == "https://news.example.org/zh/library-hours/a-1001"
    assert first.meta.published == dt.datetime(2024, 11, 27, 12, 30, tzinfo=UTC)
    assert (first.meta.author, first.meta.site, first.meta.language) == ("林晓", "示例新闻", "zh-Hans")
    assert first.meta.tags == ["文化", "城市"]
    assert first.meta.extra == {"id": "news.example.org-1001", "feed": "https://news.example.org/"}
    text = converter.render(first, "text")
    assert "晚上八点以后的读者增加了三成" in text  # content:encoded, the fullest body, not the description
    assert "获取更多RSS" not in text  # the promo footer goes, as in a saved item
    assert isinstance(first.blocks[0], converter.ast.Figure)  # the enclosure image, first
    assert first.blocks[0].image.url == "https://images.example.org/library_1024.jpg"
    assert second.meta.published == dt.datetime(2024, 11, 26, 0, 0, tzinfo=UTC)  # +0800 made UTC
    figures = [b for b in converter.ast.walk(second.blocks) if isinstance(b, converter.ast.Image)]
    assert len(figures) == 1  # media:content already shown in the body is not repeated
    assert (third.meta.language, fourth.meta.language) == ("en", "en")  # the text wins over the feed's tag


def test_atom_entries() -> None:
    first, second = entries("atom.xml")
    assert first.meta.title == "Night hours at the city library"
    assert first.meta.published == dt.datetime(2024, 11, 28, 7, 15, tzinfo=UTC)  # published, not updated
    assert (first.meta.author, first.meta.site, first.meta.tags) == ("Ann Reader", "Example Weekly", ["Libraries"])
    assert "*asked*" in converter.render(first, "md")
    assert second.meta.published == dt.datetime(2024, 11, 27, 7, 0, tzinfo=UTC)  # updated when no published
    assert second.meta.url == "https://weekly.example.com/2024/updated"  # relative link made absolute
    assert "[relative link](https://weekly.example.com/about)" in converter.render(second, "md")


def test_rss1_entries() -> None:
    (only,) = entries("rss1.rdf")
    assert (only.meta.title, only.meta.url) == ("市立圖書館延長開放時間", "https://tw.example.net/story/1")
    assert only.meta.published == dt.datetime(2024, 11, 25, 2, 0, tzinfo=UTC)
    assert (only.meta.author, only.meta.site, only.meta.language) == ("陳明", "示例週報", "zh-Hant")


def test_json_feed_entries_and_an_invalid_item() -> None:
    with pytest.warns(UserWarning, match=r"feed.json#3: is not a valid JSON Feed item \(it has no id\)"):
        bridge, notes = converter.parse_feed((FIXTURES / "feed.json").read_bytes(), path="feed.json")
    assert bridge.meta.title == "A bridge reopens"
    assert bridge.meta.published == dt.datetime(2024, 11, 29, 23, 0, tzinfo=UTC)
    assert (bridge.meta.author, bridge.meta.tags, bridge.meta.language) == ("Bo Writer", ["city", "transport"], "en")
    assert bridge.blocks[0].image.url == "https://json.example.com/bridge.jpg"
    assert notes.meta.author == "The Desk"  # the feed's authors stand in
    assert notes.meta.published == dt.datetime(2024, 11, 28, 10, 0, tzinfo=UTC)  # date_modified
    assert "Second paragraph, with <angle brackets> kept as text." in converter.render(notes, "text")
    assert notes.meta.extra["id"] == "1"  # a number coerced to a string, as the specification says


@pytest.mark.parametrize("data, reason", [
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "'title' is missing"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t"}', "'items' is missing"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [', "not valid JSON"),
    ('{"version": "https://jsonfeed.org/version/1", "title": "标题", "items": []}'.encode("gb18030"), "not UTF-8"),
])
def test_json_feeds_that_break_the_specification(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        read_feed(data, "bad.json")
    assert str(caught.value).startswith("bad.json: ")


@pytest.mark.parametrize("tag, expected", [("zh-cn", "zh-Hans"), ("zh_TW", "zh-Hant"), ("zh-Hant-HK", "zh-Hant"),
                                           ("zh", ""), ("en-us", "en-US"), ("fr", "fr"), ("", ""), ("x!", "")])
def test_feed_languages(tag: str, expected: str) -> None:
    assert normalize_language(tag) == expected


def test_identities_ignore_a_link_shared_by_every_entry() -> None:
    items = "".join(f"<item><title>T{i}</title><link>https://e.example/</link><guid>g{i}</guid>"
                    f"<description>x{i}</description></item>" for i in range(3))
    feed = read_feed(f'<rss version="2.0"><channel><title>s</title>{items}</channel></rss>'.encode(), "f.xml")
    assert [e.identities for e in feed.entries] == [("id:g0",), ("id:g1",), ("id:g2",)]


# ---------------------------------------------------------------------------- hostile feeds


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    data = (f'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
            '<rss version="2.0"><channel><title>t &xxe;</title><item><title>X &xxe;</title>'
            '<link>https://e.example/x</link><description>body &xxe;</description></item></channel></rss>')
    docs = entries_of(data.encode())
    assert len(docs) == 1
    assert "SECRET" not in json.dumps(converter.ast.document_to_dict(docs[0]), ensure_ascii=False)


def test_entity_expansion_is_not_followed() -> None:
    lines = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    data = ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(lines) + "\n]>\n"
            '<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title><link>https://e.example/l</link>'
            "<description>&lol9;</description></item></channel></rss>")
    (doc,) = entries_of(data.encode())
    assert len(converter.render(doc, "text")) < 1000


def test_bytes_are_never_taken_for_a_file_name(tmp_path: Path) -> None:
    """feedparser opens bytes it is given as a file name; we give it a stream."""
    from converter.readers.syndication import _read_xml_feed

    target = tmp_path / "elsewhere.xml"
    target.write_bytes((FIXTURES / "rss2.xml").read_bytes())
    with pytest.raises(InputError):
        _read_xml_feed(str(target).encode(), "named.xml", "rss")


def test_malformed_feeds_keep_what_can_be_read() -> None:
    data = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>b</title><item><title>One</title>'
            b"<link>https://e.example/1</link><description>&lt;p&gt;unclosed &amp; bad</description></item>"
            b"<item><title>Two & three</title><link>https://e.example/2</link>")
    feed = read_feed(data, "broken.xml")
    assert [e.title for e in feed.entries] == ["One", "Two & three"]
    assert feed.warnings and feed.warnings[0].startswith("broken.xml: is not well-formed XML")


def test_a_feed_in_the_wrong_encoding_is_decoded_as_items_are() -> None:
    data = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>中文</title><item>'
            "<title>标题一</title><link>https://e.example/g</link><description>正文内容。</description>"
            "</item></channel></rss>").encode("gb18030")
    (doc,) = entries_of(data)
    assert doc.meta.title == "标题一" and doc.meta.site == "中文"


def test_a_feed_with_nothing_readable_is_one_error() -> None:
    with pytest.raises(InputError, match=r"^x.xml: is an RSS feed that cannot be read"):
        read_feed(b'<rss version="2.0"><channel><title>', "x.xml")


def test_a_big_broken_feed_is_refused_not_read_for_minutes() -> None:
    from converter.readers.syndication import MAX_LENIENT_BYTES

    data = (b'<rss version="2.0"><channel><title>b</title><item><title>One</title><description>'
            + b"<" * MAX_LENIENT_BYTES + b"</description></item></channel></rss>")
    with pytest.raises(InputError, match=r"^big.xml: is an RSS feed that is not well-formed XML, and over 2 MiB"):
        read_feed(data, "big.xml")
    # the same markup, smaller, is read leniently
    (doc,) = entries_of(data[:50_000] + b"</description></item></channel></rss>")
    assert doc.meta.title == "One"


def entries_of(data: bytes) -> list[converter.Document]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return converter.parse_feed(data, path="test.xml")


# ---------------------------------------------------------------------------- the command line


def test_one_file_per_entry(feeds: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    code, _, err = invoke(str(feeds / "rss2.xml"), "--to", "md", "-o", str(notes))
    assert code == 0, err
    names = sorted(p.name for p in notes.glob("*.md"))
    assert names == ["2024-11-26-same-title-same-day-0fb7947a.md", "2024-11-26-same-title-same-day.md",
                     "2024-11-26-志愿者在社区花园种下一百棵树.md", "2024-11-27-城市图书馆延长开放时间.md"]
    text = (notes / "2024-11-27-城市图书馆延长开放时间.md").read_text(encoding="utf-8")
    assert "url: https://news.example.org/zh/library-hours/a-1001" in text
    assert "published: '2024-11-27T12:30:00Z'" in text


def test_entries_go_beside_the_feed_without_an_output(feeds: Path) -> None:
    code, _, err = invoke(str(feeds / "atom.xml"), "--to", "txt")
    assert code == 0, err
    assert sorted(p.name for p in (feeds / "atom").iterdir() if not p.name.startswith(".")) == [
        "2024-11-27-only-an-update-time.txt", "2024-11-28-night-hours-at-the-city-library.txt"]


def test_reruns_convert_only_new_and_changed_entries(feeds: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    feed = feeds / "rss2.xml"
    assert invoke(str(feed), "--to", "md", "-o", str(notes))[0] == 0
    assert "0 converted, 4 skipped" in invoke(str(feed), "--to", "md", "-o", str(notes))[2]
    # tomorrow's feed: one entry gone, one new, one changed; the names stay
    text = feed.read_text(encoding="utf-8")
    first_item = text.index("<item>")
    new_item = ("<item><title>Tomorrow</title><link>https://news.example.org/en/a-2000</link>"
                "<pubDate>Thu, 28 Nov 2024 09:00:00 GMT</pubDate><description>New.</description></item>")
    text = text.replace("The second of two entries", "The corrected second of two entries")
    text = text[:first_item] + new_item + text[text.index("<item>", first_item + 1):]
    feed.write_text(text, encoding="utf-8")
    code, _, err = invoke(str(feed), "--to", "md", "-o", str(notes), "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    rows = {r["input"].rsplit("#")[-1]: r for r in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert {k: r["status"] for k, r in rows.items()} == {"1": "converted", "2": "skipped", "3": "skipped",
                                                          "4": "converted"}
    assert rows["4"]["output"].endswith("2024-11-26-same-title-same-day-0fb7947a.md")  # its first name
    assert "corrected" in (notes / "2024-11-26-same-title-same-day-0fb7947a.md").read_text(encoding="utf-8")
    assert (notes / "2024-11-27-城市图书馆延长开放时间.md").exists()  # an entry gone from the feed stays


def test_an_entry_in_two_feeds_is_converted_once(feeds: Path, tmp_path: Path) -> None:
    mirror = feeds / "mirror.xml"  # another feed carrying the same article under another id
    mirror.write_text((feeds / "rss1.rdf").read_text(encoding="utf-8").replace(
        "<title>示例週報</title>", "<title>Mirror</title>"), encoding="utf-8")
    code, _, err = invoke(str(feeds / "rss1.rdf"), str(mirror), "--to", "md", "-o", str(tmp_path / "n"))
    assert code == 0, err
    assert "1 converted, 1 skipped" in err
    # and across runs: the mirror alone, later, finds it converted
    report = tmp_path / "r.json"
    code, _, err = invoke(str(mirror), "--to", "md", "-o", str(tmp_path / "n"), "--report", str(report))
    assert code == 0, err
    assert json.loads(report.read_text())["summary"]["skipped"] == 1


def test_folders_take_feeds_by_content(feeds: Path, tmp_path: Path) -> None:
    (feeds / "item.txt").write_bytes((ROOT / "examples" / "item.txt").read_bytes())
    (feeds / "settings.json").write_text('{"not": "a feed"}')
    (feeds / "pom.xml").write_text("<project/>")
    (feeds / "saved-feed.txt").write_bytes((FIXTURES / "atom.xml").read_bytes())
    code, _, err = invoke(str(feeds), "--to", "md", "-o", str(tmp_path / "out"))
    out = tmp_path / "out"
    assert {p.relative_to(out).parts[0] for p in out.iterdir() if not p.name.startswith(".")} == {
        "item.md", "rss2", "atom", "rss1", "feed"}
    assert code == 1  # the feed saved as .txt, and the invalid JSON Feed item
    assert "saved-feed.txt: is a feed (Atom) of many entries, not one item" in err
    assert "feed.json#3: is not a valid JSON Feed item" in err


def test_a_feed_is_not_one_document(feeds: Path) -> None:
    code, _, err = invoke(str(feeds / "rss2.xml"), "--to", "md", "-o", "-")
    assert code == 1 and err.count("\n") == 1 and "is a feed (RSS) of many entries" in err
    with pytest.raises(InputError, match="is a feed"):
        converter.parse((FIXTURES / "atom.xml").read_bytes())
    with pytest.raises(InputError, match="is a feed"):
        converter.read_file(FIXTURES / "feed.json")


def test_an_output_file_for_a_feed_is_refused(feeds: Path, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("mine")
    code, _, err = invoke(str(feeds / "rss2.xml"), "--to", "md", "-o", str(tmp_path / "notes.md"))
    assert code == 1 and "is a feed, whose entries go to a folder" in err
    assert (tmp_path / "notes.md").read_text() == "mine"


def test_a_bundle_of_feeds(feeds: Path, tmp_path: Path) -> None:
    book = tmp_path / "digest.epub"
    code, _, err = invoke(str(feeds / "rss2.xml"), str(feeds / "atom.xml"), str(feeds / "rss2.xml"),
                          "--to", "epub", "--bundle", str(book), "--images", "none")
    assert code == 0, err
    with zipfile.ZipFile(book) as z:
        chapters = [n for n in z.namelist() if n.startswith("EPUB/ch")]
        assert len(chapters) == 6  # the second rss2.xml adds nothing
        nav = z.read("EPUB/nav.xhtml").decode()
    assert "城市图书馆延长开放时间" in nav and "Night hours at the city library" in nav


def test_a_folder_named_with_a_template_keeps_the_entries_names(feeds: Path, tmp_path: Path) -> None:
    (feeds / "item.txt").write_bytes((ROOT / "examples" / "item.txt").read_bytes())
    out = tmp_path / "out"
    code, _, err = invoke(str(feeds / "item.txt"), str(feeds / "atom.xml"), "--to", "md", "-o", f"{out}/",
                          "--name", "{site}-{stem}")
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.md")) == [  # the entries as a feed names them, the item by --name
        "2024-11-27-only-an-update-time.md", "2024-11-28-night-hours-at-the-city-library.md",
        "news-example-org-item.md"]


def test_a_feed_named_and_found_in_its_folder_is_converted_once(feeds: Path, tmp_path: Path) -> None:
    code, _, err = invoke(str(feeds), str(feeds / "atom.xml"), "--to", "md", "-o", str(tmp_path / "out"))
    assert code == 1, err  # feed.json#3 only
    assert err.count("feed.json#3") == 1
    assert sorted(p.name for p in (tmp_path / "out" / "atom").glob("*.md")) == [
        "2024-11-27-only-an-update-time.md", "2024-11-28-night-hours-at-the-city-library.md"]


def test_a_feed_in_a_dataset_is_one_failed_row(feeds: Path, tmp_path: Path) -> None:
    (feeds / "item.txt").write_bytes((ROOT / "examples" / "item.txt").read_bytes())
    rows = tmp_path / "rows.jsonl"
    code, _, err = invoke(str(feeds / "item.txt"), str(feeds / "rss2.xml"), "--to", "jsonl", "-o", str(rows))
    assert code == 1
    assert "rss2.xml: is a feed (RSS) of many entries, not one item" in err
    assert len(rows.read_text(encoding="utf-8").splitlines()) == 1


def test_a_digest_through_the_library(feeds: Path, tmp_path: Path) -> None:
    written: dict[str, bytes] = {}
    made = converter.api.bundle_files([str(feeds / "rss2.xml"), str(feeds / "atom.xml")], name="d-{date}.epub",
                                      group_by="day", series="Daily", images="none",
                                      on_book=written.__setitem__)
    assert made.book is None and [name for name, _ in made.books] == list(written)
    assert sum(n for _, n in made.books) == made.report.converted == 6
    assert {str(row.output) for row in made.report.results if row.status == "converted"} == set(written)


def test_entry_names() -> None:
    feed = read_feed((FIXTURES / "atom.xml").read_bytes(), "atom.xml")
    assert entry_name(feed.entries[0]) == "2024-11-28-night-hours-at-the-city-library"
    feed.entries[0].title, feed.entries[0].published = "../../etc/passwd: a «title»/with \\ slashes", None
    assert entry_name(feed.entries[0]) == "etc-passwd-a-title-with-slashes"
    feed.entries[0].title = "！？"
    assert entry_name(feed.entries[0]) == "entry"


def test_plans_hold_entries(feeds: Path, tmp_path: Path) -> None:
    plan = plan_inputs([str(feeds / "rss1.rdf"), str(feeds / "feed.json")], "txt", str(tmp_path / "o"))
    assert [source.label for source in plan.jobs.sources] == [
        f"{feeds}/rss1.rdf#1", f"{feeds}/feed.json#1", f"{feeds}/feed.json#2"]
    assert [row.status for row in plan.problems] == ["failed"]


# ---------------------------------------------------------------------------- the corpus as feeds


def corpus_feed(kind: str, items: list[Path]) -> bytes:
    """The corpus items as one feed of ``kind``, each entry carrying an item's header and its
    body HTML as the publisher's feed would."""
    from email.utils import format_datetime
    from html import escape

    from converter.readers import header
    from converter.readers.decode import decode

    entries = []
    for path in items:
        doc = converter.parse(path.read_bytes(), path=str(path))
        body = header.split(decode(path.read_bytes())).body
        title, url, when = escape(doc.meta.title), escape(doc.meta.url), doc.meta.published
        if kind == "rss":
            date = f"<pubDate>{format_datetime(when, usegmt=True)}</pubDate>" if when else ""
            entries.append(f"<item><title>{title}</title><link>{url}</link><guid>{url or title}</guid>{date}"
                           f"<content:encoded>{escape(body)}</content:encoded></item>")
        elif kind == "rdf":
            date = f"<dc:date>{when.isoformat()}</dc:date>" if when else ""
            entries.append(f'<item rdf:about="{url}"><title>{title}</title><link>{url}</link>{date}'
                           f"<content:encoded>{escape(body)}</content:encoded></item>")
        elif kind == "atom":
            date = f"<published>{when.isoformat()}</published>" if when else ""
            entries.append(f"<entry><title>{title}</title><link href=\"{url}\"/><id>{url or title}</id>{date}"
                           f'<content type="html">{escape(body)}</content></entry>')
        else:
            entries.append({"id": url or doc.meta.title, "url": url, "title": doc.meta.title, "content_html": body,
                            **({"date_published": when.isoformat()} if when else {})})
    if kind == "json":
        return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Corpus",
                           "items": entries}, ensure_ascii=False).encode()
    joined = "".join(entries)
    namespaces = ('xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/"')
    if kind == "rss":
        return f'<rss version="2.0" {namespaces}><channel><title>Corpus</title>{joined}</channel></rss>'.encode()
    if kind == "rdf":
        return (f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
                f'{namespaces}><channel rdf:about="x"><title>Corpus</title></channel>{joined}</rdf:RDF>').encode()
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Corpus</title>{joined}</feed>'.encode()


@needs_corpus
@pytest.mark.parametrize("kind", ["rss", "rdf", "atom", "json"])
def test_corpus_items_as_feed_entries(kind: str) -> None:
    """Every corpus item, carried by a feed, gives the document the item gives: title, link,
    date and blocks."""
    items = [p for p in FEEDS if p.suffix == ".txt"]  # the header form: title, link, date from the header
    data = corpus_feed(kind, items)
    assert sniff(data) == kind
    docs = entries_of(data)
    assert len(docs) == len(items)
    for path, entry in zip(items, docs, strict=True):
        item = converter.parse(path.read_bytes(), path=str(path))
        when = item.meta.published
        if kind == "rss" and when is not None:  # RFC 822 dates stop at the second
            when = when.replace(microsecond=0)
        assert (entry.meta.title, entry.meta.url, entry.meta.published) == (item.meta.title, item.meta.url, when), \
            path.name
        assert entry.blocks == item.blocks, path.name
