"""Digests: one name per publisher, selection by time, books per day/week/month/publisher named
from a template, flat contents where one level is enough, and series metadata."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from support import FEEDS, needs_corpus
from typer.testing import CliRunner

import converter
from converter import ast as A
from converter.cli import app
from converter.digest import (
    book_names,
    books,
    group,
    parse_bound,
    publisher_names,
    select,
)
from converter.errors import InputError, OptionError

UTC = dt.timezone.utc
FIXTURES = Path(__file__).parent / "fixtures" / "feeds"


def doc(title: str, url: str = "", site: str = "", when: dt.datetime | None = None) -> A.Document:
    return A.Document(A.Meta(title=title, url=url, site=site, published=when, language="en"),
                      [A.Paragraph([A.Text(f"Text of {title}.")])])


def day(d: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2024, 11, d, hour, tzinfo=UTC)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------- publishers


def test_one_name_per_publisher() -> None:
    docs = [
        doc("a", "https://www.dw.com/zh/a-1", "dw.com"),  # an item without front matter: its host
        doc("b", "https://www.dw.com/zh/a-2", "德国之声"),  # with front matter: its name
        doc("c", "https://www.dw.com/zh/a-3", "德国之声"),
        doc("d", "https://cn.nytimes.com/x", "纽约时报"),
        doc("e", "https://www.nytimes.com/y", "纽约时报"),  # another host, the same name
        doc("f", "https://nei.st/a", "Nei.st"),  # a name differing from the host in case is a name
        doc("g", "https://blog.example.org/p"),
        doc("h"),
    ]
    assert publisher_names(docs) == ["德国之声", "德国之声", "德国之声", "纽约时报", "纽约时报", "Nei.st",
                                     "blog.example.org", "Other sources"]


@needs_corpus
def test_the_corpus_has_one_section_per_publisher() -> None:
    docs = [converter.parse(p.read_bytes(), path=str(p)) for p in FEEDS]
    names = publisher_names(docs)
    by_prefix: dict[str, set[str]] = {}
    for path, name in zip(FEEDS, names, strict=True):
        by_prefix.setdefault(path.name[:3], set()).add(name)
    # before: a name and a host per publisher (the Economist three: its byline is the site's name too)
    assert len({d.meta.site for d in docs}) == 39
    assert all(len(found) == 1 for prefix, found in by_prefix.items() if prefix != "s03"), by_prefix
    # s03's items without front matter carry no link and no site: they cannot be told apart
    assert by_prefix["s03"] == {"Nei.st", "Other sources"}
    assert len(set(names) - {"Other sources"}) == 19


# ---------------------------------------------------------------------------- selecting and grouping


def test_bounds_and_selection() -> None:
    assert parse_bound("2024-11-27", end=False) == dt.datetime(2024, 11, 27, tzinfo=UTC)
    assert parse_bound("2024-11-27", end=True) == dt.datetime(2024, 11, 27, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_bound("2024-11-27T08:00:00+08:00", end=False) == dt.datetime(2024, 11, 27, 0, tzinfo=UTC)
    with pytest.raises(OptionError, match="'yesterday' is not a date"):
        parse_bound("yesterday", end=False)
    docs = [doc("a", when=day(26)), doc("b", when=day(27, 0)), doc("c", when=day(27, 23)), doc("d")]
    assert [d.meta.title for d in select(docs)] == ["a", "b", "c", "d"]
    since, until = parse_bound("2024-11-27", end=False), parse_bound("2024-11-27", end=True)
    assert [d.meta.title for d in select(docs, since, until)] == ["b", "c"]  # undated out with a bound
    assert [d.meta.title for d in select(docs, until=until)] == ["a", "b", "c"]


def test_groups() -> None:
    docs = [doc("a", "https://one.example/a", when=day(25, 23)), doc("b", "https://two.example/b", when=day(26, 1)),
            doc("c", "https://one.example/c", when=dt.datetime(2024, 12, 2, tzinfo=UTC)), doc("d")]
    days = group(docs, "day")
    assert [(g.date, g.index, [d.meta.title for d in g.docs]) for g in days] == [
        ("2024-11-25", 20241125, ["a"]), ("2024-11-26", 20241126, ["b"]), ("2024-12-02", 20241202, ["c"]),
        ("undated", 0, ["d"])]
    weeks = group(docs, "week")
    assert [(g.date, g.label, g.index) for g in weeks] == [
        ("2024-W48", "2024-11-25 – 2024-12-01", 202448), ("2024-W49", "2024-12-02 – 2024-12-08", 202449),
        ("undated", "undated", 0)]
    assert [g.date for g in group(docs, "month")] == ["2024-11", "2024-12", "undated"]
    sites = group(docs, "site")  # newest publisher first
    assert [(g.site, g.date, g.index, len(g.docs)) for g in sites] == [
        ("one.example", "2024-12-02", 1, 2), ("two.example", "2024-11-26", 2, 1), ("Other sources", "undated", 3, 1)]
    assert days[0].site == "one.example" and group(docs, None)[0].site == "mixed"
    with pytest.raises(OptionError):
        group(docs, "year")


def test_book_names() -> None:
    docs = [doc("a", "https://one.example/a", "One / Two", day(25)), doc("b", "https://two.example/b", when=day(26))]
    days, sites = group(docs, "day"), group(docs, "site")
    assert book_names("digest-{date}.epub", days, ["x", "y"], "day") == ["digest-2024-11-25.epub",
                                                                         "digest-2024-11-26.epub"]
    assert book_names("digest.epub", days, ["x", "y"], "day") == ["digest-2024-11-25.epub", "digest-2024-11-26.epub"]
    assert book_names("out/{site}.epub", sites, ["x", "y"], "site") == ["out/two.example.epub", "out/One - Two.epub"]
    assert book_names("{title}.epub", days, ["A: b?", "A: b?"], "day") == \
        ["A- b-2024-11-25.epub", "A- b-2024-11-26.epub"]  # the grouping's field added: names stay apart
    assert book_names("{title}.epub", days, ["same", "same"], None) == ["same.epub", "same-2.epub"]
    with pytest.raises(OptionError, match=r"uses \{when\}; the fields are \{date\}, \{site\}, \{title\}"):
        book_names("{when}.epub", days, ["x", "y"], "day")
    with pytest.raises(OptionError, match="not a template"):
        book_names("{date.epub", days, ["x", "y"], "day")


# ---------------------------------------------------------------------------- books


def nav_of(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return z.read("EPUB/nav.xhtml").decode()


def opf_of(data: bytes) -> str:
    with zipfile.ZipFile(BytesIO(data)) as z:
        return z.read("EPUB/content.opf").decode()


def test_contents_have_only_the_levels_they_need() -> None:
    one_day = [doc("a", "https://one.example/a", when=day(25, 8)), doc("b", "https://one.example/b", when=day(25, 9))]
    assert "<ol>" in nav_of(converter.bundle(one_day, images="none"))
    assert "2024-11-25" not in nav_of(converter.bundle(one_day, images="none")).split("<nav")[1]  # flat
    two_days = one_day + [doc("c", "https://one.example/c", when=day(26))]
    assert ">2024-11-26<" in nav_of(converter.bundle(two_days, images="none"))  # a level for days
    two_sites = one_day + [doc("d", "https://two.example/d", when=day(25))]
    nav = nav_of(converter.bundle(two_sites, images="none"))
    assert ">one.example<" in nav and ">two.example<" in nav and ">2024-11-25<" not in nav


def test_series_metadata() -> None:
    data = converter.bundle([doc("a", when=day(25))], images="none", series="Daily <News>", series_index=20241125)
    opf = opf_of(data)
    assert '<meta property="belongs-to-collection" id="series">Daily &lt;News&gt;</meta>' in opf
    assert '<meta refines="#series" property="collection-type">series</meta>' in opf
    assert '<meta refines="#series" property="group-position">20241125</meta>' in opf
    assert re.search(r'<meta name="calibre:series" content="Daily &lt;News&gt;"\s*(/>|></meta>)', opf)
    assert "belongs-to-collection" not in opf_of(converter.bundle([doc("a", when=day(25))], images="none"))


def test_books_select_group_and_name() -> None:
    docs = [doc("a", "https://one.example/a", when=day(25)), doc("b", "https://two.example/b", when=day(26)),
            doc("c", "https://one.example/c", when=day(27))]
    made = books(docs, "d-{date}.epub", group_by="day", since=parse_bound("2024-11-26", end=False),
                 title="News", series="News", images="none")
    assert [(name, [d.meta.title for d in chapters]) for name, chapters, _ in made] == [
        ("d-2024-11-26.epub", ["b"]), ("d-2024-11-27.epub", ["c"])]
    opf = opf_of(made[0][2]())
    assert "<dc:title>News, 2024-11-26</dc:title>" in opf and ">20241126</meta>" in opf
    with pytest.raises(InputError, match="no document was published in the time asked for"):
        books(docs, "x.epub", since=parse_bound("2030-01-01", end=False))


# ---------------------------------------------------------------------------- the command line


def test_digest_per_day_from_feeds(tmp_path: Path) -> None:
    feeds = [str(FIXTURES / name) for name in ("rss2.xml", "atom.xml", "rss1.rdf")]
    template = str(tmp_path / "out" / "digest-{date}.epub")
    code, _, err = invoke(*feeds, "--bundle", template, "--group-by", "day", "--images", "none",
                          "--series", "Example daily")
    assert code == 0, err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"digest-2024-11-{d}.epub" for d in (25, 26, 27, 28)]
    assert "4 books, 7 chapters, 0 failed" in err
    first = (tmp_path / "out" / "digest-2024-11-26.epub").read_bytes()
    assert invoke(*feeds, "--bundle", template, "--group-by", "day", "--images", "none",
                  "--series", "Example daily")[0] == 0
    assert (tmp_path / "out" / "digest-2024-11-26.epub").read_bytes() == first  # byte for byte
    assert "group-position\">20241126<" in opf_of(first)


def test_digest_options_need_a_bundle_and_good_values(tmp_path: Path) -> None:
    feed = str(FIXTURES / "rss2.xml")
    for args in (["--to", "md", "--group-by", "day"], ["--to", "md", "--since", "2024-01-01"],
                 ["--bundle", "b.epub", "--group-by", "year"], ["--bundle", "b.epub", "--until", "soon"],
                 ["--bundle", "{when}.epub"]):
        code, _, err = invoke(feed, *args)
        assert code == 2, args
    code, _, err = invoke(feed, "--bundle", str(tmp_path / "b.epub"), "--since", "2030-01-01")
    assert code == 1 and "no document was published in the time asked for" in err
    assert not (tmp_path / "b.epub").exists()


def test_digest_per_site_with_since_and_until(tmp_path: Path) -> None:
    feeds = [str(FIXTURES / name) for name in ("rss2.xml", "atom.xml", "rss1.rdf")]
    code, _, err = invoke(*feeds, "--bundle", str(tmp_path / "{site}.epub"), "--group-by", "site",
                          "--since", "2024-11-26", "--until", "2024-11-27", "--images", "none", "--title", "Week")
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Example Weekly.epub", "示例新闻.epub"]
    assert "<dc:title>Week: 示例新闻</dc:title>" in opf_of((tmp_path / "示例新闻.epub").read_bytes())


@needs_corpus
def test_the_corpus_per_day(tmp_path: Path) -> None:
    code, _, err = invoke(str(FEEDS[0].parent), "--bundle", str(tmp_path / "d" / "{date}.epub"), "--group-by", "day",
                          "--images", "none", "-q")
    assert code == 0, err
    days = {p.meta.published.date().isoformat() if p.meta.published else "undated"
            for p in (converter.parse(f.read_bytes(), path=str(f)) for f in FEEDS)}
    assert sorted(p.stem for p in (tmp_path / "d").iterdir()) == sorted(days)
