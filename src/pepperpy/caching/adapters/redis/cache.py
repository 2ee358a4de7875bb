"""RedisCache: the cache interface on Redis (single node or Cluster, asyncio or trio)."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar, final, overload

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from ...core.entry import MISS, CacheStats
from ...core.errors import BackendError, ConfigurationError, InvalidKeyError
from ...core.loading import CircuitBreaker
from ...core.near import NearCache
from ...core.remote.events import RedisListener
from ...core.remote.near_reads import NearRead, near_read, near_reads, one_read
from ...core.remote.plans import ANY, Plan, Single, Target
from ...core.remote.routing import ClusterRoutes, SingleRoute
from ...core.remote.scan import ScanWalk
from ...core.serializers.base import Serializer
from ...core.ttl import TTL
from ..backend import V
from ..clock import runtime_clock
from ..distributed import DistributedCache
from .client_settings import client_secrets, settings_from_client
from .connect import Connector
from .loop_guard import LoopGuard
from .near import NearTracker
from .nodes import NodeLinks
from .options import RedisOptions, parse_startup_nodes
from .pubsub import Subscriber, Subscription, open_subscriber
from .runner import Runner
from .watchdog import Watchdog

__all__ = ("RedisCache",)

T = TypeVar("T")
D = TypeVar("D")


def _no_loop() -> object:
    return None


async def _true() -> bool:
    return True


def _channel(name: object) -> bytes:
    if isinstance(name, str):
        return name.encode("utf-8", "surrogatepass")
    if isinstance(name, bytes):
        return name
    raise InvalidKeyError(f"channel names must be str; got {name!r} of type {type(name).__name__}")


@final
class RedisCache(DistributedCache[V]):
    """A cache in Redis, shared by every process that uses the same server and namespace.

    Connects to ``host:port`` (database ``db``), or to ``url`` (``redis://``,
    ``rediss://`` for TLS, ``unix://``; ``redis+cluster://`` or ``rediss+cluster://``
    for a cluster). ``cluster=True`` (or ``startup_nodes``) talks to a Redis Cluster.
    ``password``/``username`` authenticate (ACL users too); the password never
    appears in reprs, logs or errors. ``ssl=True`` (or ``rediss://``) uses TLS, with
    ``ssl_context`` if given, else the system's authorities (or the ``ssl_*``
    ``connection_options``).

    ``client`` is a redis-py client (``redis.Redis``, ``redis.asyncio.Redis`` or
    either cluster class) read for its connection settings only: host and port (or
    unix socket, or cluster startup nodes), database, username, password, TLS
    settings and client name. The cache opens connections of its own and never
    closes the client.

    The remaining arguments are those of :class:`DistributedCache` (``serializer``,
    ``namespace``, ``default_ttl``, ``timeout``, ``fail_open``, ``circuit_breaker``,
    ``lock_lease``, ``lock_wait``), plus
    ``connection_options``: ``client_name``, ``protocol`` (3, the default, falls back
    to 2 on servers without RESP3; 2 forces RESP2), ``socket_connect_timeout``,
    ``socket_keepalive``, ``max_connections`` (an upper bound; one connection per
    node is what the cache uses), ``max_reply_bytes`` (the largest reply accepted,
    512 MiB by default: a larger one, or a hostile server's endless one, ends its
    connection with ``BackendError``), and the TLS settings ``ssl_ca_certs``,
    ``ssl_ca_path``, ``ssl_ca_data``, ``ssl_certfile``, ``ssl_keyfile``,
    ``ssl_password``, ``ssl_cert_reqs``, ``ssl_check_hostname``.

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
        ssl_context: ssl.SSLContext | None = None,
        connection_options: Mapping[str, Any] | None = None,
        near_cache: NearCache | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        lock_lease: float = 10.0,
        lock_wait: float = 30.0,
    ) -> None:
        if near_cache is not None and not isinstance(near_cache, NearCache):
            raise ConfigurationError(f"near_cache must be a NearCache or None; got {near_cache!r}")
        nodes = parse_startup_nodes(startup_nodes)
        settings: dict[str, Any] = {
            "host": host,
            "port": port,
            "db": db,
            "password": password,
            "username": username,
            "url": url,
            "cluster": bool(cluster) or bool(nodes),
            "startup_nodes": nodes,
            "ssl": bool(ssl),
            "ssl_context": ssl_context,
            "connection_options": dict(connection_options or {}),
        }
        secrets: tuple[str, ...] = ()
        if client is not None:
            if url is not None:
                raise ConfigurationError("give either client or url, not both")
            read = settings_from_client(client)
            secrets = client_secrets(read)
            options = {**read.pop("connection_options"), **settings["connection_options"]}
            settings.update(read)
            settings["connection_options"] = options
            if password is not None:
                settings["password"] = password
            if username is not None:
                settings["username"] = username
        self._options = RedisOptions(**settings, timeout=timeout)
        super().__init__(
            serializer=serializer,
            namespace=namespace,
            default_ttl=default_ttl,
            timeout=timeout,
            fail_open=fail_open,
            cluster=self._options.cluster,
            circuit_breaker=circuit_breaker,
            lock_lease=lock_lease,
            lock_wait=lock_wait,
        )
        self._tls = self._options.tls_context()
        self._secrets = tuple(sorted({*self._options.secrets(), *secrets}, key=len, reverse=True))
        self._from_client = client is not None
        self._listener: RedisListener | None = None
        self._runner: Runner | None = None
        self._guard: LoopGuard | None = None
        self._watching: TaskGroup | None = None
        self._loop: object = None
        self._loop_of_backend: Callable[[], object] = _no_loop
        self._near_settings = near_cache
        self._tracker: NearTracker | None = None
        self._near: NearTracker | None = None  # while its channels are being kept

    def _listen(self, listener: RedisListener | None) -> None:
        """Tell ``listener`` of every connection opened or lost, push frame received and
        cluster layout change (the seam a near cache builds on). Takes effect for the
        connections of the next event loop binding: set it before first use."""
        self._listener = listener

    def __repr__(self) -> str:
        where = self._options.describe()
        return f"RedisCache({where!r}, namespace={self.namespace!r})"

    # -- the connections of the running event loop -------------------------------------

    def _running_loop(self) -> object:
        """The running event loop if it is the one the runner belongs to, else None."""
        try:
            return self._loop_of_backend()
        except RuntimeError:  # another runtime is running now (asyncio, then trio...)
            return None

    async def _bind(self) -> Runner:
        runner = self._runner
        # The backend's own loop lookup (get_running_loop on asyncio) is a fraction of
        # anyio.lowlevel.current_token(), and this runs on every operation.
        if runner is not None and self._running_loop() is self._loop:
            return runner
        return await self._rebind()

    async def _rebind(self) -> Runner:
        token = anyio.lowlevel.current_token()
        old, old_guard = self._runner, self._guard
        self._runner = self._guard = None
        if old is not None:
            old.abandon()  # opened on an event loop that has ended
        if old_guard is not None:
            old_guard.disarm()
        runner = self._make_runner()
        guard = LoopGuard(runner.aclose)
        # Published before awaiting, so concurrent first uses share this runner.
        self._runner, self._guard, self._loop = runner, guard, token.native_token
        self._loop_of_backend = token.backend_class.current_token
        await guard.start()
        return runner

    def _make_runner(self) -> Runner:
        options = self._options
        clock = runtime_clock()
        backend = anyio.lowlevel.current_token().backend_class
        connector = Connector(
            session=options.session(),
            tls=self._tls,
            connect_timeout=options.connect_timeout(),
            keepalive=options.keepalive,
            secrets=self._secrets,
            clock=clock,
            max_frame_bytes=options.max_reply_bytes,
            checkpoint=backend.checkpoint_if_cancelled,
        )
        endpoints = options.endpoints()
        routes = ClusterRoutes(endpoints) if options.cluster else SingleRoute(endpoints[0])
        listener = self._listener
        self._tracker = self._near = None
        if self._near_settings is not None:
            # A local copy per event loop binding: its channels live on that loop.
            listener = self._tracker = NearTracker(
                self._near_settings, self._ops.space, clock, listener
            )
        return Runner(
            routes,
            NodeLinks(connector, listener),
            clock=clock,
            timeout=self.timeout,
            where=options.describe(),
            listener=listener,
        )

    async def __aenter__(self) -> RedisCache:
        """Open the connections lazily, and start the task that keeps every command's
        deadline (so that no command needs a timer of its own: faster)."""
        runner = await self._bind()
        if self._watching is None:
            watchdog = Watchdog(runner.clock, self.timeout)
            group = anyio.create_task_group()
            await group.__aenter__()
            group.start_soon(watchdog.run)
            runner.links.watch(watchdog)
            self._watching = group
            self._tasks = group  # background refreshes of get_or_set run here too
            tracker = self._tracker
            if tracker is not None:
                await group.start(tracker.run, runner)
                self._near = tracker
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        group, self._watching = self._watching, None
        self._tasks = None
        try:
            await self.aclose()
        finally:
            if group is not None:  # entered here, left here: the task group's own rule
                group.cancel_scope.cancel()
                await group.__aexit__(None, None, None)

    async def aclose(self) -> None:
        """Close this cache's connections; the next operation opens new ones (inside
        ``async with``, without the watchdog: each command then keeps its deadline)."""
        runner, guard, loop = self._runner, self._guard, self._loop
        self._runner = self._guard = self._loop = None
        near, self._near = self._near, None
        if near is not None:
            near.state.channel_lost()
        if self._watching is not None:
            self._tasks = None
            self._watching.cancel_scope.cancel()  # the watchdog stops; __aexit__ ends it
        if runner is None or guard is None:
            return
        runner.links.watch(None)
        if loop is self._running_loop():
            await guard.close()
        else:
            guard.disarm()
            runner.abandon()

    # -- what DistributedCache needs ----------------------------------------------------

    def _execute(self, plan: Plan[T]) -> Awaitable[T]:
        # A plain method returning the runner's coroutine: one await level less on
        # the hot path, resumed twice per command.
        runner = self._runner
        if runner is None or self._running_loop() is not self._loop:
            return self._execute_rebound(plan)
        if type(plan) is Single:
            return runner.single(plan)
        return runner.run(plan)

    async def _execute_rebound(self, plan: Plan[T]) -> T:
        return await (await self._rebind()).run(plan)

    async def _nodes(self) -> Sequence[Target]:
        return await (await self._bind()).primaries()

    async def _page(self, walk: ScanWalk) -> list[bytes] | None:
        runner = await self._bind()
        step = walk.step()
        if step is None:
            return None
        return walk.feed(await runner.call_on(step.target, step.payload, runner.deadline()))

    # -- the near cache -------------------------------------------------------------------

    @overload
    def get(self, key: str) -> Coroutine[Any, Any, V | None]: ...

    @overload
    def get(self, key: str, default: D) -> Coroutine[Any, Any, V | D]: ...

    def get(self, key: str, default: Any = None) -> Coroutine[Any, Any, Any]:
        """The value stored under ``key``, or ``default`` (from the near cache when it
        holds the key)."""
        # A plain method handing back a coroutine: without a near cache, the read
        # costs no extra coroutine level.
        near = self._near
        if near is not None and near.state.up:
            return self._near_get(near, key, default)
        return DistributedCache.get(self, key, default)

    async def _near_get(self, near: NearTracker, key: str, default: Any) -> Any:
        state = near.state
        value = state.lookup(key, near.clock())
        if value is not MISS:
            return value
        token = state.begin(key)
        now = near.clock()
        value, ttl = MISS, None
        try:
            value, ttl = await self._near_read(key)
        except BackendError as error:
            self._read_failed(error, 1)
        finally:
            state.finish(key, token, value, now, ttl)
        return default if value is MISS else value

    async def _near_read(self, key: str) -> NearRead:
        runner = self._runner
        if runner is not None and self._running_loop() is self._loop:
            payload, target = one_read(self._ops, key)
            replies = await runner.pipelined(payload, 2, target)
            if replies is not None:
                return near_read(self._ops, replies)
        ((value, ttl),) = await self._execute(near_reads(self._ops, (key,)))
        return value, ttl

    def get_many(self, keys: Iterable[str]) -> Coroutine[Any, Any, dict[str, Any]]:
        """The hits among ``keys`` (misses are left out); the near cache's first."""
        near = self._near
        if near is None or not near.state.up:
            return DistributedCache.get_many(self, keys)
        return self._near_get_many(near, keys)

    async def _near_get_many(self, near: NearTracker, keys: Iterable[str]) -> dict[str, Any]:
        state = near.state
        now = near.clock()
        found: dict[str, Any] = {}
        missing: list[str] = []
        for key in keys:
            value = state.lookup(key, now)
            if value is MISS:
                missing.append(key)
            else:
                found[key] = value
        if not missing:
            return found
        plan = near_reads(self._ops, missing)  # checks every key before any is marked
        tokens = [state.begin(key) for key in missing]
        reads: list[tuple[Any, float | None]] = [(MISS, None)] * len(missing)
        try:
            reads = await self._execute(plan)
        except BackendError as error:
            self._read_failed(error, len(missing))
        finally:
            for key, token, (value, ttl) in zip(missing, tokens, reads, strict=True):
                state.finish(key, token, value, now, ttl)
        for key, (value, _) in zip(missing, reads, strict=True):
            if value is not MISS:
                found[key] = value
        return found

    def contains(self, key: str) -> Coroutine[Any, Any, bool]:
        """Whether ``key`` holds a value (not counted as a hit or a miss)."""
        near = self._near
        if near is not None and near.state.holds(key, near.clock()):
            return _true()
        return DistributedCache.contains(self, key)

    def _changed(self, keys: Sequence[str]) -> None:
        tracker = self._tracker
        if tracker is not None:
            tracker.state.written(keys)

    def _changed_prefix(self, prefix: str) -> None:
        tracker = self._tracker
        if tracker is not None:
            tracker.state.written_prefix(prefix)

    @property
    def near_cache(self) -> NearCache | None:
        """The near cache's settings (``None``: reads always go to Redis)."""
        return self._near_settings

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of this cache object, and ``size`` as last counted by
        :meth:`~pepperpy.caching.DistributedCache.refresh_stats` (0 before). With a near
        cache, ``hits`` counts its local hits too, and ``near`` holds its own counters."""
        stats = self._counted_stats()
        tracker = self._tracker
        if tracker is None:
            return stats
        near = tracker.stats(stats.hits, stats.misses)
        return dataclasses.replace(stats, hits=stats.hits + near.local_hits, near=near)

    async def _sync_near(self) -> bool:
        """Wait until every invalidation of a change completed before this call is
        taken (``False``: the near cache is not up). For tests."""
        near = self._near
        return False if near is None else await near.sync()

    # -- pub/sub ------------------------------------------------------------------------

    async def publish(self, channel: str, message: Any) -> int:
        """Send ``message`` (serialized) on ``channel``; how many clients received it
        (on a cluster: how many are connected to the node that took it).

        Channels are not namespaced: they are shared with every client of the server.
        """
        return await self._execute(self._ops.publish(_channel(channel), message))

    def _subscription(self, channels: list[bytes], patterns: list[bytes]) -> Subscription:
        async def open_() -> Subscriber:
            runner = await self._bind()
            if isinstance(runner.routes, ClusterRoutes) and runner.routes.table is None:
                await runner.primaries()
            # Classic pub/sub is cluster-wide: any node receives every published message.
            address = runner.routes.address_for(ANY)
            try:
                return await open_subscriber(
                    runner.links.connector, address, channels, patterns, runner.deadline()
                )
            except BackendError as error:
                raise BackendError(f"subscribe on {self!r} failed: {error}") from error

        return Subscription(open_, self._ops.loads)

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
