"""The worker-thread executor for a Redis Cluster (``redis.cluster.RedisCluster``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.to_thread

from ...core.remote import Command
from .executor import RedisExecutor, Subscriber, node_reply
from .thread_common import ThreadRunner, open_thread_subscriber

__all__ = ("ThreadClusterExecutor",)


class ThreadClusterExecutor(RedisExecutor):
    """Commands for a cluster, in worker threads.

    ``client`` returns the sync ``redis.cluster.RedisCluster`` (typed ``Any``: redis-py
    types it only in part); it is called in a worker thread, so
    it may build the client on first use (redis-py's constructor talks to the cluster).
    """

    cluster = True

    def __init__(
        self, client: Callable[[], Any], *, owns_client: bool, runner: ThreadRunner
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._runner = runner
        self._built: Any = None

    def _get(self) -> Any:
        client = self._built = self._client()
        return client

    def _call(self, command: Command) -> Any:
        return self._get().execute_command(*command)

    async def call(self, command: Command) -> Any:
        return await self._runner.run(str(command[0]), self._call, command)

    def _pipeline(self, commands: Sequence[Command]) -> list[Any]:
        pipe = self._get().pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        replies: list[Any] = pipe.execute(raise_on_error=False)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies

    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        if not commands:
            return []
        return await self._runner.run("pipeline", self._pipeline, commands)

    def _primaries(self) -> list[Any]:
        return list(self._get().get_primaries())

    async def primaries(self) -> Sequence[Any]:
        return await self._runner.run("CLUSTER SHARDS", self._primaries)

    def _on(self, node: Any, command: Command) -> Any:
        return node_reply(command, self._get().execute_command(*command, target_nodes=node))

    async def call_on(self, node: Any, command: Command) -> Any:
        return await self._runner.run(str(command[0]), self._on, node, command)

    def _random_node(self) -> Any:
        return self._get().get_random_node()

    async def subscribe(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscriber:
        # Classic pub/sub is cluster-wide: any node receives every published message.
        node = await self._runner.run("subscribe", self._random_node)
        pool = node.redis_connection.connection_pool
        conn = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
        return await open_thread_subscriber(conn, channels, patterns, self._runner)

    async def aclose(self) -> None:
        built, self._built = self._built, None
        if self._owns_client and built is not None:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(built.close)

    def abandon(self) -> None:
        built, self._built = self._built, None
        if self._owns_client and built is not None:
            built.close()
