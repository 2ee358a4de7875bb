"""get_or_set single-flight and @cached, on asyncio and trio."""

from __future__ import annotations

import inspect

import anyio
import anyio.lowlevel
import pytest

from pepperpy.caching import TTL, CacheBackend, CacheStats, MemoryCache, cached

pytestmark = pytest.mark.anyio


async def test_concurrent_misses_run_the_factory_once() -> None:
    cache = MemoryCache()
    calls = 0
    release = anyio.Event()

    async def factory() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "value"

    results: list[str] = []

    async def caller() -> None:
        results.append(await cache.get_or_set("k", factory, ttl=60))

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(caller)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert calls == 1
    assert results == ["value"] * 20
    assert await cache.get("k") == "value"
    assert await cache.ttl("k") is not None


async def test_sync_factory_and_hit() -> None:
    cache = MemoryCache()
    assert await cache.get_or_set("k", lambda: 1) == 1
    assert await cache.get_or_set("k", lambda: 2) == 1


async def test_cached_none_is_not_recomputed() -> None:
    cache = MemoryCache()
    calls = []
    assert await cache.get_or_set("k", lambda: calls.append(1)) is None
    assert await cache.get_or_set("k", lambda: calls.append(1)) is None
    assert calls == [1]


async def test_a_failure_reaches_every_waiter_and_caches_nothing() -> None:
    cache = MemoryCache()
    release = anyio.Event()
    calls = 0

    async def factory() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        raise ValueError("boom")

    errors: list[BaseException] = []

    async def caller() -> None:
        try:
            await cache.get_or_set("k", factory)
        except ValueError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(caller)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert calls == 1
    assert len(errors) == 5
    assert not await cache.contains("k")
    # The next call tries again.
    assert await cache.get_or_set("k", lambda: "ok") == "ok"


async def test_cancelling_the_loader_hands_the_load_to_a_waiter() -> None:
    cache = MemoryCache()
    started = anyio.Event()
    calls = 0

    async def factory() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            started.set()
            await anyio.sleep_forever()
        return "second"

    results: list[str] = []
    loader_scope = anyio.CancelScope()
    loader_cancelled = False

    async def loader() -> None:
        nonlocal loader_cancelled
        with loader_scope:
            await cache.get_or_set("k", factory)
        loader_cancelled = loader_scope.cancelled_caught

    async def waiter() -> None:
        results.append(await cache.get_or_set("k", factory))

    async with anyio.create_task_group() as tg:
        tg.start_soon(loader)
        await started.wait()
        for _ in range(3):
            tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        assert results == []
        loader_scope.cancel()
    assert loader_cancelled
    assert calls == 2  # one waiter took over; the others waited for it
    assert results == ["second"] * 3
    assert await cache.get("k") == "second"


async def test_no_lock_is_held_while_the_factory_runs() -> None:
    cache = MemoryCache()
    inside = anyio.Event()
    release = anyio.Event()

    async def slow() -> int:
        inside.set()
        await release.wait()
        return 1

    async with anyio.create_task_group() as tg:
        tg.start_soon(cache.get_or_set, "slow", slow)
        await inside.wait()
        # Other keys, and plain reads of the same key, are not blocked.
        assert await cache.get_or_set("other", lambda: 2) == 2
        assert await cache.get("slow", "pending") == "pending"
        release.set()
    assert await cache.get("slow") == 1


async def test_cached_decorator_keeps_signature_and_single_flights() -> None:
    cache = MemoryCache()
    calls: list[tuple[int, str]] = []

    @cached(cache, ttl=60)
    async def load(user_id: int, *, field: str = "name") -> str:
        """Load a field."""
        calls.append((user_id, field))
        await anyio.lowlevel.checkpoint()
        return f"{user_id}.{field}"

    assert load.__name__ == "load"
    assert load.__doc__ == "Load a field."
    assert list(inspect.signature(load).parameters) == ["user_id", "field"]
    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(load, 1)
    assert await load(1) == "1.name"
    assert await load(1, field="email") == "1.email"
    assert calls == [(1, "name"), (1, "email")]


async def test_cached_decorator_with_a_key_function() -> None:
    cache = MemoryCache()

    @cached(cache, key=lambda user_id: f"user:{user_id}")
    async def load(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    await load(3)
    assert await cache.get("user:3") == {"id": 3}


class SlowReads(CacheBackend):
    """A store whose reads take a while, as a remote store's do."""

    def __init__(self) -> None:
        super().__init__()
        self.store = MemoryCache()
        self.delay = 0.0

    async def get(self, key: str, default: object = None) -> object:
        value = await self.store.get(key, default)
        await anyio.sleep(self.delay)
        return value

    async def set(self, key: str, value: object, ttl: TTL = None) -> None:
        await self.store.set(key, value, ttl)

    async def contains(self, key: str) -> bool:
        return await self.store.contains(key)

    async def delete(self, key: str) -> bool:
        return await self.store.delete(key)

    async def clear(self) -> None:
        await self.store.clear()

    async def delete_prefix(self, prefix: str) -> int:
        return await self.store.delete_prefix(prefix)

    async def ttl(self, key: str) -> float | None:
        return await self.store.ttl(key)

    @property
    def stats(self) -> CacheStats:
        return self.store.stats


async def test_a_slow_miss_does_not_rerun_a_flight_that_just_ended() -> None:
    # B's first read misses, but only answers after A's flight stored the value and
    # ended; B must find the value instead of calling the factory again.
    cache = SlowReads()
    calls = 0
    a_done = anyio.Event()

    async def factory() -> str:
        nonlocal calls
        calls += 1
        return "value"

    async def first() -> None:
        await cache.get_or_set("k", factory)
        a_done.set()

    async def second() -> str:
        cache.delay = 0.05  # this caller's read is still under way when A finishes
        return await cache.get_or_set("k", factory)

    results: list[str] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(first)

        async def run_second() -> None:
            results.append(await second())

        tg.start_soon(run_second)
    assert a_done.is_set()
    assert calls == 1
    assert results == ["value"]
