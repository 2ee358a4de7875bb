"""Vector search for the vector cache: validation, metrics, an index that is exact
while small and an HNSW graph (hnswlib) beyond that, and the store that keeps the
index in step with a cache engine.

Pure like the rest of the core (no IO, no clock, seeded graphs), but it needs numpy and
hnswlib (the ``vector`` extra), so :mod:`pepperpy.caching.core` does not import it.
"""

from __future__ import annotations

from .index import NO_METADATA, VectorIndex
from .index_stats import IndexStats
from .metrics import METRICS, MetricName
from .rebuild import Rebuild
from .recall import RecallCheck
from .result import SimilarityResult
from .settings import DEFAULT_EF, EXACT_THRESHOLD, IndexSettings
from .store import VectorStore
from .validation import MAX_SQUARED_NORM

__all__ = (
    "DEFAULT_EF",
    "EXACT_THRESHOLD",
    "MAX_SQUARED_NORM",
    "METRICS",
    "NO_METADATA",
    "IndexSettings",
    "IndexStats",
    "MetricName",
    "Rebuild",
    "RecallCheck",
    "SimilarityResult",
    "VectorIndex",
    "VectorStore",
)
