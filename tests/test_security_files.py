"""What an input folder can hold against the converter, and what it does about each.

Special files (a FIFO, links to endless devices), stdin beyond the size cap, symbolic links
leading out of the folder: each recipe is run as a user would run it (the ``convert`` command
in a subprocess, with a time limit and, where memory is at stake, an address-space limit) or
through the library, and the promise of SECURITY.md it proves is named in each test.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import HALTED, halted

from converter import (
    InputError,
    OutputError,
    Report,
    convert_file,
    convert_tree,
    files,
    read_file,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs, devices and POSIX symbolic links")

ROOT = Path(__file__).parents[1]
GOOD = (ROOT / "examples" / "item.txt").read_bytes()
#: Address space a converter process is given where a recipe would make it grow without bound:
#: far above what it needs (an input at the cap, 256 MiB, and the interpreter), far below
#: what the recipes cost without the checks (several GB).
MEMORY_LIMIT = 1 << 30
#: Run ``python -m converter`` with ``MEMORY_LIMIT`` as its address-space limit.
LIMITED = (f"import resource, runpy, sys; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT},) * 2); "
           "sys.argv = ['convert'] + sys.argv[1:]; runpy.run_module('converter', run_name='__main__')")


def convert(*args: str | os.PathLike[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The ``convert`` command with limited memory; a hang fails the test after ``timeout``."""
    return subprocess.run([sys.executable, "-c", LIMITED, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, check=False)


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail, instead of hanging, when what runs in this process blocks for ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def doc(title: str) -> bytes:
    """A good document, told apart from the others by its title."""
    return GOOD.replace("城市图书馆".encode(), title.encode())


def errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("convert: error: ")]


def warnings_of(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("convert: warning: ")]


def converted(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name[0] != ".")


# ---------------------------------------------------------------------------- special files (item 5)


def test_a_fifo_in_a_folder_is_reported_and_the_batch_goes_on(tmp_path: Path) -> None:
    """A FIFO named like a document used to hang the batch in ``open`` (nothing written)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(GOOD)
    os.mkfifo(src / "x.txt")
    out = tmp_path / "out"
    result = convert(src, "--to", "md", "-o", out, "-j", "1", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert errors(result.stderr) == [f"convert: error: {src / 'x.txt'}: is not a regular file (a FIFO)"]
    assert converted(out) == ["a.md"] and (out / ".converter-state.jsonl").exists()


def test_a_fifo_named_on_the_command_line_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "news.txt"
    os.mkfifo(fifo)
    result = convert(fifo, "--to", "md", timeout=60)
    assert result.returncode == 1
    assert result.stderr == f"convert: error: {fifo}: is not a regular file (a FIFO)\n"
    with deadline(30), pytest.raises(InputError, match="is not a regular file \\(a FIFO\\)"):
        read_file(fifo)  # no writer: an open that blocks never returns


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_links_to_endless_devices_are_refused_without_reading_them(device: str, tmp_path: Path) -> None:
    """A link to ``/dev/zero`` claims a size of 0, so the size check before reading let it
    through, and reading it ended in a ``MemoryError`` at 2.7 GB. Followed (``--follow-symlinks``,
    or named on the command line), it is refused on the kind of file it leads to."""
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(GOOD)
    (src / "endless.txt").symlink_to(device)
    expected = f"{src / 'endless.txt'}: is not a regular file (a character device)"
    result = convert(src / "endless.txt", "--to", "md", "-o", "-")
    assert (result.returncode, result.stdout, result.stderr) == (1, "", f"convert: error: {expected}\n")
    result = convert(src, "--to", "md", "-o", tmp_path / "out", "--follow-symlinks", "-j", "1")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert errors(result.stderr) == [f"convert: error: {expected}"] and converted(tmp_path / "out") == ["a.md"]


def test_the_cap_holds_whatever_size_a_file_claims(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``/proc`` files are regular files that claim a size of 0 and hold more: the cap is
    counted on what is read, not on what the file says."""
    monkeypatch.setattr(files, "MAX_INPUT_BYTES", 64)
    at_cap, over = tmp_path / "at_cap.txt", tmp_path / "over.txt"
    at_cap.write_bytes(b"x" * 64)
    over.write_bytes(b"x" * 65)
    assert files.read_input(str(at_cap)) == b"x" * 64
    with pytest.raises(InputError, match="inputs over"):
        files.read_input(str(over))
    status = "/proc/self/status"
    if not os.path.exists(status) or os.path.getsize(status) != 0:
        pytest.skip("no /proc file claiming a size of 0")
    with pytest.raises(InputError, match=f"^{status}: holds more than .* inputs over .* are refused$"):
        read_file(status)


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as fh:  # sparse: 257 MiB claimed, nothing on disk
        fh.truncate(files.MAX_INPUT_BYTES + 2**20)
    with pytest.raises(InputError, match="is 257 MiB; inputs over 256 MiB are refused"):
        read_file(big)


def test_stdin_over_the_cap_is_refused_as_it_is_read(tmp_path: Path) -> None:
    """300 MB on stdin used to be read whole (5.25 GB at the peak); now reading stops one
    byte past the cap, within the memory limit."""
    proc = subprocess.Popen([sys.executable, "-c", LIMITED, "-", "--to", "md", "-o", "-"], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    chunk = b"<p>" + b"a" * (2**20 - 7) + b"</p>\n"
    with contextlib.suppress(BrokenPipeError):
        for _ in range(300):  # 300 MiB, unless the converter stops reading first
            proc.stdin.write(chunk)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    stderr, stdout = proc.stderr.read(), proc.stdout.read()  # a line at most: nothing waits on the other pipe
    assert proc.wait(timeout=120) == 1 and stdout == b""
    assert stderr.decode() == "convert: error: <stdin>: holds more than 256 MiB; inputs over 256 MiB are refused\n"


# ---------------------------------------------------------------------------- symbolic links (item 19)


@pytest.fixture
def linked(tmp_path: Path) -> Path:
    """A folder with links inside it and links leading out of it (to a file and a folder)."""
    src, outside = tmp_path / "src", tmp_path / "outside"
    for folder in (src / "sub", src / ".store", outside):
        folder.mkdir(parents=True)
    (src / "a.txt").write_bytes(doc("甲馆"))
    (src / "sub" / "b.txt").write_bytes(doc("乙馆"))
    (src / ".store" / "c.txt").write_bytes(doc("丙馆"))
    (outside / "secret.txt").write_bytes(doc("秘密"))
    (src / "same.txt").symlink_to("a.txt")  # inside: followed
    (src / "store").symlink_to(".store", target_is_directory=True)  # inside: followed
    (src / "subdir").symlink_to("sub", target_is_directory=True)  # inside, but walked already as sub
    (src / "escape.txt").symlink_to(outside / "secret.txt")  # outside: not followed
    (src / "away").symlink_to(outside, target_is_directory=True)  # outside: not followed
    return src


def skipped(report: Report) -> dict[str, str]:
    return {r.source.name: r.error for r in report.results if r.status == "skipped"}


def test_links_leaving_the_folder_are_skipped_and_reported_once(linked: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = convert_tree(linked, out, "md", jobs=1)
    assert converted(out) == ["a.md", "same.md", "store/c.md", "sub/b.md"]
    assert report.ok and report.converted == 4 and sorted(skipped(report)) == ["away", "escape.txt", "subdir"]
    assert skipped(report)["escape.txt"] == (
        f"{linked / 'escape.txt'}: is a symbolic link to {tmp_path / 'outside' / 'secret.txt'}, outside {linked}; "
        "not followed (--follow-symlinks follows it)")
    assert skipped(report)["subdir"] == (f"{linked / 'subdir'}: is the folder {linked / 'sub'} again "
                                         "(symbolic links lead to both); not followed")
    assert all("秘密" not in p.read_text(encoding="utf-8") for p in out.rglob("*.md"))
    result = convert(linked, "--to", "md", "-o", tmp_path / "cli", "-j", "1")
    assert result.returncode == 0 and errors(result.stderr) == []
    assert [w.split(": is ")[0] for w in warnings_of(result.stderr)] == \
        [f"convert: warning: {linked / name}" for name in ("away", "escape.txt", "subdir")]
    assert "4 converted, 3 skipped, 0 failed" in result.stderr


def test_follow_symlinks_everywhere_or_nowhere(linked: Path, tmp_path: Path) -> None:
    everywhere = convert(linked, "--to", "md", "-o", tmp_path / "all", "--follow-symlinks", "-j", "1")
    assert everywhere.returncode == 0 and len(warnings_of(everywhere.stderr)) == 1  # subdir, walked as sub
    assert converted(tmp_path / "all") == ["a.md", "away/secret.md", "escape.md", "same.md", "store/c.md",
                                           "sub/b.md"]
    nowhere = convert_tree(linked, tmp_path / "none", "md", jobs=1, follow_symlinks=False)
    assert converted(tmp_path / "none") == ["a.md", "sub/b.md"]
    assert sorted(skipped(nowhere)) == ["away", "escape.txt", "same.txt", "store", "subdir"]
    assert skipped(nowhere)["same.txt"].endswith("same.txt: is a symbolic link; not followed (--no-follow-symlinks)")
    result = convert(linked, "--to", "md", "-o", tmp_path / "cli", "--no-follow-symlinks", "-j", "1")
    assert result.returncode == 0 and len(warnings_of(result.stderr)) == 5
    assert converted(tmp_path / "cli") == ["a.md", "sub/b.md"]


def test_a_link_named_on_the_command_line_is_always_read(linked: Path, tmp_path: Path) -> None:
    result = convert(linked / "escape.txt", "--to", "md", "-o", tmp_path / "escape.md", "--no-follow-symlinks")
    assert result.returncode == 0, result.stderr
    assert "秘密" in (tmp_path / "escape.md").read_text(encoding="utf-8")
    (tmp_path / "link").symlink_to(linked, target_is_directory=True)  # a linked folder: its tree is the target's
    report = convert_tree(tmp_path / "link", tmp_path / "out", "md", jobs=1)
    assert report.converted == 4 and sorted(skipped(report)) == ["away", "escape.txt", "subdir"]


def test_a_broken_link_and_a_link_to_a_fifo_inside_the_folder(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    os.mkfifo(src / "pipe")
    (src / "fifo.txt").symlink_to("pipe")
    (src / "gone.txt").symlink_to("nothing-here.txt")
    with deadline(60):
        report = convert_tree(src, tmp_path / "out", "md", jobs=1)
    assert {r.source.name: r.error.split(": ", 1)[1] for r in report.failed} == {
        "fifo.txt": "is not a regular file (a FIFO)",
        "gone.txt": "is a symbolic link to nothing (its target is missing)"}


# ---------------------------------------------------------------------------- outputs that are inputs (item 14)


def test_an_output_folder_linked_to_the_input_folder_is_the_input_folder(tmp_path: Path) -> None:
    """``-o`` through a symbolic link to the input folder used to overwrite the inputs that
    have the output's extension: paths were compared as text."""
    for name in ("cli", "library"):
        src = tmp_path / name
        src.mkdir()
        (src / "note.md").write_bytes(doc("笔记"))
        (src / "other.txt").write_bytes(doc("其他"))
        (tmp_path / f"{name}-link").symlink_to(src, target_is_directory=True)
    result = convert(tmp_path / "cli", "--to", "md", "-o", tmp_path / "cli-link", "-j", "1")
    expected = (f"{tmp_path / 'cli' / 'note.md'}: its output {tmp_path / 'cli-link' / 'note.md'} is an input "
                f"({tmp_path / 'cli' / 'note.md'}); choose another output folder with -o")
    assert result.returncode == 1 and errors(result.stderr) == [f"convert: error: {expected}"]
    report = convert_tree(tmp_path / "library", tmp_path / "library-link", "md", jobs=1)
    assert [r.source.name for r in report.failed] == ["note.md"] and "is an input" in report.failed[0].error
    for name in ("cli", "library"):
        assert (tmp_path / name / "note.md").read_bytes() == doc("笔记")
        assert "其他" in (tmp_path / name / "other.md").read_text(encoding="utf-8")


def test_a_single_output_through_a_linked_folder_or_onto_a_link_target(tmp_path: Path) -> None:
    """One file with ``-o``: the output is refused when it is the input reached another way,
    or the file the input (a symbolic link) leads to."""
    src, elsewhere = tmp_path / "src", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    (src / "note.md").write_bytes(doc("笔记"))
    (tmp_path / "link").symlink_to(src, target_is_directory=True)
    (src / "alias.txt").symlink_to(elsewhere / "real.md")
    (elsewhere / "real.md").write_bytes(doc("真身"))
    for source, output in [(src / "note.md", tmp_path / "link" / "note.md"), (src / "alias.txt", elsewhere / "real.md")]:
        result = convert(source, "--to", "md", "-o", output)
        assert result.returncode == 1 and errors(result.stderr) == [result.stderr.strip()]
        assert "is an input" in result.stderr
        with pytest.raises(OutputError, match="would overwrite the input"):
            convert_file(source, "md", output)
    assert (src / "note.md").read_bytes() == doc("笔记") and (elsewhere / "real.md").read_bytes() == doc("真身")


# ---------------------------------------------------------------------------- temporary files (items 11 and 16)

def user_files(folder: Path) -> dict[str, bytes]:
    """Hidden files a user keeps in a folder, named like temporary files."""
    names = (".notes.tmp", ".draft.txt.tmp", ".a.md.x7k2p9q1.tmp")
    for name in names:
        (folder / name).write_text(f"mine: {name}", encoding="utf-8")
    return {name: (folder / name).read_bytes() for name in names}


def test_temporary_files_of_users_are_never_swept(tmp_path: Path) -> None:
    """The start-up sweep used to remove every hidden ``*.tmp`` of the output folders."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (src / "a.txt").write_bytes(GOOD)
    kept = {folder: user_files(folder) for folder in (src, out)}
    for args in ([src, "-o", out], [src]):  # into another folder, then beside the inputs
        result = convert(*args, "--to", "md", "-j", "1")
        assert result.returncode == 0, result.stderr
    for folder, files_ in kept.items():
        assert {name: (folder / name).read_bytes() for name in files_} == files_


def test_a_second_run_leaves_the_temporary_a_first_run_is_writing(tmp_path: Path) -> None:
    """Two runs into one output folder: the second one's sweep used to delete the first one's
    temporary in the middle of its write, and ``a.md`` was then missing."""
    one, two, out, gate = tmp_path / "one", tmp_path / "two", tmp_path / "out", tmp_path / "gate"
    one.mkdir()
    two.mkdir()
    (one / "a.txt").write_bytes(doc("甲馆"))
    (two / "b.txt").write_bytes(doc("乙馆"))
    first = subprocess.Popen([sys.executable, "-c", HALTED, str(one), "--to", "md", "-o", str(out), "-j", "1"],
                             cwd=ROOT, env={**os.environ, "GATE": str(gate)}, stderr=subprocess.PIPE, text=True)
    try:
        with deadline(60):
            while not halted(gate) and first.poll() is None:
                time.sleep(0.01)
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        halfway = [p.name for p in out.glob(".*.tmp")]
        second = convert(two, "--to", "md", "-o", out, "-j", "1")
        assert second.returncode == 0, second.stderr
        assert [p.name for p in out.glob(".*.tmp")] == halfway != []
    finally:
        Path(f"{gate}.go").touch()
        _, stderr = first.communicate(timeout=60)
    assert first.returncode == 0, stderr
    assert "甲馆" in (out / "a.md").read_text(encoding="utf-8") and "乙馆" in (out / "b.md").read_text(encoding="utf-8")
    assert list(out.glob(".*.tmp")) == []


def test_only_temporaries_no_live_writer_holds_are_swept(tmp_path: Path) -> None:
    """A temporary is locked while it is written: a sweep removes a dead process's (its lock
    went with it), never a live writer's, and never a file that is not ours."""
    mine = user_files(tmp_path)
    live_fd, live = files._temporary(str(tmp_path), "live.md")
    dies = "import os, sys, converter.files as f; print(f._temporary(sys.argv[1], 'dead.md')[1], flush=True); os._exit(9)"
    made = subprocess.run([sys.executable, "-c", dies, str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          timeout=60, check=False)
    dead = made.stdout.strip()
    assert made.returncode == 9 and os.path.exists(dead)
    try:
        files.remove_temporaries(str(tmp_path))
        assert os.path.exists(live) and not os.path.exists(dead)
    finally:
        os.close(live_fd)
    files.remove_temporaries(str(tmp_path))  # the writer is gone now
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(mine)


def test_a_temporary_swept_before_its_lock_is_made_again(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The one moment a live temporary is unlocked, between its creation and its lock: a sweep
    that takes it then unlinks it while holding the lock, and the writer, once it has the
    lock, sees the file gone and makes another."""
    real_mkstemp = tempfile.mkstemp
    swept: list[str] = []

    def mkstemp(*args: object, **kw: object) -> tuple[int, str]:
        fd, path = real_mkstemp(*args, **kw)  # type: ignore[call-overload]
        if not swept:
            files.remove_temporaries(str(tmp_path))  # another run's sweep, just then
            swept.append(path)
        return fd, path

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)  # files imports it when writing
    files.write_atomic(tmp_path / "a.md", "complete")
    assert swept and not os.path.exists(swept[0])
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"] and (tmp_path / "a.md").read_text() == "complete"


def test_without_locks_temporaries_are_swept_by_age(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Where there is no ``fcntl`` (Windows): a sweep removes what is older than
    ``STALE_SECONDS``; a dead worker's temporaries go at once, and only theirs."""
    monkeypatch.setattr(files, "fcntl", None)
    mine = user_files(tmp_path)
    paths = {}
    for name in ("recent.md", "old.md", "dead.md"):
        fd, paths[name] = files._temporary(str(tmp_path), name)
        os.close(fd)
    stale = time.time() - files.STALE_SECONDS - 60
    os.utime(paths["old.md"], (stale, stale))
    files.remove_temporaries(str(tmp_path))
    assert [name for name, path in paths.items() if os.path.exists(path)] == ["recent.md", "dead.md"]
    files.remove_temporaries(str(tmp_path), {"dead.md"})
    assert [name for name, path in paths.items() if os.path.exists(path)] == ["recent.md"]
    files.write_atomic(tmp_path / "x.md", "written without a lock")
    assert (tmp_path / "x.md").read_text() == "written without a lock"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*mine, os.path.basename(paths["recent.md"]), "x.md"])


def test_an_output_name_of_255_bytes_is_written(tmp_path: Path) -> None:
    """The temporary file was named after its output, so a name of 246 bytes or more had no
    room for it: ``File name too long`` for an output the file system takes."""
    src = tmp_path / "src"
    src.mkdir()
    stem = "长" * 82  # 246 bytes in UTF-8
    (src / f"{stem}.txt").write_bytes(GOOD)
    result = convert(src, "--to", "md", "-o", tmp_path / "out", "-j", "1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / f"{stem}.md").read_bytes().startswith(b"---\n")
    longest = "x" * 252 + ".md"
    files.write_atomic(tmp_path / longest, "255 bytes")
    assert (tmp_path / longest).read_text() == "255 bytes"


# ---------------------------------------------------------------------------- names that are not text (items 10 and 15)


def named(folder: Path, name: bytes, data: bytes) -> Path:
    """A file whose name is these bytes (skipped where the file system refuses them)."""
    path = os.path.join(os.fsencode(folder), name)
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        pytest.skip(f"this file system refuses the name {name!r}: {exc}")
    return Path(os.fsdecode(path))


def test_a_name_that_is_not_utf8_is_converted_journaled_and_skipped_next_time(tmp_path: Path) -> None:
    """``caf\\xe9.txt`` (Latin-1) used to crash every run at the journal with a traceback."""
    src, out = tmp_path / "src", tmp_path / "out"
    src.mkdir()
    named(src, b"caf\xe9.txt", GOOD)
    (src / "ok.txt").write_bytes(doc("好馆"))
    first = convert(src, "--to", "md", "-o", out, "--report", tmp_path / "r.json", "-j", "1")
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert sorted(os.listdir(os.fsencode(out))) == [b".converter-state.jsonl", b"caf\xe9.md", b"ok.md"]
    journal = (out / ".converter-state.jsonl").read_bytes().decode("utf-8")  # UTF-8 still
    assert sorted(json.loads(line)["output"] for line in journal.splitlines()) == [os.fsdecode(b"caf\xe9.md"), "ok.md"]
    rows = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"]
    assert sorted(row["input"] for row in rows) == [f"{src}/caf\\xe9.txt", f"{src}/ok.txt"]
    again = convert(src, "--to", "md", "-o", out, "-j", "1")
    assert again.returncode == 0 and "0 converted, 2 skipped, 0 failed" in again.stderr
    report = convert_tree(src, out, "md", jobs=1)
    assert report.skipped == 2 and report.converted == 0


@pytest.mark.parametrize("fmt", ["md", "txt", "json"])
def test_a_title_taken_from_a_name_that_is_not_utf8_is_text(fmt: str, tmp_path: Path) -> None:
    """A document without a header is titled after its file; ``t\\xe9st.txt`` gave a title
    holding a lone surrogate, which no writer could encode."""
    source = named(tmp_path, b"t\xe9st.txt", b"<p>Only a paragraph, and no header.</p>\n")
    result = convert(source, "--to", fmt, "-o", "-")
    assert result.returncode == 0, result.stderr
    assert "t\ufffdst" in result.stdout
    assert read_file(source).meta.title == "t\ufffdst"


HOSTILE_NAMES = {  # as created → as shown
    "evil\x1b]0;owned\x07.txt": "evil\\x1b]0;owned\\x07.txt",
    "red\x1b[31m.txt": "red\\x1b[31m.txt",
    "two\nconvert: 0 failed.txt": "two\\nconvert: 0 failed.txt",
    "back\rspace.txt": "back\\rspace.txt",
    "rlo\u202etxt.exe.txt": "rlo\\u202etxt.exe.txt",
}


def test_names_with_escape_sequences_and_line_breaks_are_shown_escaped(tmp_path: Path) -> None:
    """File names reached stderr and the report raw: an escape sequence for the terminal, a
    line break that forges a line. They are shown escaped, and errors still name the file."""
    src = tmp_path / "src"
    src.mkdir()
    for name in HOSTILE_NAMES:
        (src / name).write_bytes(b"")  # empty: each one fails, and is named
    result = convert(src, "--to", "md", "-o", tmp_path / "out", "--report", tmp_path / "r.csv", "-j", "1")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == len(HOSTILE_NAMES) + 1 and all(line.startswith("convert: ") for line in lines)
    assert not any(char in result.stderr for char in "\x1b\x07\r\u202e")
    assert sorted(errors(result.stderr)) == sorted(f"convert: error: {src}/{shown}: is empty"
                                                   for shown in HOSTILE_NAMES.values())
    report = (tmp_path / "r.csv").read_text(encoding="utf-8")
    assert not any(char in report for char in "\x1b\x07\u202e")
    rows = list(csv.DictReader(io.StringIO(report)))
    assert sorted(row["input"] for row in rows) == sorted(f"{src}/{shown}" for shown in HOSTILE_NAMES.values())
    assert report.count("\n") == len(HOSTILE_NAMES) + 1  # a line per row: no name breaks one


def test_printable_escapes_what_a_terminal_acts_on_and_nothing_else() -> None:
    assert files.printable("新闻/2024/a.txt") == "新闻/2024/a.txt"
    assert files.printable("a\tb\x00c\x7fd\x9be\u2028f") == "a\\tb\\x00c\\x7fd\\x9be\\u2028f"
    assert files.printable(os.fsdecode(b"caf\xe9.txt")) == "caf\\xe9.txt"
    assert files.printable("\ud800") == "\\ud800"


def test_a_list_of_files_may_name_files_that_are_not_utf8(tmp_path: Path) -> None:
    """``--files-from`` takes names as the file system does: bytes, not only UTF-8."""
    source = named(tmp_path, b"caf\xe9.txt", GOOD)
    listing = tmp_path / "list"
    listing.write_bytes(os.fsencode(source) + b"\n")
    (tmp_path / "other.txt").write_bytes(doc("其他"))
    result = convert(tmp_path / "other.txt", "--files-from", listing, "--to", "md", "-o", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(os.fsencode(tmp_path / "out"))) == [b"caf\xe9.md", b"other.md"]
