"""@cached over real stores: MemoryCache, a namespace over it, and RedisCache on a real
server, each on asyncio and on trio."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator

import anyio
import anyio.lowlevel
import pytest

from pepperpy.caching import Cache, CacheBackend, MemoryCache, cached
from pepperpy.caching.adapters.redis import RedisCache

from .redis.servers import RedisServer

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["memory", "namespace", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[CacheBackend]:
    """An open cache that holds nothing yet."""
    if request.param == "memory":
        yield MemoryCache()
    elif request.param == "namespace":
        yield Cache(MemoryCache(), namespace="memo")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        namespace = f"t{uuid.uuid4().hex[:12]}"
        async with RedisCache("127.0.0.1", server.port, namespace=namespace) as cache:
            yield cache
            await cache.clear()


async def test_a_result_is_memoized_per_call_and_every_spelling_finds_it(
    store: CacheBackend,
) -> None:
    runs: list[tuple[int, str]] = []

    @cached(store, ttl=60)
    async def load(user_id: int, field: str = "name") -> dict[str, object]:
        runs.append((user_id, field))
        return {"id": user_id, field: f"user {user_id}"}

    first = await load(1)
    assert first == {"id": 1, "name": "user 1"}
    assert await load(user_id=1) == first
    assert await load(1, "name") == first
    assert await load(field="name", user_id=1) == first
    assert await load(1, "email") == {"id": 1, "email": "user 1"}
    assert runs == [(1, "name"), (1, "email")]
    assert await store.get(load.key_for(1)) == first
    left = await store.ttl(load.key_for(user_id=1, field="name"))
    assert left is not None
    assert 0 < left <= 60


async def test_invalidate_removes_one_result_whichever_way_it_is_spelled(
    store: CacheBackend,
) -> None:
    runs: list[int] = []

    @cached(store)
    async def load(user_id: int, field: str = "name") -> str:
        runs.append(user_id)
        return f"{user_id}:{field}:{len(runs)}"

    assert await load(1) == "1:name:1"
    await load(2)
    assert await load.invalidate(user_id=1, field="name") is True
    assert await load.invalidate(1) is False  # already gone
    assert await load(2) == "2:name:2"  # the other result stayed
    assert await load(1) == "1:name:3"  # computed again
    assert runs == [1, 2, 1]


async def test_a_template_key_is_the_key_in_the_store(store: CacheBackend) -> None:
    @cached(store, key="user:{user_id}")
    async def load(user_id: int) -> str:
        return f"user {user_id}"

    await load(7)
    assert await store.get("user:7") == "user 7"
    assert await load.invalidate(7) is True
    assert not await store.contains("user:7")


async def test_concurrent_calls_run_the_function_once(store: CacheBackend) -> None:
    runs = 0
    release = anyio.Event()

    @cached(store)
    async def report(day: str) -> list[int]:
        nonlocal runs
        runs += 1
        await release.wait()
        return [1, 2, 3]

    results: list[list[int]] = []

    async def caller(spelling: int) -> None:
        result = await report("mon") if spelling % 2 else await report(day="mon")
        results.append(result)

    async with anyio.create_task_group() as tg:
        for spelling in range(10):
            tg.start_soon(caller, spelling)
        await anyio.wait_all_tasks_blocked()
        release.set()
    assert runs == 1
    assert results == [[1, 2, 3]] * 10


async def test_a_failure_is_not_cached_and_none_is(store: CacheBackend) -> None:
    runs = 0

    @cached(store)
    async def flaky(n: int) -> None:
        nonlocal runs
        runs += 1
        await anyio.lowlevel.checkpoint()
        if runs == 1:
            raise ConnectionError("database unavailable")

    with pytest.raises(ConnectionError):
        await flaky(1)
    assert not await store.contains(flaky.key_for(1))
    assert await flaky(1) is None
    assert await flaky(1) is None  # a stored None is a hit
    assert runs == 2


async def test_methods_share_results_across_instances_in_the_store(store: CacheBackend) -> None:
    class Users:
        runs = 0

        def __init__(self, region: str) -> None:
            self.region = region

        @cached(store)
        async def name(self, user_id: int) -> str:
            Users.runs += 1
            return f"user {user_id}"

        @cached(store, key="{self.region}:user:{user_id}")
        async def regional(self, user_id: int) -> str:
            return f"{self.region} user {user_id}"

    eu, us = Users("eu"), Users("us")
    assert await eu.name(1) == await us.name(1) == "user 1"
    assert Users.runs == 1
    assert await eu.regional(1) == "eu user 1"
    assert await us.regional(1) == "us user 1"
    assert await store.get("us:user:1") == "us user 1"
    assert await us.name.invalidate(1) is True
    assert not await store.contains(eu.name.key_for(1))


def test_the_decorated_function_is_a_coroutine_function() -> None:
    @cached(MemoryCache())
    async def load(user_id: int) -> int:
        """Load."""
        return user_id

    assert inspect.iscoroutinefunction(load)
    assert inspect.iscoroutinefunction(load.invalidate)
    assert load.__name__ == "load"
    assert load.__doc__ == "Load."
    assert str(inspect.signature(load)) == "(user_id: 'int') -> 'int'"
    assert inspect.unwrap(load) is load.__wrapped__
    assert not hasattr(load.__wrapped__, "__wrapped__")


async def test_the_decorated_function_runs_as_a_task_on_either_runtime() -> None:
    @cached(MemoryCache())
    async def load(user_id: int) -> int:
        return user_id * 2

    results: list[int] = []

    async def run(user_id: int) -> None:
        results.append(await load(user_id))

    async with anyio.create_task_group() as tg:
        tg.start_soon(load, 1)  # the function itself, as a task
        tg.start_soon(run, 1)
    assert results == [2]
