"""Migrating from Mappings: dicts and cachetools caches, remaining TTLs carried."""

from __future__ import annotations

import math
from collections import OrderedDict
from datetime import datetime, timedelta

import cachetools
import pytest

from pepperpy.caching import MemoryCache, MigrationHelper
from pepperpy.caching.migration import Outcome

from ..adapters.clocks import FakeClock

pytestmark = pytest.mark.anyio


async def test_a_dict_is_copied_without_ttls() -> None:
    old = {"a": 1, "b": [2], "c": None}
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"a": True, "b": True, "c": True}
    assert await new.get_many(["a", "b", "c"]) == old
    assert [await new.ttl(key) for key in old] == [None, None, None]


async def test_non_str_keys_fail_alone() -> None:
    old = {"a": 1, 2: "two", ("t", 1): "tuple", "b": 3}
    new = MemoryCache()
    report = await MigrationHelper.migrate(old, new)
    assert report.results == {"a": True, 2: False, ("t", 1): False, "b": True}
    assert report.errors[2] == "keys must be str; got int"
    assert sorted(new.engine.keys()) == ["a", "b"]


async def test_an_ordered_mapping_type() -> None:
    old = OrderedDict([("x", 1), ("y", 2)])
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"x": True, "y": True}


async def test_ttlcache_entries_keep_the_time_they_had_left() -> None:
    timer = FakeClock(0.0)
    old = cachetools.TTLCache(maxsize=100, ttl=60, timer=timer)
    old["first"] = 1
    timer.advance(25)
    old["second"] = 2
    timer.advance(10)  # first: 25 s left, second: 50 s left
    new_clock = FakeClock()
    new = MemoryCache(clock=new_clock)

    assert await MigrationHelper.migrate_data(old, new) == {"first": True, "second": True}

    first, second = await new.ttl("first"), await new.ttl("second")
    assert first is not None
    assert 25 <= first < 26
    assert second is not None
    assert 50 <= second < 51


async def test_ttlcache_expired_entries_are_skipped() -> None:
    timer = FakeClock(0.0)
    old = cachetools.TTLCache(maxsize=10, ttl=10, timer=timer)
    old["early"] = 1
    timer.advance(6)
    old["late"] = 2
    timer.advance(4)  # "early" expired (not listed), "late" has 6 s
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"late": True}


async def test_an_entry_expiring_during_the_copy_is_reported_false() -> None:
    timer = FakeClock(0.0)
    old = cachetools.TTLCache(maxsize=10, ttl=10, timer=timer)
    old["a"] = 1
    timer.advance(5)
    old["b"] = 2
    new = MemoryCache(clock=FakeClock())
    # One key per batch, listed before the first is read; "a" (5 s left) is read
    # first, then 11 s pass, so "b" (15 s left when listed) has expired when read.
    report = await MigrationHelper.migrate(
        old, new, batch_size=1, on_progress=lambda done, total: timer.advance(11)
    )
    assert report.outcomes == {"a": Outcome.COPIED, "b": Outcome.EXPIRED}
    assert await new.ttl("a") == pytest.approx(5, abs=1)


async def test_ttlcache_with_a_datetime_timer() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0)
    clock = [now]
    old = cachetools.TTLCache(maxsize=10, ttl=timedelta(minutes=2), timer=lambda: clock[0])
    old["k"] = "v"
    clock[0] = now + timedelta(seconds=30)
    new = MemoryCache(clock=FakeClock())
    assert await MigrationHelper.migrate_data(old, new) == {"k": True}
    assert await new.ttl("k") == pytest.approx(90, abs=1)


async def test_ttlcache_with_infinite_ttl_means_no_expiry() -> None:
    old = cachetools.TTLCache(maxsize=10, ttl=math.inf)
    old["k"] = 1
    new = MemoryCache()
    assert await MigrationHelper.migrate_data(old, new) == {"k": True}
    assert await new.ttl("k") is None


async def test_tlrucache_per_item_ttls() -> None:
    timer = FakeClock(100.0)

    def ttu(key: str, value: int, now: float) -> float:
        return now + value  # each value is its own TTL

    old = cachetools.TLRUCache(maxsize=10, ttu=ttu, timer=timer)
    old["ten"] = 10
    old["hundred"] = 100
    old["never"] = math.inf  # type: ignore[assignment]
    timer.advance(4)
    new = MemoryCache(clock=FakeClock())

    assert await MigrationHelper.migrate_data(old, new) == {
        "ten": True,
        "hundred": True,
        "never": True,
    }
    assert await new.ttl("ten") == pytest.approx(6, abs=0.1)
    assert await new.ttl("hundred") == pytest.approx(96, abs=1)
    assert await new.ttl("never") is None


@pytest.mark.parametrize(
    "make", [cachetools.LRUCache, cachetools.LFUCache, cachetools.FIFOCache, cachetools.RRCache]
)
async def test_untimed_cachetools_caches(make: type[cachetools.Cache]) -> None:  # type: ignore[type-arg]
    old = make(maxsize=50)
    for i in range(40):
        old[f"k{i}"] = i
    new = MemoryCache(max_size=None)
    results = await MigrationHelper.migrate_data(old, new)
    assert results == {f"k{i}": True for i in range(40)}
    assert await new.get("k39") == 39
    assert await new.ttl("k39") is None


async def test_reading_an_lru_cache_does_not_reorder_it() -> None:
    old = cachetools.LRUCache(maxsize=3)
    old["a"], old["b"], old["c"] = 1, 2, 3
    await MigrationHelper.migrate_data(old, MemoryCache())
    old["d"] = 4  # evicts the least recently used: still "a" if the copy touched nothing
    assert list(old) == ["b", "c", "d"]


async def test_reading_an_lfu_cache_does_not_count_as_use() -> None:
    old = cachetools.LFUCache(maxsize=2)
    old["a"] = 1
    old["b"] = 2
    _ = old["b"]  # "b" used once more than "a"
    for _round in range(3):
        await MigrationHelper.migrate_data(old, MemoryCache())
    old["c"] = 3  # evicts the least frequently used: "a", unless the copies counted
    assert sorted(old) == ["b", "c"]
