"""The worker-thread executor for a single Redis server (redis-py's sync client)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
import redis

from ...core.remote import Command
from .executor import RedisExecutor, Subscriber
from .thread_common import ThreadRunner, exchange, open_thread_subscriber

__all__ = ("ThreadSingleExecutor",)


class ThreadSingleExecutor(RedisExecutor):
    """Commands for one server, on connections of ``client``'s pool, in worker threads."""

    def __init__(self, client: redis.Redis, *, owns_client: bool, runner: ThreadRunner) -> None:
        self._client = client
        self._pool = client.connection_pool
        self._owns_client = owns_client
        self._runner = runner

    def _exchange(self, commands: Sequence[Command]) -> list[Any]:
        pool = self._pool
        conn = pool.get_connection()
        try:
            return exchange(conn, commands)
        finally:
            pool.release(conn)

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
        pool = self._pool
        conn = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
        return await open_thread_subscriber(conn, channels, patterns, self._runner)

    async def aclose(self) -> None:
        if self._owns_client:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._client.close)

    def abandon(self) -> None:
        if self._owns_client:
            self._client.close()
