"""Reading inputs and writing outputs safely: regular files only, size-capped reads, atomic writes."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from collections.abc import Callable
from typing import BinaryIO

from .ast import Document
from .errors import InputError, OutputError
from .readers import feed
from .readers import json as json_reader

#: Largest input read, so a stray huge file fails cleanly instead of exhausting memory.
MAX_INPUT_BYTES = 256 * 1024 * 1024
#: Bytes read at a time from a stream, or from a file beyond the size it claimed.
_CHUNK = 1 << 20
#: How inputs are opened: without waiting for a FIFO's writer or taking a terminal as ours.
_INPUT_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
#: Kinds of files that are not inputs, as errors name them.
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


# ---------------------------------------------------------------------------- reading


def read_file(path: str | os.PathLike[str]) -> Document:
    """Read a document from disk: our JSON form for ``.json`` files, feed-HTML otherwise."""
    name = os.fspath(path)
    data = read_input(name)
    if name.lower().endswith(".json"):
        return json_reader.read(data, name)
    return feed.read(data, name)


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
        if hasattr(os, "O_NONBLOCK"):  # a regular file: reads may wait for the disk again
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
    """Write via a temporary file in the same folder and a rename: never a truncated output."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = _temporary(folder or ".", name)
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror or exc})", target) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot be written ({exc.strerror or exc})", target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(folder: str, name: str) -> tuple[int, str]:
    """A new ``.name.XXXX.tmp`` in ``folder``, made first if need be.

    Folders known to exist are not made again: a ``mkdir`` locks the folder above, which every
    worker of a batch would otherwise take for every file.
    """
    if folder not in _FOLDERS_MADE:
        os.makedirs(folder, exist_ok=True)
        _FOLDERS_MADE.add(folder)
    try:
        return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:  # the folder went away since: make it again
        _FOLDERS_MADE.discard(folder)
        os.makedirs(folder, exist_ok=True)
        return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)


#: Folders this process has made or found, so as not to make them again for every output.
_FOLDERS_MADE: set[str] = set()


@functools.cache
def _umask() -> int:
    """The process umask (read once: reading it means setting it)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
