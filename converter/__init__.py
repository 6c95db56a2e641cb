"""converter: feed-HTML news items to clean EPUB, Markdown, plain text and more.

>>> import converter
>>> doc = converter.parse(open("item.txt", "rb").read())
>>> markdown = converter.render(doc, "markdown")
"""

from __future__ import annotations

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
from .errors import ConversionError, FormatError, InputError, OptionError, OutputError
from .version import __version__

__all__ = [
    "ConversionError", "Document", "FileResult", "FormatError", "InputError", "Meta", "OptionError",
    "OutputError", "Report", "__version__", "bundle", "convert_dataset", "convert_file", "convert_tree", "formats",
    "load_json", "parse", "parse_feed", "read_file", "render",
]
