"""Turning a search into results: scores, thresholds and keys, for either path."""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from .metrics import MetricName, exact_scores
from .result import SimilarityResult
from .store import SLOT_MASK, SlotStore

__all__ = ("exact_search", "graph_hits")

# SimilarityResult's own __new__ is a Python function; tuple.__new__ skips that frame.
_new_result: Final = tuple.__new__


def graph_hits(
    store: SlotStore,
    metric: MetricName,
    labels: list[int],
    distances: list[float],
    scale: float,
    threshold: float | None,
) -> list[SimilarityResult]:
    """Results for what a graph search found (nearest first). ``scale`` multiplies
    cosine scores, for a query searched without being normalized."""
    key_of, metadata_of = store.key_of, store.payload_of
    bound = -math.inf if threshold is None else threshold
    hits = []
    # The formulas of metrics.scores_from_distances, on a handful of plain floats:
    # numpy's per-call overhead would exceed the arithmetic.
    for label, distance in zip(labels, distances, strict=True):
        if metric == "cosine":
            score = (1.0 - distance) * scale
            score = 1.0 if score > 1.0 else -1.0 if score < -1.0 else score
        elif metric == "l2":
            score = 1.0 / (1.0 + math.sqrt(distance if distance > 0.0 else 0.0))
        else:
            score = 1.0 - distance
        if score < bound:
            break  # nearest first: every later score is lower
        slot = label & SLOT_MASK
        key = key_of[slot]
        if key is not None:  # always, while the graph is in sync with the store
            hits.append(_new_result(SimilarityResult, (key, score, metadata_of[slot])))
    return hits


def exact_search(
    store: SlotStore,
    metric: MetricName,
    row: npt.NDArray[np.floating],
    inv_norm: float | None,
    k: int,
    threshold: float | None,
) -> list[SimilarityResult]:
    """The ``k`` best live vectors for the query ``row`` (``k`` <= the live count), by
    brute force; ties keep slot order."""
    query = (row * inv_norm if inv_norm is not None else row).astype(
        store.vectors.dtype, copy=False
    )
    high = store.high
    live = len(store)
    if high > 2 * live:  # mostly holes: score only the live rows
        slots: npt.NDArray[np.intp] | None = store.live_slots()
        rows = store.vectors[slots]
        inv = None if store.inv_norms is None else store.inv_norms[slots]
    else:
        slots = None
        rows = store.vectors[:high]
        inv = None if store.inv_norms is None else store.inv_norms[:high]
    scores = exact_scores(metric, rows, query, inv)
    if slots is None and high > live:
        scores[~store.alive[:high]] = -np.inf
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
        hits.append(_new_result(SimilarityResult, (key_of[slot], score, metadata_of[slot])))
    return hits
