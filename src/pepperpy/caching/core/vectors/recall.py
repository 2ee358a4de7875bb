"""Choosing ``ef`` for a recall target, by measuring recall on the index's own data.

The method: draw a seeded sample of the stored vectors (:data:`SAMPLE` of them) and
move each, in a random direction, by its distance to its nearest other stored vector:
queries like the data, yet not in the graph (a stored vector searched for itself is
too easy, as its own links lead to its neighbours). Their true 10 nearest neighbours
come from an exact search over every live vector, in chunks; then the graph answers
the same queries at growing ``ef`` values (:data:`EF_STEPS`), and the first ``ef``
whose recall@10 reaches the target is kept. A result counts as found when its
distance is within rounding of the 10th true distance, so ties among equal vectors
cannot lower the figure. With the same vectors, seed and graph the choice is the same.

The cost: the exact part is two passes of ``SAMPLE x live x dim`` multiply-adds
(numpy, one matrix product per chunk), about 0.2-0.5 s for 100,000 vectors of
dimension 128; the graph part is ``SAMPLE`` searches per ``ef`` tried. The queries are
*near* the data: the chosen ``ef`` is the one that serves such queries at the target.
"""

from __future__ import annotations

from typing import Final, NamedTuple, final

import numpy as np
import numpy.typing as npt

from .graph import Graph
from .metrics import MetricName, search_rows, squared_distances
from .slots import SlotStore

__all__ = ("EF_STEPS", "RECALL_K", "SAMPLE", "RecallCheck", "check_recall_now")

RECALL_K: Final = 10
"""Recall is measured as recall@10."""
SAMPLE: Final = 200
"""Stored vectors used as queries by one check."""
EF_STEPS: Final = (12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
"""The ``ef`` values tried, smallest first."""
_CHUNK: Final = 16384
_TOLERANCE: Final = 1e-5


@final
class RecallCheck(NamedTuple):
    """What one recall check found."""

    ef: int
    """The smallest ``ef`` tried that reached the target (the largest tried if none did)."""
    recall: float
    """Recall@10 measured at that ``ef``."""
    target: float
    """The recall asked for."""
    queries: int
    """Sampled vectors used as queries."""
    live: int
    """Live vectors when the check ran."""


def check_recall_now(
    graph: Graph,
    store: SlotStore,
    metric: MetricName,
    *,
    target: float,
    seed: int,
    sample: int = SAMPLE,
) -> RecallCheck:
    """Measure recall@10 of ``graph`` over the live vectors of ``store`` (see the
    module's documentation) and return the smallest ``ef`` reaching ``target``."""
    live_slots = store.live_slots()
    n = len(live_slots)
    k = min(RECALL_K, n - 1)
    if k < 1:
        return RecallCheck(EF_STEPS[0], 1.0, target, 0, n)
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(n, size=min(sample, n), replace=False))
    anchor_slots = live_slots[picked]
    queries = _moved_away(store, metric, live_slots, anchor_slots, rng)
    distances, _ = _nearest(store, metric, live_slots, queries, k, None)
    kth = distances[:, -1].astype(np.float64)
    tolerance = _tolerance(store, metric, live_slots, queries)
    best = (EF_STEPS[0], 0.0)
    for ef in EF_STEPS:
        if ef < k:
            continue
        found = graph.search_many(queries, k, ef=ef)
        recall = 0.0 if found is None else _recall(found[1], kth, tolerance)
        best = (ef, recall)
        if recall >= target or ef >= graph.count:
            break
    return RecallCheck(best[0], best[1], target, len(anchor_slots), n)


def _moved_away(
    store: SlotStore,
    metric: MetricName,
    live_slots: npt.NDArray[np.intp],
    anchor_slots: npt.NDArray[np.intp],
    rng: np.random.Generator,
) -> npt.NDArray[np.float32]:
    """Queries like the data but not in the graph: each sampled vector moved, in a
    random direction, by its distance to its nearest other stored vector. (A stored
    vector searched for itself would be too easy: its own links lead to its
    neighbours.)"""
    anchors = _rows(store, metric, anchor_slots)
    _, nearest = _nearest(store, metric, live_slots, anchors, 1, anchor_slots)
    steps = np.linalg.norm(anchors - _rows(store, metric, nearest[:, 0]), axis=1)
    directions = rng.normal(size=anchors.shape)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    queries = anchors + steps[:, None] * directions
    if metric == "cosine":  # the graph holds unit vectors: search with unit queries
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    moved: npt.NDArray[np.float32] = queries.astype(np.float32)
    return moved


def _rows(
    store: SlotStore, metric: MetricName, slots: npt.NDArray[np.intp]
) -> npt.NDArray[np.float32]:
    inv = None if store.inv_norms is None else store.inv_norms[slots]
    return search_rows(metric, store.vectors[slots], inv)


def _distances(
    metric: MetricName, queries: npt.NDArray[np.float32], rows: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """hnswlib's distances (``1 - dot``, or squared L2) between queries and rows."""
    if metric == "l2":
        squared: npt.NDArray[np.float32] = squared_distances(queries, rows)
        return squared
    distances: npt.NDArray[np.float32] = np.subtract(1.0, queries @ rows.T, dtype=np.float32)
    return distances


def _nearest(
    store: SlotStore,
    metric: MetricName,
    live_slots: npt.NDArray[np.intp],
    queries: npt.NDArray[np.float32],
    k: int,
    exclude: npt.NDArray[np.intp] | None,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.intp]]:
    """Per query, the ``k`` smallest true distances to live vectors (ascending) and
    their slots, by exact search in chunks; ``exclude`` is a slot per query to leave
    out (the query's own)."""
    best = np.full((len(queries), k), np.inf, np.float32)
    slots_of = np.zeros((len(queries), k), np.intp)
    for start in range(0, len(live_slots), _CHUNK):
        slots = live_slots[start : start + _CHUNK]
        distances = _distances(metric, queries, _rows(store, metric, slots))
        if exclude is not None:
            distances[slots[None, :] == exclude[:, None]] = np.inf
        merged = np.concatenate([best, distances], axis=1)
        merged_slots = np.concatenate([slots_of, np.broadcast_to(slots, distances.shape)], axis=1)
        keep = np.argpartition(merged, k - 1, axis=1)[:, :k]
        best = np.take_along_axis(merged, keep, axis=1)
        slots_of = np.take_along_axis(merged_slots, keep, axis=1)
    order = np.argsort(best, axis=1)
    return np.take_along_axis(best, order, axis=1), np.take_along_axis(slots_of, order, axis=1)


def _tolerance(
    store: SlotStore,
    metric: MetricName,
    live_slots: npt.NDArray[np.intp],
    queries: npt.NDArray[np.float32],
) -> npt.NDArray[np.float64]:
    """How far float32 rounding may move a distance, per query."""
    if metric != "l2":
        return np.full(len(queries), 2 * _TOLERANCE)
    rows = _rows(store, metric, live_slots)
    largest = float(np.einsum("ij,ij->i", rows, rows).max())
    squared: npt.NDArray[np.float64] = np.einsum("ij,ij->i", queries, queries).astype(np.float64)
    return _TOLERANCE * (1.0 + squared + largest)


def _recall(
    distances: npt.NDArray[np.float32],
    kth: npt.NDArray[np.float64],
    tolerance: npt.NDArray[np.float64],
) -> float:
    """The share of graph results no farther than the true ``k``-th nearest."""
    good = distances.astype(np.float64) <= (kth + tolerance)[:, None]
    return float(good.sum()) / good.size
