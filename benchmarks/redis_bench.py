"""RedisCache against raw redis-py and aiocache, on one local redis-server.

Starts its own ``redis-server`` (no persistence) on a free loopback port, runs every
contender in the same process, interleaved round by round, and prints ops/s (median
of the rounds; within a round the contenders of a row alternate in ten slices) with
ratios against raw ``redis.asyncio``:

    PYTHONPATH=src /work/venv/bin/python benchmarks/redis_bench.py
    PYTHONPATH=src /work/venv/bin/python benchmarks/redis_bench.py --ops 4000 --rounds 7

Rows:
* sequential GET / SET of one key (a ~20-byte JSON value);
* the same from 50 concurrent tasks;
* a batch read of 100 keys (raw MGET / get_many / aiocache multi_get);
* a batch write of 1,000 keys with a TTL (raw non-transactional pipeline of
  ``SET k v PX``, set_many(ttl=60), aiocache multi_set(ttl=60)) and without one
  (raw MSET, set_many).

"raw" sends pre-encoded bytes and returns bytes (no serialization at all);
RedisCache and aiocache encode and decode JSON; "RedisCache bytes" uses
``serializer="bytes"``, which shows the library's own work without JSON. On trio,
RedisCache runs redis-py's sync client in worker threads; "raw sync in threads" is the
same without the cache, and "thread round trip" a worker-thread call doing nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import redis
import redis.asyncio

from pepperpy.caching import RedisCache

VALUE = {"user": 42, "name": "ada"}
PAYLOAD = json.dumps(VALUE).encode()
CONCURRENCY = 50
MGET_KEYS = 100
SET_KEYS = 1000
SLICES = 10

Bench = Callable[[int], Awaitable[None]]


# -- the server -----------------------------------------------------------------------


def free_port() -> int:
    rng = random.Random()
    for _ in range(1000):
        port = rng.randrange(20000, 45000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def start_server(directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(500):
        try:
            redis.Redis(port=port).ping()
            return process, port
        except redis.ConnectionError:
            time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


# -- contenders -------------------------------------------------------------------------


def sequential(get_or_set: Callable[[], Awaitable[Any]]) -> Bench:
    async def run(ops: int) -> None:
        for _ in range(ops):
            await get_or_set()

    return run


def concurrent(get_or_set: Callable[[], Awaitable[Any]]) -> Bench:
    async def worker(ops: int) -> None:
        for _ in range(ops):
            await get_or_set()

    async def run(ops: int) -> None:
        async with anyio.create_task_group() as tg:
            for _ in range(CONCURRENCY):
                tg.start_soon(worker, ops // CONCURRENCY)

    return run


def batch(call: Callable[[], Awaitable[Any]], keys_per_call: int) -> Bench:
    async def run(ops: int) -> None:
        for _ in range(max(1, ops // keys_per_call)):
            await call()

    return run


def asyncio_contenders(port: int) -> tuple[dict[str, dict[str, Bench]], list[Any]]:
    from aiocache import RedisCache as AioRedisCache

    raw = redis.asyncio.Redis(port=port)
    cache = RedisCache("127.0.0.1", port, namespace="bench")
    as_bytes = RedisCache("127.0.0.1", port, namespace="bench", serializer="bytes")
    aio = AioRedisCache(endpoint="127.0.0.1", port=port, namespace="bench:")
    mget_keys = [f"k{i}" for i in range(MGET_KEYS)]
    raw_mget_keys = [f"bench:{k}" for k in mget_keys]
    set_keys = [f"s{i}" for i in range(SET_KEYS)]
    mapping = dict.fromkeys(set_keys, VALUE)
    bytes_mapping = dict.fromkeys(set_keys, PAYLOAD)
    raw_mapping = {f"bench:{k}": PAYLOAD for k in set_keys}

    async def raw_pipeline_px() -> None:
        pipe = raw.pipeline(transaction=False)
        for key in raw_mapping:
            pipe.set(key, PAYLOAD, px=60_000)
        await pipe.execute()

    async def raw_mget_json() -> Any:
        return [json.loads(v) for v in await raw.mget(raw_mget_keys)]

    async def raw_get_fail_after() -> Any:
        with anyio.fail_after(5):
            return await raw.get("bench:k1")

    rows: dict[str, dict[str, Bench]] = {
        "GET sequential": {
            "raw redis.asyncio": sequential(lambda: raw.get("bench:k1")),
            "raw + anyio.fail_after": sequential(raw_get_fail_after),
            "RedisCache (asyncio)": sequential(lambda: cache.get("k1")),
            "RedisCache bytes (asyncio)": sequential(lambda: as_bytes.get("k1")),
            "aiocache": sequential(lambda: aio.get("k1")),
        },
        "SET sequential": {
            "raw redis.asyncio": sequential(lambda: raw.set("bench:k1", PAYLOAD)),
            "RedisCache (asyncio)": sequential(lambda: cache.set("k1", VALUE)),
            "RedisCache bytes (asyncio)": sequential(lambda: as_bytes.set("k1", PAYLOAD)),
            "aiocache": sequential(lambda: aio.set("k1", VALUE)),
        },
        f"GET x{CONCURRENCY} tasks": {
            "raw redis.asyncio": concurrent(lambda: raw.get("bench:k1")),
            "RedisCache (asyncio)": concurrent(lambda: cache.get("k1")),
            "aiocache": concurrent(lambda: aio.get("k1")),
        },
        f"SET x{CONCURRENCY} tasks": {
            "raw redis.asyncio": concurrent(lambda: raw.set("bench:k1", PAYLOAD)),
            "RedisCache (asyncio)": concurrent(lambda: cache.set("k1", VALUE)),
            "aiocache": concurrent(lambda: aio.set("k1", VALUE)),
        },
        f"read {MGET_KEYS} keys (keys/s)": {
            "raw redis.asyncio": batch(lambda: raw.mget(raw_mget_keys), MGET_KEYS),
            "raw + json.loads": batch(raw_mget_json, MGET_KEYS),
            "RedisCache (asyncio)": batch(lambda: cache.get_many(mget_keys), MGET_KEYS),
            "RedisCache bytes (asyncio)": batch(lambda: as_bytes.get_many(mget_keys), MGET_KEYS),
            "aiocache": batch(lambda: aio.multi_get(mget_keys), MGET_KEYS),
        },
        f"write {SET_KEYS} keys, TTL (keys/s)": {
            "raw redis.asyncio": batch(raw_pipeline_px, SET_KEYS),
            "RedisCache (asyncio)": batch(lambda: cache.set_many(mapping, ttl=60), SET_KEYS),
            "RedisCache bytes (asyncio)": batch(
                lambda: as_bytes.set_many(bytes_mapping, ttl=60), SET_KEYS
            ),
            "aiocache": batch(lambda: aio.multi_set(list(mapping.items()), ttl=60), SET_KEYS),
        },
        f"write {SET_KEYS} keys, no TTL (keys/s)": {
            "raw redis.asyncio": batch(lambda: raw.mset(raw_mapping), SET_KEYS),
            "RedisCache (asyncio)": batch(lambda: cache.set_many(mapping), SET_KEYS),
            "RedisCache bytes (asyncio)": batch(lambda: as_bytes.set_many(bytes_mapping), SET_KEYS),
        },
    }

    async def close() -> None:
        await raw.aclose()
        await cache.aclose()
        await as_bytes.aclose()
        await aio.close()

    return rows, [close]


def trio_contenders(port: int) -> tuple[dict[str, dict[str, Bench]], list[Any]]:
    sync = redis.Redis(port=port)
    limiter = anyio.CapacityLimiter(16)
    cache = RedisCache("127.0.0.1", port, namespace="bench")
    mget_keys = [f"k{i}" for i in range(MGET_KEYS)]
    raw_mget_keys = [f"bench:{k}" for k in mget_keys]
    set_keys = [f"s{i}" for i in range(SET_KEYS)]
    mapping = dict.fromkeys(set_keys, VALUE)

    def in_thread(func: Callable[..., Any], *args: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: anyio.to_thread.run_sync(func, *args, limiter=limiter)

    rows: dict[str, dict[str, Bench]] = {
        "GET sequential": {
            "thread round trip, no I/O": sequential(in_thread(lambda: None)),
            "raw sync in threads": sequential(in_thread(sync.get, "bench:k1")),
            "RedisCache (trio)": sequential(lambda: cache.get("k1")),
        },
        "SET sequential": {
            "raw sync in threads": sequential(in_thread(sync.set, "bench:k1", PAYLOAD)),
            "RedisCache (trio)": sequential(lambda: cache.set("k1", VALUE)),
        },
        f"GET x{CONCURRENCY} tasks": {
            "RedisCache (trio)": concurrent(lambda: cache.get("k1")),
        },
        f"SET x{CONCURRENCY} tasks": {
            "RedisCache (trio)": concurrent(lambda: cache.set("k1", VALUE)),
        },
        f"read {MGET_KEYS} keys (keys/s)": {
            "raw sync in threads": batch(in_thread(sync.mget, raw_mget_keys), MGET_KEYS),
            "RedisCache (trio)": batch(lambda: cache.get_many(mget_keys), MGET_KEYS),
        },
        f"write {SET_KEYS} keys, TTL (keys/s)": {
            "RedisCache (trio)": batch(lambda: cache.set_many(mapping, ttl=60), SET_KEYS),
        },
        f"write {SET_KEYS} keys, no TTL (keys/s)": {
            "RedisCache (trio)": batch(lambda: cache.set_many(mapping), SET_KEYS),
        },
    }

    async def close() -> None:
        await cache.aclose()
        sync.close()

    return rows, [close]


# -- running ----------------------------------------------------------------------------


def run_round(
    backend: str, port: int, ops: int, results: dict[tuple[str, str], list[float]]
) -> None:
    make = asyncio_contenders if backend == "asyncio" else trio_contenders

    async def main() -> None:
        rows, closers = make(port)
        for row, contenders in rows.items():
            count = ops * 10 if "keys/s" in row else ops
            slice_ = max(count // SLICES, 1)
            elapsed = dict.fromkeys(contenders, 0.0)
            for bench in contenders.values():
                await bench(slice_)  # warm up: connections, threads
            # Fine interleaving: load from elsewhere hits every contender alike.
            for _ in range(SLICES):
                names = list(contenders)
                random.shuffle(names)
                for name in names:
                    started = time.perf_counter()
                    await contenders[name](slice_)
                    elapsed[name] += time.perf_counter() - started
            for name, seconds in elapsed.items():
                results.setdefault((row, name), []).append(slice_ * SLICES / seconds)
        for close in closers:
            await close()

    anyio.run(main, backend=backend)


def report(results: dict[tuple[str, str], list[float]]) -> None:
    rows: dict[str, dict[str, float]] = {}
    for (row, name), values in results.items():
        rows.setdefault(row, {})[name] = statistics.median(values)
    base_name = "raw redis.asyncio"
    print(f"{'operation':38} {'contender':26} {'ops/s':>10} {'us/op':>8} {'vs raw':>7}")
    for row, contenders in rows.items():
        base = contenders.get(base_name)
        for name, rate in contenders.items():
            ratio = f"{rate / base:6.2f}x" if base else "      -"
            print(f"{row:38} {name:26} {rate:10.0f} {1e6 / rate:8.1f} {ratio}")
        asyncio_rate = contenders.get("RedisCache (asyncio)")
        trio_rate = contenders.get("RedisCache (trio)")
        if asyncio_rate and trio_rate:
            print(f"{'':38} {'trio / asyncio':26} {'':10} {'':8} {trio_rate / asyncio_rate:6.2f}x")
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000, help="operations per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (median is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        process, port = start_server(Path(directory))
        try:
            client = redis.Redis(port=port)
            client.mset({f"bench:k{i}": PAYLOAD for i in range(MGET_KEYS)})
            client.close()
            results: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for backend in ("asyncio", "trio"):
                    run_round(backend, port, args.ops, results)
            print(f"redis-py {redis.__version__}, {args.rounds} rounds of {args.ops} ops\n")
            report(results)
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
