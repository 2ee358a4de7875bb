"""The byte bound: weights summed exactly, room made first, heavy values refused."""

from __future__ import annotations

import copy
import pickle
import sys
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pepperpy.caching.core import (
    MISS,
    POLICY_NAMES,
    CacheEngine,
    ConfigurationError,
    InvalidKeyError,
    RemovalCause,
)
from pepperpy.caching.core.weights import estimate_size


def by_length(key: str, value: Any) -> int:
    return len(value)


def test_the_default_weigher_is_the_shallow_size_of_key_and_value() -> None:
    assert estimate_size("k", b"x" * 100) == sys.getsizeof("k") + sys.getsizeof(b"x" * 100)
    engine = CacheEngine(max_bytes=10_000)
    engine.set("k", b"x" * 100, now=0.0)
    assert engine.weight == engine.stats.weight == estimate_size("k", b"x" * 100)


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_room_is_made_in_bytes_before_the_newcomer_joins(policy: str) -> None:
    engine = CacheEngine(None, policy, max_bytes=10, weigher=by_length)
    for key in "abcde":
        assert engine.set(key, "xx", now=0.0) == ()
    assert engine.weight == 10
    removed = engine.set("big", "x" * 7, now=0.0)  # needs 7: four entries of 2 go
    assert len(removed) == 4
    assert all(r.cause in (RemovalCause.EVICTED, RemovalCause.REJECTED) for r in removed)
    assert "big" in engine
    assert engine.weight == 9
    assert engine.stats.evictions + engine.stats.rejections == 4


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_a_value_heavier_than_the_bound_is_refused_and_evicts_nothing(policy: str) -> None:
    engine = CacheEngine(None, policy, max_bytes=10, weigher=by_length)
    engine.set("a", "xxxx", now=0.0)
    engine.set("huge", "old", now=0.0)
    (removal,) = engine.set("huge", "x" * 11, now=0.0)
    assert (removal.key, removal.value, removal.cause) == ("huge", "x" * 11, RemovalCause.REJECTED)
    assert engine.keys() == ["a"]  # the older value under the key went too
    assert engine.get("huge", 0.0) is MISS
    assert engine.weight == 4
    assert (engine.stats.evictions, engine.stats.rejections) == (0, 1)


def test_an_overwrite_that_grows_past_the_bound_makes_room_among_the_others() -> None:
    engine = CacheEngine(None, "lfu", max_bytes=10, weigher=by_length)
    engine.set("a", "xxx", now=0.0)
    for _ in range(5):
        engine.get("a", 0.0)  # "a" is the most used key: LFU's first choice otherwise
    engine.set("b", "xxx", now=0.0)
    engine.set("c", "xxx", now=0.0)
    removed = engine.set("a", "x" * 6, now=0.0)
    assert [r.key for r in removed] == ["b"]
    assert sorted(engine.keys()) == ["a", "c"]
    assert engine.weight == 9


def test_both_bounds_hold_together() -> None:
    engine = CacheEngine(3, "lru", max_bytes=100, weigher=by_length)
    for key in "abcd":
        engine.set(key, "x", now=0.0)
    assert engine.keys() == ["b", "c", "d"]
    assert engine.weight == 3


def test_a_weigher_without_a_bound_only_sums() -> None:
    engine = CacheEngine(2, weigher=by_length)
    engine.set("a", "x" * 1000, now=0.0)
    engine.set("b", "x" * 5, now=0.0)
    assert engine.max_bytes is None
    assert engine.weight == 1005
    assert engine.weight_of("a") == 1000
    assert CacheEngine(2).stats.weight is None


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "10"])
def test_bad_max_bytes_is_a_configuration_error(bad: Any) -> None:
    with pytest.raises(ConfigurationError):
        CacheEngine(max_bytes=bad)


@pytest.mark.parametrize("bad", [-1, 1.5, True, None, "3"])
def test_a_weigher_returning_a_bad_weight_changes_nothing(bad: Any) -> None:
    engine = CacheEngine(max_bytes=10, weigher=lambda key, value: value)
    engine.set("k", 3, now=0.0)
    with pytest.raises(ConfigurationError, match="weigher"):
        engine.set("k", bad, now=0.0)
    with pytest.raises(ConfigurationError, match="weigher"):
        engine.set("new", bad, now=0.0)
    assert engine.keys() == ["k"]
    assert engine.weight == 3
    with pytest.raises(ConfigurationError):
        CacheEngine(weigher=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        engine.set(1, 1, now=0.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "copier", [copy.copy, copy.deepcopy, lambda e: pickle.loads(pickle.dumps(e))]
)
def test_copies_keep_their_own_weights(copier: Any) -> None:
    engine = CacheEngine(None, "lru", max_bytes=10, weigher=by_length)
    engine.set("a", "xxxx", now=0.0)
    clone = copier(engine)
    clone.set("b", "xxxxxx", now=0.0)
    clone.set("c", "xx", now=0.0)
    assert (clone.weight, engine.weight) == (8, 4)
    assert engine.keys() == ["a"]


KEYS = st.sampled_from([f"k{i}" for i in range(6)])
SIZES = st.integers(0, 12)


class WeightMachine(RuleBasedStateMachine):
    """Any policy, both bounds, TTLs: the sum never drifts from the weights."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = CacheEngine(None, "lru", max_bytes=10, weigher=by_length)
        self.now = 0.0

    @initialize(
        policy=st.sampled_from(POLICY_NAMES),
        max_size=st.sampled_from([None, 2, 4]),
        max_bytes=st.integers(1, 16),
    )
    def build(self, policy: str, max_size: int | None, max_bytes: int) -> None:
        self.engine = CacheEngine(max_size, policy, max_bytes=max_bytes, weigher=by_length)

    @rule(key=KEYS, size=SIZES, ttl=st.sampled_from([None, None, 1.0, 2.0]))
    def set(self, key: str, size: int, ttl: float | None) -> None:
        engine = self.engine
        before = set(engine.keys())
        removed = engine.set(key, "x" * size, self.now, ttl)
        assert engine.max_bytes is not None
        if size > engine.max_bytes:
            assert [(r.key, r.cause) for r in removed] == [(key, RemovalCause.REJECTED)]
            assert key not in engine
            assert set(engine.keys()) <= before
        else:
            assert key in engine, "the write was evicted"
            assert all(r.key != key for r in removed)
            assert engine.weight_of(key) == size
        for removal in removed:
            if removal.key != key:
                assert removal.key not in engine

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        self.engine.get(key, self.now)

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        self.engine.delete(key, self.now)

    @rule(seconds=st.sampled_from([0.5, 1.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule()
    def expire(self) -> None:
        self.engine.expire(self.now)

    @rule()
    def clear(self) -> None:
        self.engine.clear()

    @invariant()
    def the_sum_is_the_sum_of_the_weights(self) -> None:
        engine = self.engine
        stored = engine.keys()
        weights = [engine.weight_of(key) for key in stored]
        assert None not in weights
        assert engine.weight == sum(w for w in weights if w is not None)
        assert engine.max_bytes is not None
        assert engine.weight <= engine.max_bytes
        assert engine.max_size is None or len(engine) <= engine.max_size
        assert len(engine.policy) == len(engine)
        live = [e.key for e in engine.entries(self.now)]
        assert engine.live_size(self.now) == len(live)


TestWeights = WeightMachine.TestCase
TestWeights.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
