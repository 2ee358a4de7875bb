"""Replay rate of a read-through cache per eviction policy, next to cachetools and theine.

Run from the repository root (needs numpy, and the ``bench`` extra for the peers)::

    PYTHONPATH=src python benchmarks/policy_bench.py --requests 1000000 --rounds 3

Each contender replays the same Zipf(1.0) trace (100,000 objects, a cache of 10,000
by default): look the key up, store it on a miss. The time is the process's CPU time
(steadier than wall time on a shared machine), the best of ``--rounds`` runs, the
rounds interleaved across contenders. The table gives requests per second, the miss
ratio and the rate relative to ``CacheEngine`` with LRU.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable, Sequence

import numpy as np

from pepperpy.caching import MISS, CacheEngine

Replay = Callable[[Sequence[str], int], int]
"""Replays the keys through a fresh cache of the given size; returns the misses."""


def zipf_keys(objects: int, requests: int, seed: int) -> list[str]:
    """Requests drawn from Zipf(1.0) over ``objects`` ids (shuffled), as strings."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, objects + 1)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(requests), side="right")
    names = [f"obj{index}" for index in range(objects)]
    return [names[index] for index in rng.permutation(objects)[ranks].tolist()]


def engine_replay(policy: str) -> Replay:
    """Replay through ``CacheEngine`` with the named policy."""

    def run(keys: Sequence[str], size: int) -> int:
        engine = CacheEngine(size, policy)
        get, put = engine.get, engine.set
        misses = 0
        for key in keys:
            if get(key, 0.0) is MISS:
                misses += 1
                put(key, True, 0.0)
        return misses

    return run


def mapping_replay(factory: Callable[[int], object]) -> Replay:
    """Replay through a mapping cache such as ``cachetools.LRUCache(maxsize)``."""

    def run(keys: Sequence[str], size: int) -> int:
        cache = factory(size)
        get = cache.get  # type: ignore[attr-defined]
        put = cache.__setitem__  # type: ignore[attr-defined]
        absent = object()
        misses = 0
        for key in keys:
            if get(key, absent) is absent:
                misses += 1
                put(key, True)
        return misses

    return run


def theine_replay(keys: Sequence[str], size: int) -> int:
    """Replay through theine's ``Cache`` (W-TinyLFU with a Rust core), single-threaded."""
    from theine import Cache

    cache = Cache(size, nolock=True)
    get, put = cache.get, cache.set
    misses = 0
    for key in keys:
        if not get(key)[1]:
            misses += 1
            put(key, True)
    cache.close()
    return misses


def contenders() -> dict[str, Replay]:
    """Every contender that can run here, by name; the peers only if installed."""
    found: dict[str, Replay] = {
        f"CacheEngine {name}": engine_replay(name)
        for name in ("lru", "fifo", "lfu", "random", "sieve", "s3fifo", "tinylfu")
    }
    try:
        import cachetools
    except ImportError:
        print("cachetools not installed: pip install 'pepperpy-caching[bench]'")
    else:
        found["cachetools LRUCache"] = mapping_replay(cachetools.LRUCache)
        found["cachetools LFUCache"] = mapping_replay(cachetools.LFUCache)
        found["cachetools FIFOCache"] = mapping_replay(cachetools.FIFOCache)
        found["cachetools RRCache"] = mapping_replay(cachetools.RRCache)
    try:
        import theine  # noqa: F401
    except ImportError:
        print("theine not installed: pip install 'pepperpy-caching[bench]'")
    else:
        found["theine (W-TinyLFU, Rust core)"] = theine_replay
    return found


def main() -> None:
    """Replay, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--cache", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()

    keys = zipf_keys(args.objects, args.requests, args.seed)
    runs = contenders()
    best = dict.fromkeys(runs, float("inf"))
    misses: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, replay in runs.items():
            gc.collect()
            start = time.process_time()
            misses[name] = replay(keys, args.cache)
            best[name] = min(best[name], time.process_time() - start)

    base = best["CacheEngine lru"]
    print(
        f"Zipf(1.0): {args.requests:,} requests over {args.objects:,} objects "
        f"({len(set(keys)):,} requested), cache of {args.cache:,}; best of {args.rounds}"
    )
    print(f"{'contender':32} {'req/s':>10} {'ns/req':>8} {'miss ratio':>10} {'vs engine lru':>13}")
    for name, seconds in best.items():
        print(
            f"{name:32} {args.requests / seconds:>10,.0f} {seconds / args.requests * 1e9:>8.0f}"
            f" {misses[name] / args.requests:>10.4f} {base / seconds:>12.2f}x"
        )


if __name__ == "__main__":
    main()
