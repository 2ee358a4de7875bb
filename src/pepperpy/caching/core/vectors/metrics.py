"""The similarity metrics: how vectors are prepared, compared and scored.

Every metric turns a comparison into a *score* that grows with similarity, so a
threshold always means "score >= threshold":

* ``"cosine"`` — the cosine similarity, in [-1, 1]. Vectors are normalized to unit
  length for searching (the stored originals are kept as given).
* ``"l2"`` — ``1 / (1 + d)`` where ``d`` is the Euclidean distance: 1 for identical
  vectors, towards 0 as they move apart. A threshold ``t`` keeps vectors within
  distance ``1 / t - 1`` (0.9 -> 0.111, 0.5 -> 1.0).
* ``"ip"`` — the inner product, unbounded. Meaningful when vectors are normalized or
  their norm carries meaning (maximum inner product search).
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from ..errors import ConfigurationError

__all__ = (
    "METRICS",
    "MetricName",
    "check_metric",
    "exact_scores",
    "hnsw_space",
    "scores_from_distances",
    "search_row",
    "search_rows",
    "squared_distances",
)

MetricName: TypeAlias = Literal["cosine", "l2", "ip"]

METRICS: Final[tuple[MetricName, ...]] = ("cosine", "l2", "ip")
"""The metric names a vector index accepts."""

# Cosine vectors are normalized by the index itself, so hnswlib searches them by inner
# product and never normalizes a second time.
_SPACES: Final[dict[str, str]] = {"cosine": "ip", "l2": "l2", "ip": "ip"}


def check_metric(metric: object) -> MetricName:
    """``metric`` as one of :data:`METRICS` (case-insensitive), or ConfigurationError."""
    if isinstance(metric, str):
        name = metric.strip().lower()
        if name == "cosine":
            return "cosine"
        if name == "l2":
            return "l2"
        if name == "ip":
            return "ip"
    raise ConfigurationError(f"metric must be one of {', '.join(METRICS)}; got {metric!r}")


def hnsw_space(metric: MetricName) -> str:
    """The hnswlib space that searches vectors prepared for ``metric``."""
    return _SPACES[metric]


def scores_from_distances(
    metric: MetricName,
    distances: npt.NDArray[np.floating],
    scales: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Scores for the distances hnswlib reports (``1 - dot`` or squared L2). Under
    cosine, ``scales`` (one per row of a 2-D ``distances``) multiplies each row: the
    inverse norms of queries searched without being normalized."""
    d = distances.astype(np.float64)
    if metric == "l2":
        return 1.0 / (1.0 + np.sqrt(np.maximum(d, 0.0)))
    scores = 1.0 - d
    if metric == "cosine":
        if scales is not None:
            scores *= scales[:, None]
        np.clip(scores, -1.0, 1.0, out=scores)
    return scores


def exact_scores(
    metric: MetricName,
    rows: npt.NDArray[np.floating],
    query: npt.NDArray[np.floating],
    inv_norms: npt.NDArray[np.float64] | None,
) -> npt.NDArray[np.float64]:
    """Scores of ``query`` against every row of ``rows``, by brute force.

    ``rows`` are stored vectors as given; for cosine, ``query`` is already normalized
    and ``inv_norms`` holds ``1 / |row|`` for each row. The arithmetic is done in the
    rows' dtype, like hnswlib does in float32, so both paths agree to rounding.
    """
    if metric == "l2":
        diff = rows - query
        return scores_from_distances(metric, np.einsum("ij,ij->i", diff, diff))
    if metric == "cosine":  # may stray past [-1, 1] by rounding; callers clamp
        assert inv_norms is not None
        return (rows @ query) * inv_norms
    return (rows @ query).astype(np.float64)


def squared_distances(
    queries: npt.NDArray[np.floating], rows: npt.NDArray[np.floating]
) -> npt.NDArray[Any]:
    """Squared Euclidean distances, one row per query and one column per row, from one
    matrix product (``|q|^2 - 2 q.r + |r|^2``, clipped at 0 where rounding went below)."""
    squared = (
        np.einsum("ij,ij->i", queries, queries)[:, None]
        - 2.0 * (queries @ rows.T)
        + np.einsum("ij,ij->i", rows, rows)[None, :]
    )
    clipped: npt.NDArray[Any] = np.maximum(squared, 0.0)
    return clipped


def search_rows(
    metric: MetricName,
    rows: npt.NDArray[np.floating],
    inv_norms: npt.NDArray[np.float64] | None,
) -> npt.NDArray[np.float32]:
    """The float32 rows hnswlib indexes for stored ``rows`` (unit length for cosine)."""
    if metric == "cosine":
        assert inv_norms is not None
        return (rows * inv_norms[:, None]).astype(np.float32)
    return np.ascontiguousarray(rows, dtype=np.float32)


_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)


def search_row(
    metric: MetricName, row: npt.NDArray[np.floating], inv_norm: float | None
) -> npt.NDArray[np.float32]:
    """The float32 vector hnswlib indexes or searches with for one stored ``row``."""
    if metric == "cosine":
        assert inv_norm is not None
        if row.dtype == np.float32 and inv_norm <= _FLOAT32_MAX:
            return row * inv_norm  # times a Python float, float32 stays float32
        return (row * inv_norm).astype(np.float32)
    return row if row.dtype == np.float32 else row.astype(np.float32)
