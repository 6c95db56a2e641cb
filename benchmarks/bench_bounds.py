#!/usr/bin/env python3
"""Time and peak memory of parse + render on hostile-sized inputs, for every writer.

usage: bench_bounds.py [--cases deep,para,paras] [--writers markdown,text,...] [--pandoc rst,docx]
                       [--json FILE]
       bench_bounds.py --worker CASE WRITER|all      (one measurement, printed as JSON)

The cases (see ``make_input``):

- ``deep``: 20,000 nested elements (``<div><span>`` repeated) around one sentence;
- ``para``: one paragraph of 15 MB of mostly Chinese text;
- ``paras``: 200,000 short paragraphs;
- ``table``: a table of 1,000 × 1,000 one-character cells (10 MB), the input that costs the
  most memory per byte (an AST node per ten bytes of markup).

Each (case, writer) pair runs in a fresh subprocess (``--worker``), which builds the input,
warms up (imports, the language model, the writer, so that one-off costs are not counted),
then measures parse + render: wall-clock time, and the growth of the resident set over what
the process held just before parsing (``VmHWM`` after resetting it through
``/proc/self/clear_refs``; Linux only, otherwise "n/a"). For pandoc's formats the pandoc
process is measured too (its peak RSS, from ``RUSAGE_CHILDREN``). Prints a Markdown table;
``--json`` also writes the figures to a file.

``--worker CASE all`` parses once and renders with each writer in turn, resetting the peak
before each: what ``tests/test_hostile.py`` runs to check the bounds. EPUB goes last: the
resident set does not shrink after a writer (freed memory stays with the process), so a
writer measured after EPUB would be charged with what EPUB's cover drawing left resident.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES = ("deep", "para", "paras", "table")
WRITERS = ("markdown", "text", "json", "html", "epub")  # in this order (see above)
PANDOC = ("rst", "docx")
#: Options per writer: the EPUB writer fetches nothing here.
OPTIONS: dict[str, dict[str, Any]] = {"epub": {"images": "none"}}
HEADER = "<!--1738414025000-->\n[{title}](https://news.example.org/zh/bench/{case})\n------\n"
DEEP_ELEMENTS = 20_000
PARA_BYTES = 15_000_000
PARAGRAPHS = 200_000
TABLE_SIDE = 1000


def make_input(case: str) -> bytes:
    """The document for ``case`` as UTF-8 bytes."""
    head = HEADER.format(title=f"边界测试：{case}", case=case)
    if case == "deep":
        half = DEEP_ELEMENTS // 2
        body = "<div><span>" * half + "最深处的文字 the deepest text" + "</span></div>" * half
    elif case == "para":
        unit = "这是一个很长的段落，用来测试十五兆字节的单个段落会不会拖垮转换器。Some English words, too. "
        size = len(unit.encode("utf-8"))
        body = "<p>" + unit * (PARA_BYTES // size + 1) + "</p>"
    elif case == "paras":
        body = "".join(f"<p>第{i}段：这是一个短段落。Paragraph {i}.</p>" for i in range(PARAGRAPHS))
    elif case == "table":
        body = "<table>" + ("<tr>" + "<td>x</td>" * TABLE_SIDE + "</tr>") * TABLE_SIDE + "</table>"
    else:
        raise SystemExit(f"unknown case {case!r}; choose from {', '.join(CASES)}")
    return (head + body).encode("utf-8")


# ---------------------------------------------------------------------------- one measurement


def _status(field: str) -> int | None:
    """A ``/proc/self/status`` figure in bytes (``VmRSS``, ``VmHWM``), or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Make ``VmHWM`` the current RSS; False where that cannot be done."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _warm_up(writers: list[str]) -> None:
    """Pay one-off costs before measuring: imports, the language model, each writer once."""
    import converter
    from converter.readers.language import latin_language

    latin_language("Ceci est un petit texte en français pour charger le modèle.")
    doc = converter.parse(make_input("deep")[:2000] + b"<p>warm up \xe6\x96\x87\xe5\xad\x97</p>")
    for writer in writers:
        converter.render(doc, writer, **OPTIONS.get(writer, {}))


def worker(case: str, writer: str) -> dict[str, Any]:
    """Measure parse + render of ``case`` with ``writer`` (``all``: each writer, one parse)."""
    import converter

    available = {info.name for info in converter.formats()}
    writers = [name for name in WRITERS if name in available] if writer == "all" else [writer]
    warnings.simplefilter("ignore")
    _warm_up(writers)
    data = make_input(case)
    gc.collect()
    measurable = _reset_peak()
    base = _status("VmRSS") if measurable else None
    result: dict[str, Any] = {"case": case, "input_bytes": len(data), "writers": {}}
    started = time.perf_counter()
    try:
        doc = converter.parse(data, path=f"{case}.txt")
    except Exception as exc:
        result["error"] = f"parse: {type(exc).__name__}: {exc}"
        return result
    result["parse_seconds"] = time.perf_counter() - started
    result["parse_peak_bytes"] = (_status("VmHWM") or 0) - base if base is not None else None
    for name in writers:
        gc.collect()
        if measurable:
            _reset_peak()
        began = time.perf_counter()
        entry: dict[str, Any] = {}
        try:
            out = converter.render(doc, name, **OPTIONS.get(name, {}))
            entry["output_bytes"] = len(out)
            del out
        except Exception as exc:
            entry["error"] = f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        entry["render_seconds"] = time.perf_counter() - began
        entry["peak_bytes"] = (_status("VmHWM") or 0) - base if base is not None else None
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        entry["child_peak_bytes"] = children or None
        result["writers"][name] = entry
    return result


# ---------------------------------------------------------------------------- the table


def run_worker(case: str, writer: str, timeout: float = 600) -> dict[str, Any]:
    """``worker(case, writer)`` in a fresh interpreter."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", case, writer]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"case": case, "error": f"took longer than {timeout:g} s", "writers": {}}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        return {"case": case, "error": tail[0], "writers": {}}
    return json.loads(done.stdout)


def _mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| case | input MB | writer | parse s | render s | total s | peak MB | peak / input | pandoc MB |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for result in results:
        size = result.get("input_bytes", 0)
        if "error" in result:
            lines.append(f"| {result['case']} | {_mb(size)} | | | | | | | failed: {result['error']} |")
            continue
        for name, entry in result["writers"].items():
            peak = entry.get("peak_bytes")
            ratio = "n/a" if peak is None else f"{peak / size:.1f}×"
            total = result["parse_seconds"] + entry["render_seconds"]
            child = _mb(entry.get("child_peak_bytes")) if name not in WRITERS else ""
            note = f" ({entry['error']})" if "error" in entry else ""
            lines.append(f"| {result['case']} | {_mb(size)} | {name}{note} | {result['parse_seconds']:.2f} | "
                         f"{entry['render_seconds']:.2f} | {total:.2f} | {_mb(peak)} | {ratio} | {child} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--writers", default=",".join(WRITERS))
    parser.add_argument("--pandoc", default=",".join(PANDOC), help="pandoc formats to measure too ('' for none)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    parser.add_argument("--worker", nargs=2, metavar=("CASE", "WRITER"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0
    import converter

    available = {info.name for info in converter.formats()}
    writers = [w for w in args.writers.split(",") + args.pandoc.split(",") if w and w in available]
    results = []
    for case in args.cases.split(","):
        for writer in writers:
            result = run_worker(case, writer)
            results.append(result)
            print(table([result]).splitlines()[-1], file=sys.stderr, flush=True)
    print(f"\n{sys.platform}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
