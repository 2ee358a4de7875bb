"""VectorCache.save and VectorCache.load on asyncio and trio: real files, TTLs counted on
a fake clock, atomic replacement, and refusals that leave everything else as it was."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pepperpy.caching import (
    ConfigurationError,
    SerializationError,
    SnapshotError,
    VectorCache,
)
from pepperpy.caching.core.vectors import IndexSettings

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def filled(clock: FakeClock | None = None, n: int = 600, **kwargs: Any) -> VectorCache:
    rng = np.random.default_rng(n)
    cache = VectorCache(
        max_size=2000,
        similarity_threshold=0.2,
        clock=clock,
        index=IndexSettings(exact_threshold=100, seed=5),
        **kwargs,
    )
    rows = rng.normal(size=(n, 16)).astype(np.float32)
    await cache.set_many({f"k{i}": row for i, row in enumerate(rows)})
    await cache.set("tagged", rows[0], metadata={"source": "doc", "pages": [1, 2]})
    return cache


async def everything(cache: VectorCache, query: Any) -> list[tuple[str, float]]:
    found = await cache.find_similar(query, top_k=10_000, threshold=-math.inf)
    return [(result.key, result.score) for result in found]


async def test_a_saved_cache_loads_with_its_vectors_metadata_graph_and_settings(
    tmp_path: Path,
) -> None:
    cache = await filled(recall=0.9)
    assert cache.index_stats.graph_elements == 601
    path = tmp_path / "cache.vectors"
    await cache.save(path)
    loaded = await VectorCache.load(path)
    assert loaded.stats.hits == 0  # counters start afresh
    assert loaded.size == cache.size == 601
    assert loaded.index_stats.graph_elements == 601  # the graph was loaded, not rebuilt
    assert (loaded.index_stats.ef, loaded.index_stats.recall) == (
        cache.index_stats.ef,
        cache.index_stats.recall,
    )
    assert loaded.similarity_threshold == 0.2
    assert await loaded.get_metadata("tagged") == {"source": "doc", "pages": [1, 2]}
    assert np.array_equal(await loaded.get("k3"), await cache.get("k3"))
    query = np.random.default_rng(1).normal(size=16).astype(np.float32)
    assert await everything(loaded, query) == await everything(cache, query)
    await loaded.set("new", query)  # and it goes on working
    assert (await loaded.find_similar(query, top_k=1))[0].key == "new"


async def test_ttls_count_on_from_what_was_left(tmp_path: Path) -> None:
    clock = FakeClock()
    cache = await filled(clock, n=50)
    await cache.set("soon", np.ones(16), ttl=10)
    await cache.set("later", np.ones(16), ttl=100)
    clock.now += 4
    await cache.save(tmp_path / "c")
    other = FakeClock(now=5.0)  # another process: another clock origin
    loaded = await VectorCache.load(tmp_path / "c", clock=other)
    assert await loaded.ttl("soon") == pytest.approx(6.0)
    assert await loaded.ttl("later") == pytest.approx(96.0)
    other.now += 6
    assert not await loaded.contains("soon")
    assert await loaded.contains("later")
    clock.now += 10
    await cache.save(tmp_path / "d")  # "soon" has expired: it is not saved
    assert not await (await VectorCache.load(tmp_path / "d", clock=other)).contains("soon")


async def test_save_replaces_the_file_whole_and_leaves_nothing_behind(tmp_path: Path) -> None:
    cache = await filled(n=40)
    path = tmp_path / "c"
    await cache.save(path)
    first = path.read_bytes()
    await cache.set_metadata("k1", {"not json": {1, 2}})
    with pytest.raises(SerializationError, match="'k1'"):
        await cache.save(path)
    assert path.read_bytes() == first  # the previous file is whole
    await cache.set_metadata("k1", {"json": [1, 2]})
    await cache.save(path)
    assert path.read_bytes() != first
    assert sorted(os.listdir(tmp_path)) == ["c"]  # no temporary file left
    assert await (await VectorCache.load(path)).get_metadata("k1") == {"json": [1, 2]}


async def test_file_system_errors_are_library_errors(tmp_path: Path) -> None:
    cache = await filled(n=10)
    with pytest.raises(SnapshotError, match="cannot write") as raised:
        await cache.save(tmp_path / "missing" / "c")
    assert isinstance(raised.value.__cause__, OSError)
    with pytest.raises(SnapshotError, match="cannot read"):
        await VectorCache.load(tmp_path / "nothing-here")
    assert cache.size == 11


async def test_a_damaged_file_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    cache = await filled(n=200)
    path = tmp_path / "c"
    await cache.save(path)
    data = path.read_bytes()
    before = (cache.stats, cache.index_stats)
    for offset in (0, 10, 40, len(data) // 3, len(data) // 2, len(data) - 40, len(data) - 1):
        damaged = bytearray(data)
        damaged[offset] ^= 0xFF
        path.write_bytes(bytes(damaged))
        with pytest.raises(SnapshotError, match="not a readable vector cache file"):
            await VectorCache.load(path)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotError, match="truncated"):
        await VectorCache.load(path)
    path.write_bytes(b"plain text, not a cache\n" * 10)
    with pytest.raises(SnapshotError, match="magic"):
        await VectorCache.load(path)
    assert (cache.stats, cache.index_stats) == before
    assert cache.size == 201


async def test_a_built_in_policy_object_is_saved_by_its_name(tmp_path: Path) -> None:
    from pepperpy.caching import FIFOPolicy

    cache = VectorCache(max_size=2, policy=FIFOPolicy())
    await cache.set_many({"a": [1.0, 2.0], "b": [2.0, 1.0]})
    await cache.save(tmp_path / "c")
    loaded = await VectorCache.load(tmp_path / "c")
    await loaded.get("a")  # FIFO: a read changes nothing
    await loaded.set("c", [1.0, 1.0])
    assert not await loaded.contains("a")


async def test_load_refuses_bad_arguments(tmp_path: Path) -> None:
    cache = await filled(n=5)
    await cache.save(tmp_path / "c")
    with pytest.raises(ConfigurationError):
        await VectorCache.load(tmp_path / "c", policy="no-such-policy")
    with pytest.raises(ConfigurationError):
        await VectorCache.load(tmp_path / "c", clock=3)  # type: ignore[arg-type]
