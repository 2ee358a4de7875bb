"""Test doubles for migrations: stores that fail on purpose, old-style caches."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import aclosing
from datetime import datetime
from typing import Any

from pepperpy.caching import TTL, CacheBackend, CacheStats

_ABSENT: Any = object()


class Delegate(CacheBackend):
    """A cache that forwards to ``inner`` and can be told to fail.

    ``bad_values``: writing one of these values raises ``write_error``.
    ``bad_read_keys``: reading one of these keys raises ``read_error`` (``get_many``
    raises as soon as any of them is asked for, as a store that fails a whole batch).
    ``listing_extra``: keys ``iter_keys`` yields again after the real ones.
    ``after_listing``: called once ``iter_keys`` has listed every key.
    ``fail_writes``: every write raises ``write_error``.
    Counts the batch and single writes it sees.
    """

    def __init__(
        self,
        inner: CacheBackend,
        *,
        bad_values: Iterable[Any] = (),
        bad_read_keys: Iterable[str] = (),
        write_error: Callable[[str], Exception] | None = None,
        read_error: Callable[[str], Exception] | None = None,
        listing_extra: Iterable[str] = (),
        listing_error: Exception | None = None,
        after_listing: Callable[[], object] | None = None,
        fail_writes: bool = False,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.bad_values = list(bad_values)
        self.bad_read_keys = set(bad_read_keys)
        self.write_error = write_error or (lambda key: ValueError(f"cannot store {key}"))
        self.read_error = read_error or (lambda key: ValueError(f"cannot read {key}"))
        self.listing_extra = list(listing_extra)
        self.listing_error = listing_error
        self.after_listing = after_listing
        self.fail_writes = fail_writes
        self.set_many_calls: list[tuple[dict[str, Any], TTL]] = []
        self.set_calls: list[tuple[str, Any, TTL]] = []

    def _check_write(self, key: str, value: Any) -> None:
        if self.fail_writes or any(value is bad for bad in self.bad_values):
            raise self.write_error(key)

    async def get(self, key: str, default: Any = None) -> Any:
        if key in self.bad_read_keys:
            raise self.read_error(key)
        return await self.inner.get(key, default)

    async def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(keys)
        for key in wanted:
            if key in self.bad_read_keys:
                raise self.read_error(key)
        return await self.inner.get_many(wanted)

    async def set(self, key: str, value: Any, ttl: TTL = None) -> None:
        self.set_calls.append((key, value, ttl))
        self._check_write(key, value)
        await self.inner.set(key, value, ttl)

    async def set_many(self, mapping: Mapping[str, Any], ttl: TTL = None) -> None:
        self.set_many_calls.append((dict(mapping), ttl))
        for key, value in mapping.items():
            self._check_write(key, value)
        await self.inner.set_many(mapping, ttl)

    async def contains(self, key: str) -> bool:
        return await self.inner.contains(key)

    async def delete(self, key: str) -> bool:
        return await self.inner.delete(key)

    async def clear(self) -> None:
        await self.inner.clear()

    async def delete_prefix(self, prefix: str) -> int:
        return await self.inner.delete_prefix(prefix)

    async def ttl(self, key: str) -> float | None:
        return await self.inner.ttl(key)

    @property
    def stats(self) -> CacheStats:
        return self.inner.stats

    async def iter_keys(self, prefix: str = "") -> AsyncIterator[str]:
        listing = self.inner.iter_keys(prefix)
        async with aclosing(listing):  # type: ignore[type-var]
            async for key in listing:
                yield key
        for key in self.listing_extra:
            yield key
        if self.listing_error is not None:
            raise self.listing_error
        if self.after_listing is not None:
            self.after_listing()


class Entry:
    """An entry of an older cache: attributes ``value`` and ``expires_at``."""

    def __init__(self, value: Any, expires_at: datetime | float | str | None = None) -> None:
        self.value = value
        self.expires_at = expires_at


class StorageCache:
    """An older in-process cache keeping ``Entry`` objects in ``_storage``."""

    def __init__(self, entries: dict[Any, Any], max_size: int | None = None) -> None:
        self._storage = entries
        self._max_size = max_size
        self.policy = "least_recently_used"
        self.ttl = 120


class DictEntryCache:
    """An older cache keeping ``{"value": ..., "expires_at": ...}`` dicts in ``_cache``."""

    def __init__(self, entries: dict[Any, Any]) -> None:
        self._cache = entries


class PairCache:
    """An older cache keeping ``(value, expires_at)`` pairs in ``_data``."""

    def __init__(self, entries: dict[Any, Any]) -> None:
        self._data = entries


class SyncKeysGet:
    """An object with plain ``keys()`` and ``get(key, default)``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._items = dict(data)

    def keys(self) -> list[str]:
        return list(self._items)

    def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)


class AsyncKeysGet:
    """An object with async ``keys()`` and ``get(key)`` (no default: None is a miss),
    and an async ``ttl(key)`` giving seconds left (-1: no expiry)."""

    def __init__(self, data: dict[str, Any], ttls: dict[str, float]) -> None:
        self._items = dict(data)
        self._ttls = ttls

    async def keys(self) -> list[str]:
        return list(self._items)

    async def get(self, key: str) -> Any:
        return self._items.get(key)

    async def ttl(self, key: str) -> float:
        return self._ttls.get(key, -1)


class AsyncIterKeys:
    """``keys()`` returns an async iterator; ``get`` is async and takes a default."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._items = dict(data)

    async def _listing(self) -> AsyncIterator[str]:
        for key in list(self._items):
            yield key

    def keys(self) -> AsyncIterator[str]:
        return self._listing()

    async def get(self, key: str, default: Any = None) -> Any:
        return self._items.get(key, default)
