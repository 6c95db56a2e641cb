"""``Writer.write_many``: many documents written in turn, each with its own error and warnings,
and a batch that saves each output before it reads the next file (unless the writer converts
documents together, as pandoc's formats do)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from converter import ast as A
from converter import convert_tree
from converter.batch import execution
from converter.errors import ConversionError
from converter.writers import Writer, make_writer

ITEM = (Path(__file__).parents[1] / "examples" / "item.txt").read_bytes()


class _Echo(Writer):
    """Writes a document's title, warning about it; a title of ``bad`` is an error."""

    name = "echo"

    def write(self, doc: A.Document) -> str:
        warnings.warn(f"about {doc.meta.title}", stacklevel=1)
        if doc.meta.title == "bad":
            raise ConversionError("cannot write bad")
        return doc.meta.title


def _docs(*titles: str) -> list[A.Document]:
    return [A.Document(A.Meta(title=title), [A.Paragraph([A.Text(title)])]) for title in titles]


def test_each_document_keeps_its_output_error_and_warnings() -> None:
    written = list(_Echo().write_many(_docs("one", "bad", "three")))
    assert [w.output for w in written[::2]] == ["one", "three"]
    assert isinstance(written[1].output, ConversionError) and str(written[1].output) == "cannot write bad"
    assert [w.warnings for w in written] == [["about one"], ["about bad"], ["about three"]]
    assert all(w.seconds > 0 for w in written)


def test_a_document_is_taken_only_once_the_one_before_is_handed_over() -> None:
    taken: list[str] = []

    def documents() -> Iterator[A.Document]:
        for doc in _docs("one", "two", "three"):
            taken.append(doc.meta.title)
            yield doc

    for written in make_writer("markdown").write_many(documents()):
        assert isinstance(written.output, str) and written.output.endswith(f"# {taken[-1]}\n\n{taken[-1]}\n")


@pytest.mark.parametrize("fmt, together", [("md", False), ("txt", False), ("rst", True)])
def test_a_batch_saves_each_output_before_it_reads_the_next_file(
        fmt: str, together: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One output in memory at a time, except for a writer that converts a chunk together."""
    (tmp_path / "src").mkdir()
    for i in range(3):
        (tmp_path / "src" / f"doc{i}.txt").write_bytes(ITEM)
    events: list[str] = []
    read, write = execution.read_file, execution.write_atomic
    monkeypatch.setattr(execution, "read_file", lambda path: events.append("read") or read(path))
    monkeypatch.setattr(execution, "write_atomic", lambda path, data: events.append("write") or write(path, data))
    report = convert_tree(tmp_path / "src", tmp_path / "out", fmt, jobs=1)
    assert report.converted == 3
    assert events == (["read"] * 3 + ["write"] * 3 if together else ["read", "write"] * 3)
