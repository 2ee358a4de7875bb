"""Exact miss counts on a large skewed trace, against caches written the naive way.

A seeded Zipf trace (alpha 1.0 over 100,000 objects, 200,000 requests) is replayed
through the engine (get; set on a miss) and through small reference caches written
here without the structures the policies use, and the miss counts must be equal, not
merely close.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random

import pytest

from pepperpy.caching.core import MISS, CacheEngine

OBJECTS = 100_000
REQUESTS = 200_000
CAPACITY = 10_000
ALPHA = 1.0
SEED = 20240601


def zipf_trace(seed: int, objects: int, requests: int, alpha: float) -> list[str]:
    """Keys drawn with probability proportional to 1 / rank**alpha (inverse CDF)."""
    cumulative = list(itertools.accumulate(1.0 / rank**alpha for rank in range(1, objects + 1)))
    total = cumulative[-1]
    names = [f"object:{rank}" for rank in range(objects)]
    rng = random.Random(seed)
    pick, draw = bisect.bisect_left, rng.random
    return [names[min(pick(cumulative, draw() * total), objects - 1)] for _ in range(requests)]


@pytest.fixture(scope="module")
def trace() -> list[str]:
    return zipf_trace(SEED, OBJECTS, REQUESTS, ALPHA)


def engine_misses(trace: list[str], policy: str) -> tuple[int, int]:
    engine = CacheEngine(max_size=CAPACITY, policy=policy)
    get, put = engine.get, engine.set
    for key in trace:
        if get(key, 0.0) is MISS:
            put(key, key, 0.0)
    return engine.stats.misses, engine.stats.evictions


def naive_lru_misses(trace: list[str], capacity: int) -> tuple[int, int]:
    """Each key's last use time; the victim is the smallest one (a heap with stale
    entries skipped)."""
    last_use: dict[str, int] = {}
    heap: list[tuple[int, str]] = []
    misses = evictions = 0
    for time, key in enumerate(trace):
        if key not in last_use:
            misses += 1
            if len(last_use) == capacity:
                while True:
                    used, victim = heapq.heappop(heap)
                    if last_use[victim] == used:
                        del last_use[victim]
                        evictions += 1
                        break
        last_use[key] = time
        heapq.heappush(heap, (time, key))
    return misses, evictions


def naive_fifo_misses(trace: list[str], capacity: int) -> tuple[int, int]:
    """A list of keys in arrival order and the index of the oldest one still cached."""
    arrivals: list[str] = []
    oldest = 0
    cached: set[str] = set()
    misses = evictions = 0
    for key in trace:
        if key in cached:
            continue
        misses += 1
        if len(cached) == capacity:
            cached.remove(arrivals[oldest])
            oldest += 1
            evictions += 1
        cached.add(key)
        arrivals.append(key)
    return misses, evictions


def naive_lfu_misses(trace: list[str], capacity: int) -> tuple[int, int]:
    """Use counts and the time each key reached its count; the victim has the lowest
    (count, time) pair (a heap with stale entries skipped). The key just inserted is a
    candidate too."""
    state: dict[str, tuple[int, int]] = {}
    heap: list[tuple[int, int, str]] = []
    misses = evictions = 0
    for time, key in enumerate(trace):
        count = state[key][0] + 1 if key in state else 1
        misses += count == 1
        state[key] = (count, time)
        heapq.heappush(heap, (count, time, key))
        if len(state) > capacity:
            while True:
                count, reached, victim = heapq.heappop(heap)
                if state.get(victim) == (count, reached):
                    del state[victim]
                    evictions += 1
                    break
    return misses, evictions


def test_trace_is_skewed_and_reproducible(trace: list[str]) -> None:
    assert trace[:1000] == zipf_trace(SEED, OBJECTS, 1000, ALPHA)
    top = sum(1 for key in trace if key == "object:0")
    # rank 1 of a Zipf(1.0) over 1e5 objects has probability 1 / H(1e5) ~ 0.083
    assert 0.075 < top / REQUESTS < 0.092
    assert len(set(trace)) > 3 * CAPACITY  # far more objects than the cache holds


@pytest.mark.parametrize(
    ("policy", "reference"),
    [("lru", naive_lru_misses), ("fifo", naive_fifo_misses), ("lfu", naive_lfu_misses)],
)
def test_miss_counts_are_exact(trace: list[str], policy: str, reference: object) -> None:
    assert callable(reference)
    expected = reference(trace, CAPACITY)
    got = engine_misses(trace, policy)
    assert got == expected
    misses, evictions = got
    assert evictions == misses - CAPACITY  # the cache filled, then every miss evicted
    assert CAPACITY < misses < REQUESTS


def test_policies_differ_on_this_trace(trace: list[str]) -> None:
    """The comparison has teeth: the three policies give three different counts."""
    counts = {policy: engine_misses(trace, policy)[0] for policy in ("lru", "fifo", "lfu")}
    assert len(set(counts.values())) == 3, counts
