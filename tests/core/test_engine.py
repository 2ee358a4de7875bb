"""CacheEngine: TTL edges, expiry, reclaiming, eviction, errors, counters."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pepperpy.caching.core import (
    MISS,
    CacheEngine,
    CacheError,
    CacheStats,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    LRUPolicy,
    OrderedStorePolicy,
    RandomPolicy,
    Removal,
    RemovalCause,
    TTLTypeError,
)
from pepperpy.caching.testing import (
    CacheModel,
    FIFOModel,
    LFUModel,
    LRUModel,
    cache_keys,
    invalid_ttls,
    mistyped_ttls,
    operations,
    out_of_range_ttls,
    replay,
    ttls,
)

EXPIRED = RemovalCause.EXPIRED
EVICTED = RemovalCause.EVICTED


def snapshot(engine: CacheEngine, now: float = 0.0) -> tuple[Any, ...]:
    """Everything observable about an engine, to show that a call changed nothing."""
    return (
        engine.keys(),
        dict(engine.deadlines),
        engine.stats,
        len(engine.policy),
        [(e.key, e.value, e.expires_at) for e in engine.entries(now)],
        engine.next_deadline(),
    )


# -- TTL edges ---------------------------------------------------------------------


def test_an_entry_expires_exactly_at_its_deadline() -> None:
    engine = CacheEngine()
    engine.set("k", "v", now=10.0, ttl=5)
    assert engine.get("k", now=14.999) == "v"
    assert engine.contains("k", now=14.999)
    assert engine.get("k", now=15.0) is MISS
    assert not engine.contains("k", now=15.0)
    assert engine.ttl("k", now=15.0) is None
    assert engine.entry("k", now=15.0) is None
    assert engine.entries(15.0) == []
    assert engine.stats == CacheStats(hits=1, misses=1, size=1)


def test_ttl_counts_down_and_is_none_without_expiry_or_entry() -> None:
    engine = CacheEngine()
    engine.set("timed", 1, now=100.0, ttl=timedelta(seconds=30))
    engine.set("forever", 2, now=100.0)
    assert engine.ttl("timed", now=100.0) == 30.0
    assert engine.ttl("timed", now=112.5) == 17.5
    assert engine.ttl("forever", now=1e9) is None
    assert engine.ttl("missing", now=100.0) is None
    entry = engine.entry("timed", now=101.0)
    assert entry is not None
    assert (entry.key, entry.value, entry.expires_at) == ("timed", 1, 130.0)
    assert not entry.is_expired(129.9)
    assert entry.is_expired(130.0)


def test_the_smallest_ttl_never_means_no_expiry() -> None:
    """A TTL too small to move a large clock expires the entry at once: the same write
    reclaims it."""
    engine = CacheEngine()
    assert engine.set("k", "v", now=1e6, ttl=5e-324) == (Removal("k", "v", EXPIRED),)
    assert engine.get("k", now=1e6) is MISS
    assert len(engine) == 0
    assert engine.stats.expirations == 1


def test_overwriting_replaces_the_ttl() -> None:
    engine = CacheEngine()
    engine.set("k", "old", now=0.0, ttl=5)
    engine.set("k", "new", now=1.0, ttl=100)
    assert engine.ttl("k", now=1.0) == 100.0
    assert engine.get("k", now=50.0) == "new"
    assert engine.next_deadline() == 101.0  # the first deadline is stale, not reported
    assert engine.expire(now=6.0) == ()
    assert engine.get("k", now=101.0) is MISS


def test_overwriting_without_ttl_removes_the_expiry() -> None:
    engine = CacheEngine()
    engine.set("k", "old", now=0.0, ttl=5)
    engine.set("k", "new", now=1.0)
    assert engine.ttl("k", now=1.0) is None
    assert dict(engine.deadlines) == {}
    assert engine.next_deadline() is None
    assert engine.get("k", now=1e9) == "new"
    assert engine.expire(now=1e9) == ()


def test_default_ttl_applies_to_writes_without_one() -> None:
    engine = CacheEngine(default_ttl=timedelta(seconds=10))
    assert engine.default_ttl == 10.0
    engine.set("default", 1, now=0.0)
    engine.set("own", 2, now=0.0, ttl=3)
    assert dict(engine.deadlines) == {"default": 10.0, "own": 3.0}
    engine.set("own", 3, now=1.0)  # an overwrite without a TTL gets the default again
    assert engine.ttl("own", now=1.0) == 10.0
    assert engine.get("default", now=10.0) is MISS


def test_overwriting_an_expired_key_is_a_fresh_insert() -> None:
    """LRU: the fresh key is the newest; LFU: its count starts again at 1."""
    lru = CacheEngine(max_size=2, policy="lru")
    lru.set("a", 1, now=0.0, ttl=1)
    lru.set("b", 2, now=0.0)
    assert lru.set("a", 3, now=1.0) == ()  # a was due: dropped, written afresh
    assert lru.stats.expirations == 0  # an overwrite is not an expiration
    assert [r.key for r in lru.set("c", 4, now=1.0)] == ["b"]

    lfu = CacheEngine(max_size=2, policy="lfu")
    lfu.set("a", 1, now=0.0, ttl=1)
    for _ in range(5):
        lfu.get("a", now=0.0)
    lfu.set("b", 2, now=0.0)
    lfu.get("b", now=0.0)
    lfu.set("a", 3, now=1.0)
    policy = lfu.policy
    assert hasattr(policy, "count")
    assert policy.count("a") == 1
    assert [r.key for r in lfu.set("c", 4, now=1.0)] == ["a"]  # a and c tie at 1: a is older

    fifo = CacheEngine(max_size=2, policy="fifo")
    fifo.set("a", 1, now=0.0, ttl=1)
    fifo.set("b", 2, now=0.0)
    fifo.set("a", 3, now=1.0)  # joins the back of the queue
    assert [r.key for r in fifo.set("c", 4, now=1.0)] == ["b"]


def test_overwriting_a_live_key_is_an_access() -> None:
    lru = CacheEngine(max_size=2, policy="lru")
    lru.set("a", 1, now=0.0)
    lru.set("b", 2, now=0.0)
    lru.set("a", 3, now=0.0)
    assert [r.key for r in lru.set("c", 4, now=0.0)] == ["b"]
    lfu = CacheEngine(max_size=3, policy="lfu")
    for key in "abc":
        lfu.set(key, 0, now=0.0)
    lfu.set("a", 1, now=0.0)
    lfu.set("b", 1, now=0.0)
    assert lfu.policy.count("a") == 2  # type: ignore[attr-defined]
    assert [r.key for r in lfu.set("d", 4, now=0.0)] == ["c"]  # c was never overwritten


# -- expiry sweeps -------------------------------------------------------------------


def test_next_deadline_and_expire_go_soonest_first_within_a_limit() -> None:
    engine = CacheEngine()
    assert engine.next_deadline() is None
    assert engine.expire(now=100.0) == ()
    for i, key in enumerate(["e", "a", "d", "b", "c"]):
        engine.set(key, i, now=0.0, ttl=[5, 1, 4, 2, 3][i])
    engine.set("forever", -1, now=0.0)
    assert engine.next_deadline() == 1.0
    assert engine.expire(now=3.5, limit=0) == ()
    assert engine.expire(now=3.5, limit=2) == (
        Removal("a", 1, EXPIRED),
        Removal("b", 3, EXPIRED),
    )
    assert engine.next_deadline() == 3.0
    assert engine.expire(now=3.5) == (Removal("c", 4, EXPIRED),)
    assert engine.next_deadline() == 4.0
    assert engine.stats.expirations == 3
    assert sorted(engine.keys()) == ["d", "e", "forever"]
    assert engine.expire(now=10.0) == (Removal("d", 2, EXPIRED), Removal("e", 0, EXPIRED))
    assert engine.next_deadline() is None
    assert engine.keys() == ["forever"]


def test_expired_entries_stay_until_reclaimed() -> None:
    engine = CacheEngine()
    engine.set("k", "v", now=0.0, ttl=1)
    assert engine.get("k", now=2.0) is MISS
    assert len(engine) == 1
    assert engine.keys() == ["k"]
    assert engine.stats.size == 1
    assert engine.entries(2.0) == []
    assert engine.expire(now=2.0) == (Removal("k", "v", EXPIRED),)
    assert len(engine) == 0


def test_writes_reclaim_expired_entries_nobody_reads() -> None:
    """An unbounded cache fed TTL entries that are never read stays at its live size
    plus a couple of expired entries: each write reclaims up to two."""
    engine = CacheEngine()
    ttl, writes_per_second = 100, 3
    reclaimed = 0
    for i in range(30_000):
        now = float(i // writes_per_second)
        reclaimed += len(engine.set(f"k{i}", i, now=now, ttl=ttl))
        live = sum(1 for at in engine.deadlines.values() if at > now)
        assert len(engine) <= live + 2
    assert len(engine) <= ttl * writes_per_second + 2
    assert reclaimed == engine.stats.expirations == 30_000 - len(engine)
    assert engine.stats.evictions == 0


def test_expired_entries_go_before_a_live_entry_is_evicted() -> None:
    engine = CacheEngine(max_size=3, policy="lru")
    engine.set("old", 1, now=0.0, ttl=1)
    engine.set("b", 2, now=0.0)
    engine.set("c", 3, now=0.0)
    assert engine.set("d", 4, now=1.0) == (Removal("old", 1, EXPIRED),)
    assert sorted(engine.keys()) == ["b", "c", "d"]
    assert engine.stats.evictions == 0
    assert engine.set("e", 5, now=1.0) == (Removal("b", 2, EVICTED),)
    assert engine.stats == CacheStats(size=3, evictions=1, expirations=1)


def test_a_full_write_reclaims_at_most_two_expired_entries() -> None:
    engine = CacheEngine(max_size=4)
    for key in "abcd":
        engine.set(key, key, now=0.0, ttl=1)
    removed = engine.set("e", "e", now=5.0)
    assert [(r.key, r.cause) for r in removed] == [("a", EXPIRED), ("b", EXPIRED)]
    assert sorted(engine.keys()) == ["c", "d", "e"]


def test_heap_stays_bounded_under_rewrites() -> None:
    """Rewriting the same keys with new TTLs leaves stale deadlines behind; they are
    compacted away and never reported."""
    engine = CacheEngine()
    for i in range(10_000):
        engine.set(f"k{i % 10}", i, now=float(i), ttl=1000)
    assert engine.next_deadline() == 9990.0 + 1000
    assert len(engine.expire(now=1e9)) == 10
    assert engine.next_deadline() is None


# -- eviction ------------------------------------------------------------------------


def test_eviction_returns_the_evicted_value() -> None:
    engine = CacheEngine(max_size=1)
    value = object()
    engine.set("a", value, now=0.0)
    (removal,) = engine.set("b", 2, now=0.0)
    assert removal == Removal("a", value, EVICTED)
    assert removal.value is value
    assert engine.stats.evictions == 1


def test_random_eviction_is_reproducible_through_the_engine() -> None:
    def evicted(seed: int) -> list[str]:
        engine = CacheEngine(max_size=5, policy=RandomPolicy(seed))
        return [r.key for i in range(50) for r in engine.set(f"k{i}", i, now=0.0)]

    assert evicted(7) == evicted(7)
    assert evicted(7) != evicted(8)


# -- misuse --------------------------------------------------------------------------

BAD_KEYS = [1, 1.5, b"k", None, ("k",), ["k"], {"k": 1}, {"k"}]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
@pytest.mark.parametrize("call", ["get", "set", "delete", "contains", "ttl", "entry"])
def test_a_key_that_is_not_str_raises_and_changes_nothing(key: Any, call: str) -> None:
    engine = CacheEngine(max_size=2)
    engine.set("k", "v", now=0.0, ttl=5)
    engine.get("k", now=0.0)
    before = snapshot(engine)
    args = (key, "value", 0.0) if call == "set" else (key, 0.0)
    with pytest.raises(InvalidKeyError) as info:
        getattr(engine, call)(*args)
    assert isinstance(info.value, CacheError)
    assert isinstance(info.value, TypeError)
    assert type(key).__name__ in str(info.value)
    assert snapshot(engine) == before


@pytest.mark.parametrize("prefix", [1, None, ("a", "b"), b"a"], ids=repr)
def test_delete_prefix_refuses_a_prefix_that_is_not_str(prefix: Any) -> None:
    engine = CacheEngine()
    for state in ("empty", "filled"):
        with pytest.raises(InvalidKeyError):
            engine.delete_prefix(prefix)
        if state == "empty":
            engine.set("a", 1, now=0.0)
    assert engine.keys() == ["a"]


@given(ttl=invalid_ttls(), key=st.sampled_from(["new", "present"]))
def test_a_bad_ttl_raises_and_changes_nothing(ttl: Any, key: str) -> None:
    engine = CacheEngine(max_size=2)
    engine.set("present", "kept", now=0.0, ttl=5)
    before = snapshot(engine)
    with pytest.raises((InvalidTTLError, TTLTypeError)):
        engine.set(key, "value", now=1.0, ttl=ttl)
    assert snapshot(engine) == before
    assert engine.get("present", now=1.0) == "kept"


@given(ttl=out_of_range_ttls())
def test_out_of_range_ttls_are_value_errors(ttl: Any) -> None:
    with pytest.raises(InvalidTTLError):
        CacheEngine().set("k", 1, now=0.0, ttl=ttl)


@given(ttl=mistyped_ttls())
def test_mistyped_ttls_are_type_errors(ttl: Any) -> None:
    with pytest.raises(TTLTypeError):
        CacheEngine().set("k", 1, now=0.0, ttl=ttl)


@given(ttl=ttls(), now=st.floats(0, 1e6), key=cache_keys())
def test_any_valid_ttl_and_key_are_stored(ttl: Any, now: float, key: str) -> None:
    engine = CacheEngine()
    removed = engine.set(key, "v", now=now, ttl=ttl)
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    if now + seconds > now:
        assert removed == ()
        assert engine.deadlines[key] == now + seconds
        assert engine.get(key, now=now) == "v"
    else:  # too small to move the clock: expired at once, reclaimed by the same write
        assert removed == (Removal(key, "v", EXPIRED),)


@given(ttl=invalid_ttls())
def test_a_bad_default_ttl_is_refused(ttl: Any) -> None:
    with pytest.raises((InvalidTTLError, TTLTypeError)):
        CacheEngine(default_ttl=ttl)


@pytest.mark.parametrize("max_size", [0, -1, 1.5, 10.0, True, "10"], ids=repr)
def test_bad_max_size_is_a_configuration_error(max_size: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        CacheEngine(max_size=max_size)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("max_size", [None, 1, 10**9])
def test_good_max_size(max_size: int | None) -> None:
    assert CacheEngine(max_size=max_size).max_size == max_size


@pytest.mark.parametrize("policy", ["mru", "", 7, object()], ids=repr)
def test_bad_policy_is_a_configuration_error(policy: Any) -> None:
    with pytest.raises(ConfigurationError):
        CacheEngine(policy=policy)


def test_a_policy_already_in_use_is_refused() -> None:
    policy = LRUPolicy()
    CacheEngine(policy=policy).set("k", 1, now=0.0)
    with pytest.raises(ConfigurationError):
        CacheEngine(policy=policy)


# -- deletes -------------------------------------------------------------------------


def test_delete_says_whether_a_live_value_was_removed() -> None:
    engine = CacheEngine()
    engine.set("live", 1, now=0.0)
    engine.set("stale", 2, now=0.0, ttl=1)
    assert engine.delete("live", now=5.0) is True
    assert engine.delete("stale", now=5.0) is False  # expired: dropped, not reported
    assert engine.delete("missing", now=5.0) is False
    assert len(engine) == 0
    assert len(engine.policy) == 0
    assert engine.next_deadline() is None


def test_delete_prefix_takes_glob_characters_literally() -> None:
    engine = CacheEngine()
    keys = ["users:1", "users:2", "users", "users*", "users:*", "[u]x", "[u]", "usersX", "é:1"]
    for key in keys:
        engine.set(key, key, now=0.0)
    assert engine.delete_prefix("users:") == 3
    assert engine.delete_prefix("users*") == 1
    assert engine.delete_prefix("[u]") == 2
    assert engine.delete_prefix("nothing") == 0
    assert sorted(engine.keys()) == ["users", "usersX", "é:1"]
    assert len(engine.policy) == 3
    assert engine.delete_prefix("") == 3
    assert len(engine) == 0


def test_delete_prefix_drops_expired_entries_and_their_deadlines() -> None:
    engine = CacheEngine()
    engine.set("a:1", 1, now=0.0, ttl=1)
    engine.set("a:2", 2, now=0.0, ttl=10)
    engine.set("b:1", 3, now=0.0, ttl=1)
    assert engine.delete_prefix("a:") == 2
    assert dict(engine.deadlines) == {"b:1": 1.0}
    assert engine.expire(now=5.0) == (Removal("b:1", 3, EXPIRED),)


def test_clear_keeps_counters_and_reset_stats_keeps_entries() -> None:
    engine = CacheEngine(max_size=1)
    engine.set("a", 1, now=0.0, ttl=1)
    engine.get("a", now=0.0)
    engine.get("b", now=0.0)
    engine.set("b", 2, now=0.0)
    engine.clear()
    assert engine.stats == CacheStats(hits=1, misses=1, size=0, evictions=1)
    assert engine.next_deadline() is None
    assert len(engine.policy) == 0
    engine.set("c", 3, now=0.0)
    engine.reset_stats()
    assert engine.stats == CacheStats(size=1)
    assert engine.get("c", now=0.0) == 3


# -- counters and answers ------------------------------------------------------------


def test_stats_and_hit_ratio() -> None:
    engine = CacheEngine()
    assert engine.stats.hit_ratio == 0.0
    engine.set("a", 1, now=0.0)
    engine.get("a", now=0.0)
    engine.get("a", now=0.0)
    engine.get("b", now=0.0)
    engine.contains("a", now=0.0)
    engine.ttl("a", now=0.0)
    engine.entry("a", now=0.0)
    engine.entries(0.0)
    stats = engine.stats
    assert (stats.hits, stats.misses, stats.lookups) == (2, 1, 3)
    assert stats.hit_ratio == pytest.approx(2 / 3)


def test_a_stored_none_is_a_hit_and_miss_is_falsy() -> None:
    engine = CacheEngine()
    engine.set("none", None, now=0.0)
    assert engine.get("none", now=0.0) is None
    assert engine.get("missing", now=0.0) is MISS
    assert engine.stats == CacheStats(hits=1, misses=1, size=1)
    assert not MISS
    assert repr(MISS) == "MISS"


def test_deadlines_is_a_live_read_only_view() -> None:
    engine = CacheEngine()
    view = engine.deadlines
    assert not view
    engine.set("k", 1, now=0.0, ttl=2)
    assert dict(view) == {"k": 2.0}
    with pytest.raises(TypeError):
        view["k"] = 99.0  # type: ignore[index]
    assert engine.next_deadline() == 2.0


def test_keys_len_and_membership_include_expired_entries() -> None:
    engine = CacheEngine()
    engine.set("a", 1, now=0.0, ttl=1)
    engine.set("b", 2, now=0.0)
    assert engine.keys() == ["a", "b"]
    assert "a" in engine
    assert [e.key for e in engine.entries(1.0)] == ["b"]
    assert "CacheEngine(max_size=None" in repr(engine)


# -- whole workloads -----------------------------------------------------------------

MODELS = {"lru": LRUModel, "lfu": LFUModel, "fifo": FIFOModel}


@pytest.mark.parametrize("name", sorted(MODELS))
@given(ops=operations(), max_size=st.sampled_from([None, 1, 2, 3]))
def test_workloads_match_the_model(name: str, ops: Any, max_size: int | None) -> None:
    engine = CacheEngine(max_size=max_size, policy=name)
    model = CacheModel(max_size=max_size, policy=MODELS[name]())
    assert replay(engine, ops) == replay(model, ops)
    assert engine.stats == model.stats


@given(ops=operations(), seed=st.integers(0, 2**32), max_size=st.sampled_from([1, 2, 3]))
def test_random_policy_workloads_are_deterministic(ops: Any, seed: int, max_size: int) -> None:
    def run() -> tuple[list[Any], CacheStats]:
        engine = CacheEngine(max_size=max_size, policy=RandomPolicy(random.Random(seed)))
        return replay(engine, ops), engine.stats

    assert run() == run()


def test_miss_itself_cannot_be_stored() -> None:
    engine = CacheEngine(2)
    engine.set("k", 1, now=0.0)
    for key in ("k", "new"):
        with pytest.raises(CacheError, match="MISS"):
            engine.set(key, MISS, now=0.0)
    assert engine.keys() == ["k"]
    assert engine.get("k", 0.0) == 1


@pytest.mark.parametrize("name", ["lru", "fifo"])
def test_lru_and_fifo_engines_keep_values_in_the_policy_store(name: str) -> None:
    """One dict per call: the values live in the policy's own OrderedDict."""
    engine = CacheEngine(3, name)
    policy = engine.policy
    assert isinstance(policy, OrderedStorePolicy)
    for key in "abcd":
        engine.set(key, key.upper(), now=0.0)
    assert dict(policy.ordered_store()) == {"b": "B", "c": "C", "d": "D"}
    engine.get("b", 0.0)
    expected = ["c", "d", "b"] if name == "lru" else ["b", "c", "d"]
    assert list(policy.ordered_store()) == expected
    engine.delete("c", 0.0)
    assert "c" not in policy.ordered_store()
    assert len(policy) == len(engine) == 2
