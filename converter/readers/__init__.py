"""Readers: the only code that sees HTML. ``feed`` reads feed-HTML, ``json`` our JSON form."""
