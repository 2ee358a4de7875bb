"""aiocache's in-memory caches (``SimpleMemoryCache``) as a source.

aiocache keeps the serialized values in ``_cache`` and one asyncio timer per key with
a TTL in ``_handlers``; a timer's ``when()`` is on the event loop's clock, which for
asyncio's loops is :func:`time.monotonic`. Values are decoded with the cache's own
public ``serializer``, as its ``get`` does. Keys are reported as aiocache stores them
(with its namespace, if any, in front).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Mapping
from typing import Any, final

from ..items import SourceItem, describe
from .base import Source

__all__ = ("AiocacheMemorySource", "is_aiocache_memory")


def is_aiocache_memory(obj: object) -> bool:
    """Whether ``obj`` looks like aiocache's ``SimpleMemoryBackend``."""
    return (
        type(obj).__module__.startswith("aiocache")
        and isinstance(getattr(obj, "_cache", None), dict)
        and isinstance(getattr(obj, "_handlers", None), Mapping)
    )


@final
class AiocacheMemorySource(Source):
    """Reads an aiocache memory cache with each key's remaining TTL."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self.total = len(cache._cache)

    async def batches(self, size: int) -> AsyncGenerator[list[SourceItem], None]:
        keys = list(self._cache._cache)
        for start in range(0, len(keys), size):
            now = time.monotonic()
            yield [self._read(key, now) for key in keys[start : start + size]]

    def _read(self, key: Any, now: float) -> SourceItem:
        store: dict[Any, Any] = self._cache._cache
        if key not in store:
            return SourceItem.expired(key)
        try:
            value = self._cache.serializer.loads(store[key])
        except Exception as exc:
            return SourceItem.failed(key, describe(exc))
        timer = self._cache._handlers.get(key)
        if timer is None or timer.cancelled():
            return SourceItem(key, value)
        return SourceItem.with_remaining(key, value, timer.when() - now)
