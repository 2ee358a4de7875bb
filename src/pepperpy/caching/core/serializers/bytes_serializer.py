"""Raw bytes, stored as they are."""

from __future__ import annotations

from typing import Any, final

from ..errors import SerializationError
from ._buffers import as_bytes
from ._describe import describe_type

__all__ = ("BytesSerializer",)


@final
class BytesSerializer:
    """Bytes passed through unchanged, for values that are already encoded.

    :meth:`dumps` takes ``bytes``, ``bytearray`` or ``memoryview`` (copied to
    ``bytes``, in C order) and refuses anything else, ``str`` included;
    :meth:`loads` always returns ``bytes``. Refusals raise
    :class:`~pepperpy.caching.SerializationError`.
    """

    __slots__ = ()

    def dumps(self, obj: Any) -> bytes:
        """Return ``obj`` as ``bytes``."""
        if type(obj) is bytes:
            return obj
        if isinstance(obj, bytes | bytearray | memoryview):
            return as_bytes(obj, "BytesSerializer.dumps")
        raise SerializationError(
            f"BytesSerializer cannot encode a value of type {describe_type(obj)}; "
            "it stores bytes, bytearray and memoryview only"
        )

    def loads(self, data: bytes) -> Any:
        """Return ``data`` as ``bytes``."""
        return as_bytes(data, "BytesSerializer.loads")

    def __repr__(self) -> str:
        return "BytesSerializer()"
