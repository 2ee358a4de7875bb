"""Serializers: how remote stores turn values into bytes and back.

numpy is optional: :class:`NumpySerializer` is imported (and numpy with it) on first
use of the name, so importing this package never imports numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Serializer
from .bytes_serializer import BytesSerializer
from .json_serializer import JsonSerializer
from .pickle_serializer import MIN_SECRET_BYTES, PickleSerializer
from .resolve import SERIALIZER_NAMES, resolve_serializer
from .string_serializer import StringSerializer

if TYPE_CHECKING:
    from .numpy_serializer import NumpySerializer

__all__ = (
    "MIN_SECRET_BYTES",
    "SERIALIZER_NAMES",
    "BytesSerializer",
    "JsonSerializer",
    "NumpySerializer",
    "PickleSerializer",
    "Serializer",
    "StringSerializer",
    "resolve_serializer",
)


def __getattr__(name: str) -> Any:
    if name == "NumpySerializer":
        from .numpy_serializer import NumpySerializer

        return NumpySerializer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
