#!/usr/bin/env python3
"""Time feeds by URL against the same feed as a file, as whole ``convert`` processes.

usage: bench_feed_urls.py [--entries N] [--rounds R]

A generated RSS 2.0 feed of N entries (default 2,000; see ``bench_feeds.big_feed``) is served
on 127.0.0.1 with an ``ETag`` (answering 304 to ``If-None-Match``), and converted to Markdown
in each round four ways: the file, then again (all up to date); the URL into a fresh cache and
folder, then again (a conditional request answered 304, all up to date). Medians of R rounds
(default 3); the ratios compare the URL with the file measured in the same rounds. The server
counts what it answered: each round must be one 200 and one 304.
"""

from __future__ import annotations

import argparse
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_feeds import big_feed

CONVERT = [sys.executable, "-m", "converter"]
ROOT = Path(__file__).resolve().parents[1]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: _Server = self.server  # type: ignore[assignment]
        if self.headers.get("If-None-Match") == '"v1"':
            server.answers.append(304)
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
            return
        server.answers.append(200)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(server.feed)))
        self.send_header("ETag", '"v1"')
        self.end_headers()
        self.wfile.write(server.feed)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feed: bytes) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.feed = feed
        self.answers: list[int] = []


def timed(args: list[str]) -> tuple[float, str]:
    """Seconds and the summary line of one ``convert`` process."""
    start = time.perf_counter()
    done = subprocess.run(CONVERT + args, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return seconds, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    feed = big_feed(args.entries)
    server = _Server(feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/big.xml"
    times: dict[str, list[float]] = {"file": [], "file rerun": [], "url": [], "url rerun (304)": []}
    summaries: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        saved = tmp / "big.xml"
        saved.write_bytes(feed)
        for round_ in range(args.rounds):
            here = tmp / str(round_)
            runs = {"file": [str(saved), "--to", "md", "-o", str(here / "file")],
                    "url": [url, "--to", "md", "-o", str(here / "url"), "--cache-dir", str(here / "cache"),
                            "--allow-private-hosts"]}
            for name, command in runs.items():
                for label in (name, f"{name} rerun" if name == "file" else "url rerun (304)"):
                    seconds, summaries[label] = timed(command)
                    times[label].append(seconds)
    server.shutdown()
    print(f"feed: {args.entries} entries, {len(feed) / 2**20:.1f} MiB; medians of {args.rounds} rounds\n")
    print("| run | seconds | summary |\n|---|---:|---|")
    for label, values in times.items():
        print(f"| {label} | {statistics.median(values):.2f} | {summaries[label]} |")
    median = {label: statistics.median(values) for label, values in times.items()}
    print(f"\nurl / file: {median['url'] / median['file']:.2f}x; "
          f"url rerun (304) / file rerun: {median['url rerun (304)'] / median['file rerun']:.2f}x")
    print(f"server answers: {server.answers.count(200)} × 200, {server.answers.count(304)} × 304 "
          f"(expected {args.rounds} of each)")


if __name__ == "__main__":
    main()
