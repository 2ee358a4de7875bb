"""get_or_set's loading options (early refresh, stale grace, lock) on in-process caches
and namespaces, on asyncio and trio, with a fake clock."""

from __future__ import annotations

import logging
from collections.abc import Callable

import anyio
import pytest

from pepperpy.caching import Cache, ConfigurationError, InvalidTTLError, MemoryCache, cached

from .clocks import FakeClock

pytestmark = pytest.mark.anyio


def counting(values: list[object] | None = None) -> tuple[Callable[[], object], list[int]]:
    calls = [0]

    async def load() -> object:
        calls[0] += 1
        await anyio.sleep(0.001)  # a measurable loading time (XFetch's delta)
        return calls[0] if values is None else values[calls[0] - 1]

    return load, calls


@pytest.mark.parametrize("view", [False, True])
async def test_stale_values_are_served_while_one_refresh_runs_in_the_background(
    view: bool,
) -> None:
    clock = FakeClock()
    store = MemoryCache(clock=clock)
    cache = Cache(store, namespace="ns") if view else store
    gate = anyio.Event()
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        if calls > 1:
            await gate.wait()
        return calls

    async with store:
        assert await cache.get_or_set("k", load, ttl=10, stale_ttl=5) == 1
        assert await cache.ttl("k") == pytest.approx(15.0)  # stored for ttl + grace
        clock.advance(12)  # past its TTL, within its grace
        results = [await cache.get_or_set("k", load, ttl=10, stale_ttl=5) for _ in range(5)]
        assert results == [1] * 5  # served at once, all of them
        await anyio.wait_all_tasks_blocked()
        assert calls == 2  # one refresh, not five
        gate.set()
        await anyio.wait_all_tasks_blocked()
        assert await cache.get("k") == 2
        assert await cache.get_or_set("k", load, ttl=10, stale_ttl=5) == 2
        clock.advance(16)  # past the grace too: a plain miss, loaded in the caller
        assert await cache.get_or_set("k", load, ttl=10, stale_ttl=5) == 3


async def test_outside_async_with_the_caller_that_sees_staleness_refreshes() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    load, calls = counting()
    assert await cache.get_or_set("k", load, ttl=10, stale_ttl=5) == 1
    clock.advance(11)
    results: list[object] = []

    async def caller() -> None:
        results.append(await cache.get_or_set("k", load, ttl=10, stale_ttl=5))

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(caller)
    assert calls == [2]
    assert sorted(results, key=str) == [1, 1, 1, 2]  # the refresher gets the new value


async def test_early_refresh_recomputes_before_expiry_and_never_serves_a_miss() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    load, calls = counting()
    # A huge beta: any measured loading time makes a refresh due at once.
    assert await cache.get_or_set("k", load, ttl=10, early_refresh=1e12) == 1
    clock.advance(1)
    assert await cache.get_or_set("k", load, ttl=10, early_refresh=1e12) == 2
    assert calls == [2]
    # A tiny beta: no refresh until the value is gone.
    lazy = MemoryCache(clock=clock)
    load, calls = counting()
    for _ in range(20):
        assert await lazy.get_or_set("k", load, ttl=10, early_refresh=1e-12) == 1
        clock.advance(0.4)
    assert calls == [1]


async def test_a_failed_refresh_keeps_the_old_value_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert await cache.get_or_set("k", lambda: "old", ttl=10, stale_ttl=100) == "old"
    clock.advance(20)

    def broken() -> str:
        raise RuntimeError("database down")

    caplog.set_level(logging.WARNING, logger="pepperpy.caching")
    for _ in range(3):
        assert await cache.get_or_set("k", broken, ttl=10, stale_ttl=100) == "old"
    warnings = [r for r in caplog.records if "refreshing" in r.getMessage()]
    assert len(warnings) == 1
    assert "database down" in warnings[0].getMessage()


async def test_options_are_checked() -> None:
    cache = MemoryCache()
    with pytest.raises(ConfigurationError):
        await cache.get_or_set("k", lambda: 1, ttl=10, early_refresh=-1)
    with pytest.raises(InvalidTTLError):
        await cache.get_or_set("k", lambda: 1, ttl=10, stale_ttl=0)
    with pytest.raises(ConfigurationError):
        cached(cache, early_refresh=0)
    with pytest.raises(InvalidTTLError):
        cached(cache, stale_ttl=-1)
    with pytest.raises(ConfigurationError):
        cached(cache, lock="yes")  # type: ignore[arg-type]
    # Without any TTL nothing goes stale: the options change nothing.
    assert await cache.get_or_set("k", lambda: 1, early_refresh=1.0, stale_ttl=5) == 1
    assert await cache.get_or_set("k", lambda: 2, early_refresh=1.0, stale_ttl=5) == 1


async def test_the_default_ttl_counts_as_the_ttl() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock, default_ttl=10)
    assert await cache.get_or_set("k", lambda: 1, stale_ttl=5) == 1
    assert await cache.ttl("k") == pytest.approx(15.0)


async def test_lock_on_an_in_process_cache_is_the_single_flight() -> None:
    cache = MemoryCache()
    load, calls = counting()

    async def caller() -> None:
        assert await cache.get_or_set("k", load, ttl=10, lock=True) == 1

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(caller)
    assert calls == [1]


async def test_cached_passes_the_options_on() -> None:
    clock = FakeClock()
    store = MemoryCache(clock=clock)
    calls = 0

    @cached(store, ttl=10, stale_ttl=5, lock=True)
    async def report(day: int) -> tuple[int, int]:
        nonlocal calls
        calls += 1
        return day, calls

    async with store:
        assert await report(1) == (1, 1)
        clock.advance(11)
        assert await report(1) == (1, 1)  # stale, served; a refresh starts
        await anyio.wait_all_tasks_blocked()
        assert await report(1) == (1, 2)
