"""Converting many files: plan, skip what is up to date, convert in parallel, report.

- :mod:`.planning` walks the inputs and maps each input to its output, refusing collisions and
  outputs that would overwrite an input, before anything is written.
- :mod:`.journal` is the incremental state: what was converted from which input with which
  options, so that a rerun converts only what is missing or changed.
- :mod:`.execution` converts the plan in chunks on a process pool, survives dead workers and
  honours Ctrl-C.
- :mod:`.dataset` writes every input as a row of one dataset file (JSON Lines, Parquet), in
  input order, on the same pool.
- :mod:`.report` is what comes back: a row per input, the counts, and the report files.

*Memory* hardly grows with the archive: the plan holds each input's path and a few bytes
(outputs are worked out when needed), the journal only the lines it read, the pool a few
chunks per worker, and the report the rows of files that converted cleanly only when asked.

The names below are imported from their modules when first used (PEP 562): a command that
converts one file to standard output never loads this machinery.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Inputs taken from a folder unless ``include`` says otherwise.
DEFAULT_INCLUDE = ("*.txt", "*.md", "*.html", "*.htm", "*.xhtml")

if TYPE_CHECKING:
    from .dataset import write_dataset
    from .execution import default_jobs, read_documents, run
    from .journal import STATE_FILE, Journal
    from .planning import Jobs, Plan, plan, plan_inputs
    from .report import FileResult, Report, write_report

#: Each lazily imported name and the module that holds it.
_LAZY = {
    "write_dataset": ".dataset",
    **dict.fromkeys(["default_jobs", "read_documents", "run"], ".execution"),
    **dict.fromkeys(["STATE_FILE", "Journal"], ".journal"),
    **dict.fromkeys(["Jobs", "Plan", "plan", "plan_inputs"], ".planning"),
    **dict.fromkeys(["FileResult", "Report", "write_report"], ".report"),
}

_SUBMODULES = frozenset({"dataset", "execution", "journal", "planning", "report"})


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:  # ``converter.batch.journal`` without importing it first, as before
        return importlib.import_module(f".{name}", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_INCLUDE", "STATE_FILE", "FileResult", "Jobs", "Journal", "Plan", "Report", "default_jobs", "plan",
    "plan_inputs", "read_documents", "run", "write_dataset", "write_report",
]
