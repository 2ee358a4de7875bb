"""The serializer contract used by remote stores."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ("Serializer",)


@runtime_checkable
class Serializer(Protocol):
    """Turns values into bytes and back.

    Both directions raise :class:`~pepperpy.caching.SerializationError` (and nothing
    else) for a value they cannot encode or data they cannot decode.
    """

    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj``."""
        ...

    def loads(self, data: bytes) -> Any:
        """Decode ``data`` produced by :meth:`dumps`."""
        ...
