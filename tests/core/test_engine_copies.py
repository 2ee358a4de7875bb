"""Copies and pickles of an engine are independent engines, for every policy."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest

from pepperpy.caching.core import POLICY_NAMES, CacheEngine, RandomPolicy

Copier = Callable[[CacheEngine], CacheEngine]
COPIERS: dict[str, Copier] = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda engine: pickle.loads(pickle.dumps(engine)),
}


def busy(policy: str, max_size: int = 4) -> CacheEngine:
    engine = CacheEngine(max_size, policy, default_ttl=None)
    for i in range(10):
        engine.set(f"k{i}", [i], now=float(i), ttl=None if i % 2 else 100.0)
        engine.get(f"k{i // 2}", now=float(i))
    return engine


def observe(engine: CacheEngine, now: float = 20.0) -> tuple[object, ...]:
    """Everything a caller can see, then a run of writes that make the policy decide."""
    seen: list[object] = [engine.keys(), dict(engine.deadlines), engine.stats]
    seen.append([(e.key, e.value, e.expires_at) for e in engine.entries(now)])
    for i in range(10, 20):
        seen.append([(r.key, r.cause) for r in engine.set(f"k{i}", [i], now)])
        seen.append(engine.get(f"k{i - 3}", now))
    seen.append(engine.expire(200.0))
    seen.append(engine.stats)
    return tuple(seen)


@pytest.mark.parametrize("how", COPIERS)
@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_a_copy_behaves_as_the_original_and_apart_from_it(policy: str, how: str) -> None:
    original, twin = busy(policy), busy(policy)
    clone = COPIERS[how](original)
    assert observe(clone) == observe(twin)
    # Using the copy changed nothing in the original: it still behaves as its twin did.
    assert observe(original) == observe(busy(policy))


@pytest.mark.parametrize("how", COPIERS)
def test_shallow_copies_share_values_deep_copies_do_not(how: str) -> None:
    engine = CacheEngine(4)
    value = [1]
    engine.set("k", value, now=0.0)
    clone = COPIERS[how](engine)
    assert (clone.get("k", 0.0) is value) == (how == "copy")
    clone.set("other", 2, now=0.0)
    clone.delete("k", now=0.0)
    assert engine.keys() == ["k"]
    assert engine.stats.hits == 0


@pytest.mark.parametrize("how", COPIERS)
def test_a_copied_random_policy_draws_from_its_own_generator(how: str) -> None:
    original = CacheEngine(3, RandomPolicy(5))
    for i in range(3):
        original.set(f"k{i}", i, now=0.0)
    clone = COPIERS[how](original)
    drawn_by_clone = [clone.set(f"n{i}", i, now=0.0)[0].key for i in range(20)]
    drawn_by_original = [original.set(f"n{i}", i, now=0.0)[0].key for i in range(20)]
    assert drawn_by_clone == drawn_by_original


def test_a_copy_keeps_the_limits_and_the_policy_kind() -> None:
    engine = CacheEngine(7, "s3fifo", default_ttl=3.0)
    for how, copier in COPIERS.items():
        clone = copier(engine)
        assert (clone.max_size, clone.default_ttl) == (7, 3.0), how
        assert type(clone.policy) is type(engine.policy)
        assert clone.policy is not engine.policy


@pytest.mark.parametrize("policy", POLICY_NAMES)
def test_an_engine_without_removal_records_counts_the_same(policy: str) -> None:
    """removals=False changes what writes return, nothing else; copies keep it."""
    loud = CacheEngine(3, policy)
    quiet = CacheEngine(3, policy, removals=False)
    for i in range(30):
        ttl = 1.0 if i % 3 == 0 else None
        assert loud.set(f"k{i % 7}", i, float(i), ttl) is not None
        assert quiet.set(f"k{i % 7}", i, float(i), ttl) == ()
        loud.get(f"k{i % 5}", float(i))
        quiet.get(f"k{i % 5}", float(i))
    assert loud.expire(100.0) is not None
    assert quiet.expire(100.0) == ()
    assert loud.stats == quiet.stats
    assert loud.keys() == quiet.keys()
    for copier in COPIERS.values():
        assert copier(quiet).set("new", 1, 200.0) == ()
