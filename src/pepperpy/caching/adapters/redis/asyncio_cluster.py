"""The asyncio executor for a Redis Cluster, on ``redis.asyncio.cluster.RedisCluster``.

redis-py routes each command by its key's slot and follows MOVED/ASK redirections;
each call here runs under one ``anyio.fail_after`` covering those retries. redis-py
closes a cluster connection whose read or write is interrupted (cancellation
included) before it goes back to its node's pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import anyio
from redis.asyncio.cluster import ClusterNode, RedisCluster

from ...core.errors import BackendError
from ...core.remote import Command
from .asyncio_common import LoopGuard, close_client, open_subscriber
from .errors import backend_error
from .executor import Connection, RedisExecutor, Subscriber, node_reply

__all__ = ("AsyncioClusterExecutor",)


class AsyncioClusterExecutor(RedisExecutor):
    """Commands for a cluster, through ``client``."""

    cluster = True

    def __init__(
        self,
        client: RedisCluster,
        *,
        owns_client: bool,
        timeout: float,
        where: str,
        secrets: Sequence[str],
    ) -> None:
        self._client = client
        self._owns_client = owns_client
        self._timeout = timeout
        self._where = where
        self._secrets = tuple(secrets)
        self._guard = LoopGuard(self._close_client)

    def _fail(self, exc: BaseException, what: str = "command") -> BackendError:
        return backend_error(exc, what, self._where, self._secrets)

    async def call(self, command: Command) -> Any:
        try:
            with anyio.fail_after(self._timeout):
                return await self._client.execute_command(*command)
        except Exception as exc:
            raise self._fail(exc, str(command[0])) from exc

    async def pipeline(self, commands: Sequence[Command]) -> list[Any]:
        if not commands:
            return []
        try:
            with anyio.fail_after(self._timeout):
                pipe = self._client.pipeline(transaction=False)
                for command in commands:
                    pipe.execute_command(*command)
                replies: list[Any] = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            raise self._fail(exc, "pipeline") from exc
        for reply in replies:
            if isinstance(reply, Exception):
                raise self._fail(reply, "pipeline") from reply
        return replies

    async def _nodes(self) -> list[ClusterNode]:
        with anyio.fail_after(self._timeout):
            await self._client.initialize()
        return list(self._client.get_primaries())

    async def primaries(self) -> Sequence[Any]:
        try:
            return await self._nodes()
        except Exception as exc:
            raise self._fail(exc, "CLUSTER SHARDS") from exc

    async def call_on(self, node: Any, command: Command) -> Any:
        try:
            with anyio.fail_after(self._timeout):
                reply = await self._client.execute_command(*command, target_nodes=node)
        except Exception as exc:
            raise self._fail(exc, str(command[0])) from exc
        return node_reply(command, reply)

    async def subscribe(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscriber:
        # Classic pub/sub is cluster-wide: any node receives every published message.
        try:
            with anyio.fail_after(self._timeout):
                await self._client.initialize()
            node = self._client.get_random_node()
        except Exception as exc:
            raise self._fail(exc, "subscribe") from exc
        conn: Connection = node.connection_class(
            **{**node.connection_kwargs, "socket_timeout": None}
        )
        return await open_subscriber(conn, channels, patterns, self._timeout, self._fail)

    async def start(self) -> None:
        await self._guard.start()

    async def _close_client(self) -> None:
        if self._owns_client:
            await close_client(self._client)

    async def aclose(self) -> None:
        await self._guard.close()

    def abandon(self) -> None:
        self._guard.disarm()
