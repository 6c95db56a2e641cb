"""Planning a batch: walk the inputs (include/exclude globs, hidden files skipped; special
files, symlink loops, symlinks leaving the folder and unreadable folders reported) and map each
input to its output, refusing collisions and outputs that would overwrite an input, before
anything is written. The plan holds each input's path and a few bytes (outputs are worked out
when needed), so that it hardly grows with the archive."""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import warnings
from array import array
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConversionError, OutputError
from ..files import is_url, not_regular, read_input
from ..writers import get_writer_class
from . import DEFAULT_INCLUDE
from .feeds import FEED_SUFFIXES, Feeds, input_kind, is_feed
from .report import FileResult

if TYPE_CHECKING:  # feeds' entries, OPML lists and the journal are imported where they are met:
    # a file named on its own needs none of them (nor hashlib and json, which they import)
    from ..readers.opml import Subscriptions
    from ..readers.syndication import Entry
    from ..remote import FetchOptions

#: A job: input (a file's path, or a feed's entry), output, and the folder whose journal
#: records it (None: not recorded).
Job = tuple["str | Entry", str, "str | None"]


def source_name(source: str | Entry) -> str:
    """How a job's input is named in reports and errors: its path, or ``feed.xml#3``."""
    return source if isinstance(source, str) else source.label


class Tree:
    """Where the outputs of one input tree go: ``src/rel/name.txt`` → ``out/rel/name.md``,
    recorded in ``out``'s journal. A file named on its own is a tree of one, with its output
    given and no journal (always converted, as a user at the shell expects)."""

    __slots__ = ("_base", "_cut", "_ext", "_output", "root")

    def __init__(self, src: str = "", out: str = "", ext: str = "", *, output: str | None = None,
                 root: str | None = None) -> None:
        self._cut = len(os.path.join(src, "")) if src else 0
        self._base, self._ext = (os.path.join(out, "") if out else ""), ext
        self._output = output
        self.root = out if output is None else root

    def output(self, source: str) -> str:
        if self._output is not None:
            return self._output
        return self._base + os.path.splitext(source[self._cut:])[0] + self._ext


class Jobs:
    """The jobs of a plan: each input's path (or feed entry) and its tree (the output is
    worked out when needed). A batch plans every file of an archive before it converts any, so
    this is what its memory grows with: a string and a few bytes per file (and the entries of
    the feeds, which are read whole)."""

    __slots__ = ("_tree_of", "named", "sources", "targets", "trees")

    def __init__(self) -> None:
        self.sources: list[str | Entry] = []
        self._tree_of = array("I")
        self.trees: list[Tree] = []
        #: The real path of each input that is a symbolic link (few), for :func:`plan`.
        self.targets: dict[str, str] = {}
        #: Outputs named by a template (``--name``), by input: these replace the tree's names.
        self.named: dict[str, str] = {}

    def add_tree(self, root: str | os.PathLike[str], out_root: str | os.PathLike[str], ext: str,
                 include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                 problems: list[FileResult] | None = None, follow_symlinks: bool | None = None,
                 feeds: Feeds | None = None) -> None:
        """Every input under ``root``, its output mirrored under ``out_root`` with the
        extension ``ext`` (``.md``); symbolic links followed as :func:`_walk` says. With
        ``feeds``, files named like feeds (:data:`FEED_SUFFIXES`) are looked into too, and
        each that holds a feed becomes its entries, in a folder named like it."""
        src, out = os.fspath(root), os.fspath(out_root)
        tree = len(self.trees)
        self.trees.append(Tree(src, out, ext))
        included = _pattern(include)
        globs = list(include) + (["*" + suffix for suffix in FEED_SUFFIXES] if feeds is not None else [])
        cut = len(os.path.join(src, ""))
        for source in _walk(src, globs, exclude, problems, follow_symlinks, self.targets):
            if feeds is not None and source.lower().endswith(FEED_SUFFIXES) and is_feed(source):
                rel = os.path.splitext(source[cut:])[0]
                feeds.add(self, source, os.path.join(out, rel), out, problems if problems is not None else [])
                continue
            if feeds is not None and not _matches(source[cut:].replace(os.sep, "/"), os.path.basename(source),
                                                  included):
                continue  # named like a feed, holding none, and not asked for
            self.sources.append(source)
            self._tree_of.append(tree)

    def add_entry(self, entry: Entry, output: str, root: str | None) -> None:
        """A feed's entry, written to ``output`` and recorded in ``root``'s journal."""
        self.trees.append(Tree(output=output, root=root))
        self.sources.append(entry)
        self._tree_of.append(len(self.trees) - 1)

    def add_file(self, source: str | os.PathLike[str], output: str | os.PathLike[str]) -> None:
        name = os.fspath(source)
        self.trees.append(Tree(output=os.fspath(output)))
        self.sources.append(name)
        self._tree_of.append(len(self.trees) - 1)
        if os.path.islink(name):
            self.targets[name] = os.path.realpath(name)

    def output(self, i: int) -> str:
        return self._output_of(self.sources[i], self.trees[self._tree_of[i]])

    def __len__(self) -> int:
        return len(self.sources)

    def __getitem__(self, i: int) -> Job:
        source, tree = self.sources[i], self.trees[self._tree_of[i]]
        return source, self._output_of(source, tree), tree.root

    def _output_of(self, source: str | Entry, tree: Tree) -> str:
        """A job's output: a feed entry's was given (:meth:`add_entry`); a file's is the one
        ``--name`` gave it, else its tree's."""
        if not isinstance(source, str):  # an entry
            return tree.output("")
        return self.named.get(source) or tree.output(source)

    def __iter__(self) -> Iterator[Job]:
        return map(self.__getitem__, range(len(self.sources)))

    def drop(self, indices: Container[int]) -> None:
        """Drop the jobs at these indices."""
        kept = [i for i in range(len(self.sources)) if i not in indices]
        self.sources = [self.sources[i] for i in kept]
        self._tree_of = array("I", (self._tree_of[i] for i in kept))


@dataclass(slots=True)
class Plan:
    """Jobs to do, plus the inputs (or folders) that cannot be converted (failed) or that
    were left out (skipped: a symbolic link not followed)."""

    jobs: Jobs = field(default_factory=Jobs)
    problems: list[FileResult] = field(default_factory=list)


def plan_inputs(inputs: Sequence[str | os.PathLike[str]], to: str, output: str | os.PathLike[str] | None = None,
                *, include: Iterable[str] = DEFAULT_INCLUDE, exclude: Iterable[str] = (),
                follow_symlinks: bool | None = None, pair: bool = True, read_feeds: bool = True,
                name: str | None = None, jobs: int | None = None, fetch: FetchOptions | None = None,
                on_fetch: Callable[[int], Callable[[], None]] | None = None) -> Plan:
    """The plan for what a user names: files and folders, and an output file, folder or none.

    The one place where inputs are paired with outputs, for the command line and the library
    alike. A folder's tree is mirrored in the folder ``output``, or its outputs go beside its
    files. A file goes to ``output`` when it is the only input and ``output`` is not a folder;
    otherwise into the folder ``output``, or beside the file. An input that does not exist, a
    folder that cannot be read, and what :func:`plan` refuses become problems. A file named
    here is read even when it is a symbolic link (``follow_symlinks`` is for the links found
    in folders, see :func:`_walk`).

    ``pair=False`` plans the inputs of a dataset or a book, which all go into one output: the
    inputs are walked the same way, but not paired with outputs of their own. ``read_feeds``
    makes each feed its entries (not for a dataset, whose rows are items: a feed there fails
    as one).

    ``name`` (``'{date}-{slug}'``, see :mod:`.naming`) names each output from its document,
    in the folder where it would have gone; every input is read for that (on ``jobs``
    processes).

    An input that is an ``http(s)`` URL is a feed, fetched as ``fetch`` says (see
    :mod:`converter.remote`); its entries go to the folder ``output``, or to one named from
    the URL in the current folder. An OPML file is the feeds it lists, fetched the same way,
    each into a folder named from its URL in ``output`` (or in a folder named like the file).
    Feeds are fetched before anything else is planned, a few at once; ``on_fetch`` is called
    with how many are about to be, and the function it returns as each one is had (a progress
    bar).
    """
    ext = "." + get_writer_class(to).extension
    include, exclude = tuple(include), tuple(exclude)  # read once per folder
    many = len(inputs) > 1 or any(Path(i).is_dir() for i in inputs)
    inputs = _unique(inputs)
    into = output is not None and (_names_folder(output) or Path(output).is_dir())
    if many and output is not None:
        _refuse_file_for_many(os.fspath(output), ext)
    found = Jobs()
    problems: list[FileResult] = []
    feeds = Feeds(ext, fetch, on_fetch) if read_feeds else None
    kinds = _kinds(inputs) if feeds is not None else {}  # each named file's first bytes read once
    lists = _read_lists([name for name, kind in kinds.items() if kind == "opml"], problems)
    if feeds is not None:
        feeds.prefetch([os.fspath(i) for i in inputs if is_url(i)]
                       + [feed.url for listed in lists.values() for feed in listed.feeds])
    for item in inputs:
        path = Path(item)
        if is_url(item):
            _add_url(found, feeds, os.fspath(item), output, problems)
        elif os.fspath(item) in lists:
            _add_list(found, feeds, lists[os.fspath(item)], output, problems)  # type: ignore[arg-type]
        elif path.is_dir():
            found.add_tree(item, output or item, ext, include, exclude, problems, follow_symlinks, feeds)
        elif not path.exists():
            problems.append(FileResult(item, None, "failed", f"{item}: no such file or folder"))
        elif feeds is not None and kinds.get(os.fspath(item)) is not None:
            folder = os.fspath(output) if output is not None else os.path.splitext(os.fspath(item))[0]
            if not _file_in_the_way(os.fspath(item), "is a feed", folder, problems):
                feeds.add(found, os.fspath(item), folder, folder, problems)
        elif not many and output is not None and not into:
            found.add_file(item, output)
        else:
            found.add_file(item, (Path(output) / path.name if output else path).with_suffix(ext))
    if len(inputs) > 1 or len(found) > 1:
        _drop_repeats(found)
    if not pair:
        return Plan(found, problems)
    if name is not None:
        _name_outputs(found, name, ext, jobs)
    return plan(found, problems)


def _add_url(jobs: Jobs, feeds: Feeds | None, url: str, output: str | os.PathLike[str] | None,
             problems: list[FileResult]) -> None:
    """The entries of the feed at ``url`` into the folder ``output``, or into one named from
    the URL (in the current folder); a URL among a dataset's inputs is a problem."""
    if feeds is None:
        problems.append(FileResult(url, None, "failed", f"{url}: is a feed, many documents, not a row; convert "
                                   "it into a folder first, and make the dataset of that folder"))
        return
    folder = os.fspath(output) if output is not None else feeds.url_folder(url, "")
    if not _file_in_the_way(url, "is a feed", folder, problems):
        feeds.add_url(jobs, url, folder, folder, problems)


def _add_list(jobs: Jobs, feeds: Feeds, listed: Subscriptions, output: str | os.PathLike[str] | None,
              problems: list[FileResult]) -> None:
    """The entries of the feeds an OPML file lists, each feed in a folder named from its URL
    in ``output`` (or in a folder named like the file), all recorded in that folder's journal."""
    parent = os.fspath(output) if output is not None else os.path.splitext(listed.path)[0]
    if _file_in_the_way(listed.path, "is a list of feeds", parent, problems):
        return
    for feed in listed.feeds:
        feeds.add_url(jobs, feed.url, feeds.url_folder(feed.url, parent), parent, problems, listed_in=listed.path)


def _kinds(inputs: Sequence[str | os.PathLike[str]]) -> dict[str, str | None]:
    """What each file named among ``inputs`` holds (:func:`.feeds.input_kind`: a feed's kind,
    ``"opml"``, or None)."""
    return {os.fspath(item): input_kind(os.fspath(item)) for item in inputs
            if not is_url(item) and Path(item).is_file()}


def _read_lists(names: list[str], problems: list[FileResult]) -> dict[str, Subscriptions]:
    """The OPML files ``names``, each with the feeds it lists (a warning for each outline
    left out); one that cannot be read is a problem, and lists nothing."""
    if not names:
        return {}
    from ..readers.opml import Subscriptions, read_opml

    lists: dict[str, Subscriptions] = {}
    for name in names:
        try:
            lists[name] = read_opml(read_input(name), name)
        except ConversionError as exc:
            problems.append(FileResult(name, None, "failed", str(exc.naming(name))))
            lists[name] = Subscriptions(name)
            continue
        for note in lists[name].warnings:
            warnings.warn(note, stacklevel=3)
        if not lists[name].feeds:
            warnings.warn(f"{name}: lists no feed to fetch", stacklevel=3)
    return lists


def _file_in_the_way(item: str, what: str, folder: str, problems: list[FileResult]) -> bool:
    """Whether ``folder``, where the entries of ``item`` go, is a file (a problem then)."""
    if Path(folder).exists() and not Path(folder).is_dir():
        problems.append(FileResult(item, None, "failed", f"{item}: {what}, whose entries go to a folder, and "
                                   f"{folder} is a file; choose a folder with -o"))
        return True
    return False


def _name_outputs(jobs: Jobs, template: str, ext: str, workers: int | None) -> None:
    """Name every output by ``template`` from its document, in its folder; repeats numbered.
    A feed's entries keep the names :mod:`.feeds` gave them (the journal finds them by those)."""
    from .execution import read_metas
    from .naming import check_template, stem, unique

    check_template(template)
    files = [(i, source) for i, source in enumerate(jobs.sources) if isinstance(source, str)]
    metas = read_metas([source for _, source in files], jobs=workers)
    wanted = [os.path.join(os.path.dirname(jobs.output(i)), stem(template, meta, source))
              for (i, source), meta in zip(files, metas, strict=True)]
    jobs.named = {source: path + ext for (_, source), path in zip(files, unique(wanted), strict=True)}


def _names_folder(output: str | os.PathLike[str]) -> bool:
    """Whether ``output`` is written as a folder (``out/``), existing or not."""
    return os.fspath(output).endswith(("/", os.sep))


def _refuse_file_for_many(output: str, ext: str) -> None:
    """Several inputs, or a folder, go into an output folder: ``-o`` naming a file (one that
    exists, or a new name with the format's extension) would otherwise become a folder of
    that name, or fail for every input."""
    path = Path(output)
    if path.is_dir() or _names_folder(output):
        return
    if path.exists():
        raise OutputError("is a file; a folder or several inputs need an output folder", output)
    if path.suffix.lower() == ext:
        raise OutputError(f"names a {ext} file; a folder or several inputs need an output folder "
                          "(end it with / to make a folder of that name)", output)


def _unique(inputs: Sequence[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    """``inputs`` without the ones named again (the same file or folder by another path)."""
    seen: set[str] = set()
    kept = []
    for name in inputs:
        key = os.fspath(name) if name == "-" or is_url(name) else os.path.normcase(os.path.realpath(name))
        if key not in seen:
            seen.add(key)
            kept.append(name)
    return kept


def _drop_repeats(jobs: Jobs) -> None:
    """Jobs whose input another job reads already (a file named and found in a folder
    named too): each input is converted once, by the first job that names it. Feed entries
    are left alone: :class:`~.feeds.Feeds` took each entry once already, by its identities."""
    key = _file_keys()
    seen: set[str] = set()
    repeats = set()
    for i, source in enumerate(jobs.sources):
        if not isinstance(source, str):  # an entry
            continue
        k = key(source)
        if k in seen:
            repeats.add(i)
        seen.add(k)
    if repeats:
        jobs.drop(repeats)


def _walk(root: str, include: Iterable[str], exclude: Iterable[str], problems: list[FileResult] | None,
          follow_symlinks: bool | None = None, targets: dict[str, str] | None = None) -> Iterator[str]:
    """Files under ``root`` matching ``include`` and not ``exclude``, in sorted order, as
    paths starting with ``root``.

    Hidden files and folders are skipped. Only regular files are inputs: a FIFO, socket or
    device that matches is reported in ``problems``, never opened. Symbolic links are
    followed while they stay inside ``root`` (``follow_symlinks=None``), wherever they lead
    (True) or not at all (False); a link not followed is reported as skipped. A folder is
    walked once: a link back into a folder being walked is reported instead of looping, a
    second way into one is skipped. ``targets`` receives the real path of each link yielded.

    Files a journal in a folder records are outputs of an earlier batch, never inputs: a
    folder converted in place (``convert notes --to md``) and then again would otherwise find
    each ``.md`` both as its own input and as the output of its ``.txt``.
    """
    from .journal import STATE_FILE, recorded_outputs

    included, excluded = _pattern(include), _pattern(exclude)
    inside = os.path.join(os.path.realpath(root), "")
    seen: dict[tuple[int, int], str] = {}
    prefix = os.path.join(root, "")
    ours: set[str] = set()  # outputs journaled in the folders walked so far

    def report(path: str, message: str, status: str = "failed") -> None:
        if problems is not None:
            problems.append(FileResult(path, None, status, f"{path}: {message}"))

    folders = [root]
    while folders:
        folder = folders.pop()
        rel_dir = os.path.join(folder, "")[len(prefix):].replace(os.sep, "/")
        subfolders: list[str] = []
        entries = _listing(folder, seen, report)
        if any(entry.name == STATE_FILE for entry in entries):
            ours.update(recorded_outputs(folder))
        for entry in entries:
            name, rel = entry.name, rel_dir + entry.name
            if name.startswith(".") or _matches(rel, name, excluded) or entry.path in ours:
                continue
            try:
                mode = _mode(entry)
            except OSError as exc:
                report(entry.path, f"cannot be read ({exc.strerror or exc})")
                continue
            if not stat.S_ISDIR(mode) and not _matches(rel, name, included):
                continue
            target = os.path.realpath(entry.path) if entry.is_symlink() else None
            if target is not None:
                why = _not_followed(target, inside, root, follow_symlinks)
                if why:
                    report(entry.path, why, "skipped")
                    continue
            if stat.S_ISDIR(mode):
                subfolders.append(entry.path)
                continue
            problem = not_regular(mode) if mode else "is a symbolic link to nothing (its target is missing)"
            if problem:
                report(entry.path, problem)
                continue
            if target is not None and targets is not None:
                targets[entry.path] = target
            yield entry.path
        folders.extend(reversed(subfolders))


def _listing(folder: str, seen: dict[tuple[int, int], str],
             report: Callable[[str, str, str], None]) -> list[os.DirEntry[str]]:
    """The entries of ``folder`` sorted by name; none, reported, for a folder that cannot be
    read or was visited already (by ``seen``: each folder's first path): a link loop, or a
    second way in that is skipped, so that links cannot multiply the paths to walk."""
    try:
        st = os.stat(folder)
        first = seen.setdefault((st.st_dev, st.st_ino), folder)
        if first != folder:
            if folder.startswith(os.path.join(first, "")):
                report(folder, "symbolic link loop; not followed", "failed")
            else:
                report(folder, f"is the folder {first} again (symbolic links lead to both); not followed", "skipped")
            return []
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError as exc:
        report(exc.filename or folder, f"cannot be read ({exc.strerror or exc})", "failed")
        return []


def _mode(entry: os.DirEntry[str]) -> int:
    """The kind of file an entry is, links followed (0: a link to nothing); from the folder's
    listing where it says (a folder or a regular file), so most files cost no system call."""
    if entry.is_dir(follow_symlinks=False):
        return stat.S_IFDIR
    if entry.is_file(follow_symlinks=False):
        return stat.S_IFREG
    try:
        return entry.stat().st_mode
    except FileNotFoundError:
        return 0


def _not_followed(target: str, inside: str, root: str, follow_symlinks: bool | None) -> str:
    """Why a symbolic link to ``target`` found under ``root`` (real path ``inside``) is not
    followed ("" when it is)."""
    if follow_symlinks is False:
        return "is a symbolic link; not followed (--no-follow-symlinks)"
    if follow_symlinks is None and not os.path.join(target, "").startswith(inside):
        return f"is a symbolic link to {target}, outside {root}; not followed (--follow-symlinks follows it)"
    return ""


def _pattern(globs: Iterable[str]) -> re.Pattern[str] | None:
    """One regular expression for a list of globs (None for none), as ``fnmatch`` reads them."""
    globs = [os.path.normcase(g) for g in globs]
    return re.compile("|".join(fnmatch.translate(g) for g in globs)) if globs else None


def _matches(rel: str, name: str, pattern: re.Pattern[str] | None) -> bool:
    """Whether the file's name or its path under the root matches one of the globs."""
    return pattern is not None and (pattern.match(os.path.normcase(name)) is not None
                                    or pattern.match(os.path.normcase(rel)) is not None)


def plan(jobs: Jobs, problems: list[FileResult] | None = None) -> Plan:
    """Check the jobs before anything is written.

    Two inputs with the same output (``a.md`` and ``a.txt`` → ``a.epub``) are both refused, as
    is an output that is an input; nothing is overwritten silently. Paths are compared as the
    files they name (:func:`_file_keys`: an output folder reached through a symbolic link to the
    input folder is the input folder; an input that is a link is also the file it leads to).
    They are compared by hash first and only the few that share one by their text, so that
    checking an archive holds no second copy of its paths.
    """
    result = Plan(jobs, list(problems or []))
    key = _file_keys()
    hashes = array("q", (hash(key(jobs.output(i))) for i in range(len(jobs))))
    seen: set[int] = set()
    suspects: set[int] = set()
    for h in hashes:
        (suspects if h in seen else seen).add(h)
    # an input is its path, and the file it leads to when it is a symbolic link
    sources = [s if isinstance(s, str) else s.feed for s in jobs.sources]
    suspects.update(seen.intersection(hash(key(path)) for path in chain(sources, jobs.targets.values())))
    del seen
    if not suspects:
        return result
    claimants: dict[str, list[int]] = {}
    for i, h in enumerate(hashes):
        if h in suspects:
            claimants.setdefault(key(jobs.output(i)), []).append(i)
    inputs: dict[str, str] = {}  # key: the input it names
    for source, path in chain(zip(sources, sources, strict=True), jobs.targets.items()):
        k = key(path)
        if hash(k) in suspects:
            inputs.setdefault(k, source)
    refused: dict[int, FileResult] = {}
    for k, indices in claimants.items():
        for i in indices:
            source, output = source_name(jobs.sources[i]), jobs.output(i)
            if len(indices) > 1:
                others = ", ".join(source_name(jobs.sources[j]) for j in indices if j != i)
                refused[i] = FileResult(source, None, "failed", f"{source}: has the same output {output} as "
                                        f"{others}; nothing was written for either")
            elif k in inputs:
                named = "" if inputs[k] == output else f" ({inputs[k]})"
                refused[i] = FileResult(source, None, "failed", f"{source}: its output {output} is an input{named}; "
                                        f"{_another_output(jobs, i)}")
    result.problems.extend(refused[i] for i in sorted(refused))
    jobs.drop(refused)
    return result


def _another_output(jobs: Jobs, i: int) -> str:
    """What to do about job ``i``'s output being an input: a file converted on its own gets
    another output file, the files of a folder or of several inputs another folder."""
    alone = len(jobs) == 1 and jobs[i][2] is None
    return "name another output file with -o" if alone else "choose another output folder with -o"


def _file_keys() -> Callable[[str], str]:
    """What identifies the file a path names, to compare paths: the real path of its folder
    (symbolic links resolved, once per folder) and its name, in the file system's case.

    A rename replaces the name in the real folder, whatever the name is (a link included),
    so this is what an output would overwrite.
    """
    folders: dict[str, str] = {}
    split, case = os.path.split, os.path.normcase

    def key(path: str) -> str:
        folder, name = split(path)
        base = folders.get(folder)
        if base is None:
            base = folders[folder] = os.path.join(case(os.path.realpath(folder or os.curdir)), "")
        return base + case(name)

    return key
