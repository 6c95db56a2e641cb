"""HTTP GET on a document's behalf: which hosts, for how long, and how many bytes.

A URL found in someone else's HTML is fetched on a stranger's behalf. Everything that does so
(the image fetcher, and anything else that fetches what a document or a user names) goes
through :class:`Fetcher`, so one set of rules holds for all of it:

- only ``http`` and ``https``;
- every hop, redirects included, is resolved here and refused when any address it resolves to
  is not global unicast (:func:`is_public_address`) unless private hosts are allowed; the
  connection then goes to the address that was checked, so DNS cannot change its answer
  between the check and the request;
- one monotonic deadline per URL covers the name lookup, connect, TLS handshake, request,
  headers, every redirect and the body: each socket operation may wait no longer than the time
  left (nor than its own timeout), so a server that drips a byte a second, which never trips a
  per-operation timeout, cannot hold a request past the deadline. A caller can pass a longer
  budget (all the images of a document) that cuts every URL's deadline short when it runs out;
- the body is read raw and its ``Content-Encoding`` (one layer of gzip or deflate, the only
  ones asked for) is undone here in pieces of at most 64 KiB, stopping at the size cap: memory
  never exceeds the cap by more than a piece, whatever the compression ratio. Stacked and
  unknown encodings are refused.

Each URL gets a connection of its own, closed when the URL is done: the deadline belongs to
the connection, and no server keeps one open in a pool. Requests go through httpcore, httpx's
own transport layer, because it takes a network backend (where the deadline is enforced) and
hands the body over as sent (so that decoding is bounded here).
"""

from __future__ import annotations

import ipaddress
import queue
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin

#: httpx and httpcore are imported where they are used (httpx 10-60 ms with its command line when
#: click is installed, httpcore ~30 ms): a book without images, or --list-formats, need not pay.
if TYPE_CHECKING:
    import ssl

    import httpcore
    import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 15.0
#: Wall-clock limit for one URL: lookup, connect, TLS, headers, redirects and body together.
DEFAULT_DEADLINE = 60.0
MAX_REDIRECTS = 5
#: The content codings undone here, which is all that ``Accept-Encoding`` offers.
ACCEPT_ENCODING = "gzip, deflate"
USER_AGENT = "converter (feed article to e-book)"

_PIECE = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# Outside 2000::/3 no IPv6 address is global unicast: that refuses IPv4-compatible ::/96, local-use
# NAT64 64:ff9b:1::/48, site-local fec0::/10, unique-local, link-local, multicast and the rest,
# whatever this Python's ``is_global`` (which varies between versions) thinks. These ranges inside
# it are not global either; the forms that carry an IPv4 address are judged by that address.
_IPV6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_IPV6_NOT_GLOBAL = tuple(ipaddress.IPv6Network(net) for net in (
    "2001::/23",  # IETF protocol assignments: Teredo (2001::/32), benchmarking, ORCHID…
    "2001:db8::/32", "3fff::/20",  # documentation
))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_NOT_GLOBAL = tuple(ipaddress.IPv4Network(net) for net in (
    "192.0.0.0/24",  # IETF protocol assignments
    "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
))


_Item = TypeVar("_Item")
_Result = TypeVar("_Result")


class FetchError(Exception):
    """Why a URL was not fetched; ``permanent`` when asking again later would not help;
    ``silent_host`` the host (``name:port``) that did not answer at all, when that is why
    (its name did not resolve, or it refused, dropped or never answered the connection or
    the request): its other URLs will most likely fail the same way for a while; ``answered``
    when the host did answer (with an error status, a body refused…): the network works."""

    def __init__(self, reason: str, *, permanent: bool = False, silent_host: str = "") -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.silent_host = silent_host
        self.answered = False


class FetchTimeout(FetchError):
    """The URL's deadline (or the budget it belongs to) passed, or the server fell silent."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one URL may cost and where it may lead."""

    max_bytes: int = DEFAULT_MAX_BYTES  # the body, as sent and decoded
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT  # name lookup, connect, TLS handshake
    read_timeout: float = DEFAULT_READ_TIMEOUT  # silence allowed between two reads
    deadline: float = DEFAULT_DEADLINE  # everything for one URL, redirects included
    max_redirects: int = MAX_REDIRECTS
    allow_private_hosts: bool = False


@dataclass(frozen=True, slots=True)
class Deadline:
    """A point on the monotonic clock, and what to say once it has passed."""

    end: float
    reason: str

    @classmethod
    def after(cls, seconds: float, reason: str) -> Deadline:
        return cls(time.monotonic() + seconds, reason)

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def earliest(self, other: Deadline | None) -> Deadline:
        return self if other is None or self.end <= other.end else other

    def bound(self, timeout: float | None, error: type[Exception]) -> float:
        """``timeout`` cut to the time left; ``error`` when none is left."""
        left = self.remaining()
        if left <= 0:
            raise error(self.reason)
        return left if timeout is None else min(timeout, left)


@dataclass(frozen=True, slots=True)
class Response:
    """A body fetched and decoded, with the URL it finally came from, its declared type and
    its validators (``ETag``, ``Last-Modified``: what a conditional request sends back)."""

    url: str
    content_type: str
    body: bytes
    #: 200, or 304 (not modified) for a conditional request, which then has no body.
    status: int = 200
    etag: str = ""
    last_modified: str = ""


# ---------------------------------------------------------------------------- addresses


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a global unicast address: not loopback, private, link-local, reserved…

    An IPv6 address that stands for an IPv4 one (IPv4-mapped, NAT64 ``64:ff9b::/96``, 6to4
    ``2002::/16``) is judged by that IPv4 address; other IPv6 addresses must be in ``2000::/3``
    and outside the special-purpose ranges, whatever this Python's ``is_global`` thinks.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        carried = _embedded_ipv4(ip)
        if carried is not None:
            return is_public_address(carried)
        if ip not in _IPV6_GLOBAL_UNICAST or any(ip in net for net in _IPV6_NOT_GLOBAL):
            return False
    elif any(ip in net for net in _IPV4_NOT_GLOBAL):
        return False
    return ip.is_global and not ip.is_multicast


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a translated or tunnelled IPv6 address leads to, if it is one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))


def _lookup(host: str, port: int, timeout: float, deadline: Deadline) -> list[IPAddress]:
    """:func:`resolve` in a thread of its own, waited for no longer than ``timeout`` or the
    deadline: ``getaddrinfo`` takes no timeout, and a slow name server must not hold a request.
    """
    outcome: list[list[IPAddress] | Exception] = []

    def run() -> None:
        try:
            outcome.append(resolve(host, port))
        except (OSError, UnicodeError, ValueError) as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(deadline.bound(timeout, FetchTimeout))
    if not outcome:
        if deadline.expired():
            raise FetchTimeout(deadline.reason)
        raise FetchTimeout(f"looking up {host} timed out", silent_host=f"{host}:{port}")
    if isinstance(outcome[0], Exception) or not outcome[0]:
        raise FetchError(f"cannot resolve host {host}", silent_host=f"{host}:{port}")
    return outcome[0]


# ---------------------------------------------------------------------------- content coding


class _Inflater:
    """Undoes gzip or deflate in pieces of at most ``_PIECE`` bytes, however much it expands:
    zlib's ``max_length`` stops each step, and the input not yet used waits in
    ``unconsumed_tail``. Only the first gzip member is read, as httpx does."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding != "deflate"
        self._head = b""  # the first bytes, until there are enough to tell zlib from raw deflate
        self._zlib: zlib._Decompress | None = None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._zlib = zlib.decompressobj(self._wbits(data))
        try:
            while not self._zlib.eof:
                piece = self._zlib.decompress(data, _PIECE)
                data = self._zlib.unconsumed_tail
                if piece:
                    yield piece
                if not data and len(piece) < _PIECE:  # all input used, no output pending
                    break
        except zlib.error:
            raise FetchError("damaged compressed content", permanent=True) from None

    def finish(self) -> None:
        """Refuses a body whose compressed stream stopped before its end."""
        if self._zlib is None or not self._zlib.eof:
            raise FetchError("compressed content ends early")

    def _wbits(self, head: bytes) -> int:
        if self._gzip:
            return 16 + zlib.MAX_WBITS
        # HTTP's "deflate" is zlib-wrapped, but some servers send raw deflate.
        is_zlib = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS


def _header_value(value: str) -> bool:
    """Whether ``value`` (a validator kept from an earlier answer) can be sent back as a
    header: printable ASCII, no line break, not too long."""
    return 0 < len(value) <= 1024 and value.isascii() and value.isprintable()


def _inflater(headers: httpx.Headers) -> _Inflater | None:
    """The decoder for a response's ``Content-Encoding``, ``None`` for identity."""
    codings = [c.strip().lower() for c in headers.get_list("content-encoding", split_commas=True)]
    codings = [c for c in codings if c not in ("", "identity")]
    if not codings:
        return None
    if len(codings) > 1:
        raise FetchError(f"refused: more than one content encoding ({', '.join(codings)})", permanent=True)
    if codings[0] not in ("gzip", "x-gzip", "deflate"):
        raise FetchError(f"refused: content encoding {codings[0]} was not asked for", permanent=True)
    return _Inflater(codings[0])


# ---------------------------------------------------------------------------- fetching


@dataclass(frozen=True, slots=True)
class _Hop:
    """One request of a chain of redirects, aimed at an address that passed the check."""

    url: httpcore.URL
    headers: list[tuple[bytes, bytes]]
    extensions: dict[str, Any]
    host: str  # name:port, as the URL gives it


class Fetcher:
    """GETs URLs within :class:`Limits`; safe to share between threads."""

    def __init__(self, limits: Limits | None = None, *, accept: str = "*/*", user_agent: str = USER_AGENT) -> None:
        self.limits = limits or Limits()
        self.accept = accept
        self.user_agent = user_agent
        self._ssl_context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def get(self, url: str, budget: Deadline | None = None, *, etag: str = "", last_modified: str = "") -> Response:
        """The body at ``url`` after following redirects, each hop checked like the first.

        ``budget``, when given, ends the request early if it runs out before the URL's own
        deadline. ``etag`` and ``last_modified``, the validators of a copy fetched before,
        make the request conditional (``If-None-Match``, ``If-Modified-Since``): a 304 answer
        is then a :class:`Response` with status 304 and no body. Raises :class:`FetchError`
        (:class:`FetchTimeout` for time) with the reason.
        """
        limit = self.limits.deadline
        deadline = Deadline.after(limit, f"took longer than {limit:g} s").earliest(budget)
        conditions = [(name, value.encode("ascii")) for name, value in
                      ((b"If-None-Match", etag), (b"If-Modified-Since", last_modified)) if _header_value(value)]
        import httpcore

        from .transport import DeadlineBackend

        with httpcore.ConnectionPool(ssl_context=self._ssl(), max_connections=1,
                                     network_backend=DeadlineBackend(deadline)) as pool:
            return self._follow(pool, url, deadline, conditions)

    def _follow(self, pool: httpcore.ConnectionPool, url: str, deadline: Deadline,
                conditions: list[tuple[bytes, bytes]]) -> Response:
        import httpcore

        from .transport import TRANSPORT_ERRORS

        current = url
        for _ in range(self.limits.max_redirects + 1):
            hop = self._hop(current, deadline)
            answered = False
            try:
                with pool.stream("GET", hop.url, headers=hop.headers + conditions,
                                 extensions=hop.extensions) as response:
                    answered = True
                    location, result = self._answer(response, current, conditional=bool(conditions))
                    if result is not None:
                        return result
            except FetchError as exc:  # about the answer: its status, its body
                exc.answered = True
                raise
            except httpcore.TimeoutException:
                if deadline.expired():  # slow, or the caller's budget spent: not the host's silence
                    raise FetchTimeout(deadline.reason) from None
                raise FetchTimeout("timed out", silent_host="" if answered else hop.host) from None
            except TRANSPORT_ERRORS as exc:
                raise FetchError(f"request failed ({type(exc).__name__})",
                                 silent_host="" if answered else hop.host) from None
            current = urljoin(current, location.strip())
        raise FetchError(f"more than {self.limits.max_redirects} redirects", permanent=True)

    def _answer(self, response: httpcore.Response, url: str, *, conditional: bool = False
                ) -> tuple[str, Response | None]:
        """A redirect's location, or the body of a response that is not one (none for a 304
        to a conditional request)."""
        import httpx

        headers = httpx.Headers(response.headers)
        location = headers.get("location")
        if response.status in _REDIRECTS and location:
            return location, None
        validators = {"etag": headers.get("etag", ""), "last_modified": headers.get("last-modified", "")}
        if response.status == 304 and conditional:
            return "", Response(url, headers.get("content-type", ""), b"", 304, **validators)
        if response.status != 200:
            code = response.status
            raise FetchError(f"HTTP {code}", permanent=400 <= code < 500 and code not in (408, 429))
        return "", Response(url, headers.get("content-type", ""), self._read_body(response, headers), **validators)

    def _read_body(self, response: httpcore.Response, headers: httpx.Headers) -> bytes:
        """The decoded body, refused as soon as it (sent or decoded) passes the size cap."""
        cap = self.limits.max_bytes
        too_large = FetchError(f"larger than {cap} bytes", permanent=True)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise too_large
        inflater = _inflater(headers)
        body = bytearray()
        received = 0
        for chunk in response.iter_stream():
            received += len(chunk)
            if received > cap:
                raise too_large
            for piece in inflater.decode(chunk) if inflater else (chunk,):
                body += piece
                if len(body) > cap:
                    raise too_large
        if inflater:
            inflater.finish()
        return bytes(body)

    def _hop(self, url: str, deadline: Deadline) -> _Hop:
        import httpcore
        import httpx

        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchError(f"invalid URL ({exc})", permanent=True) from None
        if parsed.scheme not in ("http", "https"):
            raise FetchError(f"refused: only http and https URLs are fetched, not {parsed.scheme or 'a path'}",
                             permanent=True)
        host = parsed.raw_host.decode("ascii")
        if not host:
            raise FetchError("invalid URL (no host)", permanent=True)
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        address = self._checked_address(host.strip("[]"), port, deadline)
        headers = [(b"Host", parsed.netloc), (b"User-Agent", self.user_agent.encode()),
                   (b"Accept", self.accept.encode()), (b"Accept-Encoding", ACCEPT_ENCODING.encode())]
        limits = self.limits
        extensions: dict[str, Any] = {"timeout": {"connect": limits.connect_timeout, "read": limits.read_timeout,
                                                  "write": limits.read_timeout, "pool": limits.connect_timeout}}
        if parsed.scheme == "https":
            extensions["sni_hostname"] = host
        target = httpcore.URL(scheme=parsed.raw_scheme, host=str(address).encode("ascii"), port=port,
                              target=parsed.raw_path)
        return _Hop(target, headers, extensions, f"{host}:{port}")

    def _checked_address(self, host: str, port: int, deadline: Deadline) -> IPAddress:
        addresses = _lookup(host, port, self.limits.connect_timeout, deadline)
        if not self.limits.allow_private_hosts:
            refused = [ip for ip in addresses if not is_public_address(ip)]
            if refused:
                raise FetchError(f"refused: {host} is a non-public address ({refused[0]}); "
                                 "--allow-private-hosts (allow_private_hosts=True) fetches it")
        return addresses[0]

    def _ssl(self) -> ssl.SSLContext:
        """One verifying TLS context for all requests (made on first use: it reads the CA file)."""
        with self._lock:
            if self._ssl_context is None:
                import httpx

                self._ssl_context = httpx.create_ssl_context(trust_env=False)
            return self._ssl_context


# ---------------------------------------------------------------------------- many at once


def on_threads(work: Callable[[_Item], _Result], items: Sequence[_Item], workers: int,
               done: Callable[[int], None] = lambda i: None) -> list[_Result]:
    """``work`` on each item, ``workers`` at a time, on daemon threads: a Ctrl-C (or the end of
    the program) does not wait for requests under way, which may each take a minute. ``done``
    is called with each item's index as it is finished, in this thread. An exception ``work``
    raises (a bug: failures are its results) is raised again here."""
    results: list[_Result | None] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(items)):
        todo.put(i)

    def worker() -> None:
        while True:
            try:
                i = todo.get_nowait()
            except queue.Empty:
                return
            try:
                results[i] = work(items[i])
            except Exception as exc:  # a bug: raised again in the caller's thread
                errors[i] = exc
            finally:
                finished.put(i)

    for _ in range(min(workers, len(items))):
        threading.Thread(target=worker, name="fetcher", daemon=True).start()
    for _ in range(len(items)):
        i = finished.get()
        if i in errors:
            raise errors[i]
        done(i)
    return results  # type: ignore[return-value]  # every slot is filled
