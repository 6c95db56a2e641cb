"""Command-line values checked without importing pydantic.

Typer (0.2x) checks and converts each parameter's value with a pydantic ``TypeAdapter`` that
it builds the first time the parameter is processed, defaults included; importing pydantic
for that costs more than the rest of a one-file conversion (~100 ms on the development
machine, against ~60 ms for everything else). The values of the ``convert`` command are
strings, lists of strings, booleans, integers with a lower bound, and values read by a parser
function of our own, which need none of it.

:class:`Command` (the ``cls`` of the ``convert`` command) gives each of its parameters a
coercion that returns a value that is plainly valid as typer's would (the same string, a
list of the same strings, ``int("72")``) and hands any other value to typer's own coercion,
so that what is refused, and how it is reported, stays typer's. If typer's internals change,
:class:`Command` is typer's command unchanged (tests/test_startup.py then fails: pydantic is
imported again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from typer.core import TyperCommand

try:
    from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
except ImportError:  # pragma: no cover - another typer: its own coercion, pydantic and all
    RuntimeParam = None  # type: ignore[assignment,misc]

#: What :func:`plain_value` returns for a value it leaves to typer.
NOT_PLAIN: Any = object()
#: Longest string of digits taken as an integer here (longer ones are typer's to judge).
_MAX_DIGITS = 100


def plain_value(annotation: Any, minimum: float | None, maximum: float | None, value: Any) -> Any:
    """``value`` as typer's coercion returns it for a parameter of type ``annotation``
    (``str``, ``int``, ``bool``, ``list[str]``) when that is plain, else :data:`NOT_PLAIN`."""
    if annotation is str:
        return value if type(value) is str else NOT_PLAIN
    if annotation is bool:
        return value if type(value) is bool else NOT_PLAIN
    if annotation is int:
        if type(value) is str and value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS:
            value = int(value)
        if type(value) is not int or (minimum is not None and value < minimum) or (
                maximum is not None and value > maximum):
            return NOT_PLAIN
        return value
    if annotation == list[str] and isinstance(value, (list, tuple)) and all(type(item) is str for item in value):
        return list(value)
    return NOT_PLAIN


#: The parameter types :func:`plain_value` knows.
PLAIN_TYPES = (str, int, bool, list[str])

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """A parameter's coercion: :func:`plain_value`, else typer's (built when needed)."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            if info.parser is not None:  # typer's adapter returns what the parser returns
                try:
                    return info.parser(value)
                except Exception:  # typer calls it again, and reports it its way
                    return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            done = plain_value(self.annotation, info.min, info.max, value)
            if done is not NOT_PLAIN:
                return done
            return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)


class Command(TyperCommand):
    """Typer's command, whose parameters of plain types (its help option included) are
    coerced by :func:`plain_value`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _simplify(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _simplify(option)
        return option


def _simplify(param: Any) -> None:
    """Give ``param`` the coercion of :class:`PlainRuntimeParam` if its type is plain."""
    descriptor = getattr(param, "type_descriptor", None)
    if RuntimeParam is None or descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return  # not typer's parameter as we know it, or one already coerced
    info = descriptor.parameter_info
    if descriptor.file_annotation is None and not info.clamp and (
            info.parser is not None or descriptor.annotation in PLAIN_TYPES):
        param._runtime_param = PlainRuntimeParam(info, descriptor.annotation, descriptor)
