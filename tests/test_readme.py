"""The README's first example is what the command prints: the set-up a new user follows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _example(command: str) -> list[str]:
    """The lines the README shows after ``$ command``, up to the block's end or an ellipsis."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^\$ " + re.escape(command) + r"\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    assert match, f"README has no example of {command!r}"
    lines = match.group(1).splitlines()
    return lines[:lines.index("…")] if "…" in lines else lines


def test_readme_markdown_example_is_the_output() -> None:
    shown = _example("convert examples/item.txt --to md -o -")
    run = subprocess.run([sys.executable, "-m", "converter", "examples/item.txt", "--to", "md", "-o", "-"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert len(shown) > 10
    assert run.stdout.splitlines()[:len(shown)] == shown
