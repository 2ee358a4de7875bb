"""Turning whatever old cache is given into a :class:`Source`."""

from __future__ import annotations

from collections.abc import Mapping

from pepperpy.caching import CacheBackend, ConfigurationError

from ..health import StoreHealth
from .aiocache_memory import AiocacheMemorySource, is_aiocache_memory
from .backend import BackendSource
from .base import Source
from .duck import DuckSource, has_keys_and_get
from .legacy import LegacySource, find_legacy_store
from .mapping import MappingSource

__all__ = ("Source", "is_redis_client", "open_source")


def is_redis_client(obj: object) -> bool:
    """Whether ``obj`` is a redis-py client (sync, asyncio or cluster)."""
    module = type(obj).__module__
    return (module == "redis" or module.startswith("redis.")) and hasattr(obj, "execute_command")


def open_source(old: object, health: StoreHealth, concurrency: int) -> Source:
    """The source that reads ``old``, chosen by what ``old`` is (first match wins):

    a cache of this library; a Mapping (dict, cachetools); an aiocache memory cache;
    a legacy container (``_storage``/``_cache``/``_data``); an object with ``keys()``
    and ``get()``. Raises :class:`~pepperpy.caching.ConfigurationError` otherwise, and
    for a bare redis-py client (wrap it: ``RedisCache(client=..., serializer=...)``).
    """
    if isinstance(old, CacheBackend):
        return BackendSource(old, health, concurrency)
    if is_redis_client(old):
        raise ConfigurationError(
            "a redis-py client cannot be read directly (its keys() runs KEYS and its "
            "values are raw bytes): wrap it as RedisCache(client=client, serializer=...) "
            "with the serializer its data was written with (for example 'bytes')"
        )
    if isinstance(old, Mapping):
        return MappingSource(old)
    if is_aiocache_memory(old):
        return AiocacheMemorySource(old)
    legacy = find_legacy_store(old)
    duck = has_keys_and_get(old)
    if legacy is not None and (legacy[0] or not duck):
        return LegacySource(*legacy)
    if duck:
        return DuckSource(old)
    raise ConfigurationError(
        f"cannot read a {type(old).__name__}: give a cache of this library, a Mapping, "
        "an object with keys() and get(), or a container whose _storage or _cache dict "
        "holds entries with value and expires_at"
    )
