"""MemoryCache against the floor and its peers, on asyncio and trio, in one process.

Run:  python benchmarks/memory_bench.py            (add --quick for a short run,
      --rss to also measure memory per entry at 1M entries in subprocesses)

Rows, per runtime (ns per awaited call, best of several repeats):
  floor        ``await`` of an ``async def`` doing one dict lookup
  OrderedDict  an LRU in an ``OrderedDict`` behind ``async def`` methods: the least a
               bounded async LRU can cost
  MemoryCache  get-hit, set-with-eviction and mixed (Zipf cache-aside), per policy
  aiocache     SimpleMemoryCache (its default configuration)
  cachetools   LRUCache behind a thin async wrapper
  cachebox     LRUCache behind a thin async wrapper
Ratios: get-hit against the floor of the same runtime; set-with-eviction and mixed
against the async OrderedDict LRU; aiocache against MemoryCache LRU. "mixed" replays a
Zipf(1.0) trace over 10x the capacity: get, and set on a miss (ns per request).
"""

from __future__ import annotations

import argparse
import gc
import random
import subprocess
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from itertools import accumulate
from typing import Any

import anyio

from pepperpy.caching import POLICY_NAMES, MemoryCache

CAPACITY = 10_000
KEYS = [f"key:{i}" for i in range(CAPACITY)]
FRESH = [f"new:{i}" for i in range(200_000)]


def zipf_trace(objects: int, requests: int, seed: int = 42) -> list[str]:
    """``requests`` keys drawn from ``objects`` with Zipf(1.0) popularity."""
    weights = list(accumulate(1.0 / rank for rank in range(1, objects + 1)))
    rng = random.Random(seed)
    return [f"obj:{i}" for i in rng.choices(range(objects), cum_weights=weights, k=requests)]


MIXED = zipf_trace(10 * CAPACITY, 200_000)


class Floor:
    """The least an async cache can cost: a coroutine call around a dict lookup."""

    def __init__(self) -> None:
        self._data = dict.fromkeys(KEYS, 1)

    async def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._data[key] = value


class AsyncOrderedDictLRU:
    """A bounded LRU written directly on an ``OrderedDict``, behind ``async def``."""

    def __init__(self, capacity: int) -> None:
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._capacity = capacity

    async def get(self, key: str, default: Any = None) -> Any:
        data = self._data
        try:
            data.move_to_end(key)
        except KeyError:
            return default
        return data[key]

    async def set(self, key: str, value: Any) -> None:
        data = self._data
        data[key] = value
        data.move_to_end(key)
        if len(data) > self._capacity:
            data.popitem(last=False)


class AsyncWrapped:
    """A synchronous mapping cache behind the thinnest async face."""

    def __init__(self, cache: Any) -> None:
        self._cache = cache

    async def get(self, key: str, default: Any = None) -> Any:
        return self._cache.get(key, default)

    async def set(self, key: str, value: Any) -> None:
        self._cache[key] = value


async def time_calls(call: Callable[[str], Awaitable[Any]], keys: list[str]) -> float:
    """CPU ns per call of ``await call(key)`` over ``keys`` (steadier than wall time
    on a shared machine)."""
    gc.disable()
    start = time.process_time_ns()
    for key in keys:
        await call(key)
    elapsed = time.process_time_ns() - start
    gc.enable()
    return elapsed / len(keys)


Row = tuple[str, float, float, float]


def contenders() -> list[tuple[str, Callable[[], Any], bool]]:
    """(name, a factory of a fresh cache, whether the mixed workload runs on it)."""
    found: list[tuple[str, Callable[[], Any], bool]] = [
        ("floor (await dict lookup)", Floor, False),
        ("async OrderedDict LRU", lambda: AsyncOrderedDictLRU(CAPACITY), True),
    ]
    for policy in POLICY_NAMES:
        found.append(
            (
                f"MemoryCache {policy}",
                lambda policy=policy: MemoryCache(max_size=CAPACITY, policy=policy),
                True,
            )
        )
    try:
        import cachetools

        found.append(
            (
                "cachetools LRUCache (async wrapper)",
                lambda: AsyncWrapped(cachetools.LRUCache(CAPACITY)),
                True,
            )
        )
    except ImportError:
        pass
    try:
        import cachebox

        found.append(
            (
                "cachebox LRUCache (async wrapper)",
                lambda: AsyncWrapped(cachebox.LRUCache(CAPACITY)),
                True,
            )
        )
    except ImportError:
        pass
    if _running() == "asyncio":  # aiocache runs on asyncio only
        try:
            from aiocache import SimpleMemoryCache

            found.append(("aiocache SimpleMemoryCache", SimpleMemoryCache, False))
        except ImportError:
            pass
    return found


async def measure(quick: bool) -> list[Row]:
    """(name, get-hit ns, set-with-eviction ns, mixed ns) rows for the running runtime,
    the best of several rounds, each round running every contender in turn."""
    rounds = 3 if quick else 7
    hits = KEYS * (2 if quick else 10)
    fresh_keys = FRESH[: len(FRESH) // (4 if quick else 1)]
    mixed = MIXED[: len(MIXED) // (4 if quick else 1)]
    found = contenders()
    best = {name: [float("inf")] * 3 for name, _, _ in found}
    for _ in range(rounds):
        for name, factory, with_mixed in found:
            cache = factory()
            for key in KEYS:  # fill to capacity, so every later fresh write evicts
                await cache.set(key, 1)
            get_ns = await time_calls(cache.get, hits)

            async def set_fresh(key: str, cache: Any = cache) -> None:
                await cache.set(key, 1)

            set_ns = await time_calls(set_fresh, fresh_keys)
            mixed_ns = float("nan")
            if with_mixed:
                aside = factory()
                get, put = aside.get, aside.set

                async def cache_aside(key: str, get: Any = get, put: Any = put) -> None:
                    if await get(key) is None:
                        await put(key, 1)

                mixed_ns = await time_calls(cache_aside, mixed)
            row = best[name]
            best[name] = [min(row[0], get_ns), min(row[1], set_ns), min(row[2], mixed_ns)]
    return [
        (name, best[name][0], best[name][1], best[name][2] if with_mixed else float("nan"))
        for name, _, with_mixed in found
    ]


def _running() -> str:
    import sniffio

    return sniffio.current_async_library()


def report(runtime: str, rows: list[Row]) -> None:
    """Print one runtime's table."""
    floor_get = rows[0][1]
    _, _, od_set, od_mixed = next(r for r in rows if r[0] == "async OrderedDict LRU")
    lru_get = next(r[1] for r in rows if r[0] == "MemoryCache lru")
    lru_set = next(r[2] for r in rows if r[0] == "MemoryCache lru")
    print(
        f"\n== {runtime}  (capacity {CAPACITY:,}; ns per call; get ratio = x floor, "
        "set and mixed ratios = x async OrderedDict LRU)"
    )
    print(
        f"{'':38} {'get-hit':>9} {'ratio':>6}   {'set+evict':>9} {'ratio':>6}"
        f"   {'mixed':>9} {'ratio':>6}"
    )
    for name, get_ns, set_ns, mixed_ns in rows:
        print(
            f"{name:38} {get_ns:9.0f} {get_ns / floor_get:6.2f}   "
            f"{set_ns:9.0f} {set_ns / od_set:6.2f}   {mixed_ns:9.0f} {mixed_ns / od_mixed:6.2f}"
        )
    lfu_get = next(r[1] for r in rows if r[0] == "MemoryCache lfu")
    print(f"MemoryCache lfu get-hit is {lfu_get / lru_get:.2f}x MemoryCache lru's")
    for name, get_ns, set_ns, _ in rows:
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
