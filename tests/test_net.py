"""converter.net against servers on 127.0.0.1 that misbehave on purpose (never the internet).

Deadlines here are a second or two, so that each attack ends in seconds; the assertions on
time only check that a request ended well within a multiple of its deadline, never how fast.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import socketserver
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import pytest
from support import serving

from converter import net
from converter.net import Deadline, Fetcher, FetchError, FetchTimeout, Limits

TEXT = "正文 body text, ".encode() * 2000
MiB = 1 << 20
#: A second: each drip below would go on for 30 s, and per-operation timeouts are as long.
DEADLINE = 1.0
#: The error of the whole-request deadline; a per-operation timeout says only "timed out", so a
#: test matching this knows the deadline ended the request, without timing it.
TIMED_OUT = f"^took longer than {DEADLINE:g} s$"
#: The body cap in the decoding tests; the bombs inflate to 64 times it.
CAP = MiB


# ---------------------------------------------------------------------------- a scripted server


def _respond(handler: socketserver.StreamRequestHandler, body: bytes, *headers: str,
             status: str = "200 OK") -> None:
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n" + "".join(f"{h}\r\n" for h in headers)
    handler.wfile.write(head.encode("latin-1") + b"\r\n" + body)


def drip(handler: socketserver.StreamRequestHandler, head: bytes) -> None:
    """``head``, then a byte every 0.1 s for 30 s: no single read ever waits long."""
    handler.wfile.write(head)
    for _ in range(300):
        time.sleep(0.1)
        handler.wfile.write(b"a")


def _slowly(handler: socketserver.StreamRequestHandler, data: bytes, *headers: str) -> None:
    """A response whose body arrives a byte at a time (but quickly)."""
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n" + "".join(f"{h}\r\n" for h in headers)
    handler.wfile.write(head.encode("latin-1") + b"\r\n")
    for i in range(len(data)):
        handler.wfile.write(data[i:i + 1])
        time.sleep(0.001)


def _not_found(handler: socketserver.StreamRequestHandler) -> None:
    _respond(handler, b"", status="404 Not Found")


def _zeros_gzipped(size: int, times: int) -> bytes:
    data = bytes(size)
    for _ in range(times):
        data = gzip.compress(data, 9)
    return data


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


BOMB = _zeros_gzipped(64 * CAP, 1)  # 64 MiB of zeros in about 64 KB
DOUBLE_BOMB = _zeros_gzipped(64 * CAP, 2)  # the same inside gzip again: about 250 bytes
GZIPPED = gzip.compress(TEXT)

ROUTES: dict[str, Callable[[socketserver.StreamRequestHandler], None]] = {
    "/plain": lambda h: _respond(h, TEXT),
    "/gzip": lambda h: _respond(h, GZIPPED, "Content-Encoding: gzip"),
    "/x-gzip": lambda h: _respond(h, GZIPPED, "Content-Encoding: x-gzip, identity"),
    "/deflate": lambda h: _respond(h, zlib.compress(TEXT), "Content-Encoding: deflate"),
    "/raw-deflate": lambda h: _respond(h, _raw_deflate(TEXT), "Content-Encoding: deflate"),
    "/deflate-bytewise": lambda h: _slowly(h, zlib.compress(TEXT), "Content-Encoding: deflate"),
    "/gzip-bomb": lambda h: _respond(h, BOMB, "Content-Encoding: gzip"),
    "/gzip-gzip": lambda h: _respond(h, DOUBLE_BOMB, "Content-Encoding: gzip, gzip"),
    "/gzip-then-gzip": lambda h: _respond(h, DOUBLE_BOMB, "Content-Encoding: gzip", "Content-Encoding: gzip"),
    "/brotli": lambda h: _respond(h, b"\x1b\x03\x00\xf8", "Content-Encoding: br"),
    "/damaged-gzip": lambda h: _respond(h, GZIPPED[:10] + bytes(100), "Content-Encoding: gzip"),
    "/truncated-gzip": lambda h: _respond(h, GZIPPED[:len(GZIPPED) // 2], "Content-Encoding: gzip"),
    "/too-long": lambda h: _respond(h, bytes(CAP + 1)),
    "/drip-headers": lambda h: drip(h, b"HTTP/1.1 200 OK\r\nX-Slow: "),
    "/redirect-to-drip": lambda h: _respond(h, b"", "Location: /drip-headers", status="302 Found"),
    "/drip-body": lambda h: drip(h, b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"),
    "/to-ipv4-compatible": lambda h: _respond(h, b"", "Location: http://[::7f00:1]/a.png", status="302 Found"),
}


class _Handler(socketserver.StreamRequestHandler):
    """Reads a request's head, logs (path, headers), and runs the path's script."""

    def handle(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        try:
            if server.tls_drip:
                drip(self, b"\x16\x03\x03\x40\x00")  # a TLS handshake record announced, then a drip
                return
            request = self.rfile.readline(65536).split()
            headers = {}
            while (line := self.rfile.readline(65536)) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            path = request[1].decode("ascii") if len(request) > 1 else ""
            server.requests.append((path, headers))
            ROUTES.get(path.partition("?")[0], _not_found)(self)
        except OSError:  # the client hung up: that is what the limits are for
            pass


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, tls_drip: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.tls_drip = tls_drip
        self.requests: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.server_address[1]}{path}"


def _serve(server: _Server) -> Iterator[_Server]:
    with serving(server) as running:
        yield running


@pytest.fixture
def server() -> Iterator[_Server]:
    yield from _serve(_Server())


@pytest.fixture
def tls_drip_server() -> Iterator[_Server]:
    yield from _serve(_Server(tls_drip=True))


def _fetcher(**limits: object) -> Fetcher:
    options: dict[str, object] = {"allow_private_hosts": True, "max_bytes": CAP}
    return Fetcher(Limits(**(options | limits)))  # type: ignore[arg-type]


def _slow_fetcher() -> Fetcher:
    """A one-second deadline, with every per-operation timeout far longer than that."""
    return _fetcher(deadline=DEADLINE, connect_timeout=30.0, read_timeout=30.0)


# ---------------------------------------------------------------------------- content coding


@pytest.mark.parametrize("path", ["/plain", "/gzip", "/x-gzip", "/deflate", "/raw-deflate", "/deflate-bytewise"])
def test_the_encodings_asked_for_are_decoded(server: _Server, path: str) -> None:
    response = _fetcher().get(server.url(path))
    assert response.body == TEXT and response.url == server.url(path)
    assert server.requests[-1][1]["accept-encoding"] == net.ACCEPT_ENCODING == "gzip, deflate"


@pytest.mark.parametrize("path, reason", [
    ("/gzip-gzip", "more than one content encoding (gzip, gzip)"),
    ("/gzip-then-gzip", "more than one content encoding (gzip, gzip)"),
    ("/brotli", "content encoding br was not asked for"),
    ("/gzip-bomb", f"larger than {CAP} bytes"),
    ("/too-long", f"larger than {CAP} bytes"),
    ("/damaged-gzip", "damaged compressed content"),
    ("/truncated-gzip", "compressed content ends early"),
])
def test_content_that_cannot_be_decoded_within_the_cap_is_refused(server: _Server, path: str,
                                                                  reason: str) -> None:
    with pytest.raises(FetchError) as caught:
        _fetcher().get(server.url(path))
    assert str(caught.value).endswith(reason)


@pytest.mark.parametrize("path", ["/gzip-bomb", "/gzip-gzip"])
def test_a_compression_bomb_never_takes_more_than_the_cap(server: _Server, path: str) -> None:
    """64 MiB of zeros in 64 KB (or in 250 bytes, gzipped twice): memory stays near the 1 MiB cap.

    Decoding a whole network chunk at once would take 64 MiB here, and gigabytes for the
    recipe in SECURITY.md."""
    fetcher = _fetcher()
    tracemalloc.start()
    try:
        with pytest.raises(FetchError):
            fetcher.get(server.url(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * CAP


# ---------------------------------------------------------------------------- one deadline per URL


@pytest.mark.parametrize("path", ["/drip-headers", "/redirect-to-drip", "/drip-body"])
def test_a_dripping_server_is_cut_off_at_the_deadline(server: _Server, path: str) -> None:
    with pytest.raises(FetchTimeout, match=TIMED_OUT):
        _slow_fetcher().get(server.url(path))
    assert server.requests[-1][0] in ("/drip-headers", "/drip-body")  # the drip did start


def test_a_dripped_tls_handshake_is_cut_off_at_the_deadline(tls_drip_server: _Server) -> None:
    with pytest.raises(FetchTimeout, match=TIMED_OUT):
        _slow_fetcher().get(tls_drip_server.url("/", scheme="https"))


def test_a_connection_the_server_never_accepts_is_cut_off_at_the_deadline() -> None:
    """A listening socket whose one-connection backlog is taken: the next connect hangs."""
    with socket.socket() as listener, socket.socket() as first:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        first.connect(listener.getsockname())
        with pytest.raises(FetchTimeout, match=TIMED_OUT):
            _slow_fetcher().get(f"http://127.0.0.1:{listener.getsockname()[1]}/")


def test_a_name_lookup_that_hangs_is_cut_off_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hang(host: str, port: int) -> list[net.IPAddress]:
        release.wait(30)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(net, "resolve", hang)
    try:
        with pytest.raises(FetchTimeout, match=TIMED_OUT):
            _slow_fetcher().get("http://slow-dns.invalid/a.png")
    finally:
        release.set()


def test_a_budget_ends_a_request_before_its_own_deadline(server: _Server) -> None:
    fetcher = _fetcher(deadline=60.0, connect_timeout=30.0, read_timeout=30.0)
    with pytest.raises(FetchTimeout, match=r"^the budget ran out$"):
        fetcher.get(server.url("/drip-headers"), Deadline.after(DEADLINE, "the budget ran out"))


# ---------------------------------------------------------------------------- addresses


NON_PUBLIC = [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "127.0.0.1", "0.0.0.0", "100.64.0.1",
    "224.0.0.1", "192.0.0.8", "192.88.99.1", "198.18.0.1", "240.0.0.1",
    "::1", "::", "fe80::1", "fd00::1", "ff0e::1", "100::1", "4000::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1",  # IPv4-mapped
    "::7f00:1", "::a00:1", "::808:808",  # IPv4-compatible: refused whatever they carry
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1",  # NAT64 of non-public IPv4
    "64:ff9b:1::808:808",  # local-use NAT64: refused whatever it carries
    "2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101::1",  # 6to4 of non-public IPv4
    "2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "fec0::1", "feff::1",  # site-local
    "2001:db8::1", "3fff::1",  # documentation
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:2800:220:1::1", "2001:4860:4860::8888", "::ffff:8.8.8.8",
          "64:ff9b::808:808", "2002:808:808::1"]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_recognised(address: str) -> None:
    assert not net.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    """Translated and tunnelled forms of a public IPv4 address are as public as it is."""
    assert net.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["::7f00:1", "64:ff9b::7f00:1", "64:ff9b:1::7f00:1", "2002:7f00:1::1",
                                     "2001::1", "fec0::1"])
def test_ipv6_forms_of_private_addresses_are_refused_before_connecting(server: _Server, address: str) -> None:
    port = server.server_address[1]
    with pytest.raises(FetchError, match=f"refused: {address} is a non-public address"):
        Fetcher().get(f"http://[{address}]:{port}/plain")
    assert server.requests == []


def test_every_hop_is_checked(monkeypatch: pytest.MonkeyPatch, server: _Server) -> None:
    """The first hop stands in for a public host; the address it redirects to is refused."""
    monkeypatch.setattr(net, "is_public_address",
                        lambda ip, real=net.is_public_address: str(ip) == "127.0.0.1" or real(ip))
    with pytest.raises(FetchError, match="refused: ::7f00:1 is a non-public address"):
        Fetcher().get(server.url("/to-ipv4-compatible"))
    assert [path for path, _ in server.requests] == ["/to-ipv4-compatible"]
