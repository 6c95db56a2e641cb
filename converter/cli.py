"""The ``convert`` command: a thin typer layer over the library API.

Exit status: 0 when every input converted (or was up to date), 1 when some failed (each named
on stderr), 2 for usage errors, 130 when interrupted. Bad input never produces a traceback.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from . import batch
from .api import formats, parse, read_file, render, write_atomic
from .errors import ConversionError, FormatError, OptionError
from .files import printable, read_stream
from .version import __version__
from .writers import get_writer_class, make_writer, writer_options

#: Default of --include (typer wants a list).
_INCLUDE = list(batch.DEFAULT_INCLUDE)

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
    inputs: Annotated[list[str] | None, typer.Argument(
        metavar="INPUT...", show_default=False, help="Files, folders (converted recursively) or - for stdin.")] = None,
    to: str | None = typer.Option(None, "--to", "-t", metavar="FORMAT",
                                  help="Output format: markdown (md), text (txt), json … see --list-formats."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="OUTPUT",
        help="Output file, folder (for several inputs or a folder), or - for stdout. "
             "Default: beside each input, with the new extension."),
    width: int = typer.Option(80, "--width", min=0, help="Text: wrap at this many columns (0: no wrapping)."),
    references: str = typer.Option("end", "--references", metavar="end|inline|none",
                                   help="Text: list link targets at the end (end), also mark them "
                                        "[n] in the text (inline), or drop them (none)."),
    front_matter: bool = typer.Option(True, "--front-matter/--no-front-matter",
                                      help="Markdown: start with YAML front matter holding the metadata."),
    images: str = typer.Option("embed", "--images", metavar="embed|link|none",
                               help="EPUB: download images into the book (embed), show them as links, or drop them."),
    offline: bool = typer.Option(False, "--offline", help="EPUB: make no network request at all."),
    cache_dir: str | None = typer.Option(None, "--cache-dir", metavar="DIR",
                                         help="EPUB: where downloaded images are cached."),
    allow_private_hosts: bool = typer.Option(False, "--allow-private-hosts",
                                             help="EPUB: allow images from loopback and private addresses."),
    bundle: str | None = typer.Option(None, "--bundle", metavar="BOOK.epub",
                                      help="EPUB: put every input in one book, a chapter each."),
    title: str | None = typer.Option(None, "--title", help="Bundle: the book's title."),
    order: str = typer.Option("newest", "--order", metavar="newest|oldest",
                              help="Bundle: chapters newest or oldest first."),
    group_by: str | None = typer.Option(
        None, "--group-by", metavar="day|week|month|site",
        help="Bundle: one book per day, ISO week or month (UTC), or per publisher, named from the "
             "--bundle template: {date}, {site}, {title} (e.g. 'digest-{date}.epub')."),
    since: str | None = typer.Option(None, "--since", metavar="DATE",
                                     help="Bundle: only documents published on or after DATE "
                                          "(2024-11-27, or an ISO 8601 time; UTC unless it says)."),
    until: str | None = typer.Option(None, "--until", metavar="DATE",
                                     help="Bundle: only documents published on or before DATE (a date: to its end)."),
    series: str | None = typer.Option(None, "--series", metavar="NAME",
                                      help="Bundle: each book is an issue of the series NAME (EPUB "
                                           "belongs-to-collection, calibre's series), numbered by its date."),
    include: Annotated[list[str], typer.Option(
        "--include", metavar="GLOB", help="Folders: convert files matching this (repeatable).")] = _INCLUDE,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="GLOB", help="Folders: skip files and folders matching this (repeatable).")] = None,
    follow_symlinks: bool | None = typer.Option(
        None, "--follow-symlinks/--no-follow-symlinks", show_default=False,
        help="Folders: follow symbolic links wherever they lead, or none at all. Default: follow "
             "those that stay inside the folder. A link named as an INPUT is always read."),
    files_from: str | None = typer.Option(None, "--files-from", metavar="FILE",
                                          help="Also convert the files listed in FILE (- for stdin), one per line."),
    jobs: int = typer.Option(0, "--jobs", "-j", min=0, help="Processes to use (0: all cores)."),
    force: bool = typer.Option(False, "--force", help="Convert even outputs that are up to date."),
    report: str | None = typer.Option(None, "--report", metavar="FILE",
                                      help="Write one row per input to FILE (.json or .csv)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only errors."),
    list_formats: bool = typer.Option(False, "--list-formats", callback=_list_formats, is_eager=True,
                                      help="List the output formats and exit."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Convert feed-HTML news items to Markdown, plain text, JSON and more."""
    inputs = list(inputs or []) + (_read_list(files_from) if files_from else [])
    exclude = exclude or []
    if not inputs:
        raise typer.BadParameter("give at least one INPUT (a file, a folder, or - for stdin)", param_hint="INPUT")
    if bundle and (to or "epub").lower() != "epub":
        raise typer.BadParameter("--bundle makes an EPUB book; use it with --to epub", param_hint="--bundle")
    to = "epub" if bundle else to
    if not to:
        raise typer.BadParameter("choose an output format, e.g. --to md (see --list-formats)", param_hint="--to")
    if report and Path(report).suffix.lower() not in (".json", ".csv"):
        raise typer.BadParameter("the report must be a .json or .csv file", param_hint="--report")
    options = _writer_options(to, {"width": width, "references": references, "front_matter": front_matter,
                                   "images": images, "offline": offline, "cache_dir": cache_dir,
                                   "allow_private_hosts": allow_private_hosts})
    warnings.showwarning = _print_warning
    digest = _digest_options(bundle, group_by, since, until, series)
    if bundle:
        raise typer.Exit(_bundle(inputs, bundle, title, order, options, include, exclude, follow_symlinks, jobs,
                                 quiet, digest))
    if inputs == ["-"] or output == "-":
        raise typer.Exit(_to_stream(inputs, to, output, options))
    plan = batch.plan_inputs(inputs, to, output, include=include, exclude=exclude,
                             follow_symlinks=follow_symlinks)
    with _progress(len(plan.jobs) + len(plan.problems), enabled=not quiet and sys.stderr.isatty()) as advance:
        result = batch.run(plan, to, options, jobs=jobs or None, force=force, on_result=advance,
                           keep=bool(report))
    _tell(result.results)
    if report:
        try:
            batch.write_report(result, report)
        except ConversionError as exc:
            _say(f"error: {exc}")
    if not quiet and (sum(result.counts.values()) > 1 or result.interrupted):
        _say(result.summary())
    raise typer.Exit(130 if result.interrupted else 1 if result.failed else 0)


def _say(text: str) -> None:
    """One line on stderr, after the program's name. Paths in it are shown escaped
    (:func:`printable`): a file's name can hold no escape sequence or line break for the
    terminal, and bytes that are not UTF-8 show as ``\\xe9``."""
    typer.echo(f"convert: {printable(text)}", err=True)


def _tell(rows: list[batch.FileResult]) -> None:
    """The warnings of these rows (and why those that were left out were), then the errors of
    those that failed."""
    for row in rows:
        for note in row.warnings:
            _say(f"warning: {note}")
        if row.status == "skipped" and row.error:  # a symbolic link not followed
            _say(f"warning: {row.error}")
    for row in rows:
        if row.status == "failed":
            _say(f"error: {row.error}")


def _bundle(inputs: list[str], book: str, title: str | None, order: str, options: dict[str, Any],
            include: list[str], exclude: list[str], follow_symlinks: bool | None, jobs: int, quiet: bool,
            digest: dict[str, Any] | None = None) -> int:
    """Read every input, then write one book (or one per group: ``digest``, see
    :func:`_digest_options`); inputs that fail are named and left out."""
    from .digest import books

    plan = batch.plan_inputs(inputs, "json", include=include, exclude=exclude, follow_symlinks=follow_symlinks)
    sources = plan.jobs.sources
    with _progress(len(sources), enabled=not quiet and sys.stderr.isatty()) as advance:
        docs, failures = batch.read_documents(sources, jobs=jobs or None, on_result=advance)
    _tell(plan.problems + failures)
    failures = [row for row in plan.problems if row.status == "failed"] + failures
    if not docs:
        _say(f"error: {book}: no document could be read; no book written")
        return 1
    try:
        made = books(docs, book, title=title, order=order, **(digest or {}), **options)
    except ConversionError as exc:
        _say(f"error: {exc.naming(book)}")
        return 1
    for name, chapters, build in made:
        try:
            write_atomic(name, build())
        except ConversionError as exc:
            _say(f"error: {exc.naming(name)}")
            return 1
        if not quiet:
            _say(f"{name}: {_count(len(chapters), 'chapter')}" + ("" if len(made) > 1 else f", {len(failures)} failed"))
    if not quiet and len(made) > 1:
        _say(f"{len(made)} books, {_count(sum(len(c) for _, c, _ in made), 'chapter')}, {len(failures)} failed")
    return 1 if failures else 0


def _digest_options(bundle: str | None, group_by: str | None, since: str | None, until: str | None,
                    series: str | None) -> dict[str, Any]:
    """--group-by, --since, --until and --series, checked (they need --bundle), as
    :func:`converter.digest.books` takes them."""
    from .digest import GROUPINGS, check_template, parse_bound

    given = {"--group-by": group_by, "--since": since, "--until": until, "--series": series}
    for flag, value in given.items():
        if value is not None and not bundle:
            raise typer.BadParameter("it selects and names books; use it with --bundle BOOK.epub", param_hint=flag)
    if group_by is not None and group_by not in GROUPINGS:
        raise typer.BadParameter(f"choose one of {', '.join(GROUPINGS)}", param_hint="--group-by")
    bounds: dict[str, Any] = {}
    for name, value in (("bundle", bundle), ("since", since), ("until", until)):
        try:
            if name == "bundle" and value:
                check_template(value)
            elif name != "bundle":
                bounds[name] = parse_bound(value, end=name == "until") if value else None
        except OptionError as exc:
            raise typer.BadParameter(exc.reason, param_hint=f"--{name}") from None
    return {"group_by": group_by, "series": series, **bounds}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _writer_options(fmt: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options this format's writer takes, checked now so a bad one is a usage error."""
    try:
        accepted = writer_options(get_writer_class(fmt))
        options = {k: v for k, v in given.items() if k in accepted}
        make_writer(fmt, **options)
    except FormatError as exc:
        raise typer.BadParameter(exc.reason, param_hint="--to") from None
    except OptionError as exc:
        raise typer.BadParameter(exc.reason) from None
    return options


def _read_list(name: str) -> list[str]:
    """The paths listed in ``name`` (- for stdin), one a line. Bytes that are not UTF-8 are
    kept as the file system keeps them in a name (surrogate escapes), so any file can be listed."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {name}: {exc}", param_hint="--files-from") from None
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return [line.strip() for line in lines if line.strip()]


def _progress(total: int, enabled: bool) -> Any:
    """A rich progress bar on a terminal; otherwise nothing (the summary line says it all)."""
    if not enabled or total < 2:
        return _NoProgress()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("converting"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                   transient=True, console=_stderr_console())
    return _RichProgress(bar, total)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


class _NoProgress:
    def __enter__(self) -> Callable[[batch.FileResult], None]:
        return lambda result: None

    def __exit__(self, *exc: object) -> None:
        return None


class _RichProgress:
    def __init__(self, bar: Any, total: int) -> None:
        self.bar, self.total, self.done = bar, total, 0

    def __enter__(self) -> Callable[[batch.FileResult], None]:
        self.bar.__enter__()
        task = self.bar.add_task("convert", total=self.total, rate="")

        def advance(result: batch.FileResult) -> None:
            self.done += 1
            elapsed = self.bar.tasks[0].elapsed or 0
            rate = f"{self.done / elapsed:.0f} files/s" if elapsed > 0.5 else ""
            self.bar.update(task, advance=1, rate=rate)

        return advance

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(*exc)


def _to_stream(inputs: list[str], to: str, output: str | None, options: dict[str, Any]) -> int:
    """Convert stdin and/or write to stdout (one input only)."""
    if len(inputs) != 1:
        raise typer.BadParameter("-o - (stdout) and - (stdin) take exactly one INPUT", param_hint="--output")
    name = inputs[0]
    try:
        doc = parse(read_stream(sys.stdin.buffer), path="<stdin>") if name == "-" else read_file(name)
        data = render(doc, to, **options)
        if output in (None, "-"):
            _write_stdout(data)
        else:
            write_atomic(output, data)
    except ConversionError as exc:
        _say(f"error: {exc}")
        return 1
    return 0


def _write_stdout(data: str | bytes) -> None:
    sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
    sys.stdout.buffer.flush()


def _print_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                   line: Any = None) -> None:
    _say(f"warning: {message}")


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
