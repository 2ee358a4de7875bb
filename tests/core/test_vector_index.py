"""The vector index: validation, search on both paths, recall, churn and rebuilds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pepperpy.caching.core import CacheError, ConfigurationError, InvalidKeyError
from pepperpy.caching.core.errors import InvalidVectorError
from pepperpy.caching.core.vectors import METRICS, IndexSettings, VectorIndex
from pepperpy.caching.core.vectors.graph import Graph
from pepperpy.caching.core.vectors.validation import MAX_SQUARED_NORM

Matrix = npt.NDArray[np.float32]


def clustered(
    rng: np.random.Generator, n: int, dim: int, centers: Matrix, noise: float = 0.35
) -> Matrix:
    """``n`` points around randomly chosen ``centers``."""
    picks = rng.integers(0, len(centers), n)
    return (centers[picks] + noise * rng.normal(size=(n, dim))).astype(np.float32)


def exact_top(keys: list[str], rows: Matrix, query: Matrix, k: int) -> list[str]:
    """The true top-``k`` keys by cosine similarity, by brute force."""
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    order = np.argsort(-(unit @ (query / np.linalg.norm(query))), kind="stable")[:k]
    return [keys[i] for i in order]


def recall_at(index: VectorIndex, keys: list[str], rows: Matrix, queries: Matrix, k: int) -> float:
    found = 0
    for query in queries:
        got = {key for key, *_ in index.search(query, k)}
        found += len(got & set(exact_top(keys, rows, query, k)))
    return found / (k * len(queries))


SETTING_NAMES = frozenset(IndexSettings.__dataclass_fields__)


def make(dim: int | None = None, metric: str = "cosine", **options: Any) -> VectorIndex:
    """An index with ``options`` split between IndexSettings and the index itself."""
    settings = {k: v for k, v in options.items() if k in SETTING_NAMES}
    rest = {k: v for k, v in options.items() if k not in SETTING_NAMES}
    return VectorIndex(dim, metric, IndexSettings(**settings), **rest)


# -- validation -------------------------------------------------------------------------

BAD_VECTORS: list[tuple[str, object]] = [
    ("nan", [1.0, math.nan, 0.0]),
    ("inf", [1.0, math.inf, 0.0]),
    ("-inf", [-math.inf, 0.0, 1.0]),
    ("too long", [1.0, 2.0, 3.0, 4.0]),
    ("too short", [1.0, 2.0]),
    ("2-D", [[1.0, 2.0, 3.0]]),
    ("scalar", 1.0),
    ("empty", []),
    ("strings", ["a", "b", "c"]),
    ("objects", np.array([1.0, None, 2.0], dtype=object)),
    ("complex", np.array([1 + 1j, 0, 0])),
    ("bools", np.array([True, False, True])),
    ("ragged", [[1.0], [2.0, 3.0]]),
    ("huge norm", [1e30, 1e30, 1e30]),
    ("float32 overflow", np.array([1e39, 0.0, 0.0])),
    ("zero under cosine", [0.0, 0.0, 0.0]),
]


def snapshot(index: VectorIndex) -> tuple[Any, ...]:
    vector = index.vector("a")
    return (
        len(index),
        index.dim,
        index.dtype,
        index.stats,
        None if vector is None else vector.tolist(),
    )


@pytest.mark.parametrize(("label", "bad"), BAD_VECTORS, ids=[label for label, _ in BAD_VECTORS])
def test_a_bad_vector_is_refused_and_changes_nothing(label: str, bad: object) -> None:
    index = make(dtype="float32")
    index.add("a", [0.5, 0.25, 1.0])
    before = snapshot(index)
    with pytest.raises(InvalidVectorError) as raised:
        index.add("b", bad)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, CacheError)
    assert "'b'" in str(raised.value)
    assert snapshot(index) == before
    with pytest.raises(InvalidVectorError):
        index.add("a", bad)  # an overwrite that fails keeps the old vector
    assert snapshot(index) == before


@pytest.mark.parametrize(("label", "bad"), BAD_VECTORS, ids=[label for label, _ in BAD_VECTORS])
def test_a_batch_with_one_bad_vector_stores_nothing(label: str, bad: object) -> None:
    index = make(dtype="float32")
    index.add("a", [0.5, 0.25, 1.0])
    before = snapshot(index)
    with pytest.raises(InvalidVectorError, match="'bad'"):
        index.add_many(["x", "bad", "y"], [[1.0, 0.0, 0.0], bad, [0.0, 1.0, 0.0]])
    assert snapshot(index) == before
    assert "x" not in index


@pytest.mark.parametrize(("label", "bad"), BAD_VECTORS, ids=[label for label, _ in BAD_VECTORS])
def test_a_bad_query_is_refused(label: str, bad: object) -> None:
    index = make()
    index.add("a", [0.5, 0.25, 1.0])
    with pytest.raises(InvalidVectorError, match="query"):
        index.search(bad, 3)


def test_a_refused_first_vector_leaves_the_dimension_open() -> None:
    index = make()
    with pytest.raises(InvalidVectorError):
        index.add("a", [0.0, 0.0])
    assert index.dim is None
    assert index.dtype is None
    index.add("a", [1.0, 2.0, 3.0, 4.0])
    assert index.dim == 4


@pytest.mark.parametrize("metric", ["l2", "ip"])
def test_the_zero_vector_is_fine_without_cosine(metric: str) -> None:
    index = make(metric=metric)
    index.add("zero", [0.0, 0.0, 0.0])
    index.add("one", [1.0, 0.0, 0.0])
    assert {key for key, *_ in index.search([0.0, 0.0, 0.0], 2)} == {"zero", "one"}


def test_the_norm_limit_is_inclusive_of_what_float32_can_search() -> None:
    index = make(metric="l2", dtype="float64")
    side = math.sqrt(MAX_SQUARED_NORM / 2) * 0.999
    index.add("big", [side, side])
    index.add("small", [1.0, 0.0])
    assert [key for key, *_ in index.search([side, side], 1)] == ["big"]


def test_keys_must_be_strings() -> None:
    index = make()
    with pytest.raises(InvalidKeyError):
        index.add(1, [1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError):
        index.add_many(["a", 2], [[1.0, 2.0], [3.0, 4.0]])  # type: ignore[list-item]
    assert len(index) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dim": 0},
        {"dim": 2.5},
        {"metric": "manhattan"},
        {"dtype": "int32"},
        {"dtype": "float16"},
        {"M": 0},
        {"ef": -1},
        {"ef_construction": True},
        {"seed": -1},
        {"threads": 0},
        {"rebuild_ratio": 0},
    ],
)
def test_bad_settings_are_configuration_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError):
        make(**kwargs)


def test_k_must_be_positive() -> None:
    index = make()
    index.add("a", [1.0, 2.0])
    for k in (0, -1, 1.5, True):
        with pytest.raises(ConfigurationError):
            index.search([1.0, 2.0], k)  # type: ignore[arg-type]


# -- what is stored ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "dtype"),
    [
        (np.array([0.1, 0.2, 0.3], np.float32), np.float32),
        (np.array([0.1, 0.2, 0.3], np.float16), np.float32),
        (np.array([0.1, 0.2, 0.3]), np.float64),
        ([0.1, 0.2, 0.3], np.float64),
        ([1, 2, 3], np.float64),
    ],
)
def test_vectors_come_back_as_given(given: object, dtype: type) -> None:
    index = make()
    index.add("v", given)
    got = index.vector("v")
    assert got is not None
    assert got.dtype == dtype
    assert np.array_equal(got, np.asarray(given, dtype))  # the same values, not normalized


def test_a_returned_vector_is_a_copy() -> None:
    index = make()
    original = np.array([1.0, 2.0, 3.0])
    index.add("v", original)
    original[0] = 99.0
    got = index.vector("v")
    assert got is not None
    got[1] = 99.0
    assert index.vector("v").tolist() == [1.0, 2.0, 3.0]  # type: ignore[union-attr]


def test_a_float64_vector_in_a_float32_index_is_rounded() -> None:
    index = make(dtype="float32")
    index.add("v", [0.1, 0.2])
    assert index.vector("v").tolist() == np.array([0.1, 0.2], np.float32).tolist()  # type: ignore[union-attr]


def test_clear_forgets_a_dimension_that_was_not_given() -> None:
    inferred = make()
    inferred.add("a", [1.0, 2.0])
    inferred.clear()
    inferred.add("a", [1.0, 2.0, 3.0])
    assert inferred.dim == 3
    given = make(dim=2)
    given.add("a", [1.0, 2.0])
    given.clear()
    with pytest.raises(InvalidVectorError):
        given.add("a", [1.0, 2.0, 3.0])


def test_a_batch_keeps_the_last_vector_of_a_repeated_key() -> None:
    index = make()
    index.add_many(["a", "b", "a"], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert len(index) == 2
    assert index.vector("a").tolist() == [1.0, 1.0]  # type: ignore[union-attr]


# -- scores -----------------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("exact_threshold", [10_000, 0])
def test_scores_follow_the_documented_formulas(metric: str, exact_threshold: int) -> None:
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(200, 8)).astype(np.float32)
    keys = [f"k{i}" for i in range(len(rows))]
    index = make(metric=metric, exact_threshold=exact_threshold)
    index.add_many(keys, rows)
    index.maintain()
    query = rng.normal(size=8).astype(np.float32)
    wide = rows.astype(np.float64)
    q = query.astype(np.float64)
    if metric == "cosine":
        expected = wide @ q / (np.linalg.norm(wide, axis=1) * np.linalg.norm(q))
    elif metric == "ip":
        expected = wide @ q
    else:
        expected = 1.0 / (1.0 + np.linalg.norm(wide - q, axis=1))
    results = index.search(query, 10)
    assert len(results) == 10
    for key, score, _meta in results:
        assert score == pytest.approx(expected[keys.index(key)], rel=1e-4, abs=1e-5)
    scores = [score for _, score, _ in results]
    assert scores == sorted(scores, reverse=True)
    best = [keys[i] for i in np.argsort(-expected)[:10]]
    assert [key for key, *_ in results] == best


@pytest.mark.parametrize("metric", METRICS)
def test_the_threshold_keeps_scores_at_or_above_it(metric: str) -> None:
    rng = np.random.default_rng(5)
    rows = rng.normal(size=(300, 6)).astype(np.float32)
    index = make(metric=metric)
    index.add_many([f"k{i}" for i in range(len(rows))], rows)
    query = rows[0]
    everything = index.search(query, 300)
    cut = everything[20][1]
    kept = index.search(query, 300, threshold=cut)
    assert kept == [hit for hit in everything if hit[1] >= cut]
    assert len(kept) >= 21


def test_cosine_scores_stay_within_minus_one_and_one() -> None:
    index = make(exact_threshold=0)
    index.add_many(["same", "opposite"], [[3.0, 4.0], [-3.0, -4.0]])
    index.maintain()
    results = {key: score for key, score, _meta in index.search([0.6, 0.8], 2)}
    assert -1.0 <= results["opposite"] <= -0.9999
    assert 0.9999 <= results["same"] <= 1.0


def test_k_is_clamped_to_the_live_count() -> None:
    index = make(exact_threshold=0)
    index.add_many([f"k{i}" for i in range(50)], np.eye(50, dtype=np.float32) + 0.01)
    index.maintain()
    for key in [f"k{i}" for i in range(45)]:
        index.remove(key)
    assert {key for key, *_ in index.search(np.ones(50), 10)} == {f"k{i}" for i in range(45, 50)}
    assert make().search([1.0, 2.0], 5) == []


# -- exact and graph paths --------------------------------------------------------------


def test_the_exact_path_and_the_graph_path_agree() -> None:
    rng = np.random.default_rng(11)
    centers = rng.normal(size=(20, 32)).astype(np.float32)
    rows = clustered(rng, 1500, 32, centers)
    keys = [f"k{i}" for i in range(len(rows))]
    exact = make(exact_threshold=10_000)
    graph = make(exact_threshold=0)
    for index in (exact, graph):
        index.add_many(keys, rows)
        index.maintain()
    assert exact.stats.graph_elements == 0
    assert graph.stats.graph_elements == len(rows)
    overlap = 0
    for query in clustered(rng, 100, 32, centers):
        from_exact = {key: score for key, score, _meta in exact.search(query, 10)}
        from_graph = {key: score for key, score, _meta in graph.search(query, 10)}
        overlap += len(from_exact.keys() & from_graph.keys())
        for key in from_exact.keys() & from_graph.keys():
            assert from_graph[key] == pytest.approx(from_exact[key], abs=1e-5)
    assert overlap / 1000 >= 0.98


def test_a_graph_appears_past_the_exact_threshold_and_goes_when_few_remain() -> None:
    index = make(exact_threshold=100)
    rows = np.random.default_rng(2).normal(size=(150, 4)).astype(np.float32)
    index.add_many([f"k{i}" for i in range(100)], rows[:100])
    assert not index.wants_rebuild
    index.add_many([f"k{i}" for i in range(100, 150)], rows[100:])
    assert index.wants_rebuild
    index.maintain()
    assert index.stats.graph_elements == 150
    index.remove_many([f"k{i}" for i in range(101)])
    assert index.stats.graph_elements == 0  # 49 live <= 100 // 2: exact search only


class _Failing:
    """A stand-in for an hnswlib index whose searches always come back short."""

    element_count = 10
    max_elements = 10

    def set_ef(self, ef: int) -> None:
        self.ef = ef

    def knn_query(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Cannot return the results in a contiguous 2D array")


def test_a_search_hnswlib_cannot_complete_falls_back_to_exact() -> None:
    index = make(exact_threshold=0)
    rows = np.random.default_rng(4).normal(size=(10, 4)).astype(np.float32)
    index.add_many([f"k{i}" for i in range(10)], rows)
    index.maintain()
    expected = index.search(rows[0], 3)
    graph = index._graph
    assert isinstance(graph, Graph)
    graph._index = _Failing()
    got = index.search(rows[0], 3)
    assert [key for key, *_ in got] == [key for key, *_ in expected]
    assert [score for _, score, _ in got] == pytest.approx([score for _, score, _ in expected])


# -- recall -----------------------------------------------------------------------------

DIM = 64
N = 20_000


@pytest.fixture(scope="module")
def data() -> tuple[list[str], Matrix, Matrix]:
    rng = np.random.default_rng(2024)
    centers = rng.normal(size=(200, DIM)).astype(np.float32)
    return [f"k{i}" for i in range(N)], clustered(rng, N, DIM, centers), centers


@pytest.fixture(scope="module")
def built(data: tuple[list[str], Matrix, Matrix]) -> VectorIndex:
    keys, rows, _ = data
    index = make()
    index.add_many(keys, rows)
    index.maintain()
    assert index.stats.graph_elements == N
    return index


@pytest.mark.slow
def test_recall_near_the_data(built: VectorIndex, data: tuple[list[str], Matrix, Matrix]) -> None:
    keys, rows, centers = data
    queries = clustered(np.random.default_rng(1), 200, DIM, centers)
    assert recall_at(built, keys, rows, queries, 10) >= 0.95


def far_queries(rng: np.random.Generator, centers: Matrix, n: int) -> Matrix:
    """Queries far from every stored vector: random directions, and midpoints between two
    clusters (whose true neighbours split between both)."""
    random = rng.normal(size=(n // 2, DIM))
    pairs = rng.integers(0, len(centers), size=(n - n // 2, 2))
    noise = 0.35 * rng.normal(size=(n - n // 2, DIM))
    between = (centers[pairs[:, 0]] + centers[pairs[:, 1]]) / 2 + noise
    return np.concatenate([random, between]).astype(np.float32)


@pytest.mark.slow
def test_recall_far_from_the_data(
    built: VectorIndex, data: tuple[list[str], Matrix, Matrix]
) -> None:
    keys, rows, centers = data
    queries = far_queries(np.random.default_rng(2), centers, 200)
    assert recall_at(built, keys, rows, queries, 10) >= 0.9


@pytest.mark.slow
def test_recall_after_half_the_vectors_are_replaced(data: tuple[list[str], Matrix, Matrix]) -> None:
    keys, rows, centers = data
    rng = np.random.default_rng(9)
    index = make()
    index.add_many(keys, rows)
    index.maintain()
    live_keys = list(keys)
    live_rows = rows.copy()
    fresh = clustered(rng, N // 2, DIM, centers)
    for i, position in enumerate(rng.permutation(N)[: N // 2].tolist()):
        index.remove(live_keys[position])
        live_keys[position] = f"new{i}"
        live_rows[position] = fresh[i]
        index.add(live_keys[position], fresh[i])
        index.maintain()
    assert len(index) == N
    near = clustered(rng, 200, DIM, centers)
    far = far_queries(rng, centers, 200)
    assert recall_at(index, live_keys, live_rows, near, 10) >= 0.95
    assert recall_at(index, live_keys, live_rows, far, 10) >= 0.9


# -- churn and rebuilds -----------------------------------------------------------------


@pytest.mark.parametrize("replace_deleted", [False, True])
def test_memory_stays_bounded_under_churn(replace_deleted: bool) -> None:
    live = 500
    rng = np.random.default_rng(6)
    index = make(exact_threshold=50, replace_deleted=replace_deleted, ef_construction=40)
    keys = [f"k{i}" for i in range(live)]
    index.add_many(keys, rng.normal(size=(live, 8)))
    index.maintain()
    peaks = []
    for round_ in range(8):
        for i in range(live):
            index.remove(keys[i])
            keys[i] = f"r{round_}-{i}"
            index.add(keys[i], rng.normal(size=8))
            index.maintain()
        stats = index.stats
        peaks.append((stats.slots, stats.graph_elements, stats.graph_capacity))
        assert stats.live == live
    for slots, elements, capacity in peaks:
        assert slots <= 2 * live  # slots are reused
        bound = live + 1 if replace_deleted else 2 * live
        assert elements <= bound
        assert capacity <= max(peak[2] for peak in peaks[:2])  # no growth after warm-up
    assert {key for key, *_ in index.search(rng.normal(size=8), live)} == set(keys)


def test_a_rebuild_replays_what_changed_while_it_ran() -> None:
    rng = np.random.default_rng(8)
    index = make(exact_threshold=10)
    rows = rng.normal(size=(200, 6)).astype(np.float32)
    index.add_many([f"k{i}" for i in range(100)], rows[:100])
    index.maintain()
    index.remove_many([f"k{i}" for i in range(60)])
    assert index.wants_rebuild
    job = index.start_rebuild()
    assert not index.wants_rebuild
    index.remove_many(["k60", "k61"])  # were in the snapshot
    index.add_many([f"k{i}" for i in range(100, 200)], rows[100:])  # after it
    index.remove("k150")
    index.add("k61", rows[61])  # back, in a new slot
    job.run()
    assert index.finish_rebuild(job)
    expected = {f"k{i}" for i in range(61, 200)} - {"k150"}
    assert set(index.keys()) == expected
    stats = index.stats
    assert stats.live == len(expected)
    assert stats.graph_elements - stats.graph_deleted == len(expected)
    assert {key for key, *_ in index.search(rows[0], 500)} == expected
    for i in (61, 62, 199):
        assert index.search(rows[i], 1)[0][0] == f"k{i}"


def test_an_abandoned_or_outdated_rebuild_installs_nothing() -> None:
    index = make(exact_threshold=10)
    rows = np.random.default_rng(1).normal(size=(50, 4)).astype(np.float32)
    index.add_many([f"k{i}" for i in range(50)], rows)
    job = index.start_rebuild()
    index.abandon_rebuild(job)
    job.run()
    assert not index.finish_rebuild(job)
    assert index.stats.graph_elements == 0
    job = index.start_rebuild()
    index.clear()
    job.run()
    assert not index.finish_rebuild(job)
    assert len(index) == 0
    assert index.stats == index.stats._replace(live=0, graph_elements=0, rebuilding=False)


def test_only_one_rebuild_at_a_time() -> None:
    index = make(exact_threshold=1)
    index.add_many(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    index.start_rebuild()
    with pytest.raises(ConfigurationError):
        index.start_rebuild()


def test_the_same_inputs_give_the_same_answers() -> None:
    rng = np.random.default_rng(12)
    rows = rng.normal(size=(600, 16)).astype(np.float32)
    queries = rng.normal(size=(20, 16)).astype(np.float32)

    def run() -> list[list[tuple[str, float, object]]]:
        index = make(exact_threshold=0, seed=7)
        index.add_many([f"k{i}" for i in range(len(rows))], rows)
        index.maintain()
        return [index.search(query, 5) for query in queries]

    assert run() == run()


# -- against a model --------------------------------------------------------------------

DIM_SMALL = 3
vectors = st.lists(
    st.floats(-10, 10, allow_nan=False, width=32).filter(lambda x: abs(x) > 1e-3),
    min_size=DIM_SMALL,
    max_size=DIM_SMALL,
)
names = st.sampled_from([f"k{i}" for i in range(30)])


class IndexMachine(RuleBasedStateMachine):
    """The index against a dict of vectors, across the exact and graph paths, with
    rebuilds started, interleaved with writes and finished at arbitrary points."""

    def __init__(self) -> None:
        super().__init__()
        self.index = make(dim=DIM_SMALL, dtype="float32", exact_threshold=4, seed=1)
        self.model: dict[str, npt.NDArray[np.float32]] = {}
        self.job: Any = None

    @rule(key=names, vector=vectors)
    def add(self, key: str, vector: list[float]) -> None:
        self.index.add(key, vector)
        self.model[key] = np.array(vector, np.float32)

    @rule(keys=st.lists(names, max_size=6), data=st.data())
    def add_many(self, keys: list[str], data: st.DataObject) -> None:
        rows = [data.draw(vectors) for _ in keys]
        self.index.add_many(keys, rows)
        for key, row in zip(keys, rows, strict=True):
            self.model[key] = np.array(row, np.float32)

    @rule(key=names)
    def remove(self, key: str) -> None:
        assert self.index.remove(key) == (key in self.model)
        self.model.pop(key, None)

    @rule()
    def maintain(self) -> None:
        if self.job is None:
            self.index.maintain()

    @precondition(lambda self: self.job is None)
    @rule()
    def start_rebuild(self) -> None:
        if self.index.wants_rebuild:
            self.job = self.index.start_rebuild()

    @precondition(lambda self: self.job is not None)
    @rule(abandon=st.booleans())
    def finish_rebuild(self, abandon: bool) -> None:
        if abandon:
            self.index.abandon_rebuild(self.job)
        else:
            self.job.run()
            assert self.index.finish_rebuild(self.job)
        self.job = None

    @rule(query=vectors, k=st.integers(1, 8))
    def search(self, query: list[float], k: int) -> None:
        results = self.index.search(query, k)
        assert len(results) == min(k, len(self.model))
        q = np.array(query, np.float64)
        for key, score, _meta in results:
            row = self.model[key].astype(np.float64)
            expected = row @ q / (np.linalg.norm(row) * np.linalg.norm(q))
            assert score == pytest.approx(expected, abs=1e-5)
        scores = [score for _, score, _ in results]
        assert scores == sorted(scores, reverse=True)

    @invariant()
    def same_contents(self) -> None:
        assert len(self.index) == len(self.model)
        assert set(self.index.keys()) == set(self.model)
        for key, row in self.model.items():
            assert np.array_equal(self.index.vector(key), row)  # type: ignore[arg-type]
        stats = self.index.stats
        if stats.graph_elements:
            assert stats.graph_elements - stats.graph_deleted == stats.live


TestIndexMachine = IndexMachine.TestCase
TestIndexMachine.settings = settings(max_examples=40, stateful_step_count=40, deadline=None)


@given(st.lists(vectors, min_size=1, max_size=20), vectors)
def test_exact_search_finds_the_true_best(rows: list[list[float]], query: list[float]) -> None:
    index = make(dim=DIM_SMALL)
    index.add_many([f"k{i}" for i in range(len(rows))], rows)
    (_, score, _), *_ = index.search(query, 1)
    matrix = np.array(rows, np.float64)
    q = np.array(query, np.float64)
    scores = matrix @ q / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(q))
    assert score == pytest.approx(scores.max(), abs=1e-9)


# -- subclasses of ndarray ----------------------------------------------------------------


class Tagged(np.ndarray):  # type: ignore[type-arg]
    """An ndarray subclass of the user's, with state of its own."""


@pytest.mark.parametrize(
    "given",
    [
        np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False]),
        np.ma.array([1.0, 2.0, 3.0]),  # no value masked: still a masked array
        np.array([1.0, 2.0, 3.0]).view(Tagged),
    ],
    ids=["masked", "masked, nothing masked", "own subclass"],
)
def test_ndarray_subclasses_are_refused_not_stripped(given: object) -> None:
    index = make()
    index.add("a", [1.0, 1.0, 1.0])
    with pytest.raises(InvalidVectorError, match=r"subclass of numpy\.ndarray"):
        index.add("b", given)
    with pytest.raises(InvalidVectorError, match="subclass"):
        index.add_many(["b", "c"], [[1.0, 0.0, 0.0], given])
    with pytest.raises(InvalidVectorError, match="subclass"):
        index.search(given, 1)
    with pytest.raises(InvalidVectorError, match="subclass"):
        index.search_many([given], 1)
    assert index.keys() == ["a"]


def test_a_masked_batch_is_refused() -> None:
    index = make()
    batch = np.ma.array(np.ones((2, 3)), mask=[[0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidVectorError, match="masked"):
        index.add_many(["a", "b"], batch)
    assert len(index) == 0


# -- batch searches -----------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("exact_threshold", [10_000, 0])
def test_search_many_answers_as_search_does(metric: str, exact_threshold: int) -> None:
    rng = np.random.default_rng(21)
    rows = rng.normal(size=(400, 8)).astype(np.float32)
    index = make(metric=metric, exact_threshold=exact_threshold, seed=2)
    index.add_many([f"k{i}" for i in range(len(rows))], rows, [{"i": i} for i in range(400)])
    index.remove_many([f"k{i}" for i in range(0, 400, 7)])  # holes, and graph marks
    index.maintain()
    queries = rng.normal(size=(25, 8)).astype(np.float32)
    for threshold in (None, 0.3):
        many = index.search_many(queries, 6, threshold)
        assert len(many) == len(queries)
        for query, found in zip(queries, many, strict=True):
            alone = index.search(query, 6, threshold)
            assert [key for key, *_ in found] == [key for key, *_ in alone]
            assert [s for _, s, _ in found] == pytest.approx([s for _, s, _ in alone], abs=1e-5)
            assert [m for *_, m in found] == [m for *_, m in alone]


def test_search_many_takes_lists_and_checks_every_query_first() -> None:
    index = make()
    assert index.search_many([[1.0, 0.0]], 3) == [[]]  # nothing stored yet
    index.add_many(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    found = index.search_many([[1.0, 0.1], [0.1, 1.0]], 5)
    assert [[key for key, *_ in hits] for hits in found] == [["a", "b"], ["b", "a"]]
    assert index.search_many(np.empty((0, 2)), 3) == []
    with pytest.raises(InvalidVectorError, match="query #1"):
        index.search_many([[1.0, 0.0], [math.nan, 1.0]], 1)
    with pytest.raises(InvalidVectorError, match="query #0"):
        index.search_many([[0.0, 0.0]], 1)
    with pytest.raises(ConfigurationError):
        index.search_many([[1.0, 0.0]], 0)


# -- recall targets -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def clustered_set() -> tuple[Matrix, Matrix]:
    """6,000 clustered vectors, and the centers of their clusters."""
    rng = np.random.default_rng(77)
    centers = rng.normal(size=(60, 32)).astype(np.float32)
    return clustered(rng, 6000, 32, centers), centers


def test_a_recall_target_picks_the_smallest_ef_that_reaches_it(
    clustered_set: tuple[Matrix, Matrix],
) -> None:
    rows, centers = clustered_set
    keys = [f"k{i}" for i in range(len(rows))]
    near = clustered(np.random.default_rng(3), 300, 32, centers)
    chosen = {}
    for target in (0.5, 0.9, 0.99):
        index = make(recall=target, seed=4, threads=1)
        index.add_many(keys, rows)
        assert index.maintain()  # the graph, then the check
        stats = index.stats
        check = index.last_recall_check
        assert check is not None
        assert stats.ef == check.ef
        assert stats.recall == check.recall >= target
        assert (check.queries, check.live, check.target) == (200, 6000, target)
        chosen[target] = check.ef
        # queries drawn like the data get (at least about) what was measured
        assert recall_at(index, keys, rows, near, 10) >= min(target, check.recall) - 0.02
    assert chosen[0.5] <= chosen[0.9] <= chosen[0.99]
    index.ef = 300
    assert index.recall_target is None  # setting ef ends the target
    assert index.stats.recall is None


def test_the_check_is_deterministic_and_redone_as_the_index_grows(
    clustered_set: tuple[Matrix, Matrix],
) -> None:
    clustered_rows, _ = clustered_set

    def run() -> list[tuple[int, float]]:
        index = make(recall=0.97, seed=6, threads=1, exact_threshold=500)
        seen = []
        for start in range(0, 6000, 1000):
            block = clustered_rows[start : start + 1000]
            index.add_many([f"k{i}" for i in range(start, start + len(block))], block)
            index.maintain()
            check = index.last_recall_check
            assert check is not None
            seen.append((check.live, check.ef))
        return seen

    first = run()
    assert first == run()
    assert [live for live, _ in first] == [1000, 2000, 2000, 4000, 4000, 4000]
    assert not make(recall=0.9).wants_recall_check  # no graph, nothing to check
