"""The contract every eviction policy keeps, run on every name in POLICY_NAMES, and the
eviction order each built-in policy promises."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pepperpy.caching.core import (
    POLICY_NAMES,
    CacheEngine,
    CachePolicy,
    ConfigurationError,
    FIFOPolicy,
    LFUPolicy,
    LRUPolicy,
    OrderedStorePolicy,
    RandomPolicy,
    RemovalCause,
    make_policy,
)
from pepperpy.caching.testing import POLICY_MODELS, AnyKeyModel, PolicyModel

KEYS = [f"k{i}" for i in range(6)]
STEP_KINDS = ("insert", "insert", "access", "access", "remove", "pop")


@pytest.fixture(params=POLICY_NAMES, scope="module")
def name(request: pytest.FixtureRequest) -> str:
    """Each policy name the caches accept, those added later included."""
    return str(request.param)


def filled(name: str, keys: list[str] = KEYS) -> CachePolicy:
    policy = make_policy(name)
    for key in keys:
        policy.record_insert(key)
    return policy


def drain(policy: CachePolicy) -> list[str]:
    return [policy.pop_victim() for _ in range(len(policy))]


class TestContract:
    """What the engine relies on, for every policy."""

    def test_is_a_cache_policy_and_starts_empty(self, name: str) -> None:
        policy = make_policy(name)
        assert isinstance(policy, CachePolicy)
        assert len(policy) == 0

    def test_each_name_gives_a_fresh_policy(self, name: str) -> None:
        first = make_policy(name)
        first.record_insert("a")
        assert len(make_policy(name)) == 0
        assert make_policy(name.upper()).__class__ is first.__class__

    def test_len_tracks_inserts_and_removes(self, name: str) -> None:
        policy = make_policy(name)
        for count, key in enumerate(KEYS, start=1):
            policy.record_insert(key)
            assert len(policy) == count
        policy.record_remove("k2")
        policy.record_remove("k0")
        assert len(policy) == len(KEYS) - 2

    def test_pop_victim_returns_each_tracked_key_once(self, name: str) -> None:
        policy = filled(name)
        victims = []
        while len(policy):
            before = len(policy)
            victims.append(policy.pop_victim())
            assert len(policy) == before - 1
        assert sorted(victims) == sorted(KEYS)

    def test_removed_keys_are_never_victims(self, name: str) -> None:
        policy = filled(name)
        for key in ("k0", "k3", "k5"):
            policy.record_remove(key)
        assert sorted(drain(policy)) == ["k1", "k2", "k4"]

    def test_a_popped_key_can_be_inserted_again(self, name: str) -> None:
        policy = filled(name, ["a"])
        assert policy.pop_victim() == "a"
        policy.record_insert("a")
        assert len(policy) == 1
        assert policy.pop_victim() == "a"

    def test_accesses_change_no_membership(self, name: str) -> None:
        policy = filled(name)
        for key in ("k1", "k1", "k4", "k0"):
            policy.record_access(key)
        assert len(policy) == len(KEYS)
        assert sorted(drain(policy)) == sorted(KEYS)

    def test_clear_forgets_every_key_and_the_policy_is_reusable(self, name: str) -> None:
        policy = filled(name)
        policy.record_access("k3")
        policy.clear()
        assert len(policy) == 0
        policy.record_insert("new")
        assert drain(policy) == ["new"]

    def test_fresh_policies_decide_alike(self, name: str) -> None:
        """Same calls, same victims: no hidden clock or global randomness."""

        def run(policy: CachePolicy) -> list[str]:
            for key in KEYS:
                policy.record_insert(key)
            policy.record_access("k0")
            policy.record_remove("k3")
            victims = [policy.pop_victim(), policy.pop_victim()]
            policy.record_insert("k3")
            return victims + drain(policy)

        assert run(make_policy(name)) == run(make_policy(name))

    def test_access_recorder_is_record_access_or_nothing(self, name: str) -> None:
        """The recorder has the effect of record_access; ``None`` promises that
        accesses change no decision."""
        with_accesses, with_recorder = filled(name), filled(name)
        recorder = with_recorder.access_recorder()
        assert recorder is None or callable(recorder)
        for key in ("k0", "k2", "k0", "k5", "k1"):
            with_accesses.record_access(key)
            if recorder is not None:
                recorder(key)
        assert drain(with_recorder) == drain(with_accesses)

    def test_access_recorder_survives_clear(self, name: str) -> None:
        """The engine fetches the recorder once, so it must keep working after clear()."""
        policy, reference = filled(name), make_policy(name)
        recorder = policy.access_recorder()
        policy.clear()
        for key in KEYS:
            policy.record_insert(key)
            reference.record_insert(key)
        if recorder is not None:
            recorder("k0")
            reference.record_access("k0")
        assert drain(policy) == drain(reference)

    def test_an_engine_with_the_policy_stays_within_max_size(self, name: str) -> None:
        engine = CacheEngine(max_size=3, policy=name)
        for i in range(20):
            removed = engine.set(f"k{i}", i, now=0.0)
            engine.get(f"k{i // 2}", now=0.0)
            assert len(engine) == min(i + 1, 3)
            assert len(removed) == (1 if i >= 3 else 0)
            assert all(r.cause in (RemovalCause.EVICTED, RemovalCause.REJECTED) for r in removed)
            assert f"k{i}" in engine, "the key just written was evicted"
        assert engine.stats.evictions + engine.stats.rejections == 17
        assert len(engine.policy) == 3

    def test_a_full_cache_makes_room_among_its_residents(self, name: str) -> None:
        """Whatever the residents' history (every one read many times, as in a full
        LFU cache), the key just written is stored and the next read hits."""
        for size in (1, 2, 3, 10):
            engine = CacheEngine(max_size=size, policy=name)
            for i in range(size):
                engine.set(f"old{i}", i, now=0.0)
                for _ in range(5):
                    engine.get(f"old{i}", now=0.0)
            for i in range(3 * size):
                removed = engine.set(f"new{i}", i, now=0.0)
                assert [r.key for r in removed] != [f"new{i}"]
                assert engine.get(f"new{i}", now=0.0) == i

    @settings(max_examples=max(100, settings.default.max_examples))
    @given(steps=st.lists(st.tuples(st.sampled_from(STEP_KINDS), st.integers(0, 7))))
    def test_agrees_with_its_model(self, name: str, steps: list[tuple[str, int]]) -> None:
        """Random calls against the policy's reference model (the any-key model for a
        policy without one): the same victims, or a tracked one where the model leaves
        the choice open. Keys that left may come back."""
        policy = make_policy(name)
        model: PolicyModel = POLICY_MODELS.get(name, AnyKeyModel)()
        tracked: list[str] = []
        for kind, number in steps:
            if kind == "insert":
                key = f"k{number}"
                if key in tracked:
                    continue
                policy.record_insert(key)
                model.insert(key)
                tracked.append(key)
            elif not tracked:
                continue
            elif kind == "access":
                key = tracked[number % len(tracked)]
                policy.record_access(key)
                model.access(key)
            elif kind == "remove":
                key = tracked.pop(number % len(tracked))
                policy.record_remove(key)
                model.remove(key)
            else:
                victim = policy.pop_victim()
                assert victim in tracked
                assert model.evict(victim) == victim
                tracked.remove(victim)
            assert len(policy) == len(model) == len(tracked)


# -- the order each built-in policy promises ----------------------------------------


def test_lru_evicts_the_least_recently_used() -> None:
    policy = filled("lru", ["a", "b", "c", "d"])
    policy.record_access("a")
    policy.record_access("c")
    assert drain(policy) == ["b", "d", "a", "c"]


def test_lru_recorder_is_the_ordered_dicts_own_method() -> None:
    recorder = LRUPolicy().access_recorder()
    assert not hasattr(recorder, "__code__"), "a Python function on the hit path"


def test_lfu_evicts_the_least_used_then_the_longest_at_its_count() -> None:
    policy = filled("lfu", ["a", "b", "c", "d"])
    assert isinstance(policy, LFUPolicy)
    for key in ("b", "a", "a", "c", "b"):
        policy.record_access(key)
    # counts: a=3, b=3, c=2, d=1; b reached 3 after a did
    assert [policy.count(key) for key in "abcd"] == [3, 3, 2, 1]
    assert drain(policy) == ["d", "c", "a", "b"]


def test_lfu_a_key_joining_a_used_count_leaves_no_empty_bucket_behind() -> None:
    policy = filled("lfu", ["a", "b"])
    policy.record_access("b")
    policy.record_access("a")  # a joins b at count 2; the count-1 bucket is now empty
    assert drain(policy) == ["b", "a"]


def test_lfu_ties_between_new_keys_go_in_insertion_order() -> None:
    assert drain(filled("lfu", ["x", "y", "z"])) == ["x", "y", "z"]


def test_lfu_forgets_the_count_of_a_key_that_left() -> None:
    policy = filled("lfu", ["a", "b"])
    for _ in range(5):
        policy.record_access("a")
    policy.record_remove("a")
    policy.record_insert("a")
    policy.record_access("b")
    assert drain(policy) == ["a", "b"]


def test_lfu_a_full_cache_of_used_keys_still_admits_the_newcomer() -> None:
    """Room is made among the residents first: the least used of them leaves (oldest
    among ties), and the key just written stays and hits."""
    engine = CacheEngine(max_size=2, policy="lfu")
    engine.set("a", 1, now=0.0)
    engine.set("b", 2, now=0.0)
    engine.get("a", now=0.0)
    engine.get("b", now=0.0)
    (removal,) = engine.set("c", 3, now=0.0)
    assert removal.key == "a"
    assert engine.get("c", now=0.0) == 3
    (removal,) = engine.set("d", 4, now=0.0)
    assert removal.key == "b"  # count 2, while "c" has 2 now too but reached it later


def test_random_never_evicts_the_write_just_made() -> None:
    for seed in range(50):
        engine = CacheEngine(max_size=2, policy=RandomPolicy(seed))
        for i in range(10):
            engine.set(f"k{i}", i, now=0.0)
            assert engine.get(f"k{i}", now=0.0) == i


def test_fifo_ignores_reads_and_overwrites() -> None:
    engine = CacheEngine(max_size=3, policy="fifo")
    for key in "abc":
        engine.set(key, key, now=0.0)
    for _ in range(3):
        engine.get("a", now=0.0)
    engine.set("a", "again", now=0.0)
    assert [r.key for r in engine.set("d", "d", now=0.0)] == ["a"]
    assert [r.key for r in engine.set("e", "e", now=0.0)] == ["b"]


def test_fifo_a_key_written_again_after_leaving_joins_the_back() -> None:
    engine = CacheEngine(max_size=3, policy="fifo")
    for key in "abc":
        engine.set(key, key, now=0.0)
    engine.delete("a", now=0.0)
    engine.set("a", "back", now=0.0)
    assert [r.key for r in engine.set("d", "d", now=0.0)] == ["b"]
    assert FIFOPolicy().access_recorder() is None


def victims_of(policy: RandomPolicy, keys: int = 50) -> list[str]:
    for i in range(keys):
        policy.record_insert(f"k{i}")
    policy.record_remove("k7")
    return drain(policy)


def test_random_is_reproducible_for_a_seed() -> None:
    assert victims_of(RandomPolicy(42)) == victims_of(RandomPolicy(42))
    assert victims_of(RandomPolicy(42)) == victims_of(RandomPolicy(random.Random(42)))
    assert victims_of(RandomPolicy()) == victims_of(RandomPolicy(0))
    assert victims_of(RandomPolicy(1)) != victims_of(RandomPolicy(2))


def test_random_order_is_not_the_insertion_order() -> None:
    insertion = [f"k{i}" for i in range(50) if i != 7]
    assert victims_of(RandomPolicy(3)) != insertion
    assert victims_of(RandomPolicy(3))[::-1] != insertion


def test_random_never_touches_the_global_generator() -> None:
    state = random.getstate()
    victims_of(RandomPolicy(5))
    victims_of(RandomPolicy())
    assert random.getstate() == state


def test_random_draws_from_the_generator_it_was_given() -> None:
    rng = random.Random(9)
    policy = RandomPolicy(rng)
    victims_of(policy, keys=10)
    assert rng.getstate() != random.Random(9).getstate()


def test_random_first_victims_are_roughly_uniform() -> None:
    """Over many seeded trials each of four keys is the first victim about a quarter of
    the time (the seeds are fixed, so this cannot flake)."""
    firsts = Counter(
        filled_random(RandomPolicy(random.Random(seed))).pop_victim() for seed in range(4000)
    )
    assert set(firsts) == {"a", "b", "c", "d"}
    assert all(850 < count < 1150 for count in firsts.values()), firsts


def filled_random(policy: RandomPolicy) -> RandomPolicy:
    for key in "abcd":
        policy.record_insert(key)
    return policy


@pytest.mark.parametrize("rng", [True, 1.5, "seed", object()])
def test_random_refuses_a_generator_it_cannot_use(rng: object) -> None:
    with pytest.raises(ConfigurationError):
        RandomPolicy(rng)  # type: ignore[arg-type]


# -- names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "kind"),
    [("lru", LRUPolicy), (" LFU ", LFUPolicy), ("Fifo", FIFOPolicy), ("RANDOM", RandomPolicy)],
)
def test_names_are_case_insensitive(given_name: str, kind: Callable[[], CachePolicy]) -> None:
    assert type(make_policy(given_name)) is kind


def test_a_policy_object_is_used_as_given() -> None:
    policy = LRUPolicy()
    assert make_policy(policy) is policy


@pytest.mark.parametrize("bad", ["mru", "", 3, None, object()])
def test_unknown_policies_are_configuration_errors(bad: object) -> None:
    with pytest.raises(ConfigurationError):
        make_policy(bad)  # type: ignore[arg-type]


STORE_POLICIES = [
    name for name in POLICY_NAMES if isinstance(make_policy(name), OrderedStorePolicy)
]


@pytest.mark.parametrize("name", STORE_POLICIES)
def test_an_ordered_store_is_the_tracked_keys_in_eviction_order(name: str) -> None:
    """What an engine relies on when it keeps its values in the policy's store."""
    policy = filled(name)
    assert isinstance(policy, OrderedStorePolicy)
    store = policy.ordered_store()
    for key in ("k1", "k4", "k1"):
        policy.record_access(key)
        recorder = policy.access_recorder()
        if recorder is not None:
            assert recorder.__self__ is store  # type: ignore[attr-defined]
    policy.record_remove("k2")
    assert sorted(store) == sorted(set(KEYS) - {"k2"})
    order = list(store)
    assert drain(policy) == order
