"""Reading inputs and writing outputs safely: regular files only, size-capped reads, atomic
writes through temporary files a sweep can tell from a dead run's, paths made fit to print."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
import time
import zlib
from collections.abc import Callable, Collection, Iterator
from typing import TYPE_CHECKING, BinaryIO

from .errors import InputError, OutputError
from .patterns import lazy_compile

if TYPE_CHECKING:
    from pathlib import Path

    from .ast import Document

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; temporaries are then swept by age only
    fcntl = None  # type: ignore[assignment]

#: Largest input read, so a stray huge file fails cleanly instead of exhausting memory.
MAX_INPUT_BYTES = 256 * 1024 * 1024
#: Bytes read at a time from a stream, or from a file beyond the size it claimed.
_CHUNK = 1 << 20
#: How inputs are opened: without waiting for a FIFO's writer or taking a terminal as ours.
_INPUT_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
#: How a sweep opens a temporary to test its lock: for writing (locks over NFS need it),
#: never through a symbolic link, never blocking.
_PROBE_FLAGS = (os.O_RDWR | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                | getattr(os, "O_CLOEXEC", 0))
#: Our temporary files, ``.converter-<tag of the output's name>-<random>.tmp``: short whatever
#: the output's name (a 255-byte name still has room for its temporary), and no name a user
#: gives a file by chance (``.notes.tmp``).
_TEMPORARY = lazy_compile(r"\.converter-([0-9a-f]{8})-\w+\.tmp\Z")
#: Where there are no locks, a temporary this old (seconds) is taken for a dead run's.
STALE_SECONDS = 3600.0
#: Kinds of files that are not inputs, as errors name them.
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


# ---------------------------------------------------------------------------- reading

#: What an input naming a feed by URL starts with.
_URL_SCHEMES = ("http://", "https://")


def is_url(name: str | os.PathLike[str]) -> bool:
    """Whether an input names a feed by URL (``http://`` or ``https://``) rather than a file.
    Here, not with the fetching (:mod:`converter.remote`), since every command asks it."""
    return isinstance(name, str) and name[:8].lower().startswith(_URL_SCHEMES)


def read_file(path: str | os.PathLike[str]) -> Document:
    """Read a document from disk: our JSON form for ``.json`` files, feed-HTML otherwise.

    A feed (RSS, Atom, JSON Feed) is refused: it holds many documents, not one.
    """
    name = os.fspath(path)
    data = read_input(name)
    refuse_feed(data, name)
    return read_document(name, data)


def read_document(name: str, data: bytes) -> Document:
    """The document in ``data``, the bytes of the file ``name``: our JSON form for ``.json``
    files, feed-HTML otherwise (a feed is not looked for: see :func:`refuse_feed`)."""
    if name.lower().endswith(".json"):
        from .readers import json as json_reader

        return json_reader.read(data, name)
    from .readers import feed

    return feed.read(data, name)


def refuse_feed(data: bytes, name: str | None) -> None:
    """Raise ``InputError`` when ``data`` is a feed, which is not one document but many, or an
    OPML list of feeds."""
    from .readers import feed_kind

    kind = feed_kind.sniff(data, lists=True)
    if kind == "opml":
        raise InputError("is an OPML list of feeds, not one item: convert it into a folder (-o DIR) or a book "
                         "(--bundle)", name)
    if kind is not None:
        raise InputError(f"is a feed ({feed_kind.KINDS[kind]}) of many entries, not one item: convert it "
                         "into a folder (-o DIR) or a book (--bundle), or read it with converter.parse_feed", name)


def read_head(name: str, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the regular file ``name``, opened as :func:`read_input`
    opens it (``InputError`` for what is not a regular file or cannot be read)."""
    try:
        fd = os.open(name, _INPUT_FLAGS)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    try:
        problem = not_regular(os.fstat(fd).st_mode)
        if problem:
            raise InputError(problem, name)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.read(fd, size)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    finally:
        os.close(fd)


def read_input(name: str) -> bytes:
    """The bytes of the regular file ``name``, refused beyond ``MAX_INPUT_BYTES``.

    The file is opened without blocking (opening a FIFO would wait for a writer forever), its
    kind is checked on the open descriptor (what was checked is what is read), and it is read
    no further than the cap whatever size it claims (``/proc`` files claim none).
    """
    try:
        fd = os.open(name, _INPUT_FLAGS)
    except FileNotFoundError:
        raise InputError("no such file", name) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", name) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    try:
        st = os.fstat(fd)
        problem = not_regular(st.st_mode)
        if problem:
            raise InputError(problem, name)
        if st.st_size > MAX_INPUT_BYTES:
            raise InputError(_too_big(f"is {st.st_size // 2**20} MiB"), name)
        if hasattr(os, "O_NONBLOCK"):  # a regular file after all: plain reads from here on
            os.set_blocking(fd, True)
        return _read_capped(functools.partial(os.read, fd), st.st_size, name)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    finally:
        os.close(fd)


def read_stream(stream: BinaryIO, name: str = "<stdin>") -> bytes:
    """All of ``stream`` (stdin), read in chunks and refused beyond ``MAX_INPUT_BYTES``."""
    try:
        return _read_capped(stream.read, _CHUNK, name)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None


def not_regular(mode: int) -> str:
    """Why a file of this mode is not an input ("" when it is one: a regular file)."""
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"is not a regular file ({kind})"


def _too_big(what: str) -> str:
    return f"{what}; inputs over {MAX_INPUT_BYTES // 2**20} MiB are refused"


def _read_capped(read: Callable[[int], bytes], expected: int, name: str) -> bytes:
    """Read to the end: the ``expected`` size (and a byte, to see the end) at once, anything
    further in chunks, and never more than the cap and a byte."""
    parts: list[bytes] = []
    size = 0
    want = min(expected, MAX_INPUT_BYTES) + 1
    while True:
        part = read(want)
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
        if size > MAX_INPUT_BYTES:
            raise InputError(_too_big(f"holds more than {MAX_INPUT_BYTES // 2**20} MiB"), name)
        want = min(_CHUNK, MAX_INPUT_BYTES + 1 - size)


# ---------------------------------------------------------------------------- writing


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write via a temporary file in the same folder and a rename: never a truncated output
    (see :func:`open_atomic`)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with open_atomic(path) as fh:
        fh.write(payload)


@contextlib.contextmanager
def open_atomic(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A file to write ``path``'s bytes into, bit by bit: a temporary in the same folder that
    takes the name ``path`` when the ``with`` block ends, and is removed if it raises. An
    output is there whole or not at all.

    The temporary stays locked until it has its final name, so that a sweep (ours, in another
    run on the same folder) never takes it for a dead run's.
    """
    target = os.fspath(path)
    folder, name = os.path.split(target)
    try:
        fd, tmp = _temporary(folder or ".", name)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", target) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            try:
                yield fh
                fh.flush()
            except OSError as exc:
                raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None
            try:
                os.chmod(tmp, 0o666 & ~_umask())
                if fcntl is not None:
                    os.replace(tmp, target)
            except OSError as exc:
                raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None
        if fcntl is None:  # Windows renames no open file (and has no lock to keep)
            os.replace(tmp, target)
    except OSError as exc:  # closing (a full disk shows here), or the rename on Windows
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(folder: str, name: str) -> tuple[int, str]:
    """A new temporary file for the output ``name`` in ``folder`` (made first if need be), locked.

    Folders known to exist are not made again: a ``mkdir`` locks the folder above, which every
    worker of a batch would otherwise take for every file.
    """
    import tempfile  # with shutil and random, ~5 ms that output to stdout need not pay

    if folder not in _FOLDERS_MADE:
        os.makedirs(folder, exist_ok=True)
        _FOLDERS_MADE.add(folder)
    prefix = _temporary_prefix(name)
    while True:
        try:
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        except FileNotFoundError:  # the folder went away since: make it again
            _FOLDERS_MADE.discard(folder)
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
        if _hold(fd):
            return fd, tmp
        os.close(fd)


def _temporary_prefix(name: str) -> str:
    """How the temporaries of the output ``name`` start."""
    return f".converter-{_tag(name)}-"


def _tag(name: str) -> str:
    """What a temporary's name keeps of its output's: a hash, not the name (which may leave no
    room), so that a dead worker's temporaries can be found from its outputs."""
    return f"{zlib.crc32(name.encode('utf-8', 'surrogatepass')):08x}"


def _hold(fd: int) -> bool:
    """Lock a new temporary for as long as it is open; False when a sweep removed it before
    the lock was taken (the sweep unlinks while holding the lock, so this waits and sees it).

    A file system without locks (``ENOLCK``) leaves it unlocked: a sweep then goes by age.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        return True
    return os.fstat(fd).st_nlink > 0


#: Folders this process has made or found, so as not to make them again for every output.
_FOLDERS_MADE: set[str] = set()


@functools.cache
def _umask() -> int:
    """The process umask (read once: reading it means setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------- temporaries left behind


def remove_temporaries(folder: str, names: Collection[str] | None = None) -> None:
    """Remove from ``folder`` the temporaries that processes now gone left half written: those
    of the outputs ``names`` (their worker died), or all of them (a run starting).

    Only our own names, and only files no live writer holds locked; where there are no locks,
    only those older than ``STALE_SECONDS``, unless their outputs' worker is known to be dead.
    """
    tags = None if names is None else {_tag(name) for name in names}
    with contextlib.suppress(OSError), os.scandir(folder or ".") as entries:
        for entry in entries:
            match = _TEMPORARY.match(entry.name)
            if match and (tags is None or match[1] in tags) and entry.is_file(follow_symlinks=False):
                _remove_abandoned(entry.path, dead=names is not None)


def _remove_abandoned(path: str, dead: bool) -> None:
    """Remove the temporary ``path`` unless a live writer holds it (or, without locks, unless
    it is recent and not known to be ``dead``'s)."""
    if fcntl is not None and _unlink_unlocked(path) is not None:
        return
    with contextlib.suppress(OSError):
        if dead or time.time() - os.stat(path).st_mtime > STALE_SECONDS:
            os.unlink(path)


def _unlink_unlocked(path: str) -> bool | None:
    """Unlink ``path`` while holding its lock, if no one else holds it; whether it was
    unlinked, or None when its lock cannot be tested here."""
    try:
        fd = os.open(path, _PROBE_FLAGS)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a live writer holds it
        os.close(fd)
        return False
    except OSError:  # no locks on this file system
        os.close(fd)
        return None
    try:
        os.unlink(path)  # still locked: a writer that has just made it waits, then sees it gone
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- printing paths

#: What a path must not carry raw to a terminal or a report: C0 and C1 controls and DEL
#: (escape sequences, line breaks), the line and paragraph separators, the bidirectional
#: controls that reorder what is shown, and lone surrogates (bytes that were not UTF-8).
_UNPRINTABLE = lazy_compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """``text`` (a path, or a message naming one) fit for one line of a terminal or a report
    cell: what a terminal would act on shown as Python writes it escaped (``\\x1b``, ``\\n``,
    ``\\u202e``), a byte that was not UTF-8 as that byte (``caf\\xe9.txt``)."""
    return _UNPRINTABLE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return _SHORT_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def cache_path(root: str | os.PathLike[str], url: str) -> Path:
    """Where a cache folder keeps what it holds for ``url``: ``<2 hex>/<SHA-256>`` under
    ``root`` (a name of fixed length whatever the URL; 256 folders, none too full)."""
    import hashlib
    from pathlib import Path

    key = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()
    return Path(root) / key[:2] / key
