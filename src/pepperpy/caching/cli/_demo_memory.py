"""Demo sections for MemoryCache: time to live, eviction order, hit ratio and stats."""

from __future__ import annotations

import random
import time
from itertools import accumulate
from typing import Final

import anyio

from ..adapters.memory import MemoryCache
from ..core.entry import MISS, Removal
from ..core.policies import POLICY_NAMES, CachePolicy, RandomPolicy
from ._report import Report, check

__all__ = ("eviction_order", "hit_ratios", "time_to_live")

TTL_SECONDS: Final = 0.05


async def time_to_live(report: Report) -> str:
    """Store a value with a 50 ms TTL, read it, wait, read it again."""
    report.section("MemoryCache: a value that lives 50 ms")
    cache = MemoryCache(max_size=100)
    start = time.perf_counter()
    rows: list[tuple[str, str, str]] = []

    def note(call: str, result: object) -> None:
        rows.append((f"{(time.perf_counter() - start) * 1000:.1f}", call, repr(result)))

    await cache.set("session", {"user": "ada"}, ttl=TTL_SECONDS)
    note(f'set("session", {{...}}, ttl={TTL_SECONDS})', "-")
    fresh = await cache.get("session")
    note('get("session")', fresh)
    left = await cache.ttl("session")
    note('ttl("session")', None if left is None else round(left, 3))
    await anyio.sleep(TTL_SECONDS + 0.01)
    stale = await cache.get("session")
    note('get("session")', stale)
    still = await cache.contains("session")
    note('contains("session")', still)
    await cache.set("other", 1)  # each write reclaims a few expired entries
    note('set("other", 1)', "-")
    stats = cache.stats
    note("stats", f"hits={stats.hits} misses={stats.misses} expirations={stats.expirations}")
    report.table(["t (ms)", "call", "result"], [(t, c, r.strip("'")) for t, c, r in rows], (0,))

    check(fresh == {"user": "ada"}, f"a fresh value should be a hit, got {fresh!r}")
    check(left is not None and 0 < left <= TTL_SECONDS, f"ttl() should be in (0, 0.05], {left}")
    check(stale is None and not still, "the value should be gone after its TTL")
    check(stats.expirations == 1 and stats.size == 1, f"one expiration expected: {stats}")
    return "ok"


def _policies() -> list[tuple[str, CachePolicy | str]]:
    named: list[tuple[str, CachePolicy | str]] = [(n, n) for n in POLICY_NAMES if n != "random"]
    return [*named, ("random (seed 7)", RandomPolicy(rng=7))]


async def eviction_order(report: Report) -> str:
    """Fill a cache of 3, read some keys, write two more: who leaves, per policy."""
    report.section("MemoryCache: who is evicted, per policy")
    report.line("max_size=3; set a, b, c; get a, get a, get b; set d; set e")
    report.line("(on_evict listeners record each eviction as it happens)")
    rows = []
    evicted_by: dict[str, list[str]] = {}
    for label, policy in _policies():
        evicted: list[str] = []

        def listen(removal: Removal, evicted: list[str] = evicted) -> None:
            evicted.append(removal.key)

        cache = MemoryCache(max_size=3, policy=policy, on_evict=listen)
        for key in "abc":
            await cache.set(key, key.upper())
        for key in "aab":
            await cache.get(key)
        for key in "de":
            await cache.set(key, key.upper())
        kept = [key async for key in cache.iter_keys()]
        rows.append((label, ", ".join(evicted), ", ".join(sorted(kept))))
        evicted_by[label] = evicted
    report.table(["policy", "evicted (in order)", "kept"], rows)
    report.line("lfu: d and e both have one use; d reached it first, so d leaves first")

    check(evicted_by["lru"] == ["c", "a"], f"lru should evict c then a: {evicted_by['lru']}")
    check(evicted_by["lfu"] == ["c", "d"], f"lfu should evict c then d: {evicted_by['lfu']}")
    check(evicted_by["fifo"] == ["a", "b"], f"fifo should evict a then b: {evicted_by['fifo']}")
    return "ok"


def _skewed_workload(keys: int, lookups: int, seed: int) -> list[str]:
    """``lookups`` keys drawn from ``keys`` with Zipf(1) popularity, reproducibly."""
    weights = list(accumulate(1.0 / rank for rank in range(1, keys + 1)))
    rng = random.Random(seed)
    return [f"item:{i}" for i in rng.choices(range(keys), cum_weights=weights, k=lookups)]


async def hit_ratios(report: Report) -> str:
    """Replay one skewed workload on each policy: hit ratio, evictions, cost per lookup."""
    keys, lookups, size = 1000, 20_000, 100
    workload = _skewed_workload(keys, lookups, seed=42)
    report.section("MemoryCache: hit ratio on a skewed workload")
    report.line(f"{lookups:,} lookups over {keys:,} keys (Zipf popularity, seed 42)")
    report.line(f"max_size={size}; on a miss the key is loaded (set)")
    rows = []
    ratios: dict[str, float] = {}
    for label, policy in _policies():
        cache = MemoryCache(max_size=size, policy=policy)
        started = time.perf_counter()
        for key in workload:
            if await cache.get(key, MISS) is MISS:
                await cache.set(key, key)
        elapsed = time.perf_counter() - started
        stats = cache.stats
        rows.append(
            (
                label,
                f"{stats.hits:,}",
                f"{stats.misses:,}",
                f"{stats.hit_ratio:.1%}",
                f"{stats.evictions + stats.rejections:,}",
                stats.size,
                f"{elapsed / lookups * 1e6:.2f} us",
            )
        )
        ratios[label] = stats.hit_ratio
        check(stats.lookups == lookups, f"{label}: {stats.lookups} lookups counted")
        check(stats.size == size, f"{label}: the cache should be full, size={stats.size}")
        removed = stats.evictions + stats.rejections  # W-TinyLFU refuses some
        check(removed == stats.misses - size, f"{label}: evictions {stats}")
    report.table(
        ["policy", "hits", "misses", "hit ratio", "evicted", "size", "per request"],
        rows,
        right=(1, 2, 3, 4, 5, 6),
    )
    check(ratios["lfu"] > ratios["fifo"], "lfu should beat fifo on a Zipf workload")
    return "ok"
