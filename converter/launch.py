"""The ``convert`` console script and ``python -m converter``: the commonest commands answered
before the command-line library is imported, everything else handed to
:func:`converter.cli.run`.

Scripts and editors call ``convert --version`` to find out which converter they have, and
``convert one.txt --to md -o -`` (or ``-o one.md``) once per file. Importing typer (and what it
imports) takes longer than the interpreter's own start-up and than converting a news item, so
these forms are done here:

- ``convert --version``, exactly;
- ``convert INPUT --to FORMAT -o -`` (``-t``, ``--to=``, ``--output``, in any order), for one
  input file, with ``--images MODE`` or without, every other option at its default;
- ``convert INPUT --to FORMAT``, ``convert INPUT --to FORMAT -o OUTPUT`` and ``convert INPUT -o
  OUTPUT.ext`` (the format told by the extension), the same way to a file: the batch planner
  (:func:`converter.batch.plan_inputs`, the one place inputs are paired with outputs) names
  the output, and it is written atomically, as the command writes it.

The document is read and written in memory first; only a clean conversion (no error, no
warning) is printed or saved here. Anything else — another option, stdin, an unknown format, a
file that cannot be read, a feed or a folder, a warning, an output that cannot be written, a
document whose images the writer would download (:meth:`Writer.fetches`: a failed download
would be tried twice) — goes to :func:`converter.cli.run`, which does it again and reports it
as it always does, so this path changes how fast the command is and never what it does.
Ctrl-C here exits with status 130, with nothing written.

``FAST_PATH_OPTIONS`` are the writer options the command passes when none is given; a test
(tests/test_startup.py) checks them against the command's own, and that both paths give the
same output, files, errors and exit status.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing before it is needed
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    from .batch.planning import Plan

    _T = TypeVar("_T")

#: The writer options ``convert`` passes when none is given on the command line: none, each
#: writer's own defaults apply (see cli.main, and tests/test_startup.py).
FAST_PATH_OPTIONS: dict[str, object] = {}

#: What an option of the fast path is called in what :func:`one_file_request` reads.
_KEYS = {"--to": "to", "-t": "to", "--output": "output", "-o": "output", "--images": "images"}
#: Those of :data:`_KEYS` that are writer options (given to the writer as they are).
_WRITER_KEYS = ("images",)


def run() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args == ["--version"]:
        from .version import __version__

        sys.stdout.write(f"convert {__version__}\n")
        sys.stdout.flush()
        return
    request = one_file_request(args)
    if request is not None:
        code = convert_one(*request)
        if code is not None:
            sys.exit(code)
    from .cli import run as run_command

    run_command()


def one_file_request(args: list[str]) -> tuple[str, str | None, str | None, dict[str, str]] | None:
    """``(input, format, output, writer options)`` when ``args`` are one input file, ``--to
    FORMAT`` and ``-o OUTPUT`` (one of the two at least) and ``--images MODE``, each at most
    once, and nothing else; else None. A format or output not given is None."""
    found: dict[str, str] = {}
    rest = iter(args)
    for arg in rest:
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        key = _KEYS.get(name)
        if key is None:
            if arg.startswith("-") or "input" in found:
                return None
            key, value = "input", arg
        elif not eq:
            value = next(rest, "")
        if key in found or not value or (key != "input" and value.startswith("-") and value != "-"):
            return None
        found[key] = value
    if "input" not in found or ("to" not in found and "output" not in found):
        return None
    options = {key: found[key] for key in _WRITER_KEYS if key in found}
    return found["input"], found.get("to"), found.get("output"), options


def convert_one(name: str, fmt: str | None, output: str | None, options: dict[str, str]) -> int | None:
    """Convert the file ``name`` to ``fmt`` into ``output`` (``-``: standard output; None:
    beside it) with the writer ``options`` given, if it converts cleanly; the exit status, or
    None for the command to do it."""
    if output == "-":
        if fmt is None:  # a usage error: the command says so
            return None
        data = convert_cleanly(name, fmt, options, to_terminal=sys.stdout.isatty())
        return None if data is None else _write_stdout(data)
    if fmt is None:
        from .writers import format_of_name, names_a_file

        fmt = format_of_name(output) if output is not None and names_a_file(output) else None
        if fmt is None:
            return None
    target = planned_output(name, fmt, output)
    if target is None:
        return None
    data = convert_cleanly(name, fmt, options)
    return None if data is None else _save(target, data)


def planned_output(name: str, fmt: str, output: str | None) -> str | None:
    """Where the command writes the output of the file ``name``: the one job the batch planner
    makes of it, or None when it makes anything else (a feed's entries, a folder's files, a
    problem, a warning). Nothing is fetched: the planner stops before fetching a feed (a URL,
    or one an OPML file lists), which is the command's to fetch, once."""

    def plan() -> Plan:
        from .batch.planning import plan_inputs

        return plan_inputs([name], fmt, output, on_fetch=_fetch_nothing)

    planned = _cleanly(plan)
    if planned is None or planned.problems or len(planned.jobs) != 1:
        return None
    source, target, journal = planned.jobs[0]
    return target if source == name and journal is None else None


class _WouldFetch(Exception):
    """The planner was about to fetch feeds."""


def _fetch_nothing(count: int) -> Callable[[], None]:
    """The planner's ``on_fetch``, called before any feed is fetched: stop it there."""
    raise _WouldFetch(count)


def convert_cleanly(name: str, fmt: str, options: dict[str, str], *,
                    to_terminal: bool = False) -> str | bytes | None:
    """The output for ``name`` in ``fmt`` with the command's default options and ``options``,
    or None if anything is not plain (see :func:`_cleanly`): an option the writer does not
    take (a usage error), a document whose images it would download (a failure would be
    fetched twice), a binary output for a terminal (``to_terminal``), which the command refuses."""

    def convert() -> str | bytes | None:
        from .files import read_file
        from .writers import get_writer_class, make_writer, writer_options

        cls = get_writer_class(fmt)
        accepted = writer_options(cls)
        if (cls.binary and to_terminal) or any(key not in accepted for key in options):
            return None
        defaults = {k: v for k, v in FAST_PATH_OPTIONS.items() if k in accepted}
        writer = make_writer(fmt, **{**defaults, **options})
        doc = read_file(name)
        return None if writer.fetches(doc) else writer.write(doc)

    return _cleanly(convert)


def _cleanly(work: Callable[[], _T]) -> _T | None:
    """What ``work`` returns, or None when it warns or raises anything (the command does it
    again, and reports it); Ctrl-C exits as the command exits when interrupted."""
    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = work()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        return None
    return None if caught else result


def _save(target: str, data: str | bytes) -> int | None:
    """Write the output as a batch does (the temporaries a killed run left in its folder
    removed first); None when it cannot be written, for the command to say why."""
    from .errors import ConversionError
    from .files import remove_temporaries, write_atomic

    try:
        remove_temporaries(os.path.dirname(target))
        write_atomic(target, data)
    except KeyboardInterrupt:
        return 130
    except ConversionError:
        return None
    return 0


def _write_stdout(data: str | bytes) -> int:
    """Write the output as the command does; a reader that went away (EPIPE) is exit status 1."""
    try:
        sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
