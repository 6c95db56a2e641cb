"""The one exception family users can cause. Messages name the file and what to do."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (~3-9 ms) on every start
if TYPE_CHECKING:
    import warnings
    from collections.abc import Iterable


class ConversionError(Exception):
    """Base of every error caused by input or options (never by a bug in the converter).

    ``str(error)`` is a single line fit to print after the program name.
    """

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.reason = " ".join(str(message).split())
        super().__init__(f"{path}: {self.reason}" if path else self.reason)

    def naming(self, path: str | None) -> ConversionError:
        """This error against ``path`` (a writer's error does not know the input it was given)."""
        if self.path or not path:
            return self
        named = type(self).__new__(type(self))
        ConversionError.__init__(named, self.reason, path)
        return named


class InputError(ConversionError):
    """The input cannot be read or is not a document (missing, empty, binary, undecodable)."""


class FormatError(ConversionError):
    """An unknown output format."""


class OptionError(ConversionError):
    """An option a writer does not accept, or a bad option value."""


class OutputError(ConversionError):
    """The output cannot be written (permissions, full disk, output equals input)."""


class ImageWarning(UserWarning):
    """Images of a document were not embedded (it shows their text instead). ``hosts`` holds
    the host of each image the warning is about, so that a run can say in one line how many
    images from how many hosts it went without."""

    def __init__(self, message: str, hosts: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.hosts = hosts


class ImagesSkipped(ImageWarning):
    """Images not asked for because their host did not answer a moment ago: counted in the
    run's summary rather than printed, one line per document being what made runs without a
    network unreadable."""


def sort_warnings(caught: Iterable[warnings.WarningMessage]) -> tuple[list[str], tuple[str, ...]]:
    """Warnings caught while writing: the lines to show, and the host of each image not
    embedded (those of :class:`ImagesSkipped` are counted, not shown)."""
    notes = [str(w.message) for w in caught if not isinstance(w.message, ImagesSkipped)]
    missing = tuple(host for w in caught if isinstance(w.message, ImageWarning) for host in w.message.hosts)
    return notes, missing
