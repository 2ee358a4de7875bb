"""The core engine against cachetools, in one process, with a dict lookup as the floor.

Run from the repository root (the script finds ``src/`` itself)::

    python benchmarks/core_bench.py            # full run, about three minutes
    python benchmarks/core_bench.py --quick    # shorter loops, about fifteen seconds

For each policy (LRU, LFU, FIFO, random) it times, next to the matching cachetools
cache (``LRUCache``, ``LFUCache``, ``FIFOCache``, ``RRCache``):

* get-hit: lookups cycling in shuffled order over keys that are all resident
  (engine ``get(key, now)``; cachetools ``cache[key]``, its fastest read);
* set-evict: writes of new keys into a full cache, each evicting one entry
  (engine ``set(key, value, now)``; cachetools ``cache[key] = value``);
* zipf: a Zipf(1.0) trace over 100,000 objects into a 10,000-entry cache, read then
  written on a miss (engine ``get``/``set``; cachetools ``get(key, default)`` then
  ``cache[key] = value``), reported as requests per second with the hit ratio.

And two floors, timed with the same loop: ``dict.get`` as a bound method, and a
plain Python method around one dict lookup (what any cache method costs at least:
a subscript inside ``try``, the shape of cachetools' own ``Cache.__getitem__``).

Every workload is replayed several times from the same starting state, the
contenders taking turns, timed with ``perf_counter_ns`` in chunks of 2,000
operations with the garbage collector off; a figure is the sum over chunks of each
chunk's fastest time, so a chunk that another process interrupted does not count.
Loop overhead is in every row alike. Ratios: "x ct" is the row's time over the
cachetools time for the same policy and workload (below 1.00: faster than
cachetools); "x dict.get" and "x method" are the row's time over each floor's.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import itertools
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cachetools

from pepperpy.caching.core import MISS, CacheEngine

CAPACITY = 10_000
OBJECTS = 100_000
CHUNK = 2_000
POLICIES = ("lru", "lfu", "fifo", "random")
PEERS: dict[str, Callable[[int], cachetools.Cache[str, Any]]] = {
    "lru": cachetools.LRUCache,
    "lfu": cachetools.LFUCache,
    "fifo": cachetools.FIFOCache,
    "random": cachetools.RRCache,
}

Loop = Callable[[Sequence[str]], int]  # runs one chunk of operations, returns ns
Row = tuple[str, str, float, str]  # workload, implementation, ns per op, note


def peer(policy: str) -> cachetools.Cache[str, Any]:
    """The cachetools cache a user would pick for ``policy`` (random: seeded)."""
    if policy == "random":
        return cachetools.RRCache(CAPACITY, choice=random.Random(0).choice)
    return PEERS[policy](CAPACITY)


def engine_for(policy: str) -> CacheEngine:
    return CacheEngine(max_size=CAPACITY, policy=policy)


class OneLookup:
    """The floor for a cache method: a Python method around one dict lookup."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def get(self, key: str, now: float) -> Any:
        """The stored value, or MISS (the ``try`` costs nothing on a hit)."""
        try:
            return self._data[key]
        except KeyError:
            return MISS


# -- timed loops: one per call shape -----------------------------------------------


def calls(call: Callable[[str], Any]) -> Loop:
    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            call(key)
        return time.perf_counter_ns() - start

    return loop


def engine_gets(get: Callable[[str, float], Any]) -> Loop:
    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            get(key, 0.0)
        return time.perf_counter_ns() - start

    return loop


def engine_sets(put: Callable[[str, Any, float], Any]) -> Loop:
    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            put(key, key, 0.0)
        return time.perf_counter_ns() - start

    return loop


def peer_sets(setitem: Callable[[str, Any], Any]) -> Loop:
    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            setitem(key, key)
        return time.perf_counter_ns() - start

    return loop


def engine_trace(engine: CacheEngine) -> Loop:
    get, put, miss = engine.get, engine.set, MISS

    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            if get(key, 0.0) is miss:
                put(key, key, 0.0)
        return time.perf_counter_ns() - start

    return loop


def peer_trace(cache: cachetools.Cache[str, Any]) -> Loop:
    get, setitem, absent = cache.get, cache.__setitem__, MISS

    def loop(keys: Sequence[str]) -> int:
        start = time.perf_counter_ns()
        for key in keys:
            if get(key, absent) is absent:
                setitem(key, key)
        return time.perf_counter_ns() - start

    return loop


def chunks(keys: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def ns_per_op(
    repeats: int, contenders: dict[str, Callable[[], Loop]], keys: Sequence[str]
) -> dict[str, float]:
    """Replay ``keys`` ``repeats`` times on each contender, each time on a fresh loop
    (a fresh cache where state matters), taking turns so that every contender meets
    the same load; per contender, the sum over chunks of each chunk's fastest time,
    per operation."""
    parts = list(chunks(keys))
    best = {name: [float("inf")] * len(parts) for name in contenders}
    for _ in range(repeats):
        for name, fresh_loop in contenders.items():
            loop = fresh_loop()
            gc.collect()
            gc.disable()
            try:
                timings = [loop(part) for part in parts]
            finally:
                gc.enable()
            best[name] = [min(a, b) for a, b in zip(best[name], timings, strict=True)]
    return {name: sum(chunk_times) / len(keys) for name, chunk_times in best.items()}


# -- workloads ---------------------------------------------------------------------


def zipf_trace(seed: int, objects: int, requests: int, alpha: float = 1.0) -> list[str]:
    """Keys drawn with probability proportional to 1 / rank**alpha (inverse CDF)."""
    cumulative = list(itertools.accumulate(1.0 / rank**alpha for rank in range(1, objects + 1)))
    total = cumulative[-1]
    names = [f"object:{rank}" for rank in range(objects)]
    rng = random.Random(seed)
    return [
        names[min(bisect.bisect_left(cumulative, rng.random() * total), objects - 1)]
        for _ in range(requests)
    ]


RESIDENT = [f"key:{i}" for i in range(CAPACITY)]


def lookups(count: int) -> list[str]:
    """``count`` reads cycling over the resident keys in a shuffled order."""
    shuffled = RESIDENT[:]
    random.Random(1).shuffle(shuffled)
    return list(itertools.islice(itertools.cycle(shuffled), count))


def full_engine(policy: str) -> CacheEngine:
    engine = engine_for(policy)
    for key in RESIDENT:
        engine.set(key, key, 0.0)
    return engine


def full_peer(policy: str) -> cachetools.Cache[str, Any]:
    cache = peer(policy)
    for key in RESIDENT:
        cache[key] = key
    return cache


def hit_ratios(policy: str, trace: Sequence[str]) -> tuple[float, float]:
    """Hit ratios of the engine and of cachetools on ``trace``, counted outside the
    timed loops (which must not pay for counting)."""
    engine = engine_for(policy)
    engine_trace(engine)(trace)
    cache, hits = peer(policy), 0
    for key in trace:
        if cache.get(key, MISS) is MISS:
            cache[key] = key
        else:
            hits += 1
    return engine.stats.hit_ratio, hits / len(trace)


def measure_floors(ops: int, repeats: int) -> dict[str, float]:
    data = {key: key for key in RESIDENT}
    contenders = {
        "dict.get": lambda: calls(data.get),
        "method": lambda: engine_gets(OneLookup(data).get),
    }
    return ns_per_op(repeats, contenders, lookups(ops))


def measure_policy(policy: str, ops: int, repeats: int, trace: list[str]) -> list[Row]:
    name, mine = PEERS[policy].__name__, f"engine {policy}"
    engine, cache = full_engine(policy), full_peer(policy)
    reads = ns_per_op(
        repeats,
        {mine: lambda: engine_gets(engine.get), name: lambda: calls(cache.__getitem__)},
        lookups(ops),
    )
    writes = ns_per_op(
        repeats,
        {
            mine: lambda: engine_sets(full_engine(policy).set),
            name: lambda: peer_sets(full_peer(policy).__setitem__),
        },
        [f"new:{i}" for i in range(ops)],
    )
    mixed = ns_per_op(
        repeats,
        {mine: lambda: engine_trace(engine_for(policy)), name: lambda: peer_trace(peer(policy))},
        trace,
    )
    engine_hits, peer_hits = hit_ratios(policy, trace)
    return [
        ("get-hit", mine, reads[mine], ""),
        ("get-hit", name, reads[name], ""),
        ("set-evict", mine, writes[mine], ""),
        ("set-evict", name, writes[name], ""),
        ("zipf", mine, mixed[mine], f"hit ratio {engine_hits:.4f}"),
        ("zipf", name, mixed[name], f"hit ratio {peer_hits:.4f}"),
    ]


def print_table(rows: list[Row], floors: dict[str, float]) -> None:
    print(
        f"{'workload':<10} {'implementation':<14} {'ns/op':>7} {'ops/s':>11} "
        f"{'x ct':>5} {'x dict.get':>10} {'x method':>8}  note"
    )
    peers = {(workload, impl): ns for workload, impl, ns, _ in rows}
    for workload, impl, ns, note in rows:
        versus = "-"
        if impl.startswith("engine"):
            versus = f"{ns / peers[(workload, PEERS[impl.split()[-1]].__name__)]:.2f}"
        print(
            f"{workload:<10} {impl:<14} {ns:>7.1f} {1e9 / ns:>11,.0f} {versus:>5} "
            f"{ns / floors['dict.get']:>10.2f} {ns / floors['method']:>8.2f}  {note}"
        )
    print(
        f"floors: dict.get {floors['dict.get']:.1f} ns/op, "
        f"one-lookup method {floors['method']:.1f} ns/op"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="core engine vs cachetools")
    parser.add_argument("--quick", action="store_true", help="shorter loops, fewer repeats")
    args = parser.parse_args(argv)
    ops, requests, repeats = (20_000, 100_000, 5) if args.quick else (100_000, 400_000, 15)
    print(
        f"Python {sys.version.split()[0]}, cachetools {cachetools.__version__}; "
        f"capacity {CAPACITY:,}; {ops:,} reads and writes; Zipf(1.0) trace of "
        f"{requests:,} requests over {OBJECTS:,} objects; {repeats} repeats, "
        f"chunks of {CHUNK:,}"
    )
    trace = zipf_trace(7, OBJECTS, requests)
    floors = measure_floors(ops, repeats)
    rows: list[Row] = []
    for policy in POLICIES:
        rows.extend(measure_policy(policy, ops, repeats, trace))
    print_table(rows, floors)


if __name__ == "__main__":
    main()
