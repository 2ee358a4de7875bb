"""The near cache against RedisCache without one: hot-key reads, 1% writes elsewhere.

Starts its own ``redis-server`` (no persistence) on a free loopback port. Both
contenders run in the same process, interleaved in slices, on asyncio and on trio:

* ``RedisCache``: entered (``async with``), JSON values, every read a round trip;
* ``RedisCache + NearCache``: the same with ``near_cache=NearCache(...)``.

The workload: ``--keys`` keys, read by one task in a Zipf order (exponent
``--zipf``), one write in a hundred operations made by *another client* (a
separate connection, through a RedisCache without near cache, in a task of its own
so the reader does not wait for it), each contender in a namespace of its own. The
written keys are drawn like the reads (``--writes zipf``, the default: the hot keys
change most, and each write costs the near cache a read from Redis soon after) or
uniformly (``--writes uniform``: most writes hit keys rarely read). Reported:
operations/s (median slice), the ratio (goal: >= 50x), and for the near cache its
miss ratio (reads that went to Redis) and the invalidations it received.

    PYTHONPATH=src python benchmarks/near_bench.py
    PYTHONPATH=src python benchmarks/near_bench.py --writes uniform
    PYTHONPATH=src python benchmarks/near_bench.py --ops 50000 --rounds 5
"""

from __future__ import annotations

import argparse
import bisect
import itertools
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

import anyio
import redis

from pepperpy.caching import NearCache, RedisCache

VALUE = {"user": 42, "name": "ada"}
SLICES = 10
WRITE_EVERY = 100  # one operation in a hundred is a write, by another client


def free_port(rng: random.Random) -> int:
    for _ in range(1000):
        port = rng.randrange(20000, 45000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def start_server(directory: Path, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server not found")
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(directory)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    for _ in range(500):
        try:
            redis.Redis(port=port).ping()
            return process
        except redis.ConnectionError:
            time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


def zipf_order(keys: int, exponent: float, count: int, seed: int) -> list[str]:
    """``count`` key names drawn with probability proportional to 1 / rank**exponent."""
    weights = [1.0 / (rank**exponent) for rank in range(1, keys + 1)]
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]
    rng = random.Random(seed)
    names = [f"k{index}" for index in range(keys)]
    return [names[bisect.bisect_left(cumulative, rng.random() * total)] for _ in range(count)]


Bench = Callable[[int], Awaitable[None]]


def workload(reader: RedisCache, writer: RedisCache, order: list[str], writes: list[str]) -> Bench:
    """A bench of ``ops`` operations: reads through ``reader`` of the keys in ``order``;
    every hundredth a write of the next key of ``writes``, handed to the writer task
    (another connection) without waiting for it."""
    position = 0
    next_write = 0
    version = 0
    sent = written = 0
    caught_up = anyio.Event()
    send, receive = anyio.create_memory_object_stream[str](10_000)

    async def write() -> None:
        nonlocal version, written
        async for key in receive:
            version += 1
            await writer.set(key, {**VALUE, "version": version})
            written += 1
            if written == sent:
                caught_up.set()

    async def run(ops: int) -> None:
        nonlocal position, next_write, sent, caught_up
        size = len(order)
        get = reader.get
        for index in range(ops):
            if index % WRITE_EVERY == WRITE_EVERY - 1:
                sent += 1
                send.send_nowait(writes[next_write])
                next_write = (next_write + 1) % len(writes)
            else:
                await get(order[position])
                position = (position + 1) % size
        if written < sent:  # the writes count in the time
            await caught_up.wait()
        caught_up = anyio.Event()

    run.writer = write  # type: ignore[attr-defined]
    run.close = send.close  # type: ignore[attr-defined]
    return run


Results = dict[tuple[str, str], list[float]]


def run_round(backend: str, port: int, args: argparse.Namespace, results: Results) -> None:
    async def main() -> None:
        near_settings = NearCache(max_size=args.near_size)
        # A namespace each, so the near cache hears only of the writes to its own keys.
        plain = RedisCache("127.0.0.1", port, namespace="plain")
        near = RedisCache("127.0.0.1", port, namespace="near", near_cache=near_settings)
        plain_writer = RedisCache("127.0.0.1", port, namespace="plain")
        near_writer = RedisCache("127.0.0.1", port, namespace="near")
        async with plain, near, plain_writer, near_writer, anyio.create_task_group() as group:
            every = {f"k{index}": VALUE for index in range(args.keys)}
            await plain_writer.set_many(every)
            await near_writer.set_many(every)
            orders = [zipf_order(args.keys, args.zipf, 200_000, seed) for seed in (1, 2)]
            if args.writes == "zipf":  # the hot keys change most: the harder case
                writes = [zipf_order(args.keys, args.zipf, 20_000, seed) for seed in (3, 4)]
            else:
                rng = random.Random(5)
                writes = [[f"k{rng.randrange(args.keys)}" for _ in range(20_000)]] * 2
            benches = {
                "RedisCache": workload(plain, plain_writer, orders[0], writes[0]),
                "RedisCache + NearCache": workload(near, near_writer, orders[1], writes[1]),
            }
            for bench in benches.values():
                group.start_soon(bench.writer)  # type: ignore[attr-defined]
            # Warm up: connections, and the steady state of a long-running reader (every
            # key read once; the near cache holds what fits).
            await near._sync_near()
            for cache in (plain, near):
                await cache.get_many(list(every))
            for bench in benches.values():
                await bench(args.ops)
            before = near.stats.near
            assert before is not None
            slice_ = max(args.ops // SLICES, 1)
            for _ in range(SLICES):
                names = list(benches)
                random.shuffle(names)
                for name in names:
                    started = time.perf_counter()
                    await benches[name](slice_)
                    elapsed = time.perf_counter() - started
                    results.setdefault((backend, name), []).append(slice_ / elapsed)
            after = near.stats.near
            assert after is not None
            reads = (after.local_hits + after.remote_hits + after.misses) - (
                before.local_hits + before.remote_hits + before.misses
            )
            remote = (after.remote_hits + after.misses) - (before.remote_hits + before.misses)
            results.setdefault((backend, "miss ratio"), []).append(remote / max(reads, 1))
            results.setdefault((backend, "invalidations"), []).append(
                after.invalidations - before.invalidations
            )
            results.setdefault((backend, "writes"), []).append(SLICES * (slice_ // WRITE_EVERY))
            for bench in benches.values():
                bench.close()  # type: ignore[attr-defined]
            group.cancel_scope.cancel()

    anyio.run(main, backend=backend)


def report(results: Results) -> None:
    for backend in ("asyncio", "trio"):
        plain = statistics.median(results[(backend, "RedisCache")])
        near = statistics.median(results[(backend, "RedisCache + NearCache")])
        misses = statistics.median(results[(backend, "miss ratio")])
        invalidations = sum(results[(backend, "invalidations")])
        writes = sum(results[(backend, "writes")])
        print(f"{backend}:")
        print(f"  RedisCache               {plain:>12,.0f} ops/s")
        print(f"  RedisCache + NearCache   {near:>12,.0f} ops/s")
        goal = "ok" if near / plain >= 50 else "below the goal of 50x"
        print(f"  ratio                    {near / plain:>12.1f}x  ({goal})")
        print(f"  near cache miss ratio    {misses:>12.4f}")
        print(f"  invalidations received   {invalidations:>12,} (writes by the other client:"
              f" {writes:,})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ops", type=int, default=20_000, help="operations per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per runtime")
    parser.add_argument("--keys", type=int, default=10_000, help="distinct keys")
    parser.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of the reads")
    parser.add_argument("--near-size", type=int, default=10_000, help="NearCache max_size")
    parser.add_argument(
        "--writes",
        choices=("zipf", "uniform"),
        default="zipf",
        help="which keys the other client writes: drawn like the reads (the hot keys"
        " change most), or uniformly",
    )
    args = parser.parse_args()
    rng = random.Random()
    results: Results = {}
    with tempfile.TemporaryDirectory() as directory:
        port = free_port(rng)
        server = start_server(Path(directory), port)
        try:
            for _ in range(args.rounds):
                for backend in ("asyncio", "trio"):
                    run_round(backend, port, args, results)
        finally:
            server.terminate()
            server.wait()
    print(
        f"{args.keys:,} keys, Zipf {args.zipf}, near cache max_size {args.near_size:,},"
        f" 1 write in {WRITE_EVERY} operations by another client ({args.writes} keys)"
    )
    report(results)


if __name__ == "__main__":
    main()
