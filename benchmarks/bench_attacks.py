#!/usr/bin/env python3
"""Time and peak memory of the attacks in SECURITY.md, run as a user would run them.

usage: bench_attacks.py [--convert PATH ...] [--recipes NAME,...] [--timeout S] [--memory-cap GB]
                        [--big]

Each recipe builds its input in a temporary folder (and, for the network recipes, serves it
from a server on 127.0.0.1 started here), then runs one ``convert`` command as a process of
its own: the wall-clock time, the peak resident set of the process and its workers (from
``wait4``), and how it ended (exit status, or "stopped" when it ran past ``--timeout``). The
address space of each run is capped (``--memory-cap``) so that an attack that would take all
the machine's memory ends in a ``MemoryError`` instead.

Give ``--convert`` once per build to compare (e.g. an older checkout's ``convert`` and this
one's): every recipe runs with each, in the same run, so the figures are comparable. Without
it, the ``convert`` beside this Python is measured.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import os
import resource
import shutil
import signal
import socketserver
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = "<!--1738414025000-->\n[{title}](https://news.example.org/bench/{name})\n------\n"


# ---------------------------------------------------------------------------- a hostile server


def _double_gzip(size: int) -> bytes:
    """``size`` zero bytes, gzipped twice: about 1.8 KB for a GiB."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [inner.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(inner.flush())
    return gzip.compress(b"".join(parts), 9)


class _Handler(http.server.BaseHTTPRequestHandler):
    """``/bomb``: a gzip-in-gzip image; ``/drip``: headers one byte a second; ``/redirect``:
    a 302 to ``/drip``; ``/slow/N``: a JPEG header, then its body one byte a second."""

    bomb = b""

    def log_message(self, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        try:
            if self.path.startswith("/bomb"):
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Encoding", "gzip, gzip")
                self.send_header("Content-Length", str(len(self.bomb)))
                self.end_headers()
                self.wfile.write(self.bomb)
            elif self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "/drip")
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path.startswith("/drip"):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                self._drip(b"a" * 100_000)
            elif self.path.startswith("/slow"):
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n")
                self._drip(b"\xff\xd8\xff" + bytes(99_997))
        except OSError:  # the client gave up: that is the point
            pass

    def _drip(self, data: bytes) -> None:
        for i in range(len(data)):
            self.wfile.write(data[i:i + 1])
            self.wfile.flush()
            time.sleep(1)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def _serve() -> _Server:
    server = _Server(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------------------- recipes


@dataclass
class Recipe:
    """One attack: what it is, how to build its input in a folder, and the command's arguments."""

    name: str
    what: str
    build: Callable[[Path, str], list[str]]  # (folder, server URL) -> arguments after ``convert``
    stdin: str | None = None  # a file in the folder fed to the command's stdin
    big: bool = False  # only with --big


def _doc(folder: Path, name: str, body: str) -> Path:
    path = folder / f"{name}.txt"
    path.write_text(HEADER.format(title=name, name=name) + body, encoding="utf-8")
    return path


def _epub(folder: Path, body: str) -> list[str]:
    path = _doc(folder, "images", body)
    return [str(path), "--to", "epub", "--allow-private-hosts", "--cache-dir", str(folder / "cache"),
            "-o", str(folder / "out.epub")]


def _table(folder: Path, n: int, fmt: str) -> list[str]:
    path = folder / f"table{n}.txt"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER.format(title="table", name="table") + "<table>")
        row = "<tr>" + "<td>x</td>" * n + "</tr>"
        fh.writelines(row for _ in range(n))
        fh.write("</table>")
    return [str(path), "--to", fmt, "-o", str(folder / f"out.{fmt}")]


def _paragraphs(folder: Path, size: int, name: str) -> Path:
    path = folder / name
    unit = "<p>第一段：这是一个很普通的段落，里面有一些中文，also some English words.</p>\n"
    count = size // len(unit.encode("utf-8")) + 1
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER.format(title="paragraphs", name="paragraphs"))
        fh.writelines(unit * 1000 for _ in range(count // 1000))
    return path


def _folder_with(folder: Path, make: Callable[[Path], None]) -> list[str]:
    src = folder / "in"
    src.mkdir()
    _doc(src, "ok", "<p>An ordinary article.</p>")
    make(src)
    return [str(src), "--to", "md", "-o", str(folder / "out")]


def _stdin_file(folder: Path, _url: str) -> list[str]:
    _paragraphs(folder, 300 * 2**20, "stdin.txt")
    return ["-", "--to", "md", "-o", str(folder / "out.md")]


RECIPES = [
    Recipe("gzip-bomb", "an image sent as gzip inside gzip: 1 GiB of zeros in ~1.8 KB",
           lambda f, url: _epub(f, f'<p>x</p><img src="{url}/bomb.jpg">')),
    Recipe("header-drip", "an image whose server sends its headers one byte a second",
           lambda f, url: _epub(f, f'<p>x</p><img src="{url}/drip.jpg">')),
    Recipe("drip-after-redirect", "the same after a 302",
           lambda f, url: _epub(f, f'<p>x</p><img src="{url}/redirect.jpg">')),
    Recipe("16-slow-images", "16 images, each body sent one byte a second",
           lambda f, url: _epub(f, "".join(f'<p>{i}</p><img src="{url}/slow/{i}.jpg">' for i in range(16)))),
    Recipe("byline-redos", "<div><i> + 2,000 spaces + a + 2,000 spaces (4 KB)",
           lambda f, url: [str(_doc(f, "byline", "<div><i>" + " " * 2000 + "a" + " " * 2000 + "<p>x</p>")),
                           "--to", "md", "-o", "-"]),
    Recipe("title-redos", "a title line of 20,000 '](' (40 KB)",
           lambda f, url: [str(_write(f / "title.txt", "<!--1738414025000-->\n[" + "](" * 20_000
                                      + "\n------\n<p>x</p>")), "--to", "md", "-o", "-"]),
    Recipe("fifo-in-folder", "a folder holding a FIFO named x.txt",
           lambda f, url: _folder_with(f, lambda src: os.mkfifo(src / "x.txt"))),
    Recipe("dev-zero-in-folder", "a folder holding a symlink z.txt -> /dev/zero",
           lambda f, url: _folder_with(f, lambda src: (src / "z.txt").symlink_to("/dev/zero"))),
    Recipe("stdin-300mb", "300 MB of paragraphs on stdin", _stdin_file, stdin="stdin.txt"),
    *(Recipe(f"table-1000-{fmt}", "a 1,000 × 1,000 table (10 MB)", lambda f, url, fmt=fmt: _table(f, 1000, fmt))
      for fmt in ("md", "txt", "json", "html", "rst")),
    *(Recipe(f"table-2000-{fmt}", "a 2,000 × 2,000 table (40 MB)", lambda f, url, fmt=fmt: _table(f, 2000, fmt),
             big=True) for fmt in ("md", "txt", "json", "rst")),
    Recipe("paragraphs-200mb", "200 MB of paragraphs to Markdown",
           lambda f, url: [str(_paragraphs(f, 200 * 2**20, "big.txt")), "--to", "md", "-o", str(f / "out.md")],
           big=True),
]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- running


@dataclass
class Outcome:
    seconds: float
    peak_mb: float
    ended: str


def run(convert: str, args: list[str], stdin: Path | None, timeout: float, cap: int) -> Outcome:
    """Run ``convert args`` in a session of its own under an address-space cap."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as source, open(os.devnull, "wb") as sink:
        import subprocess

        proc = subprocess.Popen([convert, *args], stdin=source, stdout=sink, stderr=subprocess.PIPE,
                                start_new_session=True)
        resource.prlimit(proc.pid, resource.RLIMIT_AS, (cap, cap))  # before it has read anything
        stderr_reader = threading.Thread(target=lambda: setattr(proc, "err", proc.stderr.read()), daemon=True)
        stderr_reader.start()
        ended = ""
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                ended = f"stopped after {timeout:g} s"
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        stderr_reader.join(5)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = getattr(proc, "err", b"").decode("utf-8", "replace")
    if not ended:
        ended = f"exit {proc.returncode}"
        if "MemoryError" in err:
            ended += ", MemoryError"
        elif "Traceback" in err:
            ended += ", traceback"
        elif proc.returncode:
            last = [line for line in err.splitlines() if line.strip()][-1:]
            ended += f": {last[0][:90]}" if last else ""
    return Outcome(seconds, usage.ru_maxrss / 1024, ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--convert", action="append", help="a convert executable (repeatable)")
    parser.add_argument("--recipes", help="comma-separated recipe names (default: all but --big ones)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run is stopped")
    parser.add_argument("--memory-cap", type=float, default=6.0, help="address-space cap per run, GiB")
    parser.add_argument("--big", action="store_true", help="also the 40 MB table and 200 MB input")
    ns = parser.parse_args()
    converts = ns.convert or [str(Path(sys.executable).with_name("convert"))]
    wanted = ns.recipes.split(",") if ns.recipes else None
    recipes = [r for r in RECIPES if (r.name in wanted if wanted else ns.big or not r.big)]
    _Handler.bomb = _double_gzip(1 << 30)
    server = _serve()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    cap = int(ns.memory_cap * 2**30)
    print(f"address space capped at {ns.memory_cap:g} GiB per run, stopped after {ns.timeout:g} s\n")
    print("| recipe | " + " | ".join(f"convert {i + 1}: s | peak MB | ended" for i in range(len(converts))) + " |")
    print("|---|" + "---:|---:|---|" * len(converts))
    for recipe in recipes:
        cells = []
        for convert in converts:
            folder = Path(tempfile.mkdtemp(prefix="attack-"))
            try:
                args = recipe.build(folder, url)
                outcome = run(convert, args, folder / recipe.stdin if recipe.stdin else None, ns.timeout, cap)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            cells.append(f"{outcome.seconds:.2f} | {outcome.peak_mb:.0f} | {outcome.ended}")
        print(f"| {recipe.name}: {recipe.what} | " + " | ".join(cells) + " |", flush=True)
    for i, convert in enumerate(converts):
        print(f"\nconvert {i + 1}: {convert}")
    server.shutdown()


if __name__ == "__main__":
    main()
