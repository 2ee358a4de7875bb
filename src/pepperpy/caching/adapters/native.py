"""What the compiled adapter classes take from plain Python (this module stays pure).

``mypyc_attr`` is read by mypyc when it compiles a class (``allow_interpreted_subclasses``:
the class may be subclassed in Python) and is a no-op when the module runs, so
``mypy_extensions``, which ships with mypy, is no runtime dependency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

__all__ = ("mypyc_attr",)

_C = TypeVar("_C")

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr
else:

    def mypyc_attr(*attrs: str, **settings: object) -> Callable[[_C], _C]:
        """mypyc's class settings: read when compiling, nothing at run time."""
        return lambda cls: cls
