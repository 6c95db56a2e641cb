#!/usr/bin/env python3
"""Time feed input and daily digests, as whole ``convert`` processes.

usage: bench_feeds.py [--entries N] [--corpus DIR]

1. A generated RSS 2.0 feed of N entries (default 20,000, each a paragraph of 200 words):
   reading it (feedparser and our entries, in this process), converting it to Markdown with
   ``convert`` (one file per entry, all cores), and the rerun that finds every entry converted.
2. The corpus grouped by day: ``convert CORPUS --bundle 'DIR/{date}.epub' --group-by day
   --images none``, three times (the median is printed), checking the books are byte-identical
   and that each has a cover. Target (issue): < 10 s.

Peak memory is the largest process's (``/usr/bin/time``'s maximum resident set) where
``/usr/bin/time`` exists.
"""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from converter.readers.syndication import read_feed

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
CONVERT = [sys.executable, "-m", "converter"]


def big_feed(entries: int) -> bytes:
    items = "".join(
        f"<item><title>Entry {i}</title><link>https://feed.example/{i}</link><guid>g{i}</guid>"
        f"<pubDate>Tue, 26 Nov 2024 {i % 24:02d}:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>Paragraph {i} {'text ' * 200}</p>]]></description></item>"
        for i in range(entries))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{items}</channel></rss>'.encode()


def timed(args: list[str]) -> tuple[float, str]:
    """Seconds and peak memory of one ``convert`` process."""
    prefix = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    done = subprocess.run(prefix + args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    peak = f"{int(done.stderr.strip().splitlines()[-1]) // 1024} MB" if prefix else "–"
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    return seconds, peak


def _has_cover(book: Path) -> bool:
    """Whether the EPUB's package names a cover image that it holds."""
    with zipfile.ZipFile(book) as z:
        opf = z.read("EPUB/content.opf").decode("utf-8")
        match = re.search(r'<item href="([^"]+)" id="cover-img" media-type="image/[a-z]+" properties="cover-image"',
                          opf)
        return bool(match) and f"EPUB/{match.group(1)}" in z.namelist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        feed = tmp / "big.xml"
        feed.write_bytes(big_feed(args.entries))
        size = feed.stat().st_size / 2**20
        start = time.perf_counter()
        read_feed(feed.read_bytes(), str(feed))
        reading = time.perf_counter() - start
        print(f"feed: {args.entries} entries, {size:.1f} MiB")
        print(f"  read (feedparser + entries): {reading:.1f} s, {size / reading:.1f} MiB/s")
        first, peak = timed(CONVERT + [str(feed), "--to", "md", "-o", str(tmp / "notes"), "-q"])
        print(f"  convert --to md: {first:.1f} s, {args.entries / first:.0f} entries/s, peak {peak}")
        again, peak = timed(CONVERT + [str(feed), "--to", "md", "-o", str(tmp / "notes"), "-q"])
        print(f"  rerun, all up to date: {again:.1f} s, peak {peak}")
        if args.corpus.is_dir():
            runs = []
            names = ("one", "two", "three")
            for name in names:
                seconds, peak = timed(CONVERT + [str(args.corpus), "--bundle", str(tmp / name / "{date}.epub"),
                                                 "--group-by", "day", "--images", "none", "-q"])
                runs.append(seconds)
            books = sorted(p.name for p in (tmp / "one").iterdir())
            same = all(filecmp.cmp(tmp / "one" / b, tmp / name / b, shallow=False) for b in books for name in names)
            covers = sum(_has_cover(tmp / "one" / b) for b in books)
            print(f"corpus by day: {len(books)} books in {statistics.median(runs):.1f} s (median of 3: "
                  f"{', '.join(f'{r:.1f}' for r in runs)}), peak {peak}, "
                  f"{'byte-identical' if same else 'DIFFERENT'} across runs, {covers} with a cover")
            for name in names:
                shutil.rmtree(tmp / name)


if __name__ == "__main__":
    main()
