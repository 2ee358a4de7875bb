"""Saved vector stores: the round trip, and refusals of every damaged or foreign file.

Pure: the format turns a store's state into bytes and back (no file is written here;
tests/adapters/test_vector_files.py covers the disk).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np
import pytest

from pepperpy.caching.core import CacheEngine, SerializationError, SnapshotError
from pepperpy.caching.core.vectors import IndexSettings, VectorIndex, VectorStore
from pepperpy.caching.core.vectors.graph_state import check_state
from pepperpy.caching.core.vectors.snapshot import FORMAT_VERSION, MAGIC, decode, encode


def make_store(
    n: int = 300,
    *,
    policy: str = "lru",
    metric: str = "cosine",
    exact_threshold: int = 50,
    max_size: int | None = 1000,
    default_ttl: float | None = None,
) -> VectorStore:
    rng = np.random.default_rng(n)
    index = VectorIndex(None, metric, IndexSettings(exact_threshold=exact_threshold, seed=3))
    store = VectorStore(CacheEngine(max_size, policy, default_ttl), index, 0.5)
    rows = rng.normal(size=(n, 12)).astype(np.float32)
    keys = [f"k{i}" for i in range(n)]
    store.set_many(keys, rows, 0.0, metadata={"k1": {"tag": "one", "n": [1, 2.5, None]}})
    store.maintain()
    return store


def file_bytes(store: VectorStore, now: float = 0.0) -> bytes:
    return b"".join(bytes(chunk) for chunk in encode(store.snapshot(now)))


def restored(data: bytes, now: float = 0.0, **kwargs: Any) -> VectorStore:
    return VectorStore.restore(decode(data), now, **kwargs)


def everything(store: VectorStore, query: Any, now: float = 0.0) -> list[tuple[str, float]]:
    return [(key, score) for key, score, _ in store.search(query, 10_000, -math.inf, now)]


@pytest.mark.parametrize("metric", ["cosine", "l2", "ip"])
@pytest.mark.parametrize("exact_threshold", [10_000, 50])
def test_a_round_trip_keeps_vectors_metadata_graph_and_answers(
    metric: str, exact_threshold: int
) -> None:
    store = make_store(metric=metric, exact_threshold=exact_threshold)
    store.delete("k7", 0.0)  # a hole in the slots, a mark in the graph
    copy = restored(file_bytes(store))
    assert sorted(copy.keys()) == sorted(store.keys())
    assert copy.index_stats == store.index_stats._replace(slots=copy.index_stats.slots)
    assert copy.metadata("k1", 0.0) == {"tag": "one", "n": [1, 2.5, None]}
    assert copy.metadata("k2", 0.0) == {}
    assert copy.similarity_threshold == 0.5
    assert copy.index.metric == metric
    for key in ("k0", "k1", "k299"):
        assert np.array_equal(copy.index.vector(key), store.index.vector(key))  # type: ignore[arg-type]
    query = np.random.default_rng(9).normal(size=12).astype(np.float32)
    assert everything(copy, query) == everything(store, query)
    assert copy.search(query, 5, None, 0.0) == store.search(query, 5, None, 0.0)


def test_the_graph_is_loaded_not_rebuilt() -> None:
    store = make_store()
    assert store.index_stats.graph_elements == 300
    copy = restored(file_bytes(store))
    assert copy.index_stats.graph_elements == 300
    assert not copy.wants_rebuild
    assert copy.index.graph_bytes() == store.index.graph_bytes()


def test_ttls_count_on_from_the_load_and_expired_entries_stay_out() -> None:
    store = make_store(20, exact_threshold=100)
    store.set("short", np.ones(12), 10.0, ttl=5)
    store.set("long", np.ones(12), 10.0, ttl=100)
    data = file_bytes(store, now=13.0)  # "short" has 2 s left, "long" 97
    copy = restored(data, now=1000.0)
    assert copy.ttl("short", 1000.0) == pytest.approx(2.0)
    assert copy.ttl("long", 1000.0) == pytest.approx(97.0)
    assert copy.ttl("k0", 1000.0) is None
    late = restored(file_bytes(store, now=20.0), now=0.0)
    assert "short" not in late.keys()  # noqa: SIM118 - the store's key list
    assert late.contains("long", 0.0)


@pytest.mark.parametrize("policy", ["lru", "fifo"])
def test_the_eviction_order_survives(policy: str) -> None:
    """Exactly for LRU and FIFO, whose state is an order (others keep the order in
    which they would evict, not their marks or counts)."""
    store = make_store(8, policy=policy, max_size=8, exact_threshold=100)
    for key in ("k3", "k0", "k5"):
        store.get(key, 0.0)
    copy = restored(file_bytes(store))
    for i in range(8):
        row = np.full(12, float(i + 1))
        assert [r.key for r in copy.set(f"new{i}", row, 0.0)] == [
            r.key for r in store.set(f"new{i}", row, 0.0)
        ]


def test_metadata_must_be_json_and_the_error_names_the_key() -> None:
    store = make_store(5, exact_threshold=100)
    store.set_metadata("k3", {"when": (1, 2)}, 0.0)
    with pytest.raises(SerializationError, match=r"'k3'.*tuple"):
        encode(store.snapshot(0.0))


def test_a_store_without_vectors_round_trips() -> None:
    store = VectorStore(CacheEngine(10), VectorIndex(dim=4), None)
    copy = restored(file_bytes(store))
    assert len(copy) == 0
    assert copy.index.dim == 4
    copy.set("a", [1.0, 2.0, 3.0, 4.0], 0.0)


def test_a_policy_of_ones_own_needs_policy_on_load() -> None:
    class Mine:
        def __init__(self) -> None:
            self.keys: list[str] = []

        def record_insert(self, key: str) -> None:
            self.keys.append(key)

        def record_access(self, key: str) -> None:
            pass

        def record_remove(self, key: str) -> None:
            self.keys.remove(key)

        def pop_victim(self) -> str:
            return self.keys.pop(0)

        def clear(self) -> None:
            self.keys.clear()

        def access_recorder(self) -> None:
            return None

        def __len__(self) -> int:
            return len(self.keys)

    store = VectorStore(CacheEngine(10, Mine()), VectorIndex(), None)
    store.set("a", [1.0, 2.0], 0.0)
    state = decode(file_bytes(store))
    assert state.policy is None
    copy = VectorStore.restore(state, 0.0, policy="fifo")
    assert copy.keys() == ["a"]


# -- refusals ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved() -> bytes:
    store = make_store(120, exact_threshold=20)
    store.delete("k5", 0.0)
    store.set("ttl", np.ones(12), 0.0, ttl=50)
    return file_bytes(store)


def test_damage_anywhere_is_refused(saved: bytes) -> None:
    """Flip one byte at offsets spread over the whole file (prefix, header, every
    array, padding, checksum): every one is refused with a clear error."""
    offsets = sorted({*range(64), *np.linspace(64, len(saved) - 1, 400).astype(int).tolist()})
    for offset in offsets:
        damaged = bytearray(saved)
        damaged[offset] ^= 0x5A
        with pytest.raises(SnapshotError, match="not a readable vector cache file"):
            decode(damaged)


def test_truncation_anywhere_is_refused(saved: bytes) -> None:
    for size in sorted({0, 1, 7, 8, 27, 28, 100, *np.linspace(0, len(saved) - 1, 60).astype(int)}):
        with pytest.raises(SnapshotError, match=r"truncated|shorter"):
            decode(saved[:size])


def test_trailing_bytes_are_refused(saved: bytes) -> None:
    with pytest.raises(SnapshotError, match="after its end"):
        decode(saved + b"\x00")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "shorter"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "magic"),
        (b'{"vectors": []}' + bytes(40), "magic"),
        (struct.pack("<8sIQQ", MAGIC, FORMAT_VERSION + 1, 0, 60) + bytes(32), "version 2"),
    ],
    ids=["empty", "png", "json", "newer version"],
)
def test_foreign_files_are_refused(data: bytes, problem: str) -> None:
    with pytest.raises(SnapshotError, match=problem):
        decode(data)


def test_a_file_that_passes_its_checksum_is_still_checked(saved: bytes) -> None:
    """A file rewritten with a valid checksum but inconsistent contents (another
    program, or an edit) is refused before hnswlib is given any of it."""
    import hashlib

    def resealed(data: bytearray) -> bytes:
        return bytes(data[:-32]) + hashlib.sha256(data[:-32]).digest()

    head_size = struct.unpack_from("<Q", saved, 12)[0]
    header = saved[28 : 28 + head_size]
    for old, new in ((b'"max_M0":32', b'"max_M0":33'), (b'"dim":12', b'"dim":13')):
        assert old in header
        edited = bytearray(saved)
        edited[28 : 28 + head_size] = header.replace(old, new, 1)
        with pytest.raises((SnapshotError, ValueError)):
            restored(resealed(edited))


# -- the graph checks themselves ----------------------------------------------------------


@pytest.fixture
def graph_state() -> tuple[dict[str, Any], Any]:
    store = make_store(100, exact_threshold=10)
    state = store.index.export()
    assert state.graph is not None
    index = store.index
    labels = index._store.labels(index._store.live_slots())
    return state.graph, labels


def _check(state: dict[str, Any], labels: Any) -> None:
    check_state(state, space="ip", dim=12, M=16, live_labels=labels)


def test_a_sound_graph_passes(graph_state: tuple[dict[str, Any], Any]) -> None:
    _check(*graph_state)


@pytest.mark.parametrize(
    "damage",
    [
        "link past the end",
        "link count",
        "entry point",
        "level",
        "label",
        "short data",
        "removed mark",
        "count",
    ],
)
def test_graphs_that_would_crash_hnswlib_are_refused(
    graph_state: tuple[dict[str, Any], Any], damage: str
) -> None:
    state, labels = graph_state
    state = dict(state)
    per = state["size_data_per_element"]
    data = state["data_level0"].copy()
    if damage == "link past the end":
        data[4:8] = np.frombuffer(np.uint32(10**6).tobytes(), np.int8)
    elif damage == "link count":
        data[0:2] = np.frombuffer(np.uint16(999).tobytes(), np.int8)
    elif damage == "entry point":
        state["enterpoint_node"] = 10**6
    elif damage == "level":
        levels = state["element_levels"].copy()
        levels[0] = 100
        state["element_levels"] = levels
    elif damage == "label":
        offset = state["label_offset"]
        data[offset : offset + 8] = np.frombuffer(np.uint64(2**40).tobytes(), np.int8)
    elif damage == "short data":
        data = data[:-per]
    elif damage == "removed mark":
        data[2] |= 1
    elif damage == "count":
        state["cur_element_count"] += 1
    state["data_level0"] = data
    with pytest.raises(ValueError, match="inconsistent"):
        _check(state, labels)
