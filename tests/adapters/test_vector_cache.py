"""VectorCache on asyncio and trio: the SPEC example, validation, TTL, eviction, batches,
worker threads, rebuilds and cancellation."""

from __future__ import annotations

import math
from typing import Any

import anyio
import anyio.lowlevel
import numpy as np
import pytest

from pepperpy.caching import (
    POLICY_NAMES,
    CacheBackend,
    ConfigurationError,
    InvalidKeyError,
    InvalidTTLError,
    InvalidVectorError,
    SimilarityResult,
    VectorCache,
)
from pepperpy.caching.core.vectors import IndexSettings
from pepperpy.caching.core.vectors.rebuild import Rebuild
from pepperpy.caching.core.vectors.store import VectorStore

pytestmark = pytest.mark.anyio


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def keys_of(results: list[SimilarityResult]) -> list[str]:
    return [result.key for result in results]


async def everything(cache: VectorCache, query: Any, top_k: int = 100) -> list[str]:
    return keys_of(await cache.find_similar(query, top_k=top_k, threshold=-math.inf))


# -- the SPEC example -------------------------------------------------------------------


async def test_the_spec_example() -> None:
    cache = VectorCache(max_size=10000, similarity_threshold=0.9)
    assert isinstance(cache, CacheBackend)
    given = np.array([0.1, 0.2, 0.3])
    await cache.set("vec1", given, ttl=None, metadata=None)
    got = await cache.get("vec1")
    assert np.array_equal(got, given)  # as given, not normalized
    await cache.set("vec2", np.array([0.11, 0.19, 0.31]), metadata={"source": "document2"})
    await cache.set("far", np.array([-0.3, 0.2, -0.1]))
    similar = await cache.find_similar(np.array([0.1, 0.2, 0.3]), top_k=5)
    assert keys_of(similar) == ["vec1", "vec2"]  # "far" scores below 0.9
    assert similar[0].score == pytest.approx(1.0)
    assert 0.9 <= similar[1].score < similar[0].score
    assert similar[1].metadata == {"source": "document2"}
    assert all(isinstance(result, SimilarityResult) for result in similar)
    await cache.set_metadata("vec1", {"source": "document1"})
    assert await cache.get_metadata("vec1") == {"source": "document1"}
    await cache.batch_set({"vec3": np.array([1.0, 0, 0]), "vec4": np.array([0, 1.0, 0])}, ttl=3600)
    found = await cache.batch_get(["vec3", "vec4", "missing"])
    assert set(found) == {"vec3", "vec4"}
    assert 3590 < (await cache.ttl("vec3") or 0) <= 3600
    assert cache.size == 5


async def test_scores_per_metric() -> None:
    for metric, expected in (("cosine", 0.0), ("ip", 0.0), ("l2", 1 / (1 + math.sqrt(2)))):
        cache = VectorCache(metric=metric, similarity_threshold=None)
        await cache.set("x", [1.0, 0.0])
        (result,) = await cache.find_similar([0.0, 1.0])
        assert result.score == pytest.approx(expected, abs=1e-7)


# -- validation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [[1.0, math.nan, 0.0], [math.inf, 0.0, 0.0], [1.0, 2.0], [[1.0, 2.0, 3.0]], [0.0, 0.0, 0.0]],
    ids=["nan", "inf", "wrong dim", "2-D", "zero"],
)
async def test_a_bad_vector_changes_nothing(bad: list[Any]) -> None:
    cache = VectorCache(similarity_threshold=None)
    await cache.set("a", [1.0, 2.0, 3.0], metadata={"v": 1})
    before = (cache.stats, cache.index_stats)
    with pytest.raises(InvalidVectorError):
        await cache.set("a", bad, metadata={"v": 2})
    with pytest.raises(InvalidVectorError):
        await cache.set("b", bad)
    with pytest.raises(InvalidVectorError):
        await cache.set_many({"c": [3.0, 2.0, 1.0], "d": bad})
    with pytest.raises(InvalidVectorError):
        await cache.find_similar(bad)
    assert (cache.stats, cache.index_stats) == before
    assert (await cache.get("a")).tolist() == [1.0, 2.0, 3.0]
    assert await cache.get_metadata("a") == {"v": 1}
    assert not await cache.contains("c")


async def test_bad_arguments_raise_library_errors() -> None:
    cache = VectorCache()
    with pytest.raises(InvalidKeyError):
        await cache.set(1, [1.0])  # type: ignore[arg-type]
    with pytest.raises(InvalidTTLError):
        await cache.set("a", [1.0], ttl=0)
    with pytest.raises(InvalidTTLError):
        await cache.set("a", [1.0], ttl=1e308)
    with pytest.raises(InvalidTTLError):
        VectorCache(default_ttl=1e308)
    with pytest.raises(ConfigurationError):
        await cache.set("a", [1.0], metadata=["not", "a", "mapping"])  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        await cache.find_similar([1.0], top_k=0)
    with pytest.raises(ConfigurationError):
        await cache.find_similar([1.0], threshold=math.nan)
    assert cache.size == 0
    for kwargs in ({"metric": "hamming"}, {"similarity_threshold": "high"}, {"clock": 3}):
        with pytest.raises(ConfigurationError):
            VectorCache(**kwargs)  # type: ignore[arg-type]


async def test_metadata_is_copied_and_read_only_in_results() -> None:
    cache = VectorCache(similarity_threshold=None)
    metadata = {"source": "doc"}
    await cache.set("a", [1.0, 0.0], metadata=metadata)
    metadata["source"] = "changed"
    (result,) = await cache.find_similar([1.0, 0.0])
    assert result.metadata == {"source": "doc"}
    with pytest.raises(TypeError):
        result.metadata["source"] = "x"  # type: ignore[index]
    copy = await cache.get_metadata("a")
    assert copy == {"source": "doc"}
    copy["source"] = "y"  # type: ignore[index]
    assert await cache.get_metadata("a") == {"source": "doc"}
    assert await cache.set_metadata("missing", {"x": 1}) is False
    assert await cache.get_metadata("missing") is None
    await cache.set("b", [0.0, 1.0])
    assert await cache.get_metadata("b") == {}


async def test_a_vector_comes_back_as_a_copy() -> None:
    cache = VectorCache()
    await cache.set("a", np.array([1.0, 2.0], np.float32))
    got = await cache.get("a")
    assert got.dtype == np.float32
    got[0] = 5.0
    assert (await cache.get("a")).tolist() == [1.0, 2.0]
    assert await cache.get("missing", "default") == "default"
    assert cache.stats.hits == 2
    assert cache.stats.misses == 1


# -- time -------------------------------------------------------------------------------


async def test_expired_vectors_leave_search_results() -> None:
    clock = FakeClock()
    cache = VectorCache(similarity_threshold=None, clock=clock)
    await cache.set("short", [1.0, 0.0], ttl=10)
    await cache.set("long", [1.0, 0.1], ttl=100)
    await cache.set("forever", [1.0, 0.2])
    assert await everything(cache, [1.0, 0.0]) == ["short", "long", "forever"]
    clock.now += 10
    assert await everything(cache, [1.0, 0.0]) == ["long", "forever"]
    assert not await cache.contains("short")
    assert await cache.get("short") is None
    assert cache.index_stats.live == 2  # reclaimed, not only hidden
    clock.now += 1000
    assert await everything(cache, [1.0, 0.0]) == ["forever"]
    assert cache.stats.expirations == 2
    assert cache.size == 1


async def test_size_counts_only_live_vectors_and_default_ttl_applies() -> None:
    clock = FakeClock()
    cache = VectorCache(default_ttl=5, clock=clock)
    await cache.set_many({"a": [1.0, 0.0], "b": [0.0, 1.0]})
    await cache.set("c", [1.0, 1.0], ttl=50)
    assert cache.size == 3
    clock.now += 5
    assert cache.size == 1
    assert await everything(cache, [1.0, 1.0]) == ["c"]
    assert await cache.ttl("c") == pytest.approx(45)


# -- eviction ---------------------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICY_NAMES)
async def test_evicted_vectors_leave_search_results(policy: str) -> None:
    cache = VectorCache(max_size=3, policy=policy, similarity_threshold=None)
    vectors = {f"k{i}": [1.0, float(i)] for i in range(10)}
    for key, vector in vectors.items():
        await cache.set(key, vector)
    assert cache.size == 3
    assert cache.stats.evictions + cache.stats.rejections == 7  # W-TinyLFU may refuse
    stored = [key for key in vectors if await cache.contains(key)]
    assert sorted(await everything(cache, [1.0, 5.0])) == sorted(stored)
    assert cache.index_stats.live == 3
    if policy in ("lru", "fifo"):
        assert stored == ["k7", "k8", "k9"]


async def test_a_found_vector_counts_as_used_by_lru() -> None:
    cache = VectorCache(max_size=3, policy="lru", similarity_threshold=0.99)
    await cache.set("a", [1.0, 0.0, 0.0])
    await cache.set("b", [0.0, 1.0, 0.0])
    await cache.set("c", [0.0, 0.0, 1.0])
    assert keys_of(await cache.find_similar([1.0, 0.0, 0.0])) == ["a"]
    await cache.set("d", [1.0, 1.0, 1.0])
    assert await cache.contains("a")
    assert not await cache.contains("b")
    assert cache.stats.hits == 0  # a search is not a lookup


async def test_delete_clear_and_prefix_leave_search_results() -> None:
    cache = VectorCache(similarity_threshold=None)
    await cache.set_many({f"user:{i}": [1.0, float(i)] for i in range(5)})
    await cache.set_many({f"doc:{i}": [float(i), 1.0] for i in range(5)})
    assert await cache.delete("user:0")
    assert not await cache.delete("user:0")
    assert await cache.delete_many(["user:1", "nope"]) == 1
    assert await cache.delete_prefix("doc:") == 5
    assert sorted(await everything(cache, [1.0, 1.0])) == ["user:2", "user:3", "user:4"]
    await cache.clear()
    assert await everything(cache, [1.0, 1.0]) == []
    await cache.set("new", [1.0, 2.0, 3.0])  # a cleared cache takes another dimension
    assert cache.dim == 3


# -- batches, threads and rebuilds ------------------------------------------------------


async def test_a_large_batch_runs_in_a_worker_thread_and_the_loop_keeps_going() -> None:
    rng = np.random.default_rng(0)
    cache = VectorCache(
        max_size=None, similarity_threshold=None, index=IndexSettings(exact_threshold=100, seed=3)
    )
    await cache.set_many({f"w{i}": v for i, v in enumerate(rng.normal(size=(200, 16)))})
    assert cache.index_stats.graph_elements == 200
    batch = {f"b{i}": v for i, v in enumerate(rng.normal(size=(1500, 16)))}
    gaps: list[float] = []
    done = anyio.Event()

    async def ticker() -> None:
        last = anyio.current_time()
        while not done.is_set():
            await anyio.lowlevel.checkpoint()
            now = anyio.current_time()
            gaps.append(now - last)
            last = now

    async with anyio.create_task_group() as group:
        group.start_soon(ticker)
        await anyio.lowlevel.checkpoint()
        start = anyio.current_time()
        await cache.set_many(batch)
        elapsed = anyio.current_time() - start
        done.set()
    assert cache.size == 1700
    assert len(gaps) > 3  # the loop ran while the batch was inserted
    assert max(gaps) < max(0.05, elapsed / 3)
    probe = batch["b42"]
    assert keys_of(await cache.find_similar(probe, top_k=1))[0] == "b42"


async def test_concurrent_searches_and_writes_stay_consistent() -> None:
    rng = np.random.default_rng(1)
    cache = VectorCache(
        max_size=300, similarity_threshold=None, index=IndexSettings(exact_threshold=50, seed=1)
    )
    rows = rng.normal(size=(900, 8))

    async def writer(offset: int) -> None:
        await cache.set_many({f"k{offset + i}": rows[offset + i] for i in range(300)})

    async def searcher() -> None:
        for i in range(30):
            results = await cache.find_similar(rows[i], top_k=5)
            for result in results:  # no other task runs between the search and this
                assert await cache.contains(result.key)

    async with anyio.create_task_group() as group:
        for offset in (0, 300, 600):
            group.start_soon(writer, offset)
        group.start_soon(searcher)
    assert cache.size == 300
    stats = cache.index_stats
    assert stats.live == 300
    stored = await everything(cache, rows[0], top_k=1000)
    assert len(stored) == 300
    assert all([await cache.contains(key) for key in stored])


async def test_churn_rebuilds_the_graph_and_memory_stays_bounded() -> None:
    rng = np.random.default_rng(2)
    size = 200
    cache = VectorCache(
        max_size=size, similarity_threshold=None, index=IndexSettings(exact_threshold=20, seed=2)
    )
    capacities = []
    for round_ in range(6):
        for i in range(size):
            await cache.set(f"r{round_}-{i}", rng.normal(size=6))
        stats = cache.index_stats
        capacities.append(stats.graph_capacity)
        assert stats.live == size
        assert stats.graph_elements <= 2 * size
        assert stats.slots <= 2 * size
    assert max(capacities[2:]) <= max(capacities[:2])
    latest = [f"r5-{i}" for i in range(size)]
    assert sorted(await everything(cache, rng.normal(size=6), top_k=size)) == sorted(latest)


async def test_a_cancelled_rebuild_leaves_the_cache_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(4)
    rows = rng.normal(size=(400, 8))
    cache = VectorCache(
        max_size=None, similarity_threshold=None, index=IndexSettings(exact_threshold=100)
    )
    await cache.set_many({f"k{i}": rows[i] for i in range(100)})
    started: list[object] = []
    with anyio.CancelScope() as scope:
        start_rebuild = VectorStore.start_rebuild

        def start_then_cancel(store: VectorStore) -> Rebuild:
            # The caller is cancelled once the rebuild has begun, whatever the machine's speed.
            job = start_rebuild(store)
            started.append(job)
            scope.cancel()
            return job

        monkeypatch.setattr(VectorStore, "start_rebuild", start_then_cancel)
        await cache.set_many({f"k{i}": rows[i] for i in range(100, 400)})  # triggers a rebuild
    monkeypatch.undo()
    assert scope.cancelled_caught
    assert len(started) == 1
    assert cache.size == 400  # the batch itself is never half done
    stored = await everything(cache, rows[0], top_k=1000)
    assert sorted(stored) == sorted(f"k{i}" for i in range(400))
    await cache.set("one-more", rows[0])  # a later write redoes what was given up
    assert cache.index_stats.graph_elements == 401
    assert keys_of(await cache.find_similar(rows[7], top_k=1)) == ["k7"]


async def test_replace_deleted_keeps_the_graph_at_the_live_size() -> None:
    rng = np.random.default_rng(5)
    cache = VectorCache(
        max_size=100,
        similarity_threshold=None,
        index=IndexSettings(exact_threshold=10, replace_deleted=True),
    )
    for i in range(600):
        await cache.set(f"k{i}", rng.normal(size=4))
    stats = cache.index_stats
    assert stats.live == 100
    assert stats.graph_elements <= 101


async def test_get_or_set_stores_a_vector_once() -> None:
    cache = VectorCache()
    calls = 0

    async def embed() -> list[float]:
        nonlocal calls
        calls += 1
        await anyio.lowlevel.checkpoint()
        return [0.5, 0.5]

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(cache.get_or_set, "e", embed)
    assert calls == 1
    assert (await cache.get("e")).tolist() == [0.5, 0.5]


@pytest.mark.parametrize("policy", POLICY_NAMES)
async def test_random_operations_keep_the_index_and_the_keys_in_step(policy: str) -> None:
    rng = np.random.default_rng(hash(policy) % 1000)
    clock = FakeClock()
    cache = VectorCache(
        max_size=40,
        policy=policy,
        similarity_threshold=None,
        clock=clock,
        index=IndexSettings(exact_threshold=8),
    )
    names = [f"k{i}" for i in range(80)]
    for step in range(600):
        action = rng.integers(0, 6)
        key = names[rng.integers(0, len(names))]
        if action <= 1:
            ttl = None if rng.random() < 0.5 else float(rng.integers(1, 20))
            await cache.set(key, rng.normal(size=4), ttl=ttl)
        elif action == 2:
            picked = rng.choice(names, size=5, replace=False).tolist()
            await cache.set_many({k: rng.normal(size=4) for k in picked})
        elif action == 3:
            await cache.delete(key)
        elif action == 4:
            clock.now += float(rng.integers(0, 5))
        else:
            results = await cache.find_similar(rng.normal(size=4), top_k=10)
            assert all([await cache.contains(result.key) for result in results])
        if step % 50 == 0:
            live = [name for name in names if await cache.contains(name)]
            assert cache.size == len(live)
            # A search reclaims what expired (reading size does not): then the index
            # holds exactly the live keys.
            assert sorted(await everything(cache, rng.normal(size=4))) == sorted(live)
            assert cache.index_stats.live == len(live)


# -- batch searches, cancellation, threads, recall ---------------------------------------


async def test_find_similar_many_answers_each_query_as_find_similar_does() -> None:
    rng = np.random.default_rng(6)
    cache = VectorCache(similarity_threshold=0.3, index=IndexSettings(exact_threshold=50))
    rows = rng.normal(size=(300, 8))
    await cache.set_many({f"k{i}": row for i, row in enumerate(rows)})
    assert cache.index_stats.graph_elements == 300
    queries = rng.normal(size=(40, 8))
    many = await cache.find_similar_many(queries, top_k=4)
    assert len(many) == 40
    for query, found in zip(queries, many, strict=True):
        alone = await cache.find_similar(query, top_k=4)
        assert keys_of(found) == keys_of(alone)
        assert all(result.score >= 0.3 for result in found)
    assert await cache.find_similar_many([], top_k=3) == []
    with pytest.raises(InvalidVectorError, match="query #1"):
        await cache.find_similar_many([rows[0], [math.nan] * 8])


async def test_a_cancelled_batch_is_finished_and_the_store_stays_whole() -> None:
    """A caller cancelled while its batch runs in a worker thread: the batch is done
    whole (the thread is waited for), the lock is released, and the index holds
    exactly the cache's keys."""
    rng = np.random.default_rng(8)
    cache = VectorCache(
        max_size=1500, similarity_threshold=None, index=IndexSettings(exact_threshold=100)
    )
    await cache.set_many({f"a{i}": row for i, row in enumerate(rng.normal(size=(1000, 12)))})
    batch = {f"b{i}": row for i, row in enumerate(rng.normal(size=(1000, 12)))}
    start = anyio.current_time()
    with anyio.move_on_after(0.002):
        await cache.set_many(batch)  # the cancellation comes while the thread works
    assert anyio.current_time() - start > 0.002
    assert not cache._lock.locked()
    assert cache.size == 1500  # the batch went in whole; 500 older keys were evicted
    assert all([await cache.contains(key) for key in batch])
    stats = cache.index_stats
    assert stats.live == 1500
    assert stats.graph_elements - stats.graph_deleted == 1500
    assert sorted(await everything(cache, rng.normal(size=12), top_k=5000)) == sorted(
        [key for key in [*(f"a{i}" for i in range(1000)), *batch] if await cache.contains(key)]
    )
    await cache.set("after", rng.normal(size=12))  # the lock was released
    assert await cache.contains("after")


async def test_readers_wait_for_a_batch_in_a_worker_thread() -> None:
    rng = np.random.default_rng(9)
    cache = VectorCache(similarity_threshold=None, index=IndexSettings(exact_threshold=10))
    await cache.set_many({f"a{i}": row for i, row in enumerate(rng.normal(size=(50, 8)))})
    batch = {f"b{i}": row for i, row in enumerate(rng.normal(size=(800, 8)))}
    seen: list[tuple[bool, int]] = []

    async def reader() -> None:
        await anyio.lowlevel.checkpoint()
        seen.append((await cache.contains("b799"), cache.index_stats.live))

    async with anyio.create_task_group() as group:
        group.start_soon(cache.set_many, batch)
        group.start_soon(reader)
    assert seen == [(True, 850)]  # never a half-written state


async def test_threads_default_to_the_cores_and_are_checked() -> None:
    from pepperpy.caching.adapters.vector import MAX_DEFAULT_THREADS, default_threads

    assert 1 <= default_threads() <= MAX_DEFAULT_THREADS
    assert VectorCache()._store.index.threads == default_threads()
    assert VectorCache(threads=1)._store.index.threads == 1
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigurationError):
            VectorCache(threads=bad)  # type: ignore[arg-type]


async def test_a_recall_target_shows_in_index_stats() -> None:
    rng = np.random.default_rng(10)
    cache = VectorCache(recall=0.9, index=IndexSettings(exact_threshold=100), threads=1)
    assert cache.index_stats.recall is None  # exact search: nothing to check yet
    await cache.set_many({f"k{i}": row for i, row in enumerate(rng.normal(size=(400, 16)))})
    stats = cache.index_stats
    assert stats.recall is not None
    assert stats.recall >= 0.9
    assert stats.ef == cache.ef
    cache.ef = 300  # an explicit ef ends the target
    assert cache.index_stats.ef == 300
    for bad in (0, 1.5, "high", True):
        with pytest.raises(ConfigurationError):
            VectorCache(recall=bad)  # type: ignore[arg-type]


async def test_a_masked_array_is_refused_not_stored_without_its_mask() -> None:
    cache = VectorCache()
    masked = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(InvalidVectorError, match="masked"):
        await cache.set("m", masked)
    with pytest.raises(InvalidVectorError, match="masked"):
        await cache.set_many({"a": [1.0, 2.0, 3.0], "m": masked})
    assert cache.size == 0


async def test_add_stores_only_when_the_key_holds_no_live_vector() -> None:
    clock = FakeClock()
    cache = VectorCache(dim=3, clock=clock)
    assert await cache.add("v", np.array([1.0, 0.0, 0.0]), ttl=10, metadata={"n": 1})
    assert not await cache.add("v", np.array([0.0, 1.0, 0.0]))
    assert np.array_equal(await cache.get("v"), [1.0, 0.0, 0.0])
    assert await cache.get_metadata("v") == {"n": 1}
    clock.now += 11  # expired: a new vector may take the key
    assert await cache.add("v", np.array([0.0, 1.0, 0.0]))
    assert keys_of(await cache.find_similar(np.array([0.0, 1.0, 0.0]), top_k=1)) == ["v"]
    results = []

    async def adder(i: int) -> None:
        results.append(await cache.add("w", np.array([1.0, float(i), 0.0])))

    async with anyio.create_task_group() as group:
        for i in range(10):
            group.start_soon(adder, i)
    assert results.count(True) == 1


async def test_stats_and_size_only_read() -> None:
    clock = FakeClock()
    cache = VectorCache(clock=clock)
    await cache.set("short", [1.0, 0.0], ttl=1)
    await cache.set("long", [0.0, 1.0])
    clock.now += 5
    assert cache.size == 1
    assert cache.stats.size == 1
    assert cache.stats.expirations == 0  # nothing was reclaimed by reading
    assert cache.index_stats.live == 2
    assert not hasattr(cache, "__dict__")
