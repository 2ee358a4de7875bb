"""get_equivalent_cache: a new cache configured like the old one."""

from __future__ import annotations

import math
import warnings
from typing import Any

import cachebox
import cachetools
import pytest

from pepperpy.caching import (
    Cache,
    CacheBackend,
    ConfigurationError,
    FIFOPolicy,
    LFUPolicy,
    LRUPolicy,
    MemoryCache,
    MigrationHelper,
    RandomPolicy,
)
from pepperpy.caching.migration import DroppedSettingWarning

from .fakes import StorageCache

POLICY_TYPES = {"lru": LRUPolicy, "lfu": LFUPolicy, "fifo": FIFOPolicy, "random": RandomPolicy}


def _memory(cache: CacheBackend) -> MemoryCache:
    assert isinstance(cache, MemoryCache)
    return cache


@pytest.mark.parametrize(
    ("old", "max_size", "policy", "default_ttl"),
    [
        (cachetools.LRUCache(maxsize=128), 128, "lru", None),
        (cachetools.LFUCache(maxsize=64), 64, "lfu", None),
        (cachetools.FIFOCache(maxsize=32), 32, "fifo", None),
        (cachetools.RRCache(maxsize=16), 16, "random", None),
        (cachetools.TTLCache(maxsize=256, ttl=600), 256, "lru", 600.0),
        (cachetools.TTLCache(maxsize=8, ttl=math.inf), 8, "lru", None),
        (cachetools.TLRUCache(maxsize=10, ttu=lambda k, v, now: now + 1), 10, "lru", None),
        (cachetools.Cache(maxsize=math.inf), None, "fifo", None),
        (cachebox.LRUCache(100), 100, "lru", None),
        (cachebox.LFUCache(100), 100, "lfu", None),
        (cachebox.TTLCache(50, 30), 50, "fifo", 30.0),
        (cachebox.LRUCache(0), None, "lru", None),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, int | str | float) else None,
)
def test_other_libraries_caches(
    old: Any, max_size: int | None, policy: str, default_ttl: float | None
) -> None:
    new = _memory(MigrationHelper.get_equivalent_cache(old))
    assert new.max_size == max_size
    assert type(new.engine.policy) is POLICY_TYPES[policy]
    assert new.engine.default_ttl == default_ttl
    assert new.size == 0


def test_cachetools_weights_are_not_carried() -> None:
    old = cachetools.LRUCache(maxsize=1000, getsizeof=len)
    with pytest.warns(DroppedSettingWarning, match="getsizeof"):
        new = _memory(MigrationHelper.get_equivalent_cache(old))
    assert new.max_size == 1000


def test_cachetools_cache_of_size_zero_has_no_equivalent() -> None:
    with pytest.raises(ConfigurationError, match="maxsize 0"):
        MigrationHelper.get_equivalent_cache(cachetools.LRUCache(maxsize=0))


def test_a_dict_becomes_an_unbounded_memory_cache() -> None:
    new = _memory(MigrationHelper.get_equivalent_cache({"user:1": {"name": "ada"}, "b": 2}))
    assert new.max_size is None


def test_a_settings_mapping() -> None:
    new = _memory(MigrationHelper.get_equivalent_cache({"maxsize": 10, "policy": "LFU"}))
    assert new.max_size == 10
    assert isinstance(new.engine.policy, LFUPolicy)


def test_a_settings_mapping_with_a_prefix_gives_a_namespaced_view() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = MigrationHelper.get_equivalent_cache({"max_size": 5, "key_prefix": "app:"})
    assert isinstance(new, Cache)
    assert new.namespace == "app"
    assert _memory(new.backend).max_size == 5


def test_a_mapping_mostly_of_setting_names_is_settings_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="colour"):
        new = _memory(MigrationHelper.get_equivalent_cache({"maxsize": 3, "ttl": 9, "colour": 1}))
    assert new.max_size == 3


def test_a_legacy_object_by_its_attributes() -> None:
    old = StorageCache({}, max_size=500)  # _max_size, policy, ttl attributes
    new = _memory(MigrationHelper.get_equivalent_cache(old))
    assert new.max_size == 500
    assert isinstance(new.engine.policy, LRUPolicy)
    assert new.engine.default_ttl == 120


def test_a_legacy_object_without_a_size_is_unbounded() -> None:
    class Old:
        def __init__(self) -> None:
            self._cache: dict[str, Any] = {}
            self.eviction_policy = "fifo"

    new = _memory(MigrationHelper.get_equivalent_cache(Old()))
    assert new.max_size is None
    assert isinstance(new.engine.policy, FIFOPolicy)


def test_memory_cache_and_views_of_this_library() -> None:
    old = MemoryCache(max_size=77, policy="lfu", default_ttl=12)
    new = _memory(MigrationHelper.get_equivalent_cache(old))
    assert (new.max_size, new.engine.default_ttl) == (77, 12)
    assert isinstance(new.engine.policy, LFUPolicy)
    assert new.engine.policy is not old.engine.policy
    view = MigrationHelper.get_equivalent_cache(Cache(Cache(old, "a"), "b"))
    assert isinstance(view, Cache)
    assert view.namespace == "b"
    inner = view.backend
    assert isinstance(inner, Cache)
    assert inner.namespace == "a"
    assert _memory(inner.backend).max_size == 77


def test_objects_without_any_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="no equivalent known for a int"):
        MigrationHelper.get_equivalent_cache(42)
