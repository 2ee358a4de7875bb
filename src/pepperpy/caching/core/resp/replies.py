"""What a Redis server sends back, as values: error replies and push frames.

An error reply is a value, not an exception: in a pipeline the other replies are still
good, and whoever reads the replies decides what an error means.
"""

from __future__ import annotations

from typing import Any, Final, TypeAlias, final

__all__ = ("ErrorReply", "Push", "Reply", "error_code")


@final
class ErrorReply:
    """An error reply (``-ERR ...``, ``-MOVED 3999 10.0.0.1:6379``...), as a value.

    ``code`` is its first word (``"ERR"``, ``"MOVED"``, ``"WRONGTYPE"``...).
    """

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    @property
    def code(self) -> str:
        """The first word of the message, Redis' error class."""
        return error_code(self.message)

    def __repr__(self) -> str:
        return f"ErrorReply({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErrorReply) and other.message == self.message

    def __hash__(self) -> int:
        return hash(self.message)


def error_code(message: str) -> str:
    """The first word of an error message (``"MOVED"`` for ``"MOVED 1 h:1"``)."""
    return message.partition(" ")[0]


Reply: TypeAlias = Any
"""One decoded reply: ``bytes``, ``int``, ``float``, ``bool``, ``None``, a ``list`` or
``dict`` of replies, or an :class:`ErrorReply`."""


@final
class Push:
    """A push frame: data the server sends without a request (RESP3 ``>``).

    ``kind`` is its first element (``b"message"``, ``b"pmessage"``, ``b"invalidate"``,
    ``b"subscribe"``...), ``data`` the rest. On a RESP2 connection in subscribed mode,
    pub/sub arrays are delivered as pushes too, so both protocols look the same.
    """

    __slots__ = ("data", "kind")

    def __init__(self, kind: bytes, data: tuple[Reply, ...]) -> None:
        self.kind = kind
        self.data = data

    def __repr__(self) -> str:
        return f"Push({self.kind!r}, {self.data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Push) and (other.kind, other.data) == (self.kind, self.data)

    def __hash__(self) -> int:
        return hash((self.kind, len(self.data)))


PUBSUB_KINDS: Final = frozenset(
    {
        b"message",
        b"pmessage",
        b"smessage",
        b"subscribe",
        b"psubscribe",
        b"ssubscribe",
        b"unsubscribe",
        b"punsubscribe",
        b"sunsubscribe",
        b"pong",
    }
)
"""The first elements of the arrays a RESP2 connection in subscribed mode receives."""
