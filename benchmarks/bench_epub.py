#!/usr/bin/env python3
"""Time the EPUB writer over the corpus: single-article EPUBs (images "none") and one bundle.

usage: bench_epub.py [CORPUS_DIR] [--runs N] [--profile]

Documents are parsed once, outside the timings; each measurement is repeated ``--runs``
times and the median printed. ``--profile`` adds where the single-article time goes.
Targets (issue): >= 100 single-article EPUBs per second; the whole-corpus bundle in < 10 s.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from converter import parse
from converter.ast import Document
from converter.writers.epub import EpubWriter, bundle

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def load(corpus: Path) -> list[Document]:
    paths = sorted(p for p in corpus.rglob("*") if p.suffix in (".txt", ".md") and p.name != "README.md")
    return [parse(p.read_bytes(), path=str(p)) for p in paths]


def time_singles(docs: list[Document]) -> float:
    writer = EpubWriter(images="none")
    start = time.perf_counter()
    for doc in docs:
        writer.write(doc)
    return time.perf_counter() - start


def time_bundle(docs: list[Document]) -> float:
    start = time.perf_counter()
    bundle(docs, images="none")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    docs = load(args.corpus)
    print(f"parsed {len(docs)} documents in {time.perf_counter() - start:.2f} s (not counted below)")

    singles = statistics.median(time_singles(docs) for _ in range(args.runs))
    rate = len(docs) / singles
    print(f"single-article EPUBs: median {singles:.3f} s for {len(docs)} = {rate:.0f} documents/s"
          f" ({1000 * singles / len(docs):.2f} ms each; target >= 100/s)")
    book = statistics.median(time_bundle(docs) for _ in range(args.runs))
    print(f"whole-corpus bundle:  median {book:.3f} s for {len(docs)} documents (target < 10 s)")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(time_singles, docs)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
