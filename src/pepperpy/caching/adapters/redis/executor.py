"""The interface between RedisCache and the code that talks to Redis.

Two families implement it: the asyncio one (``redis.asyncio``) and the worker-thread
one (redis-py's sync client in anyio worker threads, used on trio). Each comes in a
single-node and a cluster flavour. Every method bounds its work by the cache's
``timeout`` (retries included) and raises only ``BackendError`` (or the runtime's
cancellation); a cancelled or timed-out call never returns its connection to reuse
with a reply still pending.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, NamedTuple

from ...core.remote import Command

__all__ = ("RawMessage", "RedisExecutor", "Subscriber", "pubsub_message", "subscribe_commands")


class RawMessage(NamedTuple):
    """One pub/sub message as Redis sent it."""

    pattern: bytes | None
    channel: bytes
    data: bytes


def pubsub_message(reply: object) -> RawMessage | None:
    """The message in a pub/sub reply, or ``None`` for other replies (confirmations)."""
    if isinstance(reply, list | tuple):
        if len(reply) == 3 and reply[0] in (b"message", "message"):
            return RawMessage(None, reply[1], reply[2])
        if len(reply) == 4 and reply[0] in (b"pmessage", "pmessage"):
            return RawMessage(reply[1], reply[2], reply[3])
    return None


def subscribe_commands(
    channels: Sequence[bytes], patterns: Sequence[bytes]
) -> tuple[list[Command], int]:
    """The SUBSCRIBE/PSUBSCRIBE commands, and how many confirmations they bring."""
    commands: list[Command] = []
    if channels:
        commands.append((b"SUBSCRIBE", *channels))
    if patterns:
        commands.append((b"PSUBSCRIBE", *patterns))
    return commands, len(channels) + len(patterns)


class Subscriber(abc.ABC):
    """A connection in subscribed state, confirmed by the server."""

    @abc.abstractmethod
    async def receive(self) -> RawMessage:
        """The next message; ``BackendError`` once the connection is lost."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close the connection (which ends the subscriptions)."""


class RedisExecutor(abc.ABC):
    """Runs commands for one cache on one event loop."""

    cluster: bool = False

    @abc.abstractmethod
    async def call(self, command: Command) -> Any:
        """Run one command (on a cluster: on the node owning its first key)."""

    @abc.abstractmethod
    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        """Run ``commands`` pipelined (no transaction); their replies, in order.

        If any command fails, the others still run, and ``BackendError`` is raised.
        """

    @abc.abstractmethod
    async def primaries(self) -> Sequence[Any]:
        """The nodes holding data: the server itself, or every primary of a cluster."""

    @abc.abstractmethod
    async def call_on(self, node: Any, command: Command) -> Any:
        """Run one command on ``node`` (one of :meth:`primaries`)."""

    @abc.abstractmethod
    async def subscribe(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscriber:
        """A dedicated connection subscribed to ``channels`` and ``patterns``."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close every connection this executor opened."""

    @abc.abstractmethod
    def abandon(self) -> None:
        """Drop every connection without awaiting: the event loop they belong to is gone."""
