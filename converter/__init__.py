"""converter: feed-HTML news items to clean EPUB, Markdown, plain text and more.

>>> import converter
>>> doc = converter.parse(open("item.txt", "rb").read())
>>> markdown = converter.render(doc, "markdown")

The names below are imported when first used (PEP 562), so that ``import converter`` and
``convert --version`` stay cheap: the readers, the writers and the batch machinery are loaded
by what needs them.
"""

from __future__ import annotations

from .errors import ConversionError, FormatError, InputError, OptionError, OutputError
from .lazy import lazy_names
from .version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (~3 ms) on every start
if TYPE_CHECKING:
    from .api import (
        bundle,
        convert_dataset,
        convert_file,
        convert_tree,
        formats,
        load_json,
        parse,
        parse_feed,
        read_file,
        render,
    )
    from .ast import Document, Meta
    from .batch import FileResult, Report

#: Each lazily imported name and the module that holds it.
_LAZY = {
    **dict.fromkeys(["bundle", "convert_dataset", "convert_file", "convert_tree", "formats", "load_json", "parse",
                     "parse_feed", "read_file", "render"], ".api"),
    **dict.fromkeys(["Document", "Meta"], ".ast"),
    **dict.fromkeys(["FileResult", "Report"], ".batch.report"),
}


__getattr__, __dir__ = lazy_names(globals(), _LAZY)


__all__ = [
    "ConversionError", "Document", "FileResult", "FormatError", "InputError", "Meta", "OptionError",
    "OutputError", "Report", "__version__", "bundle", "convert_dataset", "convert_file", "convert_tree", "formats",
    "load_json", "parse", "parse_feed", "read_file", "render",
]
