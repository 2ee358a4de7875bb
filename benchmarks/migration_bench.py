"""MigrationHelper.migrate_data against a hand-written per-key copy and raw redis-py.

Copies N keys (a ~20-byte JSON value each, half with a TTL spread over an hour, as a
live cache has) between stores, in the same process, interleaved round by round, and
prints the median time per copy with keys/s and ratios against the per-key loop a user
would write with the public API (``for key in iter_keys(): ttl, get, set``).

Scenarios: dict -> MemoryCache, MemoryCache -> MemoryCache, MemoryCache -> Redis,
Redis -> MemoryCache, Redis -> Redis (raw bytes: ``migrate`` through get_many/set_many,
and ``copy_redis``, DUMP/RESTORE of every type, which the ``migrate`` command runs).
The Redis rows start their own ``redis-server`` (no persistence) on a free loopback
port and need the ``redis`` extra; the raw redis-py row (SCAN, pipelined PTTL+GET,
pipelined SET PX; asyncio only) is the floor for a Redis copy of strings. ``migrate cN``
runs with N per-key requests in flight on remote stores (the library's default is 8;
in-process stores always get 1).

    PYTHONPATH=src /work/venv/bin/python benchmarks/migration_bench.py
    PYTHONPATH=src /work/venv/bin/python benchmarks/migration_bench.py --keys 20000 --rounds 3
    PYTHONPATH=src /work/venv/bin/python benchmarks/migration_bench.py --backend trio
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import sniffio

import pepperpy.caching.migration.run as run
from pepperpy.caching import CacheBackend, MemoryCache, MigrationHelper

VALUE = {"user": 42, "name": "ada"}
Copy = Callable[[], Awaitable[None]]


def ttl_for(i: int) -> float | None:
    """Half the keys without TTL, the rest spread over an hour (none expires while the
    benchmark runs, so every copy copies every key)."""
    return None if i % 2 else 900.0 + (i * 7919) % 3600


async def naive_copy(old: CacheBackend, new: CacheBackend) -> None:
    """The per-key loop a user would write with the public API."""
    async for key in old.iter_keys():
        ttl = await old.ttl(key)
        value = await old.get(key)
        await new.set(key, value, ttl=ttl)


async def naive_dict_copy(old: dict[str, Any], new: CacheBackend) -> None:
    for key, value in old.items():
        await new.set(key, value)


def migrate_with(concurrency: int, old: Any, new_factory: Callable[[], Any]) -> Copy:
    async def copy() -> None:
        run.CONCURRENCY = concurrency  # type: ignore[misc]
        new = new_factory()
        try:
            report = await MigrationHelper.migrate(old, new)
        finally:
            run.CONCURRENCY = 8  # type: ignore[misc]
        if report.copied != len(report):
            raise AssertionError(f"{report.summary()}: {list(report.errors.items())[:3]}")

    return copy


def copy_redis_with(old: Any, new: Any) -> Copy:
    """What the ``migrate`` command runs: every type, by DUMP/RESTORE."""

    async def copy() -> None:
        report = await MigrationHelper.copy_redis(old, new, replace=True)
        if report.copied != len(report):
            raise AssertionError(f"{report.summary()}: {list(report.errors.items())[:3]}")

    return copy


async def fill(cache: CacheBackend, keys: int) -> None:
    for i in range(0, keys, 1000):
        for j in range(i, min(i + 1000, keys)):
            await cache.set(f"key:{j}", VALUE, ttl=ttl_for(j))


# -- redis ----------------------------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[int | None]:
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = tempfile.mkdtemp(prefix="migration-bench-")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", directory]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                with redis.Redis(port=port) as client:
                    client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(directory, ignore_errors=True)


def raw_redis_copy(port: int, source: str, target: str) -> Copy:
    """SCAN the source namespace; pipeline PTTL+GET per page, then SET PX."""
    import redis.asyncio

    async def copy() -> None:
        async with redis.asyncio.Redis(port=port) as client:
            cut = len(source) + 1
            async for page in _pages(client, f"{source}:*"):
                pipe = client.pipeline(transaction=False)
                for key in page:
                    pipe.pttl(key)
                    pipe.get(key)
                replies = await pipe.execute()
                pipe = client.pipeline(transaction=False)
                for index, key in enumerate(page):
                    ttl, value = replies[2 * index], replies[2 * index + 1]
                    if value is None:
                        continue
                    name = f"{target}:".encode() + key[cut:]
                    pipe.set(name, value, px=ttl if ttl > 0 else None)
                await pipe.execute()

    return copy


async def _pages(client: Any, pattern: str) -> Any:
    cursor = 0
    while True:
        cursor, keys = await client.scan(cursor, match=pattern, count=500)
        if keys:
            yield keys
        if cursor == 0:
            return


# -- the table ------------------------------------------------------------------------


async def timed(copy: Copy, rounds: int, samples: list[float]) -> None:
    for _ in range(rounds):
        start = time.perf_counter()
        await copy()
        samples.append(time.perf_counter() - start)


async def bench_rows(keys: int, rounds: int, port: int | None) -> list[tuple[str, str, float]]:
    rows: list[tuple[str, str, float]] = []

    async def measure(scenario: str, contenders: dict[str, Copy]) -> None:
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for _ in range(rounds):  # interleaved, so drift hits every contender alike
            for name, copy in contenders.items():
                await timed(copy, 1, samples[name])
        for name in contenders:
            rows.append((scenario, name, statistics.median(samples[name])))

    plain = {f"key:{i}": VALUE for i in range(keys)}
    await measure(
        "dict -> MemoryCache",
        {
            "per-key loop": lambda: naive_dict_copy(plain, MemoryCache(max_size=None)),
            "migrate": migrate_with(8, plain, lambda: MemoryCache(max_size=None)),
        },
    )
    memory = MemoryCache(max_size=None)
    await fill(memory, keys)
    await measure(
        "MemoryCache -> MemoryCache",
        {
            "per-key loop": lambda: naive_copy(memory, MemoryCache(max_size=None)),
            "migrate": migrate_with(8, memory, lambda: MemoryCache(max_size=None)),
        },
    )
    if port is None:
        return rows
    from pepperpy.caching import RedisCache

    def redis_cache(namespace: str, serializer: str | None = None) -> Any:
        return RedisCache(port=port, namespace=namespace, serializer=serializer)

    target = redis_cache("target")
    await measure(
        "MemoryCache -> Redis",
        {
            "per-key loop": lambda: naive_copy(memory, target),
            "migrate c1": migrate_with(1, memory, lambda: target),
            "migrate c8": migrate_with(8, memory, lambda: target),
        },
    )
    source = redis_cache("source")
    await fill(source, keys)
    await measure(
        "Redis -> MemoryCache",
        {
            "per-key loop": lambda: naive_copy(source, MemoryCache(max_size=None)),
            "migrate c1": migrate_with(1, source, lambda: MemoryCache(max_size=None)),
            "migrate c8": migrate_with(8, source, lambda: MemoryCache(max_size=None)),
            "migrate c32": migrate_with(32, source, lambda: MemoryCache(max_size=None)),
        },
    )
    raw_source, raw_target = redis_cache("source", "bytes"), redis_cache("copy", "bytes")
    contenders = {
        "per-key loop": lambda: naive_copy(raw_source, raw_target),
        "migrate c8": migrate_with(8, raw_source, lambda: raw_target),
        "copy_redis (DUMP/RESTORE)": copy_redis_with(raw_source, raw_target),
    }
    if sniffio.current_async_library() == "asyncio":  # redis.asyncio runs on asyncio only
        contenders["raw redis-py pipelines"] = raw_redis_copy(port, "source", "copy")
    await measure("Redis -> Redis (bytes)", contenders)
    for cache in (target, source, raw_source, raw_target):
        await cache.aclose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    parser.add_argument("--no-redis", action="store_true")
    args = parser.parse_args()
    random.seed(0)
    with redis_server() as port:
        port = None if args.no_redis else port
        rows = anyio.run(bench_rows, args.keys, args.rounds, port, backend=args.backend)
    print(f"{args.keys:,} keys, median of {args.rounds} rounds, {args.backend}")
    print(f"{'scenario':<26} {'contender':<26} {'ms':>9} {'keys/s':>11} {'vs loop':>8}")
    baseline: dict[str, float] = {}
    for scenario, name, seconds in rows:
        baseline.setdefault(scenario, seconds)  # the first contender is the loop
        ratio = baseline[scenario] / seconds
        print(
            f"{scenario:<26} {name:<26} {seconds * 1000:9.1f} {args.keys / seconds:11,.0f}"
            f" {ratio:7.2f}x"
        )


if __name__ == "__main__":
    main()
