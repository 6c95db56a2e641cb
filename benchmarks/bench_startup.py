#!/usr/bin/env python3
"""Start-up time: whole-process runs of ``convert`` against ``python -c pass`` and pandoc.

usage: bench_startup.py [--runs N] [--python [LABEL=]PYTHON ...] [--terminal] [--small FILE] [--large FILE]

Each round runs every command once (so a slow minute on this shared machine slows every
command alike), in an order shuffled afresh each round (seeded, so runs repeat it): a command
run right after a heavier one is slower (measured: small -> md took 7-16 ms longer after
``convert --help`` than after a small conversion), and a fixed order would always charge that
to the same rows. The table gives the median of each command over the rounds, in
milliseconds:

- ``python -c pass``: the floor, with the interpreter given (its ``site`` start-up included);
- ``convert --version`` and ``convert --help``;
- one small and one large document to md, txt, json and epub (``--images none``), written
  to standard output (``-o -``) or, for epub, to a file in a scratch folder; and to md in a
  file (``-o FILE``), as a script converting a folder file by file does;
- pandoc (the binary ``pypandoc-binary`` ships) on the same documents: ``--version``, and the
  HTML body of each feed-HTML item (what follows its header) from ``html`` to ``commonmark``,
  ``plain`` and ``json``, in the rows for md, txt and json.

``--terminal`` runs every command with its standard error on a pseudo-terminal, as a user at
a shell runs it: the command then may draw a progress bar (and import rich for it), which it
does not do for a pipe.

``--python`` may be given more than once (e.g. ``--python before=/tmp/old/.venv/bin/python``
``--python after=.venv/bin/python``) to compare two installs in the same run; ``convert``
is the console script beside each interpreter, or ``PYTHON -m converter`` for every one if
any has none (the same form in every column: ``-m`` costs runpy's ~7 ms more than the script).
The ratios the project aims at (``convert --version`` <= 2x ``python -c pass``, one small
document to md <= 4x pandoc html->commonmark) follow the table.

The large document is the largest file of ``../shared/corpus/feeds`` unless ``--large``
names one; without the corpus those rows are skipped.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SMALL = ROOT / "examples" / "item.txt"
CORPUS = ROOT.parent / "shared" / "corpus" / "feeds"
FORMATS = ("md", "txt", "json", "epub")
#: pandoc's format for each of ours, when pandoc has one worth comparing.
PANDOC_FORMAT = {"md": "commonmark", "txt": "plain", "json": "json"}


def html_body(path: Path) -> str:
    """The HTML part of a feed-HTML item: what follows its front matter and header."""
    from converter.readers import header
    from converter.readers.decode import decode

    return header.split(decode(path.read_bytes())).body


def convert_commands(pythons: list[tuple[str, str]]) -> dict[str, list[str]]:
    """How each column runs ``convert``: the console script beside each interpreter if every
    one has it, else ``PYTHON -m converter`` for all, so that no column pays for runpy alone."""
    scripts = {label: Path(python).parent / "convert" for label, python in pythons}
    if all(script.exists() for script in scripts.values()):
        return {label: [str(script)] for label, script in scripts.items()}
    return {label: [python, "-m", "converter"] for label, python in pythons}


#: The commands run as a user's do: with Python's bytecode cache written and read (an
#: environment that turns it off would have every command compile its modules each time).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], terminal: bool = False) -> float:
    """Seconds ``argv`` takes, its standard error a pipe or (``terminal``) a pty, as at a shell."""
    if terminal:
        return _on_a_terminal(argv)
    started = time.perf_counter()
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          env=ENV, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr.decode(errors='replace')}")
    return elapsed


def _on_a_terminal(argv: list[str]) -> float:
    """:func:`run_once` with standard error on a pty (what is drawn there read as it comes)."""
    import pty
    import threading

    main, side = pty.openpty()
    shown = bytearray()

    def drain() -> None:
        try:
            while chunk := os.read(main, 4096):
                shown.extend(chunk)
        except OSError:  # the other side closed
            pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        started = time.perf_counter()
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=side, env=ENV,
                              check=False)
        elapsed = time.perf_counter() - started
    finally:
        os.close(side)
        reader.join(timeout=10)
        os.close(main)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{shown.decode(errors='replace')}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="rounds (each command once per round)")
    ap.add_argument("--python", action="append", metavar="[LABEL=]PYTHON",
                    help="interpreter whose convert is measured (repeatable; default: this one)")
    ap.add_argument("--terminal", action="store_true",
                    help="run each command with its standard error on a terminal (a pty), as at a shell, "
                         "where the command may draw a progress bar")
    ap.add_argument("--small", type=Path, default=SMALL)
    ap.add_argument("--large", type=Path, default=None)
    a = ap.parse_args()

    pythons: list[tuple[str, str]] = []
    for given in a.python or [sys.executable]:
        label, _, python = given.rpartition("=")
        pythons.append((label or f"convert {len(pythons) + 1}", python))
    if len(pythons) == 1 and not (a.python or [""])[0].partition("=")[1]:
        pythons = [("convert", pythons[0][1])]
    large = a.large
    if large is None and CORPUS.is_dir():
        large = max((p for p in CORPUS.iterdir() if p.is_file()), key=lambda p: p.stat().st_size, default=None)
    docs = [("small", a.small)] + ([("large", large)] if large is not None and large.is_file() else [])
    if len(docs) == 1:
        print(f"(no large document: {CORPUS} is absent; its rows are skipped)", file=sys.stderr)

    convert = convert_commands(pythons)
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    scratch = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        html_files = {}
        for name, path in docs:
            html_files[name] = scratch / f"{name}.html"
            html_files[name].write_text(html_body(path), encoding="utf-8")

        # rows: (row title, {column: argv})
        rows: list[tuple[str, dict[str, list[str]]]] = []
        rows.append(("python -c pass", {label: [py, "-c", "pass"] for label, py in pythons}))
        for flag in ("--version", "--help"):
            cols = {label: argv + [flag] for label, argv in convert.items()}
            if flag == "--version":
                cols["pandoc"] = [pandoc, "--version"]
            rows.append((f"convert {flag}", cols))
        for name, path in docs:
            size = path.stat().st_size
            for fmt in FORMATS:
                cols = {}
                for label, argv in convert.items():
                    out = "-" if fmt != "epub" else str(scratch / f"{label}-{name}.epub")
                    extra = ["--images", "none"] if fmt == "epub" else []
                    cols[label] = argv + [str(path), "--to", fmt, "-o", out] + extra
                if fmt in PANDOC_FORMAT:
                    cols["pandoc"] = [pandoc, "-f", "html", "-t", PANDOC_FORMAT[fmt], str(html_files[name])]
                rows.append((f"{name} ({size / 1024:.0f} KB) → {fmt}", cols))
            cols = {label: argv + [str(path), "--to", "md", "-o", str(scratch / f"{label}-{name}.md")]
                    for label, argv in convert.items()}
            cols["pandoc"] = [pandoc, "-f", "html", "-t", "commonmark", str(html_files[name]),
                              "-o", str(scratch / f"pandoc-{name}.md")]
            rows.append((f"{name} ({size / 1024:.0f} KB) → md file (-o FILE)", cols))

        for _title, cols in rows:  # a round not counted: bytecode cached, files in the page cache
            for argv in cols.values():
                run_once(argv, a.terminal)
        samples: dict[tuple[int, str], list[float]] = {}
        commands = [(i, col, argv) for i, (_title, cols) in enumerate(rows) for col, argv in cols.items()]
        for _round in range(a.runs):
            random.Random(_round).shuffle(commands)
            for i, col, argv in commands:
                samples.setdefault((i, col), []).append(run_once(argv, a.terminal))
            print(f"round {_round + 1}/{a.runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    median = {key: statistics.median(values) * 1000 for key, values in samples.items()}
    labels = [label for label, _ in pythons]
    columns = labels + ["pandoc"]
    where = ", standard error on a terminal" if a.terminal else ""
    if any(argv[1:] == ["-m", "converter"] for argv in convert.values()):
        where += ", convert run as PYTHON -m converter"
    print(f"Medians of {a.runs} runs{where}, milliseconds ({os.cpu_count()} cores, Python "
          f"{sys.version.split()[0]}; pandoc: --version, and html → commonmark/plain/json on the item's HTML body)")
    print()
    print("| command | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for i, (title, _cols) in enumerate(rows):
        cells = [f"{median[(i, c)]:.0f}" if (i, c) in median else "–" for c in columns]
        print(f"| {title} | " + " | ".join(cells) + " |")
    print()
    version = next(i for i, (t, _) in enumerate(rows) if t == "convert --version")
    small_md = next(i for i, (t, _) in enumerate(rows) if t.startswith("small") and t.endswith("→ md"))
    for label in labels:
        print(f"{label}: convert --version / python -c pass = {median[(version, label)] / median[(0, label)]:.2f}x "
              f"(target <= 2); small → md / pandoc html → commonmark = "
              f"{median[(small_md, label)] / median[(small_md, 'pandoc')]:.2f}x (target <= 4)")


if __name__ == "__main__":
    main()
