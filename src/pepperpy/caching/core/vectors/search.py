"""Turning a search into results: scores, thresholds and keys, for either path.

The single-query functions work on a handful of plain floats in a Python loop (numpy's
per-call overhead would exceed the arithmetic); the batch functions compute scores with
numpy and build every result in C-level loops (``map`` over ``zip``), which is what
keeps a batch of ten thousand queries within a few percent of hnswlib's own time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable
from itertools import repeat
from operator import itemgetter
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from .metrics import MetricName, exact_scores, scores_from_distances, squared_distances
from .result import SimilarityResult
from .slots import SLOT_MASK, SlotStore

__all__ = ("exact_search", "exact_search_many", "graph_hits", "graph_hits_many")

# SimilarityResult's own __new__ is a Python function; tuple.__new__ skips that frame.
_new_result: Final = tuple.__new__
_MASK64: Final = np.uint64(SLOT_MASK)


def graph_hits(
    store: SlotStore,
    metric: MetricName,
    labels: list[int],
    distances: list[float],
    scale: float,
    threshold: float | None,
    touch: Callable[[str], object] | None = None,
) -> list[SimilarityResult]:
    """Results for what a graph search found (nearest first). ``scale`` multiplies
    cosine scores, for a query searched without being normalized; ``touch`` is called
    with each result's key.

    Keys are gathered by ``itemgetter`` and results built by ``map``: loops in C, whose
    memory reads (each key is somewhere else in memory) overlap instead of waiting for
    one another, which a Python loop cannot do.
    """
    # The formulas of metrics.scores_from_distances, on a handful of plain floats.
    if metric == "cosine":
        scores = [(1.0 - distance) * scale for distance in distances]
        if scores[0] > 1.0 or scores[-1] < -1.0:  # rounding past the bounds
            scores = [1.0 if x > 1.0 else -1.0 if x < -1.0 else x for x in scores]
    elif metric == "l2":
        scores = [1.0 / (1.0 + math.sqrt(d if d > 0.0 else 0.0)) for d in distances]
    else:
        scores = [1.0 - distance for distance in distances]
    n = len(scores)
    if threshold is not None:
        while n and scores[n - 1] < threshold:  # nearest first: a suffix falls short
            n -= 1
        if n < len(scores):
            labels, scores = labels[:n], scores[:n]
    if n == 0:
        return []
    slots = [label & SLOT_MASK for label in labels]
    pick = itemgetter(*slots)
    keys: tuple[str, ...] = pick(store.key_of) if n > 1 else (pick(store.key_of),)
    if store.payloads_given:
        metadata: Iterable[Any] = pick(store.payload_of) if n > 1 else (pick(store.payload_of),)
    else:
        metadata = repeat(store.empty)
    hits = list(
        map(_new_result, repeat(SimilarityResult), zip(keys, scores, metadata, strict=False))
    )
    if touch is not None:
        deque(map(touch, keys), maxlen=0)
    return hits


def _rows_of_results(
    store: SlotStore,
    slots: npt.NDArray[np.intp],
    scores: npt.NDArray[np.float64],
    threshold: float | None,
    touch: Callable[[str], object] | None,
) -> list[list[SimilarityResult]]:
    """Results from ``(queries, k)`` arrays of slots and scores (each row best first);
    ``touch`` is called with each result's key."""
    n, k = scores.shape
    if threshold is None:
        counts = None
    else:  # rows are sorted: each keeps a prefix
        kept = scores >= threshold
        counts = kept.sum(axis=1).tolist()
        slots, scores = slots[kept], scores[kept]
    flat_slots = slots.ravel().tolist()
    if not flat_slots:
        return [[] for _ in range(n)]
    pick: Callable[[list[Any]], tuple[Any, ...]] = (
        itemgetter(*flat_slots) if len(flat_slots) > 1 else lambda seq: (seq[flat_slots[0]],)
    )
    keys = pick(store.key_of)
    metadata = pick(store.payload_of) if store.payloads_given else repeat(store.empty)
    rows_of = zip(keys, scores.ravel().tolist(), metadata, strict=False)  # repeat() is endless
    flat = list(map(_new_result, repeat(SimilarityResult), rows_of))
    if touch is not None:
        deque(map(touch, keys), maxlen=0)  # in C: a call per result, nothing kept
    if counts is None:
        return [flat[start : start + k] for start in range(0, n * k, k)]
    rows, start = [], 0
    for count in counts:
        rows.append(flat[start : start + count])
        start += count
    return rows


def graph_hits_many(
    store: SlotStore,
    metric: MetricName,
    labels: npt.NDArray[np.uint64],
    distances: npt.NDArray[np.float32],
    scales: npt.NDArray[np.float64] | None,
    threshold: float | None,
    touch: Callable[[str], object] | None = None,
) -> list[list[SimilarityResult]]:
    """Results for a batch graph search: ``labels`` and ``distances`` have one row per
    query; ``scales`` (cosine) multiplies each row's scores; ``touch`` is called with
    each result's key."""
    scores = scores_from_distances(metric, distances, scales)
    slots = (labels & _MASK64).astype(np.intp)
    return _rows_of_results(store, slots, scores, threshold, touch)


def exact_search(
    store: SlotStore,
    metric: MetricName,
    row: npt.NDArray[np.floating],
    inv_norm: float | None,
    k: int,
    threshold: float | None,
    touch: Callable[[str], object] | None = None,
) -> list[SimilarityResult]:
    """The ``k`` best live vectors for the query ``row`` (``k`` <= the live count), by
    brute force; ties keep slot order. ``touch`` is called with each result's key."""
    query = (row * inv_norm if inv_norm is not None else row).astype(
        store.vectors.dtype, copy=False
    )
    slots, rows, inv = _live_rows(store)
    scores = exact_scores(metric, rows, query, inv)
    if slots is None and store.high > len(store):
        scores[~store.alive[: store.high]] = -np.inf
    if k < len(scores):
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
    else:
        best = np.argsort(-scores, kind="stable")
    picked = (best if slots is None else slots[best]).tolist()
    key_of, metadata_of = store.key_of, store.payload_of
    cosine = metric == "cosine"
    hits = []
    for slot, score in zip(picked, scores[best].tolist(), strict=True):
        if cosine:
            score = 1.0 if score > 1.0 else -1.0 if score < -1.0 else score
        if threshold is not None and score < threshold:
            break
        key = key_of[slot]
        hits.append(_new_result(SimilarityResult, (key, score, metadata_of[slot])))
        if touch is not None:
            touch(key)
    return hits


def exact_search_many(
    store: SlotStore,
    metric: MetricName,
    rows: npt.NDArray[np.floating],
    inv_norms: npt.NDArray[np.float64] | None,
    k: int,
    threshold: float | None,
    touch: Callable[[str], object] | None = None,
) -> list[list[SimilarityResult]]:
    """:func:`exact_search` for every row of ``rows`` (queries), with one matrix
    product; ``k`` <= the live count. ``touch`` is called with each result's key."""
    queries = rows if inv_norms is None else rows * inv_norms[:, None]
    queries = queries.astype(store.vectors.dtype, copy=False)
    slots, stored, inv = _live_rows(store)
    scores = _exact_score_matrix(metric, stored, queries, inv)
    if slots is None and store.high > len(store):
        scores[:, ~store.alive[: store.high]] = -np.inf
    if k < scores.shape[1]:
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
        best = np.take_along_axis(best, order, axis=1)
    else:
        best = np.argsort(-scores, axis=1, kind="stable")
    top = np.take_along_axis(scores, best, axis=1)
    if metric == "cosine":
        np.clip(top, -1.0, 1.0, out=top)
    picked = best if slots is None else slots[best]
    return _rows_of_results(store, picked, top, threshold, touch)


def _live_rows(
    store: SlotStore,
) -> tuple[npt.NDArray[np.intp] | None, npt.NDArray[Any], npt.NDArray[np.float64] | None]:
    """The rows to score: all up to ``high`` (holes scored, then masked), or only the
    live ones (with their slots) when holes are the majority."""
    high = store.high
    if high > 2 * len(store):
        slots = store.live_slots()
        inv = None if store.inv_norms is None else store.inv_norms[slots]
        return slots, store.vectors[slots], inv
    inv = None if store.inv_norms is None else store.inv_norms[:high]
    return None, store.vectors[:high], inv


def _exact_score_matrix(
    metric: MetricName,
    stored: npt.NDArray[np.floating],
    queries: npt.NDArray[np.floating],
    inv_norms: npt.NDArray[np.float64] | None,
) -> npt.NDArray[np.float64]:
    """Scores with one row per query and one column per stored row."""
    if metric == "l2":
        return scores_from_distances(metric, squared_distances(queries, stored))
    products = queries @ stored.T
    if metric == "cosine":
        assert inv_norms is not None
        return products * inv_norms[None, :]
    return products.astype(np.float64)
