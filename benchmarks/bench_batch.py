#!/usr/bin/env python3
"""Batch throughput and memory against html2text and pandoc, measured as whole processes.

usage: bench_batch.py [--docs N] [--runs R] [--pandoc-sample K] [--corpus DIR] [--keep DIR]

Builds a copy of the corpus scaled to N documents (each copy's text is altered a little so no
two files are identical), then times, as whole processes, each run R times (median reported):

- ``convert DIR --to md -o OUT`` and ``--to txt`` with the default number of jobs (all cores);
- the same to Markdown with ``--jobs 1``;
- html2text's library converting the same files in a loop, writing one output per input
  (what a user would script; run as ``python -c``);
- pandoc (pypandoc-binary's bundled binary) once per file on a sample of K files,
  extrapolated to N.

Peak memory is the largest resident set of any process of the run (``ru_maxrss`` of the
waited-for children). Incremental skipping is disabled with ``--force`` so every run converts
everything. Prints a Markdown table and the ratios; ``python -m pstats``-style profiles are
not part of this script (see ``--profile`` in bench_parse.py).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"
BIN = Path(sys.executable).parent

HTML2TEXT_LOOP = """
import sys, pathlib, html2text
src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for path in sorted(src.rglob("*")):
    if path.is_file():
        h = html2text.HTML2Text()
        h.body_width = 0
        target = out / path.relative_to(src).with_suffix(".md")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(h.handle(path.read_text(encoding="utf-8", errors="replace")), encoding="utf-8")
"""


def build_corpus(corpus: Path, target: Path, n: int) -> list[Path]:
    """``n`` files made from the corpus, ``copyNNN/`` folders of it, each copy slightly altered."""
    sources = sorted(p for p in corpus.iterdir() if p.is_file() and not p.name.startswith("."))
    files = []
    for i in range(n):
        src = sources[i % len(sources)]
        copy = i // len(sources)
        folder = target / f"copy{copy:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        data = src.read_bytes()
        if copy:
            data = data.replace(b"</p>", f" ({copy})</p>".encode(), 1)
        path = folder / src.name
        path.write_bytes(data)
        files.append(path)
    return files


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one command run in a fresh measuring process."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:]); dt = time.perf_counter() - t; "
             "print(dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)")
    out = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    seconds, rss_kb = out.stdout.split()[-2:]
    return float(seconds), int(rss_kb) // 1024


def median_run(cmd: list[str], runs: int, clean: Path | None = None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(runs):
        if clean is not None:
            shutil.rmtree(clean, ignore_errors=True)
        seconds, peak = measure(cmd)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def pandoc_binary() -> str | None:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return shutil.which("pandoc")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pandoc-sample", type=int, default=100)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--keep", type=Path, help="build the scaled corpus here and keep it")
    a = ap.parse_args()
    work = a.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    src, out = work / "src", work / "out"
    shutil.rmtree(src, ignore_errors=True)
    files = build_corpus(a.corpus, src, a.docs)
    convert = str(BIN / "convert")
    rows: list[tuple[str, float, int]] = []

    def add(name: str, seconds: float, peak: int) -> None:
        rows.append((name, seconds, peak))
        print(f"  {name}: {seconds:.2f} s, {a.docs / seconds:.0f} docs/s, peak {peak} MB", file=sys.stderr)

    add("convert --to md", *median_run([convert, str(src), "--to", "md", "-o", str(out), "-q", "--force"], a.runs, out))
    add("convert --to txt", *median_run([convert, str(src), "--to", "txt", "-o", str(out), "-q", "--force"], a.runs, out))
    add("convert --to md --jobs 1",
        *median_run([convert, str(src), "--to", "md", "-o", str(out), "-q", "--force", "--jobs", "1"], a.runs, out))
    add("html2text loop", *median_run([sys.executable, "-c", HTML2TEXT_LOOP, str(src), str(out)], a.runs, out))
    pandoc = pandoc_binary()
    if pandoc:
        sample = files[:: max(1, len(files) // a.pandoc_sample)][: a.pandoc_sample]
        started = time.perf_counter()
        for path in sample:
            subprocess.run([pandoc, "-f", "html", "-t", "commonmark", str(path), "-o", os.devnull],
                           capture_output=True)
        per_file = (time.perf_counter() - started) / len(sample)
        add(f"pandoc per file (sample of {len(sample)}, extrapolated)", per_file * a.docs, 0)

    rate = {name: a.docs / seconds for name, seconds, _ in rows}
    print(f"\n{a.docs} documents, {os.cpu_count()} cores, median of {a.runs} runs "
          f"(pandoc: one run over the sample)\n")
    print("| command | seconds | docs/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|")
    for name, seconds, peak in rows:
        print(f"| {name} | {seconds:.2f} | {a.docs / seconds:.0f} | {peak or '–'} |")
    h2t = rate["html2text loop"]
    print(f"\nMarkdown, all cores / html2text: {rate['convert --to md'] / h2t:.2f}x (target >= 1.5)")
    print(f"Markdown, one job / html2text:   {rate['convert --to md --jobs 1'] / h2t:.2f}x (target >= 0.8)")
    pandoc_rows = [r for r in rate if r.startswith("pandoc")]
    if pandoc_rows:
        print(f"Markdown, all cores / pandoc:    {rate['convert --to md'] / rate[pandoc_rows[0]]:.1f}x (target >= 20)")
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
