"""Faults during a batch: a full disk, a read-only folder, inputs deleted or changed while it
runs, a worker process killed. Each fault is reported for the files it hits and nothing else;
no partial output or temporary file is left; inputs are never touched; a rerun completes.

Faults are injected where the operating system would raise them (the file object a write
goes to, ``mkstemp``, the journal's ``open``), in this process with ``jobs=1`` (the batch then
runs in-process) or in forked workers, which inherit the patch.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import converter.batch.execution
import converter.batch.journal
import converter.files
from converter import convert_tree
from converter.batch import STATE_FILE, FileResult

if TYPE_CHECKING:
    from typing_extensions import Self

ROOT = Path(__file__).parents[1]
GOOD = (ROOT / "examples" / "item.txt").read_bytes()


def make_tree(root: Path, n: int) -> Path:
    """``n`` distinct documents ``doc000.txt`` … in one folder."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"doc{i:03d}.txt").write_bytes(GOOD.replace("城市图书馆".encode(), f"第{i}号图书馆".encode()))
    return root


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's content hash and modification time: inputs must never change."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir()) if p.is_file()}


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")} \
        if folder.is_dir() else {}


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.tmp")) if folder.is_dir() else []


def temporary_of(*names: str) -> Callable[[str], bool]:
    """Whether a temporary file (its path) is one of the outputs ``names``'s, by its name's tag."""
    prefixes = tuple(converter.files._temporary_prefix(name) for name in names)
    return lambda path: os.path.basename(path).startswith(prefixes)


def reference(src: Path, tmp_path: Path, fmt: str = "md") -> dict[str, bytes]:
    """What a fault-free batch writes."""
    report = convert_tree(src, tmp_path / "reference", fmt, jobs=1)
    assert report.ok
    return outputs(tmp_path / "reference")


def failed(report: converter.Report) -> dict[str, str]:
    return {r.source.name: r.error for r in report.failed}


class _FailingFile:
    """A file object whose writes raise ``error`` (what a full disk does to ``write``)."""

    def __init__(self, real: Any, error: OSError) -> None:
        self._real, self._error = real, error

    def write(self, data: Any) -> int:
        raise self._error

    def flush(self) -> None:
        self._real.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


def fail_output_writes(monkeypatch: pytest.MonkeyPatch, hit: Callable[[str], bool], error: OSError) -> None:
    """Writes to the temporary file of each output whose temporary path ``hit`` accepts raise ``error``."""
    real_mkstemp, real_fdopen = tempfile.mkstemp, os.fdopen
    paths: dict[int, str] = {}

    def mkstemp(*args: Any, **kw: Any) -> tuple[int, str]:
        fd, path = real_mkstemp(*args, **kw)
        paths[fd] = path
        return fd, path

    def fdopen(fd: int, *args: Any, **kw: Any) -> Any:
        real = real_fdopen(fd, *args, **kw)
        return _FailingFile(real, error) if hit(paths.pop(fd, "")) else real

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # files imports it when writing
    monkeypatch.setattr(converter.files.os, "fdopen", fdopen)


def no_space() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ---------------------------------------------------------------------------- a full disk


def test_a_full_disk_fails_only_the_files_it_hits_and_a_rerun_completes(monkeypatch: pytest.MonkeyPatch,
                                                                        tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 24)
    expected = reference(src, tmp_path)
    before = snapshot(src)
    out = tmp_path / "out"
    fail_output_writes(monkeypatch, temporary_of("doc003.md", "doc017.md"), no_space())
    report = convert_tree(src, out, "md", jobs=1)
    assert set(failed(report)) == {"doc003.txt", "doc017.txt"} and report.converted == 22
    for name, error in failed(report).items():
        assert "No space left on device" in error and "\n" not in error
        assert error.startswith(str(out / name.replace(".txt", ".md")))
    assert outputs(out) == {k: v for k, v in expected.items() if k not in ("doc003.md", "doc017.md")}
    assert temporaries(out) == [] and snapshot(src) == before
    monkeypatch.undo()  # the disk has room again
    rerun = convert_tree(src, out, "md", jobs=1)
    assert rerun.ok and rerun.converted == 2 and rerun.skipped == 22
    assert outputs(out) == expected and temporaries(out) == []


def test_a_full_disk_on_the_command_line_is_one_line_per_file(tmp_path: Path) -> None:
    """The same through ``convert``: a patched interpreter, the real command, its real stderr."""
    src = make_tree(tmp_path / "src", 3)
    out = tmp_path / "out"
    script = (
        "import errno, os, sys, converter.files as f\n"
        "real = os.replace\n"
        "def replace(a, b, *k, **kw):\n"
        "    if str(b).endswith('doc001.md'):\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(b))\n"
        "    return real(a, b, *k, **kw)\n"
        "f.os.replace = replace\n"
        "from converter.cli import run\n"
        "sys.argv = ['convert'] + sys.argv[1:]\n"
        "run()\n")
    done = subprocess.run([sys.executable, "-c", script, str(src), "--to", "md", "-o", str(out), "-j", "1"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("convert: error: ")]
    assert errors == [f"convert: error: {out / 'doc001.md'}: cannot be written (No space left on device)"]
    assert sorted(outputs(out)) == ["doc000.md", "doc002.md"] and temporaries(out) == []


class _Journal:
    """What the batch's ``open`` returns for its journal: ``error`` once the disk is "full"."""

    def __init__(self, real: Any, full: Callable[[], bool], error: OSError) -> None:
        self._real, self._full, self._error = real, full, error

    def write(self, data: str) -> int:
        if self._full():
            raise self._error
        return self._real.write(data)

    def flush(self) -> None:
        if self._full():
            raise self._error
        self._real.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._real.close()


@pytest.mark.parametrize("fault", ["ENOSPC", "EACCES", "journal is a folder"])
def test_a_journal_that_cannot_be_written_is_reported_not_raised(fault: str, monkeypatch: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    """The disk fills up after some outputs are written: their journal lines cannot be."""
    src = make_tree(tmp_path / "src", 20)
    expected = reference(src, tmp_path)
    out = tmp_path / "out"
    if fault == "journal is a folder":
        (out / STATE_FILE).mkdir(parents=True)
    else:
        error = OSError(getattr(errno, fault), os.strerror(getattr(errno, fault)))
        written = {"count": 0}

        def full() -> bool:
            return written["count"] >= 5

        real_open = open

        def batch_open(file: Any, *args: Any, **kw: Any) -> Any:
            handle = real_open(file, *args, **kw)
            if str(file).endswith(STATE_FILE) and "a" in (args[0] if args else kw.get("mode", "r")):
                return _Journal(handle, full, error)
            return handle

        real_replace = os.replace

        def replace(a: Any, b: Any, *args: Any, **kw: Any) -> None:
            if full() and not str(b).endswith(STATE_FILE):
                raise error
            real_replace(a, b, *args, **kw)
            written["count"] += 1

        monkeypatch.setattr(converter.batch.journal, "open", batch_open, raising=False)
        monkeypatch.setattr(converter.files.os, "replace", replace)
    report = convert_tree(src, out, "md", jobs=1)  # must not raise
    assert len(report.results) == 20 and all(r.error and "\n" not in r.error for r in report.failed)
    assert all(outputs(out)[name] == expected[name] for name in outputs(out))
    assert temporaries(out) == []
    monkeypatch.undo()
    if fault == "journal is a folder":
        (out / STATE_FILE).rmdir()
    rerun = convert_tree(src, out, "md", jobs=1)
    assert rerun.ok and outputs(out) == expected


# ---------------------------------------------------------------------------- a read-only folder


def test_a_read_only_output_folder_fails_each_file_with_the_reason(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """Simulated (root ignores permissions): ``mkstemp`` in the output folder is refused."""
    src = make_tree(tmp_path / "src", 5)
    before = snapshot(src)
    out = tmp_path / "out"
    out.mkdir()
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, dir: Any = None, **kw: Any) -> tuple[int, str]:
        if dir is not None and Path(dir) == out:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(dir))
        return real_mkstemp(*args, dir=dir, **kw)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # files imports it when writing
    report = convert_tree(src, out, "md", jobs=1)
    assert report.converted == 0 and len(report.failed) == 5
    assert all("cannot write here (Permission denied)" in e and "\n" not in e for e in failed(report).values())
    assert list(out.iterdir()) == [] and snapshot(src) == before
    monkeypatch.undo()
    assert convert_tree(src, out, "md", jobs=1).converted == 5


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root ignores file permissions; simulated in the test above")
def test_a_really_read_only_output_folder(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 3)
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        report = convert_tree(src, out, "md", jobs=1)
        assert report.converted == 0 and len(report.failed) == 3
        assert all("Permission denied" in e for e in failed(report).values())
    finally:
        out.chmod(stat.S_IRWXU)
    assert convert_tree(src, out, "md", jobs=1).converted == 3


def test_an_output_path_taken_by_a_folder_fails_that_file_only(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "out"
    (out / "doc002.md").mkdir(parents=True)
    report = convert_tree(src, out, "md", jobs=1)
    assert list(failed(report)) == ["doc002.txt"] and report.converted == 3
    assert "cannot be written" in failed(report)["doc002.txt"]
    assert (out / "doc002.md").is_dir() and temporaries(out) == []


def test_an_unreadable_input_is_reported_and_left_alone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 4)
    before = snapshot(src)
    real_open = os.open

    def os_open(file: Any, *args: Any, **kw: Any) -> int:
        if str(file).endswith("doc001.txt"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr(converter.files.os, "open", os_open)
    report = convert_tree(src, tmp_path / "out", "md", jobs=1)
    assert failed(report) == {"doc001.txt": f"{src / 'doc001.txt'}: cannot be read (Permission denied)"}
    assert snapshot(src) == before


# ---------------------------------------------------------------------------- inputs that change


def test_inputs_deleted_or_changed_during_a_batch(tmp_path: Path) -> None:
    """While the first chunk finishes, one input of a later chunk is deleted and another changed,
    and one already converted (not yet recorded) is changed: each is handled as what it now is."""
    src = make_tree(tmp_path / "src", 40)
    out = tmp_path / "out"
    changed = GOOD.replace("城市图书馆".encode(), "改过的图书馆，内容也更长了".encode())
    done: list[FileResult] = []

    def on_result(result: FileResult) -> None:
        if not done:
            (src / "doc030.txt").unlink()
            (src / "doc025.txt").write_bytes(changed)
            (src / "doc003.txt").write_bytes(changed)  # converted already, recorded after this
        done.append(result)

    report = convert_tree(src, out, "md", jobs=1, on_result=on_result)
    assert failed(report) == {"doc030.txt": f"{src / 'doc030.txt'}: no such file"}
    assert report.converted == 39 and len(done) == 40
    assert "改过的图书馆" in (out / "doc025.md").read_text(encoding="utf-8")
    assert "改过的图书馆" not in (out / "doc003.md").read_text(encoding="utf-8")
    assert not (out / "doc030.md").exists() and temporaries(out) == []
    rerun = convert_tree(src, out, "md", jobs=1)
    assert rerun.ok and [r.source.name for r in rerun.results if r.status == "converted"] == ["doc003.txt"]
    assert "改过的图书馆" in (out / "doc003.md").read_text(encoding="utf-8")
    assert rerun.skipped == 38


# ---------------------------------------------------------------------------- a worker killed


@pytest.mark.skipif(sys.platform == "win32" or "fork" not in __import__("multiprocessing").get_all_start_methods(),
                    reason="needs fork: workers inherit the patch that kills them")
@pytest.mark.parametrize("when", ["reading", "writing"])
def test_a_killed_worker_costs_only_its_file_and_a_rerun_completes(when: str, monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    """A worker dies (``os._exit``, as a kill or a crash in C would end it) on one file, while
    reading it or halfway through writing its output."""
    src = make_tree(tmp_path / "src", 40)
    expected = reference(src, tmp_path)
    before = snapshot(src)
    out = tmp_path / "out"
    parent = os.getpid()
    if when == "reading":
        real_read = converter.batch.execution.read_file

        def read_file(path: Any) -> Any:
            if os.getpid() != parent and Path(path).name == "doc020.txt":
                os._exit(9)
            return real_read(path)

        monkeypatch.setattr(converter.batch.execution, "read_file", read_file)
    else:
        real_fdopen = os.fdopen

        class _DiesMidway:
            def __init__(self, real: Any) -> None:
                self.real = real

            def write(self, data: bytes) -> int:
                self.real.write(data[: len(data) // 2])
                self.real.flush()
                os._exit(9)

            def __enter__(self) -> Self:
                return self

            def __exit__(self, *exc: object) -> None:
                self.real.close()

        def fdopen(fd: int, *args: Any, **kw: Any) -> Any:
            real = real_fdopen(fd, *args, **kw)
            target = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
            return _DiesMidway(real) if os.getpid() != parent and temporary_of("doc020.md")(target) else real

        monkeypatch.setattr(converter.files.os, "fdopen", fdopen)
    report = convert_tree(src, out, "md", jobs=2)  # must not raise
    assert len(report.results) == 40
    assert list(failed(report)) == ["doc020.txt"] and report.converted == 39
    assert "died" in failed(report)["doc020.txt"] and "\n" not in failed(report)["doc020.txt"]
    assert outputs(out) == {k: v for k, v in expected.items() if k != "doc020.md"}
    assert temporaries(out) == [], "a partial file was left behind"
    assert snapshot(src) == before
    monkeypatch.undo()
    rerun = convert_tree(src, out, "md", jobs=2)
    assert rerun.ok and rerun.converted == 1 and rerun.skipped == 39
    assert outputs(out) == expected and temporaries(out) == []


def test_an_output_folder_removed_between_writes_is_made_again(tmp_path: Path) -> None:
    """A process remembers the folders it made (to spare a ``mkdir`` per file); one deleted
    behind its back is made again, not reported as missing."""
    from converter.files import write_atomic

    folder = tmp_path / "a" / "b"
    write_atomic(folder / "one.md", "one")
    shutil.rmtree(tmp_path / "a")
    write_atomic(folder / "two.md", "two")
    assert (folder / "two.md").read_text(encoding="utf-8") == "two" and temporaries(folder) == []
