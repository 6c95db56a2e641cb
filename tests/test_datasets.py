"""Datasets: JSON Lines and Parquet, a row per document in input order, incremental reruns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import FEEDS, needs_corpus

import converter
from converter import convert_dataset, read_file, render
from converter.ast import meta_to_dict
from converter.batch import dataset as batch_dataset
from converter.batch.execution import CHUNK
from converter.errors import OutputError
from converter.writers import get_writer_class
from converter.writers.dataset import COLUMNS, content_hash

ROOT = Path(__file__).parents[1]
GOOD = (ROOT / "examples" / "item.txt").read_bytes()


def make_tree(root: Path, n: int, bad: tuple[int, ...] = ()) -> list[Path]:
    """``n`` distinct documents in two folders (the ones numbered in ``bad`` are empty), in
    the order a batch walks them."""
    for i in range(n):
        folder = root / ("a" if i % 2 else "b")
        folder.mkdir(parents=True, exist_ok=True)
        data = b"" if i in bad else GOOD.replace("城市图书馆".encode(), f"第{i}号图书馆".encode())
        (folder / f"doc{i:05d}.txt").write_bytes(data)
    return sorted(root.rglob("*.txt"))


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "converter", *args], capture_output=True, timeout=300,
                          check=False)


# ---------------------------------------------------------------------------- JSON Lines


def test_a_row_per_document_in_input_order_equal_to_the_writers(tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src", 30)
    out = tmp_path / "all.jsonl"
    report = convert_dataset(tmp_path / "src", out, "jsonl", jobs=1, width=0)
    assert report.ok and report.converted == 30
    got = rows(out)
    assert [row["source"] for row in got] == [str(f) for f in files]
    for row, path in zip(got, files, strict=True):
        assert list(row) == list(COLUMNS)
        doc = read_file(path)
        meta = json.loads(render(doc, "json"))["meta"]
        assert {key: row[key] for key in meta} == meta
        assert row["markdown"] == render(doc, "md")
        assert row["text"] == render(doc, "txt", width=0)
        assert row["sha256"] == content_hash(path.read_bytes())


def test_the_order_and_bytes_do_not_depend_on_the_number_of_jobs(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 6 * CHUNK + 5)
    convert_dataset(tmp_path / "src", tmp_path / "one.jsonl", jobs=1)
    report = convert_dataset(tmp_path / "src", tmp_path / "two.jsonl", jobs=2)
    assert report.converted == 6 * CHUNK + 5
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


def test_failures_are_reported_per_document_and_the_rest_get_rows(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 40, bad=(7, 30))
    out = tmp_path / "all.jsonl"
    report = convert_dataset(tmp_path / "src", out, jobs=2)
    assert report.converted == 38
    assert sorted(r.source.name for r in report.failed) == ["doc00007.txt", "doc00030.txt"]
    assert all("is empty" in r.error for r in report.failed)
    assert len(rows(out)) == 38


def test_a_rerun_keeps_unchanged_rows_and_makes_the_others_again(tmp_path: Path) -> None:
    files = make_tree(tmp_path / "src", 3 * CHUNK)
    out = tmp_path / "all.jsonl"
    convert_dataset(tmp_path / "src", out, jobs=2)
    first = out.read_bytes()
    again = convert_dataset(tmp_path / "src", out, jobs=2)
    assert (again.converted, again.skipped) == (0, 3 * CHUNK) and out.read_bytes() == first

    files[5].write_bytes(GOOD.replace("城市图书馆".encode(), "改过的图书馆".encode()))  # changed
    files[9].unlink()  # gone
    new = files[0].parent / "doc00000b.txt"  # new, between two others
    new.write_bytes(GOOD)
    report = convert_dataset(tmp_path / "src", out, jobs=2)
    assert (report.converted, report.skipped) == (2, 3 * CHUNK - 2)
    got = rows(out)
    assert [row["source"] for row in got] == [str(f) for f in sorted((tmp_path / "src").rglob("*.txt"))]
    changed = next(row for row in got if row["source"] == str(files[5]))
    assert "改过的图书馆" in changed["text"] and changed["sha256"] == content_hash(files[5].read_bytes())

    touched = convert_dataset(tmp_path / "src", out, jobs=1, width=40)  # other options: every row again
    assert touched.converted == len(got) and touched.skipped == 0
    forced = convert_dataset(tmp_path / "src", out, jobs=1, width=40, force=True)
    assert forced.converted == len(got)


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from converter.writers import jsonl

    make_tree(tmp_path / "src", 20)
    out = tmp_path / "all.jsonl"
    convert_dataset(tmp_path / "src", out, jobs=1, width=0)
    before = out.read_bytes()
    calls = 0
    real_add = jsonl.JsonlSink.add

    def add_then_fail(self: jsonl.JsonlSink, row: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise OutputError("No space left on device", self.name)
        real_add(self, row)

    monkeypatch.setattr(jsonl.JsonlSink, "add", add_then_fail)
    with pytest.raises(OutputError):
        convert_dataset(tmp_path / "src", out, jobs=1)  # other options: every row made again
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_interrupted_run_keeps_the_rows_done_and_a_rerun_does_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path / "src", 3 * CHUNK)
    out = tmp_path / "all.jsonl"
    real_row = batch_dataset._row
    calls = 0

    def row_or_interrupt(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == CHUNK + 3:
            raise KeyboardInterrupt
        return real_row(*args)

    monkeypatch.setattr(batch_dataset, "_row", row_or_interrupt)
    report = convert_dataset(tmp_path / "src", out, jobs=1)
    assert report.interrupted and report.converted == CHUNK and len(rows(out)) == CHUNK
    monkeypatch.setattr(batch_dataset, "_row", real_row)
    rerun = convert_dataset(tmp_path / "src", out, jobs=1)
    assert (rerun.converted, rerun.skipped) == (2 * CHUNK, CHUNK)
    convert_dataset(tmp_path / "src", tmp_path / "whole.jsonl", jobs=1)
    assert out.read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


def test_a_worker_that_dies_costs_only_its_row_and_the_order_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_read = batch_dataset.read_document

    def read_or_die(name: str, data: bytes) -> object:
        if Path(name).name == "doc00021.txt":
            os._exit(3)
        return real_read(name, data)

    files = make_tree(tmp_path / "src", 80)
    monkeypatch.setattr(batch_dataset, "read_document", read_or_die)  # inherited by forked workers
    report = convert_dataset(tmp_path / "src", tmp_path / "all.jsonl", jobs=2)
    assert [r.source.name for r in report.failed] == ["doc00021.txt"]
    assert "process converting it died" in report.failed[0].error
    assert [row["source"] for row in rows(tmp_path / "all.jsonl")] == [
        str(f) for f in files if f.name != "doc00021.txt"]


def test_the_dataset_never_replaces_an_input(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 3)
    victim = tmp_path / "src" / "a" / "doc00001.txt"
    before = victim.read_bytes()
    with pytest.raises(OutputError, match="overwrite one of its inputs"):
        convert_dataset(tmp_path / "src", victim)
    assert victim.read_bytes() == before


def test_render_writes_one_row_without_a_source() -> None:
    doc = converter.parse(GOOD)
    row = json.loads(render(doc, "jsonl"))
    assert row["source"] == "" and row["title"] == doc.meta.title and row["text"] == render(doc, "txt")
    assert get_writer_class("ndjson").name == "jsonl" and get_writer_class("jsonl").dataset


def test_cli_writes_jsonl_to_a_file_or_stdout_and_reports_failures(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 5, bad=(2,))
    done = cli(str(tmp_path / "src"), "--to", "jsonl", "-o", "-", "--width", "0", "-q")
    assert done.returncode == 1 and b"doc00002.txt: is empty" in done.stderr
    lines = done.stdout.decode().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["source"].endswith("doc00001.txt")
    done = cli(str(tmp_path / "src"), "--to", "jsonl")  # beside the folder
    assert done.returncode == 1 and len(rows(tmp_path / "src.jsonl")) == 4
    assert b"4 converted, 0 skipped, 1 failed" in done.stderr
    done = cli(str(tmp_path / "src"), "--to", "jsonl")
    assert b"0 converted, 4 skipped, 1 failed" in done.stderr
    done = cli(str(tmp_path / "src"), str(tmp_path / "src"), "--to", "jsonl")
    assert done.returncode == 2 and b"name it with -o" in done.stderr
    done = cli("-", "--to", "jsonl", "-o", "-")
    assert done.returncode == 2 and b"not stdin" in done.stderr


@needs_corpus
def test_the_corpus_as_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "feeds.jsonl"
    report = convert_dataset(FEEDS[0].parent, out, jobs=2)
    got = rows(out)
    assert report.ok and len(got) == len(FEEDS) == report.converted
    for row, path in zip(got, FEEDS, strict=True):
        doc = read_file(path)
        assert row["source"] == str(path) and row["text"] == render(doc, "txt")
        assert {key: row[key] for key in ("title", "url", "published", "tags")} == {
            key: value for key, value in meta_to_dict(doc.meta).items() if key in ("title", "url", "published", "tags")}


# ---------------------------------------------------------------------------- Parquet


def test_parquet_columns_are_typed_and_equal_to_the_writers(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    files = make_tree(tmp_path / "src", 12)
    (files[3]).write_bytes(b"---\ntitle: T\ntags: [a, b]\nrating: 4\n---\n" + GOOD)
    files = sorted((tmp_path / "src").rglob("*.txt"))
    out = tmp_path / "all.parquet"
    report = convert_dataset(tmp_path / "src", out, "parquet", jobs=1)
    assert report.ok and report.converted == 12
    table = pq.read_table(out)
    assert table.num_rows == 12 and table.column_names == list(COLUMNS)
    assert table.schema.field("published").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("tags").type == pa.list_(pa.string())
    for row, path in zip(table.to_pylist(), files, strict=True):
        doc = read_file(path)
        meta = json.loads(render(doc, "json"))["meta"]
        got = {key: row[key] for key in meta}
        got["published"] = row["published"].strftime("%Y-%m-%dT%H:%M:%SZ")
        got["extra"] = json.loads(row["extra"])
        assert got == meta
        assert row["text"] == render(doc, "txt") and row["markdown"] == render(doc, "md")
        assert row["source"] == str(path)
    assert table.to_pylist()[3]["tags"] == ["a", "b"]


def test_parquet_row_groups_are_bounded_and_a_rerun_keeps_the_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from converter.writers import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 10)
    files = make_tree(tmp_path / "src", 45)
    out = tmp_path / "all.parquet"
    convert_dataset(tmp_path / "src", out, "parquet", jobs=1)
    file = pq.ParquetFile(out)
    assert [file.metadata.row_group(i).num_rows for i in range(file.metadata.num_row_groups)] == [10] * 4 + [5]
    first = pq.read_table(out)
    files[20].write_bytes(GOOD.replace("城市图书馆".encode(), "改过的图书馆".encode()))
    report = convert_dataset(tmp_path / "src", out, "parquet", jobs=2)
    assert (report.converted, report.skipped) == (1, 44)
    again = pq.read_table(out).to_pylist()
    assert [r for i, r in enumerate(again) if i != 20] == [r for i, r in enumerate(first.to_pylist()) if i != 20]
    assert "改过的图书馆" in again[20]["text"]


def test_parquet_reads_in_pandas_without_options(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    make_tree(tmp_path / "src", 5)
    out = tmp_path / "all.parquet"
    convert_dataset(tmp_path / "src", out, "parquet", jobs=1)
    frame = pd.read_parquet(out)
    assert len(frame) == 5 and str(frame["published"].dtype) == "datetime64[us, UTC]"
    assert list(frame.columns) == list(COLUMNS)


def test_cli_parquet_needs_a_file(tmp_path: Path) -> None:
    make_tree(tmp_path / "src", 2)
    done = cli(str(tmp_path / "src"), "--to", "parquet", "-o", "-")
    assert done.returncode == 2 and b"name it with -o" in done.stderr


def test_without_pyarrow_parquet_says_how_to_install_it(tmp_path: Path) -> None:
    """The rest works without the extra; Parquet says what to install (pyarrow hidden here)."""
    make_tree(tmp_path / "src", 2)
    script = ("import sys; sys.modules['pyarrow'] = None\n"
              "from converter.cli import run; sys.argv = ['convert', *sys.argv[1:]]; run()")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "src"), "--to", "parquet", "-o",
                           str(tmp_path / "x.parquet")], capture_output=True, timeout=120, check=False)
    assert done.returncode == 1 and b"pip install 'converter[parquet]'" in done.stderr
    assert b"Traceback" not in done.stderr and not (tmp_path / "x.parquet").exists()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "src"), "--to", "jsonl", "-o",
                           str(tmp_path / "x.jsonl")], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
