"""Text as UTF-8 bytes."""

from __future__ import annotations

from typing import Any, final

from ..errors import SerializationError
from ._describe import describe_type

__all__ = ("StringSerializer",)


@final
class StringSerializer:
    """``str`` to UTF-8 bytes and back; nothing else.

    :meth:`dumps` refuses values that are not ``str`` (it never calls ``str()`` on
    them) and strings holding lone surrogates, which UTF-8 cannot encode. A ``str``
    subclass such as a ``StrEnum`` member is stored as its text and read back as a
    plain ``str``. :meth:`loads` refuses bytes that are not valid UTF-8. Both raise
    :class:`~pepperpy.caching.SerializationError`.
    """

    __slots__ = ()

    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj`` as UTF-8."""
        if not isinstance(obj, str):
            raise SerializationError(
                f"StringSerializer cannot encode a value of type {describe_type(obj)}; "
                "it stores str only"
            )
        try:
            return obj.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SerializationError(
                f"StringSerializer cannot encode a str with a lone surrogate "
                f"(at index {exc.start}): UTF-8 cannot represent it"
            ) from exc

    def loads(self, data: bytes) -> Any:
        """Decode UTF-8 bytes (any bytes-like object) to a ``str``."""
        try:
            return str(data, "utf-8")
        except UnicodeDecodeError as exc:
            raise SerializationError(
                f"StringSerializer cannot decode data that is not valid UTF-8 "
                f"({exc.reason} at byte {exc.start})"
            ) from exc
        except (TypeError, ValueError, BufferError) as exc:
            raise SerializationError(
                f"StringSerializer.loads expects bytes, got a value of type "
                f"{describe_type(data)} ({exc})"
            ) from exc

    def __repr__(self) -> str:
        return "StringSerializer()"
