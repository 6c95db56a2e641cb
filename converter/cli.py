"""The ``convert`` command: a thin typer layer over the library API.

Exit status: 0 when every input converted (or was up to date), 1 when some failed (each named
on stderr), 2 for usage errors, 130 when interrupted. Bad input never produces a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from . import batch
from .api import formats, parse, read_file, render, write_atomic
from .cli_coercion import Command  # parameter values checked without pydantic
from .errors import ConversionError, FormatError, InputError, OptionError, OutputError
from .files import is_url, printable, read_stream
from .version import __version__
from .writers import get_writer_class, make_writer, writer_options

#: Default of --include (typer wants a list).
_INCLUDE = list(batch.DEFAULT_INCLUDE)
#: Exit status of a usage error.
USAGE = 2

#: The panels of ``--help``: options grouped by what they apply to.
_OUTPUT, _METADATA, _TEXT, _MARKDOWN, _STYLE, _EPUB, _IMAGES, _PANDOC, _FOLDERS = (
    "Output", "Metadata (any format)", "Text", "Markdown", "Style and contents (HTML, EPUB, pandoc's)", "EPUB",
    "Images (EPUB, HTML, --extract-media)",
    "pandoc's formats (docx, odt, rst, latex …)", "Folders and runs")
#: The options of the command that are writer options (the parameter's name is the option's),
#: with the flag that sets each: whether one applies is the chosen writer's to say.
_WRITER_FLAGS = {"width": "--width", "references": "--references", "front_matter": "--front-matter",
                 "images": "--images", "offline": "--offline", "cache_dir": "--cache-dir",
                 "allow_private_hosts": "--allow-private-hosts", "css": "--css",
                 "cover_image": "--epub-cover-image", "reference_doc": "--reference-doc",
                 "template": "--template", "toc": "--toc", "toc_depth": "--toc-depth",
                 "extract_media": "--extract-media"}
#: The writer options that also say how feeds by URL are fetched (see :mod:`converter.remote`).
_NETWORK_FLAGS = {"offline": "--offline", "cache_dir": "--cache-dir", "allow_private_hosts": "--allow-private-hosts"}
#: Options of ``--bundle`` only.
_BUNDLE_FLAGS = {"title": "--title", "order": "--order", "group_by": "--group-by", "since": "--since",
                 "until": "--until", "series": "--series"}


def _usage_error(flag: str | None, message: str) -> NoReturn:
    """Stop with a usage error about ``flag`` (one line, exit status 2: see :class:`_Command`)."""
    raise typer.BadParameter(message, param_hint=flag)


class _Command(Command):
    """typer's command, with usage errors on one line (``convert: error: --width: …``, exit
    status 2) instead of click's four (Usage, Try, a blank line, Error), and ``--help`` in
    sections of what the options apply to, as plain text (rich's panels cost ~110 ms a start),
    without typer's type labels (``<list[str]>``, ``<bool>``): each option's metavar says what
    it takes."""

    # click's other keywords (windows_expand_args) go on in **extra
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _usage_error_types() as exc:
            _say(f"error: {_usage_line(exc)}")
            code = USAGE
        if standalone_mode:
            sys.exit(code or 0)
        return code

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for param in self.get_params(ctx):
            shown = None if param.param_type_name == "argument" else param.metavar or None
            param.display_type_rich = lambda ctx, shown=shown: shown  # type: ignore[attr-defined]  # typer reads it
        super().format_help(ctx, formatter)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """The arguments, the options of the command itself, then a section per panel."""
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                section = "Arguments" if param.param_type_name == "argument" else \
                    getattr(param, "rich_help_panel", None) or "Options"
                sections.setdefault(section, []).append(record)
        for section, records in sections.items():
            if records:
                with formatter.section(section):
                    formatter.write_dl(records)


def _usage_error_types() -> tuple[type[Exception], ...]:
    """click's usage errors, from the click typer uses (its own copy in recent versions)."""
    try:
        from typer._click.exceptions import UsageError
    except ImportError:  # typer before it had its own click
        from click.exceptions import UsageError  # type: ignore[assignment]
    return (UsageError,)


def _usage_line(exc: Any) -> str:
    """A usage error as one line that names the option and what it takes."""
    option = getattr(exc, "option_name", None)
    if option is not None and type(exc).__name__ == "NoSuchOption":
        known = [name for param in exc.ctx.command.params for name in param.opts + param.secondary_opts
                 if name.startswith("--")] if exc.ctx else []
        near = difflib.get_close_matches(option, known, n=1, cutoff=0.8)
        suggestion = f"; did you mean {near[0]}?" if near else " (see convert --help)"
        return f"no such option {option}{suggestion}"
    if option is not None:  # an option given without its value
        return f"{option}: needs a value (see convert --help)"
    hint: Any = getattr(exc, "param_hint", None)
    param = getattr(exc, "param", None)
    if hint is None and param is not None:
        hint = max(param.opts, key=len) if param.param_type_name == "option" else param.human_readable_name
    if isinstance(hint, (list, tuple)):
        hint = " / ".join(hint)
    message = " ".join(str(getattr(exc, "message", exc)).split())
    return f"{hint}: {message}" if hint else message


def _number(flag: str, minimum: int, note: str) -> Callable[[str], int]:
    """A parser for a whole-number option, whose error says what the option takes."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            _usage_error(flag, f"{value!r} is not a whole number ≥ {minimum} (use a number ≥ {minimum}; {note})")
        return number

    return parse


app = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"convert {__version__}")
        raise typer.Exit()


def _list_formats(value: bool) -> None:
    if value:
        infos = formats()
        name_width = max(len(info.name) for info in infos)
        ext_width = max(len(info.extension) for info in infos) + 1
        for info in infos:
            aliases = f" (also: {', '.join(info.aliases)})" if info.aliases else ""
            typer.echo(f"{info.name:<{name_width}}  {'.' + info.extension:<{ext_width}}  {info.description}{aliases}")
        raise typer.Exit()


@app.command(cls=_Command)
def main(
    ctx: typer.Context,
    inputs: Annotated[list[str] | None, typer.Argument(
        metavar="INPUT", show_default=False,
        help="Files, folders (converted recursively), feeds' http(s) URLs, OPML lists of feeds, or -: stdin.")] = None,
    to: str | None = typer.Option(None, "--to", "-t", metavar="FORMAT", rich_help_panel=_OUTPUT,
                                  help="Output format: markdown (md), text (txt), json … see --list-formats."),
    output: str | None = typer.Option(
        None, "--output", "-o", metavar="OUTPUT", rich_help_panel=_OUTPUT,
        help="Output file, folder (for several inputs or a folder), or - for stdout. "
             "Default: beside each input, with the new extension."),
    width: int = typer.Option(80, "--width", metavar="N", parser=_number("--width", 0, "0: no wrapping"),
                              rich_help_panel=_TEXT, help="Wrap at this many columns (0: no wrapping)."),
    references: str = typer.Option("end", "--references", metavar="end|inline|none", rich_help_panel=_TEXT,
                                   help="List link targets at the end (end), also mark them "
                                        "[n] in the text (inline), or drop them (none)."),
    front_matter: bool = typer.Option(True, "--front-matter/--no-front-matter", metavar="", rich_help_panel=_MARKDOWN,
                                      help="Start with YAML front matter holding the metadata."),
    images: str = typer.Option("embed", "--images", metavar="embed|link|none", rich_help_panel=_IMAGES,
                               help="Download images into the output (embed: EPUB's default; an HTML page "
                                    "then holds them), refer to them where they are (link: HTML's default), "
                                    "or drop them.", show_default=False),
    extract_media: str | None = typer.Option(
        None, "--extract-media", metavar="DIR", rich_help_panel=_IMAGES,
        help="Markdown: download the images into DIR and refer to them there (pandoc's option)."),
    offline: bool = typer.Option(False, "--offline", metavar="", rich_help_panel=_IMAGES,
                                 help="Make no network request at all (cached images and feeds are still used)."),
    cache_dir: str | None = typer.Option(None, "--cache-dir", metavar="DIR", rich_help_panel=_IMAGES,
                                         help="Where downloaded images (and, in DIR/feeds, feeds) are cached."),
    allow_private_hosts: bool = typer.Option(False, "--allow-private-hosts", metavar="", rich_help_panel=_IMAGES,
                                             help="Allow images and feeds from loopback and private addresses."),
    metadata: Annotated[list[str] | None, typer.Option(
        "--metadata", "-M", metavar="KEY=VALUE", rich_help_panel=_METADATA,
        help="Set title, author, language, publisher, date or subject, in place of what the "
             "input says (repeatable; any format).")] = None,
    metadata_file: str | None = typer.Option(
        None, "--metadata-file", metavar="FILE.yaml", rich_help_panel=_METADATA,
        help="The same keys from a YAML file (-M wins over it)."),
    css: str | None = typer.Option(None, "--css", metavar="FILE", rich_help_panel=_STYLE,
                                   help="Add this stylesheet after the reading one (its rules win)."),
    cover_image: str | None = typer.Option(None, "--epub-cover-image", metavar="FILE", rich_help_panel=_EPUB,
                                           help="The book's cover (JPEG, PNG, GIF or WebP). "
                                                "Default: one drawn from the title, dates and sections."),
    reference_doc: str | None = typer.Option(None, "--reference-doc", metavar="FILE", rich_help_panel=_PANDOC,
                                             help="Take styles from this docx, odt or pptx file (pandoc's option)."),
    template: str | None = typer.Option(None, "--template", metavar="FILE", rich_help_panel=_PANDOC,
                                        help="Use this pandoc template (text formats)."),
    toc: bool = typer.Option(False, "--toc", metavar="", rich_help_panel=_STYLE,
                             help="A table of contents of the headings (HTML, pandoc's formats; in an EPUB's "
                                  "contents, under each chapter)."),
    toc_depth: int | None = typer.Option(None, "--toc-depth", metavar="N", rich_help_panel=_STYLE,
                                         parser=_number("--toc-depth", 1, "a heading level, 1 to 6"),
                                         help="With --toc: the deepest heading level listed (default: 3)."),
    bundle: str | None = typer.Option(None, "--bundle", metavar="BOOK.epub", rich_help_panel=_EPUB,
                                      help="Put every input in one book, a chapter each."),
    title: str | None = typer.Option(None, "--title", metavar="TEXT", rich_help_panel=_EPUB,
                                     help="With --bundle: the book's title."),
    order: str = typer.Option("newest", "--order", metavar="newest|oldest", rich_help_panel=_EPUB,
                              help="With --bundle: chapters newest or oldest first."),
    group_by: str | None = typer.Option(
        None, "--group-by", metavar="day|week|month|site", rich_help_panel=_EPUB,
        help="With --bundle: one book per day, ISO week or month (UTC), or per publisher, named from the "
             "--bundle template: {date}, {site}, {title} (e.g. 'digest-{date}.epub')."),
    since: str | None = typer.Option(None, "--since", metavar="DATE", rich_help_panel=_EPUB,
                                     help="With --bundle: only documents published on or after DATE "
                                          "(2024-11-27, or an ISO 8601 time; UTC unless it says)."),
    until: str | None = typer.Option(None, "--until", metavar="DATE", rich_help_panel=_EPUB,
                                     help="With --bundle: only documents published on or before DATE "
                                          "(a date: to its end)."),
    series: str | None = typer.Option(None, "--series", metavar="NAME", rich_help_panel=_EPUB,
                                      help="With --bundle: each book is an issue of the series NAME (EPUB "
                                           "belongs-to-collection, calibre's series), numbered by its date."),
    include: Annotated[list[str], typer.Option(
        "--include", metavar="GLOB", rich_help_panel=_FOLDERS,
        help="Convert files matching this (repeatable).")] = _INCLUDE,
    exclude: Annotated[list[str] | None, typer.Option(
        "--exclude", metavar="GLOB", rich_help_panel=_FOLDERS,
        help="Skip files and folders matching this (repeatable).")] = None,
    follow_symlinks: bool | None = typer.Option(
        None, "--follow-symlinks/--no-follow-symlinks", metavar="", show_default=False, rich_help_panel=_FOLDERS,
        help="Follow symbolic links wherever they lead, or none at all. Default: follow "
             "those that stay inside the folder. A link named as an INPUT is always read."),
    files_from: str | None = typer.Option(
        None, "--files-from", metavar="FILE", rich_help_panel=_FOLDERS,
        help="Also convert the files listed in FILE (- for stdin), one a line; # starts a comment."),
    name: str | None = typer.Option(
        None, "--name", metavar="TEMPLATE", rich_help_panel=_FOLDERS,
        help="Name each output from its document: {date} (YYYY-MM-DD), {slug} (of the title), {site}, "
             "{stem} (the input's name), e.g. '{date}-{slug}'. Names that repeat get -2, -3 …"),
    jobs: int = typer.Option(0, "--jobs", "-j", metavar="N", parser=_number("--jobs", 0, "0: all cores"),
                             rich_help_panel=_FOLDERS, help="Processes to use (0: all cores)."),
    cluster: str | None = typer.Option(
        None, "--cluster", metavar="tcp://HOST:8786|local:N", rich_help_panel=_FOLDERS,
        help="Run on a Dask cluster (or N local Dask workers); needs converter[dask]. "
             "Inputs and outputs must be on a file system the workers share."),
    force: bool = typer.Option(False, "--force", metavar="", rich_help_panel=_FOLDERS,
                               help="Convert even outputs that are up to date."),
    report: str | None = typer.Option(None, "--report", metavar="FILE", rich_help_panel=_FOLDERS,
                                      help="Write one row per input to FILE (.json or .csv)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", metavar="", help="Print only errors."),
    list_formats: bool = typer.Option(False, "--list-formats", metavar="", callback=_list_formats, is_eager=True,
                                      help="List the output formats and exit."),
    version: bool = typer.Option(False, "--version", metavar="", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Convert feed-HTML news items to Markdown, plain text, JSON and more."""
    inputs = list(inputs or []) + (_read_list(files_from) if files_from else [])
    exclude = exclude or []
    given = _given(ctx)
    if not inputs and files_from is None:
        _usage_error("INPUT", "give at least one (a file, a folder, or - for stdin)")
    if bundle and (to or "epub").lower() != "epub":
        _usage_error("--bundle", "makes an EPUB book; use it with --to epub")
    to = "epub" if bundle else to or _format_of_output(output)
    if report and Path(report).suffix.lower() not in (".json", ".csv"):
        _usage_error("--report", "the report must be a .json or .csv file")
    if "toc_depth" in given and not toc:
        _refuse_unless("--toc", ["--toc-depth"])
    digest: dict[str, Any] = {}
    if bundle:
        _check_bundle(bundle, given)
        digest = _digest_options(bundle, group_by, since, until, series)
    else:
        _refuse_unless("--bundle", [flag for name, flag in _BUNDLE_FLAGS.items() if name in given])
    network = {name: value for name, value in locals().items() if name in _NETWORK_FLAGS and name in given}
    options = _writer_options(to, {name: value for name, value in locals().items()
                                   if name in _WRITER_FLAGS and name in given}, inputs)
    fields = _metadata(metadata or [], metadata_file)
    if bundle and fields:
        title = _bundle_title(fields, title)
    elif fields:
        options = {**options, "metadata": fields}
    if name is not None:
        _check_name(name, inputs, output, bundle)
    run = _Run(inputs, to, output, options, include, exclude, follow_symlinks, jobs or None, force, report, quiet,
               files_from, bundle, title, order, name, cluster, digest, network)
    with _run_scope(quiet):
        raise typer.Exit(_bundle(run) if bundle else _convert(run))


def _metadata(assignments: list[str], file: str | None) -> dict[str, Any]:
    """The metadata fields of ``--metadata-file`` then ``-M`` (which wins), checked."""
    from . import metadata

    values: dict[str, Any] = {}
    try:
        if file is not None:
            values.update(metadata.load_file(file))
    except OptionError as exc:
        _usage_error("--metadata-file", exc.reason)
    try:
        values.update(metadata.parse_assignment(item) for item in assignments)
        return metadata.checked(values)
    except OptionError as exc:
        _usage_error("-M" if assignments else "--metadata-file", exc.reason)


def _bundle_title(fields: dict[str, Any], title: str | None) -> str | None:
    """With ``--bundle``, metadata names the book: its title only (the chapters keep theirs)."""
    other = sorted(set(fields) - {"title"})
    if other:
        key = {"published": "date", "tags": "subject"}.get(other[0], other[0])
        _usage_error("-M", f"{key}: with --bundle only the book's title can be set")
    if title is not None:
        _usage_error("-M", "title: --title already names the book")
    return fields["title"]


def _check_name(template: str, inputs: list[str], output: str | None, bundle: str | None) -> None:
    """``--name`` names the outputs of a folder or of several inputs: a usage error otherwise,
    or when the template is not one (see :mod:`converter.batch.naming`)."""
    from .batch.naming import check_template

    if bundle:
        _usage_error("--name", "does not apply with --bundle (the book is written whole, to BOOK.epub)")
    if output == "-" or inputs == ["-"]:
        _usage_error("--name", "does not apply to stdin or stdout")
    one_file = len(inputs) == 1 and not Path(inputs[0]).is_dir() and not _fetches(inputs)
    if one_file and output is not None and not output.endswith(("/", os.sep)) and not Path(output).is_dir():
        _usage_error("--name", f"-o {output} names the output already; --name names those of a folder")
    try:
        check_template(template)
    except OptionError as exc:
        _usage_error("--name", exc.reason)


def _format_of_output(output: str | None) -> str:
    """Without ``--to``, the format ``-o NAME.ext`` asks for by its extension (as pandoc
    infers it); a usage error when there is no ``-o`` file to tell."""
    from .writers import format_of_name, names_a_file

    if output is not None and names_a_file(output) and Path(output).suffix:
        fmt = format_of_name(Path(output).name)
        if fmt is None:
            _usage_error("--to", f"choose an output format; the extension of {output} is no format's "
                                 "(see convert --list-formats)")
        return fmt
    _usage_error("--to", "choose an output format, e.g. --to md (see convert --list-formats)")


@dataclass(frozen=True, slots=True)
class _Run:
    """What to convert and how, once the options are checked."""

    inputs: list[str]
    to: str
    output: str | None
    options: dict[str, Any]  # the writer's
    include: list[str]
    exclude: list[str]
    follow_symlinks: bool | None
    jobs: int | None
    force: bool
    report: str | None
    quiet: bool
    files_from: str | None = None
    bundle: str | None = None
    title: str | None = None
    order: str = "newest"
    name: str | None = None  # the template of output names (--name)
    cluster: str | None = None  # the Dask cluster to run on (--cluster)
    #: With --bundle: --group-by, --since, --until and --series, as ``bundle_files`` takes them.
    digest: dict[str, Any] = field(default_factory=dict)
    #: --offline, --cache-dir and --allow-private-hosts as given: how feeds by URL are fetched.
    network: dict[str, Any] = field(default_factory=dict)

    def fetch(self) -> Any:
        """How feeds named by URL (or listed in an OPML file) are fetched."""
        from .remote import FetchOptions

        return FetchOptions.of(self.network)


@contextlib.contextmanager
def _run_scope(quiet: bool) -> Iterator[None]:
    """While converting: warnings printed (or, with ``-q``, not), Ctrl-C said at once
    (:func:`_stopping`); the process's own handlers are back afterwards."""
    shown = warnings.showwarning
    warnings.showwarning = _print_warning if not quiet else _ignore_warning
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, _stopping) if main_thread else None
    try:
        yield
    finally:
        warnings.showwarning = shown
        if main_thread:
            signal.signal(signal.SIGINT, previous)


def _convert(run: _Run) -> int:
    """Convert what the checked options say; the exit status."""
    dataset = get_writer_class(run.to).dataset
    if not dataset and (run.inputs == ["-"] or run.output == "-"):
        _refuse_binary_on_terminal(run.to)
        return _to_stream(run.inputs, run.to, run.output, run.options)
    target = _dataset_output(run.inputs, run.to, run.output) if dataset else None
    try:
        with _progress(not run.quiet) as fetching:
            plan = batch.plan_inputs(run.inputs, run.to, None if dataset else run.output, include=run.include,
                                     exclude=run.exclude, follow_symlinks=run.follow_symlinks, pair=not dataset,
                                     read_feeds=not dataset, name=run.name, jobs=run.jobs, fetch=run.fetch(),
                                     on_fetch=fetching.feeds)
    except OutputError as exc:
        _usage_error("-o", str(exc))
    if not plan.jobs and not plan.problems:
        return _nothing("convert", run)
    with _progress(not run.quiet) as progress:
        advance = progress.phase("converting", len(plan.jobs) + len(plan.problems))
        try:
            with _executor(run.cluster) as (executor, workers):
                convert = batch.run if target is None else partial(batch.write_dataset, output=target)
                result = convert(plan, run.to, run.options, jobs=run.jobs or workers, executor=executor,
                                 force=run.force, on_result=advance, keep=bool(run.report))
        except ConversionError as exc:  # the dataset's file cannot be written, the cluster reached
            _say(f"error: {exc}")
            return 1
    _tell(result.results, run.quiet)
    if run.report:
        _write_report(result, run.report)
    if not run.quiet and (sum(result.counts.values()) > 1 or result.interrupted):
        _say(result.summary())
    if not run.quiet and result.images_summary():
        _say(f"warning: {result.images_summary()}")
    return 130 if result.interrupted else 1 if result.failed else 0


@contextlib.contextmanager
def _executor(cluster: str | None) -> Iterator[tuple[Any, int | None]]:
    """The Dask cluster ``--cluster`` names, as an executor and its workers; else none."""
    if cluster is None:
        yield None, None
        return
    from .batch.cluster import connect

    with connect(cluster) as pair:
        yield pair


def _dataset_output(inputs: list[str], to: str, output: str | None) -> Any:
    """Where a dataset goes: ``-o`` (``-``: stdout), or beside the one input (``archive`` →
    ``archive.jsonl``)."""
    if "-" in inputs:
        raise typer.BadParameter(f"--to {to} reads files and folders, not stdin; list files with --files-from -",
                                 param_hint="INPUT")
    cls = get_writer_class(to)
    if output == "-":
        if cls.binary:
            raise typer.BadParameter(f"--to {to} writes a file, not stdout: name it with -o", param_hint="--output")
        return sys.stdout.buffer
    if output is None:
        if len(inputs) > 1:
            raise typer.BadParameter(f"--to {to} writes one file: name it with -o", param_hint="--output")
        path = Path(inputs[0])
        return str(path.with_suffix("." + cls.extension) if path.is_file() else f"{path}.{cls.extension}")
    if Path(output).is_dir():
        raise typer.BadParameter(f"--to {to} writes one file, and {output} is a folder", param_hint="--output")
    return output


def _say(text: str) -> None:
    """One line on stderr, after the program's name. Paths in it are shown escaped
    (:func:`printable`): a file's name can hold no escape sequence or line break for the
    terminal, and bytes that are not UTF-8 show as ``\\xe9``."""
    typer.echo(f"convert: {printable(text)}", err=True)


def _tell(rows: list[batch.FileResult], quiet: bool) -> None:
    """The warnings of these rows (and why those that were left out were) unless ``quiet``,
    then the errors of those that failed."""
    for row in [] if quiet else rows:
        for note in row.warnings:
            _say(f"warning: {note}")
        if row.status == "skipped" and row.error:  # a symbolic link not followed
            _say(f"warning: {row.error}")
    for row in rows:
        if row.status == "failed":
            _say(f"error: {row.error}")


def _check_bundle(book: str, given: set[str]) -> None:
    """``--bundle BOOK.epub`` (or ``-``: stdout) names the book: ``-o``, and the options of
    converting files one by one, mean nothing with it."""
    if book != "-" and Path(book).suffix.lower() != ".epub":
        _usage_error("--bundle", f"{book}: a bundle is an EPUB book; give it a name ending in .epub (or - for stdout)")
    for name, flag in (("output", "-o"), ("force", "--force")):
        if name in given:
            _usage_error(flag, "does not apply with --bundle (the book is written whole, to BOOK.epub)")
    if book == "-":
        _refuse_binary_on_terminal("epub")


def _digest_options(book: str, group_by: str | None, since: str | None, until: str | None,
                    series: str | None) -> dict[str, Any]:
    """--group-by, --since, --until and --series, checked, as :func:`converter.api.bundle_files`
    takes them; the ``--bundle`` name is a template of the books' names (:mod:`converter.digest`)."""
    from .digest import GROUPINGS, check_template, parse_bound

    if group_by is not None and group_by not in GROUPINGS:
        _usage_error("--group-by", f"choose one of {', '.join(GROUPINGS)}")
    if group_by is not None and book == "-":
        _usage_error("--group-by", "makes several books; name them with --bundle TEMPLATE.epub, not stdout")
    try:
        check_template(book)
    except OptionError as exc:
        _usage_error("--bundle", exc.reason)
    bounds: dict[str, Any] = {}
    for flag, value in (("--since", since), ("--until", until)):
        try:
            bounds[flag[2:]] = parse_bound(value, end=flag == "--until") if value is not None else None
        except OptionError as exc:
            _usage_error(flag, exc.reason)
    return {"group_by": group_by, "series": series, **bounds}


def _bundle(run: _Run) -> int:
    """Read every input, then write one book (to stdout for ``-``); inputs that fail are named
    and left out. The exit status."""
    from .api import bundle_files

    book, quiet = run.bundle or "-", run.quiet
    with _progress(not quiet) as fetching:
        plan = batch.plan_inputs(run.inputs, "json", include=run.include, exclude=run.exclude,
                                 follow_symlinks=run.follow_symlinks, pair=False,  # one book, no output per input
                                 fetch=run.fetch(), on_fetch=fetching.feeds)
    if not plan.jobs and not plan.problems:
        return _nothing("bundle", run)
    shown = "<stdout>" if book == "-" else book
    try:
        with _progress(not quiet) as progress:
            read, chapter = _bundle_phases(progress, len(plan.jobs))
            made = bundle_files(run.inputs, title=run.title, order=run.order, include=run.include,
                                exclude=run.exclude, follow_symlinks=run.follow_symlinks, jobs=run.jobs,
                                name=shown, on_result=read, on_document=chapter, plan=plan,
                                on_book=None if book == "-" else write_atomic, **run.digest, **run.options)
    except ConversionError as exc:
        _say(f"error: {exc.naming(shown)}")
        return 1
    rows = made.report.results
    _tell(rows, quiet)
    for note in [] if quiet else made.notes:
        _say(f"warning: {note}")
    failed = made.report.count("failed")
    if not made.books:
        _say(f"error: {shown}: no document could be read; no book written")
    elif made.book is not None:
        try:
            _write_stdout(made.book)
        except ConversionError as exc:
            _say(f"error: {exc}")
            return 1
    if run.report:
        _write_report(made.report, run.report)
    if made.books and not quiet:
        warned = f", {_plural(made.report.warnings, 'warning')}" if made.report.warnings else ""
        if len(made.books) == 1:
            _say(f"{shown if book == '-' else made.books[0][0]}: {_plural(made.report.converted, 'chapter')}, "
                 f"{failed} failed{warned}")
        else:
            for written, chapters in made.books:
                _say(f"{written}: {_plural(chapters, 'chapter')}")
            _say(f"{_plural(len(made.books), 'book')}, {_plural(made.report.converted, 'chapter')}, "
                 f"{failed} failed{warned}")
        if made.report.images_summary():
            _say(f"warning: {made.report.images_summary()}")
    return 1 if failed or not made.books else 0


def _bundle_phases(progress: _Progress, inputs: int) -> tuple[Callable[..., None], Callable[[], None]]:
    """The progress of a bundle: reading the inputs, then the chapters' images (a line of its
    own, as long as the chapters read, from the first chapter settled)."""
    reading = progress.phase("reading", inputs)
    chapters = 0
    images: Callable[..., None] | None = None

    def read(row: batch.FileResult) -> None:
        nonlocal chapters
        chapters += row.status == "converted"
        reading(row)

    def chapter() -> None:
        nonlocal images
        if images is None:
            images = progress.phase("images", chapters, "chapters")
        images()

    return read, chapter


def _write_report(result: batch.Report, report: str) -> None:
    try:
        batch.write_report(result, report)
    except ConversionError as exc:
        _say(f"error: {exc}")


def _given(ctx: typer.Context) -> set[str]:
    """The parameters the user set (on the command line), as opposed to those left at their
    defaults: only these reach a writer, and one that does not apply to the format is an error."""
    defaults = ("DEFAULT", "DEFAULT_MAP")  # click's ParameterSource, by name: typer may carry its own click
    return {name for name in ctx.params if getattr(ctx.get_parameter_source(name), "name", "DEFAULT") not in defaults}


def _refuse_unless(needed: str, flags: list[str]) -> None:
    """A usage error naming the first of ``flags``, which only mean something with ``needed``."""
    if flags:
        _usage_error(flags[0], f"applies only with {needed}")


def _writer_options(fmt: str, given: dict[str, Any], inputs: Sequence[str] = ()) -> dict[str, Any]:
    """The writer options the user gave, checked now so that a bad one is a usage error: one
    the format's writer does not take does not apply to it (``--width`` with Markdown), and a
    value the writer refuses is named by its option (each is tried alone first). The options
    of the network (:data:`_NETWORK_FLAGS`) also say how feeds named by URL are fetched: with
    such ``inputs`` they apply whatever the format, and reach the writer only if it takes them."""
    try:
        cls = get_writer_class(fmt)
    except FormatError as exc:
        _usage_error("--to", exc.reason)
    accepted = writer_options(cls)
    unused = [name for name in given if name in _NETWORK_FLAGS and name not in accepted]
    if unused and _fetches(inputs):
        given = {name: value for name, value in given.items() if name not in unused}
    for name, value in given.items():
        if name not in accepted:
            _usage_error(_WRITER_FLAGS[name], f"does not apply to {cls.name} output")
        try:
            cls(**{name: value})
        except (TypeError, ValueError, OptionError) as exc:  # the writer's own words: "width must be …"
            reason = exc.reason if isinstance(exc, OptionError) else str(exc)
            _usage_error(_WRITER_FLAGS[name], reason[len(name) + 1:] if reason.startswith(name + " ") else reason)
    try:
        make_writer(fmt, **given)
    except OptionError as exc:
        _usage_error(None, exc.reason)
    return given


def _fetches(inputs: Sequence[str]) -> bool:
    """Whether any of ``inputs`` is a feed's URL or an OPML list of feeds (those fetch)."""
    from .batch.feeds import input_kind

    return any(is_url(name) or (Path(name).is_file() and input_kind(name) == "opml") for name in inputs)


def _refuse_binary_on_terminal(fmt: str) -> None:
    """A binary format is not written to a terminal (as pandoc does): it would only scramble
    it. A pipe or a file gets it."""
    if get_writer_class(fmt).binary and sys.stdout.isatty():
        _usage_error("-o -", f"{fmt} output is binary and stdout is a terminal; "
                             "redirect it to a file or a pipe, or name a file with -o")


def _nothing(verb: str, run: _Run) -> int:
    """Say that there is nothing to do, and why (exit status 0: an empty folder is no error)."""
    if not run.quiet:
        folders = [name for name in run.inputs if os.path.isdir(name)]
        if not run.inputs:
            why = f"{run.files_from} lists no file"
        elif folders:
            why = f"no file in {', '.join(folders)} matches --include {' '.join(run.include)}"
        else:  # feeds (files, URLs, OPML lists) without entries
            why = f"{', '.join(run.inputs)} {'holds' if len(run.inputs) == 1 else 'hold'} no entries"
        _say(f"nothing to {verb}: {why}")
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _read_list(name: str) -> list[str]:
    """The paths listed in ``name`` (- for stdin), one a line; blank lines and lines starting
    with ``#`` are skipped. Bytes that are not UTF-8 are kept as the file system keeps them in
    a name (surrogate escapes), so any file can be listed."""
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        _usage_error("--files-from", f"cannot read {name} ({exc.strerror or exc})")
    lines = data.decode("utf-8", "surrogateescape").split("\n")
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[_Progress]:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise (the summary
    line says it all). The bar starts with the first line it has to show (see
    :meth:`_Progress.phase`): one file shows none, and does not import rich for it."""
    progress = _Progress(enabled and sys.stderr.isatty())
    try:
        yield progress
    finally:
        progress.close()


class _Progress:
    """A progress bar, a line per phase of the work; started when a phase has two items or
    more, never when it is not ``enabled``."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def phase(self, label: str, total: int, unit: str = "files") -> Callable[..., None]:
        """A new line of the bar; the function returned moves it on by one (whatever it is
        given: a row, or nothing)."""
        if not self.enabled or total < 2:
            return lambda *done: None
        bar = self._started()
        task = bar.add_task(label, total=total, rate="")
        done = 0

        def advance(*_: object) -> None:
            nonlocal done
            done += 1
            elapsed = bar.tasks[task].elapsed or 0
            rate = f"{done / elapsed:.0f} {unit}/s" if elapsed > 0.5 else ""
            bar.update(task, advance=1, rate=rate)

        return advance

    def feeds(self, count: int) -> Callable[[], None]:
        """The line of feeds being fetched (by URL, or listed in OPML files) while inputs are
        planned: ``count`` of them."""
        return self.phase("fetching feeds", count, "feeds")

    def _started(self) -> Any:
        """The bar, started (and rich imported) at the first phase it shows."""
        if self.bar is None:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                                transient=True, console=_stderr_console())
            self.bar.start()
        return self.bar

    def close(self) -> None:
        """Take the bar off the terminal, if it was shown."""
        if self.bar is not None:
            self.bar.stop()


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def _to_stream(inputs: list[str], to: str, output: str | None, options: dict[str, Any]) -> int:
    """Convert stdin and/or write to stdout (one input only)."""
    if len(inputs) != 1:
        _usage_error("-o -" if output == "-" else "INPUT -", "stdout and stdin take exactly one INPUT")
    name = inputs[0]
    try:
        from . import metadata

        if is_url(name):
            raise InputError("is a feed, many documents, not one: convert it into a folder (-o DIR) or a book "
                             "(--bundle)", name)

        options, fields = metadata.split_options(options)
        doc = parse(read_stream(sys.stdin.buffer), path="<stdin>") if name == "-" else read_file(name)
        data = render(metadata.apply(doc, fields), to, **options)
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


def _stopping(signum: int, frame: object) -> None:
    """Ctrl-C: say so at once, then stop (the batch hands out nothing more and stops its
    workers); a second Ctrl-C interrupts whatever is left."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _say("stopping…")
    raise KeyboardInterrupt


def _ignore_warning(message: Any, category: Any, filename: str, lineno: int, file: Any = None,
                   line: Any = None) -> None:
    """What ``-q`` does with a warning raised in this process: nothing (the rows count theirs)."""


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    run()
