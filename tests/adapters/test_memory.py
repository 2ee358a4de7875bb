"""MemoryCache on asyncio and trio: the CacheBackend contract, TTLs, eviction, stats."""

from __future__ import annotations

import copy
import pickle
from datetime import timedelta
from typing import Any

import anyio
import pytest
from trio.testing import MockClock

from pepperpy.caching import (
    POLICY_NAMES,
    Cache,
    CacheError,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    LRUPolicy,
    MemoryCache,
    Removal,
    RemovalCause,
    TTLTypeError,
)

from .clocks import FakeClock

pytestmark = pytest.mark.anyio


async def test_get_set_and_defaults() -> None:
    cache = MemoryCache()
    assert await cache.get("a") is None
    assert await cache.get("a", default=7) == 7
    await cache.set("a", [1, 2])
    assert await cache.get("a") == [1, 2]
    await cache.set("none", None)
    assert await cache.get("none", default="d") is None  # a stored None is a hit
    assert await cache.contains("none")
    assert cache.stats.hits == 2
    assert cache.stats.misses == 2


async def test_values_are_stored_as_they_are() -> None:
    cache = MemoryCache()
    value = {"mutable": []}
    await cache.set("k", value)
    assert await cache.get("k") is value


async def test_delete_and_clear() -> None:
    cache = MemoryCache()
    await cache.set("a", 1)
    await cache.set("b", 2)
    assert await cache.delete("a") is True
    assert await cache.delete("a") is False
    assert not await cache.contains("a")
    await cache.clear()
    assert cache.size == 0
    assert await cache.get("b") is None


async def test_batch_operations() -> None:
    cache = MemoryCache()
    await cache.set_many({"a": 1, "b": 2, "c": 3}, ttl=60)
    assert await cache.get_many(["a", "c", "zz"]) == {"a": 1, "c": 3}
    assert await cache.delete_many(["a", "b", "zz"]) == 2
    assert await cache.get_many(["a", "b", "c"]) == {"c": 3}


async def test_ttl_with_a_fake_clock() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.set("k", "v", ttl=10)
    await cache.set("forever", "v")
    assert await cache.ttl("k") == 10.0
    assert await cache.ttl("forever") is None
    assert await cache.ttl("absent") is None
    clock.advance(9.999)
    assert await cache.get("k") == "v"
    assert await cache.ttl("k") == pytest.approx(0.001)
    clock.advance(0.001)  # exactly at the deadline: expired
    assert await cache.get("k") is None
    assert not await cache.contains("k")
    assert await cache.ttl("k") is None
    assert cache.size == 1
    assert cache.stats.expirations == 0  # counted when reclaimed, not when read
    await cache.set("other", "v")  # a write reclaims it
    assert cache.stats.expirations == 1


async def test_timedelta_ttl_and_default_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock, default_ttl=5)
    await cache.set("d", 1)
    await cache.set("t", 2, ttl=timedelta(minutes=1))
    assert await cache.ttl("d") == 5.0
    assert await cache.ttl("t") == 60.0


async def test_overwrite_replaces_the_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.set("k", 1, ttl=1)
    await cache.set("k", 2, ttl=100)
    clock.advance(50)
    assert await cache.get("k") == 2
    await cache.set("k", 3)  # no TTL now
    clock.advance(1000)
    assert await cache.get("k") == 3


@pytest.mark.parametrize(
    "anyio_backend",
    [pytest.param(("trio", {"clock": MockClock(autojump_threshold=0)}), id="trio-mockclock")],
)
async def test_trio_mock_clock_drives_ttls() -> None:
    # The default clock follows the running loop: sleeping on an autojumping clock
    # expires entries without real waiting.
    cache = MemoryCache()
    await cache.set("k", 1, ttl=3600)
    await anyio.sleep(3599)
    assert await cache.get("k") == 1
    await anyio.sleep(2)
    assert await cache.get("k") is None


@pytest.mark.parametrize("policy", POLICY_NAMES)
async def test_never_above_max_size(policy: str) -> None:
    evicted: list[Removal] = []
    cache = MemoryCache(max_size=10, policy=policy, on_evict=evicted.append)
    for i in range(100):
        await cache.set(f"k{i}", i)
        assert cache.size <= 10
    assert cache.size == 10
    assert len(evicted) == 90
    # W-TinyLFU's refusals are rejections; every other policy only evicts.
    assert cache.stats.evictions + cache.stats.rejections == 90
    causes = {RemovalCause.EVICTED, RemovalCause.REJECTED}
    assert all(r.cause in causes for r in evicted)
    if policy != "tinylfu":
        assert cache.stats.rejections == 0
    assert sum(r.cause is RemovalCause.REJECTED for r in evicted) == cache.stats.rejections
    for removal in evicted:
        assert not await cache.contains(removal.key)


async def test_lru_eviction_order() -> None:
    cache = MemoryCache(max_size=2, policy=LRUPolicy())
    await cache.set("a", 1)
    await cache.set("b", 2)
    await cache.get("a")
    await cache.set("c", 3)
    assert await cache.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}


async def test_listener_hears_expirations_and_its_errors_are_contained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    heard: list[Removal] = []

    def listener(removal: Removal) -> None:
        heard.append(removal)
        raise RuntimeError("listener bug")

    cache = MemoryCache(clock=clock, on_evict=listener)
    await cache.set("a", 1, ttl=1)
    clock.advance(2)
    await cache.set("b", 2)  # writes reclaim due entries
    assert heard == [Removal("a", 1, RemovalCause.EXPIRED)]
    assert "listener failed" in caplog.text
    assert await cache.get("b") == 2


async def test_expired_entries_are_reclaimed_by_writes_in_an_unbounded_cache() -> None:
    clock = FakeClock()
    cache = MemoryCache(max_size=None, clock=clock)
    for i in range(10_000):
        await cache.set(f"k{i}", i, ttl=1)
        clock.advance(0.01)
    # Nobody read the old keys, yet memory holds only about the last second's writes.
    assert len(cache.engine) <= 150


async def test_background_reaper_reclaims_without_any_call() -> None:
    clock = FakeClock()
    reclaimed: list[Removal] = []
    all_reclaimed = anyio.Event()

    def listener(removal: Removal) -> None:
        reclaimed.append(removal)
        if len(reclaimed) == 3000:
            all_reclaimed.set()

    cache = MemoryCache(max_size=None, clock=clock, on_evict=listener)
    async with cache:
        await cache.set_many({f"k{i}": i for i in range(3000)}, ttl=1)
        clock.advance(5)
        with anyio.fail_after(5):
            await all_reclaimed.wait()
        assert len(cache.engine) == 0
    assert cache.stats.expirations == 3000
    assert {r.cause for r in reclaimed} == {RemovalCause.EXPIRED}


async def test_cache_can_be_entered_again_after_close() -> None:
    cache = MemoryCache()
    async with cache:
        await cache.set("a", 1)
    async with cache:
        assert await cache.get("a") == 1
    await cache.aclose()
    await cache.aclose()


@pytest.mark.parametrize("bad", [1, None, b"k", ("t",), 1.5])
async def test_non_str_keys_are_refused_and_nothing_changes(bad: object) -> None:
    cache = MemoryCache()
    await cache.set("a", 1)
    for call in (
        cache.set(bad, 1),  # type: ignore[arg-type]
        cache.get(bad),  # type: ignore[arg-type]
        cache.delete(bad),  # type: ignore[arg-type]
        cache.contains(bad),  # type: ignore[arg-type]
        cache.set_many({"ok": 1, bad: 2}),  # type: ignore[dict-item]
        cache.delete_many(["a", bad]),  # type: ignore[list-item]
    ):
        with pytest.raises(InvalidKeyError):
            await call
    with pytest.raises(InvalidKeyError):
        await cache.get(["unhashable"])  # type: ignore[arg-type]
    assert cache.engine.keys() == ["a"]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (0, InvalidTTLError),
        (-1, InvalidTTLError),
        (float("nan"), InvalidTTLError),
        (float("inf"), InvalidTTLError),
        (1e308, InvalidTTLError),
        (9.3e15, InvalidTTLError),
        (10**400, InvalidTTLError),
        (True, TTLTypeError),
        ("5", TTLTypeError),
        (timedelta(0), InvalidTTLError),
    ],
)
async def test_bad_ttls_are_refused_and_nothing_changes(bad: object, error: type) -> None:
    cache = MemoryCache()
    with pytest.raises(error):
        await cache.set("k", 1, ttl=bad)  # type: ignore[arg-type]
    with pytest.raises(error):
        await cache.set_many({"k": 1}, ttl=bad)  # type: ignore[arg-type]
    assert cache.size == 0
    assert issubclass(error, CacheError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_size": -1},
        {"max_size": 0},
        {"max_size": 1.5},
        {"max_size": True},
        {"policy": "mru"},
        {"policy": 3},
        {"default_ttl": 0},
        {"default_ttl": 1e308},
        {"clock": 5},
        {"on_evict": 1},
    ],
)
def test_bad_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(CacheError):
        MemoryCache(**kwargs)  # type: ignore[arg-type]


def test_bad_policy_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="lru"):
        MemoryCache(policy="mru")


async def test_hit_ratio() -> None:
    cache = MemoryCache()
    assert cache.hit_ratio == 0.0
    await cache.set("a", 1)
    await cache.get("a")
    await cache.get("b")
    await cache.get("a")
    assert cache.hit_ratio == pytest.approx(2 / 3)
    assert cache.stats.hit_ratio == pytest.approx(2 / 3)


async def test_entries_and_delete_prefix() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    await cache.set("p:1", 1, ttl=10)
    await cache.set("p:2", 2)
    await cache.set("q:1", 3)
    entry = cache.entry("p:1")
    assert entry is not None
    assert entry.value == 1
    assert entry.expires_at == clock.now + 10
    assert [e.key for e in cache.entries()] == ["p:1", "p:2", "q:1"]
    assert await cache.delete_prefix("p:") == 2
    assert cache.engine.keys() == ["q:1"]


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
async def test_copies_and_pickles_are_independent_caches(how: str) -> None:
    clock = FakeClock()
    cache = MemoryCache(max_size=3, policy="lru", default_ttl=10, clock=clock)
    await cache.set("a", [1])
    await cache.set("b", [2], ttl=1)
    await cache.get("a")
    copier = getattr(copy, how, lambda c: pickle.loads(pickle.dumps(c)))
    clone = copier(cache)
    assert clone.max_size == 3
    assert await clone.get("a") == [1]
    assert clone.stats.hits == 2
    await clone.set("c", 3)
    await clone.set("d", 4)
    await clone.delete("a")
    assert await cache.get_many(["a", "b", "c", "d"]) == {"a": [1], "b": [2]}
    assert cache.stats.hits == 3
    assert not hasattr(clone, "__dict__")
    async with clone:
        await clone.set("e", 5)
    assert await clone.get("e") == 5


async def test_stats_and_size_only_read() -> None:
    """Reading a property neither reclaims entries nor runs listeners."""
    clock = FakeClock()
    removed: list[Removal] = []
    cache = MemoryCache(max_size=10, clock=clock, on_evict=removed.append)
    await cache.set("short", 1, ttl=1)
    await cache.set("again", 1, ttl=1)
    await cache.set("again", 2, ttl=1)  # two heap entries for one deadline
    await cache.set("long", 2, ttl=100)
    await cache.set("forever", 3)
    clock.advance(5)
    assert cache.size == 2
    assert cache.stats.size == 2
    assert cache.stats.expirations == 0
    assert removed == []
    assert len(cache.engine) == 4  # still stored until a write or the reaper reclaims
    await cache.set("new", 4)
    assert {r.key for r in removed} == {"short", "again"}
    assert cache.size == 3


@pytest.mark.parametrize("factory", [lambda: MemoryCache(), lambda: Cache(MemoryCache(), "ns")])
def test_caches_keep_no_instance_dict(factory: Any) -> None:
    cache = factory()
    assert not hasattr(cache, "__dict__")
    with pytest.raises(AttributeError):
        cache.typo = 1


async def test_max_bytes_bounds_the_summed_weight() -> None:
    removed: list[Removal] = []
    cache = MemoryCache(
        max_size=None,
        max_bytes=100,
        weigher=lambda key, value: len(value),
        on_evict=removed.append,
    )
    assert cache.max_bytes == 100
    for i in range(10):
        await cache.set(f"k{i}", "x" * 10)
    assert cache.stats.weight == 100
    await cache.set("big", "x" * 35)  # room first: four entries of 10 leave
    assert await cache.get("big") == "x" * 35
    assert [r.key for r in removed] == ["k0", "k1", "k2", "k3"]
    assert cache.stats.weight == 95
    await cache.set("huge", "x" * 101)  # heavier than the bound: refused, nothing evicted
    assert await cache.get("huge") is None
    assert removed[-1].cause is RemovalCause.REJECTED
    assert (cache.stats.size, cache.stats.weight, cache.stats.rejections) == (7, 95, 1)
    view = Cache(cache, "ns")
    assert view.stats.weight == 95


async def test_the_default_weigher_counts_bytes() -> None:
    cache = MemoryCache(max_bytes=2_000)
    await cache.set("a", b"x" * 900)
    await cache.set("b", b"x" * 900)
    await cache.set("c", b"x" * 900)
    assert await cache.get("c") == b"x" * 900
    assert not await cache.contains("a")
    weight = cache.stats.weight
    assert weight is not None
    assert 1_800 < weight <= 2_000
