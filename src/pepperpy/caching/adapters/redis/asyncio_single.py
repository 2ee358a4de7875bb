"""The asyncio executor for a single Redis server, on ``redis.asyncio`` connections.

The hot path (one small command on an idle connection) does what redis-py's own
client does (pack, send, read one reply) and bounds it with redis-py's per-read
timeout, set to the time left, instead of a second timer around the whole call: on
this path the send cannot block (the payload fits in the transport's buffer), so the
read is the only wait, and the deadline stays total. Everything else (connecting, large payloads,
pipelines) runs under ``anyio.fail_after``.

A connection whose exchange did not end with a complete reply (error, timeout,
cancellation) is closed, never reused; one that got a Redis error reply is intact and
goes back to the idle list.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from time import monotonic
from typing import Any, Final, TypeVar

import anyio
import redis.asyncio as redis_asyncio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from ...core.errors import BackendError
from ...core.remote import Command
from .asyncio_common import LoopGuard, close_client, close_connection, open_subscriber
from .errors import backend_error
from .executor import Connection, RedisExecutor, Subscriber

__all__ = ("AsyncioSingleExecutor",)

T = TypeVar("T")

_SMALL: Final = 65536
"""Payloads up to asyncio's default write high-water mark are sent without waiting."""
_SLACK: Final = 0.001
"""A ``None`` reply this close to the deadline is taken as the read timing out."""


def _size(packed: list[bytes]) -> int:
    return sum(map(len, packed))


class AsyncioSingleExecutor(RedisExecutor):
    """Commands for one server on ``redis.asyncio`` connections made from ``client``."""

    def __init__(
        self,
        client: redis_asyncio.Redis,
        *,
        owns_client: bool,
        timeout: float,
        where: str,
        secrets: Sequence[str],
    ) -> None:
        pool = client.connection_pool
        self._client = client
        self._owns_client = owns_client
        self._make: Callable[[], Connection] = pool.make_connection
        self._sub_class: Any = pool.connection_class
        self._sub_kwargs = {**pool.connection_kwargs, "socket_timeout": None}
        self._timeout = timeout
        self._where = where
        self._secrets = tuple(secrets)
        self._idle: list[Connection] = []
        self._open: set[Connection] = set()
        self._guard = LoopGuard(self._close_all)

    def _fail(self, exc: BaseException, what: str = "command") -> BackendError:
        return backend_error(exc, what, self._where, self._secrets)

    # -- connections --------------------------------------------------------------------

    async def _connect(self, deadline: float) -> Connection:
        conn: Connection = self._make()
        self._open.add(conn)
        try:
            with anyio.fail_after(max(deadline - monotonic(), 0.0)):
                await conn.connect()
        except BaseException:
            self._open.discard(conn)
            await close_connection(conn)
            raise
        return conn

    async def _discard(self, conn: Connection) -> None:
        self._open.discard(conn)
        await close_connection(conn)

    async def _drop_idle(self) -> None:
        while self._idle:
            await self._discard(self._idle.pop())

    async def _run(
        self,
        exchange: Callable[[Connection, T, float], Coroutine[Any, Any, Any]],
        arg: T,
        deadline: float,
    ) -> Any:
        """``exchange(conn, arg, deadline)`` on an idle or new connection.

        A reused connection that turns out closed (the server restarted, or closed an
        idle client) is retried once on a new one, within the same deadline.
        """
        for attempt in (0, 1):
            reused = bool(self._idle)
            conn = self._idle.pop() if reused else await self._connect(deadline)
            try:
                reply = await exchange(conn, arg, deadline)
            except ResponseError:
                self._idle.append(conn)  # a complete error reply: the connection is in sync
                raise
            except RedisConnectionError:
                await self._discard(conn)
                if reused and attempt == 0 and monotonic() < deadline:
                    await self._drop_idle()  # closed by the server: the others likely too
                    continue
                raise
            except BaseException:
                await self._discard(conn)
                raise
            self._idle.append(conn)
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    # -- exchanges ----------------------------------------------------------------------

    @staticmethod
    async def _one(conn: Connection, command: Command, deadline: float) -> Any:
        packed = conn.pack_command(*command)
        if _size(packed) > _SMALL:
            with anyio.fail_after(max(deadline - monotonic(), 0.0)):
                await conn.send_packed_command(packed, check_health=False)
                return await conn.read_response()
        await conn.send_packed_command(packed, check_health=False)
        left = deadline - monotonic()
        if left <= 0.0:
            raise TimeoutError
        reply = await conn.read_response(timeout=left)
        # redis-py answers a read that timed out with None (and leaves the reply
        # pending): told apart from a nil reply by the clock; the caller then closes
        # the connection.
        if reply is None and monotonic() >= deadline - _SLACK:
            raise TimeoutError
        return reply

    @staticmethod
    async def _many(conn: Connection, commands: Sequence[Command], deadline: float) -> Any:
        with anyio.fail_after(max(deadline - monotonic(), 0.0)):
            await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
            replies: list[Any] = []
            error: ResponseError | None = None
            for _ in commands:
                try:
                    replies.append(await conn.read_response())
                except ResponseError as exc:  # read on: the connection stays in sync
                    replies.append(exc)
                    error = error or exc
        if error is not None:
            raise error
        return replies

    # -- the interface ------------------------------------------------------------------

    async def call(self, command: Command) -> Any:
        try:
            return await self._run(self._one, command, monotonic() + self._timeout)
        except Exception as exc:
            raise self._fail(exc, str(command[0])) from exc

    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        if not commands:
            return []
        try:
            replies: list[Any] = await self._run(self._many, commands, monotonic() + self._timeout)
        except Exception as exc:
            raise self._fail(exc, "pipeline") from exc
        return replies

    async def primaries(self) -> Sequence[Any]:
        return (None,)

    async def call_on(self, node: Any, command: Command) -> Any:
        return await self.call(command)

    async def subscribe(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscriber:
        conn: Connection = self._sub_class(**self._sub_kwargs)
        return await open_subscriber(conn, channels, patterns, self._timeout, self._fail)

    async def start(self) -> None:
        await self._guard.start()

    async def _close_all(self) -> None:
        self._idle.clear()
        while self._open:
            await close_connection(self._open.pop())
        if self._owns_client:
            await close_client(self._client)

    async def aclose(self) -> None:
        await self._guard.close()

    def abandon(self) -> None:
        self._guard.disarm()
        self._idle.clear()
        self._open.clear()
