"""Any cache of this library as a source: keys by ``iter_keys``, values by ``get_many``,
remaining TTLs by ``ttl``."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, TypeVar, final

from pepperpy.caching import MISS, CacheBackend, MemoryCache

from ..fanout import each
from ..health import StoreHealth
from ..items import SourceItem, describe
from .base import Source

__all__ = ("BackendSource",)

T = TypeVar("T")


@final
class BackendSource(Source):
    """Reads a :class:`~pepperpy.caching.CacheBackend` (RedisCache lists keys by SCAN).

    For each batch the TTLs are read before the values: a key that expires in between
    is then missing from the values and skipped, whereas the other order could copy
    a value read just before expiry with no TTL at all. A listed key that ``get_many``
    does not return is checked with ``contains``: gone means expired, present means
    the store holds something this cache cannot read (for example a Redis hash).
    """

    def __init__(self, backend: CacheBackend, health: StoreHealth, concurrency: int) -> None:
        # Only a MemoryCache knows its own size exactly and cheaply (a Cache view
        # reports its backend's, a remote store would need a scan).
        self.total = backend.size if isinstance(backend, MemoryCache) else None
        self._backend = backend
        self._health = health
        self._concurrency = concurrency

    async def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        keys: list[str] = []
        listing = self._backend.iter_keys()
        try:
            async for key in listing:
                keys.append(key)
                if len(keys) >= size:
                    yield await self._read(keys)
                    keys = []
        finally:
            close = getattr(listing, "aclose", None)
            if close is not None:
                await close()
        if keys:
            yield await self._read(keys)

    def _per_key(
        self, method: Callable[..., Awaitable[T]], *args: Any
    ) -> Callable[[str], Awaitable[T]]:
        """``method(key, *args)``, counted for the store's health."""
        health = self._health

        async def call(key: str) -> T:
            health.check()
            try:
                result = await method(key, *args)
            except Exception as exc:
                health.failed(exc)
                raise
            health.ok()
            return result

        return call

    async def _read(self, keys: list[str]) -> list[SourceItem]:
        backend = self._backend
        ttls = await each(self._per_key(backend.ttl), keys, self._concurrency)
        self._health.check()
        values, errors = await self._values(keys)
        missing = [key for key in keys if key not in values and key not in errors]
        present = await each(self._per_key(backend.contains), missing, self._concurrency)
        self._health.check()
        unreadable = dict(zip(missing, present, strict=True))
        items = []
        for key, ttl in zip(keys, ttls, strict=True):
            if isinstance(ttl, Exception):
                items.append(SourceItem.failed(key, describe(ttl)))
            elif key in errors:
                items.append(SourceItem.failed(key, errors[key]))
            elif key in values:
                items.append(SourceItem.with_remaining(key, values[key], ttl))
            else:
                found = unreadable[key]
                if isinstance(found, Exception):
                    items.append(SourceItem.failed(key, describe(found)))
                elif found:
                    items.append(
                        SourceItem.failed(key, "the store holds a value get() cannot return")
                    )
                else:
                    items.append(SourceItem.expired(key))
        return items

    async def _values(self, keys: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        """The values of ``keys`` (hits only), and a reason for each key that failed.

        One ``get_many``; if it raises, each key alone, to find the one(s) at fault.
        """
        try:
            values = await self._backend.get_many(keys)
        except Exception as exc:
            self._health.failed(exc)
        else:
            self._health.ok()
            return values, {}
        get = self._per_key(self._backend.get, MISS)
        found = await each(get, keys, self._concurrency)
        self._health.check()
        values, errors = {}, {}
        for key, value in zip(keys, found, strict=True):
            if isinstance(value, Exception):
                errors[key] = describe(value)
            elif value is not MISS:
                values[key] = value
        return values, errors
