#!/usr/bin/env python3
"""Where the time of ``--to docx`` goes: per file, in batch, and what one pandoc run could save.

usage: bench_pandoc.py [CORPUS_DIR] [--runs R] [--sample K] [--to FORMAT]

Times, each R times (median printed):

1. pandoc's own start-up: ``pandoc -f json -t plain`` on an empty document;
2. per document, in this process (documents parsed beforehand): building our JSON AST, and
   running pandoc on it (one process per document, as the writer does);
3. batching: the same K documents converted by *one* pandoc process through pandoc-server's
   ``/batch`` endpoint (``run_pandoc_batch``, as ``PandocWriter.write_many`` does), per document;
4. the command line per file: ``convert one.txt --to FORMAT -o out`` as a whole process, on
   K files, with ``--to md`` beside it to separate our start-up from pandoc's cost;
5. the command line in batch: ``convert DIR --to FORMAT -o OUT --force`` with all cores and
   with ``--jobs 1`` (one pandoc process per chunk of 16 files), and ``--to md`` and ``--to html``
   (our native writer) for comparison;
6. the same batch in this process (``convert_tree``) with pandoc's ``write_many`` and with the
   base class's: one pandoc process per chunk against one per file, with all cores and with one job.

The machine's load average is printed: the timings are only comparable on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from converter import convert_tree, parse
from converter.ast import Document, Meta
from converter.batch import default_jobs
from converter.writers.pandoc import (
    PandocWriter,
    run_pandoc,
    run_pandoc_batch,
    to_pandoc_json,
)

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "feeds"
CONVERT = Path(sys.executable).parent / "convert"


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def startup(runs: int) -> float:
    empty = json.dumps(to_pandoc_json(Document(Meta(), []))).encode()
    return median_of(runs, lambda: timed(lambda: run_pandoc(["-f", "json", "-t", "plain"], empty)))


def pandoc_args(fmt: str) -> list[str]:
    return ["--from", "json", "--to", fmt, "--standalone", "--wrap=preserve", "--output", "-"]


def per_document(docs: list[Document], fmt: str, runs: int) -> tuple[float, float]:
    """Seconds per document: building the JSON AST; running pandoc on it."""
    build = median_of(runs, lambda: timed(lambda: [to_pandoc_json(d, fmt) for d in docs]))
    data = [json.dumps(to_pandoc_json(d, fmt), ensure_ascii=False).encode() for d in docs]
    run = median_of(runs, lambda: timed(lambda: [run_pandoc(pandoc_args(fmt), x) for x in data]))
    return build / len(docs), run / len(docs)


def one_process(docs: list[Document], fmt: str, runs: int) -> float:
    """Seconds per document when one pandoc process converts them all (pandoc-server /batch)."""
    data = [json.dumps(to_pandoc_json(d, fmt), ensure_ascii=False).encode() for d in docs]

    def run() -> None:
        answers = run_pandoc_batch(fmt, data, timeout=600)
        assert all(answer is not None for answer in answers)

    return median_of(runs, lambda: timed(run)) / len(docs)


def in_process(corpus: Path, fmt: str, runs: int, out: Path, jobs: int, batched: bool) -> float:
    """Seconds for ``convert_tree`` over the corpus, with pandoc's ``write_many`` (one pandoc
    process per chunk) or with the base class's (one per file, as before it existed)."""
    saved = PandocWriter.write_many
    if not batched:
        del PandocWriter.write_many  # forked workers inherit the class as it is now
    try:
        return median_of(runs, lambda: timed(lambda: convert_tree(corpus, out / f"tree-{fmt}", fmt, jobs=jobs,
                                                                  force=True)))
    finally:
        PandocWriter.write_many = saved  # type: ignore[method-assign]


def cli_per_file(files: list[Path], fmt: str, runs: int, out: Path) -> float:
    def run() -> None:
        for i, src in enumerate(files):
            subprocess.run([str(CONVERT), str(src), "--to", fmt, "-o", str(out / f"{i}.{fmt}"), "-q"],
                           check=True, capture_output=True)

    return median_of(runs, lambda: timed(run)) / len(files)


def cli_batch(corpus: Path, fmt: str, runs: int, out: Path, jobs: int | None) -> float:
    command = [str(CONVERT), str(corpus), "--to", fmt, "-o", str(out / fmt), "--force", "-q"]
    if jobs:
        command += ["--jobs", str(jobs)]
    return median_of(runs, lambda: timed(lambda: subprocess.run(command, check=True, capture_output=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=40, help="documents for the per-file measurements")
    parser.add_argument("--to", default="docx", help="the pandoc format to measure")
    args = parser.parse_args()
    fmt = args.to

    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".txt", ".md") and p.name != "README.md")
    step = max(len(files) // args.sample, 1)
    sample = files[::step][:args.sample]
    docs = [parse(p.read_bytes(), path=str(p)) for p in sample]
    print(f"{len(files)} files in {args.corpus}; per-file figures on {len(sample)} of them; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start\n")

    rows: list[tuple[str, str]] = []
    rows.append(("pandoc start-up (empty document, json → plain)", f"{1000 * startup(10):.1f} ms"))
    build, run = per_document(docs, fmt, args.runs)
    rows.append(("our JSON AST, per document", f"{1000 * build:.2f} ms"))
    rows.append((f"pandoc → {fmt}, one process per document", f"{1000 * run:.1f} ms / document"))
    batched = one_process(docs, fmt, args.runs)
    rows.append((f"pandoc → {fmt}, one process for all {len(docs)} (pandoc-server /batch)",
                 f"{1000 * batched:.1f} ms / document ({100 * (1 - batched / run):.0f}% less)"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for each in (fmt, "md"):
            seconds = cli_per_file(sample, each, args.runs, out)
            rows.append((f"`convert one.txt --to {each}` (whole process)", f"{1000 * seconds:.0f} ms / file"))
        for each, jobs in ((fmt, None), (fmt, 1), ("html", None), ("md", None)):
            seconds = cli_batch(args.corpus, each, args.runs, out, jobs)
            label = f"`convert DIR --to {each} -o OUT`" + (" --jobs 1" if jobs else " (all cores)")
            rate = f"{seconds:.2f} s = {1000 * seconds / len(files):.1f} ms / file, {len(files) / seconds:.0f} files/s"
            rows.append((label, rate))
        warnings.simplefilter("ignore")
        for jobs in (default_jobs(), 1):
            per_file = in_process(args.corpus, fmt, args.runs, out, jobs, batched=False)
            per_chunk = in_process(args.corpus, fmt, args.runs, out, jobs, batched=True)
            rows.append((f"`convert_tree(DIR, --to {fmt})`, {jobs} job(s): one pandoc per file → per chunk",
                         f"{per_file:.2f} s → {per_chunk:.2f} s ({100 * (1 - per_chunk / per_file):.0f}% less)"))

    print("| measurement | median |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
