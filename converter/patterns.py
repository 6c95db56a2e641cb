"""Regular expressions compiled when first used, not when their module is imported.

Compiling is a large part of what importing the readers and writers costs: ``re`` walks every
code point of a character class's ranges in Python (a CJK range, ``[\\u3400-\\u9fff]``, takes
~1.5 ms), and one document uses only some of the patterns (a Chinese item never needs the
English byline rules, nor an English one the CJK ones). A command converting one file pays
only for the patterns it uses; a batch compiles each once per process, as before.
"""

from __future__ import annotations

import re
import sys
from typing import Any, cast

#: The methods of a compiled pattern that a lazy one offers.
_METHODS = ("search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split")


class _LazyPattern:
    """Each method (attached below, one per name of ``_METHODS``) compiles the pattern at its
    first call. The compiled pattern then takes the lazy one's place in the module that made
    it (a global bound to it is rebound), so that module's later calls cost what they did
    when it compiled at import (measured: going through the lazy object each time cost 1 % of
    a batch); holders elsewhere find the compiled pattern's own methods on the instance."""

    def __init__(self, pattern: str, flags: int, namespace: dict[str, Any]) -> None:
        self.pattern = pattern
        self._flags = flags
        self._namespace = namespace

    def _compiled(self) -> re.Pattern[str]:
        compiled = self.__dict__.get("_object") or re.compile(self.pattern, self._flags)
        self._object = compiled
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        for name, value in list(self._namespace.items()):
            if value is self:
                self._namespace[name] = compiled
        return compiled

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r}, {self._flags})"


def _first_use(name: str) -> Any:
    """The lazy pattern's method ``name``: compile, then call the compiled pattern's."""

    def method(self: _LazyPattern, *args: Any, **kwargs: Any) -> Any:
        return getattr(self._compiled(), name)(*args, **kwargs)

    method.__name__ = name
    return method


def _compiled_attribute(name: str) -> property:
    """The lazy pattern's attribute ``name`` (``flags``, ``groups``): the compiled pattern's."""

    def read(self: _LazyPattern) -> Any:
        return getattr(self._compiled(), name)

    return property(read)


for _name in _METHODS:
    setattr(_LazyPattern, _name, _first_use(_name))
for _name in ("flags", "groups", "groupindex"):
    setattr(_LazyPattern, _name, _compiled_attribute(_name))


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done at the first search, match or substitution; the
    caller's module then holds the compiled pattern in its place."""
    return cast(re.Pattern[str], _LazyPattern(pattern, flags, sys._getframe(1).f_globals))
