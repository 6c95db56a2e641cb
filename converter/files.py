"""Reading inputs and writing outputs safely: size-capped reads, atomic writes."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile

from .ast import Document
from .errors import InputError, OutputError
from .readers import feed
from .readers import json as json_reader

#: Largest input read, so a stray huge file fails cleanly instead of exhausting memory.
MAX_INPUT_BYTES = 256 * 1024 * 1024


def read_file(path: str | os.PathLike[str]) -> Document:
    """Read a document from disk: our JSON form for ``.json`` files, feed-HTML otherwise."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > MAX_INPUT_BYTES:
            raise InputError(f"is {size // 2**20} MiB; inputs over {MAX_INPUT_BYTES // 2**20} MiB are refused", name)
        with open(name, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise InputError("no such file", name) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", name) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", name) from None
    if name.lower().endswith(".json"):
        return json_reader.read(data, name)
    return feed.read(data, name)


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
