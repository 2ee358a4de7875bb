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
from typing import Any, NamedTuple, TypeAlias

from ...core.remote import Command

__all__ = (
    "Connection",
    "RawMessage",
    "RedisExecutor",
    "Subscriber",
    "node_reply",
    "pubsub_message",
    "subscribe_commands",
)


Connection: TypeAlias = Any
"""A redis-py connection, sync or asyncio (redis-py types them only in part)."""


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


def node_reply(command: Command, reply: Any) -> Any:
    """A reply of redis-py's cluster client to a command sent to one node, in the shape
    a plain connection returns (its SCAN reply carries the cursor as ``{node: cursor}``)."""
    if command[0] == "SCAN" and isinstance(reply, list | tuple) and len(reply) == 2:
        cursor, keys = reply
        if isinstance(cursor, dict) and len(cursor) == 1:
            return [next(iter(cursor.values())), keys]
    return reply


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

    async def start(self) -> None:  # noqa: B027 - a hook: only loop-bound executors need it
        """Called once, on the event loop the executor belongs to, before first use."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Close every connection this executor opened."""

    @abc.abstractmethod
    def abandon(self) -> None:
        """Let go of every connection without awaiting: their event loop has ended."""
