#!/usr/bin/env python3
"""Batch throughput and memory against html2text and pandoc, measured as whole processes.

usage: bench_batch.py [--docs N [N ...]] [--runs R] [--pandoc-sample K] [--corpus DIR] [--keep DIR]

For each size N (default 2,000 and 10,000), builds a copy of the corpus scaled to N documents
(each copy's text altered a little so no two files are identical), then times, as whole
processes, in R rounds (each round runs every command once, so that a change in the machine's
load hits all of them alike; medians reported):

- ``convert DIR --to md -o OUT`` and ``--to txt`` with the default number of jobs (all cores);
- the same to Markdown with ``--jobs 1``;
- html2text's library converting the same files in a loop, writing one output per input
  (what a user would script; run as ``python -c``);
- pandoc (pypandoc-binary's bundled binary) once per file on a sample of K files,
  extrapolated to N.

Memory, sampled every 20 ms from ``/proc`` (Linux): the peak resident set of the largest single
process, and the peak of the whole process tree's proportional set size (main process and
workers summed, the pages they share after ``fork`` counted once).
Incremental skipping is disabled with ``--force`` so every run converts everything. The
converter's bytecode is compiled first, as ``pip install`` does for an installed package (and
for html2text here): an editable install under ``PYTHONDONTWRITEBYTECODE`` would otherwise
compile every module at every start. Prints a Markdown table per size, the ratios against
the targets, and the load average: the figures only mean something on an otherwise idle
machine. Where the time goes inside one conversion: ``profile_convert.py``.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
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


def _memory_kb(root: int) -> tuple[int, int]:
    """``root``'s process tree: the largest resident set of one process, and the proportional
    set size of all of them summed (pages shared by forked workers counted once), in KB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    children.setdefault(int(fh.read().rsplit(b")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    largest = total = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                fields = dict(line.split()[:2] for line in fh.read().splitlines()[1:])
        except (OSError, ValueError):
            continue
        largest = max(largest, int(fields.get(b"Rss:", 0)))
        total += int(fields.get(b"Pss:", 0))
    return largest, total


def measure(cmd: list[str]) -> tuple[float, int, int]:
    """Wall seconds; peak resident memory in MB of the largest single process, and of all the
    command's processes together (PSS, sampled every 20 ms from ``/proc``; 0 without it)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    largest = total = 0
    while proc.poll() is None:
        if os.path.isdir("/proc"):
            one, together = _memory_kb(proc.pid)
            largest, total = max(largest, one), max(total, together)
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{err[-2000:]}")
    return seconds, largest // 1024, total // 1024


def pandoc_binary() -> str | None:
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return shutil.which("pandoc")


def run_size(a: argparse.Namespace, docs: int, work: Path) -> list[tuple[str, float, int, int]]:
    """Every command on ``docs`` documents, in rounds; the median time of each.

    Each command writes into a folder of its own, and no output is deleted until the end:
    ext4 passes over inodes freed in the last minute when it makes a file, so a command run
    right after 10,000 files were deleted spends much of its time in the kernel.
    """
    src = work / f"src{docs}"
    files = build_corpus(a.corpus, src, docs)
    convert = str(BIN / "convert")

    def command(name: str, out: Path) -> list[str]:
        common = [str(src), "-o", str(out), "-q", "--force"]
        return {
            "convert --to md": [convert, *common, "--to", "md"],
            "convert --to txt": [convert, *common, "--to", "txt"],
            "convert --to md --jobs 1": [convert, *common, "--to", "md", "--jobs", "1"],
            "html2text loop": [sys.executable, "-c", HTML2TEXT_LOOP, str(src), str(out)],
        }[name]

    names = ["convert --to md", "convert --to txt", "convert --to md --jobs 1", "html2text loop"]
    samples: dict[str, list[tuple[float, int, int]]] = {name: [] for name in names}
    for round_ in range(a.runs):
        for k, name in enumerate(names):
            samples[name].append(measure(command(name, work / "out" / f"{docs}-{round_}-{k}")))
            seconds, _, tree = samples[name][-1]
            print(f"  {docs} docs, round {round_ + 1}: {name}: {seconds:.2f} s, "
                  f"{docs / seconds:.0f} docs/s, all processes' peak {tree} MB PSS", file=sys.stderr)
    rows = [(name, statistics.median(s for s, _, _ in runs), max(p for _, p, _ in runs),
             max(t for _, _, t in runs)) for name, runs in samples.items()]
    pandoc = pandoc_binary()
    if pandoc and a.pandoc_sample:
        sample = files[:: max(1, len(files) // a.pandoc_sample)][: a.pandoc_sample]
        started = time.perf_counter()
        for path in sample:
            subprocess.run([pandoc, "-f", "html", "-t", "commonmark", str(path), "-o", os.devnull],
                           capture_output=True)
        per_file = (time.perf_counter() - started) / len(sample)
        rows.append((f"pandoc per file (sample of {len(sample)}, extrapolated)", per_file * docs, 0, 0))
    return rows


def print_table(docs: int, runs: int, rows: list[tuple[str, float, int, int]]) -> None:
    rate = {name: docs / seconds for name, seconds, _, _ in rows}
    print(f"\n{docs} documents, {os.cpu_count()} cores, median of {runs} rounds "
          f"(pandoc: one pass over the sample)\n")
    print("| command | seconds | docs/s | peak RSS, largest process (MB) | peak PSS, all processes (MB) |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds, peak, tree in rows:
        print(f"| {name} | {seconds:.2f} | {docs / seconds:.0f} | {peak or '–'} | {tree or '–'} |")
    h2t = rate["html2text loop"]
    # The targets of issue 16 (the earlier ones of the first batch issue were 1.5 and 0.8).
    print(f"\nMarkdown, all cores / html2text: {rate['convert --to md'] / h2t:.2f}x (target >= 2.5)")
    print(f"Markdown, one job / html2text:   {rate['convert --to md --jobs 1'] / h2t:.2f}x (target >= 1.5)")
    print(f"Plain text / Markdown, all cores: {rate['convert --to md'] / rate['convert --to txt']:.2f}x "
          "(target <= 1.3)")
    pandoc_rows = [r for r in rate if r.startswith("pandoc")]
    if pandoc_rows:
        print(f"Markdown, all cores / pandoc:    {rate['convert --to md'] / rate[pandoc_rows[0]]:.1f}x "
              "(target >= 20)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[2_000, 10_000],
                    help="corpus sizes to measure (default: 2000 10000)")
    ap.add_argument("--runs", type=int, default=5, help="rounds (default 5; medians reported)")
    ap.add_argument("--pandoc-sample", type=int, default=100)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--keep", type=Path, help="build the scaled corpora here and keep them")
    a = ap.parse_args()
    if importlib.util.find_spec("html2text") is None:  # its loop would fail at once, and look fast
        raise SystemExit("bench_batch.py compares with html2text: pip install -e '.[bench]'")
    work = a.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    compileall.compile_dir(ROOT / "converter", quiet=1)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = [(docs, run_size(a, docs, work)) for docs in a.docs]
    for docs, rows in results:
        print_table(docs, a.runs, rows)
    print(f"\nload average before: {load_before}; after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    shutil.rmtree(work / "out" if a.keep else work, ignore_errors=True)


if __name__ == "__main__":
    main()
