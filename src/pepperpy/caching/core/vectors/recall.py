"""Choosing ``ef`` for a recall target, by measuring recall on the index's own data.

The method: draw a seeded sample of the stored vectors (:data:`SAMPLE` of them) and
use each as a query. Its true 10 nearest neighbours (itself left out) come from an
exact search over every live vector, in chunks; then the graph answers the same
queries at growing ``ef`` values (:data:`EF_STEPS`), and the first ``ef`` whose
recall@10 reaches the target is kept. A result counts as found when its distance is
within rounding of the 10th true distance, so ties among equal vectors cannot lower
the figure. With the same vectors, seed and graph the choice is the same.

The cost: the exact part is ``SAMPLE x live x dim`` multiply-adds (numpy, one matrix
product per chunk), about 0.1-0.3 s for 100,000 vectors of dimension 128; the graph
part is ``SAMPLE`` searches per ``ef`` tried, usually less. Queries drawn from the
data are *near* it: the chosen ``ef`` is the one that serves such queries at the target.
"""

from __future__ import annotations

from typing import Final, NamedTuple, final

import numpy as np
import numpy.typing as npt

from .graph import Graph
from .metrics import MetricName, search_rows
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
    query_slots = live_slots[picked]
    queries = _rows(store, metric, query_slots)
    kth, tolerance = _kth_true_distances(store, metric, live_slots, queries, query_slots, k)
    own_labels = store.labels(query_slots)
    best = (EF_STEPS[0], 0.0)
    for ef in EF_STEPS:
        if ef <= k:
            continue
        found = graph.search_many(queries, k + 1, ef=ef)
        recall = 0.0 if found is None else _recall(found, own_labels, kth, tolerance, k)
        best = (ef, recall)
        if recall >= target or ef >= graph.count:
            break
    return RecallCheck(best[0], best[1], target, len(query_slots), n)


def _rows(
    store: SlotStore, metric: MetricName, slots: npt.NDArray[np.intp]
) -> npt.NDArray[np.float32]:
    inv = None if store.inv_norms is None else store.inv_norms[slots]
    return search_rows(metric, store.vectors[slots], inv)


def _distances(
    metric: MetricName, queries: npt.NDArray[np.float32], rows: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """hnswlib's distances (``1 - dot``, or squared L2) between queries and rows."""
    products: npt.NDArray[np.float32] = queries @ rows.T
    if metric != "l2":
        return np.subtract(1.0, products, dtype=np.float32)
    squared = (
        np.einsum("ij,ij->i", queries, queries)[:, None]
        - 2.0 * products
        + np.einsum("ij,ij->i", rows, rows)[None, :]
    )
    clipped: npt.NDArray[np.float32] = np.maximum(squared, 0.0)
    return clipped


def _kth_true_distances(
    store: SlotStore,
    metric: MetricName,
    live_slots: npt.NDArray[np.intp],
    queries: npt.NDArray[np.float32],
    query_slots: npt.NDArray[np.intp],
    k: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per query: the ``k``-th smallest true distance to a live vector other than
    itself, and the rounding tolerance for comparing graph distances with it."""
    nearest = np.full((len(queries), k), np.inf, np.float32)
    largest = 0.0
    for start in range(0, len(live_slots), _CHUNK):
        slots = live_slots[start : start + _CHUNK]
        rows = _rows(store, metric, slots)
        if metric == "l2":
            largest = max(largest, float(np.einsum("ij,ij->i", rows, rows).max()))
        distances = _distances(metric, queries, rows)
        distances[slots[None, :] == query_slots[:, None]] = np.inf
        merged = np.concatenate([nearest, distances], axis=1)
        nearest = np.partition(merged, k - 1, axis=1)[:, :k]
    kth = nearest.max(axis=1).astype(np.float64)
    if metric == "l2":
        scale = np.einsum("ij,ij->i", queries, queries).astype(np.float64) + largest
    else:
        scale = np.ones(len(queries))
    return kth, _TOLERANCE * (1.0 + scale)


def _recall(
    found: tuple[npt.NDArray[np.uint64], npt.NDArray[np.float32]],
    own_labels: npt.NDArray[np.uint64],
    kth: npt.NDArray[np.float64],
    tolerance: npt.NDArray[np.float64],
    k: int,
) -> float:
    labels, distances = found
    others = np.where(labels == own_labels[:, None], np.inf, distances.astype(np.float64))
    others.sort(axis=1)
    good = others[:, :k] <= (kth + tolerance)[:, None]
    return float(good.sum()) / good.size
