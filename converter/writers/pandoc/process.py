"""Running pandoc: one process per document (``pandoc --sandbox``), or one per batch as
pandoc-server's CGI program; its heap, timeout, warnings and errors."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...errors import ConversionError
from .formats import PANDOC_FORMATS

#: Seconds a conversion may take before pandoc is stopped.
DEFAULT_TIMEOUT = 60.0
#: Characters of pandoc's error message kept in ours.
_MAX_REASON = 300


class PandocError(ConversionError):
    """pandoc is missing, failed, or took longer than the timeout."""


class PandocWarning(UserWarning):
    """Something pandoc reported without failing (e.g. an image it did not fetch)."""


# ---------------------------------------------------------------------------- running pandoc


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc binary: pypandoc-binary's, else pypandoc's choice, else ``pandoc`` on PATH.

    The bundled binary is found without importing pypandoc, whose import and version probe
    would add some 80 ms to every single-file conversion.
    """
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for name in ("pandoc", "pandoc.exe"):
                candidate = Path(folder) / "files" / name
                if candidate.is_file() and os.access(candidate, os.X_OK):
                    return str(candidate)
        try:
            import pypandoc

            return str(pypandoc.get_pandoc_path())
        except OSError:
            pass
    found = shutil.which("pandoc")
    if found is None:
        raise PandocError("pandoc is not installed; install it with: pip install pypandoc-binary")
    return found


def run_pandoc(args: list[str], data: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """pandoc's output for ``data`` on stdin, run with ``--sandbox``, an empty data directory
    (pandoc's own templates, whatever the user's holds) and ``args``.

    A failure, a timeout or a missing pandoc raises :class:`PandocError`; what pandoc says on
    stderr when it succeeds is issued as :class:`PandocWarning` s.
    """
    try:
        with tempfile.TemporaryDirectory(prefix="converter-pandoc-") as empty:
            command = [pandoc_path(), "--sandbox", "--data-dir", empty, *args]
            done = subprocess.run(command, input=data, env=_bounded_heap(len(data)), capture_output=True,
                                  timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc took longer than {timeout:g} s and was stopped") from None
    except OSError as exc:
        raise PandocError(f"pandoc could not be run: {exc.strerror or exc}") from None
    _refuse_heap_exhausted(done.returncode, len(data))
    messages = _messages(done.stderr)
    if done.returncode != 0:
        reason = " ".join(messages) or "no message"
        reason = reason if len(reason) <= _MAX_REASON else reason[:_MAX_REASON - 1] + "…"
        raise PandocError(f"pandoc failed (exit status {done.returncode}): {reason}")
    for message in messages:
        warnings.warn(f"pandoc: {message}", PandocWarning, stacklevel=2)
    return done.stdout


#: pandoc's heap may grow to this plus ``_HEAP_PER_BYTE`` times the size of its input: enough
#: for any article (pandoc needs some 20-50 bytes per byte of JSON for a large table), and a
#: bound for a hostile one, which would otherwise take gigabytes before the timeout stops it.
_HEAP_BASE = 512 * 2**20
_HEAP_PER_BYTE = 64
#: The exit status of a GHC program whose heap reached its ``-M`` limit.
_HEAP_EXHAUSTED = 251


def heap_limit(size: int) -> int:
    """The most heap pandoc may take for ``size`` bytes of input."""
    return _HEAP_BASE + _HEAP_PER_BYTE * size


def _bounded_heap(size: int) -> dict[str, str]:
    """The environment pandoc runs in: the user's, with GHC's runtime told to stop pandoc at
    :func:`heap_limit` (``GHCRTS``; a pandoc built without runtime options warns and goes on)."""
    return dict(os.environ, GHCRTS=f"-M{heap_limit(size)}")


def _refuse_heap_exhausted(status: int, size: int) -> None:
    if status == _HEAP_EXHAUSTED:
        raise PandocError(f"pandoc needed more than {heap_limit(size) // 2**20} MB of memory for this "
                          "document and was stopped")


def _messages(stderr: bytes) -> list[str]:
    """pandoc's stderr as one line per distinct message (indented lines join the one above)."""
    out: list[str] = []
    for line in stderr.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        if out and line[:1].isspace():
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip().removeprefix("[WARNING] ").removeprefix("[INFO] "))
    return list(dict.fromkeys(" ".join(m.split()) for m in out))


#: pandoc-server's ``/batch`` endpoint as a CGI request (and nothing of the user's environment).
_CGI_ENV = {"REQUEST_METHOD": "POST", "PATH_INFO": "/batch", "CONTENT_TYPE": "application/json",
            "HTTP_ACCEPT": "application/json", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "SCRIPT_NAME": "", "REMOTE_ADDR": "127.0.0.1"}
_CGI_HEAD_END = re.compile(rb"\r?\n\r?\n")

#: One document converted by a batch: its output and pandoc's warnings about it.
BatchAnswer = tuple[bytes, list[str]]


def run_pandoc_batch(fmt: str, payloads: list[bytes], *, timeout: float) -> list[BatchAnswer | None]:
    """Each JSON AST of ``payloads`` as a standalone document in ``fmt`` (``--wrap=preserve``),
    with pandoc's warnings about it, from one pandoc process: pandoc-server's ``/batch`` endpoint,
    run as a CGI program, saves pandoc's start-up on every document but the first.

    The server runs every conversion in ``PandocPure``: no file, network or data directory of
    the user's is touched (``--sandbox`` runs the same code). A document it could not convert is
    ``None``; a batch that fails as a whole (no pandoc-server, a timeout, an answer that is not
    one output per document) raises :class:`PandocError`.
    """
    params = [{"text": data.decode("utf-8"), "from": "json", "to": fmt, "standalone": True, "wrap": "preserve"}
              for data in payloads]
    body = json.dumps(params, ensure_ascii=False).encode("utf-8")
    env = dict(_CGI_ENV, CONTENT_LENGTH=str(len(body)), PANDOC_SERVER_TIMEOUT=str(int(timeout) + 2),
               GHCRTS=f"-M{heap_limit(len(body))}")
    try:
        with tempfile.TemporaryDirectory(prefix="converter-pandoc-") as folder:
            server = Path(folder) / "pandoc-server.cgi"  # the name that makes pandoc the server
            server.symlink_to(pandoc_path())
            done = subprocess.run([str(server)], input=body, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise PandocError(f"pandoc-server took longer than {timeout:g} s and was stopped") from None
    except OSError as exc:
        raise PandocError(f"pandoc-server could not be run: {exc.strerror or exc}") from None
    _refuse_heap_exhausted(done.returncode, len(body))
    answers = _batch_answers(done.stdout) if done.returncode == 0 else None
    if answers is None or len(answers) != len(payloads):
        reason = " ".join(_messages(done.stderr)) or done.stdout[:_MAX_REASON].decode("utf-8", "replace")
        reason = " ".join(reason.split())[:_MAX_REASON]
        raise PandocError(f"pandoc-server failed (exit status {done.returncode}): {reason}")
    binary = PANDOC_FORMATS[fmt].binary if fmt in PANDOC_FORMATS else False
    return [_batch_answer(answer, binary) for answer in answers]


def _batch_answers(stdout: bytes) -> list[Any] | None:
    """The JSON array of a CGI response with status 200, or ``None``."""
    parts = _CGI_HEAD_END.split(stdout, maxsplit=1)
    if len(parts) != 2 or not parts[0].startswith(b"Status: 200"):
        return None
    try:
        answers = json.loads(parts[1])
    except ValueError:
        return None
    return answers if isinstance(answers, list) else None


def _batch_answer(answer: Any, binary: bool) -> BatchAnswer | None:
    """One document's output (base64 for binary formats) and warnings, or ``None`` for an
    ``{"error": …}`` or anything else. Like the pandoc command, only warnings are kept."""
    if not isinstance(answer, dict) or not isinstance(answer.get("output"), str) or answer.get("base64") is not binary:
        return None
    try:
        output = base64.b64decode(answer["output"], validate=True) if binary else answer["output"].encode("utf-8")
    except ValueError:
        return None
    messages = [m.get("message", "") for m in answer.get("messages") or [] if isinstance(m, dict)
                and m.get("verbosity") in ("WARNING", "ERROR")]
    return output, list(dict.fromkeys(" ".join(str(m).split()) for m in messages if str(m).strip()))


@lru_cache(maxsize=1)
def api_version() -> list[int]:
    """The pandoc-types version the installed pandoc reads, learnt once per process."""
    version: list[int] = json.loads(run_pandoc(["-f", "markdown", "-t", "json"], b""))["pandoc-api-version"]
    return version
