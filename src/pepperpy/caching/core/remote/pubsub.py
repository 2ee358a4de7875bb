"""Pub/sub on the wire: the subscribe handshake, messages, and invalidations.

On RESP3 a subscribed connection receives its confirmations and messages as push
frames; on RESP2 as arrays, which
:class:`~pepperpy.caching.core.resp.connection.RespConnection` turns into pushes once
told the connection subscribed. Either way they arrive here as
:class:`~pepperpy.caching.core.resp.replies.Push`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, NamedTuple, final

from ..errors import BackendError
from ..resp import Push, encode_command

__all__ = (
    "INVALIDATE_CHANNEL",
    "PubSubMessage",
    "SubscribeHandshake",
    "invalidated_keys",
    "pubsub_message",
)

INVALIDATE_CHANNEL: Final = b"__redis__:invalidate"
"""Where a RESP2 connection named by ``CLIENT TRACKING ... REDIRECT`` hears of changes."""

_CONFIRMATIONS: Final = frozenset({b"subscribe", b"psubscribe"})


class PubSubMessage(NamedTuple):
    """One message as Redis sent it (``pattern`` is ``None`` unless from PSUBSCRIBE)."""

    pattern: bytes | None
    channel: bytes
    data: bytes


def pubsub_message(push: Push) -> PubSubMessage | None:
    """The message a push carries, or ``None`` (confirmations, other pushes)."""
    data = push.data
    if push.kind == b"message" and len(data) == 2 and isinstance(data[1], bytes):
        return PubSubMessage(None, data[0], data[1])
    if push.kind == b"pmessage" and len(data) == 3 and isinstance(data[2], bytes):
        return PubSubMessage(data[0], data[1], data[2])
    return None


def invalidated_keys(push: Push) -> list[bytes] | None:
    """The keys an invalidation reports changed: ``[]`` for "everything" (the server
    flushed, or dropped its tracking table), ``None`` if ``push`` is no invalidation.

    RESP3 sends ``invalidate`` pushes; RESP2 a message on :data:`INVALIDATE_CHANNEL`
    (to the connection named by ``REDIRECT``), whose data is an array of keys.
    """
    if push.kind == b"invalidate" and len(push.data) == 1:
        keys = push.data[0]
    elif push.kind == b"message" and len(push.data) == 2 and push.data[0] == INVALIDATE_CHANNEL:
        keys = push.data[1]
    else:
        return None
    if keys is None:
        return []
    if isinstance(keys, list) and all(isinstance(k, bytes) for k in keys):
        return keys
    raise BackendError(f"unexpected invalidation: {push!r:.200}")


@final
class SubscribeHandshake:
    """SUBSCRIBE/PSUBSCRIBE and the wait for their confirmations.

    ``payload`` is what to send (no regular reply comes: confirmations are pushes).
    :meth:`feed` takes each push until :attr:`confirmed`; a message that arrives in
    between (published to a channel subscribed first) is kept in ``early``.
    """

    __slots__ = ("_waiting", "early", "payload")

    def __init__(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> None:
        if not channels and not patterns:
            raise ValueError("subscribe to at least one channel or pattern")
        parts = []
        if channels:
            parts.append(encode_command((b"SUBSCRIBE", *channels)))
        if patterns:
            parts.append(encode_command((b"PSUBSCRIBE", *patterns)))
        self.payload = b"".join(parts)
        self._waiting = len(channels) + len(patterns)
        self.early: list[PubSubMessage] = []

    @property
    def confirmed(self) -> bool:
        """Whether the server confirmed every channel and pattern."""
        return self._waiting == 0

    def feed(self, push: Push) -> None:
        """Take one push received while waiting."""
        if push.kind in _CONFIRMATIONS:
            self._waiting -= 1
            return
        message = pubsub_message(push)
        if message is not None:
            self.early.append(message)
