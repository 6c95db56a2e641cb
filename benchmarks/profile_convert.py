#!/usr/bin/env python3
"""Where a conversion spends its time: one process, every stage timed over the corpus.

usage: profile_convert.py [--to md] [--corpus DIR] [--runs N] [--cprofile]

Times each stage separately (median of N runs over the whole corpus, documents held in
memory so disk I/O is measured on its own): decoding, splitting header/front matter, the HTML
walk, language detection, rendering, and the atomic write. ``--cprofile`` adds the 25 most
expensive functions of a full ``convert_tree`` run with one job.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from converter import convert_tree, render
from converter.files import write_atomic
from converter.readers import header, rules
from converter.readers.decode import decode
from converter.readers.feed import read
from converter.readers.html import read_body
from converter.readers.language import detect_language

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--to", default="md")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cprofile", action="store_true")
    a = ap.parse_args()
    files = sorted(p for p in a.corpus.iterdir() if p.is_file())
    raw = [p.read_bytes() for p in files]
    texts = [decode(b) for b in raw]
    parts = [header.split(t) for t in texts]
    bodies = [rules.extract_byline(rules.strip_promo_footer(p.body))[1] for p in parts]
    docs = [read(b) for b in raw]
    outputs = [render(d, a.to) for d in docs]
    out = Path(tempfile.mkdtemp(prefix="profile-"))
    stages = {
        "decode": lambda: [decode(b) for b in raw],
        "split header/front matter": lambda: [header.split(t) for t in texts],
        "HTML walk": lambda: [read_body(b, p.url) for b, p in zip(bodies, parts, strict=True)],
        "language": lambda: [detect_language(t[:20000]) for t in texts],
        "whole read (all of the above)": lambda: [read(b) for b in raw],
        f"render {a.to}": lambda: [render(d, a.to) for d in docs],
        "atomic write": lambda: [write_atomic(out / f"{i}.out", o) for i, o in enumerate(outputs)],
    }
    n = len(files)
    print(f"{n} documents, median of {a.runs} runs\n")
    print("| stage | seconds | ms per document |")
    print("|---|---:|---:|")
    for name, fn in stages.items():
        seconds = timed(fn, a.runs)
        print(f"| {name} | {seconds:.3f} | {1000 * seconds / n:.2f} |")
    if a.cprofile:
        target = out / "tree"
        profiler = cProfile.Profile()
        profiler.enable()
        convert_tree(a.corpus, target, a.to, jobs=1, force=True)
        profiler.disable()
        print()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
