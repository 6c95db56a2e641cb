"""--name '{date}-{slug}': outputs named from their documents, collision-safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import EXAMPLE, GOOD, invoke

from converter.batch import naming, plan_inputs

SLUG = "示例-城市图书馆延长开放时间-图"


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(GOOD)
    (folder / "b.txt").write_bytes(GOOD)  # the same article again: the same name
    (folder / "sub" / "c.txt").write_bytes(GOOD.replace("城市图书馆延长".encode(), b"Night Owls: the Library", 1))
    (folder / "empty.txt").write_bytes(b"")
    return folder


def test_outputs_are_named_from_their_documents_and_repeats_numbered(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, err = invoke(str(src), "--to", "md", "-o", str(out), "--name", "{date}-{slug}", "-j", "1")
    assert code == 1 and "empty.txt: is empty" in err
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.md"))
    assert names == [f"2024-11-27-{SLUG}-2.md", f"2024-11-27-{SLUG}.md",
                     "sub/2024-11-27-示例-night-owls-the-library开放时间-图.md"]
    assert (out / f"2024-11-27-{SLUG}.md").read_bytes() == (out / f"2024-11-27-{SLUG}-2.md").read_bytes()
    code, _, err = invoke(str(src), "--to", "md", "-o", str(out), "--name", "{date}-{slug}", "-j", "1")
    assert "0 converted, 3 skipped, 1 failed" in err  # a rerun gives the same names: up to date
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.md")) == names


def test_site_and_stem_fields(src: Path, tmp_path: Path) -> None:
    plan = plan_inputs([src], "txt", tmp_path / "o", name="{site}_{stem}", jobs=1)
    assert sorted(Path(output).name for _, output, _ in plan.jobs) == [
        "news-example-org_a.txt", "news-example-org_b.txt", "news-example-org_c.txt", "unknown-site_empty.txt"]


def test_slugs_are_file_names() -> None:
    assert naming.slug("  Hello, World! / ../etc ") == "hello-world-etc"
    assert naming.slug("x" * 100) == "x" * naming.MAX_SLUG
    assert naming.unique(["a/x", "a/x", "b/x", "a/x-2"]) == ["a/x", "a/x-2", "b/x", "a/x-2-2"]


@pytest.mark.parametrize("args, line", [
    (["--name", "{title}"], "--name: '{title}': unknown field {title}; use {date}, {slug}, {site}, {stem}"),
    (["--name", "fixed"], "--name: 'fixed' uses no field, so every output would have the same name; "
                          "use {date}, {slug}, {site} or {stem}"),
    (["--name", "{site}/{slug}"], "--name: '{site}/{slug}': names a file, not a folder (no /)"),
    (["--name", "{slug}", "-o", "one.md"], "--name: -o one.md names the output already; --name names those of a folder"),
    (["--name", "{slug}", "-o", "-"], "--name: does not apply to stdin or stdout"),
    (["--name", "{slug}", "--bundle", "b.epub"], "--name: does not apply with --bundle (the book is written whole, "
                                                 "to BOOK.epub)"),
])
def test_names_that_cannot_work_are_usage_errors(args: list[str], line: str) -> None:
    code, _, err = invoke(str(EXAMPLE), *(["--to", "md"] if "--bundle" not in args else []), *args)
    assert code == 2 and err == f"convert: error: {line}\n"
