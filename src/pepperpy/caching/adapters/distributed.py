"""DistributedCache: what every remote store shares, above its wire protocol.

A subclass supplies a few byte-level primitives (fetch, store, remove, scan...);
this class turns them into the :class:`CacheBackend` interface: key validation and
namespacing, serialization, TTL defaults, hit/miss counters, and fail-open reads.
"""

from __future__ import annotations

import abc
import logging
import math
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Final

from ..core.entry import CacheStats
from ..core.errors import BackendError, ConfigurationError, SerializationError
from ..core.remote import KeySpace
from ..core.serializers import Serializer, resolve_serializer
from ..core.ttl import TTL, normalize_ttl
from .backend import CacheBackend

__all__ = ("DistributedCache", "check_timeout")

_log: Final = logging.getLogger("pepperpy.caching")
_ABSENT: Any = object()


def check_timeout(timeout: object) -> float:
    """``timeout`` as float seconds if it is positive and finite; ConfigurationError if not."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise ConfigurationError(f"timeout must be a positive number of seconds; got {timeout!r}")
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ConfigurationError(f"timeout must be a positive number of seconds; got {timeout!r}")
    return float(timeout)


class DistributedCache(CacheBackend):
    """Base class for caches kept in a remote store shared by processes.

    ``serializer`` turns values into bytes (a :class:`Serializer`, a name such as
    ``"json"`` or ``"pickle"``, or ``None`` for JSON). ``namespace`` prefixes every key
    with ``"namespace:"``. ``default_ttl`` applies to writes without a TTL.
    ``timeout`` (seconds) bounds each operation. With ``fail_open=True``, a read that
    fails because the store is unreachable or too slow (``BackendError``) is logged
    on the ``pepperpy.caching`` logger, counted as a miss (and in
    :attr:`failed_reads`), and answered as a miss; writes still raise.

    Stored data that cannot be decoded raises ``SerializationError`` in every mode.
    """

    def __init__(
        self,
        *,
        serializer: Serializer | str | None = None,
        namespace: str | None = None,
        default_ttl: TTL = None,
        timeout: float = 5.0,
        fail_open: bool = False,
    ) -> None:
        super().__init__()
        self._space = KeySpace(namespace)
        self._serializer = resolve_serializer(serializer)
        self._default_ttl = normalize_ttl(default_ttl)
        self._timeout = check_timeout(timeout)
        self._fail_open = bool(fail_open)
        self._hits = 0
        self._misses = 0
        self._size = 0
        self.failed_reads = 0
        """Reads answered as misses because the store failed (``fail_open=True``)."""

    # -- what a store supplies ----------------------------------------------------------

    @abc.abstractmethod
    async def _fetch(self, key: bytes) -> bytes | None:
        """The payload stored under ``key``, or ``None``."""

    @abc.abstractmethod
    async def _fetch_many(self, keys: list[bytes]) -> list[bytes | None]:
        """The payloads stored under ``keys``, in order (``None`` where missing)."""

    @abc.abstractmethod
    async def _store(self, key: bytes, payload: bytes, ttl: float | None) -> None:
        """Store ``payload`` under ``key`` with ``ttl`` seconds (``None``: no expiry)."""

    @abc.abstractmethod
    async def _store_many(
        self, keys: list[bytes], payloads: list[bytes], ttl: float | None
    ) -> None:
        """Store each payload under its key, all with the same ``ttl``."""

    @abc.abstractmethod
    async def _remove(self, keys: list[bytes]) -> int:
        """Remove ``keys``; how many existed."""

    @abc.abstractmethod
    async def _exists(self, key: bytes) -> bool:
        """Whether ``key`` exists."""

    @abc.abstractmethod
    async def _remaining(self, key: bytes) -> float | None:
        """Seconds before ``key`` expires; ``None`` for no expiry or no key."""

    @abc.abstractmethod
    async def _remove_matching(self, pattern: bytes) -> int:
        """Remove every key matching the glob ``pattern``; how many were removed."""

    @abc.abstractmethod
    def _scan_keys(self, pattern: bytes) -> AsyncIterator[list[bytes]]:
        """The stored keys matching ``pattern``, a SCAN page at a time."""

    @abc.abstractmethod
    async def _count(self, pattern: bytes | None) -> int:
        """How many keys match ``pattern`` (``None``: every key of the database)."""

    @abc.abstractmethod
    async def _flush(self) -> None:
        """Remove every key of the database."""

    # -- helpers ------------------------------------------------------------------------

    @property
    def namespace(self) -> str | None:
        """The namespace every key is stored under, or ``None``."""
        return self._space.namespace

    @property
    def timeout(self) -> float:
        """Seconds each operation may take, retries included."""
        return self._timeout

    def _dumps(self, value: Any) -> bytes:
        try:
            return self._serializer.dumps(value)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(
                f"cannot encode a value of type {type(value).__name__}: {exc}"
            ) from exc

    def _loads(self, payload: bytes) -> Any:
        try:
            return self._serializer.loads(payload)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot decode stored data: {exc}") from exc

    def _ttl(self, ttl: TTL) -> float | None:
        return self._default_ttl if ttl is None else normalize_ttl(ttl)

    def _read_failed(self, error: BackendError, lookups: int) -> None:
        """Re-raise ``error`` unless fail-open, in which case count and log it."""
        if not self._fail_open:
            raise error
        self._misses += lookups
        self.failed_reads += 1
        _log.warning("cache read failed, answered as a miss (fail_open): %s", error)

    # -- the interface ------------------------------------------------------------------

    async def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default``."""
        stored = self._space.key(key)
        try:
            payload = await self._fetch(stored)
        except BackendError as error:
            self._read_failed(error, 1)
            return default
        if payload is None:
            self._misses += 1
            return default
        self._hits += 1
        return self._loads(payload)

    async def set(self, key: str, value: Any, ttl: TTL = None) -> None:
        """Store ``value`` under ``key``, replacing its value and TTL."""
        stored = self._space.key(key)
        seconds = self._ttl(ttl)
        await self._store(stored, self._dumps(value), seconds)

    async def contains(self, key: str) -> bool:
        """Whether ``key`` holds a value (not counted as a hit or a miss)."""
        stored = self._space.key(key)
        try:
            return await self._exists(stored)
        except BackendError as error:
            self._read_failed(error, 0)
            return False

    async def delete(self, key: str) -> bool:
        """Remove ``key``; ``True`` if it existed."""
        return await self._remove([self._space.key(key)]) > 0

    async def ttl(self, key: str) -> float | None:
        """Seconds left before ``key`` expires; ``None`` for no expiry or no key."""
        stored = self._space.key(key)
        try:
            return await self._remaining(stored)
        except BackendError as error:
            self._read_failed(error, 0)
            return None

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The hits among ``keys`` (misses are left out)."""
        given, stored = self._space.redis_keys(keys)
        if not given:
            return {}
        try:
            payloads = await self._fetch_many(stored)
        except BackendError as error:
            self._read_failed(error, len(given))
            return {}
        loads = self._serializer.loads
        try:
            found = {
                key: loads(payload)
                for key, payload in zip(given, payloads, strict=True)
                if payload is not None
            }
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot decode stored data: {exc}") from exc
        misses = payloads.count(None)
        self._misses += misses
        self._hits += len(payloads) - misses
        return found

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        """Store every item of ``mapping`` with the same ``ttl`` (not atomically)."""
        given, stored = self._space.redis_keys(mapping)
        seconds = self._ttl(ttl)
        dumps = self._serializer.dumps
        try:
            payloads = [dumps(mapping[key]) for key in given]
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"cannot encode a value: {exc}") from exc
        if stored:
            await self._store_many(stored, payloads, seconds)

    async def delete_many(self, keys: Iterable[str]) -> int:
        """Remove ``keys``; how many existed."""
        _, stored = self._space.redis_keys(keys)
        return await self._remove(stored) if stored else 0

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        """The keys of this cache (of its namespace) starting with ``prefix``, by SCAN.

        A key present for the whole iteration is listed at least once (SCAN may list
        a key twice, this does not); keys written meanwhile may or may not be.
        """
        seen: set[bytes] = set()
        user_key = self._space.user_key
        async for page in self._scan_keys(self._space.match_prefix(prefix)):
            for stored in page:
                if stored not in seen:
                    seen.add(stored)
                    yield user_key(stored)

    async def delete_prefix(self, prefix: str) -> int:
        """Remove every key (of this namespace) starting with ``prefix``, matched literally."""
        return await self._remove_matching(self._space.match_prefix(prefix))

    async def clear(self, *, flush_db: bool = False) -> None:
        """Remove every key of this cache's namespace, and nothing else.

        Without a namespace the cache owns no part of the database, so this raises
        ``ConfigurationError`` unless called as ``clear(flush_db=True)``, which empties
        the whole database. A namespaced cache never flushes the database.
        """
        if self._space.namespace is not None:
            if flush_db:
                raise ConfigurationError(
                    "clear(flush_db=True) on a namespaced cache would delete other"
                    " namespaces' keys; call clear() to clear this namespace"
                )
            await self._remove_matching(self._space.match_all())
        elif flush_db:
            await self._flush()
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
        pattern = None if self._space.namespace is None else self._space.match_all()
        self._size = await self._count(pattern)
        return self.stats

    @property
    def stats(self) -> CacheStats:
        """Hits and misses of this cache object, and ``size`` as last counted by
        :meth:`refresh_stats` (0 before). ``evictions`` and ``expirations`` are 0:
        the store evicts and expires keys itself, without telling this client."""
        return CacheStats(hits=self._hits, misses=self._misses, size=self._size)

    @property
    def hit_ratio(self) -> float:
        """Hits divided by lookups; 0.0 before any lookup."""
        lookups = self._hits + self._misses
        return self._hits / lookups if lookups else 0.0
