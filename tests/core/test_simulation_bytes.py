"""Replay with a cache bounded in bytes: against the entry-bounded engine when every
object weighs one byte, and against a plain LRU model with sizes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching import ConfigurationError, RandomPolicy
from pepperpy.caching.core.policies import POLICY_NAMES
from pepperpy.caching.core.simulation import replay, simulate
from pepperpy.caching.core.simulation_bytes import (
    ByteReplay,
    entries_of_mean_size,
    replay_bytes,
)

traces = st.lists(st.integers(0, 15).map(str), max_size=200)
sized = st.lists(st.tuples(st.integers(0, 12).map(str), st.integers(1, 40)), max_size=200)


def lru_model(keys: Sequence[str], sizes: Sequence[int], max_bytes: int) -> ByteReplay:
    """A byte-bounded read-through LRU cache, as plainly as it can be written."""
    held: OrderedDict[str, int] = OrderedDict()
    misses = missed = 0
    for key, size in zip(keys, sizes, strict=True):
        if key in held:
            held.move_to_end(key)
            continue
        misses += 1
        missed += size
        if size > max_bytes:
            continue
        held[key] = size
        while sum(held.values()) > max_bytes:
            held.popitem(last=False)
    return ByteReplay(misses, missed)


@given(keys=traces, size=st.integers(1, 10), name=st.sampled_from(POLICY_NAMES))
def test_objects_of_one_byte_replay_as_entries(keys: list[str], size: int, name: str) -> None:
    ones = [1] * len(keys)
    if name == "random":  # the same seed on both sides
        counted = replay_bytes(keys, ones, RandomPolicy(rng=7), size)
        assert counted.misses == replay(keys, RandomPolicy(rng=7), size)
    else:
        assert replay_bytes(keys, ones, name, size).misses == replay(keys, name, size)


@given(requests=sized, max_bytes=st.integers(1, 120))
def test_lru_by_bytes_matches_the_model(requests: list[tuple[str, int]], max_bytes: int) -> None:
    keys = [key for key, _ in requests]
    sizes = [size for _, size in requests]
    assert replay_bytes(keys, sizes, "lru", max_bytes) == lru_model(keys, sizes, max_bytes)


@given(requests=sized, max_bytes=st.integers(1, 120), name=st.sampled_from(POLICY_NAMES))
def test_every_policy_keeps_the_bound(
    requests: list[tuple[str, int]], max_bytes: int, name: str
) -> None:
    keys = [key for key, _ in requests]
    sizes = [size for _, size in requests]
    counted = replay_bytes(keys, sizes, name, max_bytes)
    # A key requested only at sizes over the bound is never stored: it misses every time.
    # (A key stored once at a size that fits is a hit later, whatever size is asked.)
    fits = {key for key, size in requests if size <= max_bytes}
    never_stored = sum(1 for key in keys if key not in fits)
    assert counted.misses >= max(len(set(keys)), never_stored)
    assert counted.missed_bytes <= sum(sizes)
    # A cache as large as everything misses each object once only (its first request).
    whole = replay_bytes(keys, sizes, name, max(1, sum(sizes)))
    first_sizes = dict(zip(reversed(keys), reversed(sizes), strict=True))
    assert whole == ByteReplay(len(first_sizes), sum(first_sizes.values()))


def test_an_object_larger_than_the_cache_is_not_stored_and_evicts_nothing() -> None:
    keys = ["a", "big", "a", "big", "a"]
    counted = replay_bytes(keys, [10, 500, 10, 500, 10], "lru", 100)
    assert counted == ByteReplay(misses=3, missed_bytes=1010)


def test_an_object_keeps_the_size_it_came_in_with() -> None:
    # "a" comes in at 60 bytes; a later hit says 90, which would not fit beside "b".
    keys, sizes = ["a", "b", "a", "b"], [60, 40, 90, 40]
    assert replay_bytes(keys, sizes, "lru", 100) == ByteReplay(misses=2, missed_bytes=100)


def test_capacity_aware_policies_get_the_entries_of_mean_size() -> None:
    keys, sizes = ["a", "b", "a", "c"], [100, 300, 100, 200]
    assert entries_of_mean_size(keys, sizes, 1000) == 5  # mean 200 bytes
    assert entries_of_mean_size(keys, sizes, 10) == 1
    assert entries_of_mean_size([], [], 10) == 1


def test_bad_arguments() -> None:
    with pytest.raises(ConfigurationError, match="max_bytes"):
        replay_bytes(["a"], [1], "lru", 0)
    with pytest.raises(ConfigurationError, match="1 requests but 2 sizes"):
        replay_bytes(["a"], [1, 2], "lru", 10)


def test_simulate_by_bytes_counts_bytes_and_leaves_belady_out() -> None:
    keys = [str(i % 7) for i in range(50)]
    sizes = [10 * (1 + i % 7) for i in range(50)]
    results = simulate(keys, ["lru", "fifo"], [100, 200], object_sizes=sizes)
    assert [(r.policy, r.size) for r in results] == [
        ("lru", 100), ("lru", 200), ("fifo", 100), ("fifo", 200)
    ]  # fmt: skip
    first = results[0]
    assert first.by_bytes
    assert first.requested_bytes == sum(sizes)
    expected = lru_model(keys, sizes, 100)
    assert (first.misses, first.missed_bytes) == (expected.misses, expected.missed_bytes)
    assert first.byte_miss_ratio == first.missed_bytes / sum(sizes)
    plain = simulate(keys, ["lru"], [3], belady=False)[0]
    assert not plain.by_bytes
    assert plain.byte_miss_ratio == 0.0
