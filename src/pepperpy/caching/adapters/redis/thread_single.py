"""The worker-thread executor for a single Redis server (redis-py's sync connections).

Like the asyncio executor, it keeps its own idle connections (a deque, whose
``pop``/``append`` are atomic, so worker threads share it without a lock), made with
the client's settings. A connection goes back to the deque only after a complete
exchange; a reused one that turns out closed by the server is retried once.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Sequence
from typing import Any

import anyio
import anyio.to_thread
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from ...core.remote import Command
from .executor import Connection, RedisExecutor, Subscriber
from .thread_common import ThreadRunner, exchange, open_thread_subscriber

__all__ = ("ThreadSingleExecutor",)


class ThreadSingleExecutor(RedisExecutor):
    """Commands for one server, on connections made with ``client``'s settings."""

    def __init__(self, client: redis.Redis, *, owns_client: bool, runner: ThreadRunner) -> None:
        pool: Any = client.connection_pool
        self._client = client
        self._connection_class: Any = pool.connection_class
        self._connection_kwargs: dict[str, Any] = dict(pool.connection_kwargs)
        self._owns_client = owns_client
        self._runner = runner
        self._idle: deque[Connection] = deque()
        self._open: set[Connection] = set()

    def _connect(self) -> Connection:
        conn = self._connection_class(**self._connection_kwargs)
        self._open.add(conn)
        try:
            conn.connect()
        except BaseException:
            self._discard(conn)
            raise
        return conn

    def _discard(self, conn: Connection) -> None:
        self._open.discard(conn)
        with contextlib.suppress(Exception):  # closing: nothing more to do
            conn.disconnect()

    def _drop_idle(self) -> None:
        while True:
            try:
                conn = self._idle.pop()
            except IndexError:
                return
            self._discard(conn)

    def _exchange(self, commands: Sequence[Command]) -> list[Any]:
        """Runs in a worker thread."""
        for attempt in (0, 1):
            try:
                conn = self._idle.pop()
                reused = True
            except IndexError:
                conn = self._connect()
                reused = False
            try:
                replies = exchange(conn, commands)  # closes conn on any other failure
            except ResponseError:
                self._idle.append(conn)  # a complete error reply: still in sync
                raise
            except RedisConnectionError:
                self._open.discard(conn)
                if reused and attempt == 0:
                    self._drop_idle()  # closed by the server: the others likely too
                    continue
                raise
            except BaseException:
                self._open.discard(conn)
                raise
            self._idle.append(conn)
            return replies
        raise AssertionError("unreachable")  # pragma: no cover

    async def call(self, command: Command) -> Any:
        replies = await self._runner.run(str(command[0]), self._exchange, (command,))
        return replies[0]

    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        if not commands:
            return []
        return await self._runner.run("pipeline", self._exchange, commands)

    async def primaries(self) -> Sequence[Any]:
        return (None,)

    async def call_on(self, node: Any, command: Command) -> Any:
        return await self.call(command)

    async def subscribe(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscriber:
        conn = self._connection_class(**{**self._connection_kwargs, "socket_timeout": None})
        return await open_thread_subscriber(conn, channels, patterns, self._runner)

    def _close_all(self) -> None:
        self._idle.clear()
        while self._open:
            self._discard(self._open.pop())
        if self._owns_client:
            self._client.close()

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self._close_all)

    def abandon(self) -> None:
        self._close_all()
