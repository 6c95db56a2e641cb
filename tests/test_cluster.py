"""Archives on Dask: a partitioned Parquet dataset from a bag of paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_datasets import GOOD, make_tree

from converter import convert_dataset
from converter.batch import dataset as batch_dataset

pytest.importorskip("dask.dataframe")
pq = pytest.importorskip("pyarrow.parquet")

from converter.batch.cluster import parquet_dataset  # after the skips


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
