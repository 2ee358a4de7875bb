"""Trace replay and Belady's optimum."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching import ConfigurationError, LRUPolicy
from pepperpy.caching.core.policies import POLICY_NAMES
from pepperpy.caching.core.simulation import (
    BELADY,
    SimulationResult,
    belady_misses,
    next_uses,
    replay,
    simulate,
)

traces = st.lists(st.integers(0, 15).map(str), max_size=200)


def brute_force_fewest_misses(keys: Sequence[str], size: int) -> int:
    """Every choice of what to keep, tried: the fewest misses over all of them."""
    best: dict[frozenset[str], int] = {frozenset(): 0}
    for key in keys:
        following: dict[frozenset[str], int] = {}
        for cached, misses in best.items():
            if key in cached:
                options = [(cached, misses)]
            elif len(cached) < size:
                options = [(cached | {key}, misses + 1)]
            else:
                options = [(cached, misses + 1)]  # not kept at all
                options += [((cached - {old}) | {key}, misses + 1) for old in cached]
            for state, count in options:
                if count < following.get(state, count + 1):
                    following[state] = count
        best = following
    return min(best.values())


def test_next_uses() -> None:
    assert next_uses(["a", "b", "a", "c", "b", "a"]) == [2, 4, 5, 9, 10, 11]
    assert next_uses([]) == []


@given(keys=st.lists(st.sampled_from("abcde"), max_size=11), size=st.integers(1, 3))
def test_belady_is_the_true_optimum(keys: list[str], size: int) -> None:
    assert belady_misses(keys, size) == brute_force_fewest_misses(keys, size)


@given(keys=traces, size=st.integers(1, 10))
def test_no_policy_beats_belady(keys: list[str], size: int) -> None:
    fewest = belady_misses(keys, size)
    for name in POLICY_NAMES:
        assert fewest <= replay(keys, name, size)


def test_belady_counts_first_requests_as_misses() -> None:
    assert belady_misses([str(index) for index in range(50)], 10) == 50
    assert belady_misses(["a"] * 10, 1) == 1


def test_belady_keeps_the_key_needed_soonest() -> None:
    # Room for 2: at "c", "a" is needed next and "b" last, so "b" makes way.
    assert belady_misses(list("abcacb"), 2) == 4
    assert replay(list("abcacb"), "lru", 2) == 5
    # A key never requested again is not kept at all.
    assert belady_misses(list("abcab"), 2) == 3


def linear_scan_belady(keys: Sequence[str], size: int) -> int:
    """Belady's MIN with a linear scan for the furthest next use at each miss."""
    upcoming = next_uses(keys)
    cached: dict[str, int] = {}
    misses = 0
    for key, next_use in zip(keys, upcoming, strict=True):
        if key not in cached:
            misses += 1
            if len(cached) == size:
                furthest = max(cached, key=cached.__getitem__)
                if cached[furthest] < next_use:
                    continue
                del cached[furthest]
        cached[key] = next_use
    return misses


@pytest.mark.parametrize("size", [1, 6, 40])
def test_belady_on_a_long_trace(size: int) -> None:
    keys = [str((index * index) % 97 + index % 5) for index in range(30_000)]
    assert belady_misses(keys, size) == linear_scan_belady(keys, size)


@pytest.mark.parametrize("size", [0, -1, True, 1.5])
def test_belady_rejects_bad_sizes(size: object) -> None:
    with pytest.raises(ConfigurationError):
        belady_misses(["a"], size)  # type: ignore[arg-type]


def test_replay_counts_misses_of_a_read_through_cache() -> None:
    keys = [str(index * 7 % 23) for index in range(500)]
    order: OrderedDict[str, None] = OrderedDict()
    expected = 0
    for key in keys:
        if key in order:
            order.move_to_end(key)
            continue
        expected += 1
        order[key] = None
        if len(order) > 5:
            order.popitem(last=False)
    done: list[int] = []
    assert replay(keys, "lru", 5, progress=done.append) == expected
    assert sum(done) == len(keys)


def test_simulate_covers_every_policy_and_size_then_belady() -> None:
    keys = [str(index * 5 % 17) for index in range(300)]
    results = simulate(keys, ["lru", LRUPolicy], [3, 8])
    assert [(r.policy, r.size) for r in results] == [
        ("lru", 3),
        ("lru", 8),
        ("LRUPolicy", 3),
        ("LRUPolicy", 8),
        (BELADY, 3),
        (BELADY, 8),
    ]
    assert results[0].misses == results[2].misses == replay(keys, "lru", 3)
    assert all(r.requests == 300 for r in results)
    assert simulate(keys, ["fifo"], [3], belady=False)[-1].policy == "fifo"


def test_result_ratios() -> None:
    result = SimulationResult("lru", 10, requests=8, misses=2)
    assert (result.miss_ratio, result.hit_ratio) == (0.25, 0.75)
    empty = SimulationResult("lru", 10, requests=0, misses=0)
    assert (empty.miss_ratio, empty.hit_ratio) == (0.0, 0.0)
