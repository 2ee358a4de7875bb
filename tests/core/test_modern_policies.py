"""SIEVE, S3-FIFO and W-TinyLFU: the algorithms step by step, against transcriptions of
their papers, inside the engine against a dict model, and their miss ratios on Zipf."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from pepperpy.caching import (
    MISS,
    CacheEngine,
    CapacityAwarePolicy,
    ConfigurationError,
    RemovalCause,
    S3FIFOPolicy,
    SIEVEPolicy,
    TinyLFUPolicy,
)
from pepperpy.caching.core.policies import POLICY_NAMES, make_policy
from pepperpy.caching.core.policies.frequency_sketch import (
    MAX_COUNT,
    FrequencySketch,
    key_slots,
)
from pepperpy.caching.core.simulation import replay

from .reference_policies import s3fifo_misses, sieve_misses, tinylfu_misses

MODERN = ("sieve", "s3fifo", "tinylfu")


def test_names_are_registered() -> None:
    for name, cls in zip(MODERN, (SIEVEPolicy, S3FIFOPolicy, TinyLFUPolicy), strict=True):
        assert name in POLICY_NAMES
        assert type(make_policy(name.upper())) is cls


# -- SIEVE ---------------------------------------------------------------------------


def test_sieve_spares_visited_keys_without_moving_them() -> None:
    policy = SIEVEPolicy()
    for key in "abc":
        policy.record_insert(key)
    policy.record_access("a")
    # Room is made before "d" joins. The hand starts at the tail: "a" was visited,
    # loses its mark and stays; "b" goes.
    assert policy.pop_victim() == "b"
    assert not policy.is_visited("a")
    policy.record_insert("d")
    # The hand stays where it stopped: "c" is next, though "a" is older.
    assert policy.pop_victim() == "c"
    policy.record_insert("e")
    # Past the head (d and e visited) the hand wraps around to the tail: "a".
    policy.record_access("d")
    policy.record_access("e")
    assert policy.pop_victim() == "a"
    policy.record_insert("f")
    assert len(policy) == 3


def test_sieve_clears_every_mark_when_all_keys_were_visited() -> None:
    policy = SIEVEPolicy()
    for key in "abc":
        policy.record_insert(key)
        policy.record_access(key)
    # One full sweep clears a, b and c, then evicts the oldest.
    assert policy.pop_victim() == "a"
    policy.record_insert("d")
    assert not any(policy.is_visited(key) for key in "bcd")


def test_sieve_hit_recorder_is_a_plain_set_add() -> None:
    policy = SIEVEPolicy()
    policy.record_insert("k")
    recorder = policy.access_recorder()
    assert isinstance(recorder, type(set().add))
    recorder("k")
    assert policy.is_visited("k")


def test_sieve_removing_the_key_at_the_hand_moves_the_hand_on() -> None:
    policy = SIEVEPolicy()
    for key in "abcd":
        policy.record_insert(key)
    policy.record_access("a")
    assert policy.pop_victim() == "b"  # the hand now points at "c"
    policy.record_remove("c")
    assert policy.pop_victim() == "d"
    policy.record_insert("e")


def test_sieve_evicts_the_last_key_when_it_is_alone() -> None:
    policy = SIEVEPolicy()
    policy.record_insert("only")
    assert policy.pop_victim() == "only"
    with pytest.raises(LookupError):
        policy.pop_victim()


# -- S3-FIFO -------------------------------------------------------------------------


def filled_s3fifo(capacity: int) -> S3FIFOPolicy:
    policy = S3FIFOPolicy(capacity)
    for index in range(capacity):
        policy.record_insert(f"k{index}")
    return policy


def test_s3fifo_fills_main_once_small_is_full_until_the_first_eviction() -> None:
    policy = filled_s3fifo(10)  # small holds 1, main 9
    assert policy.queue_of("k0") == "small"
    assert {policy.queue_of(f"k{index}") for index in range(1, 10)} == {"main"}


def test_s3fifo_one_hit_wonders_leave_through_the_ghost() -> None:
    policy = filled_s3fifo(10)
    assert policy.pop_victim() == "k0"  # small's tail, never hit: quick demotion
    assert policy.queue_of("k0") == "ghost"
    policy.record_insert("x")
    assert policy.queue_of("x") == "small"
    # A key the ghost remembers comes back straight into main.
    assert policy.pop_victim() == "x"
    policy.record_insert("k0")
    assert policy.queue_of("k0") == "main"
    # Main now holds more than its share: main's tail goes, and not to the ghost.
    assert policy.pop_victim() == "k1"
    policy.record_insert("y")
    assert policy.queue_of("k1") == "absent"


def test_s3fifo_a_hit_in_small_earns_main_with_its_count_reset() -> None:
    policy = filled_s3fifo(10)
    policy.pop_victim()  # k0 leaves
    policy.record_insert("x")  # x is the small queue
    policy.record_access("x")
    assert policy.pop_victim() == "k1"  # x moved to main; main is over its share
    policy.record_insert("y")
    assert policy.queue_of("x") == "main"
    assert policy.frequency("x") == 0


def test_s3fifo_main_reinserts_by_a_two_bit_count() -> None:
    policy = filled_s3fifo(10)
    for _ in range(5):
        policy.record_access("k1")
    assert policy.frequency("k1") == 3  # capped
    policy.record_access("k2")
    policy.pop_victim()  # k0 to the ghost
    policy.record_insert("x")
    assert policy.pop_victim() == "x"
    policy.record_insert("k0")  # back into main: main holds 10 of its 9
    # k1 (3) and k2 (1) are reinserted with one count less; k3 has none and goes.
    assert policy.pop_victim() == "k3"
    policy.record_insert("y")
    assert (policy.frequency("k1"), policy.frequency("k2")) == (2, 0)


def test_s3fifo_ghost_holds_at_most_the_main_share() -> None:
    policy = filled_s3fifo(10)
    for index in range(40):
        policy.pop_victim()
        policy.record_insert(f"new{index}")
    ghosts = [f"new{index}" for index in range(40) if policy.queue_of(f"new{index}") == "ghost"]
    assert len(ghosts) == 9
    assert ghosts == [f"new{index}" for index in range(30, 39)]  # the most recent


def test_s3fifo_a_deleted_key_is_not_remembered() -> None:
    policy = filled_s3fifo(10)
    policy.record_remove("k0")
    assert policy.queue_of("k0") == "absent"
    assert len(policy) == 9


def test_s3fifo_without_capacity_sizes_from_the_keys_it_tracks() -> None:
    policy = S3FIFOPolicy()
    for index in range(20):
        policy.record_insert(f"k{index}")
    assert all(policy.queue_of(f"k{index}") == "small" for index in range(20))
    assert policy.pop_victim() == "k0"
    assert len(policy) == 19


# -- W-TinyLFU -----------------------------------------------------------------------


def test_tinylfu_segment_sizes_follow_caffeine() -> None:
    policy = TinyLFUPolicy(1000)
    for index in range(1000):
        policy.record_insert(f"k{index}")
    segments = [policy.segment_of(f"k{index}") for index in range(1000)]
    assert segments.count("window") == 10
    assert segments.count("probation") == 990
    for index in range(900):
        policy.record_access(f"k{index}")
    segments = [policy.segment_of(f"k{index}") for index in range(1000)]
    assert segments.count("protected") == int(990 * 0.8)


def filled_tinylfu() -> TinyLFUPolicy:
    # Capacity 100: a window of 1, main of 99 (probation, protected up to 79).
    policy = TinyLFUPolicy(100)
    for index in range(100):
        policy.record_insert(f"k{index}")
    return policy


def test_tinylfu_rejects_a_candidate_no_more_frequent_than_the_victim() -> None:
    policy = filled_tinylfu()
    assert policy.segment_of("k99") == "window"
    # Room for a newcomer: k99 leaves the window as the candidate against k0,
    # probation's oldest: both seen once, and a tie keeps the victim.
    assert policy.pop_victim() == "k99"
    assert policy.last_rejected()
    policy.record_insert("new")
    assert policy.segment_of("k0") == "probation"
    assert policy.segment_of("new") == "window"


def test_tinylfu_admits_a_candidate_seen_more_often_than_the_victim() -> None:
    policy = filled_tinylfu()
    for _ in range(3):  # the sketch outlives the entry: "hot" was here before
        policy.record_insert("hot")
        policy.record_remove("hot")
    policy.record_insert("hot")  # the cache has 101 keys: k99 went to probation
    policy.record_remove("k99")
    assert policy.frequency("hot") == 4
    assert policy.pop_victim() == "k0"
    assert not policy.last_rejected()
    assert policy.segment_of("hot") == "probation"
    policy.record_insert("next")


def test_tinylfu_probation_hit_promotes_and_protected_overflow_demotes() -> None:
    policy = filled_tinylfu()
    for index in range(79):
        policy.record_access(f"k{index}")
    assert policy.segment_of("k0") == "protected"
    policy.record_access("k79")  # protected is full: its least recent, k0, goes back
    assert policy.segment_of("k79") == "protected"
    assert policy.segment_of("k0") == "probation"
    # k0 is now probation's most recent: k80 is the victim, and wins the tie.
    assert policy.pop_victim() == "k99"
    policy.record_insert("new")
    assert policy.pop_victim() == "new"
    policy.record_insert("newer")
    assert policy.segment_of("k80") == "probation"


def test_tinylfu_without_capacity_evicts_least_recently_used() -> None:
    policy = TinyLFUPolicy()
    for key in "abcd":
        policy.record_insert(key)
    policy.record_access("a")
    assert [policy.pop_victim() for _ in range(4)] == ["b", "c", "d", "a"]


def test_frequency_sketch_counts_saturate_and_age() -> None:
    sketch = FrequencySketch(64)
    hot, cold = sketch.slots("hot"), sketch.slots("cold")
    for _ in range(20):
        sketch.increment(hot)
    sketch.increment(cold)
    assert sketch.frequency(hot) == MAX_COUNT
    assert sketch.frequency(cold) >= 1
    others = 0
    while True:  # count other keys until the reset halves every counter
        before = sketch.additions
        sketch.increment(sketch.slots(f"other{others}"))
        others += 1
        if sketch.additions < before:
            break
    assert others < sketch.sample_size
    assert 7 <= sketch.frequency(hot) <= 8


@given(st.lists(st.integers(0, 300), max_size=400))
def test_frequency_sketch_never_underestimates_before_a_reset(ids: list[int]) -> None:
    sketch = FrequencySketch(1000)  # no reset within 400 increments
    counts: dict[int, int] = {}
    for id_ in ids:
        sketch.increment(sketch.slots(f"key{id_}"))
        counts[id_] = counts.get(id_, 0) + 1
    for id_, count in counts.items():
        assert sketch.frequency(sketch.slots(f"key{id_}")) >= min(count, MAX_COUNT)


def test_sketch_hashing_does_not_depend_on_the_process_hash_seed() -> None:
    # str hashes are salted per process; the sketch and so the evictions must not be.
    script = textwrap.dedent(
        """
        from pepperpy.caching.core.policies.frequency_sketch import key_slots
        from pepperpy.caching.core.simulation import replay
        keys = [f"k{i % 97}:{i % 13}" for i in range(3000)]
        print(key_slots("ключ", 4095), replay(keys, "tinylfu", 50))
        """
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(done.stdout)
    assert outputs == {f"{key_slots('ключ', 4095)} {replay(_seeded_keys(), 'tinylfu', 50)}\n"}


def _seeded_keys() -> list[str]:
    return [f"k{i % 97}:{i % 13}" for i in range(3000)]


def test_key_slots_stay_in_one_block_one_per_quarter() -> None:
    slots = key_slots("some key", 1023)
    blocks = {slot >> 6 for slot in slots}
    assert len(blocks) == 1
    assert [(slot & 63) >> 4 for slot in slots] == [0, 1, 2, 3]


def test_surrogates_in_keys_are_hashed_too() -> None:
    policy = TinyLFUPolicy(8)
    policy.record_insert("\ud800 lone surrogate")
    assert len(policy) == 1


# -- capacity --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [S3FIFOPolicy, TinyLFUPolicy])
def test_the_engine_binds_its_capacity(cls: type[S3FIFOPolicy | TinyLFUPolicy]) -> None:
    policy = cls(max_size=5)
    assert isinstance(policy, CapacityAwarePolicy)
    assert CacheEngine(100, policy).policy.capacity == 100
    assert CacheEngine(None, cls(max_size=5)).policy.capacity is None
    assert CacheEngine(7, cls.__name__.removesuffix("Policy").lower()).policy.capacity == 7


@pytest.mark.parametrize("cls", [S3FIFOPolicy, TinyLFUPolicy])
@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_capacity_must_be_a_positive_int(
    cls: type[S3FIFOPolicy | TinyLFUPolicy], bad: object
) -> None:
    with pytest.raises(ConfigurationError):
        cls(max_size=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", [S3FIFOPolicy, TinyLFUPolicy])
def test_capacity_cannot_change_under_tracked_keys(
    cls: type[S3FIFOPolicy | TinyLFUPolicy],
) -> None:
    policy = cls(max_size=5)
    policy.record_insert("k")
    with pytest.raises(ConfigurationError):
        policy.bind_capacity(10)


@pytest.mark.parametrize("name", MODERN)
def test_an_unbounded_engine_never_evicts(name: str) -> None:
    engine = CacheEngine(None, name)
    for index in range(500):
        assert engine.set(f"k{index}", index, 0.0) == ()
    assert len(engine) == len(engine.policy) == 500


@pytest.mark.parametrize("name", MODERN)
def test_clear_starts_afresh(name: str) -> None:
    keys = [f"k{index % 37}" for index in range(400)]

    def misses(engine: CacheEngine) -> int:
        engine.reset_stats()
        for key in keys:
            if engine.get(key, 0.0) is MISS:
                engine.set(key, 1, 0.0)
        return engine.stats.misses

    used = CacheEngine(10, name)
    misses(used)
    used.clear()
    assert len(used.policy) == 0
    assert misses(used) == misses(CacheEngine(10, name))


# -- exactness against the papers' algorithms ----------------------------------------

REFERENCES: dict[str, Callable[[Sequence[str], int], int]] = {
    "sieve": sieve_misses,
    "s3fifo": s3fifo_misses,
    "tinylfu": tinylfu_misses,
}


@pytest.mark.parametrize("name", MODERN)
@given(
    keys=st.lists(st.integers(0, 24).map(str), max_size=300),
    size=st.integers(1, 12),
)
def test_replay_matches_the_reference_algorithm(name: str, keys: list[str], size: int) -> None:
    assert replay(keys, name, size) == REFERENCES[name](keys, size)


@pytest.mark.parametrize("name", MODERN)
def test_replay_matches_the_reference_on_a_skewed_trace(name: str, zipf_keys: list[str]) -> None:
    keys = zipf_keys[:20_000]
    assert replay(keys, name, 500) == REFERENCES[name](keys, 500)


# -- inside the engine, against a dict model -----------------------------------------


class EngineAgainstModel(RuleBasedStateMachine):
    """A CacheEngine on one policy next to a dict: same answers, same counters."""

    policy_name = "lru"
    KEYS = st.sampled_from([f"key{index}" for index in range(9)])

    def __init__(self) -> None:
        super().__init__()
        self.engine = CacheEngine(1, self.policy_name)
        self.model: dict[str, tuple[int, float | None]] = {}
        self.now = 0.0
        self.hits = self.misses = self.evictions = self.expirations = self.rejections = 0

    @initialize(max_size=st.integers(1, 6))
    def start(self, max_size: int) -> None:
        self.engine = CacheEngine(max_size, self.policy_name)

    def _live(self, key: str) -> bool:
        entry = self.model.get(key)
        return entry is not None and (entry[1] is None or entry[1] > self.now)

    def _removed(self, removals: Sequence[object]) -> None:
        for removal in removals:
            key, value, cause = removal  # type: ignore[misc]
            assert self.model[key][0] == value
            if cause is RemovalCause.EVICTED:
                self.evictions += 1
            elif cause is RemovalCause.REJECTED:
                self.rejections += 1
            else:
                assert not self._live(key)
                self.expirations += 1
            del self.model[key]

    @rule(key=KEYS, value=st.integers(), ttl=st.none() | st.sampled_from([1.0, 2.5]))
    def set(self, key: str, value: int, ttl: float | None) -> None:
        removals = self.engine.set(key, value, self.now, ttl)
        self.model[key] = (value, None if ttl is None else self.now + ttl)
        assert key not in [removal.key for removal in removals], "the write was evicted"
        self._removed(removals)

    @rule(key=KEYS)
    def get(self, key: str) -> None:
        found = self.engine.get(key, self.now)
        if self._live(key):
            self.hits += 1
            assert found == self.model[key][0]
        else:
            self.misses += 1
            assert found is MISS

    @rule(key=KEYS)
    def delete(self, key: str) -> None:
        assert self.engine.delete(key, self.now) is self._live(key)
        self.model.pop(key, None)

    @rule(seconds=st.sampled_from([0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule()
    def expire(self) -> None:
        removals = self.engine.expire(self.now)
        assert all(removal.cause is RemovalCause.EXPIRED for removal in removals)
        self._removed(removals)

    @rule()
    def clear(self) -> None:
        self.engine.clear()
        self.model.clear()

    @invariant()
    def agrees_with_the_model(self) -> None:
        engine = self.engine
        assert engine.max_size is not None
        assert len(engine) <= engine.max_size
        assert sorted(engine.keys()) == sorted(self.model)
        assert len(engine.policy) == len(engine)
        stats = engine.stats
        assert (stats.hits, stats.misses) == (self.hits, self.misses)
        assert (stats.evictions, stats.expirations) == (self.evictions, self.expirations)
        assert stats.rejections == self.rejections

    @invariant()
    def policy_structure_holds(self) -> None:
        policy = self.engine.policy
        keys = [f"key{index}" for index in range(9)]
        if isinstance(policy, S3FIFOPolicy):
            capacity = self.engine.max_size or 1
            ghosts = sum(policy.queue_of(key) == "ghost" for key in keys)
            assert ghosts <= capacity - max(1, capacity // 10)
            for key in self.model:
                assert policy.queue_of(key) in ("small", "main")
                assert 0 <= policy.frequency(key) <= 3
        elif isinstance(policy, TinyLFUPolicy):
            segments = [policy.segment_of(key) for key in keys]
            assert sum(segment != "absent" for segment in segments) == len(self.model)
            assert segments.count("window") <= 1
        elif isinstance(policy, SIEVEPolicy):
            assert all(not policy.is_visited(key) for key in keys if key not in self.model)


class SIEVEMachine(EngineAgainstModel):
    policy_name = "sieve"


class S3FIFOMachine(EngineAgainstModel):
    policy_name = "s3fifo"


class TinyLFUMachine(EngineAgainstModel):
    policy_name = "tinylfu"


TestSIEVEAgainstModel = SIEVEMachine.TestCase
TestS3FIFOAgainstModel = S3FIFOMachine.TestCase
TestTinyLFUAgainstModel = TinyLFUMachine.TestCase


# -- miss ratios on Zipf ---------------------------------------------------------------

ZIPF_OBJECTS = 100_000
ZIPF_REQUESTS = 1_000_000
ZIPF_CACHE = 10_000


def zipf_trace(objects: int, requests: int, seed: int) -> list[str]:
    """Requests drawn from Zipf(1.0) over ``objects`` ids, ids shuffled."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, objects + 1)
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ranks = np.searchsorted(cdf, rng.random(requests), side="right")
    ids = rng.permutation(objects)[ranks]
    names = [f"obj{id_}" for id_ in range(objects)]
    return [names[id_] for id_ in ids.tolist()]


@pytest.fixture(scope="module")
def zipf_keys() -> list[str]:
    return zipf_trace(ZIPF_OBJECTS, ZIPF_REQUESTS, seed=20240501)


@pytest.fixture(scope="module")
def zipf_miss_ratios(zipf_keys: list[str]) -> dict[str, float]:
    return {
        name: replay(zipf_keys, name, ZIPF_CACHE) / len(zipf_keys)
        for name in ("lru", "s3fifo", "tinylfu")
    }


def test_the_zipf_trace_has_about_80k_distinct_objects(zipf_keys: list[str]) -> None:
    assert 78_000 <= len(set(zipf_keys)) <= 83_000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["s3fifo", "tinylfu"])
def test_beats_lru_by_three_points_on_zipf(name: str, zipf_miss_ratios: dict[str, float]) -> None:
    assert zipf_miss_ratios[name] <= zipf_miss_ratios["lru"] - 0.03


@pytest.mark.slow
@pytest.mark.parametrize(("name", "published"), [("tinylfu", 0.219), ("s3fifo", 0.221)])
def test_zipf_miss_ratio_matches_the_published_one(
    name: str, published: float, zipf_miss_ratios: dict[str, float]
) -> None:
    assert abs(zipf_miss_ratios[name] - published) <= 0.01
