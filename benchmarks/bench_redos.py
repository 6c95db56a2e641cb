#!/usr/bin/env python3
"""Time every regular expression that runs on document text on its pathological input.

usage: bench_redos.py [--rounds N] [--timeout S] [--cases NAME,...]
       bench_redos.py --recipes [--timeout S] [--convert COMMAND]

The cases are those of ``tests/redos_cases.py`` (an input of about 100 KB per pattern, built
to make it backtrack as much as it can). Each runs ``--rounds`` times in a child process
that is killed after ``--timeout`` seconds; the table gives the median, or ``> S`` for a
case that did not finish, and whether the result was the expected one. The converter measured
is the one Python imports: ``PYTHONPATH=OTHER/CHECKOUT`` (run from outside this checkout)
measures another build on the same cases.

``--recipes`` writes the two documents of the ReDoS report (a byline of white space around one
letter, 4 KB; a title line of ``](`` repeated 20,000 times, 40 KB) and converts each with
``convert FILE --to md -o -`` as a separate process: wall-clock time and peak resident set
(``ru_maxrss`` of that process), or ``> S`` when it was stopped. ``--convert`` names the
command (default: this Python's ``-m converter``), e.g. an older build to compare with.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The cases come from this checkout; the converter is the one Python imports (PYTHONPATH can
# name another build to measure), else this checkout's. They are imported only to run them:
# a child's ru_maxrss is at least what its parent held when it forked, so --recipes measures
# from a process that has imported nothing big.
sys.path.insert(0, str(ROOT / "tests"))
sys.path.append(str(ROOT))

#: The two documents of the report, as reported.
RECIPES = {
    "byline (4 KB)": "<!--1738414025000-->\n[Title](https://news.example.org/a)\n------\n"
                     "<div><i>" + " " * 2000 + "a" + " " * 2000 + "<p>x</p>",
    "title line (40 KB)": "<!--1738414025000-->\n[" + "](" * 20_000 + "\n------\n<p>x</p>",
}


def bench_cases(names: list[str], rounds: int, timeout: float) -> None:
    """Print a Markdown table: each case's median time, or ``> timeout``, and its result."""
    from redos_cases import CASES, run_in_child

    print(f"{'case':<42} | {'pattern':<52} | {'median (ms)':>11} | result")
    print(f"{'-' * 42}-|-{'-' * 52}-|-{'-' * 11}-|-------")
    for case in CASES:
        if case.name not in names:
            continue
        measured = run_in_child(case.name, rounds, timeout)
        shown = f"> {timeout * 1000:.0f}" if measured is None else f"{measured.median * 1000:.2f}"
        result = "-" if measured is None else "right" if measured.correct else "WRONG"
        print(f"{case.name:<42} | {case.pattern:<52} | {shown:>11} | {result}", flush=True)


def run_recipe(command: list[str], path: Path, timeout: float) -> tuple[float, int | None, str]:
    """Seconds, peak RSS in KB (``None`` when stopped) and outcome of one conversion."""
    started = time.perf_counter()
    child = subprocess.Popen([*command, str(path), "--to", "md", "-o", "-"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            seconds = time.perf_counter() - started
            child.returncode = os.waitstatus_to_exitcode(status)
            return seconds, usage.ru_maxrss, f"exit {child.returncode}"
        if time.perf_counter() > deadline:
            child.kill()
            child.wait()
            return time.perf_counter() - started, None, "stopped"
        time.sleep(0.01)


def bench_recipes(command: list[str], timeout: float) -> None:
    print(f"command: {shlex.join(command)} FILE --to md -o -")
    print(f"{'document':<20} | {'seconds':>9} | {'peak RSS (MB)':>13} | outcome")
    print(f"{'-' * 20}-|-{'-' * 9}-|-{'-' * 13}-|--------")
    with tempfile.TemporaryDirectory() as folder:
        for name, text in RECIPES.items():
            path = Path(folder) / (name.split()[0] + ".txt")
            path.write_text(text, encoding="utf-8")
            seconds, peak, outcome = run_recipe(command, path, timeout)
            shown = f"> {timeout:.0f}" if peak is None else f"{seconds:.2f}"
            memory = "-" if peak is None else f"{peak / 1024:.0f}"
            print(f"{name:<20} | {shown:>9} | {memory:>13} | {outcome}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="runs per case (default 5); the median is shown")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case is stopped (default 60)")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--recipes", action="store_true", help="convert the two reported documents instead")
    parser.add_argument("--convert", help="the convert command for --recipes (default: this Python's -m converter)")
    args = parser.parse_args()
    if args.recipes:
        command = shlex.split(args.convert) if args.convert else [sys.executable, "-m", "converter"]
        bench_recipes(command, args.timeout)
        return
    from redos_cases import BY_NAME

    names = args.cases.split(",") if args.cases else list(BY_NAME)
    unknown = set(names) - set(BY_NAME)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    bench_cases(names, args.rounds, args.timeout)


if __name__ == "__main__":
    main()
