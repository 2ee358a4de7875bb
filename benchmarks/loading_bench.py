"""Loading under load: a stampede over processes, XFetch against a plain TTL, and the
cost of the new code to plain ``get``/``set``.

Starts its own ``redis-server`` (no persistence) on a free loopback port::

    PYTHONPATH=src python benchmarks/loading_bench.py
    PYTHONPATH=src python benchmarks/loading_bench.py --baseline /tmp/pp-main/src

Three parts:

* **Stampede**: 3 processes, 34 concurrent callers each (102 in all), miss one key
  at once; the loader takes 200 ms. Printed: how many times it ran, with
  ``lock=True`` and without (each process then loads once: the in-process single
  flight only).
* **Hot key**: 8 tasks read one key as fast as they can for ``--seconds`` on a
  ``MemoryCache`` (TTL 1 s, loader 50 ms, on asyncio), with a plain TTL, with
  ``early_refresh=1.0`` and with ``stale_ttl=1``. Printed per minute: loader runs,
  *waits* (reads that found nothing and waited for the loader) and stale reads.
* **Plain paths** (with ``--baseline``, the ``src`` directory of a checkout of the
  code to compare with, e.g. ``git worktree add /tmp/pp-main main``): ``get`` and
  ``set`` on MemoryCache and RedisCache, measured in subprocesses that alternate
  between the two sources, round after round; printed as ops/s and the ratio of
  this code to the baseline (median of the per-round ratios, with their range, and
  the ratio of the best rounds: on a busy machine noise only ever slows a round).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel

HERE = Path(__file__).resolve()
SRC = HERE.parents[1] / "src"


def free_port(rng: random.Random) -> int:
    for _ in range(200):
        port = rng.randrange(20_000, 60_000)
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
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
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.01)
    process.kill()
    sys.exit("redis-server did not start")


# -- stampede -------------------------------------------------------------------------


async def stampede_worker(port: int, namespace: str, callers: int, lock: bool) -> None:
    from pepperpy.caching import RedisCache

    async with RedisCache("127.0.0.1", port, namespace=namespace) as cache:
        for _ in range(50_000):
            if await cache.get("go") is not None:
                break
            await anyio.sleep(0.001)

        async def load() -> str:
            await cache.incr("loads")
            await anyio.sleep(0.2)
            return "report"

        async def caller() -> None:
            assert await cache.get_or_set("k", load, ttl=60, lock=lock) == "report"

        async with anyio.create_task_group() as group:
            for _ in range(callers):
                group.start_soon(caller)


def stampede(port: int, lock: bool) -> int:
    import redis

    namespace = f"stampede{random.randrange(10**9)}"
    workers = [
        subprocess.Popen(
            [sys.executable, str(HERE), "--worker", str(port), namespace, "34", str(int(lock))],
            env={**os.environ, "PYTHONPATH": str(SRC)},
        )
        for _ in range(3)
    ]
    client = redis.Redis(port=port)
    time.sleep(1.0)  # every process connected and polling
    client.set(f"{namespace}:go", "1")
    for worker in workers:
        if worker.wait(60) != 0:
            sys.exit("a stampede worker failed")
    return int(client.get(f"{namespace}:loads") or 0)


# -- hot key --------------------------------------------------------------------------


async def hot_key(seconds: float, options: dict[str, Any]) -> dict[str, float]:
    from pepperpy.caching import MemoryCache

    cache = MemoryCache()
    loads = waits = reads = 0

    async def load() -> float:
        nonlocal loads
        loads += 1
        await anyio.sleep(0.05)
        return anyio.current_time()

    async def reader(until: float) -> None:
        nonlocal waits, reads
        while anyio.current_time() < until:
            if not await cache.contains("hot"):
                waits += 1  # this read finds nothing: it waits for the loader
            await cache.get_or_set("hot", load, ttl=1.0, **options)
            reads += 1
            await anyio.lowlevel.checkpoint()

    async with cache:
        await cache.get_or_set("hot", load, ttl=1.0, **options)  # warm: no cold start
        loads = 0
        state = cache._load_state()  # the library's own count of stale reads
        until = anyio.current_time() + seconds
        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(reader, until)
    scale = 60.0 / seconds
    return {
        "loads": loads * scale,
        "waits": waits * scale,
        "stale": state.stale_reads * scale,
        "reads": reads * scale,
    }


# -- plain paths ----------------------------------------------------------------------


def measure_plain(port: int, ops: int) -> dict[str, float]:
    """Ops/s of the plain paths of whatever ``pepperpy.caching`` is importable: the
    best of five slices each (the machine's noise only ever slows a slice down)."""
    from pepperpy.caching import MemoryCache, RedisCache

    async def best(operation: Any, count: int) -> float:
        rates = []
        for _ in range(5):
            started = time.perf_counter()
            for i in range(count):
                await operation(i)
            rates.append(count / (time.perf_counter() - started))
        return max(rates)

    async def run() -> dict[str, float]:
        memory = MemoryCache(max_size=10_000)
        keys = [f"k{i}" for i in range(1000)]
        for key in keys:
            await memory.set(key, 1)
        results = {
            "MemoryCache.get": await best(lambda i: memory.get(keys[i % 1000]), ops * 10),
            "MemoryCache.set": await best(lambda i: memory.set(keys[i % 1000], i), ops * 10),
        }
        async with RedisCache("127.0.0.1", port, namespace="plain") as remote:
            await remote.set("k", "v")
            results["RedisCache.get"] = await best(lambda i: remote.get("k"), ops)
            results["RedisCache.set"] = await best(lambda i: remote.set("k", i), ops)
        return results

    return anyio.run(run)


def plain_paths(port: int, baseline: Path, rounds: int, ops: int) -> None:
    sides = {"this": SRC, "baseline": baseline}
    samples: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
    for round_ in range(rounds):
        order = list(sides) if round_ % 2 == 0 else list(reversed(sides))
        for side in order:
            output = subprocess.run(
                [sys.executable, str(HERE), "--plain", str(port), str(ops)],
                env={**os.environ, "PYTHONPATH": str(sides[side])},
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for name, value in json.loads(output).items():
                samples[side].setdefault(name, []).append(value)
    print(f"\nPlain paths, {rounds} rounds alternating (ops/s, median; ratio this/baseline)")
    for name in samples["this"]:
        this, base = samples["this"][name], samples["baseline"][name]
        ratios = [a / b for a, b in zip(this, base, strict=True)]
        print(
            f"  {name:<16} this {statistics.median(this):>10,.0f}  "
            f"baseline {statistics.median(base):>10,.0f}  "
            f"ratio {statistics.median(ratios):.3f} (range {min(ratios):.3f}-{max(ratios):.3f};"
            f" best of each {max(this) / max(base):.3f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--baseline", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--ops", type=int, default=20_000)
    parser.add_argument("--worker", nargs=4, default=None)
    parser.add_argument("--plain", nargs=2, default=None)
    args = parser.parse_args()
    if args.worker:
        port, namespace, callers, lock = args.worker
        anyio.run(stampede_worker, int(port), namespace, int(callers), lock == "1")
        return
    if args.plain:
        print(json.dumps(measure_plain(int(args.plain[0]), int(args.plain[1]))))
        return

    rng = random.Random()
    with tempfile.TemporaryDirectory() as directory:
        port = free_port(rng)
        server = start_server(Path(directory), port)
        try:
            print("Stampede: 3 processes x 34 concurrent callers, loader 200 ms")
            for lock in (True, False):
                print(f"  lock={lock!s:<5}  loader runs: {stampede(port, lock)}")
            print(
                f"\nHot key: 8 readers, TTL 1 s, loader 50 ms, {args.seconds:g} s on asyncio"
                " (per minute)"
            )
            modes = {
                "plain TTL": {},
                "early_refresh=1.0": {"early_refresh": 1.0},
                "stale_ttl=1": {"stale_ttl": 1.0},
            }
            for label, options in modes.items():
                counts = anyio.run(hot_key, args.seconds, options)
                print(
                    f"  {label:<18} loader runs {counts['loads']:>6,.0f}   waits"
                    f" {counts['waits']:>8,.0f}   stale reads {counts['stale']:>8,.0f}"
                    f"   reads {counts['reads']:>10,.0f}"
                )
            if args.baseline is not None:
                plain_paths(port, args.baseline, args.rounds, args.ops)
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
