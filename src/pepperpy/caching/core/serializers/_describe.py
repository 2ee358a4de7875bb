"""How error messages name types and positions inside a value."""

from __future__ import annotations

import reprlib

__all__ = ("describe_type", "short_repr")

_REPR = reprlib.Repr()
_REPR.maxstring = 40
_REPR.maxother = 40


def describe_type(obj: object) -> str:
    """The name of ``obj``'s type: ``set`` for builtins, ``module.Qualname`` otherwise."""
    kind = type(obj)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def short_repr(obj: object) -> str:
    """A repr cut to a length that fits in an error message."""
    return _REPR.repr(obj)
