"""Feeds by URL and OPML lists, against a server on 127.0.0.1 (never the internet): fetched
under the image fetcher's host rules, kept in the cache folder, asked for again with
If-None-Match / If-Modified-Since (a 304 converts nothing), read from the cache with
--offline; a feed that cannot be had is one line naming its URL, and the others go on."""

from __future__ import annotations

import email.utils
import functools
import http.server
import json
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import serving
from typer.testing import CliRunner

import converter
from converter import remote
from converter.batch import plan_inputs
from converter.batch.feeds import url_folder
from converter.cli import app
from converter.errors import InputError
from converter.files import is_url
from converter.readers.opml import read_opml
from converter.remote import FeedFetcher, FetchOptions

ROOT = Path(__file__).parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "feeds"
LAST_MODIFIED = email.utils.formatdate(1732700000, usegmt=True)


def rss(*items: tuple[str, str, str]) -> bytes:
    """A small RSS 2.0 feed of (guid, title, RFC 822 date) items."""
    body = "".join(f"<item><title>{title}</title><link>https://news.example.org/{guid}</link>"
                   f"<guid>{guid}</guid><pubDate>{date}</pubDate><description>About {title}.</description></item>"
                   for guid, title, date in items)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Town news</title>'
            f"<link>https://news.example.org/</link>{body}</channel></rss>").encode()


TWO = rss(("t-1", "Library opens late", "Wed, 27 Nov 2024 12:30:00 GMT"),
          ("t-2", "Trees in the garden", "Tue, 26 Nov 2024 08:00:00 GMT"))
THREE = rss(("t-3", "A new bridge", "Thu, 28 Nov 2024 07:00:00 GMT"),
            ("t-1", "Library opens late", "Wed, 27 Nov 2024 12:30:00 GMT"),
            ("t-2", "Trees in the garden", "Tue, 26 Nov 2024 08:00:00 GMT"))


# ---------------------------------------------------------------------------- test server


class _Handler(http.server.BaseHTTPRequestHandler):
    """Feeds with an ETag (``/news.xml``), with a Last-Modified date only (``/atom.xml``), and
    what goes wrong: 404, 500, a page that is no feed, a server that says nothing in time.
    Every request is logged with its conditional headers."""

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        conditions = (self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since"))
        with server.lock:
            server.log.append((self.path, *conditions))
        if self.path == "/news.xml":
            etag = f'"{server.version}"'
            if conditions[0] == etag:
                self._not_modified(etag=etag)
            else:
                self._send(server.news, "application/rss+xml", ETag=etag)
        elif self.path == "/renewed.xml":  # the same feed, its ETag renewed by each 304
            if conditions[0] in ('"r1"', '"r2"'):
                self._not_modified(etag='"r2"')
            else:
                self._send(TWO, "application/rss+xml", ETag='"r1"')
        elif self.path == "/atom.xml":
            if conditions[1] == LAST_MODIFIED:
                self._not_modified()
            else:
                self._send((FIXTURES / "atom.xml").read_bytes(), "application/atom+xml", **{"Last-Modified":
                                                                                              LAST_MODIFIED})
        elif self.path == "/page.html":
            self._send(b"<!doctype html><html><body>Please log in</body></html>", "text/html; charset=utf-8")
        elif self.path == "/broken.xml":
            self.send_error(500)
        elif self.path == "/slow.xml":
            time.sleep(2)
            self._send(TWO, "application/rss+xml")
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _not_modified(self, **headers: str) -> None:
        self.send_response(304)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-").title().replace("Etag", "ETag"), value)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str | None, str | None]] = []
        self.news, self.version = TWO, "v1"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out and hang up are part of the tests


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving(_Server()) as running:
        yield running


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def convert(*args: str, cache: Path, private: bool = True) -> tuple[int, str, str]:
    """``convert ARGS`` with its own feed cache; ``private``: with --allow-private-hosts."""
    return invoke(*args, "--cache-dir", str(cache), *(["--allow-private-hosts"] if private else []))


def lines(stderr: str, kind: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"convert: {kind}: ")]


def titles(folder: Path) -> list[str]:
    """The titles of the JSON outputs in ``folder``, at any depth."""
    return sorted(converter.load_json(path.read_bytes()).meta.title for path in folder.rglob("*.json"))


# ---------------------------------------------------------------------------- fetching, conditionally


def test_a_feed_by_url_is_fetched_and_each_entry_converted(server: _Server, tmp_path: Path, cache: Path) -> None:
    out = tmp_path / "notes"
    code, _, err = convert(server.url("/news.xml"), "--to", "md", "-o", f"{out}/", cache=cache)
    assert code == 0, err
    assert sorted(p.name for p in out.glob("*.md")) == ["2024-11-26-trees-in-the-garden.md",
                                                        "2024-11-27-library-opens-late.md"]
    doc = converter.parse((out / "2024-11-27-library-opens-late.md").read_bytes())
    assert (doc.meta.title, doc.meta.url) == ("Library opens late", "https://news.example.org/t-1")
    assert server.log == [("/news.xml", None, None)]  # nothing to be conditional about yet
    assert "2 converted, 0 skipped, 0 failed" in err


def test_a_rerun_asks_with_the_etag_gets_304_and_converts_nothing(server: _Server, tmp_path: Path,
                                                                 cache: Path) -> None:
    out = tmp_path / "notes"
    convert(server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.md")}
    code, _, err = convert(server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    assert code == 0, err
    assert server.log[1] == ("/news.xml", '"v1"', None)  # answered 304 by the server
    assert "0 converted, 2 skipped, 0 failed" in err
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.md")} == before

    server.news, server.version = THREE, "v2"  # the feed gains an entry
    code, _, err = convert(server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    assert server.log[2] == ("/news.xml", '"v1"', None)  # not matched: the whole feed comes back
    assert code == 0 and "1 converted, 2 skipped, 0 failed" in err
    assert (out / "2024-11-28-a-new-bridge.md").is_file()


def test_a_304_with_new_validators_renews_the_ones_kept(server: _Server, cache: Path) -> None:
    """A 304 may carry a new ETag (RFC 9111, 4.3.4: the stored response's headers are updated
    from it): the next request sends the new one."""
    def fetch() -> str:
        return FeedFetcher(FetchOptions(cache_dir=str(cache), allow_private_hosts=True)).fetch(
            server.url("/renewed.xml")).how

    assert [fetch(), fetch(), fetch()] == ["fetched", "not modified", "not modified"]
    assert [etag for _, etag, _ in server.log] == [None, '"r1"', '"r2"']


def test_a_feed_with_only_a_date_is_asked_for_since_that_date(server: _Server, tmp_path: Path, cache: Path) -> None:
    out = tmp_path / "notes"
    first = convert(server.url("/atom.xml"), "--to", "json", "-o", str(out), cache=cache)
    second = convert(server.url("/atom.xml"), "--to", "json", "-o", str(out), cache=cache)
    assert first[0] == second[0] == 0, first[2] + second[2]
    assert server.log == [("/atom.xml", None, None), ("/atom.xml", None, LAST_MODIFIED)]
    assert "0 converted, 2 skipped" in second[2]
    assert titles(out) == ["Night hours at the city library", "Only an update time"]


def test_offline_reads_the_cached_copy_and_asks_nothing(server: _Server, tmp_path: Path, cache: Path) -> None:
    convert(server.url("/news.xml"), "--to", "md", "-o", str(tmp_path / "first"), cache=cache)
    code, _, err = convert(server.url("/news.xml"), "--to", "md", "-o", str(tmp_path / "second"), "--offline",
                           cache=cache, private=False)
    assert code == 0, err
    assert len(server.log) == 1
    assert sorted(p.name for p in (tmp_path / "second").glob("*.md")) == sorted(
        p.name for p in (tmp_path / "first").glob("*.md"))


def test_offline_without_a_cached_copy_is_one_line_naming_the_url(server: _Server, tmp_path: Path,
                                                                  cache: Path) -> None:
    url = server.url("/news.xml")
    code, _, err = convert(url, server.url("/atom.xml"), "--to", "md", "-o", str(tmp_path / "out"), "--offline",
                           cache=cache)
    assert code == 1 and server.log == []
    assert lines(err, "error") == [f"convert: error: {url}: not in the feed cache, and --offline makes no request",
                                   f"convert: error: {server.url('/atom.xml')}: not in the feed cache, and "
                                   "--offline makes no request"]


@pytest.mark.parametrize("path, reason", [("/missing.xml", "cannot be fetched: HTTP 404"),
                                          ("/broken.xml", "cannot be fetched: HTTP 500"),
                                          ("/page.html", "is not a feed (RSS, Atom or JSON Feed): the server "
                                                         "sent text/html")])
def test_a_feed_that_cannot_be_had_is_one_line_and_the_others_go_on(server: _Server, tmp_path: Path, cache: Path,
                                                                    path: str, reason: str) -> None:
    out = tmp_path / "notes"
    code, _, err = convert(server.url(path), server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    assert code == 1
    assert lines(err, "error") == [f"convert: error: {server.url(path)}: {reason}"]
    assert len(list(out.glob("*.md"))) == 2
    assert "2 converted, 0 skipped, 1 failed" in err
    assert not FeedFetcher(FetchOptions(cache_dir=str(cache))).cache.load(server.url(path))  # nothing kept


def test_a_server_that_says_nothing_in_time_is_one_error_naming_the_url(server: _Server, cache: Path) -> None:
    fetcher = FeedFetcher(FetchOptions(cache_dir=str(cache), allow_private_hosts=True), read_timeout=0.3)
    with pytest.raises(InputError) as caught:
        fetcher.fetch(server.url("/slow.xml"))
    assert str(caught.value) == f"{server.url('/slow.xml')}: cannot be fetched: timed out"


def test_a_timeout_is_one_line_at_the_command_line_and_the_others_go_on(server: _Server, tmp_path: Path,
                                                                      cache: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "FeedFetcher", functools.partial(FeedFetcher, read_timeout=0.3))
    out = tmp_path / "notes"
    code, _, err = convert(server.url("/slow.xml"), server.url("/news.xml"), "--to", "md", "-o", str(out),
                           cache=cache)
    assert code == 1
    assert lines(err, "error") == [f"convert: error: {server.url('/slow.xml')}: cannot be fetched: timed out"]
    assert len(list(out.glob("*.md"))) == 2


def test_a_private_host_is_refused_without_the_flag(server: _Server, tmp_path: Path, cache: Path) -> None:
    url = server.url("/news.xml")
    code, _, err = convert(url, "--to", "md", "-o", str(tmp_path / "out"), cache=cache, private=False)
    assert code == 1 and server.log == []
    (line,) = lines(err, "error")
    assert line.startswith(f"convert: error: {url}: cannot be fetched: refused: 127.0.0.1 is a non-public address")
    assert "--allow-private-hosts" in line


def test_feeds_by_url_join_the_entries_of_files_and_reruns(server: _Server, tmp_path: Path, cache: Path) -> None:
    """The same entries, from a file and by URL: converted once, and found again by the journal."""
    saved = tmp_path / "news.xml"
    saved.write_bytes(TWO)
    out = tmp_path / "notes"
    code, _, err = convert(str(saved), server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    assert code == 0 and "2 converted, 2 skipped" in err
    server.news, server.version = THREE, "v2"
    code, _, err = convert(server.url("/news.xml"), "--to", "md", "-o", str(out), cache=cache)
    assert code == 0 and "1 converted, 2 skipped" in err
    assert len(list(out.glob("*.md"))) == 3


def test_without_an_output_entries_go_to_a_folder_named_from_the_url(server: _Server, tmp_path: Path, cache: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = convert(server.url("/news.xml"), server.url("/atom.xml"), "--to", "md", cache=cache)
    assert code == 0, err
    port = server.server_port
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [f"127.0.0.1-{port}-atom",
                                                                               f"127.0.0.1-{port}-news"]
    assert len(list((tmp_path / f"127.0.0.1-{port}-news").glob("*.md"))) == 2


def test_network_options_apply_to_feeds_whatever_the_format(server: _Server, tmp_path: Path, cache: Path) -> None:
    """Text output takes no image options, but a feed by URL is fetched with them."""
    code, _, err = convert(server.url("/news.xml"), "--to", "txt", "-o", str(tmp_path / "out"), cache=cache)
    assert code == 0, err
    item = ROOT / "examples" / "item.txt"
    code, _, err = invoke(str(item), "--to", "txt", "-o", str(tmp_path / "x.txt"), "--allow-private-hosts")
    assert code == 2 and "--allow-private-hosts: does not apply to text output" in err


def test_a_feed_by_url_is_not_one_document_for_stdout(server: _Server) -> None:
    code, out, err = invoke(server.url("/news.xml"), "--to", "md", "-o", "-")
    assert code == 1 and out == "" and server.log == []
    assert lines(err, "error") == [f"convert: error: {server.url('/news.xml')}: is a feed, many documents, not one: "
                                   "convert it into a folder (-o DIR) or a book (--bundle)"]


def test_a_feed_by_url_in_a_dataset_is_one_failed_row(server: _Server, tmp_path: Path) -> None:
    code, _, err = invoke(server.url("/news.xml"), str(ROOT / "examples" / "item.txt"), "--to", "jsonl",
                          "-o", str(tmp_path / "rows.jsonl"))
    assert code == 1 and server.log == []
    assert "is a feed, many documents, not a row" in err
    assert len((tmp_path / "rows.jsonl").read_text("utf-8").splitlines()) == 1


# ---------------------------------------------------------------------------- OPML


def opml(server: _Server, *extra: str) -> bytes:
    """A list with nested folders, as feed readers export them."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="Town news" xmlUrl="{server.url('/news.xml')}" htmlUrl="https://news.example.org/"/>
      <outline text="Deeper">
        <outline type="rss" text="Library" xmlUrl="{server.url('/atom.xml')}"/>
      </outline>
    </outline>
    <outline type="rss" text="Town news again" xmlUrl="{server.url('/news.xml')}"/>
    {"".join(extra)}
  </body>
</opml>""".encode()


def test_an_opml_list_expands_to_its_feeds_nested_or_not(server: _Server, tmp_path: Path, cache: Path) -> None:
    subscriptions = tmp_path / "subscriptions.opml"
    subscriptions.write_bytes(opml(server))
    out = tmp_path / "notes"
    code, _, err = convert(str(subscriptions), "--to", "json", "-o", str(out), cache=cache)
    assert code == 0, err
    port = server.server_port
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [f"127.0.0.1-{port}-atom",
                                                                                  f"127.0.0.1-{port}-news"]
    assert titles(out) == ["Library opens late", "Night hours at the city library", "Only an update time",
                           "Trees in the garden"]
    assert sorted(path for path, *_ in server.log) == ["/atom.xml", "/news.xml"]  # each feed fetched once
    code, _, err = convert(str(subscriptions), "--to", "json", "-o", str(out), cache=cache)
    assert code == 0 and "0 converted, 4 skipped" in err


def test_without_an_output_an_opml_list_goes_to_a_folder_named_like_it(server: _Server, tmp_path: Path,
                                                                       cache: Path) -> None:
    subscriptions = tmp_path / "subscriptions.opml"
    subscriptions.write_bytes(opml(server))
    code, _, err = convert(str(subscriptions), "--to", "md", cache=cache)
    assert code == 0, err
    assert len(list((tmp_path / "subscriptions").rglob("*.md"))) == 4


def test_an_opml_list_with_bad_entries_reports_each_and_goes_on(server: _Server, tmp_path: Path,
                                                                cache: Path) -> None:
    subscriptions = tmp_path / "subscriptions.opml"
    subscriptions.write_bytes(opml(server, '<outline text="Secrets" xmlUrl="file:///etc/passwd"/>',
                                   '<outline text="Local" xmlUrl="feeds/local.xml"/>',
                                   f'<outline text="Gone" xmlUrl="{server.url("/missing.xml")}"/>'))
    out = tmp_path / "notes"
    code, _, err = convert(str(subscriptions), "--to", "md", "-o", str(out), cache=cache)
    assert code == 1
    warned = lines(err, "warning")
    assert len(warned) == 2
    assert warned[0].startswith(f"convert: warning: {subscriptions}: line ")
    assert "'Secrets': file:///etc/passwd is not an http(s) URL; left out" in warned[0]
    assert "'Local': feeds/local.xml is not an http(s) URL" in warned[1]
    assert lines(err, "error") == [f"convert: error: {server.url('/missing.xml')}: cannot be fetched: HTTP 404 "
                                   f"(listed in {subscriptions})"]
    assert len(list(out.rglob("*.md"))) == 4
    assert "/etc/passwd" not in "".join(p.read_text("utf-8") for p in out.rglob("*.md"))


def test_an_opml_list_makes_a_book_a_day(server: _Server, tmp_path: Path, cache: Path) -> None:
    subscriptions = tmp_path / "subscriptions.opml"
    subscriptions.write_bytes(opml(server))
    books = tmp_path / "books"
    code, _, err = convert(str(subscriptions), "--to", "epub", "--bundle", f"{books}/digest-{{date}}.epub",
                           "--group-by", "day", "--images", "none", cache=cache)
    assert code == 0, err
    assert sorted(p.name for p in books.iterdir()) == ["digest-2024-11-26.epub", "digest-2024-11-27.epub",
                                                       "digest-2024-11-28.epub"]
    assert sorted(path for path, *_ in server.log) == ["/atom.xml", "/news.xml"]  # planned once, fetched once
    with zipfile.ZipFile(books / "digest-2024-11-27.epub") as book:
        text = "".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xhtml"))
    assert "Library opens late" in text and "Only an update time" in text and "Night hours" not in text


def test_opml_lists_are_read_safely(tmp_path: Path) -> None:
    hostile = b"""<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="x" xmlUrl="https://example.org/&x;"/></body></opml>"""
    with pytest.raises(InputError, match="declares entities"):
        read_opml(hostile, "hostile.opml")
    with pytest.raises(InputError, match="not well-formed XML"):
        read_opml(b"<opml><body><outline xmlUrl='https://a.example/'></body>", "broken.opml")
    listed = read_opml(b"<opml><body><outline XMLURL='https://a.example/f' text='A'/>"
                       b"<outline text='folder'/><outline xmlUrl=''/></body></opml>", "l.opml")
    assert [(f.url, f.title) for f in listed.feeds] == [("https://a.example/f", "A")]
    assert listed.warnings == ["l.opml: line 1: an outline has an empty xmlUrl; left out"]


def test_an_opml_list_is_not_one_document(tmp_path: Path) -> None:
    subscriptions = tmp_path / "subscriptions.opml"
    subscriptions.write_bytes(b"<opml version='2.0'><body><outline xmlUrl='https://a.example/f'/></body></opml>")
    code, out, err = invoke(str(subscriptions), "--to", "md", "-o", "-")
    assert code == 1 and out == ""
    assert "is an OPML list of feeds, not one item" in err
    code, _, err = invoke(str(subscriptions), "--to", "jsonl", "-o", str(tmp_path / "rows.jsonl"))
    assert code == 1 and "is an OPML list of feeds" in err


# ---------------------------------------------------------------------------- names, the library, start-up


@pytest.mark.parametrize("url, name", [
    ("https://example.org/feed.xml", "example.org-feed"),
    ("http://127.0.0.1:8123/rss/news.rss?lang=en", "127.0.0.1-8123-rss-news-lang-en"),
    ("https://user:secret@example.org/a/../b/", "example.org-a-b"),
    ("https://例子.中国/新闻.atom", "例子.中国-新闻"),
    ("https://example.org/" + "x" * 300, "example.org-" + "x" * 68),
    ("https://.../", "feed"),
])
def test_url_folders_are_plain_names(url: str, name: str) -> None:
    assert url_folder(url) == name


def test_two_urls_with_one_folder_name_get_two_folders(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for url, data in (("http://h.example/feed.xml", TWO), ("http://h.example/feed.rss", THREE)):
        FeedFetcher(FetchOptions(cache_dir=str(cache))).cache.store(url, data, "", "")
    plan = plan_inputs(["http://h.example/feed.xml", "http://h.example/feed.rss"], "md",
                       fetch=FetchOptions(offline=True, cache_dir=str(cache)))
    folders = sorted({Path(output).parent.name for _, output, _ in plan.jobs})
    assert len(folders) == 2 and folders[0] == "h.example-feed" and folders[1].startswith("h.example-feed-")
    assert [row.status for row in plan.problems] == ["skipped", "skipped"]  # entries the first feed had


def test_a_damaged_cached_copy_is_no_copy(tmp_path: Path) -> None:
    fetcher = FeedFetcher(FetchOptions(offline=True, cache_dir=str(tmp_path)))
    fetcher.cache.store("http://h.example/feed.xml", TWO, '"x"', "")
    path = next(p for p in (tmp_path / "feeds").rglob("*") if p.is_file())
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(InputError, match="not in the feed cache"):
        fetcher.fetch("http://h.example/feed.xml")


def test_a_digest_of_urls_through_the_library(server: _Server, cache: Path) -> None:
    made: dict[str, bytes] = {}
    bundled = converter.api.bundle_files([server.url("/news.xml"), server.url("/missing.xml")],
                                         name="digest-{date}.epub", group_by="day", images="none",
                                         cache_dir=str(cache), allow_private_hosts=True,
                                         on_book=made.__setitem__)
    assert sorted(made) == ["digest-2024-11-26.epub", "digest-2024-11-27.epub"]
    assert [row.name for row in bundled.report.failed] == [server.url("/missing.xml")]


def test_is_url() -> None:
    assert is_url("https://example.org/feed") and is_url("HTTP://example.org/")
    assert not is_url("feed.xml") and not is_url("file:///etc/passwd") and not is_url("ftp://example.org/")


def test_a_report_names_a_url_as_given(server: _Server, tmp_path: Path, cache: Path) -> None:
    report = tmp_path / "report.json"
    convert(server.url("/missing.xml"), "--to", "md", "-o", str(tmp_path / "out"), "--report", str(report),
            cache=cache)
    rows = json.loads(report.read_text("utf-8"))["files"]
    assert [row["input"] for row in rows] == [server.url("/missing.xml")]


def test_the_fetcher_is_imported_only_for_a_url(tmp_path: Path) -> None:
    """Planning a folder's feeds never loads the fetcher; a URL does, and the HTTP client
    only once a request is made (offline here: none is)."""
    code = ("import sys, json; from converter.batch import plan_inputs; from converter.remote import FetchOptions;"
            "plan_inputs(sys.argv[2:], 'md', fetch=FetchOptions(offline=True, cache_dir=sys.argv[1]));"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')"
            " or m in ('converter.net', 'converter.transport'))))")
    run = [sys.executable, "-c", code, str(tmp_path / "cache")]
    files = subprocess.run([*run, str(FIXTURES)], capture_output=True, check=True, cwd=ROOT, text=True)
    assert json.loads(files.stdout) == []
    url = subprocess.run([*run, "https://example.org/feed.xml"], capture_output=True, check=True, cwd=ROOT,
                         text=True)
    assert json.loads(url.stdout) == ["converter.net"]


def test_validators_that_cannot_be_headers_are_not_sent_back() -> None:
    from converter import net

    assert net._header_value('"v1"') and net._header_value("Wed, 27 Nov 2024 12:30:00 GMT")
    assert not net._header_value('"v1"\r\nX-Injected: yes') and not net._header_value("") \
        and not net._header_value("é") and not net._header_value("x" * 2000)


# ---------------------------------------------------------------------------- progress


def test_planning_tells_how_many_feeds_it_fetches_and_as_each_is_had(server: _Server, tmp_path: Path,
                                                                     cache: Path) -> None:
    """What the command line's "fetching feeds" line is driven by: the count first, then one
    call per feed, the one that fails included."""
    calls: list[object] = []

    def on_fetch(count: int) -> functools.partial[None]:
        calls.append(count)
        return functools.partial(calls.append, "had")

    urls = [server.url("/news.xml"), server.url("/atom.xml"), server.url("/missing.xml")]
    plan = plan_inputs(urls, "md", tmp_path / "out", fetch=FetchOptions(cache_dir=str(cache),
                                                                         allow_private_hosts=True),
                       on_fetch=on_fetch)
    assert calls == [3, "had", "had", "had"]
    assert len(plan.problems) == 1 and len(plan.jobs) == 4  # the two entries of each good feed


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_a_terminal_sees_the_feeds_being_fetched(server: _Server, tmp_path: Path, cache: Path) -> None:
    """On a terminal, fetching feeds shows a progress line (it takes a while: /slow.xml
    answers after 2 s), as converting does."""
    import os
    import pty

    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "converter", server.url("/slow.xml"), server.url("/news.xml"),
                               "--to", "md", "-o", str(tmp_path / "out"), "--cache-dir", str(cache),
                               "--allow-private-hosts"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, timeout=120,
                              env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, shown
    assert b"fetching feeds" in shown
