"""The planner: what a user names (files, folders, an output file, folder or none) becomes jobs
(input, output, journal folder) and problems, before anything is read or written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from converter.batch import Plan, plan_inputs

ROOT = Path(__file__).parents[1]
GOOD = (ROOT / "examples" / "item.txt").read_bytes()


def jobs(plan: Plan, base: Path) -> list[tuple[str | None, ...]]:
    """The plan's jobs with every path relative to ``base``, as text."""
    def rel(path: str | None) -> str | None:
        return None if path is None else Path(os.path.relpath(path, base)).as_posix()

    return [(rel(source), rel(output), rel(root)) for source, output, root in plan.jobs]


def problems(plan: Plan, base: Path) -> list[tuple[str, str, str]]:
    """The plan's problems: input relative to ``base``, status, and the error after the input's name."""
    return [(Path(os.path.relpath(r.source, base)).as_posix(), r.status, r.error.split(": ", 1)[1])
            for r in plan.problems]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``one.txt``, ``two.md`` and a folder ``news`` (``a.txt``, ``sub/b.html``, a hidden file, a
    file no default glob takes); the current folder is ``tmp_path``, so inputs can be named as
    a user at the shell names them."""
    (tmp_path / "news" / "sub").mkdir(parents=True)
    for name in ("one.txt", "two.md", "news/a.txt", "news/sub/b.html", "news/.hidden.txt", "news/notes.pdf"):
        (tmp_path / name).write_bytes(GOOD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_single_file_goes_to_the_output_named_and_is_not_journaled(tree: Path) -> None:
    plan = plan_inputs(["one.txt"], "md", "elsewhere/result.markdown")
    assert jobs(plan, tree) == [("one.txt", "elsewhere/result.markdown", None)] and plan.problems == []


def test_without_an_output_a_file_goes_beside_itself_with_the_formats_extension(tree: Path) -> None:
    assert jobs(plan_inputs(["one.txt"], "json"), tree) == [("one.txt", "one.json", None)]
    assert jobs(plan_inputs(["one.txt", "news/a.txt"], "json"), tree) == [("one.txt", "one.json", None),
                                                                        ("news/a.txt", "news/a.json", None)]


def test_a_single_file_into_an_existing_folder_keeps_its_name(tree: Path) -> None:
    (tree / "out").mkdir()
    assert jobs(plan_inputs(["one.txt"], "md", "out"), tree) == [("one.txt", "out/one.md", None)]


def test_several_files_go_into_the_output_folder_by_name(tree: Path) -> None:
    plan = plan_inputs(["one.txt", "news/a.txt"], "md", "out")
    assert jobs(plan, tree) == [("one.txt", "out/one.md", None), ("news/a.txt", "out/a.md", None)]


def test_a_folder_is_mirrored_in_the_output_folder_and_journaled_there(tree: Path) -> None:
    plan = plan_inputs(["news"], "md", "out")
    assert jobs(plan, tree) == [("news/a.txt", "out/a.md", "out"), ("news/sub/b.html", "out/sub/b.md", "out")]


def test_without_an_output_a_folders_outputs_go_beside_its_files(tree: Path) -> None:
    plan = plan_inputs(["news"], "md")
    assert jobs(plan, tree) == [("news/a.txt", "news/a.md", "news"), ("news/sub/b.html", "news/sub/b.md", "news")]


def test_files_and_folders_together(tree: Path) -> None:
    plan = plan_inputs(["two.md", "news"], "txt", "out", include=["*.txt", "*.md"])
    assert jobs(plan, tree) == [("two.md", "out/two.txt", None), ("news/a.txt", "out/a.txt", "out")]


def test_include_and_exclude_reach_every_folder(tree: Path) -> None:
    """Globs may come as any iterable, a generator included: every folder is matched against all."""
    (tree / "more").mkdir()
    (tree / "more" / "c.pdf").write_bytes(GOOD)
    (tree / "more" / "a.pdf").write_bytes(GOOD)
    plan = plan_inputs(["news", "more"], "md", "out", include=(g for g in ["*.pdf", "*.txt"]),
                       exclude=(g for g in ["a.*"]))
    assert jobs(plan, tree) == [("news/notes.pdf", "out/notes.md", "out"), ("more/c.pdf", "out/c.md", "out")]


def test_a_missing_input_is_a_problem_and_the_others_are_planned(tree: Path) -> None:
    plan = plan_inputs(["nope.txt", "one.txt"], "md", "out")
    assert problems(plan, tree) == [("nope.txt", "failed", "no such file or folder")]
    assert jobs(plan, tree) == [("one.txt", "out/one.md", None)]


def test_an_output_that_is_an_input_is_refused(tree: Path) -> None:
    plan = plan_inputs(["two.md", "one.txt"], "md")
    assert jobs(plan, tree) == [("one.txt", "one.md", None)]
    refused = "its output two.md is an input; choose another output folder with -o"
    assert problems(plan, tree) == [("two.md", "failed", refused)]


def test_paths_are_taken_as_well_as_names(tree: Path) -> None:
    """The library hands over ``Path`` objects; the plan is the same."""
    assert jobs(plan_inputs([tree / "news"], "md", tree / "out"), tree) == \
        jobs(plan_inputs(["news"], "md", "out"), tree)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_link_named_is_read_and_links_in_folders_follow_the_option(tree: Path) -> None:
    (tree / "outside.txt").write_bytes(GOOD)
    (tree / "news" / "inside.txt").symlink_to("a.txt")
    (tree / "news" / "away.txt").symlink_to(tree / "outside.txt")
    (tree / "named.txt").symlink_to(tree / "outside.txt")
    followed = plan_inputs(["named.txt", "news"], "md", "out")
    assert [source for source, _, _ in jobs(followed, tree)] == ["named.txt", "news/a.txt", "news/inside.txt",
                                                                 "news/sub/b.html"]
    assert [(name, status) for name, status, _ in problems(followed, tree)] == [("news/away.txt", "skipped")]
    none = plan_inputs(["named.txt", "news"], "md", "out", follow_symlinks=False)
    assert [source for source, _, _ in jobs(none, tree)] == ["named.txt", "news/a.txt", "news/sub/b.html"]
    assert [(name, status) for name, status, _ in problems(none, tree)] == [("news/away.txt", "skipped"),
                                                                          ("news/inside.txt", "skipped")]
    everywhere = plan_inputs(["news"], "md", "out", follow_symlinks=True)
    assert [source for source, _, _ in jobs(everywhere, tree)] == ["news/a.txt", "news/away.txt", "news/inside.txt",
                                                                   "news/sub/b.html"]
    assert everywhere.problems == []


def test_outputs_a_journal_records_are_never_inputs(tree: Path) -> None:
    """Outputs written into a folder (in place, or a folder inside the input) are journaled
    there; walking the folder again leaves them out, and only them."""
    from converter import convert_tree

    assert convert_tree("news", None, "md").converted == 2
    (tree / "news" / "mine.md").write_bytes(GOOD)  # a user's file beside them is still an input
    plan = plan_inputs(["news"], "md", include=["*.txt", "*.md", "*.html"])
    assert jobs(plan, tree) == [("news/a.txt", "news/a.md", "news"), ("news/sub/b.html", "news/sub/b.md", "news")]
    refused = "its output news/mine.md is an input; choose another output folder with -o"
    assert problems(plan, tree) == [("news/mine.md", "failed", refused)]
    assert convert_tree("news", "news/md", "txt").converted == 3
    inside = plan_inputs(["news"], "txt", "news/md")
    assert sorted(source for source, _, _ in jobs(inside, tree)) == ["news/a.txt", "news/mine.md", "news/sub/b.html"]


def test_an_output_ending_with_a_slash_is_a_folder(tree: Path) -> None:
    assert jobs(plan_inputs(["one.txt"], "md", "new/"), tree) == [("one.txt", "new/one.md", None)]


@pytest.mark.parametrize("output", ["one.txt", "book.md"])
def test_a_folder_or_several_inputs_into_a_file_is_refused(tree: Path, output: str) -> None:
    """An existing file, or a new name with the format's extension; ``notes.d`` is a folder."""
    from converter import OutputError

    for inputs in (["news"], ["one.txt", "two.md"]):
        with pytest.raises(OutputError, match="need an output folder"):
            plan_inputs(inputs, "md", output)
    assert len(plan_inputs(["news"], "md", "notes.d").jobs) == 2


def test_an_input_named_twice_is_planned_once(tree: Path) -> None:
    plan = plan_inputs(["one.txt", "./one.txt", "news", "news/a.txt", str(tree / "news")], "md", "out")
    assert jobs(plan, tree) == [("one.txt", "out/one.md", None), ("news/a.txt", "out/a.md", "out"),
                                ("news/sub/b.html", "out/sub/b.md", "out")]
    assert plan.problems == []
