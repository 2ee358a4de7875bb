"""Building the executor that fits the running event loop and the settings.

On asyncio the ``redis.asyncio`` clients are used; on trio (or with
``executor="thread"``) redis-py's sync clients in worker threads. A client given by
the user decides by its own type.
"""

from __future__ import annotations

import threading
from typing import Any

import redis
import redis.asyncio as redis_asyncio
import redis.asyncio.cluster as redis_asyncio_cluster
import redis.cluster as redis_cluster
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry

from ...core.errors import ConfigurationError
from .asyncio_cluster import AsyncioClusterExecutor
from .asyncio_single import AsyncioSingleExecutor
from .executor import RedisExecutor
from .options import RedisOptions
from .thread_cluster import ThreadClusterExecutor
from .thread_common import ThreadRunner
from .thread_single import ThreadSingleExecutor

__all__ = ("check_client", "client_secrets", "make_executor")

_CLIENT_TYPES = (
    redis_asyncio_cluster.RedisCluster,
    redis_asyncio.Redis,
    redis_cluster.RedisCluster,
    redis.Redis,
)


def check_client(client: object) -> None:
    """Refuse a ``client=`` that is not a redis-py client this library can drive."""
    if not isinstance(client, _CLIENT_TYPES):
        raise ConfigurationError(
            "client must be a redis.Redis, redis.cluster.RedisCluster, redis.asyncio.Redis"
            f" or redis.asyncio.cluster.RedisCluster; got {type(client).__name__}"
        )
    encoder = client.get_encoder() if hasattr(client, "get_encoder") else None
    if getattr(encoder, "decode_responses", False):
        raise ConfigurationError("client must not decode responses (decode_responses=False)")


def client_secrets(client: object) -> tuple[str, ...]:
    """The password a user-supplied client holds, so messages can mask it."""
    kwargs: dict[str, Any] = {}
    pool = getattr(client, "connection_pool", None)
    if pool is not None:
        kwargs = pool.connection_kwargs
    elif hasattr(client, "get_connection_kwargs"):
        kwargs = client.get_connection_kwargs()
    password = kwargs.get("password")
    return (password,) if isinstance(password, str) and password else ()


def _common(options: RedisOptions, *, threaded: bool) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        # On asyncio the deadline is enforced around each exchange; a socket timeout
        # there would make redis-py wrap every write in asyncio.wait_for.
        "socket_timeout": options.timeout if threaded else None,
        "socket_connect_timeout": options.timeout,
        "decode_responses": False,
    }
    if options.password is not None:
        kwargs["password"] = options.password
    if options.username is not None:
        kwargs["username"] = options.username
    if options.ssl:
        kwargs["ssl"] = True
    kwargs.update(options.connection_options)
    kwargs["decode_responses"] = False
    return kwargs


def _cluster_kwargs(options: RedisOptions, *, threaded: bool) -> dict[str, Any]:
    # A few quick retries ride out redirections and fail-overs within the deadline.
    return {
        **_common(options, threaded=threaded),
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.01), 3),
    }


def _single_kwargs(options: RedisOptions, *, threaded: bool) -> dict[str, Any]:
    # Executors retry a stale connection themselves; redis-py need not.
    return {**_common(options, threaded=threaded), "retry": Retry(NoBackoff(), 0)}


def _asyncio_client(options: RedisOptions) -> Any:
    url = options.client_url
    if options.cluster:
        kwargs = _cluster_kwargs(options, threaded=False)
        if url is not None:
            return redis_asyncio_cluster.RedisCluster.from_url(url, **kwargs)
        nodes = [redis_asyncio_cluster.ClusterNode(h, p) for h, p in options.startup_nodes]
        if nodes:
            return redis_asyncio_cluster.RedisCluster(startup_nodes=nodes, **kwargs)
        return redis_asyncio_cluster.RedisCluster(host=options.host, port=options.port, **kwargs)
    kwargs = _single_kwargs(options, threaded=False)
    if url is not None:
        return redis_asyncio.Redis.from_url(url, **kwargs)
    return redis_asyncio.Redis(host=options.host, port=options.port, db=options.db, **kwargs)


def _sync_single_client(options: RedisOptions) -> redis.Redis:
    kwargs = _single_kwargs(options, threaded=True)
    url = options.client_url
    if url is not None:
        return redis.Redis.from_url(url, **kwargs)
    return redis.Redis(host=options.host, port=options.port, db=options.db, **kwargs)


class _LazyCluster:
    """Builds the sync cluster client on first use, in a worker thread (its
    constructor already talks to the cluster)."""

    def __init__(self, options: RedisOptions) -> None:
        self._options = options
        self._lock = threading.Lock()
        self._client: redis_cluster.RedisCluster | None = None

    def __call__(self) -> redis_cluster.RedisCluster:
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def _build(self) -> redis_cluster.RedisCluster:
        options = self._options
        kwargs = _cluster_kwargs(options, threaded=True)
        url = options.client_url
        if url is not None:
            return redis_cluster.RedisCluster.from_url(url, **kwargs)
        node_class: Any = redis_cluster.ClusterNode
        nodes = [node_class(h, p) for h, p in options.startup_nodes]
        if nodes:
            return redis_cluster.RedisCluster(startup_nodes=nodes, **kwargs)
        return redis_cluster.RedisCluster(host=options.host, port=options.port, **kwargs)

    def built(self) -> redis_cluster.RedisCluster | None:
        """The client, if it was built."""
        return self._client


def make_executor(
    options: RedisOptions, client: object | None, library: str, secrets: tuple[str, ...]
) -> RedisExecutor:
    """The executor for ``library`` (``"asyncio"``, ``"trio"``...)."""
    where = options.describe()
    timeout = options.timeout
    on_asyncio = library == "asyncio"

    def runner() -> ThreadRunner:
        return ThreadRunner(
            timeout=timeout, where=where, secrets=secrets, max_threads=options.max_threads
        )

    if client is not None:
        if isinstance(client, redis_asyncio_cluster.RedisCluster | redis_asyncio.Redis):
            if not on_asyncio:
                raise ConfigurationError(
                    f"a redis.asyncio client cannot run on {library}: give a sync"
                    " redis.Redis / redis.cluster.RedisCluster client instead"
                )
            if isinstance(client, redis_asyncio_cluster.RedisCluster):
                return AsyncioClusterExecutor(
                    client, owns_client=False, timeout=timeout, where=where, secrets=secrets
                )
            return AsyncioSingleExecutor(
                client, owns_client=False, timeout=timeout, where=where, secrets=secrets
            )
        if isinstance(client, redis_cluster.RedisCluster):
            return ThreadClusterExecutor(lambda: client, owns_client=False, runner=runner())
        if isinstance(client, redis.Redis):
            return ThreadSingleExecutor(client, owns_client=False, runner=runner())
        raise ConfigurationError(f"not a redis-py client: {type(client).__name__}")
    threaded = options.executor == "thread" or (options.executor == "auto" and not on_asyncio)
    if not threaded and not on_asyncio:
        raise ConfigurationError(f"executor='asyncio' cannot run on {library}")
    if threaded:
        if options.cluster:
            return ThreadClusterExecutor(_LazyCluster(options), owns_client=True, runner=runner())
        return ThreadSingleExecutor(_sync_single_client(options), owns_client=True, runner=runner())
    built = _asyncio_client(options)
    if options.cluster:
        return AsyncioClusterExecutor(
            built, owns_client=True, timeout=timeout, where=where, secrets=secrets
        )
    return AsyncioSingleExecutor(
        built, owns_client=True, timeout=timeout, where=where, secrets=secrets
    )
