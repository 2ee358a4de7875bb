"""Vector search for the vector cache: validation, metrics, and an index that is exact
while small and an HNSW graph (hnswlib) beyond that.

Pure like the rest of the core (no IO, no clock, seeded graphs), but it needs numpy and
hnswlib (the ``vector`` extra), so :mod:`pepperpy.caching.core` does not import it.
"""

from __future__ import annotations

from .index import DEFAULT_EF, EXACT_THRESHOLD, NO_METADATA, IndexStats, VectorIndex
from .metrics import METRICS, MetricName
from .rebuild import Rebuild
from .result import SimilarityResult
from .validation import MAX_SQUARED_NORM

__all__ = (
    "DEFAULT_EF",
    "EXACT_THRESHOLD",
    "MAX_SQUARED_NORM",
    "METRICS",
    "NO_METADATA",
    "IndexStats",
    "MetricName",
    "Rebuild",
    "SimilarityResult",
    "VectorIndex",
)
