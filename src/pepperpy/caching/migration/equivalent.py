"""A new cache configured like an old one.

What is recognized, first match wins: a cache of this library (MemoryCache, a Cache
view); a redis-py client; a cachetools, cachebox or aiocache cache; a settings
Mapping (most of whose keys are setting names); any other Mapping (a dict used as a
cache: an unbounded MemoryCache); any other object, from the setting-like attributes
it has (``max_size``, ``ttl``, ``policy``, ``host``, ``_port``, ...; a redis-py client
in ``client``/``_client``).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Mapping
from typing import Any, Final

import pepperpy.caching as caching
from pepperpy.caching import (
    Cache,
    CacheBackend,
    ConfigurationError,
    FIFOPolicy,
    LFUPolicy,
    LRUPolicy,
    MemoryCache,
    RandomPolicy,
)

from .categories import DroppedSettingWarning
from .config import CachePlan, is_setting_name, plan_config
from .config_values import as_namespace
from .sources import is_redis_client
from .sources.cachetools_ttl import is_cachetools_cache
from .sources.duck import has_keys_and_get
from .sources.legacy import find_legacy_store

__all__ = ("get_equivalent_cache",)

_POLICY_NAMES: Final = (
    (LRUPolicy, "lru"),
    (LFUPolicy, "lfu"),
    (FIFOPolicy, "fifo"),
    (RandomPolicy, "random"),
)

# cachetools class -> policy; a TTLCache is an LRU cache with one TTL for every entry,
# the base Cache evicts in insertion order (MutableMapping.popitem takes the first key).
_CACHETOOLS: Final = (
    ("TTLCache", "lru"),
    ("TLRUCache", "lru"),
    ("LRUCache", "lru"),
    ("LFUCache", "lfu"),
    ("FIFOCache", "fifo"),
    ("RRCache", "random"),
    ("Cache", "fifo"),
)
_CACHEBOX: Final = {
    "LRUCache": "lru",
    "LFUCache": "lfu",
    "FIFOCache": "fifo",
    "RRCache": "random",
    "TTLCache": "fifo",
    "VTTLCache": "lru",
    "Cache": "fifo",
}

# Attribute names read from other objects: the setting names that are unambiguous on
# an object ("size" is often the current size, "timeout" a socket timeout there).
_ATTRIBUTES: Final = (
    "max_size", "maxsize", "capacity", "max_entries", "max_items", "maxlen",
    "policy", "eviction_policy", "default_ttl", "ttl", "expiration",
    "url", "host", "hostname", "endpoint", "port", "db", "database", "password",
    "username", "ssl", "cluster", "startup_nodes", "namespace", "key_prefix",
    "socket_timeout", "fail_open",
)  # fmt: skip


def _redis_cache() -> Any:
    try:
        return caching.RedisCache
    except AttributeError:
        raise ImportError(
            "RedisCache is not available in this installation of pepperpy-caching"
        ) from None


def _memory(kwargs: dict[str, Any], namespace: str | None) -> CacheBackend:
    cache = MemoryCache(**kwargs)
    return cache if namespace is None else Cache(cache, namespace=namespace)


def _build(plan: CachePlan, *, unbounded_by_default: bool) -> CacheBackend:
    # _build <- get_equivalent_cache <- MigrationHelper.get_equivalent_cache <- caller
    plan.warn(stacklevel=4, namespace_dropped=False)
    if plan.kind == "redis":
        return _redis_cache()(**plan.kwargs)  # type: ignore[no-any-return]
    kwargs = dict(plan.kwargs)
    if unbounded_by_default:
        kwargs.setdefault("max_size", None)
    return _memory(kwargs, plan.namespace)


def _policy_name(policy: object) -> Any:
    for kind, name in _POLICY_NAMES:
        if type(policy) is kind:
            return name
    try:
        return type(policy)()  # a fresh instance: a policy tracks one cache's keys
    except Exception as exc:
        raise ConfigurationError(
            f"cannot make a fresh {type(policy).__name__} for the new cache: {exc}"
        ) from exc


def _from_library(old: CacheBackend) -> CacheBackend:
    if isinstance(old, Cache):
        return Cache(get_equivalent_cache(old.backend), namespace=old.namespace)
    if isinstance(old, MemoryCache):
        engine = old.engine
        return MemoryCache(
            max_size=engine.max_size,
            policy=_policy_name(engine.policy),
            default_ttl=engine.default_ttl,
        )
    raise ConfigurationError(
        f"cannot tell how this {type(old).__name__} is configured; construct the new "
        "cache with the settings it was built with"
    )


def _max_size(maxsize: object) -> int | None:
    if isinstance(maxsize, float) and math.isinf(maxsize):
        return None
    if maxsize == 0:
        raise ConfigurationError("a cache of maxsize 0 keeps nothing: no equivalent")
    if isinstance(maxsize, int) and maxsize >= sys.maxsize:
        return None
    return maxsize  # type: ignore[return-value]


def _from_cachetools(old: Any) -> CachePlan:
    module = sys.modules["cachetools"]
    policy = next(name for cls, name in _CACHETOOLS if isinstance(old, getattr(module, cls, ())))
    config: dict[str, Any] = {"max_size": _max_size(old.maxsize), "policy": policy}
    if isinstance(old, module.TTLCache):
        config["ttl"] = None if old.ttl == math.inf else old.ttl
    if getattr(old, "getsizeof", None) is not module.Cache.getsizeof:
        warnings.warn(
            "getsizeof weights are not carried: max_size counts entries",
            DroppedSettingWarning,
            stacklevel=4,
        )
    return plan_config(config)


def _from_cachebox(old: Any) -> CachePlan:
    policy = _CACHEBOX.get(type(old).__name__, "lru")
    config: dict[str, Any] = {"max_size": _max_size(old.maxsize), "policy": policy}
    ttl = getattr(old, "global_ttl", None)
    if isinstance(ttl, int | float) and ttl > 0:
        config["ttl"] = ttl
    return plan_config(config)


def _looks_like_settings(old: Mapping[Any, Any]) -> bool:
    keys = list(old)
    return (
        bool(keys)
        and all(isinstance(key, str) for key in keys)
        and (2 * sum(1 for key in keys if is_setting_name(key)) > len(keys))
    )


def _settings_from_attributes(old: object) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in _ATTRIBUTES:
        for spelled in (name, "_" + name):
            try:
                value = getattr(old, spelled, None)
            except Exception:  # a property that fails is no setting
                continue
            if value is not None and not callable(value):
                found.setdefault(name, value)
                break
    return found


def get_equivalent_cache(old: object) -> CacheBackend:
    """A new cache configured like ``old``; see
    :meth:`~pepperpy.caching.migration.MigrationHelper.get_equivalent_cache`."""
    if isinstance(old, CacheBackend):
        return _from_library(old)
    if is_redis_client(old):
        return _redis_cache()(client=old)  # type: ignore[no-any-return]
    if is_cachetools_cache(old):
        return _build(_from_cachetools(old), unbounded_by_default=True)
    if type(old).__module__.startswith("cachebox"):
        return _build(_from_cachebox(old), unbounded_by_default=True)
    if isinstance(old, Mapping):
        if _looks_like_settings(old):
            return _build(plan_config(old), unbounded_by_default=False)
        return MemoryCache(max_size=None)
    for name in ("client", "_client"):
        client = getattr(old, name, None)
        if client is not None and is_redis_client(client):
            namespace = _settings_from_attributes(old).get("namespace")
            if namespace is not None:
                namespace = as_namespace("namespace", namespace)
            return _redis_cache()(client=client, namespace=namespace)  # type: ignore[no-any-return]
    settings = _settings_from_attributes(old)
    if not settings and find_legacy_store(old) is None and not has_keys_and_get(old):
        raise ConfigurationError(
            f"no equivalent known for a {type(old).__name__}: it is not a cache this "
            "library recognizes and has no settings such as max_size, ttl or host"
        )
    return _build(plan_config(settings), unbounded_by_default=True)
