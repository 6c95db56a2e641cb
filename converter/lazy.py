"""Names a package imports when first used (PEP 562), so that importing it stays cheap."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing on every start
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping
    from typing import Any


def lazy_names(namespace: dict[str, Any], names: Mapping[str, str], submodules: Collection[str] = (),
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's ``__getattr__`` and ``__dir__``: each of ``names`` is imported from the module
    it maps to (relative to the package) when first asked for, then kept in ``namespace`` (the
    package's globals); each of ``submodules`` is imported as a submodule."""
    package = namespace["__name__"]

    def getattr_(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f".{name}", package)
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(names))

    return getattr_, dir_
