"""Archives on Dask: a partitioned Parquet dataset from a bag of paths, and a batch run on a real
cluster (a ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import FEEDS, GATE_WRITES
from test_datasets import GOOD, make_tree

from converter import convert_dataset, convert_tree
from converter.batch import dataset as batch_dataset
from converter.batch.cluster import parquet_dataset
from converter.batch.execution import CHUNK

pytest.importorskip("dask.dataframe")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")


def test_an_archive_becomes_a_partitioned_dataset_equal_to_the_parquet_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "src", 11, bad=(4,))
    made: list[str] = []
    real_row = batch_dataset._row

    def counted(writer: object, source: str, previous: str) -> object:
        made.append(source)
        return real_row(writer, source, previous)  # type: ignore[arg-type]

    monkeypatch.setattr("converter.batch.cluster._row", counted)
    failed = parquet_dataset(tmp_path / "src", tmp_path / "ds", partition_size=4, scheduler="sync")
    assert [r.source.name for r in failed] == ["doc00004.txt"] and "is empty" in failed[0].error
    assert sorted(made) == sorted(str(p) for p in (tmp_path / "src").rglob("*.txt")), "each document once"
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == ["part.0.parquet", "part.1.parquet",
                                                                     "part.2.parquet"]
    convert_dataset(tmp_path / "src", tmp_path / "one.parquet", "parquet", jobs=1)
    dataset, one = pq.read_table(tmp_path / "ds"), pq.read_table(tmp_path / "one.parquet")
    assert dataset.num_rows == 10 and dataset.equals(one) and dataset.schema.equals(one.schema)


def test_partition_on_a_column_and_the_default_scheduler(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 4)
    (tmp_path / "src" / "en.txt").write_bytes(
        b"<!--1738414025000-->\n[An English title](https://example.org/a)\n------\n\n"
        b"<p>This is an English paragraph, long enough for the language to be told apart.</p>\n")
    assert GOOD
    failed = parquet_dataset(tmp_path / "src", tmp_path / "ds", partition_on=["language"])
    assert failed == []
    assert sorted(p.name for p in (tmp_path / "ds").iterdir()) == ["language=en", "language=zh-Hans"]
    table = pq.read_table(tmp_path / "ds")
    assert table.num_rows == 5


# ---------------------------------------------------------------------------- a real cluster

DASK = Path(sys.executable).parent / "dask"
#: Loaded by a worker (``dask worker --preload``) that is to be caught in the middle of writing:
#: every output write stops halfway, makes ``$GATE.ready.<pid>`` and waits for ``$GATE.go``.
GATED = GATE_WRITES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, gated: int = 0) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A ``dask scheduler`` and two single-threaded ``dask worker`` processes on 127.0.0.1, the
    first ``gated`` of them halting every write at ``tmp_path/gate`` (see :data:`GATED`)."""
    address = f"tcp://127.0.0.1:{free_port()}"
    preload = tmp_path / "gated_worker.py"
    preload.write_text(GATED)
    env = {**os.environ, "GATE": str(tmp_path / "gate")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                               "--no-dashboard"], **quiet)]  # type: ignore[call-overload]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--host",
                 "127.0.0.1", *(["--preload", str(preload)] if i < gated else [])], **quiet))  # type: ignore[call-overload]
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, procs[1:]
    finally:
        for proc in reversed(procs):
            proc.kill()
            proc.wait(timeout=30)


def archive(tmp_path: Path) -> Path:
    """The corpus where it is, else documents of our own."""
    if FEEDS:
        return FEEDS[0].parent
    make_tree(tmp_path / "src", 120)
    return tmp_path / "src"


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def journal(folder: Path) -> set[str]:
    return set((folder / ".converter-state.jsonl").read_text(encoding="utf-8").splitlines())


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "converter", *args], capture_output=True, text=True,
                          timeout=600, check=False)


def test_a_cluster_gives_the_outputs_of_a_local_run(tmp_path: Path) -> None:
    src = archive(tmp_path)
    local = cli(str(src), "--to", "md", "-o", str(tmp_path / "local"), "--jobs", "2")
    cli(str(src), "--to", "jsonl", "-o", str(tmp_path / "local.jsonl"), "--jobs", "2")
    with dask_cluster(tmp_path) as (address, _):
        done = cli(str(src), "--to", "md", "-o", str(tmp_path / "dask"), "--cluster", address)
        assert done.returncode == local.returncode == 0, done.stderr
        data = cli(str(src), "--to", "jsonl", "-o", str(tmp_path / "dask.jsonl"), "--cluster", address)
        assert data.returncode == 0, data.stderr
        with distributed.Client(address) as client:
            report = convert_tree(src, tmp_path / "library", "md", executor=client.get_executor())
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local") == outputs(tmp_path / "library")
    assert journal(tmp_path / "dask") == journal(tmp_path / "local")  # the same lines, in the order chunks came
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert report.ok and report.converted == len(outputs(tmp_path / "local"))
    rerun = cli(str(src), "--to", "md", "-o", str(tmp_path / "dask"), "--cluster", "local:1")
    assert rerun.returncode == 0 and " 0 converted" in rerun.stderr


def wait_for(condition: object, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def halted(gate: Path) -> int:
    return len(list(gate.parent.glob(f"{gate.name}.ready.*")))


def test_a_worker_killed_mid_write_costs_only_its_chunk(tmp_path: Path) -> None:
    """The first worker stops halfway through its first output and is killed there: Dask runs
    its chunk again on the other worker, the outputs are those of a local run, and the
    temporary the dead worker left is removed."""
    make_tree(tmp_path / "src", 6 * CHUNK)
    cli(str(tmp_path / "src"), "--to", "md", "-o", str(tmp_path / "local"), "--jobs", "1")
    with dask_cluster(tmp_path, gated=1) as (address, workers):
        proc = subprocess.Popen([sys.executable, "-m", "converter", str(tmp_path / "src"), "--to", "md", "-o",
                                 str(tmp_path / "dask"), "--cluster", address], stderr=subprocess.PIPE, text=True)
        wait_for(lambda: halted(tmp_path / "gate") == 1)
        assert list((tmp_path / "dask").rglob(".converter-*.tmp")), "halfway through a write"
        os.kill(workers[0].pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert outputs(tmp_path / "dask") == outputs(tmp_path / "local")
    assert not list((tmp_path / "dask").rglob(".converter-*.tmp"))


def test_ctrl_c_cancels_the_tasks_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C while both workers are halfway through an output: the command exits 130 at once,
    the tasks not started are cancelled, and what was being written is finished whole."""
    make_tree(tmp_path / "src", 12 * CHUNK)
    with dask_cluster(tmp_path, gated=2) as (address, _):
        proc = subprocess.Popen([sys.executable, "-m", "converter", str(tmp_path / "src"), "--to", "md", "-o",
                                 str(tmp_path / "dask"), "--cluster", address], stderr=subprocess.PIPE, text=True)
        wait_for(lambda: halted(tmp_path / "gate") == 2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "(interrupted)" in err and "Traceback" not in err
        (tmp_path / "gate.go").touch()
        with distributed.Client(address) as client:
            wait_for(lambda: not any(client.processing().values()), 60)
        time.sleep(0.5)
    written = outputs(tmp_path / "dask")
    assert 2 <= len(written) <= 2 * CHUNK, "only the two chunks under way"
    assert not list((tmp_path / "dask").rglob(".converter-*.tmp"))
