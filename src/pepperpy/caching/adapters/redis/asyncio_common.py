"""What both asyncio executors share: closing connections, and subscribed connections."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Any

import anyio
from redis.exceptions import ConnectionError as RedisConnectionError

from ...core.errors import BackendError
from .executor import Connection, RawMessage, Subscriber, pubsub_message, subscribe_commands

__all__ = (
    "AsyncioSubscriber",
    "LoopGuard",
    "close_client",
    "close_connection",
    "open_subscriber",
)


async def close_connection(conn: Connection) -> None:
    """Close ``conn``, even while the calling task is being cancelled."""
    with anyio.CancelScope(shield=True):
        with contextlib.suppress(Exception):  # closing: nothing more to do
            await conn.disconnect(nowait=True)


async def close_client(client: Any) -> None:
    """Close a ``redis.asyncio`` client, even while the calling task is being cancelled."""
    with anyio.CancelScope(shield=True):
        with contextlib.suppress(Exception):  # closing: nothing more to do
            await client.aclose()


class LoopGuard:
    """Closes an executor's connections when its event loop shuts down.

    asyncio connections cannot be closed once their loop is closed, and asyncio's
    shutdown (``asyncio.run``, ``anyio.run``) closes every async generator still open
    while the loop still runs: this guard is such a generator, started on the loop
    the connections belong to, whose ``finally`` closes them. It also fires if the
    executor is dropped without being closed.
    """

    def __init__(self, close: Callable[[], Awaitable[None]]) -> None:
        self._close = close
        self._generator: AsyncGenerator[None, None] | None = None

    async def _guard(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self._close()

    async def start(self) -> None:
        """Arm the guard on the running loop."""
        generator = self._guard()
        await generator.__anext__()
        self._generator = generator

    async def close(self) -> None:
        """Close the connections now (and disarm)."""
        generator, self._generator = self._generator, None
        if generator is None:
            await self._close()
        else:
            with anyio.CancelScope(shield=True):
                await generator.aclose()

    def disarm(self) -> None:
        """Forget the guard (its loop is gone, it already ran if the loop shut down)."""
        self._generator = None


class AsyncioSubscriber(Subscriber):
    """A subscribed ``redis.asyncio`` connection."""

    def __init__(
        self,
        conn: Connection,
        early: list[RawMessage],
        fail: Callable[[BaseException], BackendError],
    ) -> None:
        self._conn = conn
        self._early = early
        self._fail = fail

    async def receive(self) -> RawMessage:
        while True:
            if self._early:
                return self._early.pop(0)
            if not self._conn.is_connected:
                raise self._fail(RedisConnectionError("the subscription's connection is closed"))
            try:
                reply = await self._conn.read_response(push_request=True)
            except Exception as exc:
                raise self._fail(exc) from exc
            message = pubsub_message(reply)
            if message is not None:
                return message

    async def aclose(self) -> None:
        await close_connection(self._conn)


async def open_subscriber(
    conn: Connection,
    channels: Sequence[bytes],
    patterns: Sequence[bytes],
    limit: float,
    fail: Callable[[BaseException, str], BackendError],
) -> AsyncioSubscriber:
    """Connect ``conn`` (made with no socket timeout), subscribe, and await the
    confirmations, all within ``limit`` seconds."""
    commands, confirmations = subscribe_commands(channels, patterns)
    early: list[RawMessage] = []
    try:
        with anyio.fail_after(limit):
            await conn.connect()
            await conn.send_packed_command(conn.pack_commands(commands))
            while confirmations:
                message = pubsub_message(await conn.read_response(push_request=True))
                if message is None:
                    confirmations -= 1
                else:  # published between SUBSCRIBE and PSUBSCRIBE: keep it
                    early.append(message)
    except Exception as exc:
        await close_connection(conn)
        raise fail(exc, "subscribe") from exc
    except BaseException:
        await close_connection(conn)
        raise
    return AsyncioSubscriber(conn, early, lambda exc: fail(exc, "subscription"))
