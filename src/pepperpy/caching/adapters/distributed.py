"""DistributedCache: the cache interface of a remote store, over the core's plans.

Each method asks the core (:class:`~pepperpy.caching.core.remote.operations.RedisOperations`)
for the plan of the operation, which names the keys, encodes the values and knows
what the replies mean, and hands it to :meth:`DistributedCache._execute`, the one
thing a store supplies: it moves the bytes. Reads that fail are answered as misses
here when the cache is fail-open.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar, overload

import anyio

from ..core.entry import MISS, CacheStats
from ..core.errors import BackendError, ConfigurationError
from ..core.loading import CircuitBreaker, WarningLimiter, check_tags
from ..core.remote import KeySpace, atomic
from ..core.remote import tags as remote_tags
from ..core.remote.aux_keys import tag_pattern
from ..core.remote.operations import RedisOperations
from ..core.remote.plans import Plan, Target
from ..core.remote.scan import ScanWalk
from ..core.serializers import Serializer, resolve_serializer
from ..core.ttl import TTL, normalize_ttl
from .backend import CacheBackend, V
from .remote_loading import RemoteLock

__all__ = ("DistributedCache", "check_timeout")

_log: Final = logging.getLogger("pepperpy.caching")

T = TypeVar("T")
D = TypeVar("D")


def check_timeout(timeout: object) -> float:
    """``timeout`` as float seconds if it is positive and finite; ConfigurationError if not."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError(f"timeout must be a positive number of seconds; got {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ConfigurationError(f"timeout must be a positive number of seconds; got {timeout!r}")
    return float(timeout)


class DistributedCache(CacheBackend[V]):
    """Base class for caches kept in a remote store shared by processes.

    ``serializer`` turns values into bytes (a :class:`Serializer`, a name such as
    ``"json"`` or ``"pickle"``, or ``None`` for JSON). ``namespace`` prefixes every key
    with ``"namespace:"``. ``default_ttl`` applies to writes without a TTL.
    ``timeout`` (seconds) bounds each operation. With ``fail_open=True``, a read that
    fails because the store is unreachable or too slow (``BackendError``) is logged
    on the ``pepperpy.caching`` logger, counted as a miss (and in
    :attr:`failed_reads`), and answered as a miss; a write of a value that
    ``get_or_set`` (or ``@cached``) loaded is dropped, counted in ``failed_writes``
    and logged, and the value returned; other writes still raise. Warnings are
    rate-limited: one per kind (read, write) every ``warn_interval`` seconds, the
    next one saying how many were suppressed meanwhile.

    ``circuit_breaker`` (a :class:`~pepperpy.caching.CircuitBreaker`, off by default)
    stops sending operations to a store that failed that many times in a row, for
    its cool-down: they fail at once with ``BackendError`` (answered as misses when
    fail-open) instead of each waiting for its timeout. ``stats.breaker`` reports it.

    ``lock_lease`` and ``lock_wait`` (seconds) set the cross-process lock of
    ``get_or_set(..., lock=True)``: its lease, renewed while the loader runs, and how
    long a process waits for another's load before it runs the loader itself.

    Stored data that cannot be decoded raises ``SerializationError`` in every mode.

    A store implements ``_execute`` (carry out a plan), ``_nodes`` (where its data
    lives, for walks over every key) and ``_page`` (one SCAN page).
    """

    def __init__(
        self,
        *,
        serializer: Serializer | str | None = None,
        namespace: str | None = None,
        default_ttl: TTL = None,
        timeout: float = 5.0,
        fail_open: bool = False,
        cluster: bool = False,
        circuit_breaker: CircuitBreaker | None = None,
        warn_interval: float = 60.0,
        lock_lease: float = 10.0,
        lock_wait: float = 30.0,
    ) -> None:
        super().__init__()
        self._ops = RedisOperations(
            KeySpace(namespace),
            resolve_serializer(serializer),
            normalize_ttl(default_ttl),
            cluster=cluster,
        )
        self._timeout = check_timeout(timeout)
        self._fail_open = bool(fail_open)
        self._size = 0
        self._failed_writes = 0
        self._warnings = WarningLimiter(warn_interval)
        self._lock = RemoteLock(self, lock_lease, lock_wait)
        if circuit_breaker is not None and not isinstance(circuit_breaker, CircuitBreaker):
            raise ConfigurationError(
                f"circuit_breaker must be a CircuitBreaker or None; got {circuit_breaker!r}"
            )
        self._breaker = circuit_breaker
        if circuit_breaker is not None:
            # Only a cache with a breaker pays for it: the plain path stays the store's own.
            self._unguarded = self._execute
            self._execute = self._guarded  # type: ignore[method-assign]

    # -- what a store supplies ----------------------------------------------------------

    @abc.abstractmethod
    def _execute(self, plan: Plan[T]) -> Awaitable[T]:
        """Carry out ``plan`` within ``timeout`` (awaiting the result); ``BackendError``
        if the store fails."""

    @abc.abstractmethod
    async def _nodes(self) -> Sequence[Target]:
        """The nodes holding data (one server, or every primary of a cluster)."""

    @abc.abstractmethod
    async def _page(self, walk: ScanWalk) -> list[bytes] | None:
        """The next page of ``walk`` (``None`` when it is over), within ``timeout``."""

    def _changed(self, keys: Sequence[str]) -> None:
        """Every write through this cache calls this with the keys it changed (or may
        have: it is called when the write fails too), once the store has answered.
        A store that keeps copies of values (a near cache) drops them here."""

    def _changed_prefix(self, prefix: str) -> None:
        """Like :meth:`_changed`, for every key starting with ``prefix`` (``""``: all)."""

    # -- helpers ------------------------------------------------------------------------

    @property
    def namespace(self) -> str | None:
        """The namespace every key is stored under, or ``None``."""
        return self._ops.space.namespace

    @property
    def timeout(self) -> float:
        """Seconds each operation may take, retries included."""
        return self._timeout

    @property
    def failed_reads(self) -> int:
        """Reads answered as misses because the store failed (``fail_open=True``)."""
        return self._ops.failed_reads

    @property
    def failed_writes(self) -> int:
        """Loaded values not stored because the store failed (``fail_open=True``)."""
        return self._failed_writes

    @property
    def circuit_breaker(self) -> CircuitBreaker | None:
        """The circuit breaker, if the cache has one."""
        return self._breaker

    def _warn(self, kind: str, message: str, error: BackendError) -> None:
        suppressed = self._warnings.allow(kind, time.monotonic())
        if suppressed is None:
            return
        more = f" ({suppressed} similar warnings suppressed)" if suppressed else ""
        _log.warning("%s (fail_open)%s: %s", message, more, error)

    def _read_failed(self, error: BackendError, lookups: int) -> None:
        """Re-raise ``error`` unless fail-open, in which case count and log it."""
        if not self._fail_open:
            raise error
        self._ops.read_failed(lookups)
        self._warn("read", "cache read failed, answered as a miss", error)

    async def _guarded(self, plan: Plan[T]) -> T:
        breaker = self._breaker
        assert breaker is not None
        if not breaker.allow(time.monotonic()):
            raise BackendError(
                f"{self!r}: the circuit breaker is open after {breaker.failures} failures"
                " in a row; the store is not tried until its cool-down ends"
            )
        try:
            result = await self._unguarded(plan)
        except BackendError:
            breaker.failed(time.monotonic())
            raise
        except anyio.get_cancelled_exc_class():
            raise  # says nothing of the store (a probe cut short is retried after a cool-down)
        except Exception:
            breaker.succeeded()  # the store answered, with something the caller refuses
            raise
        breaker.succeeded()
        return result

    # -- what get_or_set asks of a remote store -------------------------------------------

    async def _store_loaded(self, key: str, value: Any, ttl: TTL) -> None:
        try:
            await self.set(key, value, ttl)
        except BackendError as error:
            if not self._fail_open:
                raise
            self._failed_writes += 1
            self._warn("write", "storing a loaded value failed, the value is returned", error)

    def _effective_ttl(self, ttl: TTL) -> float | None:
        return self._ops.default_ttl if ttl is None else normalize_ttl(ttl)

    async def _get_with_ttl(self, key: str) -> tuple[Any, float | None]:
        try:
            return await self._execute(atomic.get_with_ttl(self._ops, key))
        except BackendError as error:
            self._read_failed(error, 1)
            return MISS, None

    async def _load_locked(
        self, key: str, run: Callable[[], Awaitable[T]], *, refresh: bool = False
    ) -> T:
        return await self._lock.load(key, run, refresh=refresh)

    # -- the interface ------------------------------------------------------------------

    @overload
    async def get(self, key: str) -> V | None: ...

    @overload
    async def get(self, key: str, default: D) -> V | D: ...

    async def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        plan = self._ops.get(key)
        try:
            value = await self._execute(plan)
        except BackendError as error:
            self._read_failed(error, 1)
            return default
        return default if value is MISS else value

    async def set(self, key: str, value: V, ttl: TTL = None, *, tags: Iterable[str] = ()) -> None:
        """Store ``value`` under ``key``, replacing its value and TTL.

        ``tags`` names sets the key joins, for :meth:`invalidate_tags` (one Redis set
        per tag; :doc:`/loading` says how they are kept).
        """
        names = check_tags(tags) if tags else None
        try:
            if names:
                await self._execute(remote_tags.tagged_set(self._ops, key, value, ttl, names))
            else:
                await self._execute(self._ops.set(key, value, ttl))
        finally:
            self._changed((key,))

    async def invalidate_tags(self, *tags: str) -> int:
        """Remove every key written with any of ``tags``; how many there were."""
        names = check_tags(tags)
        if not names:
            return 0
        try:
            return await self._execute(remote_tags.invalidate_tags(self._ops, names))
        finally:
            self._changed_prefix("")  # which keys went is known to the server only

    async def add(self, key: str, value: Any, ttl: TTL = None) -> bool:
        """Store ``value`` only if ``key`` holds nothing (``SET NX``); whether it did."""
        try:
            return await self._execute(atomic.add(self._ops, key, value, ttl))
        finally:
            self._changed((key,))

    async def incr(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer under ``key`` atomically (``INCRBY``); the new
        value. A missing key counts from 0 and gets no TTL; a value that is not an
        integer raises :class:`~pepperpy.caching.NotAnIntegerError`."""
        try:
            return await self._execute(atomic.incr(self._ops, key, delta))
        finally:
            self._changed((key,))

    async def expire(self, key: str, ttl: TTL) -> bool:
        """Give ``key`` a new TTL (``PEXPIRE``); whether it existed."""
        try:
            return await self._execute(atomic.expire(self._ops, key, ttl))
        finally:
            self._changed((key,))

    async def touch(self, key: str) -> bool:
        """Reset the idle time of ``key`` (``TOUCH``: what Redis' LRU eviction goes by);
        whether it existed. Its TTL is left alone."""
        return await self._execute(atomic.touch(self._ops, key))

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a value (not counted as a hit or a miss)."""
        plan = self._ops.contains(key)
        try:
            return await self._execute(plan)
        except BackendError as error:
            self._read_failed(error, 0)
            return False

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it existed."""
        try:
            return await self._execute(self._ops.delete(key))
        finally:
            self._changed((key,))

    async def ttl(self, key: str) -> float | None:
        """Seconds left before ``key`` expires; ``None`` for no expiry or no key."""
        plan = self._ops.ttl(key)
        try:
            return await self._execute(plan)
        except BackendError as error:
            self._read_failed(error, 0)
            return None

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The hits among ``keys`` (misses are left out)."""
        keys = list(keys)
        plan = self._ops.get_many(keys)
        if not keys:
            return {}
        try:
            return await self._execute(plan)
        except BackendError as error:
            self._read_failed(error, len(keys))
            return {}

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        """Store every item of ``mapping`` with the same ``ttl`` (not atomically)."""
        plan = self._ops.set_many(mapping, ttl)
        if mapping:
            try:
                await self._execute(plan)
            finally:
                self._changed(list(mapping))

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove ``keys``; how many existed."""
        keys = list(keys)
        plan = self._ops.delete_many(keys)
        if not keys:
            return 0
        try:
            return await self._execute(plan)
        finally:
            self._changed(keys)

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The keys of this cache (of its namespace) starting with ``prefix``, by SCAN.

        A key present for the whole iteration is listed at least once (SCAN may list
        a key twice, this does not); keys written meanwhile may or may not be.
        """
        walk = self._ops.scan(prefix, await self._nodes())
        user_key = self._ops.space.user_key
        while (page := await self._page(walk)) is not None:
            for stored in page:
                yield user_key(stored)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key (of this namespace) starting with ``prefix``, matched literally."""
        pattern = self._ops.space.match_prefix(prefix)
        try:
            return await self._execute(self._ops.delete_matching(pattern, await self._nodes()))
        finally:
            self._changed_prefix(prefix)

    async def clear(self, *, flush_db: bool = False) -> None:
        """Remove every key of this cache's namespace, and nothing else.

        Without a namespace the cache owns no part of the database, so this raises
        ``ConfigurationError`` unless called as ``clear(flush_db=True)``, which empties
        the whole database. A namespaced cache never flushes the database.
        """
        space = self._ops.space
        if space.namespace is not None:
            if flush_db:
                raise ConfigurationError(
                    "clear(flush_db=True) on a namespaced cache would delete other"
                    " namespaces' keys; call clear() to clear this namespace"
                )
            nodes = await self._nodes()
            try:
                await self._execute(self._ops.delete_matching(space.match_all(), nodes))
            finally:
                self._changed_prefix("")
            await self._execute(self._ops.delete_matching(tag_pattern(space), nodes))
        elif flush_db:
            try:
                await self._execute(self._ops.flush(await self._nodes()))
            finally:
                self._changed_prefix("")
        else:
            raise ConfigurationError(
                "this cache has no namespace, so clear() would delete the whole database:"
                " give the cache a namespace, or call clear(flush_db=True)"
            )

    async def refresh_stats(self) -> CacheStats:
        """Count the stored keys now and return the statistics with that ``size``.

        With a namespace this walks the namespace with SCAN (cost grows with the
        database); without one it asks the store for its key count (cheap).
        """
        space = self._ops.space
        pattern = None if space.namespace is None else space.match_all()
        self._size = await self._execute(self._ops.count(pattern, await self._nodes()))
        return self.stats

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of this cache object, and ``size`` as last counted by
        :meth:`refresh_stats` (0 before). ``evictions`` and ``expirations`` are 0:
        the store evicts and expires keys itself, without telling this client.
        ``failed_reads``, ``failed_writes`` and ``breaker`` say how the store failed."""
        return self._counted_stats()

    def _counted_stats(self) -> CacheStats:
        breaker = self._breaker
        return dataclasses.replace(
            self._ops.stats(self._size),
            failed_reads=self._ops.failed_reads,
            failed_writes=self._failed_writes,
            breaker=None if breaker is None else breaker.stats(),
        )

    @property
    def hit_ratio(self) -> float:
        """Hits divided by lookups; 0.0 before any lookup."""
        return self.stats.hit_ratio
