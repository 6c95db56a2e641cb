"""The ``convert`` command: a thin typer layer over the library API.

Exit status: 0 when every input converted, 1 when some failed (each named on stderr), 2 for
usage errors. Bad input never produces a traceback.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any, Optional

import typer

from . import __version__
from .api import convert_many, extension, formats, iter_inputs, parse, read_file, render, write_atomic
from .errors import ConversionError, FormatError, OptionError
from .writers import get_writer_class, make_writer, writer_options

app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convert {__version__}")
        raise typer.Exit()


def _list_formats(value: bool) -> None:
    if value:
        for info in formats():
            aliases = f" (also: {', '.join(info.aliases)})" if info.aliases else ""
            typer.echo(f"{info.name:<10} .{info.extension:<6} {info.description}{aliases}")
        raise typer.Exit()


@app.command()
def main(
    inputs: list[str] = typer.Argument(None, metavar="INPUT...",
                                       help="Files, folders (converted recursively) or - for stdin."),
    to: Optional[str] = typer.Option(None, "--to", "-t", metavar="FORMAT",
                                     help="Output format: markdown (md), text (txt), json … see --list-formats."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="OUTPUT",
        help="Output file, folder (for several inputs or a folder), or - for stdout. "
             "Default: beside each input, with the new extension."),
    width: int = typer.Option(80, "--width", min=0, help="Text: wrap at this many columns (0: no wrapping)."),
    references: str = typer.Option("end", "--references", metavar="end|inline|none",
                                   help="Text: list link targets at the end (end), also mark them "
                                        "[n] in the text (inline), or drop them (none)."),
    front_matter: bool = typer.Option(True, "--front-matter/--no-front-matter",
                                      help="Markdown: start with YAML front matter holding the metadata."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors."),
    list_formats: bool = typer.Option(False, "--list-formats", callback=_list_formats, is_eager=True,
                                      help="List the output formats and exit."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Convert feed-HTML news items to Markdown, plain text, JSON and more."""
    if not inputs:
        raise typer.BadParameter("give at least one INPUT (a file, a folder, or - for stdin)",
                                 param_hint="INPUT")
    if not to:
        raise typer.BadParameter("choose an output format, e.g. --to md (see --list-formats)",
                                 param_hint="--to")
    try:
        cls = get_writer_class(to)
    except FormatError as exc:
        raise typer.BadParameter(str(exc), param_hint="--to") from None
    accepted = writer_options(cls)
    given = {"width": width, "references": references, "front_matter": front_matter}
    options = {k: v for k, v in given.items() if k in accepted}
    try:
        make_writer(to, **options)
    except OptionError as exc:
        raise typer.BadParameter(exc.reason) from None
    warnings.showwarning = _print_warning
    if inputs == ["-"] or output == "-":
        raise typer.Exit(_to_stream(inputs, to, output, options))
    pairs, missing = _plan(inputs, to, output)
    report = convert_many(pairs, to, **options)
    failures = [r.error for r in report.failed] + missing
    for result in report.results:
        for note in result.warnings:
            typer.echo(f"convert: warning: {note}", err=True)
    for message in failures:
        typer.echo(f"convert: error: {message}", err=True)
    if not quiet and len(pairs) + len(missing) > 1:
        typer.echo(f"convert: {report.converted} converted, {len(failures)} failed", err=True)
    raise typer.Exit(1 if failures else 0)


def _plan(inputs: list[str], to: str, output: str | None) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(input, output) pairs for the named inputs, and errors for inputs that do not exist."""
    ext = "." + extension(to)
    many = len(inputs) > 1 or any(Path(i).is_dir() for i in inputs) or (output and Path(output).is_dir())
    out_dir = Path(output) if output else None
    pairs: list[tuple[Path, Path]] = []
    missing: list[str] = []
    for name in inputs:
        path = Path(name)
        if path.is_dir():
            for source in iter_inputs(path):
                rel = source.relative_to(path)
                pairs.append((source, ((out_dir / rel) if out_dir else source).with_suffix(ext)))
        elif not path.exists():
            missing.append(f"{name}: no such file or folder")
        elif not many and out_dir is not None:
            pairs.append((path, out_dir))
        else:
            pairs.append((path, (out_dir / path.name if out_dir else path).with_suffix(ext)))
    return pairs, missing


def _to_stream(inputs: list[str], to: str, output: str | None, options: dict[str, Any]) -> int:
    """Convert stdin and/or write to stdout (one input only)."""
    if len(inputs) != 1:
        raise typer.BadParameter("-o - (stdout) takes exactly one INPUT", param_hint="--output")
    name = inputs[0]
    try:
        doc = parse(sys.stdin.buffer.read(), path="<stdin>") if name == "-" else read_file(name)
        data = render(doc, to, **options)
        if output in (None, "-"):
            _write_stdout(data)
        else:
            write_atomic(output, data)
    except ConversionError as exc:
        typer.echo(f"convert: error: {exc}", err=True)
        return 1
    return 0


def _write_stdout(data: str | bytes) -> None:
    sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
    sys.stdout.buffer.flush()


def _print_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                   line: Any = None) -> None:
    typer.echo(f"convert: warning: {message}", err=True)


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
