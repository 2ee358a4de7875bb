"""The vector store against a plain model: the library's CacheModel for the keys (TTLs,
eviction, counters) and a dict of vectors and metadata, searched exactly.

The steps mix writes (single and batched, with TTLs and metadata), deletes, time,
reclaiming, searches and lookups with rebuilds of the graph started, interleaved with
writes and finished (or given up) at arbitrary points, on a small capacity so that
eviction churns the index. After every step the store's one rule is checked: the
index holds exactly the engine's keys.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pepperpy.caching.core import CacheEngine
from pepperpy.caching.core.entry import MISS, Removal
from pepperpy.caching.core.vectors import IndexSettings, VectorIndex, VectorStore
from pepperpy.caching.testing import (
    AnyKeyModel,
    CacheModel,
    FIFOModel,
    LFUModel,
    LRUModel,
    TinyLFUModel,
)
from pepperpy.caching.testing.models import PolicyModel

DIM = 3
NAMES = [f"k{i}" for i in range(16)] + [f"doc:{i}" for i in range(8)]
CAPACITY = 10

vectors = st.lists(
    st.floats(-10, 10, allow_nan=False, width=32).filter(lambda x: abs(x) > 1e-3),
    min_size=DIM,
    max_size=DIM,
)
names = st.sampled_from(NAMES)
ttls = st.none() | st.floats(0.5, 20.0)
metadata = st.none() | st.fixed_dictionaries({"n": st.integers(0, 9)})


def cosine(row: npt.NDArray[np.float32], query: list[float]) -> float:
    a = row.astype(np.float64)
    b = np.array(query, np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


class VectorStoreMachine(RuleBasedStateMachine):
    """One eviction policy; subclasses name it and its model."""

    policy: ClassVar[str] = "lru"
    policy_model: ClassVar[type[PolicyModel]] = LRUModel
    default_ttl: ClassVar[float | None] = None
    recall: ClassVar[float | None] = None

    def __init__(self) -> None:
        super().__init__()
        index = VectorIndex(
            DIM, "cosine", IndexSettings(dtype="float32", exact_threshold=4), recall=self.recall
        )
        engine = CacheEngine(CAPACITY, self.policy, self.default_ttl)
        self.store = VectorStore(engine, index, similarity_threshold=None)
        self.model = CacheModel(CAPACITY, self.policy_model(), self.default_ttl)
        self.rows: dict[str, npt.NDArray[np.float32]] = {}
        self.meta: dict[str, dict[str, Any]] = {}
        self.now = 100.0
        self.job: Any = None

    # -- keeping the model's vectors in step with its keys ---------------------------

    def _forget_gone(self) -> None:
        for key in [key for key in self.rows if key not in self.model.values]:
            del self.rows[key]
            self.meta.pop(key, None)

    def _follow(self, removals: tuple[Removal, ...], expected: tuple[Removal, ...]) -> None:
        assert sorted((r.key, r.cause) for r in removals) == sorted(
            (r.key, r.cause) for r in expected
        )

    # -- writes ----------------------------------------------------------------------

    @rule(key=names, vector=vectors, ttl=ttls, meta=metadata)
    def set(self, key: str, vector: list[float], ttl: float | None, meta: Any) -> None:
        removals = self.store.set(key, vector, self.now, ttl, meta)
        expected = self.model.set(key, None, self.now, ttl, observed=removals)
        self._follow(removals, expected)
        self.rows[key] = np.array(vector, np.float32)
        self.meta[key] = meta or {}
        self._forget_gone()

    @rule(keys=st.lists(names, max_size=8), ttl=ttls, data=st.data())
    def set_many(self, keys: list[str], ttl: float | None, data: st.DataObject) -> None:
        rows = [data.draw(vectors) for _ in keys]
        given = {key: {"batch": i} for i, key in enumerate(keys) if i % 2}
        removals = self.store.set_many(keys, rows, self.now, ttl, given)
        last = {key: i for i, key in enumerate(keys)}
        pending = list(removals)
        for key, i in last.items():
            for removal in self.model.set(key, None, self.now, ttl, observed=pending):
                match = next(r for r in pending if (r.key, r.cause) == (removal.key, removal.cause))
                pending.remove(match)
            self.rows[key] = np.array(rows[i], np.float32)
            self.meta[key] = given.get(key, {})
        assert pending == []
        self._forget_gone()

    @rule(key=names, meta=metadata)
    def set_metadata(self, key: str, meta: Any) -> None:
        live = self.model.is_live(key, self.now)
        assert self.store.set_metadata(key, meta, self.now) == live
        if live:
            self.meta[key] = meta or {}

    @rule(key=names)
    def delete(self, key: str) -> None:
        assert self.store.delete(key, self.now) == self.model.delete(key, self.now)
        self._forget_gone()

    @rule(keys=st.lists(names, max_size=5))
    def delete_many(self, keys: list[str]) -> None:
        expected = sum(self.model.delete(key, self.now) for key in keys)
        assert self.store.delete_many(keys, self.now) == expected
        self._forget_gone()

    @rule(prefix=st.sampled_from(["doc:", "k1", "x"]))
    def delete_prefix(self, prefix: str) -> None:
        assert self.store.delete_prefix(prefix) == self.model.delete_prefix(prefix)
        self._forget_gone()

    @rule()
    def clear(self) -> None:
        self.store.clear()
        self.model.clear()
        self._forget_gone()

    # -- time ------------------------------------------------------------------------

    @rule(seconds=st.floats(0.0, 12.0))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule(limit=st.none() | st.integers(0, 3))
    def expire(self, limit: int | None) -> None:
        removals = self.store.expire(self.now, limit)
        self._follow(removals, self.model.expire(self.now, limit, observed=removals))
        self._forget_gone()

    # -- reads -----------------------------------------------------------------------

    @rule(key=names)
    def get(self, key: str) -> None:
        got = self.store.get(key, self.now)
        expected = self.model.get(key, self.now)
        if expected is MISS:
            assert got is MISS
        else:
            assert not isinstance(got, type(MISS))
            assert np.array_equal(got, self.rows[key])
        expected_ttl = self.model.ttl(key, self.now)
        if expected_ttl is None:
            assert self.store.ttl(key, self.now) is None
        else:
            assert self.store.ttl(key, self.now) == pytest.approx(expected_ttl)
        meta = self.store.metadata(key, self.now)
        assert meta == (self.meta[key] if self.model.is_live(key, self.now) else None)

    @rule(query=vectors, k=st.integers(1, 12), threshold=st.none() | st.floats(-1.0, 1.0))
    def search(self, query: list[float], k: int, threshold: float | None) -> None:
        results = self.store.search(query, k, threshold, self.now)
        self.model.expire(self.now)  # a search reclaims what expired first
        self._forget_gone()
        self._check(results, query, k, threshold)

    @rule(
        queries=st.lists(vectors, max_size=4),
        k=st.integers(1, 12),
        threshold=st.none() | st.floats(-1.0, 1.0),
    )
    def search_many(self, queries: list[list[float]], k: int, threshold: float | None) -> None:
        found = self.store.search_many(queries, k, threshold, self.now)
        self.model.expire(self.now)
        self._forget_gone()
        assert len(found) == len(queries)
        for query, results in zip(queries, found, strict=True):
            self._check(results, query, k, threshold)

    def _check(
        self, results: list[Any], query: list[float], k: int, threshold: float | None
    ) -> None:
        scores = {key: cosine(row, query) for key, row in self.rows.items()}
        bound = -math.inf if threshold is None else threshold
        ranked = sorted(scores.values(), reverse=True)[:k]
        # float32 scores may fall either side of a threshold they are within 1e-5 of
        assert sum(s >= bound + 1e-5 for s in ranked) <= len(results)
        assert len(results) <= sum(s >= bound - 1e-5 for s in ranked)
        got = [score for _, score, _ in results]
        assert got == sorted(got, reverse=True)
        assert got == pytest.approx(ranked[: len(got)], abs=1e-5)
        for key, score, meta in results:
            assert score == pytest.approx(scores[key], abs=1e-5)
            assert meta == self.meta[key]
            self.model.policy.access(key)  # a result is a use of its key

    # -- rebuilds and recall ---------------------------------------------------------

    @rule()
    def maintain(self) -> None:
        if self.job is None:
            self.store.maintain()

    @precondition(lambda self: self.job is None)
    @rule()
    def start_rebuild(self) -> None:
        if self.store.wants_rebuild:
            self.job = self.store.start_rebuild()

    @precondition(lambda self: self.job is not None)
    @rule(abandon=st.booleans())
    def finish_rebuild(self, abandon: bool) -> None:
        if abandon:
            self.store.abandon_rebuild(self.job)
        else:
            self.job.run()
            self.store.finish_rebuild(self.job)  # False if a clear() outdated it
        self.job = None

    # -- the rule --------------------------------------------------------------------

    @invariant()
    def the_index_holds_exactly_the_engines_keys(self) -> None:
        keys = sorted(self.store.keys())
        assert keys == sorted(self.model.keys()) == sorted(self.rows)
        assert sorted(self.store.index.keys()) == keys
        stats = self.store.index_stats
        assert stats.live == len(keys)
        if stats.graph_elements:
            assert stats.graph_elements - stats.graph_deleted == stats.live
        for key in keys:
            assert np.array_equal(self.store.index.vector(key), self.rows[key])  # type: ignore[arg-type]

    @invariant()
    def same_counters(self) -> None:
        assert self.store.stats == self.model.stats


_SETTINGS = settings(
    max_examples=min(settings.default.max_examples, 80), stateful_step_count=40, deadline=None
)


class LRUStoreMachine(VectorStoreMachine):
    policy = "lru"
    policy_model = LRUModel


class LFUWithRecallTargetMachine(VectorStoreMachine):
    """Recall checks (maintain) change ef between searches."""

    policy = "lfu"
    policy_model = LFUModel
    recall = 0.9


class FIFOWithDefaultTTLMachine(VectorStoreMachine):
    policy = "fifo"
    policy_model = FIFOModel
    default_ttl = 15.0


class TinyLFUStoreMachine(VectorStoreMachine):
    """W-TinyLFU may refuse a newcomer: the refused key must leave the index too."""

    policy = "tinylfu"
    policy_model = TinyLFUModel


class RandomStoreMachine(VectorStoreMachine):
    policy = "random"
    policy_model = AnyKeyModel


TestLRUStore = LRUStoreMachine.TestCase
TestLFUWithRecallTarget = LFUWithRecallTargetMachine.TestCase
TestFIFOWithDefaultTTL = FIFOWithDefaultTTLMachine.TestCase
TestTinyLFUStore = TinyLFUStoreMachine.TestCase
TestRandomStore = RandomStoreMachine.TestCase
for _case in (
    TestLRUStore,
    TestLFUWithRecallTarget,
    TestFIFOWithDefaultTTL,
    TestTinyLFUStore,
    TestRandomStore,
):
    _case.settings = _SETTINGS
del _case
