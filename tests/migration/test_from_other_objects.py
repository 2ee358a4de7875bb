"""Migrating from objects with keys() and get(), cachebox and aiocache caches."""

from __future__ import annotations

from typing import Any

import cachebox
import pytest

from pepperpy.caching import ConfigurationError, MemoryCache, MigrationHelper

from ..adapters.clocks import FakeClock
from .fakes import AsyncIterKeys, AsyncKeysGet, SyncKeysGet

pytestmark = pytest.mark.anyio


async def test_plain_keys_and_get_with_default() -> None:
    old = SyncKeysGet({"a": 1, "none": None})
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"a": True, "none": True}
    assert await new.contains("none")  # a stored None told apart from a miss


async def test_async_keys_get_and_ttl() -> None:
    old = AsyncKeysGet({"a": 1, "b": 2, "nothing": None}, ttls={"a": 42.0, "b": -1})
    new = MemoryCache(clock=FakeClock())
    report = await MigrationHelper.migrate(old, new)
    # get() without a default: None cannot be told from a miss, so it is skipped
    assert report.results == {"a": True, "b": True, "nothing": False}
    assert await new.ttl("a") == pytest.approx(42, abs=1)
    assert await new.ttl("b") is None


async def test_keys_as_an_async_iterator() -> None:
    old = AsyncIterKeys({"x": "1", "y": "2"})
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"x": True, "y": True}
    assert await new.get("y") == "2"


async def test_cachebox_ttl_cache() -> None:
    old = cachebox.TTLCache(100, 300)
    old["a"] = 1
    old["b"] = None
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"a": True, "b": True}
    left = await new.ttl("a")
    assert left is not None
    assert 299 <= left <= 301
    assert await new.contains("b")


async def test_cachebox_vttl_cache_per_item() -> None:
    old = cachebox.VTTLCache(100)
    old.insert("short", "s", 20)
    old.insert("forever", "f", None)
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"short": True, "forever": True}
    assert await new.ttl("short") == pytest.approx(20, abs=1)
    assert await new.ttl("forever") is None


async def test_cachebox_lru_cache() -> None:
    old = cachebox.LRUCache(10)
    old["k"] = "v"
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"k": True}
    assert await new.get("k") == "v"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiocache runs on asyncio only
async def test_aiocache_memory_cache(anyio_backend: str) -> None:
    from aiocache import SimpleMemoryCache
    from aiocache.serializers import JsonSerializer

    old = SimpleMemoryCache(serializer=JsonSerializer())
    await old.set("timed", {"a": 1}, ttl=30)
    await old.set("forever", [1, 2])
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"timed": True, "forever": True}
    assert await new.get("timed") == {"a": 1}
    assert await new.ttl("timed") == pytest.approx(30, abs=1)
    assert await new.ttl("forever") is None
    await old.close()


async def test_unreadable_sources_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="cannot read a int"):
        await MigrationHelper.migrate_data(42, MemoryCache())


async def test_a_bare_redis_client_is_refused_without_touching_it() -> None:
    import redis

    client = redis.Redis(host="127.0.0.1", port=1)  # nothing listens: never contacted
    with pytest.raises(ConfigurationError, match=r"RedisCache\(client=client"):
        await MigrationHelper.migrate_data(client, MemoryCache())


class OddKeys(SyncKeysGet):
    """keys() lists a key of a type no cache accepts, and one that is not hashable."""

    def keys(self) -> list[Any]:
        return ["a", 7, ["not", "hashable"]]

    def get(self, key: Any, default: Any = None) -> Any:
        return "seven" if key == 7 else super().get(key, default)


async def test_keys_of_other_types_fail_alone() -> None:
    report = await MigrationHelper.migrate(OddKeys({"a": 1}), MemoryCache())
    assert report.results == {"a": True, 7: False, "['not', 'hashable']": False}
    assert report.errors[7] == "keys must be str; got int"
    assert report.errors["['not', 'hashable']"].startswith("TypeError")
