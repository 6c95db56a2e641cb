#!/usr/bin/env python3
"""Datasets and Dask at archive scale: what a document costs, as whole processes.

usage: bench_scale.py [--docs N [N ...]] [--corpus DIR] [--tasks K]

For the corpus itself and copies of it scaled to each N (default 2,000 and 10,000; see
``bench_batch.build_corpus``), runs once each, with ``--force`` so everything is converted:

- ``convert DIR --to md -o OUT`` (files, all cores), ``--to jsonl`` and ``--to parquet``
  (all cores, and ``--jobs 1`` for the cost of a document on one core);
- ``--to jsonl`` again without ``--force``: a rerun that keeps every row (inputs hashed only);
- ``--to md --cluster tcp://…`` on a ``dask scheduler`` and two single-threaded ``dask worker``
  processes started beforehand (their start is not counted; their memory is not in the table);
- ``converter.batch.cluster.parquet_dataset`` through the same cluster.

Memory as ``bench_batch.measure`` samples it (the largest process's peak RSS, and the whole
process tree's peak PSS). Also measures the Dask scheduler's own cost per task: K tasks that do
nothing, submitted through the client's executor as the batch submits its chunks. Checks that
each dataset has one row per document. Needs the ``dask`` extra.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_batch import (  # after the path is set
    BIN,
    DEFAULT_CORPUS,
    build_corpus,
    measure,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_cluster() -> tuple[str, list[subprocess.Popen[bytes]]]:
    import distributed

    address = f"tcp://127.0.0.1:{free_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                               address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)]  # type: ignore[call-overload]
    for _ in range(2):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                                       "--no-dashboard", "--host", "127.0.0.1"], **quiet))  # type: ignore[call-overload]
    with distributed.Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    return address, procs


def task_overhead(address: str, tasks: int) -> float:
    """Seconds per task of the scheduler's round trip: ``tasks`` chunks of 16 jobs that do
    nothing, submitted through the executor a few per worker ahead, as the batch does."""
    from concurrent.futures import FIRST_COMPLETED, wait

    import distributed

    chunk = [("/nowhere/input.txt", "/nowhere/output.md", None)] * 16
    with distributed.Client(address) as client:
        executor = client.get_executor(pure=False)
        started = time.perf_counter()
        running: set = set()
        for _ in range(tasks):
            if len(running) >= 8:
                _, running = wait(running, return_when=FIRST_COMPLETED)
            running.add(executor.submit(len, chunk))
        wait(running)
        return (time.perf_counter() - started) / tasks


def cpu_seconds(pids: list[int]) -> float:
    """CPU seconds (user and system) used so far by this process's waited-for children and by
    the processes ``pids`` (the Dask cluster, which is not ours to wait for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = usage.ru_utime + usage.ru_stime
    for pid in pids:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run(cmd: list[str], cluster: list[int]) -> dict[str, float]:
    """Wall and CPU seconds (the command's processes, and the cluster's), peak memory in MB."""
    before = cpu_seconds(cluster)
    seconds, largest, together = measure(cmd)
    return {"seconds": seconds, "cpu": cpu_seconds(cluster) - before, "rss_mb": largest, "pss_mb": together}


DASK_DATASET = ("import sys, distributed\nfrom converter.batch.cluster import parquet_dataset\n"
                "with distributed.Client(sys.argv[1]):\n    parquet_dataset(sys.argv[2], sys.argv[3])\n")


def rows_of(path: Path) -> int:
    if path.suffix == ".jsonl":
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--tasks", type=int, default=2000)
    a = parser.parse_args()
    convert = str(BIN / "convert")
    address, procs = start_cluster()
    results: dict[str, object] = {"load": os.getloadavg(), "per_task_seconds": task_overhead(address, a.tasks)}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            sizes: list[tuple[int, Path]] = [(len([p for p in a.corpus.iterdir() if p.is_file()]), a.corpus)]
            for n in a.docs:
                build_corpus(a.corpus, work / f"src{n}", n)
                sizes.append((n, work / f"src{n}"))
            for n, src in sizes:
                out = work / f"out{n}"
                commands = {
                    "md": [convert, str(src), "--to", "md", "-o", str(out / "md"), "--force"],
                    "jsonl": [convert, str(src), "--to", "jsonl", "-o", str(out / "a.jsonl"), "--force"],
                    "parquet": [convert, str(src), "--to", "parquet", "-o", str(out / "a.parquet"), "--force"],
                    "jsonl, --jobs 1": [convert, str(src), "--to", "jsonl", "-o", str(out / "b.jsonl"), "--force",
                                        "-j", "1"],
                    "parquet, --jobs 1": [convert, str(src), "--to", "parquet", "-o", str(out / "b.parquet"),
                                          "--force", "-j", "1"],
                    "jsonl rerun (rows kept)": [convert, str(src), "--to", "jsonl", "-o", str(out / "a.jsonl")],
                    "md --cluster (2 Dask workers)": [convert, str(src), "--to", "md", "-o", str(out / "dask"),
                                                      "--force", "--cluster", address],
                }
                table = {}
                cluster = [proc.pid for proc in procs]
                commands["parquet_dataset on Dask"] = [sys.executable, "-c", DASK_DATASET, address, str(src),
                                                       str(out / "dataset")]
                for name, cmd in commands.items():
                    got = run(cmd, cluster)
                    table[name] = {"seconds": round(got["seconds"], 2),
                                   "ms_per_doc": round(1000 * got["seconds"] / n, 3),
                                   "cpu_ms_per_doc": round(1000 * got["cpu"] / n, 3), "rss_mb": got["rss_mb"],
                                   "pss_mb": got["pss_mb"]}
                    print(name, n, table[name], file=sys.stderr, flush=True)
                table["rows"] = {name: rows_of(out / name) for name in ("a.jsonl", "b.jsonl", "a.parquet",
                                                                          "b.parquet")}
                table["bytes"] = {name: (out / name).stat().st_size for name in ("a.jsonl", "a.parquet")}
                results[str(n)] = table
                print(json.dumps({n: table}, indent=1), flush=True)
    finally:
        for proc in reversed(procs):
            proc.kill()
            proc.wait()
    results["load_after"] = os.getloadavg()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
