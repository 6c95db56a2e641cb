"""Regular expressions compiled when first used, not when their module is imported.

Compiling is a large part of what importing the readers and writers costs: ``re`` walks every
code point of a character class's ranges in Python (a CJK range, ``[\\u3400-\\u9fff]``, takes
~1.5 ms), and one document uses only some of the patterns (a Chinese item never needs the
English byline rules, nor an English one the CJK ones). A command converting one file pays
only for the patterns it uses; a batch compiles each once per process, as before.
"""

from __future__ import annotations

import re
from typing import Any, cast

#: The methods of a compiled pattern the code calls; after the first use each is the
#: compiled pattern's own bound method, found on the instance without another lookup.
_METHODS = ("search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split", "scanner")


class _LazyPattern:
    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern = pattern
        self._flags = flags

    def __getattr__(self, name: str) -> Any:
        """Called only for what the instance does not hold yet: compile, and hold the
        compiled pattern's methods from now on."""
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self._flags)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        self.flags, self.groups, self.groupindex = compiled.flags, compiled.groups, compiled.groupindex
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done at the first search, match or substitution."""
    return cast(re.Pattern[str], _LazyPattern(pattern, flags))
