"""Batch conversion: failures, incremental reruns, interruption, collisions, reports, parallelism."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import HALTED, halted

from converter import convert_tree
from converter.batch import STATE_FILE
from converter.batch.execution import CHUNK

ROOT = Path(__file__).parents[1]
GOOD = (ROOT / "examples" / "item.txt").read_bytes()


def make_tree(root: Path, n: int, bad: tuple[int, ...] = ()) -> Path:
    """``n`` distinct documents in two folders; the ones numbered in ``bad`` are empty."""
    for i in range(n):
        folder = root / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        data = b"" if i in bad else GOOD.replace("城市图书馆".encode(), f"第{i}号图书馆".encode())
        (folder / f"doc{i:05d}.txt").write_bytes(data)
    return root


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "converter", *args], capture_output=True, text=True,
                          timeout=300, check=False, **kw)  # type: ignore[call-overload]


def test_bad_file_in_the_middle_is_reported_and_the_rest_converted(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 40, bad=(17,))
    report = convert_tree(src, tmp_path / "out", "md", jobs=2)
    assert report.converted == 39 and [r.source.name for r in report.failed] == ["doc00017.txt"]
    assert "doc00017.txt: is empty" in report.failed[0].error
    assert len(outputs(tmp_path / "out")) == 39


def test_second_run_converts_nothing_and_a_changed_option_reconverts(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 12)
    out = tmp_path / "out"
    assert convert_tree(src, out, "text").converted == 12
    again = convert_tree(src, out, "text")
    assert again.converted == 0 and again.skipped == 12
    wider = convert_tree(src, out, "text", width=40)
    assert wider.converted == 12
    assert convert_tree(src, out, "text", width=40, force=True).converted == 12


def test_a_changed_input_is_reconverted(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "out"
    convert_tree(src, out, "md")
    changed = src / "a" / "doc00001.txt"
    changed.write_bytes(GOOD.replace("城市图书馆".encode(), "改过的图书馆".encode()))
    report = convert_tree(src, out, "md")
    assert [r.source for r in report.results if r.status == "converted"] == [changed]
    assert "改过的图书馆" in (out / "a" / "doc00001.md").read_text(encoding="utf-8")


def test_deleted_output_is_converted_again(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "out"
    convert_tree(src, out, "md")
    (out / "b" / "doc00000.md").unlink()
    assert convert_tree(src, out, "md").converted == 1


def test_results_do_not_depend_on_the_number_of_jobs(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 50, bad=(3,))
    one = convert_tree(src, tmp_path / "one", "md", jobs=1)
    two = convert_tree(src, tmp_path / "two", "md", jobs=2)
    assert outputs(tmp_path / "one") == outputs(tmp_path / "two")
    assert [(r.source, r.status) for r in one.results] == [(r.source, r.status) for r in two.results]


def test_any_executor_can_be_brought(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 30)
    with ThreadPoolExecutor(3) as pool:
        report = convert_tree(src, tmp_path / "out", "text", executor=pool)
    assert report.converted == 30 and len(outputs(tmp_path / "out")) == 30


def test_collisions_are_reported_and_nothing_is_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_bytes(GOOD)
    (src / "a.txt").write_bytes(GOOD)
    (src / "b.txt").write_bytes(GOOD)
    report = convert_tree(src, tmp_path / "out", "json")
    failed = {r.source.name: r.error for r in report.failed}
    assert set(failed) == {"a.md", "a.txt"} and "same output" in failed["a.md"]
    assert outputs(tmp_path / "out").keys() == {"b.json"}


@pytest.mark.parametrize("same_hash", [False, True])
def test_collisions_across_trees_and_with_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 same_hash: bool) -> None:
    """Two folders mirrored into one output folder, a third converted beside itself. Paths
    are compared by hash, then by text: with every hash made equal, the same files are refused."""
    from converter import batch
    from converter.batch import planning

    if same_hash:
        monkeypatch.setattr(planning, "hash", lambda value: 0, raising=False)
    for folder, names in [("one", ["x.txt", "y.txt"]), ("two", ["x.txt", "z.txt"]), ("three", ["note.md", "other.txt"])]:
        (tmp_path / folder).mkdir()
        for name in names:
            (tmp_path / folder / name).write_bytes(GOOD)
    jobs = batch.Jobs()
    jobs.add_tree(tmp_path / "one", tmp_path / "out", ".md")
    jobs.add_tree(tmp_path / "two", tmp_path / "out", ".md")
    jobs.add_tree(tmp_path / "three", tmp_path / "three", ".md")
    plan = batch.plan(jobs)
    refused = {Path(r.source).relative_to(tmp_path).as_posix(): r.error for r in plan.problems}
    assert sorted(refused) == ["one/x.txt", "three/note.md", "two/x.txt"]
    assert f"as {tmp_path / 'two' / 'x.txt'};" in refused["one/x.txt"] and "is an input" in refused["three/note.md"]
    assert [Path(s).relative_to(tmp_path).as_posix() for s in plan.jobs.sources] == \
        ["one/y.txt", "two/z.txt", "three/other.txt"]
    assert [Path(o).relative_to(tmp_path).as_posix() for _, o, _ in plan.jobs] == \
        ["out/y.md", "out/z.md", "three/other.md"]


def test_a_batch_that_keeps_only_what_went_wrong_counts_everything(tmp_path: Path) -> None:
    """``keep=False`` (the command line without ``--report``): rows only for failures and
    warnings, every file counted, every file passed to ``on_result``."""
    from converter import batch

    src = make_tree(tmp_path / "src", 30, bad=(7,))
    jobs = batch.Jobs()
    jobs.add_tree(src, tmp_path / "out", ".md")
    seen: list[str] = []
    report = batch.run(batch.plan(jobs), "md", {}, jobs=2, keep=False,
                       on_result=lambda r: seen.append(r.status))
    assert [r.source.name for r in report.results] == ["doc00007.txt"] and report.results[0].status == "failed"
    assert report.counts == {"converted": 29, "failed": 1} and sorted(seen) == ["converted"] * 29 + ["failed"]
    again = batch.run(batch.plan(batch.Jobs()), "md", {}, keep=False)
    assert again.counts == {} and again.summary().startswith("0 converted, 0 skipped, 0 failed")


def test_the_heap_is_frozen_only_while_workers_run(tmp_path: Path) -> None:
    """Workers are forked from a frozen heap (their collections then leave the pages they share
    alone); afterwards the collector is as it was, a heap the caller froze included."""
    import gc

    from converter.batch import execution

    src = make_tree(tmp_path / "src", 40)
    frozen_while_running: list[int] = []
    real = execution._run_on_pool

    def run_on_pool(*args: object, **kw: object) -> object:
        frozen_while_running.append(gc.get_freeze_count())
        return real(*args, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(execution, "_run_on_pool", run_on_pool)
        assert gc.get_freeze_count() == 0
        convert_tree(src, tmp_path / "out", "md", jobs=2, force=True)
        assert frozen_while_running[-1] > 0 and gc.get_freeze_count() == 0
        gc.freeze()
        try:
            before = gc.get_freeze_count()
            convert_tree(src, tmp_path / "out", "md", jobs=2, force=True)
            assert gc.get_freeze_count() == before
        finally:
            gc.unfreeze()


def test_output_beside_input_never_replaces_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "note.md").write_bytes(GOOD)
    report = convert_tree(src, None, "md")
    assert report.failed and "is an input" in report.failed[0].error
    assert (src / "note.md").read_bytes() == GOOD


def test_include_exclude_and_hidden_files(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 6)
    (src / ".hidden").mkdir()
    (src / ".hidden" / "x.txt").write_bytes(GOOD)
    (src / "a" / "extra.html").write_bytes(GOOD)
    report = convert_tree(src, tmp_path / "out", "md", include=["*.html", "b/*"], exclude=["doc00002*"])
    assert sorted(r.source.relative_to(src).as_posix() for r in report.results) == \
        ["a/extra.html", "b/doc00000.txt", "b/doc00004.txt"]


def test_symlink_loop_is_reported_not_followed(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 2)
    (src / "a" / "loop").symlink_to(src, target_is_directory=True)
    report = convert_tree(src, tmp_path / "out", "md")
    assert report.converted == 2
    assert any("symbolic link loop" in r.error for r in report.failed)


def test_report_rows_match_what_happened(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src", 6, bad=(2,))
    out = tmp_path / "out"
    convert_tree(src, out, "md")
    (src / "b" / "doc00004.txt").write_bytes(GOOD.replace("城市".encode(), "乡村".encode()))
    result = cli(str(src), "--to", "md", "-o", str(out), "--report", str(tmp_path / "r.csv"), "-q")
    assert result.returncode == 1
    rows = {Path(r["input"]).name: r for r in csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8")))}
    assert {n: r["status"] for n, r in rows.items()} == {
        "doc00000.txt": "skipped", "doc00001.txt": "skipped", "doc00002.txt": "failed",
        "doc00003.txt": "skipped", "doc00004.txt": "converted", "doc00005.txt": "skipped"}
    assert "is empty" in rows["doc00002.txt"]["error"]
    assert rows["doc00004.txt"]["output"].endswith("doc00004.md")
    result = cli(str(src), "--to", "md", "-o", str(out), "--report", str(tmp_path / "r.json"), "-q")
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["summary"] == {**data["summary"], "converted": 0, "skipped": 5, "failed": 1}
    assert len(data["files"]) == 6


#: The halted runs below patch the command's process; its workers inherit the patch by fork.
needs_fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="needs fork: workers inherit the patch that halts them")


def halted_run(src: Path, out: Path, gate: Path, halt_after: int, workers: int) -> subprocess.Popen[str]:
    """``convert SRC --to md -o OUT`` on ``workers`` processes, each of which writes ``halt_after``
    outputs and then stops halfway through the next (:data:`support.HALTED`); returned once all
    of them have stopped."""
    proc = subprocess.Popen([sys.executable, "-c", HALTED, str(src), "--to", "md", "-o", str(out), "-j", str(workers)],
                            env={**os.environ, "GATE": str(gate), "HALT_AFTER": str(halt_after)},
                            start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120  # a generous bound on waiting, not on how fast it goes
    while halted(gate) < workers and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if halted(gate) < workers:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        pytest.fail(f"{halted(gate)} of {workers} workers stopped at the gate: {err}")
    return proc


def journaled(out: Path) -> set[str]:
    """The outputs the journal in ``out`` records (a line cut short records nothing)."""
    journal = out / STATE_FILE
    names = set()
    for line in journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []:
        try:
            names.add(json.loads(line)["output"])
        except ValueError:
            continue
    return names


@needs_fork
def test_killed_batch_leaves_no_partial_file_and_rerun_finishes(tmp_path: Path) -> None:
    """Killed while each worker is halfway through an output, after its first chunk and part of
    its second: no output is partial, and the rerun skips exactly what the journal records and
    converts everything else, outputs written but not yet journaled included."""
    src = make_tree(tmp_path / "src", 200)
    out = tmp_path / "out"
    reference = tmp_path / "ref"
    convert_tree(src, reference, "md")
    expected = outputs(reference)
    halt_after = CHUNK + CHUNK // 4
    proc = halted_run(src, out, tmp_path / "gate", halt_after, workers=2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    done, recorded = outputs(out), journaled(out)
    assert len(done) == 2 * halt_after and all(data == expected[name] for name, data in done.items())
    assert len(list(out.rglob(".*.tmp"))) == 2, "each worker was killed halfway through a write"
    assert recorded <= done.keys() and len(done.keys() - recorded) >= 2 * (halt_after - CHUNK)  # second chunks'
    rerun = convert_tree(src, out, "md", jobs=2)
    status = {r.output.relative_to(out).as_posix(): r.status for r in rerun.results if r.output is not None}
    assert rerun.ok and {name for name, s in status.items() if s == "skipped"} == recorded
    assert {name for name, s in status.items() if s == "converted"} == expected.keys() - recorded
    assert outputs(out) == expected and not list(out.rglob(".*.tmp"))


@needs_fork
def test_ctrl_c_stops_at_once_and_exits_130_after_the_summary(tmp_path: Path) -> None:
    """Ctrl-C while every worker is halfway through its first chunk, stopped in a write that
    never ends by itself: the run used to wait for the chunks under way and the ones queued
    behind them. Now it says "stopping…", converts nothing more, leaves nothing half-written,
    and exits 130; a rerun converts the rest."""
    src = make_tree(tmp_path / "src", 8 * CHUNK)
    out = tmp_path / "out"
    halt_after = CHUNK // 2
    proc = halted_run(src, out, tmp_path / "gate", halt_after, workers=2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)  # a bound on a hang, not on speed
    assert proc.returncode == 130, err
    lines = err.splitlines()
    assert lines[0] == "convert: stopping…" and "(interrupted)" in lines[-1] and "Traceback" not in err
    assert len(outputs(out)) == 2 * halt_after, "no document converted after Ctrl-C"
    assert journaled(out) <= outputs(out).keys()
    assert not list(out.rglob(".*.tmp"))
    rerun = convert_tree(src, out, "md", jobs=2)
    assert rerun.ok and rerun.converted + rerun.skipped == 8 * CHUNK


@needs_fork
def test_ctrl_c_during_docx_stops_pandoc_and_hands_out_nothing_more(tmp_path: Path) -> None:
    """``--to docx`` (a pandoc process per chunk): Ctrl-C used to let 64–96 more documents be
    converted before the exit. Now no chunk is handed out after it, and the chunks under way
    stop with their pandoc."""
    src = make_tree(tmp_path / "src", 40 * CHUNK)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "converter", str(src), "--to", "docx", "-o", str(out), "-j", "2"],
                            start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120  # a bound on waiting, not on speed
    while len(list(out.rglob("*.docx"))) < CHUNK and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before Ctrl-C"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal sends it: to the command, its workers and pandoc
    at_signal = len(list(out.rglob("*.docx")))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err.startswith("convert: stopping…\n") and "Traceback" not in err, err
    assert len(list(out.rglob("*.docx"))) - at_signal <= 2 * CHUNK, "at most the chunks under way were written"
    assert not list(out.rglob(".*.tmp"))


def test_a_worker_that_dies_costs_only_its_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that kills its worker process (as a crash in a C library or the OOM killer would)
    is reported; every other file still converts, in the pool or in a fresh process."""
    from converter.batch import execution

    real_read = execution.read_file

    def read_or_die(path: Path) -> object:
        if Path(path).name == "doc00021.txt":
            os._exit(3)
        return real_read(path)

    monkeypatch.setattr(execution, "read_file", read_or_die)  # inherited by forked workers
    src = make_tree(tmp_path / "src", 80)
    report = convert_tree(src, tmp_path / "out", "md", jobs=2)
    assert [r.source.name for r in report.failed] == ["doc00021.txt"]
    assert "process converting it died" in report.failed[0].error
    assert report.converted == 79 and len(outputs(tmp_path / "out")) == 79
    monkeypatch.setattr(execution, "read_file", real_read)
    rerun = convert_tree(src, tmp_path / "out", "md", jobs=2)
    assert rerun.converted == 1 and rerun.skipped == 79


@pytest.mark.parametrize("fmt", ["rst", "docx"])
def test_pandoc_formats_convert_a_chunk_in_one_pandoc_and_a_failure_costs_only_its_file(
        fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk goes to one pandoc process (write_many); outputs are what converting each file
    alone writes; the file pandoc rejects fails alone, on one line naming it."""
    from converter import render
    from converter.files import read_file
    from converter.writers import pandoc

    src = make_tree(tmp_path / "src", 6, bad=(4,))
    payload = pandoc.PandocWriter._payload
    monkeypatch.setattr(pandoc.PandocWriter, "_payload",  # pandoc cannot read what it is given for doc00003
                        lambda self, doc: b"{" if "第3号" in doc.meta.title else payload(self, doc))
    batches = []
    real_batch = pandoc.run_pandoc_batch
    monkeypatch.setattr(pandoc, "run_pandoc_batch", lambda *a, **k: batches.append(1) or real_batch(*a, **k))
    report = convert_tree(src, tmp_path / "out", fmt, jobs=1)
    assert batches == [1] and report.converted == 4
    failed = {r.source.name: r.error for r in report.failed}
    assert failed.keys() == {"doc00003.txt", "doc00004.txt"} and "doc00004.txt: is empty" in failed["doc00004.txt"]
    assert failed["doc00003.txt"].startswith(f"{src / 'a' / 'doc00003.txt'}: pandoc failed")
    assert all("\n" not in error for error in failed.values())
    assert all(r.seconds > 0 for r in report.results)
    for result in report.results:
        if result.status == "converted":
            assert result.output is not None
            alone = render(read_file(result.source), fmt)
            got = result.output.read_bytes()
            if isinstance(alone, bytes):  # docx: the same document XML
                with zipfile.ZipFile(io.BytesIO(got)) as a, zipfile.ZipFile(io.BytesIO(alone)) as b:
                    assert a.read("word/document.xml") == b.read("word/document.xml")
            else:
                assert got == alone.encode("utf-8")


def test_the_journal_keeps_one_whole_line_per_output(tmp_path: Path) -> None:
    """Converting again appends to the journal and the end of the run rewrites it compactly; a
    line cut short by a kill costs only its own output, which the next run converts again."""
    src = make_tree(tmp_path / "src", 20)
    out = tmp_path / "out"
    journal = out / STATE_FILE

    def recorded() -> list[str]:
        return sorted(json.loads(line)["output"] for line in journal.read_text(encoding="utf-8").splitlines())

    convert_tree(src, out, "md", jobs=2)
    expected = sorted(outputs(out))
    assert recorded() == expected
    convert_tree(src, out, "md", force=True)
    assert recorded() == expected  # 20 lines, not 40
    text = journal.read_text(encoding="utf-8")
    cut = json.loads(text.splitlines()[-1])["output"]
    journal.write_text(text[:-25], encoding="utf-8")  # a kill in the middle of the last line
    changed = src / "a" / "doc00001.txt"
    changed.write_bytes(GOOD.replace("城市图书馆".encode(), "改过的图书馆".encode()))
    again = convert_tree(src, out, "md", jobs=1)
    converted = sorted(r.source.relative_to(src).with_suffix(".md").as_posix()
                       for r in again.results if r.status == "converted")
    assert converted == sorted({cut, "a/doc00001.md"}) and recorded() == expected
    assert convert_tree(src, out, "md").converted == 0


def test_a_new_journal_is_appended_to_without_keeping_its_lines(tmp_path: Path) -> None:
    """What keeps a batch's memory flat: a journal started afresh holds no line in memory (it is
    compact as written); one that had lines keeps them, to rewrite it at the end."""
    from converter.batch import Journal

    fresh = Journal(str(tmp_path))
    for i in range(3):
        fresh.record(str(tmp_path / f"{i}.md"), "mark", (i, i))
    assert fresh.flush() == "" and fresh.lines == {}
    fresh.close()
    assert len((tmp_path / STATE_FILE).read_text(encoding="utf-8").splitlines()) == 3
    again = Journal(str(tmp_path))
    assert sorted(again.lines) == ["0.md", "1.md", "2.md"]
    again.record(str(tmp_path / "3.md"), "mark", (3, 3))
    assert sorted(again.lines) == ["0.md", "1.md", "2.md", "3.md"]


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(max_size=16), st.none() | st.tuples(st.integers(0, 2**63), st.integers(-2**63, 2**63)))
def test_journal_lines_are_json_dumps(name: str, mark: str, stamp: tuple[int, int] | None) -> None:
    """Journal lines are formatted directly; they must be what ``json`` writes and reads."""
    from converter.batch.journal import _journal_line

    entry = {"output": name, "fingerprint": mark, "source": None if stamp is None else list(stamp)}
    line = _journal_line(name, mark, stamp)
    assert line == json.dumps(entry, ensure_ascii=False) + "\n" and json.loads(line) == entry


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=())))
def test_journal_lines_hold_names_that_are_not_utf8(name: str) -> None:
    """A name os.scandir decoded from bytes that are not UTF-8 holds lone surrogates: its
    journal line is still UTF-8, and JSON that reads back as the same name."""
    from converter.batch.journal import _journal_line

    line = _journal_line(name, "mark", (1, 2))
    line.encode("utf-8")
    assert json.loads(line)["output"] == name and line.endswith("}\n") and line.count("\n") == 1


def test_a_damaged_journal_costs_only_its_damaged_lines(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 in the journal (a damaged disk): no traceback, and only the
    output whose line they hit is converted again."""
    src = make_tree(tmp_path / "src", 4)
    out = tmp_path / "out"
    convert_tree(src, out, "md")
    journal = out / STATE_FILE
    lines = journal.read_bytes().splitlines(keepends=True)
    damaged = json.loads(lines[1])["output"]
    journal.write_bytes(b"".join([lines[0], lines[1].replace(b"doc", b"d\xffc"), *lines[2:]]))
    again = convert_tree(src, out, "md")
    assert [r.source.relative_to(src).with_suffix(".md").as_posix() for r in again.results
            if r.status == "converted"] == [damaged] and again.skipped == 3


@pytest.mark.parametrize(("fmt", "option", "first", "second"), [
    ("html", "css", b"p { color: navy }", b"p { color: teal }"),
    ("epub", "cover_image", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, b"\x89PNG\r\n\x1a\n" + b"\1" * 64),
])
def test_a_rerun_with_an_edited_option_file_converts_again(tmp_path: Path, fmt: str, option: str,
                                                          first: bytes, second: bytes) -> None:
    """The journal marks what ``--css``/``--epub-cover-image`` files held, not only their names:
    edit the stylesheet and rerun, and the outputs are made again; an unchanged one skips."""
    src = make_tree(tmp_path / "src", 2)
    out = tmp_path / "out"
    given = tmp_path / "option-file"
    extra = {"images": "none"} if fmt == "epub" else {}
    counts = []
    for data in (first, first, second):
        given.write_bytes(data)
        report = convert_tree(src, out, fmt, jobs=1, **{option: str(given)}, **extra)
        counts.append((report.converted, report.skipped))
    assert counts == [(2, 0), (0, 2), (2, 0)]
