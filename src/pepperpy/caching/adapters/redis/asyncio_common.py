"""What both asyncio executors share: closing connections, and subscribed connections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import anyio
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

from ...core.errors import BackendError
from .executor import RawMessage, Subscriber, pubsub_message, subscribe_commands

__all__ = ("AsyncioSubscriber", "close_connection", "drop_on_dead_loop", "open_subscriber")

_SHUT_RDWR: Final = 2


async def close_connection(conn: AbstractConnection) -> None:
    """Close ``conn``, even while the calling task is being cancelled."""
    with anyio.CancelScope(shield=True):
        try:
            await conn.disconnect(nowait=True)
        except Exception:  # noqa: S110 - closing a broken connection: nothing left to do
            pass


def drop_on_dead_loop(conn: AbstractConnection) -> None:
    """Close ``conn``'s socket when the event loop it belongs to has ended.

    Such a connection cannot be closed through its loop; shutting the socket down and
    letting go of it is all that is left.
    """
    writer = getattr(conn, "_writer", None)
    if writer is None:
        return
    sock = writer.transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.shutdown(_SHUT_RDWR)
        except OSError:
            pass


class AsyncioSubscriber(Subscriber):
    """A subscribed ``redis.asyncio`` connection."""

    def __init__(
        self,
        conn: AbstractConnection,
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
    conn: AbstractConnection,
    channels: Sequence[bytes],
    patterns: Sequence[bytes],
    timeout: float,
    fail: Callable[[BaseException, str], BackendError],
) -> AsyncioSubscriber:
    """Connect ``conn`` (made with no socket timeout), subscribe, await confirmations."""
    commands, confirmations = subscribe_commands(channels, patterns)
    early: list[RawMessage] = []
    try:
        with anyio.fail_after(timeout):
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
