"""Use the converter from Python: parse a feed-HTML item, look at it, render it three ways.

Run from the repository root:  python examples/library_demo.py
"""

from pathlib import Path

import converter

item = Path(__file__).with_name("item.txt")
doc = converter.parse(item.read_bytes(), path=str(item))

print("title:    ", doc.meta.title)
print("author:   ", doc.meta.author)
print("published:", doc.meta.published.isoformat() if doc.meta.published else "-")
print("language: ", doc.meta.language)
print("blocks:   ", len(doc.blocks))
print()
print(converter.render(doc, "text", width=60))

markdown = converter.render(doc, "markdown", front_matter=False)
as_json = converter.render(doc, "json")
assert converter.load_json(as_json) == doc  # the JSON form is lossless
print(markdown.splitlines()[0])
print("formats:", ", ".join(f.name for f in converter.formats()))
