"""RedisCache: the cache interface on Redis (single node or Cluster, asyncio or trio)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, final

import anyio
import anyio.lowlevel
import sniffio

from ...core.errors import BackendError, ConfigurationError, InvalidKeyError
from ...core.remote import (
    Command,
    get_command,
    mget_rounds,
    pttl_seconds,
    scan_command,
    scan_reply,
    set_command,
    unlink_rounds,
    write_rounds,
)
from ...core.serializers.base import Serializer
from ...core.ttl import TTL
from ..distributed import DistributedCache
from .executor import RedisExecutor, Subscriber
from .factory import check_client, client_secrets, make_executor
from .options import ExecutorChoice, RedisOptions, parse_startup_nodes
from .pubsub import Subscription

__all__ = ("RedisCache",)


def _no_loop() -> object:
    return None


def _channel(name: object) -> bytes:
    if isinstance(name, str):
        return name.encode("utf-8", "surrogatepass")
    if isinstance(name, bytes):
        return name
    raise InvalidKeyError(f"channel names must be str; got {name!r} of type {type(name).__name__}")


@final
class RedisCache(DistributedCache):
    """A cache in Redis, shared by every process that uses the same server and namespace.

    Connects to ``host:port`` (database ``db``), or to ``url`` (``redis://``,
    ``rediss://`` for TLS, ``unix://``; ``redis+cluster://`` or ``rediss+cluster://``
    for a cluster), or through a redis-py ``client`` you built (then the client's
    type decides: a ``redis.asyncio`` client runs on asyncio only, a sync one in
    worker threads anywhere). ``cluster=True`` (or ``startup_nodes``) talks to a Redis
    Cluster. ``password``/``username`` authenticate (ACL users too); the password
    never appears in reprs, logs or errors.

    The remaining arguments are those of :class:`DistributedCache` (``serializer``,
    ``namespace``, ``default_ttl``, ``timeout``, ``fail_open``), plus:

    * ``executor`` — ``"auto"`` (redis.asyncio on asyncio, worker threads otherwise),
      ``"asyncio"`` or ``"thread"``;
    * ``max_threads`` — worker threads the thread executor uses at once;
    * ``connection_options`` — extra keyword arguments for redis-py's client (for
      example ``ssl_ca_certs``, ``client_name``, ``max_connections``).

    Connections are opened on first use, on the event loop in use then; used from
    another event loop later, the cache opens new ones there. ``aclose()`` closes
    them; the cache can be used again afterwards.
    """

    def __init__(
        self,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        password: str | None = None,
        *,
        url: str | None = None,
        cluster: bool = False,
        startup_nodes: Sequence[tuple[str, int] | str] | None = None,
        ssl: bool = False,
        serializer: Serializer | str | None = None,
        namespace: str | None = None,
        default_ttl: TTL = None,
        timeout: float = 5.0,
        fail_open: bool = False,
        client: Any = None,
        username: str | None = None,
        executor: ExecutorChoice = "auto",
        max_threads: int = 16,
        connection_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            serializer=serializer,
            namespace=namespace,
            default_ttl=default_ttl,
            timeout=timeout,
            fail_open=fail_open,
        )
        nodes = parse_startup_nodes(startup_nodes)
        self._options = RedisOptions(
            host=host,
            port=port,
            db=db,
            password=password,
            username=username,
            url=url,
            cluster=bool(cluster) or bool(nodes),
            startup_nodes=nodes,
            ssl=bool(ssl),
            timeout=self.timeout,
            executor=executor,
            max_threads=max_threads,
            connection_options=dict(connection_options or {}),
        )
        if client is not None:
            check_client(client)
            if url is not None:
                raise ConfigurationError("give either client or url, not both")
        self._client = client
        self._secrets = tuple(
            sorted({*self._options.secrets(), *client_secrets(client)}, key=len, reverse=True)
        )
        self._executor: RedisExecutor | None = None
        self._loop: object = None
        self._loop_of_backend: Callable[[], object] = _no_loop

    def __repr__(self) -> str:
        where = self._options.describe() if self._client is None else "client"
        return f"RedisCache({where!r}, namespace={self.namespace!r})"

    # -- the executor of the running event loop -----------------------------------------

    def _running_loop(self) -> object:
        """The running event loop if it is the one the executor belongs to, else None."""
        try:
            return self._loop_of_backend()
        except RuntimeError:  # another runtime is running now (asyncio, then trio...)
            return None

    async def _bind(self) -> RedisExecutor:
        executor = self._executor
        # The backend's own loop lookup (get_running_loop on asyncio) is a fraction of
        # anyio.lowlevel.current_token(), and this runs on every operation.
        if executor is not None and self._running_loop() is self._loop:
            return executor
        return await self._rebind()

    async def _rebind(self) -> RedisExecutor:
        token = anyio.lowlevel.current_token()
        old, self._executor, self._loop = self._executor, None, None
        if old is not None:
            old.abandon()  # opened on an event loop that has ended
        executor = make_executor(
            self._options, self._client, sniffio.current_async_library(), self._secrets
        )
        # Published before awaiting, so concurrent first uses share this executor.
        self._executor, self._loop = executor, token.native_token
        self._loop_of_backend = token.backend_class.current_token
        await executor.start()
        return executor

    async def __aenter__(self) -> RedisCache:
        await self._bind()
        return self

    async def aclose(self) -> None:
        """Close this cache's connections; the next operation opens new ones."""
        executor, loop = self._executor, self._loop
        self._executor = self._loop = None
        if executor is None:
            return
        if loop is self._running_loop():
            await executor.aclose()
        else:
            executor.abandon()

    # -- primitives for DistributedCache ------------------------------------------------

    @contextmanager
    def _whole_operation(self) -> Iterator[None]:
        """Bound an operation of several round trips by ``timeout`` as a whole.

        Each round trip also has its own deadline; this one covers their sum. A
        round trip cut short discards its connection, as any cancelled one does.
        """
        try:
            with anyio.fail_after(self.timeout):
                yield
        except TimeoutError:
            raise BackendError(
                f"{self!r}: the operation did not complete within {self.timeout} s"
            ) from None

    async def _fetch(self, key: bytes) -> bytes | None:
        payload: bytes | None = await (await self._bind()).call(get_command(key))
        return payload

    async def _fetch_many(self, keys: list[bytes]) -> list[bytes | None]:
        executor = await self._bind()
        rounds = mget_rounds(keys, executor.cluster)
        if len(rounds) == 1 and len(rounds[0]) == 1:  # one MGET, replies in key order
            values: list[bytes | None] = await executor.call(rounds[0][0][1])
            return values
        with self._whole_operation():
            return await self._fetch_rounds(executor, rounds, len(keys))

    async def _fetch_rounds(
        self, executor: RedisExecutor, rounds: list[Any], count: int
    ) -> list[bytes | None]:
        found: list[bytes | None] = [None] * count
        for round_ in rounds:
            if len(round_) == 1:
                replies = [await executor.call(round_[0][1])]
            else:
                replies = await executor.pipeline([command for _, command in round_])
            for (positions, _), values in zip(round_, replies, strict=True):
                for position, value in zip(positions, values, strict=True):
                    found[position] = value
        return found

    async def _store(self, key: bytes, payload: bytes, ttl: float | None) -> None:
        await (await self._bind()).call(set_command(key, payload, ttl))

    async def _run_rounds(self, executor: RedisExecutor, rounds: list[list[Command]]) -> list[Any]:
        replies: list[Any] = []
        for round_ in rounds:
            if len(round_) == 1:
                replies.append(await executor.call(round_[0]))
            else:
                replies.extend(await executor.pipeline(round_))
        return replies

    async def _store_many(
        self, keys: list[bytes], payloads: list[bytes], ttl: float | None
    ) -> None:
        executor = await self._bind()
        rounds = write_rounds(keys, payloads, ttl, executor.cluster)
        if len(rounds) == 1:
            await self._run_rounds(executor, rounds)
            return
        with self._whole_operation():
            await self._run_rounds(executor, rounds)

    async def _remove(self, keys: list[bytes]) -> int:
        executor = await self._bind()
        if len(keys) == 1:
            return int(await executor.call(("UNLINK", keys[0])))
        with self._whole_operation():
            replies = await self._run_rounds(executor, unlink_rounds(keys, executor.cluster))
        return sum(int(reply) for reply in replies)

    async def _exists(self, key: bytes) -> bool:
        return int(await (await self._bind()).call(("EXISTS", key))) > 0

    async def _remaining(self, key: bytes) -> float | None:
        return pttl_seconds(int(await (await self._bind()).call(("PTTL", key))))

    async def _scan_keys(self, pattern: bytes) -> AsyncIterator[list[bytes]]:
        executor = await self._bind()
        for node in await executor.primaries():
            cursor = 0
            while True:
                reply = await executor.call_on(node, scan_command(cursor, pattern))
                try:
                    cursor, keys = scan_reply(reply)
                except (TypeError, ValueError) as exc:
                    raise BackendError(f"unexpected SCAN reply from {self!r}") from exc
                if keys:
                    yield keys
                if cursor == 0:
                    break

    async def _scan(self, pattern: bytes, remove: bool) -> int:
        """Walk every primary with SCAN MATCH ``pattern``; count (and UNLINK) the keys.

        ``timeout`` bounds each round trip here, not the whole walk: clearing a large
        namespace takes as long as it takes, and a timeout midway would leave it
        half cleared for no benefit.
        """
        total = 0
        async for keys in self._scan_keys(pattern):
            if remove:
                executor = await self._bind()
                rounds = unlink_rounds(keys, executor.cluster)
                total += sum(int(r) for r in await self._run_rounds(executor, rounds))
            else:
                total += len(keys)
        return total

    async def _remove_matching(self, pattern: bytes) -> int:
        return await self._scan(pattern, remove=True)

    async def _count(self, pattern: bytes | None) -> int:
        if pattern is not None:
            return await self._scan(pattern, remove=False)
        executor = await self._bind()
        return sum(
            [int(await executor.call_on(node, ("DBSIZE",))) for node in await executor.primaries()]
        )

    async def _flush(self) -> None:
        executor = await self._bind()
        for node in await executor.primaries():
            await executor.call_on(node, ("FLUSHDB", "ASYNC"))

    # -- pub/sub ------------------------------------------------------------------------

    async def publish(self, channel: str, message: Any) -> int:
        """Send ``message`` (serialized) on ``channel``; how many clients received it
        (on a cluster: how many are connected to the node that took it).

        Channels are not namespaced: they are shared with every client of the server.
        """
        name = _channel(channel)
        return int(await (await self._bind()).call(("PUBLISH", name, self._dumps(message))))

    def _subscription(self, channels: Sequence[bytes], patterns: Sequence[bytes]) -> Subscription:
        async def open_subscriber() -> Subscriber:
            return await (await self._bind()).subscribe(channels, patterns)

        return Subscription(open_subscriber, self._loads)

    def subscribe(self, *channels: str) -> Subscription:
        """An async context manager and iterator of the messages sent on ``channels``.

        ``async with cache.subscribe("news") as sub: async for message in sub: ...``
        Entering returns once Redis has confirmed the subscription. If the connection
        is lost, iteration raises ``BackendError`` (no silent resubscription).
        """
        if not channels:
            raise ConfigurationError("subscribe() needs at least one channel")
        return self._subscription([_channel(c) for c in channels], [])

    def psubscribe(self, *patterns: str) -> Subscription:
        """Like :meth:`subscribe`, for every channel matching the glob ``patterns``;
        each message's ``pattern`` says which one matched."""
        if not patterns:
            raise ConfigurationError("psubscribe() needs at least one pattern")
        return self._subscription([], [_channel(p) for p in patterns])
