"""Accepting stored data as any bytes-like object, refusing everything else."""

from __future__ import annotations

from ..errors import SerializationError
from ._describe import describe_type

__all__ = ("as_bytes",)


def as_bytes(data: object, reader: str) -> bytes:
    """``data`` as ``bytes`` if it is bytes-like, else a SerializationError naming ``reader``."""
    if type(data) is bytes:
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            return bytes(data)
        except (ValueError, BufferError) as exc:  # a released or exotic memoryview
            raise SerializationError(f"{reader} cannot read the buffer: {exc}") from exc
    raise SerializationError(f"{reader} expects bytes, got a value of type {describe_type(data)}")
