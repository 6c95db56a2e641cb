"""The incremental state of a batch: a journal beside the outputs (``.converter-state.jsonl``)
records, for each output, the input's size and modification time and a fingerprint of the
converter version, format and options. An output whose record matches is skipped. The journal
is appended to as files complete, so an interrupted run loses nothing: a rerun converts only
what is missing."""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import os
import re
from typing import Any

from ..errors import ConversionError
from ..files import write_atomic
from ..metadata import OPTION as METADATA
from ..readers.syndication import Entry
from ..version import __version__
from ..writers import get_writer_class, writer_options

#: The journal of what was converted with which options, kept in the output folder.
STATE_FILE = ".converter-state.jsonl"


def fingerprint(fmt: str, options: dict[str, Any]) -> str:
    """What an output depends on besides its input: converter version, format, options.

    Options are taken with the writer's defaults filled in, so ``width=80`` and no ``width``
    are the same thing.
    """
    cls = get_writer_class(fmt)
    params = inspect.signature(cls.__init__).parameters
    effective = {name: options.get(name, params[name].default) for name in writer_options(cls)}
    mark: dict[str, Any] = {"version": __version__, "format": cls.name, "options": effective}
    if options.get(METADATA):  # metadata given by the user: runs without any keep their marks
        mark["metadata"] = options[METADATA]
    files = {name: _file_digest(effective[name]) for name in FILE_OPTIONS if effective.get(name)}
    if files:  # an edited stylesheet or template is another output: runs without any keep their marks
        mark["files"] = files
    data = json.dumps(mark, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


#: Options that name a file whose content goes into the output.
FILE_OPTIONS = ("css", "cover_image", "template", "reference_doc")


def _file_digest(path: object) -> str:
    """The SHA-256 of the file ``path`` names, read as the writer reads it; ``""`` when it
    cannot be (the writer then says why, on one line)."""
    from ..errors import OptionError
    from ..writers.article import read_option_file

    try:
        return hashlib.sha256(read_option_file("file", str(path))).hexdigest()
    except OptionError:
        return ""


#: What a journal line records of its input: a file's size and modification time, or the
#: digest of a feed's entry (:attr:`Entry.digest`).
Stamp = tuple[int, int] | str | None


def _source_stamp(path: str | Entry) -> Stamp:
    if isinstance(path, Entry):
        return path.digest
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


class Journal:
    """The record of converted outputs in one folder, appended to as files complete.

    A line per output: ``{"output": its name in the folder, "fingerprint": fingerprint(...),
    "source": [input size, input mtime in ns]}``. In memory: the lines read at the start, by
    name, to tell what is up to date. Lines added during the run are kept in memory only when
    the file is rewritten at the end (it had lines already: the rewrite keeps one per output);
    a journal started afresh is only appended to, and is compact as it stands.
    """

    def __init__(self, folder: str) -> None:
        self.path = os.path.join(folder, STATE_FILE)
        self._prefix = os.path.join(folder, "")
        self.lines, compact = _read_journal(self.path)
        self._keep = bool(self.lines) or not compact  # the file gets rewritten: keep every line
        self._newline = not compact  # it may end in a line cut short: start on a new one
        self._pending: list[tuple[str, str]] = []
        self._fh: Any = None
        self.broken = False  # a write failed: stop trying (the rewrite in ``close`` may still work)

    def up_to_date(self, source: str | Entry, output: str, mark: str) -> bool:
        name = self._name(output)
        line = self.lines.get(name)
        return (line is not None and line == _journal_line(name, mark, _source_stamp(source), _identities(source))
                and os.path.exists(output))

    def record(self, output: str, mark: str, stamp: Stamp, entry: tuple[str, ...] = ()) -> None:
        """Note ``output`` as done (written out by :meth:`flush`); ``entry``: the identities
        of the feed entry it was converted from."""
        name = self._name(output)
        line = _journal_line(name, mark, stamp, entry)
        if self._keep or self.broken:
            self.lines[name] = line
        if not self.broken:
            self._pending.append((name, line))

    def flush(self) -> str:
        """Append the lines recorded since the last flush; return why they could not be
        appended ("" when they were).

        A journal that cannot be written (full disk, no permission) costs only incrementality:
        the outputs are there, and the next run converts them again.
        """
        if not self._pending:
            return ""
        pending, self._pending = self._pending, []
        text = "".join(line for _, line in pending)
        try:
            if self._fh is None:
                os.makedirs(os.path.dirname(self.path), exist_ok=True)
                self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()
                if self._newline:
                    text = "\n" + text
            self._fh.write(text)
            self._fh.flush()
        except OSError as exc:
            self.broken = True
            self.lines.update(pending)
            return (f"{self.path}: cannot be written ({exc.strerror or exc}); outputs from here on "
                    "are not recorded and the next run converts them again")
        return ""

    def close(self) -> None:
        """Append what is left, close, and rewrite the file with one line per output if it
        holds more (outputs converted again, lines cut short) or lacks some (a failed write)."""
        self.flush()
        with contextlib.suppress(OSError):
            if self._fh is not None:
                self._fh.close()
        if self.broken or (self._fh is not None and self._keep):
            lines = self.lines if self._keep else {**_read_journal(self.path)[0], **self.lines}
            with contextlib.suppress(ConversionError):
                write_atomic(self.path, "".join(lines.values()))
        self._fh = None

    def _name(self, output: str) -> str:
        if output.startswith(self._prefix):  # the usual case, without relpath's cost
            return output[len(self._prefix):]
        return os.path.relpath(output, os.path.dirname(self.path))


def recorded_outputs(folder: str) -> list[str]:
    """The outputs the journal in ``folder`` records, as paths under ``folder``: files a batch
    wrote there, which a walk of the folder must not take for inputs (a rerun in place would
    otherwise plan ``a.md`` from both ``a.txt`` and itself)."""
    names, _ = _read_journal(os.path.join(folder, STATE_FILE))
    return [os.path.join(folder, *name.split("/")) for name in names]


def _read_journal(path: str) -> tuple[dict[str, str], bool]:
    """A journal's lines by output name (the last of each), and whether the file is compact:
    one whole line per output (a kill can cut the last line short)."""
    lines: dict[str, str] = {}
    compact = True
    # bytes that are not UTF-8 (a damaged file) make their line match nothing: it is converted again
    with contextlib.suppress(OSError), open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                name = json.loads(line)["output"]
            except (ValueError, KeyError, TypeError):
                compact = False
                continue
            if not line.endswith("\n") or name in lines:
                compact = False
            lines[name] = line.rstrip("\n") + "\n"
    return lines, compact


def _journal_line(name: str, mark: str, stamp: Stamp, entry: tuple[str, ...] = ()) -> str:
    """One journal line, as ``json.dumps(..., ensure_ascii=False)`` writes it, formatted
    directly: the main process writes one per file, on the cores the workers need. A feed
    entry's line holds its digest as ``source`` and its identities as ``entry``."""
    if stamp is None:
        source = "null"
    elif isinstance(stamp, str):
        source = _json_string(stamp)
    else:
        source = f"[{stamp[0]}, {stamp[1]}]"
    identities = f', "entry": [{", ".join(map(_json_string, entry))}]' if entry else ""
    return f'{{"output": {_json_string(name)}, "fingerprint": {_json_string(mark)}, "source": {source}{identities}}}\n'


def _identities(source: str | Entry) -> tuple[str, ...]:
    return source.identities if isinstance(source, Entry) else ()


def recorded_entries(folder: str) -> dict[str, str]:
    """The feed entries the journal in ``folder`` records: each identity, and its output's
    name in the folder."""
    found: dict[str, str] = {}
    for line in _read_journal(os.path.join(folder, STATE_FILE))[0].values():
        if '"entry"' not in line:
            continue
        try:
            record = json.loads(line)
            for identity in record["entry"]:
                if isinstance(identity, str) and isinstance(record["output"], str):
                    found[identity] = record["output"]
        except (ValueError, KeyError, TypeError):
            continue
    return found


def _json_string(text: str) -> str:
    """``text`` as ``json.dumps(..., ensure_ascii=False)`` writes it, but for lone surrogates
    (a file name's bytes that were not UTF-8, as ``os.scandir`` hands them over), which UTF-8
    cannot hold: they are written ``\\udce9``, which ``json.loads`` reads back as they were,
    so the journal names such a file exactly and a rerun finds it up to date."""
    return _SURROGATE.sub(_escaped_surrogate, _encode_basestring(text))


_encode_basestring = json.encoder.encode_basestring  # what json.dumps(..., ensure_ascii=False) uses
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escaped_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"
