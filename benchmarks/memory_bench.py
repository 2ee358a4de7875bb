"""MemoryCache against the floor and its peers, on asyncio and trio, in one process.

Run:  python benchmarks/memory_bench.py            (add --quick for a short run,
      --rss to also measure memory per entry at 1M entries in subprocesses)

Rows, per runtime (ns per awaited call, best of several repeats):
  floor        ``await`` of an ``async def`` doing one dict lookup
  MemoryCache  get-hit and set-with-eviction, for each policy
  aiocache     SimpleMemoryCache (its default configuration)
  cachetools   LRUCache behind a thin async wrapper
  cachebox     LRUCache behind a thin async wrapper
Ratios are against the floor of the same runtime, and aiocache against MemoryCache LRU.
"""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from pepperpy.caching import POLICY_NAMES, MemoryCache

CAPACITY = 10_000
KEYS = [f"key:{i}" for i in range(CAPACITY)]
FRESH = [f"new:{i}" for i in range(200_000)]


class Floor:
    """The least an async cache can cost: a coroutine call around a dict lookup."""

    def __init__(self) -> None:
        self._data = dict.fromkeys(KEYS, 1)

    async def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._data[key] = value


class AsyncWrapped:
    """A synchronous mapping cache behind the thinnest async face."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    async def get(self, key: str, default: Any = None) -> Any:
        return self._cache.get(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._cache[key] = value


async def time_calls(call: Callable[[str], Awaitable[Any]], keys: list[str], repeat: int) -> float:
    """Best ns per call of ``await call(key)`` over ``keys``."""
    best = float("inf")
    for _ in range(repeat):
        gc.disable()
        start = time.perf_counter_ns()
        for key in keys:
            await call(key)
        elapsed = time.perf_counter_ns() - start
        gc.enable()
        best = min(best, elapsed / len(keys))
    return best


async def measure(quick: bool) -> list[tuple[str, float, float]]:
    """(name, get-hit ns, set-with-eviction ns) rows for the running runtime."""
    repeat = 3 if quick else 7
    hits = KEYS * (2 if quick else 10)
    rows: list[tuple[str, float, float]] = []

    async def row(name: str, cache: Any) -> None:
        for key in KEYS:  # fill to capacity, so every later fresh write evicts
            await cache.set(key, 1)
        get_ns = await time_calls(cache.get, hits, repeat)

        async def set_fresh(key: str) -> None:
            await cache.set(key, 1)

        set_ns = await time_calls(set_fresh, FRESH[: len(FRESH) // (4 if quick else 1)], repeat)
        rows.append((name, get_ns, set_ns))

    await row("floor (await dict lookup)", Floor())
    for policy in POLICY_NAMES:
        await row(f"MemoryCache {policy}", MemoryCache(max_size=CAPACITY, policy=policy))
    try:
        import cachetools

        await row(
            "cachetools LRUCache (async wrapper)", AsyncWrapped(cachetools.LRUCache(CAPACITY))
        )
    except ImportError:
        pass
    try:
        import cachebox

        await row("cachebox LRUCache (async wrapper)", AsyncWrapped(cachebox.LRUCache(CAPACITY)))
    except ImportError:
        pass
    if _running() == "asyncio":  # aiocache runs on asyncio only
        try:
            from aiocache import SimpleMemoryCache

            await row("aiocache SimpleMemoryCache", SimpleMemoryCache())
        except ImportError:
            pass
    return rows


def _running() -> str:
    import sniffio

    return sniffio.current_async_library()


def report(runtime: str, rows: list[tuple[str, float, float]]) -> None:
    """Print one runtime's table."""
    floor_get, floor_set = rows[0][1], rows[0][2]
    lru_get = next(r[1] for r in rows if r[0] == "MemoryCache lru")
    lru_set = next(r[2] for r in rows if r[0] == "MemoryCache lru")
    print(f"\n== {runtime}  (capacity {CAPACITY:,}; ns per call; ratio = x floor)")
    print(f"{'':38} {'get-hit':>9} {'ratio':>6}   {'set+evict':>9} {'ratio':>6}")
    for name, get_ns, set_ns in rows:
        print(
            f"{name:38} {get_ns:9.0f} {get_ns / floor_get:6.2f}   "
            f"{set_ns:9.0f} {set_ns / floor_set:6.2f}"
        )
    for name, get_ns, set_ns in rows:
        if name.startswith("aiocache"):
            print(
                f"MemoryCache lru is {get_ns / lru_get:.1f}x faster than {name} on get, "
                f"{set_ns / lru_set:.1f}x on set"
            )
    print("(aiocache's set never evicts: SimpleMemoryCache is unbounded)")


RSS_SCRIPT = """
import gc, resource, sys
import anyio
from pepperpy.caching import MemoryCache

n, policy = int(sys.argv[1]), sys.argv[2]
keys = [f"key:{i:09d}" for i in range(n)]
values = list(range(n))
gc.collect()


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


async def fill(cache):
    for key, value in zip(keys, values):
        await cache.set(key, value)


before = rss()
if policy == "dict":
    held = dict(zip(keys, values))
else:
    held = MemoryCache(max_size=n, policy=policy)
    anyio.run(fill, held)
gc.collect()
print((rss() - before) / n)
"""


def measure_rss(n: int) -> None:
    """Bytes per entry of overhead at ``n`` entries (keys and values exist beforehand)."""
    print(f"\n== memory at {n:,} entries (RSS growth per entry; keys and values pre-built)")
    results = {}
    for policy in ("dict", *POLICY_NAMES):
        out = subprocess.run(
            [sys.executable, "-c", RSS_SCRIPT, str(n), policy],
            capture_output=True,
            text=True,
            check=True,
        )
        results[policy] = float(out.stdout)
    for policy, per_entry in results.items():
        label = "plain dict (reference)" if policy == "dict" else f"MemoryCache {policy}"
        print(f"{label:38} {per_entry:7.0f} bytes/entry")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--rss", action="store_true", help="measure memory per entry at 1M")
    args = parser.parse_args()
    for runtime in ("asyncio", "trio"):
        rows = anyio.run(measure, args.quick, backend=runtime)
        report(runtime, rows)
    if args.rss:
        measure_rss(1_000_000)


if __name__ == "__main__":
    main()
