"""The image fetcher against a real HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import base64
import concurrent.futures as cf
import http.server
import io
import ipaddress
import socket
import struct
import threading
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from support import epubcheck_jar, serving
from test_net import DOUBLE_BOMB, drip

from converter import ast as A
from converter import images, net
from converter.images import (
    FetchedImage,
    ImageCache,
    ImageFetcher,
    ImagesSkipped,
    ImageWarning,
    clean_svg,
    sniff,
)
from converter.writers.epub import EpubWriter, bundle

# ---------------------------------------------------------------------------- sample images


def jpeg_bytes() -> bytes:
    """A 1×1 baseline JPEG: one DC-only block with one-code Huffman tables."""
    def segment(marker: int, body: bytes) -> bytes:
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body

    dc_table, ac_table = (segment(0xC4, bytes([kind, 1]) + bytes(15) + b"\x00") for kind in (0x00, 0x10))
    return (b"\xff\xd8" + segment(0xDB, b"\x00" + b"\x01" * 64)
            + segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00") + dc_table + ac_table
            + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x3f\xff\xd9")


def png_bytes() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xcc\x00\x00")) + chunk(b"IEND", b""))


GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
WEBP = base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<rect width="10" height="10" fill="#c00"/></svg>')
HOSTILE_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'xmlns:x="urn:x" onload="alert(1)" x:y="z" data-name="n"><script>alert(2)</script>'
    b'<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">hi</p></foreignObject>'
    b'<style>@import url(http://evil.example/a.css);</style>'
    b'<image xlink:href="http://evil.example/a.png" width="1" height="1"/>'
    b'<a href="javascript:alert(3)"><rect id="r" width="5" height="5" onclick="alert(4)"/></a>'
    b'<use xlink:href="#r"/><x:thing/></svg>')


def css_svg(body: str) -> bytes:
    """An SVG with local references (a gradient, an element) and then ``body``."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
            'height="10"><defs><linearGradient id="g"/></defs><rect id="r" width="5" height="5" fill="url(#g)"/>'
            f"{body}</svg>").encode()


#: Every way we know for CSS in an SVG (or an animation of it) to load something from elsewhere.
CSS_VECTORS = {
    "fill": '<rect width="1" height="1" fill="url(http://evil.example/fill.svg#p)"/>',
    "stroke": '<rect width="1" height="1" stroke="url(http://evil.example/stroke.svg#p)"/>',
    "filter": '<rect width="1" height="1" filter="url(http://evil.example/filter.svg#f)"/>',
    "mask": """<rect width="1" height="1" mask="url('http://evil.example/mask.svg#m')"/>""",
    "clip-path": '<rect width="1" height="1" clip-path="url( &quot;http://evil.example/clip.svg#c&quot; )"/>',
    "marker": '<path d="M0 0L1 1" marker-end="url(http://evil.example/marker.svg#m)"/>',
    "cursor": '<rect width="1" height="1" cursor="url(http://evil.example/cursor.png), auto"/>',
    "character-reference": '<rect width="1" height="1" fill="&#x75;rl(http://evil.example/ref.svg#p)"/>',
    "upper-case": '<rect width="1" height="1" style="fill: URL(http://evil.example/upper.svg#p)"/>',
    "escape": r'<rect width="1" height="1" style="fill: u\72l(http://evil.example/escape.svg#p)"/>',
    "escape-and-space": r'<rect width="1" height="1" style="fill: \75 rl(http://evil.example/space.svg#p)"/>',
    "six-digit-escape": r'<style>rect { fill: \000075rl(http://evil.example/six.svg#p) }</style>',
    "escaped-line-end": '<style>rect { fill: ur\\\nl(http://evil.example/line.svg#p) }</style>',
    "comment-in-token": '<rect width="1" height="1" style="fill: u/**/rl(http://evil.example/comment.svg#p)"/>',
    "comment-in-url": '<style>rect { fill: url(/**/http://evil.example/in-url.svg#p) }</style>',
    "image-set": """<rect width="1" height="1" style="fill: image-set('http://evil.example/set.png' 1x)"/>""",
    "webkit-image-set": """<rect style="fill: -webkit-image-set('http://evil.example/wk.png' 1x)"/>""",
    "image": """<rect width="1" height="1" style="fill: image('http://evil.example/image.png')"/>""",
    "src": """<style>@font-face { font-family: f; src: src("http://evil.example/font.woff") }</style>""",
    "cross-fade": """<rect style="fill: cross-fade('http://evil.example/a.png', 'http://evil.example/b.png')"/>""",
    "style-element": "<style>rect { fill: url(http://evil.example/element.svg#p) }</style>",
    "cdata": "<style><![CDATA[rect { fill: url(http://evil.example/cdata.svg#p) }]]></style>",
    "import": '<style>@import "http://evil.example/import.css";</style>',
    "escaped-import": r'<style>@\69mport "http://evil.example/escaped.css";</style>',
    "commented-import": "<style>@im/**/port url(http://evil.example/commented.css);</style>",
    "animated-fill": '<rect width="1" height="1"><animate attributeName="fill" '
                     'values="red;url(http://evil.example/animated.svg#p)" dur="1s"/></rect>',
    "set-href": '<a href="#r"><set attributeName="href" to="http://evil.example/set-href" begin="0s"/>'
                '<rect width="1" height="1"/></a>',
    "animated-xlink-href": '<use xlink:href="#r"><animate attributeName="xlink:href" '
                           'values="#r;http://evil.example/animated-href.svg#p" dur="1s"/></use>',
    "xml-base": '<g xml:base="http://evil.example/base/"><use href="#r"/></g>',
}
CSS_SVG = css_svg("".join(CSS_VECTORS.values()))
SAMPLES = {"image/jpeg": jpeg_bytes(), "image/png": png_bytes(), "image/gif": GIF,
           "image/webp": WEBP, "image/svg+xml": SVG}


# ---------------------------------------------------------------------------- test server


class _Handler(http.server.BaseHTTPRequestHandler):
    """Routes of the test server; every request is logged as (path, Host header)."""

    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        with server.lock:
            server.log.append((self.path, self.headers.get("Host", "")))
            server.inflight += 1
            server.max_inflight = max(server.max_inflight, server.inflight)
        try:
            self._route(server)
        finally:
            with server.lock:
                server.inflight -= 1

    def _route(self, server: _Server) -> None:
        path = self.path.split("?")[0]
        files = {"/photo.jpg": (SAMPLES["image/jpeg"], "image/jpeg"),
                 "/chart.png": (SAMPLES["image/png"], "image/png"),
                 "/anim.gif": (GIF, "image/gif"),
                 "/pic.webp": (WEBP, "application/octet-stream"),  # wrong type: the bytes decide
                 "/logo.svg": (SVG, "image/svg+xml"),
                 "/evil.svg": (HOSTILE_SVG, "image/svg+xml"),
                 "/css.svg": (CSS_SVG, "image/svg+xml"),
                 "/page.jpg": (b"<!doctype html><html><body>Not an image</body></html>", "image/jpeg")}
        if path in files:
            self._send(*files[path])
        elif path == "/slow.jpg":
            server.slow_arrived.set()
            time.sleep(2)
            self._send(SAMPLES["image/jpeg"], "image/jpeg")
        elif path == "/delay.png":
            time.sleep(0.3)
            self._send(SAMPLES["image/png"], "image/png")
        elif path == "/huge.jpg":
            self._send(SAMPLES["image/jpeg"][:-2] + bytes(2_000_000) + b"\xff\xd9", "image/jpeg")
        elif path == "/huge-unannounced.jpg":
            self._stream_without_length(SAMPLES["image/jpeg"][:-2] + bytes(2_000_000))
        elif path == "/double-gzip.jpg":
            self._send(DOUBLE_BOMB, "image/jpeg", "gzip, gzip")
        elif path == "/drip.jpg":
            drip(self, b"HTTP/1.1 200 OK\r\nX-Slow: ")
        elif path == "/to-localhost.png":
            self._redirect(f"http://localhost:{server.server_port}/chart.png")
        elif path == "/to-file":
            self._redirect("file:///etc/passwd")
        elif path == "/loop":
            self._redirect("/loop")
        elif path == "/elsewhere":
            self._redirect(server.elsewhere)
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)

    def _stream_without_length(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(0, len(body), 65536):
            self.wfile.write(body[i:i + 65536])

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.lock = threading.Lock()
        self.log: list[tuple[str, str]] = []
        self.inflight = 0
        self.max_inflight = 0
        self.elsewhere = ""
        self.slow_arrived = threading.Event()

    def url(self, path: str) -> str:
        return f"http://{self.server_address[0]}:{self.server_port}{path}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out and hang up are part of the tests


def _serve(host: str) -> Iterator[_Server]:
    with serving(_Server(host)) as running:
        yield running


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _serve("127.0.0.1")


@pytest.fixture
def fetcher(tmp_path: Path) -> ImageFetcher:
    return ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, max_bytes=1_000_000,
                        read_timeout=0.5)


def _fetch(fetcher: ImageFetcher, urls: list[str]) -> tuple[dict[str, FetchedImage], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = fetcher.fetch_all(urls)
    return found, [str(w.message) for w in caught if issubclass(w.category, ImageWarning)]


# ---------------------------------------------------------------------------- content


@pytest.mark.parametrize("media_type", sorted(SAMPLES))
def test_sniff_recognises_each_supported_type(media_type: str) -> None:
    assert sniff(SAMPLES[media_type]) == media_type


@pytest.mark.parametrize("data", [b"", b"<!doctype html><p>hi", b"%PDF-1.4", b"GIF8", b"RIFF\0\0\0\0AVI "])
def test_sniff_rejects_other_content(data: bytes) -> None:
    assert sniff(data) is None


def test_clean_svg_strips_scripts_handlers_and_external_references() -> None:
    cleaned = clean_svg(HOSTILE_SVG)
    assert cleaned is not None
    for gone in (b"script", b"onload", b"onclick", b"foreignObject", b"evil.example", b"javascript",
                 b"data-name", b"urn:x", b"thing"):
        assert gone not in cleaned
    assert b'xlink:href="#r"' in cleaned and b"<rect" in cleaned


@pytest.mark.parametrize("data", [
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect',  # not well-formed
    (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'),
    b'<svg><rect/></svg>',  # not in the SVG namespace
])
def test_clean_svg_refuses_unusable_documents(data: bytes) -> None:
    assert clean_svg(data) is None


@pytest.mark.parametrize("name", sorted(CSS_VECTORS))
def test_clean_svg_drops_css_that_loads_a_resource(name: str) -> None:
    cleaned = clean_svg(css_svg(CSS_VECTORS[name]))
    assert cleaned is not None and b"evil.example" not in cleaned
    assert b'<rect id="r" width="5" height="5" fill="url(#g)"/>' in cleaned


def test_clean_svg_keeps_css_that_points_inside_the_file() -> None:
    local = ("""<rect width="1" height="1" style="fill: url( '#g' ); filter: url(#f)" mask="url(&quot;#m&quot;)" """
             'clip-path="URL(#c)" marker-start="u\\72l(#m)"/><style>rect { fill: url(#g) } /* url(#x) */</style>'
             '<use xlink:href="#r"><animate attributeName="fill" values="url(#g);red" dur="1s"/></use>')
    cleaned = clean_svg(css_svg(local))
    assert cleaned is not None
    for kept in (b"style=", b"mask=", b"clip-path=", b"marker-start=", b"<style>", b"values=", b'xlink:href="#r"'):
        assert kept in cleaned


# ---------------------------------------------------------------------------- fetching


def test_good_images_are_fetched_with_the_type_of_their_bytes(server: _Server, fetcher: ImageFetcher) -> None:
    urls = {server.url("/photo.jpg"): "image/jpeg", server.url("/chart.png"): "image/png",
            server.url("/anim.gif"): "image/gif", server.url("/pic.webp"): "image/webp",
            server.url("/logo.svg"): "image/svg+xml"}
    found, warned = _fetch(fetcher, list(urls))
    assert warned == []
    assert {url: image.media_type for url, image in found.items()} == urls
    assert found[server.url("/photo.jpg")].data == SAMPLES["image/jpeg"]
    assert found[server.url("/pic.webp")].extension == "webp"


def test_svg_is_cleaned_on_the_way_in(server: _Server, fetcher: ImageFetcher) -> None:
    found, _ = _fetch(fetcher, [server.url("/evil.svg")])
    assert b"script" not in found[server.url("/evil.svg")].data


@pytest.mark.parametrize("path, reason", [
    ("/missing.jpg", "HTTP 404"),
    ("/slow.jpg", "timed out"),
    ("/huge.jpg", "larger than"),
    ("/huge-unannounced.jpg", "larger than"),
    ("/double-gzip.jpg", "refused: more than one content encoding"),
    ("/page.jpg", "not a JPEG"),
    ("/to-file", "only http and https"),
    ("/loop", "redirects"),
])
def test_bad_images_fall_out_with_a_warning(server: _Server, fetcher: ImageFetcher, path: str,
                                            reason: str) -> None:
    found, warned = _fetch(fetcher, [server.url(path)])
    assert found == {}
    assert len(warned) == 1 and reason in warned[0] and server.url(path) in warned[0]


def test_redirect_to_another_host_is_followed_with_the_same_checks(server: _Server,
                                                                  fetcher: ImageFetcher) -> None:
    found, warned = _fetch(fetcher, [server.url("/to-localhost.png")])
    assert warned == []
    assert found[server.url("/to-localhost.png")].media_type == "image/png"
    assert server.log[-1] == ("/chart.png", f"localhost:{server.server_port}")


def test_several_images_are_fetched_at_once(server: _Server, fetcher: ImageFetcher) -> None:
    found, _ = _fetch(fetcher, [server.url(f"/delay.png?n={i}") for i in range(6)])
    assert len(found) == 6
    assert server.max_inflight > 1




def test_the_images_of_a_document_share_a_time_budget(server: _Server, tmp_path: Path) -> None:
    """Eight images whose servers drip their headers, two fetched at a time: each takes its
    whole one-second deadline until the 1.5 s budget is spent; then the ones being fetched are
    cut short, the rest are never requested, and one warning says how many were given up."""
    fetcher = ImageFetcher(cache_dir=tmp_path, allow_private_hosts=True, deadline=1.0, document_budget=1.5,
                           workers=2, connect_timeout=30.0, read_timeout=30.0)
    urls = [server.url(f"/drip.jpg?n={i}") for i in range(8)]
    found, warned = _fetch(fetcher, urls)
    summary = [w for w in warned if w.endswith("not embedded: the 1.5 s allowed for one document's images ran out")]
    assert found == {} and len(summary) == 1
    given_up = int(summary[0].split(" of 8 ")[0])
    singly = [w for w in warned if w not in summary]
    assert given_up + len(singly) == 8 and all("took longer than 1 s" in w for w in singly)
    assert len(server.log) < 8


def test_a_bundle_gives_each_document_with_images_its_own_budget(monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """The images of a bundle are fetched together, each named by its document, in a budget
    of one document's per document that has any."""
    calls: list[tuple[list[tuple[str, list[str]]], str]] = []

    def record(self: ImageFetcher, documents: Any, budget: net.Deadline, on_document: Any = None) -> dict:
        calls.append(([(label, list(urls)) for label, urls in documents], budget.reason))
        return {}

    monkeypatch.setattr(ImageFetcher, "_fetch", record)
    pictures = [A.Document(A.Meta(title=f"d{n}", url=f"https://news.example/{n}"),
                           [A.Figure(A.Image(f"https://img.example/{n}-{i}.jpg", alt="x"), []) for i in range(n)])
                for n in (2, 1, 0)]
    bundle(pictures, images="embed", cache_dir=str(tmp_path), names=["two.txt", "one.txt", "none.txt"])
    EpubWriter(images="embed", cache_dir=str(tmp_path)).write(pictures[0])
    two = ["https://img.example/2-0.jpg", "https://img.example/2-1.jpg"]
    assert calls == [
        ([("none.txt", []), ("one.txt", ["https://img.example/1-0.jpg"]), ("two.txt", two)],
         "the 360 s allowed for the images of 2 documents ran out"),
        ([("", two)], "the 180 s allowed for one document's images ran out")]


def test_each_url_is_fetched_once_per_call(server: _Server, fetcher: ImageFetcher) -> None:
    _fetch(fetcher, [server.url("/photo.jpg")] * 5)
    assert len(server.log) == 1


def test_warm_cache_makes_no_request(server: _Server, tmp_path: Path) -> None:
    paths = ["/photo.jpg", "/chart.png", "/logo.svg", "/missing.jpg", "/page.jpg", "/huge.jpg"]
    urls = [server.url(p) for p in paths]
    options = {"cache_dir": tmp_path, "allow_private_hosts": True, "max_bytes": 1_000_000}
    first, _ = _fetch(ImageFetcher(**options), urls)
    requests = len(server.log)
    second, warned = _fetch(ImageFetcher(**options), urls)
    assert len(server.log) == requests == len(paths)
    assert {u: i.data for u, i in second.items()} == {u: i.data for u, i in first.items()}
    assert len(second) == 3 and all("remembered" in w for w in warned)


def test_offline_makes_no_request_and_uses_the_cache(server: _Server, tmp_path: Path) -> None:
    url, other = server.url("/photo.jpg"), server.url("/chart.png")
    ImageFetcher(cache_dir=tmp_path, allow_private_hosts=True).fetch(url)
    server.log.clear()
    found, warned = _fetch(ImageFetcher(cache_dir=tmp_path, allow_private_hosts=True, offline=True), [url, other])
    assert server.log == []
    assert list(found) == [url] and warned == []


def test_default_cache_is_in_the_user_cache_directory(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("sys.platform", "linux")
    assert images.default_cache_dir() == tmp_path / "converter" / "images"


# ---------------------------------------------------------------------------- what is never read


def test_private_addresses_are_refused_without_the_option(server: _Server, tmp_path: Path) -> None:
    urls = [server.url("/photo.jpg"), f"http://localhost:{server.server_port}/a.png"]
    found, warned = _fetch(ImageFetcher(cache_dir=tmp_path), urls)
    assert found == {} and server.log == []
    assert len(warned) == 2 and all("refused" in w for w in warned)


def test_file_urls_and_paths_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(SAMPLES["image/png"])
    urls = [secret.as_uri(), str(secret), "secret.png", f"//{secret}", "ftp://127.0.0.1/a.png",
            "data:image/png;base64," + base64.b64encode(SAMPLES["image/png"]).decode()]
    found, warned = _fetch(ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True), urls)
    assert found == {} and len(warned) == len(urls)


def test_a_redirect_hop_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                         server: _Server, tmp_path: Path) -> None:
    try:
        inner_server = _serve("127.0.0.2")
        inner = next(inner_server)
    except OSError:
        pytest.skip("127.0.0.2 is not available on this machine")
    try:
        server.elsewhere = inner.url("/photo.jpg")
        # the first server stands in for a public host; the hop it redirects to is private
        monkeypatch.setattr(net, "is_public_address", lambda ip: str(ip) == "127.0.0.1")
        found, warned = _fetch(ImageFetcher(cache_dir=tmp_path), [server.url("/elsewhere")])
        assert found == {} and inner.log == [] and "refused" in warned[0]
        found, _ = _fetch(ImageFetcher(cache_dir=tmp_path, allow_private_hosts=True), [server.url("/elsewhere")])
        assert found and inner.log == [("/photo.jpg", inner.url("")[7:])]
    finally:
        inner_server.close()


def test_the_request_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch,
                                                           server: _Server, fetcher: ImageFetcher) -> None:
    """No second DNS lookup after the check: a host that resolves only here is still reached."""
    monkeypatch.setattr(net, "resolve", lambda host, port: [ipaddress.ip_address("127.0.0.1")])
    found, warned = _fetch(fetcher, [f"http://images.invalid:{server.server_port}/chart.png"])
    assert warned == [] and found
    assert server.log == [("/chart.png", f"images.invalid:{server.server_port}")]

# ---------------------------------------------------------------------------- EPUBCheck


@pytest.mark.skipif(epubcheck_jar() is None, reason="needs Java and the epubcheck package")
def test_an_svg_with_remote_css_passes_epubcheck_once_cleaned(server: _Server, tmp_path: Path) -> None:
    """The control book embeds the SVG as served (put in the cache, never cleaned): EPUBCheck
    reports its remote references. The book that fetched it, cleaning it, passes."""
    from test_epub import epubcheck

    url = server.url("/css.svg")
    doc = A.Document(A.Meta(title="svg", language="en", url="https://news.example/svg"),
                     [A.Figure(A.Image(url, alt="chart"), []), A.Paragraph([A.Text("text")])])
    fetched = EpubWriter(images="embed", allow_private_hosts=True, cache_dir=str(tmp_path / "fetched")).write(doc)
    ImageCache(tmp_path / "served").store(FetchedImage(url, CSS_SVG, "image/svg+xml"))
    served = EpubWriter(images="embed", offline=True, cache_dir=str(tmp_path / "served")).write(doc)
    paths = [tmp_path / "served.epub", tmp_path / "fetched.epub"]
    for path, data in zip(paths, (served, fetched), strict=True):
        path.write_bytes(data)
        with zipfile.ZipFile(path) as book:
            assert [n for n in book.namelist() if n.endswith(".svg")]  # the SVG is in both books
    with cf.ThreadPoolExecutor(2) as pool:
        control, result = pool.map(epubcheck, paths)
    assert [m for m in control if "RSC-006" in m and "evil.example" in m]
    assert result == []


# ---------------------------------------------------------------------------- hosts that do not answer


class _Silent:
    """A port of 127.0.0.1 that accepts connections, counts them and never says a word."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.05)
        self.accepted: list[socket.socket] = []
        self.open_at_accept: list[int] = []  # for each connection, how many of the peers' were open then
        self.peers: list[_Silent] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection = self.listener.accept()[0]
            except OSError:
                continue
            self.open_at_accept.append(sum(_still_open(c) for peer in self.peers for c in peer.accepted))
            self.accepted.append(connection)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}{path}"

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for s in [self.listener, *self.accepted]:
            s.close()


@pytest.fixture
def silent() -> Iterator[Callable[[], _Silent]]:
    made: list[_Silent] = []

    def make() -> _Silent:
        made.append(_Silent())
        return made[-1]

    yield make
    for server in made:
        server.close()


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _documents(fetcher: ImageFetcher, documents: list[tuple[str, list[str]]]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fetcher.fetch_documents(documents)
    return [w for w in caught if issubclass(w.category, ImageWarning)]


def _quick(tmp_path: Path) -> ImageFetcher:
    return ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, connect_timeout=0.3,
                        read_timeout=0.3)


def test_a_host_that_does_not_answer_is_asked_once_per_run(silent: Callable[[], _Silent], tmp_path: Path) -> None:
    """Each image re-asked the same dead host: now its first request is the only one, in this
    document and in the next (another fetcher, as in another worker, sharing the cache)."""
    host = silent()
    first = _documents(_quick(tmp_path), [("a.txt", [host.url(f"/{i}.jpg") for i in range(5)])])
    second = _documents(_quick(tmp_path), [("b.txt", [host.url(f"/b{i}.jpg") for i in range(5)])])
    assert len(host.accepted) == 1
    shown = [str(w.message) for w in first if not issubclass(w.category, ImagesSkipped)]
    assert len(shown) == 1 and shown[0].startswith("a.txt: image not embedded: ")
    assert "(and 4 more from it)" in shown[0] and "is not asked again" in shown[0]
    assert [w.category for w in second] == [ImagesSkipped] and str(second[0].message).startswith("b.txt: 5 images")
    assert sum(len(w.message.hosts) for w in first + second) == 10  # type: ignore[union-attr]


def test_unresolvable_and_refusing_hosts_are_remembered_too(tmp_path: Path) -> None:
    port = _refused_port()
    urls = [f"http://pictures-{n}.invalid/{i}.jpg" for n in range(2) for i in range(3)]
    urls += [f"http://127.0.0.1:{port}/{i}.jpg" for i in range(3)]
    fetcher = _quick(tmp_path)
    caught = _documents(fetcher, [("one.txt", urls[:5]), ("two.txt", urls[5:])])
    hosts = {h for w in caught for h in w.message.hosts}  # type: ignore[union-attr]
    assert hosts == {"pictures-0.invalid:80", "pictures-1.invalid:80", f"127.0.0.1:{port}"}
    assert sum(len(w.message.hosts) for w in caught) == 9  # type: ignore[union-attr]
    assert all(str(w.message).startswith(("one.txt: ", "two.txt: ")) for w in caught)
    assert fetcher.hosts.network_down() is None  # they failed at once: no reason to stop asking others


def test_once_hosts_time_out_and_none_answers_no_new_host_is_asked(silent: Callable[[], _Silent],
                                                                  server: _Server, tmp_path: Path) -> None:
    """Without a network each host costs a timeout: after two, the others are not asked."""
    dead = [silent(), silent()]
    _documents(_quick(tmp_path), [("a.txt", [dead[0].url("/a.jpg"), dead[1].url("/b.jpg")])])
    caught = _documents(_quick(tmp_path), [("b.txt", [server.url("/photo.jpg")])])
    assert server.log == []
    assert [w.category for w in caught] == [ImagesSkipped] and "the network looks down" in str(caught[0].message)


def test_a_host_that_answered_keeps_the_others_asked(silent: Callable[[], _Silent], server: _Server,
                                                     tmp_path: Path) -> None:
    dead = [silent(), silent()]
    _documents(_quick(tmp_path), [("a.txt", [server.url("/missing.jpg"), dead[0].url("/a.jpg"), dead[1].url("/b.jpg")])])
    found = _quick(tmp_path).fetch_documents([("b.txt", [server.url("/photo.jpg")])])
    assert list(found) == [server.url("/photo.jpg")]


def test_a_fetch_reports_each_document_as_it_is_settled(tmp_path: Path) -> None:
    settled: list[int] = []
    _documents_with = [("a.txt", []), ("b.txt", ["http://nowhere.invalid/1.jpg"]), ("c.txt", [])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _quick(tmp_path).fetch_documents(_documents_with, lambda: settled.append(1))
    assert len(settled) == 3


# ---------------------------------------------------------------------------- images begun ahead


def _still_open(connection: socket.socket) -> bool:
    """Whether the client is still on a connection (TCP state ESTABLISHED, not CLOSE_WAIT)."""
    try:
        return connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 1
    except OSError:
        return False


def test_images_begun_ahead_are_taken_not_asked_again(server: _Server, fetcher: ImageFetcher) -> None:
    urls = [server.url("/photo.jpg"), server.url("/chart.png"), server.url("/missing.jpg")]
    fetcher.prefetch(urls[:2])
    fetcher.prefetch(urls[1:])  # the one already begun is not begun twice
    caught = _documents(fetcher, [("a.txt", urls[:2]), ("b.txt", urls[1:])])
    assert sorted(path for path, _ in server.log) == ["/chart.png", "/missing.jpg", "/photo.jpg"]
    assert [str(w.message) for w in caught] == [f"b.txt: image not embedded: {urls[2]}: HTTP 404"]


def test_images_begun_ahead_try_many_hosts_at_once_and_each_dead_one_once(silent: Callable[[], _Silent],
                                                                          tmp_path: Path) -> None:
    """The first image of each host goes first, and a host's other images wait for its first
    to be over instead of each holding a thread: two dead hosts are waited for together, each
    asked once, and the warnings are those of a fetch that was not begun ahead."""
    if not hasattr(socket, "TCP_INFO"):
        pytest.skip("needs TCP_INFO to tell an open connection from one the client left")
    dead = [silent(), silent()]
    dead[0].peers, dead[1].peers = [dead[1]], [dead[0]]
    fetcher = ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, connect_timeout=2.0,
                           read_timeout=2.0, workers=2)
    documents = [("a.txt", [dead[0].url(f"/a{i}.jpg") for i in range(4)]),
                 ("b.txt", [dead[1].url(f"/b{i}.jpg") for i in range(2)])]
    for _, urls in documents:
        fetcher.prefetch(urls)
    caught = _documents(fetcher, documents)
    assert [len(host.accepted) for host in dead] == [1, 1]
    assert dead[0].open_at_accept[0] + dead[1].open_at_accept[0] == 1  # the second asked while the first waited
    shown = sorted(str(w.message) for w in caught)
    assert len(shown) == 2 and "a.txt: image not embedded: " in shown[0] and "(and 3 more from it)" in shown[0]
    assert shown[1].startswith("b.txt: image not embedded: ") and "(and 1 more from it)" in shown[1]


def test_an_image_under_way_is_given_up_once_the_network_looks_down(silent: Callable[[], _Silent],
                                                                    tmp_path: Path) -> None:
    """Hosts still silent when the network is found down are given up with those not asked,
    instead of each being waited for to its timeout."""
    host = silent()
    fetcher = ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, deadline=20.0,
                           connect_timeout=30.0, read_timeout=30.0, probe_timeout=30.0)
    fetcher.prefetch([host.url("/a.jpg")])
    for dead in ("one.invalid:80", "two.invalid:80"):  # as another worker finds them
        fetcher.hosts.remember(dead, "timed out", slow=True)
    caught = _documents(fetcher, [("a.txt", [host.url("/a.jpg")])])
    assert [w.category for w in caught] == [ImagesSkipped]
    assert "the network looks down" in str(caught[0].message)


def test_a_slow_server_gets_the_patient_timeout_once_a_host_has_answered(server: _Server,
                                                                         tmp_path: Path) -> None:
    """Until a host answers, a server gets the probe's few seconds to start answering (a run
    without a network learns it soon); once one has, the network works, and a slow server its
    full time, even one that timed out on the probe before. (/slow.jpg answers after 2 s; the
    probe allows 0.5 s.)"""
    def fetcher() -> ImageFetcher:
        return ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, read_timeout=30.0,
                            probe_timeout=0.5)

    found, warned = _fetch(fetcher(), [server.url("/slow.jpg?n=1")])
    assert found == {} and len(warned) == 1 and "timed out" in warned[0]
    assert warned[0].endswith(f"{server.server_address[0]}:{server.server_port} is asked again, with more time, once one has")
    assert fetcher().fetch_all([f"http://localhost:{server.server_port}/photo.jpg"])  # another host answers
    found, warned = _fetch(fetcher(), [server.url("/slow.jpg?n=2")])
    assert warned == [] and list(found) == [server.url("/slow.jpg?n=2")]


def test_an_image_cut_off_by_the_probe_is_asked_again_once_a_host_has_answered(server: _Server,
                                                                               tmp_path: Path) -> None:
    """The probe's short wait must not cost the image of a slow server when the network turns
    out to work meanwhile (another host answered while it waited): it is asked again, patiently.
    (/slow.jpg answers after 2 s; the probe allows 1 s; the network is marked working as soon
    as the request arrives, as another host's answer would.)"""
    fetcher = ImageFetcher(cache_dir=tmp_path / "cache", allow_private_hosts=True, read_timeout=30.0,
                           probe_timeout=1.0)

    def another_host_answers() -> None:
        if server.slow_arrived.wait(30):
            fetcher.hosts.answered()

    helper = threading.Thread(target=another_host_answers, daemon=True)
    helper.start()
    found, warned = _fetch(fetcher, [server.url("/slow.jpg")])
    helper.join()
    assert warned == [] and list(found) == [server.url("/slow.jpg")]
    assert [path for path, _ in server.log] == ["/slow.jpg", "/slow.jpg"]  # cut off, then asked again


def _article(path: Path, published_ms: int, images: list[str]) -> Path:
    """A feed-HTML document of ours, published at ``published_ms``, showing ``images``."""
    body = "".join(f'<p>Paragraph {i}.</p><img src="{url}" alt="picture {i}">' for i, url in enumerate(images))
    path.write_text(f"<!--{published_ms}-->\n[{path.stem}](https://news.example/{path.stem})\n------\n\n{body}\n",
                    encoding="utf-8")
    return path


def test_epub_files_written_together_begin_all_their_images_first(monkeypatch: pytest.MonkeyPatch,
                                                                  silent: Callable[[], _Silent],
                                                                  tmp_path: Path) -> None:
    """A batch's chunk of one-article books: the dead hosts of all its documents are waited for
    together, each asked once, and each book's warnings are about its own images."""
    if not hasattr(socket, "TCP_INFO"):
        pytest.skip("needs TCP_INFO to tell an open connection from one the client left")
    from converter.writers import epub as epub_writer

    dead = [silent(), silent()]
    dead[0].peers, dead[1].peers = [dead[1]], [dead[0]]
    monkeypatch.setattr(epub_writer, "ImageFetcher", partial(ImageFetcher, connect_timeout=2.0, read_timeout=2.0))
    docs = [A.Document(A.Meta(title=f"d{n}", url=f"https://news.example/{n}"),
                       [A.Figure(A.Image(host.url(f"/{n}-{i}.jpg"), alt="x"), []) for i in range(2)])
            for n, host in enumerate(dead)]
    writer = EpubWriter(images="embed", cache_dir=str(tmp_path), allow_private_hosts=True)
    books = list(writer.write_many(iter(docs)))
    assert [len(host.accepted) for host in dead] == [1, 1]
    assert dead[0].open_at_accept[0] + dead[1].open_at_accept[0] == 1  # the second asked while the first waited
    for n, book in enumerate(books):
        assert isinstance(book.output, bytes) and zipfile.is_zipfile(io.BytesIO(book.output))
        assert len(book.warnings) == 1 and dead[n].url(f"/{n}-0.jpg") in book.warnings[0]
        assert book.missing_images == (_host_of(dead[n]),) * 2


def _host_of(host: _Silent) -> str:
    return f"127.0.0.1:{host.listener.getsockname()[1]}"


def test_a_bundle_begins_each_document_s_images_as_it_is_read(monkeypatch: pytest.MonkeyPatch, server: _Server,
                                                              tmp_path: Path) -> None:
    """The images of a bundle are begun document by document as they are read (those the book
    will not hold, published before ``since``, are not), then taken by the book: each asked once."""
    import datetime as dt

    from converter.api import bundle_files

    begun: list[list[str]] = []
    prefetch = ImageFetcher.prefetch

    def record(self: ImageFetcher, urls: Any) -> None:
        begun.append(list(urls))
        prefetch(self, begun[-1])

    monkeypatch.setattr(ImageFetcher, "prefetch", record)
    folder = tmp_path / "in"
    folder.mkdir()
    new = [server.url("/photo.jpg"), server.url("/chart.png")]
    _article(folder / "new.txt", 1738414025000, new)
    _article(folder / "also-new.txt", 1738414026000, [server.url("/photo.jpg")])
    _article(folder / "old.txt", 1038414025000, [server.url("/anim.gif")])
    made = bundle_files([folder], cache_dir=str(tmp_path / "cache"), allow_private_hosts=True, jobs=1,
                        since=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
    assert sorted(map(tuple, begun)) == [(server.url("/photo.jpg"),), tuple(new)]
    assert sorted(path for path, _ in server.log) == ["/chart.png", "/photo.jpg"]
    assert made.book is not None and made.notes == []
    with zipfile.ZipFile(io.BytesIO(made.book)) as book:
        assert len([name for name in book.namelist() if "/images/image-" in name]) == 2  # and the cover drawn
