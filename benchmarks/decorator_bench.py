"""@cached on a hit, against its floors and its peers, in one process, rounds interleaved.

Run:  python benchmarks/decorator_bench.py            (add --quick for a short run)

Rows (ns per awaited call on a hit, best round; every row answers from memory):
  floor             ``await`` of an ``async def`` doing one dict lookup
  get_or_set        MemoryCache.get_or_set with the key already built: what @cached
                    adds to, so the gap to it is the cost of building the key
  @cached ...       pepperpy's decorator: default key positional or by keyword, a
                    template key, a method read through its instance
  aiocache @cached  aiocache's decorator over its SimpleMemoryCache (asyncio only)
  alru_cache        async-lru's decorator, an in-process LRU (asyncio only)
Ratios are against the floor of the same runtime, and against get_or_set. The rows
are measured in turn within each round, so that load from other processes on the
machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from pepperpy.caching import MemoryCache, cached

USERS = 1000
Call = Callable[[int], Awaitable[Any]]


def rows_for(runtime: str) -> dict[str, Call]:
    """name -> a call that answers ``user_id`` from a warm cache."""
    data = {user_id: f"user {user_id}" for user_id in range(USERS)}
    store = MemoryCache()
    keys = [f"user:{user_id}" for user_id in range(USERS)]

    async def floor(user_id: int) -> Any:
        return data.get(user_id)

    async def load(user_id: int) -> str:
        return data[user_id]

    async def direct(user_id: int) -> Any:
        return await store.get_or_set(keys[user_id], lambda: load(user_id))

    @cached(store)
    async def by_default_key(user_id: int) -> str:
        return data[user_id]

    async def by_keyword(user_id: int) -> str:
        return await by_default_key(user_id=user_id)

    @cached(store, key="user:{user_id}")
    async def by_template(user_id: int) -> str:
        return data[user_id]

    class Users:
        @cached(store)
        async def name(self, user_id: int) -> str:
            return data[user_id]

    users = Users()

    async def by_method(user_id: int) -> str:
        return await users.name(user_id)

    rows: dict[str, Call] = {
        "floor (await dict lookup)": floor,
        "get_or_set, key given": direct,
        "@cached default key, f(1)": by_default_key,
        "@cached default key, f(user_id=1)": by_keyword,
        "@cached template key": by_template,
        "@cached method, obj.f(1)": by_method,
    }
    if runtime == "asyncio":
        try:
            from aiocache import SimpleMemoryCache
            from aiocache import cached as aiocache_cached

            @aiocache_cached(cache=SimpleMemoryCache)  # type: ignore[misc]
            async def aiocache_load(user_id: int) -> str:
                return data[user_id]

            rows["aiocache @cached"] = aiocache_load
        except ImportError:
            pass
        try:
            from async_lru import alru_cache

            @alru_cache(maxsize=None)
            async def lru_load(user_id: int) -> str:
                return data[user_id]

            rows["async-lru alru_cache"] = lru_load
        except ImportError:
            pass
    return rows


async def time_calls(call: Call, repeat: int) -> float:
    """Best ns per call of ``await call(user_id)`` over every user, ``repeat`` times."""
    gc.disable()
    start = time.perf_counter_ns()
    for _ in range(repeat):
        for user_id in range(USERS):
            await call(user_id)
    elapsed = time.perf_counter_ns() - start
    gc.enable()
    return elapsed / (repeat * USERS)


async def measure(runtime: str, quick: bool) -> dict[str, float]:
    rows = rows_for(runtime)
    for call in rows.values():  # warm every cache: each row measures hits only
        for user_id in range(USERS):
            await call(user_id)
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(5 if quick else 15):
        for name, call in rows.items():
            best[name] = min(best[name], await time_calls(call, 2 if quick else 10))
    return best


def report(runtime: str, best: dict[str, float]) -> None:
    floor = best["floor (await dict lookup)"]
    direct = best["get_or_set, key given"]
    print(f"\n== {runtime}  (ns per call on a hit; best of the rounds)")
    print(f"{'':38} {'ns':>7} {'x floor':>8} {'x get_or_set':>13}")
    for name, ns in best.items():
        print(f"{name:38} {ns:7.0f} {ns / floor:8.2f} {ns / direct:13.2f}")
    ours = best["@cached default key, f(1)"]
    for peer in ("aiocache @cached", "async-lru alru_cache"):
        if peer in best:
            print(f"{peer}: {best[peer] / ours:.2f}x the time of @cached f(1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    options = parser.parse_args()
    for runtime in ("asyncio", "trio"):
        report(runtime, anyio.run(measure, runtime, options.quick, backend=runtime))


if __name__ == "__main__":
    main()
