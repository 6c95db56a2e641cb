#!/usr/bin/env python3
"""Time the EPUB writer over the corpus: single-article EPUBs (images "none"), one bundle, and
the daily digests, each with the cover drawn for it and, as the peer that shows what the
drawing costs, with a cover image given (``cover_image``, a small PNG: packaged, not drawn).

usage: bench_epub.py [CORPUS_DIR] [--runs N] [--profile]

Documents are parsed once, outside the timings; each measurement is repeated ``--runs``
times and the median printed. ``--profile`` adds where the single-article time goes.
Targets (issues): >= 100 single-article EPUBs per second; the whole-corpus bundle in < 10 s;
the corpus's daily digests in < 10 s (``bench_feeds.py`` times the same as a ``convert`` run).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from converter import digest, parse
from converter.ast import Document
from converter.writers.epub import EpubWriter, bundle

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def load(corpus: Path) -> list[Document]:
    paths = sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".md") and p.name != "README.md")
    return [parse(p.read_bytes(), path=str(p)) for p in paths]


def write_singles(docs: list[Document], cover: str | None = None) -> None:
    writer = EpubWriter(images="none", cover_image=cover)
    for doc in docs:
        writer.write(doc)


def write_bundle(docs: list[Document], cover: str | None = None) -> None:
    bundle(docs, images="none", cover_image=cover)


def daily_books(docs: list[Document], cover: str | None = None) -> list[Callable[[], bytes]]:
    """What builds each book of ``--group-by day``."""
    return [build for _, _, build in digest.books(docs, "digest-{date}.epub", group_by="day", images="none",
                                                   cover_image=cover)]


def write_digests(docs: list[Document], cover: str | None = None) -> None:
    for build in daily_books(docs, cover):
        build()


def median(work: Callable[[], None], runs: int) -> tuple[float, float]:
    """The median seconds of ``runs`` calls of ``work``: wall-clock, and this process's CPU
    time (steadier on a machine other work shares)."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    docs = load(args.corpus)
    print(f"parsed {len(docs)} documents in {time.perf_counter() - start:.2f} s (not counted below)")

    with tempfile.TemporaryDirectory() as tmp:
        given = str(Path(tmp) / "cover.png")
        Image.new("RGB", (60, 80), (40, 60, 90)).save(given)
        for label, cover in (("drawn cover", None), ("given cover", given)):
            wall, cpu = median(lambda c=cover: write_singles(docs, c), args.runs)
            print(f"single-article EPUBs, {label}: median {wall:.2f} s (CPU {cpu:.2f} s) for {len(docs)}"
                  f" = {len(docs) / wall:.0f} documents/s ({len(docs) / cpu:.0f}/s of CPU; target >= 100/s)")
            wall, cpu = median(lambda c=cover: write_bundle(docs, c), args.runs)
            print(f"whole-corpus bundle, {label}: median {wall:.2f} s (CPU {cpu:.2f} s) for {len(docs)} documents"
                  " (target < 10 s)")
            books = len(daily_books(docs))
            wall, cpu = median(lambda c=cover: write_digests(docs, c), args.runs)
            print(f"daily digests, {label}: median {wall:.2f} s (CPU {cpu:.2f} s) for {books} books,"
                  f" {1000 * cpu / books:.1f} ms of CPU a book (target < 10 s)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(write_singles, docs)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
