"""The ``convert`` console script and ``python -m converter``: two commands answered before
the command-line library is imported, everything else handed to :func:`converter.cli.run`.

Scripts and editors call ``convert --version`` to find out which converter they have, and
``convert one.txt --to md -o -`` once per file. Importing typer (and what it imports) takes
longer than the interpreter's own start-up and than converting a news item, so these two
forms are done here:

- ``convert --version``, exactly;
- ``convert INPUT --to FORMAT -o -`` (``-t``, ``--to=``, ``--output``, in any order), for one
  input file, every other option at its default. The document is read and written in memory
  first; only a clean conversion (no error, no warning) is printed here. Anything else —
  another option, stdin, an unknown format, a file that cannot be read, a warning, a format
  that may download images (EPUB) — goes to
  :func:`converter.cli.run`, which does it again and reports it as it always does, so this
  path changes how fast the command is and never what it does.

``FAST_PATH_OPTIONS`` are the writer options the command passes when none is given; a test
(tests/test_startup.py) checks them against the command's own, and that both paths give the
same output, errors and exit status.
"""

from __future__ import annotations

import sys

#: The writer options ``convert`` passes when none is given on the command line: none, each
#: writer's own defaults apply (see cli.main, and tests/test_startup.py).
FAST_PATH_OPTIONS: dict[str, object] = {}


def run() -> None:
    """Console-script entry point."""
    args = sys.argv[1:]
    if args == ["--version"]:
        from .version import __version__

        sys.stdout.write(f"convert {__version__}\n")
        sys.stdout.flush()
        return
    request = stdout_request(args)
    if request is not None:
        data = convert_cleanly(*request)
        if data is not None:
            sys.exit(_write_stdout(data))
    from .cli import run as run_command

    run_command()


def stdout_request(args: list[str]) -> tuple[str, str] | None:
    """``(input, format)`` when ``args`` are one input file, ``--to FORMAT`` and ``-o -``, each
    once, and nothing else; else None."""
    found: dict[str, str] = {}
    rest = iter(args)
    for arg in rest:
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        key = {"--to": "to", "-t": "to", "--output": "output", "-o": "output"}.get(name)
        if key is None:
            if arg.startswith("-") or "input" in found:
                return None
            key, value = "input", arg
        elif not eq:
            value = next(rest, "")
        if key in found or not value or (key != "input" and value.startswith("-") and value != "-"):
            return None
        found[key] = value
    if found.get("output") != "-" or "input" not in found or "to" not in found:
        return None
    return found["input"], found["to"]


def convert_cleanly(name: str, fmt: str) -> str | bytes | None:
    """The output for ``name`` in ``fmt`` with the command's default options, or None if
    anything is not plain: an error, an exception of any kind, a warning."""
    import warnings

    from .files import read_file
    from .writers import get_writer_class, make_writer, writer_options

    try:
        with warnings.catch_warnings(record=True) as caught:
            accepted = writer_options(get_writer_class(fmt))
            cls = get_writer_class(fmt)
            if "images" in accepted:  # may fetch images: a failure would be fetched twice
                return None
            if cls.binary and sys.stdout.isatty():  # the command refuses binary output to a terminal
                return None
            writer = make_writer(fmt, **{k: v for k, v in FAST_PATH_OPTIONS.items() if k in accepted})
            data = writer.write(read_file(name))
    except KeyboardInterrupt:
        sys.exit(130)  # as the command exits when interrupted
    except Exception:  # the command does it again, and reports it
        return None
    return None if caught else data


def _write_stdout(data: str | bytes) -> int:
    """Write the output as the command does; a reader that went away (EPIPE) is exit status 1."""
    try:
        sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
