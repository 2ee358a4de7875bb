"""The cross-process loading lock on a real server: a stampede over three processes
runs the loader once; the lock is renewed, released, and never outlives its load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
import redis

from pepperpy.caching.adapters.redis import RedisCache
from pepperpy.caching.core.remote.aux_keys import lock_key

from .servers import RedisServer

pytestmark = [pytest.mark.anyio, pytest.mark.redis]

WORKER = Path(__file__).with_name("stampede_worker.py")


async def holds(cache: RedisCache, key: str, value: object) -> None:
    """Wait (a few seconds at most) until ``key`` holds ``value``."""
    for _ in range(500):
        if await cache.get(key) == value:
            return
        await anyio.sleep(0.01)
    raise AssertionError(f"{key!r} never held {value!r}")


def test_a_stampede_over_three_processes_runs_the_loader_once(
    redis_server: RedisServer, raw: redis.Redis, namespace: str, anyio_backend: str
) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3] / "src")}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                str(redis_server.port),
                namespace,
                "34",
                anyio_backend,
                "0.2",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    try:
        raw.set(f"{namespace}:go", "1")
        outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert all(worker.returncode == 0 for worker in workers)
    results = [value for output in outputs for value in json.loads(output)]
    assert len(results) == 102
    assert int(raw.get(f"{namespace}:loads") or 0) == 1  # one loader run in all
    assert all(result == results[0] for result in results)
    assert not raw.exists(lock_key(f"{namespace}:report".encode()))  # released


async def test_a_failing_or_cancelled_loader_releases_the_lock(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    lock = lock_key(f"{namespace}:k".encode())
    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:

        async def broken() -> int:
            assert raw.exists(lock)
            raise RuntimeError("no")

        with pytest.raises(RuntimeError):
            await cache.get_or_set("k", broken, ttl=5, lock=True)
        assert not raw.exists(lock)

        started = anyio.Event()

        async def slow() -> int:
            assert raw.exists(lock)
            started.set()
            await anyio.sleep(30)
            return 1

        async with anyio.create_task_group() as group:
            group.start_soon(lambda: cache.get_or_set("k", slow, ttl=5, lock=True))
            await started.wait()
            group.cancel_scope.cancel()
        assert not raw.exists(lock)
        assert await cache.get("k") is None


async def test_a_waiter_gives_up_after_its_bound_and_loads_itself(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    # Another process holds the lock and never stores the value.
    raw.set(lock_key(f"{namespace}:k".encode()), b"someone-else", px=60_000)
    async with RedisCache(
        "127.0.0.1", redis_server.port, namespace=namespace, lock_wait=0.2
    ) as cache:
        assert await cache.get_or_set("k", lambda: "mine", ttl=5, lock=True) == "mine"
        assert await cache.get("k") == "mine"
        # Its lock was not ours: left alone.
        assert raw.get(lock_key(f"{namespace}:k".encode())) == b"someone-else"


async def test_a_waiter_reads_the_value_when_it_lands(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    raw.set(lock_key(f"{namespace}:k".encode()), b"someone-else", px=60_000)
    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:

        def never() -> str:
            raise AssertionError("the other process's value should be read")

        async def land() -> None:
            await anyio.sleep(0.05)
            raw.set(f"{namespace}:k", b'"theirs"')

        async with anyio.create_task_group() as group:
            group.start_soon(land)
            assert await cache.get_or_set("k", never, ttl=5, lock=True) == "theirs"


async def test_bad_lock_settings(redis_server: RedisServer) -> None:
    from pepperpy.caching import ConfigurationError

    for settings in ({"lock_lease": 0}, {"lock_wait": -1}, {"lock_lease": True}):
        with pytest.raises(ConfigurationError):
            RedisCache("127.0.0.1", redis_server.port, **settings)  # type: ignore[arg-type]


async def test_stale_and_early_refresh_on_redis(
    redis_server: RedisServer, raw: redis.Redis, namespace: str
) -> None:
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        return calls

    async with RedisCache("127.0.0.1", redis_server.port, namespace=namespace) as cache:
        assert await cache.get_or_set("k", load, ttl=0.1, stale_ttl=30, lock=True) == 1
        assert 29 < (await cache.ttl("k") or 0) <= 30.1
        await anyio.sleep(0.15)  # past its TTL, within its grace
        assert await cache.get_or_set("k", load, ttl=0.1, stale_ttl=30, lock=True) == 1
        await holds(cache, "k", 2)  # the background refresh lands
        assert calls == 2
        assert not raw.exists(lock_key(f"{namespace}:k".encode()))
        # A huge beta: any measured loading time makes a refresh due at once.
        assert await cache.get_or_set("e", load, ttl=60, early_refresh=1e12) == 3
        assert await cache.get_or_set("e", load, ttl=60, early_refresh=1e12) == 3
        await holds(cache, "e", 4)
