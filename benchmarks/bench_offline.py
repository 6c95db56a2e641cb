#!/usr/bin/env python3
"""How long e-books take when no image host answers, against --offline.

usage: bench_offline.py [CORPUS_DIR] [--runs N] [--jobs N] [--only SCENARIO ...]

The corpus is copied with every absolute URL's host rewritten to a dead end, a different one
per original host (as when the network is down, an archive links to many hosts):

- ``refused``: a port of 127.0.0.1 where nothing listens (the connection is refused);
- ``unaccepted``: a port whose listening socket never accepts and whose backlog is full
  (the connection is never answered: the connect timeout);
- ``silent``: a port that accepts and then says nothing (the read timeout);
- ``invalid``: ``<host>.invalid``, a name that never resolves (as fast, or as slow, as the
  resolver says so).

Each scenario runs ``convert COPY --to epub -o OUT`` and ``convert COPY --bundle BOOK.epub``
as whole processes, with a fresh image cache each time (nothing is remembered between runs),
``--runs`` times; the table gives the medians, and each one's ratio to the same command with
``--offline`` on the same copy. Target (issue #14): at most 2x --offline.
"""

from __future__ import annotations

import argparse
import re
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"
SCENARIOS = ("refused", "unaccepted", "silent", "invalid")
_URL = re.compile(r"(https?)://([A-Za-z0-9.-]+)(:[0-9]+)?")


def hosts_in(corpus: Path) -> list[str]:
    found: set[str] = set()
    for path in corpus.iterdir():
        found.update(m.group(2) for m in _URL.finditer(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(found)


def rewrite(corpus: Path, target: Path, netloc: Callable[[str], str]) -> None:
    """Copy ``corpus`` to ``target`` with each URL's scheme and host replaced by ``netloc``'s."""
    target.mkdir(parents=True)
    for path in sorted(corpus.iterdir()):
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        text = _URL.sub(lambda m: netloc(m.group(2)), text)
        (target / path.name).write_text(text, encoding="utf-8", errors="surrogateescape")


# ---------------------------------------------------------------------------- dead ends


@contextmanager
def refused(hosts: list[str]) -> Iterator[dict[str, str]]:
    """Ports nothing listens on (bound, then closed: the kernel refuses connections to them)."""
    ports = {}
    for host in hosts:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports[host] = f"http://127.0.0.1:{probe.getsockname()[1]}"
    yield ports


@contextmanager
def unaccepted(hosts: list[str]) -> Iterator[dict[str, str]]:
    """Listening sockets that never accept, their one-connection backlog taken by a connection
    of our own: a client's SYN is never answered."""
    with ExitStack() as stack:
        ports = {}
        for host in hosts:
            listener = stack.enter_context(socket.socket())
            listener.bind(("127.0.0.1", 0))
            listener.listen(0)
            filler = stack.enter_context(socket.socket())
            filler.connect(listener.getsockname())
            ports[host] = f"http://127.0.0.1:{listener.getsockname()[1]}"
        yield ports


@contextmanager
def silent(hosts: list[str]) -> Iterator[dict[str, str]]:
    """Servers that accept every connection and never send a byte."""
    selector = selectors.DefaultSelector()
    held: list[socket.socket] = []
    stop = threading.Event()
    ports = {}
    for host in hosts:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ)
        ports[host] = f"http://127.0.0.1:{listener.getsockname()[1]}"

    def accept() -> None:
        while not stop.is_set():
            for key, _ in selector.select(0.1):
                try:
                    held.append(key.fileobj.accept()[0])  # type: ignore[union-attr]
                except OSError:
                    pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield ports
    finally:
        stop.set()
        thread.join()
        for key in list(selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        for connection in held:
            connection.close()


@contextmanager
def invalid(hosts: list[str]) -> Iterator[dict[str, str]]:
    yield {host: f"http://{host}.invalid" for host in hosts}


DEAD_ENDS = {"refused": refused, "unaccepted": unaccepted, "silent": silent, "invalid": invalid}


# ---------------------------------------------------------------------------- runs


def convert(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "converter", *args], cwd=ROOT, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"convert {' '.join(args)} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds


def measure(copy: Path, work: Path, mode: str, extra: list[str], runs: int, jobs: int) -> float:
    """The median of ``runs`` runs of ``mode`` (folder or bundle), each with a fresh cache."""
    times = []
    for run in range(runs):
        cache = work / f"cache-{mode}-{run}-{time.monotonic_ns()}"
        out = work / f"out-{mode}-{run}-{time.monotonic_ns()}"
        target = ["--bundle", f"{out}.epub"] if mode == "bundle" else ["--to", "epub", "-o", str(out)]
        times.append(convert([str(copy), *target, "--cache-dir", str(cache), "--allow-private-hosts",
                              "-q", "-j", str(jobs), *extra]))
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="convert's --jobs (0: all cores)")
    parser.add_argument("--only", nargs="*", choices=SCENARIOS, default=list(SCENARIOS))
    args = parser.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"{args.corpus}: no corpus here (see the README)")
    hosts = hosts_in(args.corpus)
    documents = sum(1 for _ in args.corpus.iterdir())
    print(f"{documents} documents, {len(hosts)} hosts, median of {args.runs} runs, fresh image cache each run\n")
    print("| scenario | command | seconds | --offline (s) | ratio |\n|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as tmp:
        work = Path(tmp)
        for scenario in args.only:
            with DEAD_ENDS[scenario](hosts) as netlocs:
                copy = work / scenario
                rewrite(args.corpus, copy, lambda host: netlocs[host])
                for mode in ("folder", "bundle"):
                    offline = measure(copy, work, mode, ["--offline"], args.runs, args.jobs)
                    online = measure(copy, work, mode, [], args.runs, args.jobs)
                    print(f"| {scenario} | {mode} | {online:.2f} | {offline:.2f} | {online / offline:.2f}x |",
                          flush=True)
            shutil.rmtree(copy)


if __name__ == "__main__":
    main()
